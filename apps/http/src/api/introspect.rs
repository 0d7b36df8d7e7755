//! docs/http-api.md §9 `POST /api/v1/auth/introspect` (RFC 7662): whether an access token is
//! active now, for other services that trust Postern's tokens.
//!
//! The answer is RFC 7662 JSON, not the envelope, since introspection clients are OAuth
//! libraries that read `active` at the top level; failures of the request itself (no client
//! configured, wrong credentials, rate limit, outage) are envelopes like everywhere else. A
//! token that is inactive for any reason gets exactly `{"active": false}`, so that the answer
//! tells a caller nothing about why.

use std::sync::Arc;

use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::auth::{Basic, BasicAuthorization};
use poem_openapi::payload::{Form, Json};
use poem_openapi::registry::Registry;
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions, Object, OpenApi,
    SecurityScheme,
};
use postern_core::domain::{AccessClaims, Role};
use postern_core::ports::{PortError, RateLimitBucket};
use postern_core::usecases::Introspection;
use serde::Deserialize;

use super::ApiTags;
use crate::answers::{
    Answer, Documented, PAYLOAD_TOO_LARGE, UNAUTHORIZED, UNSUPPORTED_MEDIA_TYPE, answers,
};
use crate::client::Client;
use crate::error::ApiError;
use crate::limits::{Limited, RateLimit};
use crate::responses::{RateLimited, failures};
use crate::state::{AppState, IntrospectionConfig};

/// Introspection answers are about one token at one moment: nobody may keep them.
const NO_STORE: &str = "no-store";

/// The challenge of a 401, naming the scheme the client must use (RFC 7617).
const CHALLENGE: &str = "Basic realm=\"postern\"";

/// 404 `not_found` when no introspection client is configured.
const NOT_CONFIGURED: Answer = Answer {
    status: StatusCode::NOT_FOUND,
    code: "not_found",
    message: "No such route.",
    doc: "no introspection client is configured (`INTROSPECTION_CLIENTS`)",
};

/// 401 `unauthorized` for missing or wrong client credentials.
const BAD_CLIENT: Answer = Answer {
    message: "Valid introspection client credentials are required.",
    doc: "missing or wrong client credentials (HTTP Basic); `WWW-Authenticate` names the scheme",
    ..UNAUTHORIZED
};

/// Why a request was not let through to introspection.
#[derive(Debug, thiserror::Error)]
pub enum ClientRefused {
    /// `INTROSPECTION_CLIENTS` is empty: the route does not exist.
    #[error("no introspection client is configured")]
    NotConfigured,
    /// No credentials, or not those of a configured client.
    #[error("bad introspection client credentials")]
    BadCredentials,
}

answers!(ClientRefused {
    ClientRefused::NotConfigured => NOT_CONFIGURED,
    ClientRefused::BadCredentials => BAD_CLIENT,
});

/// What a form body can be refused for before the handler runs.
pub enum FormBody {}

impl Documented for FormBody {
    const ANSWERS: &'static [Answer] = &[
        Answer {
            status: StatusCode::BAD_REQUEST,
            code: "validation_error",
            message: "The request is malformed.",
            doc: "a form body without a `token` field",
        },
        UNSUPPORTED_MEDIA_TYPE,
        PAYLOAD_TOO_LARGE,
    ];
}

failures!(
    /// Introspection's documented failures.
    IntrospectErrors = ClientRefused, PortError, FormBody
);

/// The documented form of the client's credentials; [`IntrospectionClient`] checks them.
#[derive(SecurityScheme)]
#[oai(rename = "introspectionClient", ty = "basic")]
struct ClientCredentials(Basic);

impl ClientCredentials {
    /// The credentials `req` carries, unchecked.
    fn read(req: &Request) -> Result<Self, ClientRefused> {
        <Basic as BasicAuthorization>::from_request(req)
            .map(Self)
            .map_err(|_| ClientRefused::BadCredentials)
    }
}

/// An introspection client authenticated by HTTP Basic: its id.
pub struct IntrospectionClient(pub String);

impl IntrospectionClient {
    /// The client whose credentials `req` carries.
    fn authenticate(req: &Request) -> Result<Self, ClientRefused> {
        let config = req
            .data::<Arc<AppState>>()
            .map(|state| &state.introspection)
            .ok_or(ClientRefused::NotConfigured)?;
        if config.clients.is_empty() {
            return Err(ClientRefused::NotConfigured);
        }
        let ClientCredentials(basic) = ClientCredentials::read(req)?;
        config
            .client(&basic.username, &basic.password)
            .map(|id| Self(id.to_owned()))
            .ok_or(ClientRefused::BadCredentials)
    }
}

/// Documented as [`ClientCredentials`]; answers 404 before anything else when no client is
/// configured, and a 401 with its challenge, which poem-openapi's own schemes do not send.
impl<'a> ApiExtractor<'a> for IntrospectionClient {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <ClientCredentials as ApiExtractor<'a>>::register(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        <ClientCredentials as ApiExtractor<'a>>::security_schemes()
    }

    async fn from_request(
        request: &'a Request,
        _body: &mut poem::RequestBody,
        _param_opts: ExtractParamOptions<()>,
    ) -> poem::Result<Self> {
        Self::authenticate(request).map_err(|refused| {
            let challenge = matches!(refused, ClientRefused::BadCredentials);
            let error = ApiError::from(refused);
            if challenge {
                error.challenge(CHALLENGE).into()
            } else {
                error.into()
            }
        })
    }
}

/// The introspection bucket, keyed by client id.
pub enum PerIntrospectionClient {}

impl RateLimit for PerIntrospectionClient {
    type Source = IntrospectionClient;
    const BUCKET: RateLimitBucket = RateLimitBucket::Introspect;

    fn key(client: &IntrospectionClient, _: &Client) -> String {
        client.0.clone()
    }
}

/// The form body of RFC 7662, section 2.1.
#[derive(Object, Deserialize)]
#[oai(rename = "IntrospectionRequest")]
pub struct IntrospectBody {
    /// The token to introspect: an access token. Anything else is answered inactive.
    pub token: String,
    /// RFC 7662's hint; ignored, since only access tokens can be active.
    pub token_type_hint: Option<String>,
}

/// An RFC 7662 answer: `{"active": false}` alone, or every claim of an active token.
#[derive(Object, Default)]
#[oai(rename = "Introspection")]
pub struct IntrospectionView {
    /// Whether the token is active now.
    pub active: bool,
    /// The user id.
    #[oai(skip_serializing_if_is_none)]
    pub sub: Option<String>,
    /// The session id.
    #[oai(skip_serializing_if_is_none)]
    pub sid: Option<String>,
    /// The account's role now (`user`, `manager`, `admin`), which may differ from the token's.
    #[oai(skip_serializing_if_is_none)]
    pub role: Option<String>,
    /// How the session's login authenticated the user (RFC 8176): `["pwd"]`, or
    /// `["pwd", "otp", "mfa"]` after a second factor.
    #[oai(skip_serializing_if_is_none)]
    pub amr: Option<Vec<String>>,
    /// Expiry, in Unix seconds.
    #[oai(skip_serializing_if_is_none)]
    pub exp: Option<i64>,
    /// Issue time, in Unix seconds.
    #[oai(skip_serializing_if_is_none)]
    pub iat: Option<i64>,
    /// The issuer (`JWT_ISSUER`).
    #[oai(skip_serializing_if_is_none)]
    pub iss: Option<String>,
    /// The audience (`JWT_AUDIENCE`).
    #[oai(skip_serializing_if_is_none)]
    pub aud: Option<String>,
    /// Always `access_token`.
    #[oai(skip_serializing_if_is_none)]
    pub token_type: Option<String>,
}

impl IntrospectionView {
    /// The answer for `introspection`, with the issuer's identity from `config`.
    fn new(introspection: Introspection, config: &IntrospectionConfig) -> Self {
        match introspection {
            Introspection::Active { claims, role } => Self::active(&claims, role, config),
            Introspection::Inactive => Self::default(),
        }
    }

    fn active(claims: &AccessClaims, role: Role, config: &IntrospectionConfig) -> Self {
        Self {
            active: true,
            sub: Some(claims.user_id.to_string()),
            sid: Some(claims.session_id.to_string()),
            role: Some(role.as_str().to_owned()),
            amr: Some(
                claims
                    .amr
                    .iter()
                    .map(|method| method.as_str().to_owned())
                    .collect(),
            ),
            exp: Some(claims.expires_at.unix_timestamp()),
            iat: Some(claims.issued_at.unix_timestamp()),
            iss: Some(config.issuer.clone()),
            aud: Some(config.audience.clone()),
            token_type: Some("access_token".to_owned()),
        }
    }
}

/// Introspection's success.
#[derive(ApiResponse)]
pub enum IntrospectResponse {
    /// The RFC 7662 answer (not the envelope).
    #[oai(status = 200)]
    Ok(
        Json<IntrospectionView>,
        /// `no-store`.
        #[oai(header = "Cache-Control")]
        String,
    ),
}

/// docs/http-api.md §9 token introspection.
pub struct IntrospectApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl IntrospectApi {
    /// Introspect an access token
    ///
    /// RFC 7662 token introspection for other services: `active` is true only for a genuine,
    /// unexpired access token of a live session whose account exists and is enabled, and then
    /// the answer carries its claims with `role` the account's role now. Anything else (a
    /// revoked session, an expired, forged or refresh token, a disabled or deleted account) is
    /// exactly `{"active": false}`. The answer is RFC 7662 JSON, not the envelope, and must not
    /// be cached (`Cache-Control: no-store`). Clients authenticate with HTTP Basic as one of
    /// `INTROSPECTION_CLIENTS`; with none configured the route answers 404. Rate limited per
    /// client, outside the global per-address limit.
    #[oai(
        path = "/api/v1/auth/introspect",
        method = "post",
        operation_id = "introspectToken"
    )]
    async fn introspect(
        &self,
        state: Data<&Arc<AppState>>,
        // The body comes first: the rate limit's extraction takes the body along.
        body: Form<IntrospectBody>,
        client: Limited<PerIntrospectionClient>,
    ) -> RateLimited<IntrospectResponse, IntrospectErrors> {
        client
            .run(async |_client| {
                let introspection = state.accounts.introspect.execute(&body.0.token).await?;
                let view = IntrospectionView::new(introspection, &state.introspection);
                Ok(IntrospectResponse::Ok(Json(view), NO_STORE.to_owned()))
            })
            .await
    }
}
