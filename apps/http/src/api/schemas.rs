//! Response bodies, with the conversions from domain types. Views carry poem-openapi derives;
//! domain types never do. The request bodies are in `requests`.

use poem_openapi::{Enum, Object, Union};
use postern_core::domain::{Role, SessionId, SessionSummary, TokenPair, User};
use postern_core::ports::QueueStats;
use postern_core::usecases::LoginOutcome;
use time::OffsetDateTime;
use uuid::Uuid;

/// A role: `user` < `manager` < `admin`.
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

/// A user account. Never carries a hash, token or counter.
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

/// What a login answers: a session, or the second step an account with a second factor needs.
#[derive(Union)]
#[oai(one_of)]
pub enum LoginAnswer {
    /// The session's tokens.
    Session(LoginView),
    /// No tokens yet: a code completes the login at `POST /api/v1/auth/mfa/verify`.
    MfaRequired(MfaRequiredView),
}

impl From<LoginOutcome> for LoginAnswer {
    fn from(outcome: LoginOutcome) -> Self {
        match outcome {
            LoginOutcome::Session { user, tokens } => Self::Session(LoginView::new(user, tokens)),
            LoginOutcome::MfaRequired(challenge) => {
                let mut factors: Vec<String> = challenge
                    .factors
                    .iter()
                    .map(|kind| kind.as_str().to_owned())
                    .collect();
                factors.push("recovery_code".to_owned());
                Self::MfaRequired(MfaRequiredView {
                    mfa_required: true,
                    mfa_token: challenge.token.expose().to_owned(),
                    factors,
                    expires_in: challenge.expires_in.whole_seconds(),
                })
            }
        }
    }
}

/// The second step a login waits for.
#[derive(Object)]
#[oai(rename = "MfaRequired", rename_all = "camelCase")]
pub struct MfaRequiredView {
    /// Always `true`.
    pub mfa_required: bool,
    /// The single-use token that completes this login, for 5 minutes.
    pub mfa_token: String,
    /// The kinds of second step accepted: `totp`, `webauthn`, `recovery_code`.
    pub factors: Vec<String>,
    /// Seconds until `mfaToken` expires.
    pub expires_in: i64,
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

/// One of the caller's live sessions. Never carries a token or hash.
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

/// One event queue's figures.
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
