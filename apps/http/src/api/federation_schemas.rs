//! Bodies, views and responses of sign-in with external providers (docs/http-api.md §11): the
//! provider list, the redirects of the authorization code flow, the exchange of a one-time
//! login code, and the caller's linked identities.

use poem_openapi::{ApiResponse, Object};
use postern_core::FieldError;
use postern_core::domain::OpaqueToken;
use postern_core::ports::{LinkedIdentity, ProviderInfo, RateLimitBucket};
use time::OffsetDateTime;

use crate::body::{BodyFields, JsonBody, ValidJson};
use crate::client::Client;
use crate::limits::RateLimit;

/// The longest `redirectTo` accepted, in characters.
pub const MAX_REDIRECT_LEN: usize = 2048;

/// A configured provider, as a sign-in page lists it.
#[derive(Object)]
#[oai(rename = "IdentityProvider", rename_all = "camelCase")]
pub struct ProviderView {
    /// The name the provider's routes use (`/auth/oauth/{name}/authorize`).
    pub name: String,
    /// The name people know it by, for the button.
    pub display_name: String,
}

impl From<ProviderInfo> for ProviderView {
    fn from(info: ProviderInfo) -> Self {
        Self {
            name: info.name.to_string(),
            display_name: info.display_name,
        }
    }
}

/// An identity at an external provider, linked to the caller's account.
#[derive(Object)]
#[oai(rename = "LinkedIdentity", rename_all = "camelCase")]
pub struct IdentityView {
    /// Its id, by which it is unlinked.
    pub id: String,
    /// The provider's name.
    pub provider: String,
    /// The user's identifier at the provider (its `sub`).
    pub subject: String,
    /// The address the provider gave when the identity was linked, if any.
    pub email: Option<String>,
    /// When it was linked.
    pub linked_at: OffsetDateTime,
}

impl From<LinkedIdentity> for IdentityView {
    fn from(identity: LinkedIdentity) -> Self {
        Self {
            id: identity.id.to_string(),
            provider: identity.provider.to_string(),
            subject: identity.subject.as_str().to_owned(),
            email: identity.email.map(|email| email.as_str().to_owned()),
            linked_at: identity.linked_at,
        }
    }
}

/// `POST /auth/oauth/exchange`.
#[derive(Object, Debug)]
#[oai(rename = "ExchangeLoginCodeRequest")]
pub struct ExchangeBody {
    /// The one-time login code the callback's redirect carried in `?code=`.
    #[oai(validator(max_length = 512))]
    pub code: String,
}

impl JsonBody for ExchangeBody {
    type Parsed = OpaqueToken;

    fn read(fields: &mut BodyFields) -> Option<OpaqueToken> {
        fields.required("code", |raw: String| OpaqueToken::presented(raw, "code"))
    }
}

impl RateLimit for ExchangeBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::OauthExchange;

    fn key(_: &ValidJson<Self>, client: &Client) -> String {
        client.rate_key()
    }
}

/// The provider's callbacks, counted per client address.
pub struct CallbackPerClient;

impl RateLimit for CallbackPerClient {
    type Source = Client;
    const BUCKET: RateLimitBucket = RateLimitBucket::OauthCallback;

    fn key(client: &Client, _: &Client) -> String {
        client.rate_key()
    }
}

/// `POST /user/identities/{provider}`.
#[derive(Object, Debug)]
#[oai(rename = "LinkIdentityRequest", rename_all = "camelCase")]
pub struct LinkBody {
    /// Where the browser goes once the provider's flow is complete (`?linked={provider}`, or
    /// `?error=`): under a prefix of `OAUTH_REDIRECT_ALLOWLIST`.
    #[oai(validator(max_length = 2048))]
    pub redirect_to: String,
}

impl JsonBody for LinkBody {
    type Parsed = String;

    fn read(fields: &mut BodyFields) -> Option<String> {
        fields.required("redirectTo", |raw: String| {
            redirect_target(raw, "redirectTo")
        })
    }
}

/// A redirect target as presented: not empty, not implausibly long. Whether it is allowed is
/// the use case's decision.
pub fn redirect_target(raw: String, field: &str) -> Result<String, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if raw.chars().count() > MAX_REDIRECT_LEN {
        return Err(FieldError::new(field, "must be at most 2048 characters"));
    }
    Ok(raw)
}

/// Where to send the browser to link an identity.
#[derive(Object)]
#[oai(rename = "LinkIdentityStart", rename_all = "camelCase")]
pub struct AuthorizeUrlView {
    /// The provider's authorize URL; completing its flow links the identity to the caller.
    pub authorize_url: String,
}

/// A redirect of the sign-in flow.
#[derive(ApiResponse)]
pub enum Redirect {
    /// Found: the browser goes on to `Location`.
    #[oai(status = 302)]
    Found(#[oai(header = "Location")] String),
}
