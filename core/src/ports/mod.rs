//! Ports: one trait per concern the use cases need from the outside world. Adapters implement
//! them; use cases hold them as `Arc<dyn Port>`. With the `mocks` feature each has a mockall
//! mock (`MockUserRepo`, ...) for other crates' tests.
//!
//! Adapters fail with [`PortError`]: [`PortError::Unavailable`] when their backend cannot be
//! reached and [`PortError::Unexpected`] for anything else. Where a use case relies on one more
//! outcome, the method's `# Errors` section names it and its error type says so
//! ([`CreateUserError::EmailTaken`], [`UpdateUserError::NotFound`],
//! [`UpdateAccessError::LastAdmin`], [`TokenRejected`]).

mod account_tokens;
mod audit;
mod ceremonies;
mod crypto;
mod error;
mod identities;
mod identity_provider;
mod import;
mod mail;
mod mfa;
mod outbox;
mod queues;
mod retention;
mod sessions;
mod sign_in_grants;
mod state;
mod users;
mod webauthn;

pub use account_tokens::{AccountTokens, ChangeEmailError};
pub use audit::AuditTrail;
pub use ceremonies::{CEREMONY_TTL, CeremonyPurpose, CeremonyStates, PendingCeremony};
pub use crypto::{
    OpaqueTokens, PasswordCheck, PasswordHasher, StrengthEstimator, SuccessorTokens, TokenIssuer,
    TokenRejected,
};
pub use error::{PortError, PortResult};
pub use identities::{
    CreateLinkedAccountError, IdentityRepo, LinkIdentityError, LinkedIdentity, UnlinkIdentityError,
};
pub use identity_provider::{
    AuthorizationRequest, AuthorizationState, ExternalIdentity, IdentityProviderError,
    IdentityProviders, InvalidProviderName, Nonce, PendingAuthorization, PkceVerifier,
    ProviderInfo, ProviderName, Subject, TokenRefusal,
};
pub use import::{ImportTarget, UserSource};
pub use mail::Mailer;
pub use mfa::{Enrolled, MfaFactors, SecretBox, TotpProvisioning, TotpVerifier, WebAuthnEnrolment};
pub use outbox::{EventHandler, EventPublisher, HandledEvents, Outbox, retry};
pub use queues::{EventQueues, QueueStats};
pub use retention::{Retention, RetentionKind};
pub use sessions::SessionRepo;
pub use sign_in_grants::{
    LOGIN_CODE_TTL, LoginCode, PENDING_SIGN_IN_TTL, PendingSignIn, SignInGrants,
};
pub use state::{
    CallerLookup, CallerState, Clock, InvalidQuota, ProfileCache, Quota, RateDecision,
    RateLimitBucket, RateLimiter, RateLimits, RevocationList, SeparateLookups, SystemClock,
};
pub use users::{
    CreateUserError, DeleteAccountError, UpdateAccessError, UpdateUserError, UserRepo,
};
pub use webauthn::{
    CeremonyStart, CeremonyState, CredentialId, CredentialStorage, DiscoveredCredential, JsonText,
    PasskeyBlob, RegisteredCredential, RegistrationRequest, ResidentKey, VerifiedAssertion,
    WebAuthnCeremonies, WebAuthnError,
};

#[cfg(any(test, feature = "mocks"))]
pub use account_tokens::MockAccountTokens;
#[cfg(any(test, feature = "mocks"))]
pub use audit::MockAuditTrail;
#[cfg(any(test, feature = "mocks"))]
pub use ceremonies::MockCeremonyStates;
#[cfg(any(test, feature = "mocks"))]
pub use crypto::{
    MockOpaqueTokens, MockPasswordHasher, MockStrengthEstimator, MockSuccessorTokens,
    MockTokenIssuer,
};
#[cfg(any(test, feature = "mocks"))]
pub use identities::MockIdentityRepo;
#[cfg(any(test, feature = "mocks"))]
pub use identity_provider::MockIdentityProviders;
#[cfg(any(test, feature = "mocks"))]
pub use import::{MockImportTarget, MockUserSource};
#[cfg(any(test, feature = "mocks"))]
pub use mail::MockMailer;
#[cfg(any(test, feature = "mocks"))]
pub use mfa::{MockMfaFactors, MockSecretBox, MockTotpVerifier};
#[cfg(any(test, feature = "mocks"))]
pub use outbox::{MockEventHandler, MockEventPublisher, MockHandledEvents, MockOutbox};
#[cfg(any(test, feature = "mocks"))]
pub use queues::MockEventQueues;
#[cfg(any(test, feature = "mocks"))]
pub use retention::MockRetention;
#[cfg(any(test, feature = "mocks"))]
pub use sessions::MockSessionRepo;
#[cfg(any(test, feature = "mocks"))]
pub use sign_in_grants::MockSignInGrants;
#[cfg(any(test, feature = "mocks"))]
pub use state::{
    MockCallerLookup, MockClock, MockProfileCache, MockRateLimiter, MockRevocationList,
};
#[cfg(any(test, feature = "mocks"))]
pub use users::MockUserRepo;
#[cfg(any(test, feature = "mocks"))]
pub use webauthn::MockWebAuthnCeremonies;
