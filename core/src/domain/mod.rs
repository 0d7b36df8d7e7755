//! Domain types. Each validated type has private fields and one way in (`parse`), so a value
//! that exists is a valid one; none derives `Deserialize`, so nothing can skip the constructor.

mod account_token;
mod admin;
mod email;
mod event;
mod ids;
mod import;
mod lockout;
mod mail;
mod mfa;
mod page;
mod password;
mod provider;
mod role;
mod session;
mod token;
mod user;

pub use account_token::{AccountTokenRecord, NewAccountToken, TokenPurpose};
pub use admin::{
    AccessChange, AccessUpdate, Actor, AuditQuery, AuditRecord, EmailPrefix, UserQuery,
};
pub use email::Email;
pub use event::{
    ADDRESS_KEPT_UNTIL_DELIVERED, ERASED_EMAIL, EVENT_VERSION, Event, EventData, LoginFailure,
};
pub use ids::{EventId, FactorId, IdentityId, RefreshTokenId, SessionId, UserId};
pub use import::{ImportOutcome, ImportedUser, SourceUser};
pub use lockout::{ClientKey, LockoutPolicy, LoginAttempt, LoginCount, LoginCounts, LoginKey};
pub use mail::{Mail, MailMessage, MfaChange};
pub use mfa::{
    Confirmed, Factor, FactorConfirmation, FactorCredential, FactorKind, FactorName, MfaCode,
    RECOVERY_ALPHABET, RECOVERY_CODE_CHARS, RECOVERY_SET_SIZE, RecoveryCode, RecoveryCodeDigest,
    TotpCode, TotpSecret, TotpStep,
};
pub use page::{Page, PageKey, PageLimit, PageRequest};
pub use password::{
    LegacyHashError, MAX_BCRYPT_COST, Password, PasswordHash, PasswordPolicy, PasswordStrength,
};
pub use provider::{InvalidProviderName, ProviderName};
pub use role::Role;
pub use session::{
    ClientContext, NewRefreshToken, NewSession, RefreshTokenRecord, Rotation, SessionPolicy,
    SessionSummary,
};
pub use token::{AccessClaims, AccessToken, AuthMethod, OpaqueToken, TokenDigest, TokenPair};
pub use user::{DisplayName, NewUser, User, UserCredentials};
