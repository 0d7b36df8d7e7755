//! The request bodies of docs/http-api.md §3 and §4: each documents its fields for
//! the OpenAPI document (types and limits, through its poem-openapi derive) and reads itself into
//! the domain request, with every invalid field named as the client sent it. Domain types have the
//! final word on every value; the limits here only describe theirs.

use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use postern_core::domain::{DisplayName, Email, OpaqueToken, Password};
use postern_core::ports::RateLimitBucket;
use postern_core::usecases::{ChangePasswordRequest, SignupRequest};

use crate::auth::BearerAuth;
use crate::body::{BodyFields, JsonBody, ValidJson};
use crate::client::Client;
use crate::limits::RateLimit;

/// `POST /auth/signup`.
#[derive(Object, Debug)]
#[oai(rename = "SignupRequest", rename_all = "camelCase")]
pub struct SignupBody {
    /// A valid address of at most 254 characters; trimmed and lower-cased.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// 8 to 128 characters, not only whitespace.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
    /// An optional display name, 1 to 100 characters.
    #[oai(validator(max_length = 100))]
    pub name: Option<String>,
}

impl JsonBody for SignupBody {
    type Parsed = SignupRequest;

    fn read(fields: &mut BodyFields) -> Option<SignupRequest> {
        let email = fields.required("email", email);
        let password = fields.required("password", new_password);
        let name = fields.optional("name", display_name);
        Some(SignupRequest {
            email: email?,
            password: password?,
            name: name?,
        })
    }
}

impl RateLimit for SignupBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::Signup;

    fn key(_: &ValidJson<Self>, client: &Client) -> String {
        client.rate_key()
    }
}

/// `POST /auth/login`.
#[derive(Object, Debug)]
#[oai(rename = "LoginRequest", rename_all = "camelCase")]
pub struct LoginBody {
    /// The account's email.
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// The account's password.
    #[oai(validator(max_length = 128))]
    pub password: String,
}

/// The credentials of a login.
pub struct Credentials {
    /// The normalised email.
    pub email: Email,
    /// The password as presented.
    pub password: Password,
}

impl JsonBody for LoginBody {
    type Parsed = Credentials;

    fn read(fields: &mut BodyFields) -> Option<Credentials> {
        let email = fields.required("email", email);
        let password = fields.required("password", presented_password);
        Some(Credentials {
            email: email?,
            password: password?,
        })
    }
}

impl RateLimit for LoginBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::Login;

    /// Keyed by the normalised email, so that case and spaces do not buy extra attempts.
    fn key(credentials: &ValidJson<Self>, client: &Client) -> String {
        format!("{}|{}", client.rate_key(), credentials.0.email.as_str())
    }
}

/// `POST /auth/refresh`.
#[derive(Object, Debug)]
#[oai(rename = "RefreshRequest", rename_all = "camelCase")]
pub struct RefreshBody {
    /// The refresh token from the last login or refresh.
    #[oai(validator(max_length = 512))]
    pub refresh_token: String,
}

impl JsonBody for RefreshBody {
    type Parsed = OpaqueToken;

    fn read(fields: &mut BodyFields) -> Option<OpaqueToken> {
        fields.required("refreshToken", token)
    }
}

impl RateLimit for RefreshBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::Refresh;

    fn key(_: &ValidJson<Self>, client: &Client) -> String {
        client.rate_key()
    }
}

/// `POST /auth/logout`: optionally the refresh token to revoke along with the session.
#[derive(Object, Debug)]
#[oai(rename = "LogoutRequest", rename_all = "camelCase")]
pub struct LogoutBody {
    /// A refresh token of one of the caller's sessions, revoked too.
    #[oai(validator(max_length = 512))]
    pub refresh_token: Option<String>,
}

impl JsonBody for LogoutBody {
    type Parsed = Option<OpaqueToken>;

    fn read(fields: &mut BodyFields) -> Option<Option<OpaqueToken>> {
        fields.optional("refreshToken", token)
    }
}

/// `POST /auth/password/change`.
#[derive(Object, Debug)]
#[oai(rename = "ChangePasswordRequest", rename_all = "camelCase")]
pub struct ChangePasswordBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
    /// The new password: 8 to 128 characters, not only whitespace, and not the current one.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub new_password: String,
}

impl JsonBody for ChangePasswordBody {
    type Parsed = ChangePasswordRequest;

    fn read(fields: &mut BodyFields) -> Option<ChangePasswordRequest> {
        let current = fields.required("currentPassword", presented_password);
        let new = fields.required("newPassword", new_password);
        Some(ChangePasswordRequest {
            current: current?,
            new: new?,
        })
    }
}

/// Password changes, email changes and self-deletions are limited per account, on one quota:
/// keyed by the user of the bearer token, once it is authenticated, so that every session of the
/// account draws on it.
pub enum PasswordChangePerUser {}

impl RateLimit for PasswordChangePerUser {
    type Source = BearerAuth;
    const BUCKET: RateLimitBucket = RateLimitBucket::PasswordChange;

    fn key(auth: &BearerAuth, _: &Client) -> String {
        auth.0.user_id.to_string()
    }
}

/// `PATCH /user/profile`.
#[derive(Object, Debug)]
#[oai(rename = "UpdateProfileRequest", rename_all = "camelCase")]
pub struct UpdateProfileBody {
    /// The new display name, 1 to 100 characters; `null` clears it; leaving it out keeps it.
    #[oai(validator(max_length = 100))]
    pub name: MaybeUndefined<String>,
}

impl JsonBody for UpdateProfileBody {
    type Parsed = MaybeUndefined<DisplayName>;

    fn read(fields: &mut BodyFields) -> Option<MaybeUndefined<DisplayName>> {
        fields.patch("name", display_name)
    }
}

/// `POST /auth/email/verify`.
#[derive(Object, Debug)]
#[oai(rename = "VerifyEmailRequest")]
pub struct VerifyEmailBody {
    /// The token from the verification link.
    #[oai(validator(max_length = 512))]
    pub token: String,
}

impl JsonBody for VerifyEmailBody {
    type Parsed = OpaqueToken;

    fn read(fields: &mut BodyFields) -> Option<OpaqueToken> {
        fields.required("token", token)
    }
}

/// `POST /auth/password/forgot`.
#[derive(Object, Debug)]
#[oai(rename = "ForgotPasswordRequest")]
pub struct ForgotPasswordBody {
    /// The account's email.
    #[oai(validator(max_length = 254))]
    pub email: String,
}

impl JsonBody for ForgotPasswordBody {
    type Parsed = Email;

    fn read(fields: &mut BodyFields) -> Option<Email> {
        fields.required("email", email)
    }
}

impl RateLimit for ForgotPasswordBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::PasswordForgot;

    /// Keyed by client and email, so that nobody can spend a victim's quota from elsewhere;
    /// how many mails one address receives is capped apart, by the use case.
    fn key(email: &ValidJson<Self>, client: &Client) -> String {
        format!("{}|{}", client.rate_key(), email.0.as_str())
    }
}

/// `POST /auth/password/reset`.
#[derive(Object, Debug)]
#[oai(rename = "ResetPasswordRequest")]
pub struct ResetPasswordBody {
    /// The token from the reset link.
    #[oai(validator(max_length = 512))]
    pub token: String,
    /// The new password: 8 to 128 characters, not only whitespace.
    #[oai(validator(max_length = 128))]
    pub password: String,
}

/// A password reset: the link's token and the new password.
pub struct PasswordReset {
    /// The token from the reset link.
    pub token: OpaqueToken,
    /// The new password.
    pub password: Password,
}

impl JsonBody for ResetPasswordBody {
    type Parsed = PasswordReset;

    fn read(fields: &mut BodyFields) -> Option<PasswordReset> {
        let token = fields.required("token", token);
        let password = fields.required("password", new_password);
        Some(PasswordReset {
            token: token?,
            password: password?,
        })
    }
}

// The domain parsers, as field readers take them. Each error is renamed to the field read.

pub(super) fn email(raw: String) -> Result<Email, postern_core::FieldError> {
    Email::parse(&raw)
}

fn new_password(raw: String) -> Result<Password, postern_core::FieldError> {
    Password::parse(raw, "password")
}

pub(super) fn presented_password(raw: String) -> Result<Password, postern_core::FieldError> {
    Password::presented(raw, "password")
}

pub(super) fn token(raw: String) -> Result<OpaqueToken, postern_core::FieldError> {
    OpaqueToken::presented(raw, "token")
}

fn display_name(raw: String) -> Result<DisplayName, postern_core::FieldError> {
    DisplayName::parse(&raw)
}

#[cfg(test)]
mod tests {
    //! The document and the parsers must agree: every field a body's schema documents is read,
    //! required exactly when the schema says so, and held to the schema's length limit.

    use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::api::admin_schemas::UpdateUserBody;

    fn schema_of<B: JsonBody>() -> MetaSchema {
        let mut registry = Registry::new();
        B::register(&mut registry);
        registry
            .schemas
            .remove(&*B::name())
            .expect("the body's schema")
    }

    /// The fields named by the failures of reading `object` as a `B`.
    fn refused<B: JsonBody>(object: Map<String, Value>) -> Vec<String> {
        let mut fields = BodyFields::new(object);
        let parsed = B::read(&mut fields);
        match fields.finish(parsed) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    fn max_length(property: &MetaSchemaRef) -> Option<usize> {
        match property {
            MetaSchemaRef::Inline(schema) => schema.max_length,
            MetaSchemaRef::Reference(_) => None,
        }
    }

    fn assert_schema_and_parser_agree<B: JsonBody>() {
        let schema = schema_of::<B>();
        let names: Vec<String> = schema
            .properties
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        let required: Vec<String> = schema.required.iter().map(|n| (*n).to_owned()).collect();

        let wrong_types = names.iter().map(|n| (n.clone(), json!([]))).collect();
        assert_eq!(
            refused::<B>(wrong_types),
            names,
            "{}: wrong types",
            B::name()
        );
        if !required.is_empty() {
            let nulls = required.iter().map(|n| (n.clone(), Value::Null)).collect();
            assert_eq!(refused::<B>(nulls), required, "{}: nulls", B::name());
            assert_eq!(refused::<B>(Map::new()), required, "{}: missing", B::name());
        }
        for (name, property) in &schema.properties {
            if let Some(max) = max_length(property) {
                let too_long = Map::from_iter([((*name).to_owned(), json!("a".repeat(max + 1)))]);
                assert!(
                    refused::<B>(too_long).iter().any(|f| f == name),
                    "{}: {name} longer than {max} is accepted",
                    B::name()
                );
            }
        }
    }

    #[test]
    fn every_body_reads_the_fields_its_schema_documents_and_holds_them_to_its_limits() {
        assert_schema_and_parser_agree::<SignupBody>();
        assert_schema_and_parser_agree::<LoginBody>();
        assert_schema_and_parser_agree::<RefreshBody>();
        assert_schema_and_parser_agree::<LogoutBody>();
        assert_schema_and_parser_agree::<ChangePasswordBody>();
        assert_schema_and_parser_agree::<UpdateProfileBody>();
        assert_schema_and_parser_agree::<VerifyEmailBody>();
        assert_schema_and_parser_agree::<ForgotPasswordBody>();
        assert_schema_and_parser_agree::<ResetPasswordBody>();
        assert_schema_and_parser_agree::<UpdateUserBody>();
    }
}
