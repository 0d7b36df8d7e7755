//! Request and response bodies, with the conversions between them and domain types. Bodies
//! carry poem-openapi derives; domain types never do. Validators here document the schema;
//! every value is still parsed into its domain type, which has the final word.

use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use postern_core::FieldError;
use postern_core::domain::{Role, SessionId, SessionSummary, TokenPair, User};
use postern_core::ports::QueueStats;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::answers::Invalid;
use crate::text::Text;

/// A role (§5): `user` < `manager` < `admin`.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "Role", rename_all = "lowercase")]
pub enum RoleView {
    /// An ordinary account.
    User,
    /// May read users and manage caches.
    Manager,
    /// May do everything.
    Admin,
}

impl From<Role> for RoleView {
    fn from(role: Role) -> Self {
        match role {
            Role::User => Self::User,
            Role::Manager => Self::Manager,
            Role::Admin => Self::Admin,
        }
    }
}

impl From<RoleView> for Role {
    fn from(role: RoleView) -> Self {
        match role {
            RoleView::User => Self::User,
            RoleView::Manager => Self::Manager,
            RoleView::Admin => Self::Admin,
        }
    }
}

/// A user account (§2). Never carries a hash, token or counter.
#[derive(Object)]
#[oai(rename = "User", rename_all = "camelCase")]
pub struct UserView {
    /// The account's id.
    pub id: Uuid,
    /// The normalised (trimmed, lower-cased) email.
    pub email: String,
    /// The display name, or null.
    #[oai(nullable)]
    pub name: Option<String>,
    /// The account's role.
    pub role: RoleView,
    /// Whether the email has been verified.
    pub email_verified: bool,
    /// When the account was created (RFC 3339).
    pub created_at: OffsetDateTime,
    /// When the account last changed (RFC 3339).
    pub updated_at: OffsetDateTime,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            name: user.name.map(|n| n.as_str().to_owned()),
            role: user.role.into(),
            email_verified: user.email_verified,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

/// `POST /auth/signup`.
#[derive(Object, Debug)]
#[oai(rename = "SignupRequest", rename_all = "camelCase")]
pub struct SignupBody {
    /// A valid address of at most 254 characters; trimmed and lower-cased.
    #[oai(validator(max_length = 254))]
    pub email: Text,
    /// 8 to 128 characters, not only whitespace.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Text,
    /// An optional display name, 1 to 100 characters.
    #[oai(validator(max_length = 100))]
    pub name: Option<Text>,
}

/// `POST /auth/login`.
#[derive(Object, Debug)]
#[oai(rename = "LoginRequest", rename_all = "camelCase")]
pub struct LoginBody {
    /// The account's email.
    #[oai(validator(max_length = 254))]
    pub email: Text,
    /// The account's password.
    #[oai(validator(max_length = 128))]
    pub password: Text,
}

/// `POST /auth/refresh`.
#[derive(Object, Debug)]
#[oai(rename = "RefreshRequest", rename_all = "camelCase")]
pub struct RefreshBody {
    /// The refresh token from the last login or refresh.
    #[oai(validator(max_length = 512))]
    pub refresh_token: Text,
}

/// `POST /auth/logout`: optionally the refresh token to revoke along with the session.
#[derive(Object, Debug, Default)]
#[oai(rename = "LogoutRequest", rename_all = "camelCase")]
pub struct LogoutBody {
    /// A refresh token of one of the caller's sessions, revoked too.
    #[oai(validator(max_length = 512))]
    pub refresh_token: Option<Text>,
}

/// `POST /auth/password/change`.
#[derive(Object, Debug)]
#[oai(rename = "ChangePasswordRequest", rename_all = "camelCase")]
pub struct ChangePasswordBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: Text,
    /// The new password: 8 to 128 characters, not only whitespace, and not the current one.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub new_password: Text,
}

/// `PATCH /user/profile`.
#[derive(Object, Debug)]
#[oai(rename = "UpdateProfileRequest", rename_all = "camelCase")]
pub struct UpdateProfileBody {
    /// The new display name, 1 to 100 characters; `null` clears it; leaving it out keeps it.
    #[oai(validator(max_length = 100))]
    pub name: MaybeUndefined<Text>,
}

/// A token pair.
#[derive(Object)]
#[oai(rename = "Tokens", rename_all = "camelCase")]
pub struct TokensView {
    /// The JWT access token, sent as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// The opaque refresh token; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl From<TokenPair> for TokensView {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token.expose().to_owned(),
            refresh_token: pair.refresh_token.expose().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: pair.expires_in.whole_seconds(),
        }
    }
}

/// A successful login.
#[derive(Object)]
#[oai(rename = "LoginResult", rename_all = "camelCase")]
pub struct LoginView {
    /// The account.
    pub user: UserView,
    /// The JWT access token.
    pub access_token: String,
    /// The opaque refresh token.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl LoginView {
    /// The login result from the account and its tokens.
    pub fn new(user: User, tokens: TokenPair) -> Self {
        let tokens = TokensView::from(tokens);
        Self {
            user: user.into(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: tokens.token_type,
            expires_in: tokens.expires_in,
        }
    }
}

/// A confirmation.
#[derive(Object)]
#[oai(rename = "Message")]
pub struct MessageView {
    /// What happened.
    pub message: String,
}

/// The result of logout-all.
#[derive(Object)]
#[oai(rename = "LogoutAllResult", rename_all = "camelCase")]
pub struct LogoutAllView {
    /// What happened.
    pub message: String,
    /// How many sessions were revoked.
    pub revoked_sessions: u64,
}

/// One of the caller's live sessions (§4). Never carries a token or hash.
#[derive(Object)]
#[oai(rename = "Session", rename_all = "camelCase")]
pub struct SessionView {
    /// The session's id; also the `sid` claim of its access tokens.
    pub id: Uuid,
    /// When it started: the login (RFC 3339).
    pub created_at: OffsetDateTime,
    /// When it was last used: its latest token refresh, else its login (RFC 3339).
    pub last_used_at: OffsetDateTime,
    /// The address the login came from, or null.
    #[oai(nullable)]
    pub ip: Option<String>,
    /// The `User-Agent` of the login, or null.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// Whether this is the session of the bearer token of this request.
    pub current: bool,
}

impl SessionView {
    /// The view of `session`, marked current when it is `current`.
    pub fn new(session: SessionSummary, current: SessionId) -> Self {
        Self {
            id: session.id.as_uuid(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            ip: session.client.ip.map(|ip| ip.to_string()),
            user_agent: session.client.user_agent,
            current: session.id == current,
        }
    }
}

/// Collects every field error of a request, so that a client learns all of them at once.
#[derive(Default)]
pub struct Fields(Vec<FieldError>);

impl Fields {
    /// Keeps the value, or records its error.
    pub fn check<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e)).ok()
    }

    /// The values, or a validation error listing every failure.
    pub fn finish<T>(self, values: Option<T>) -> Result<T, Invalid> {
        match values {
            Some(values) if self.0.is_empty() => Ok(values),
            _ => Err(Invalid(self.0)),
        }
    }
}

/// One event queue's figures (§5).
#[derive(Object)]
#[oai(rename = "Queue", rename_all = "camelCase")]
pub struct QueueView {
    /// `outbox`, `email-events` or `audit-events`.
    pub name: String,
    /// Entries in the queue, waiting or in hand.
    pub length: u64,
    /// Entries handed to a consumer and not yet acknowledged.
    pub pending: u64,
    /// Consumers attached (the outbox has relays instead, and shows 0).
    pub consumers: u64,
    /// Entries that failed their last attempt and wait for a replay.
    pub dead_letters: u64,
}

impl From<QueueStats> for QueueView {
    fn from(stats: QueueStats) -> Self {
        Self {
            name: stats.name,
            length: stats.length,
            pending: stats.pending,
            consumers: stats.consumers,
            dead_letters: stats.dead_letters,
        }
    }
}

/// The result of a dead-letter replay.
#[derive(Object)]
#[oai(rename = "ReplayResult")]
pub struct ReplayView {
    /// How many dead letters went back for delivery.
    pub replayed: u64,
}

/// `POST /auth/email/verify`.
#[derive(Object, Debug)]
#[oai(rename = "VerifyEmailRequest")]
pub struct VerifyEmailBody {
    /// The token from the verification link.
    #[oai(validator(max_length = 512))]
    pub token: Text,
}

/// `POST /auth/password/forgot`.
#[derive(Object, Debug)]
#[oai(rename = "ForgotPasswordRequest")]
pub struct ForgotPasswordBody {
    /// The account's email.
    #[oai(validator(max_length = 254))]
    pub email: Text,
}

/// `POST /auth/password/reset`.
#[derive(Object, Debug)]
#[oai(rename = "ResetPasswordRequest")]
pub struct ResetPasswordBody {
    /// The token from the reset link.
    #[oai(validator(max_length = 512))]
    pub token: Text,
    /// The new password: 8 to 128 characters, not only whitespace.
    #[oai(validator(max_length = 128))]
    pub password: Text,
}
