//! Use cases: one file each, each a struct holding the ports it needs. They depend on nothing
//! but ports and domain types, so every rule here is tested against mocks.
//!
//! Errors: each use case that can refuse a request names its refusals in an error enum of its
//! own ([`LoginError`], [`RefreshError`], ...), beside two variants for failures of its ports,
//! `Unavailable` (a dependency cannot be reached; retrying may help) and `Unexpected` (anything
//! else), each keeping its cause. A use case that cannot refuse anything, only fail when a port
//! does, returns the ports' [`PortError`]. The caller maps each enum to its own answers, once;
//! none of them knows how a request was spelled, so a refusal about a field
//! ([`ChangePasswordError::SameAsCurrent`]) is a variant, not a field name.

mod admin;
mod authenticate;
mod authorize;
mod change_password;
mod deduplicated;
mod delete_account;
mod deliver_events;
mod email_change;
mod email_verification;
mod export;
mod external_sign_in;
mod housekeeping;
mod identities;
mod import_users;
mod introspect;
mod login;
mod login_code;
mod logout;
mod mfa_enrol;
mod mfa_factors;
mod mfa_verify;
mod new_password;
mod passkey_sign_in;
mod password_reset;
mod profile;
mod queues;
mod reauth;
mod redeemable;
mod refresh;
mod revoker;
mod send_mail;
mod session_start;
mod sessions;
mod sign_in_callback;
mod signup;
mod tokens;
mod webauthn;
mod webauthn_register;
mod webauthn_verify;

#[cfg(test)]
mod testkit;

use std::sync::Arc;

pub use admin::{
    ChangeAccess, ChangeAccessError, DropCachedProfile, DropCachedProfileError, ListUsers,
    ReadAudit,
};
pub use authenticate::{Authenticate, AuthenticateError};
pub use authorize::{Authorize, AuthorizeError};
pub use change_password::{ChangePassword, ChangePasswordError, ChangePasswordRequest};
pub use deduplicated::Deduplicated;
pub use delete_account::{AccountDeletionError, DeleteAccount};
pub use deliver_events::{DeliverEvents, DeliveryReport, PublishedBatch};
pub use email_change::{
    ConfirmEmailChange, ConfirmEmailChangeError, EmailChangeError, EmailChangeRequest,
    RequestEmailChange,
};
pub use email_verification::{ResendVerification, ResendVerificationError, VerifyEmail};
pub use export::{AccountExport, ExportAccount};
pub use external_sign_in::{RedirectAllowList, StartSignIn, StartSignInError};
pub use housekeeping::{Housekeeping, PruneReport, RetentionPolicy};
pub use identities::{ListIdentities, UnlinkError, UnlinkIdentity};
pub use import_users::{ImportReport, ImportUsers, InvalidRow};
pub use introspect::{Introspect, Introspection};
pub use login::{Login, LoginError, LoginOutcome, LoginRequest, MfaChallenge};
pub use login_code::{ExchangeError, ExchangeLoginCode, ExchangeRequest};
pub use logout::{Logout, LogoutAll};
pub use mfa_enrol::{ConfirmTotp, ConfirmedFactor, EnrolTotp, ManageMfaError, TotpEnrolment};
pub use mfa_factors::{
    ListFactors, RegenerateRecoveryCodes, RemoveFactor, ResetFactors, ResetFactorsError,
};
pub use mfa_verify::{MfaLogin, VerifyMfa, VerifyMfaError, VerifyMfaRequest};
pub use passkey_sign_in::{
    FinishPasskeySignIn, PasskeyChallenge, PasskeySignInError, PasskeySignInRequest,
    StartPasskeySignIn,
};
pub use password_reset::{ForgotPassword, ResetPassword, ResetPasswordError};
pub use profile::{GetProfile, PrefetchedProfile, ProfileError, UpdateProfile};
pub use queues::{QueueAdmin, ReplayError};
pub use redeemable::LinkTokenError;
pub use refresh::{Refresh, RefreshError};
pub use send_mail::SendMail;
pub use sessions::{ListSessions, RevokeSession, RevokeSessionError};
pub use sign_in_callback::{CallbackError, CallbackRequest, CompleteSignIn, SignInFailure};
pub use signup::{Signup, SignupError, SignupRequest};
pub use webauthn::WebAuthnPorts;
pub use webauthn_register::{
    FinishWebAuthnRegistration, RegisterWebAuthnError, StartWebAuthnRegistration, WebAuthnAnswer,
    WebAuthnRegistration,
};
pub use webauthn_verify::{
    StartWebAuthnStep, StartWebAuthnStepError, VerifyWebAuthnStep, WebAuthnStepRequest,
};

use crate::domain::{LockoutPolicy, PasswordPolicy, SessionPolicy};
use crate::ports::{
    AccountTokens, CallerLookup, Clock, IdentityProviders, IdentityRepo, MfaFactors, OpaqueTokens,
    Outbox, PasswordHasher, PortError, ProfileCache, ProviderInfo, RateLimiter, RevocationList,
    SecretBox, SessionRepo, SignInGrants, StrengthEstimator, SuccessorTokens, TokenIssuer,
    TotpVerifier, UserRepo,
};

/// A port's failure, as each use-case error that has the two variants for it carries it.
macro_rules! from_port_error {
    ($($error:ty),+ $(,)?) => {$(
        impl From<PortError> for $error {
            fn from(error: PortError) -> Self {
                match error {
                    PortError::Unavailable(cause) => Self::Unavailable(cause),
                    PortError::Unexpected(cause) => Self::Unexpected(cause),
                }
            }
        }
    )+};
}

from_port_error!(
    AccountDeletionError,
    AuthenticateError,
    AuthorizeError,
    ChangeAccessError,
    CallbackError,
    ChangePasswordError,
    ConfirmEmailChangeError,
    DropCachedProfileError,
    EmailChangeError,
    ExchangeError,
    LinkTokenError,
    ResetPasswordError,
    LoginError,
    ManageMfaError,
    PasskeySignInError,
    ProfileError,
    RegisterWebAuthnError,
    RefreshError,
    ReplayError,
    ResetFactorsError,
    ResendVerificationError,
    RevokeSessionError,
    SignupError,
    StartSignInError,
    StartWebAuthnStepError,
    UnlinkError,
    VerifyMfaError,
);

/// Every port the account use cases draw on, as the composition root assembles them.
#[derive(Clone)]
pub struct Ports {
    /// User accounts.
    pub users: Arc<dyn UserRepo>,
    /// Sessions and refresh tokens.
    pub sessions: Arc<dyn SessionRepo>,
    /// Events that accompany no other change.
    pub outbox: Arc<dyn Outbox>,
    /// Email-verification and password-reset tokens.
    pub account_tokens: Arc<dyn AccountTokens>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub tokens: Arc<dyn TokenIssuer>,
    /// Opaque tokens.
    pub secrets: Arc<dyn OpaqueTokens>,
    /// The successors of refresh tokens.
    pub successors: Arc<dyn SuccessorTokens>,
    /// The profile cache.
    pub cache: Arc<dyn ProfileCache>,
    /// Revoked sessions.
    pub revocations: Arc<dyn RevocationList>,
    /// The revocation check and the cached profile in one step, for profile reads; over
    /// separate stores, [`crate::ports::SeparateLookups`] of the two above.
    pub callers: Arc<dyn CallerLookup>,
    /// The rate limits a use case keeps itself: the reset mails one address receives, the wrong
    /// guesses at a password change.
    pub rate_limiter: Arc<dyn RateLimiter>,
    /// Estimates the strength of new passwords.
    pub strength: Arc<dyn StrengthEstimator>,
    /// Second factors and recovery codes.
    pub factors: Arc<dyn MfaFactors>,
    /// TOTP codes.
    pub totp: Arc<dyn TotpVerifier>,
    /// Sealing factor secrets and digesting recovery codes.
    pub secret_box: Arc<dyn SecretBox>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// The account use cases, built once from the same ports and policy.
pub struct Accounts {
    /// Creates accounts.
    pub signup: Signup,
    /// Starts sessions.
    pub login: Login,
    /// Rotates refresh tokens.
    pub refresh: Refresh,
    /// Ends the caller's session.
    pub logout: Logout,
    /// Ends every session of the caller.
    pub logout_all: LogoutAll,
    /// Verifies bearer tokens.
    pub authenticate: Authenticate,
    /// Tells other services whether an access token is active (docs/http-api.md §9).
    pub introspect: Introspect,
    /// Checks callers' roles.
    pub authorize: Authorize,
    /// Reads profiles.
    pub get_profile: GetProfile,
    /// Changes profiles.
    pub update_profile: UpdateProfile,
    /// Lists the caller's live sessions.
    pub list_sessions: ListSessions,
    /// Ends one of the caller's sessions.
    pub revoke_session: RevokeSession,
    /// Changes the caller's password and ends the caller's other sessions.
    pub change_password: ChangePassword,
    /// Spends email-verification tokens.
    pub verify_email: VerifyEmail,
    /// Asks for a new verification link.
    pub resend_verification: ResendVerification,
    /// Asks for a password-reset link.
    pub forgot_password: ForgotPassword,
    /// Spends password-reset tokens.
    pub reset_password: ResetPassword,
    /// Lists accounts (docs/http-api.md §5).
    pub list_users: ListUsers,
    /// Changes an account's role or disables it (docs/http-api.md §5).
    pub change_access: ChangeAccess,
    /// Drops an account's cached profile (docs/http-api.md §5).
    pub drop_cached_profile: DropCachedProfile,
    /// Asks for an email change (docs/http-api.md §4).
    pub request_email_change: RequestEmailChange,
    /// Spends email-change tokens (docs/http-api.md §4).
    pub confirm_email_change: ConfirmEmailChange,
    /// Deletes accounts (docs/http-api.md §4, §5).
    pub delete_account: DeleteAccount,
    /// Completes logins that wait for a second factor.
    pub verify_mfa: VerifyMfa,
    /// Lists the caller's second factors.
    pub list_factors: ListFactors,
    /// Starts TOTP enrolments.
    pub enrol_totp: EnrolTotp,
    /// Confirms TOTP enrolments.
    pub confirm_totp: ConfirmTotp,
    /// Removes one of the caller's factors.
    pub remove_factor: RemoveFactor,
    /// Replaces the caller's recovery codes.
    pub regenerate_recovery_codes: RegenerateRecoveryCodes,
    /// Removes every factor of an account, for an admin.
    pub reset_factors: ResetFactors,
}

/// The WebAuthn use cases (docs/adr/0020), built beside [`Accounts`] from the same ports and
/// policies plus [`WebAuthnPorts`].
pub struct WebAuthn {
    /// Starts registering a security key or passkey as a factor.
    pub start_registration: StartWebAuthnRegistration,
    /// Stores a registered key as an active factor.
    pub finish_registration: FinishWebAuthnRegistration,
    /// Starts the WebAuthn second step of a login.
    pub start_second_step: StartWebAuthnStep,
    /// Completes a login with an assertion.
    pub verify_second_step: VerifyWebAuthnStep,
    /// Starts a passwordless sign-in.
    pub start_sign_in: StartPasskeySignIn,
    /// Completes a passwordless sign-in.
    pub finish_sign_in: FinishPasskeySignIn,
}

impl WebAuthn {
    /// Builds every WebAuthn use case from `ports` and `webauthn` under `policies`.
    pub fn new(ports: &Ports, policies: Policies, webauthn: &WebAuthnPorts) -> Self {
        let Policies {
            sessions: policy,
            lockout,
            ..
        } = policies;
        Self {
            start_registration: StartWebAuthnRegistration::new(ports, policy, webauthn),
            finish_registration: FinishWebAuthnRegistration::new(ports, webauthn),
            start_second_step: StartWebAuthnStep::new(ports, policy, lockout, webauthn),
            verify_second_step: VerifyWebAuthnStep::new(ports, policy, lockout, webauthn),
            start_sign_in: StartPasskeySignIn::new(ports, webauthn),
            finish_sign_in: FinishPasskeySignIn::new(ports, policy, webauthn),
        }
    }
}

/// The rules the account use cases apply, each with the defaults of docs/http-api.md.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policies {
    /// Token and session lifetimes.
    pub sessions: SessionPolicy,
    /// When failed logins lock an email.
    pub lockout: LockoutPolicy,
    /// What a new password must satisfy.
    pub passwords: PasswordPolicy,
}

impl Accounts {
    /// Builds every use case from `ports` under `policies`.
    pub fn new(ports: &Ports, policies: Policies) -> Self {
        let Policies {
            sessions: policy,
            lockout,
            passwords,
        } = policies;
        Self {
            signup: Signup::new(ports, passwords),
            login: Login::new(ports, policy, lockout),
            refresh: Refresh::new(ports, policy),
            logout: Logout::new(ports, policy),
            logout_all: LogoutAll::new(ports, policy),
            authenticate: Authenticate::new(ports, policy),
            introspect: Introspect::new(ports, policy),
            authorize: Authorize::new(ports),
            get_profile: GetProfile::new(ports),
            update_profile: UpdateProfile::new(ports),
            list_sessions: ListSessions::new(ports),
            revoke_session: RevokeSession::new(ports, policy),
            change_password: ChangePassword::new(ports, policy, passwords),
            verify_email: VerifyEmail::new(ports),
            resend_verification: ResendVerification::new(ports),
            forgot_password: ForgotPassword::new(ports),
            reset_password: ResetPassword::new(ports, policy, passwords),
            list_users: ListUsers::new(ports),
            change_access: ChangeAccess::new(ports, policy),
            drop_cached_profile: DropCachedProfile::new(ports),
            request_email_change: RequestEmailChange::new(ports, policy),
            confirm_email_change: ConfirmEmailChange::new(ports),
            delete_account: DeleteAccount::new(ports, policy),
            verify_mfa: VerifyMfa::new(ports, policy, lockout),
            list_factors: ListFactors::new(ports),
            enrol_totp: EnrolTotp::new(ports, policy),
            confirm_totp: ConfirmTotp::new(ports),
            remove_factor: RemoveFactor::new(ports, policy),
            regenerate_recovery_codes: RegenerateRecoveryCodes::new(ports, policy),
            reset_factors: ResetFactors::new(ports),
        }
    }
}

/// What sign-in with external providers draws on besides [`Ports`].
#[derive(Clone)]
pub struct FederationPorts {
    /// The configured OpenID providers.
    pub providers: Arc<dyn IdentityProviders>,
    /// Pending sign-ins and one-time login codes.
    pub grants: Arc<dyn SignInGrants>,
    /// Linked identities.
    pub identities: Arc<dyn IdentityRepo>,
}

/// Where a sign-in through a provider may come back to, and where its callback lives.
#[derive(Clone, Debug)]
pub struct FederationSettings {
    /// The prefixes `redirectTo` must start with (`OAUTH_REDIRECT_ALLOWLIST`).
    pub allow_list: RedirectAllowList,
    /// The public URL the callback routes hang under (`{APP_URL}/api/v1/auth/oauth`).
    pub callback_base: String,
}

/// Sign-in with external providers and the caller's linked identities.
pub struct ExternalSignIns {
    providers: Arc<dyn IdentityProviders>,
    /// Starts sign-ins and links.
    pub start: StartSignIn,
    /// Completes them at the provider's callback.
    pub callback: CompleteSignIn,
    /// Exchanges one-time login codes for sessions.
    pub exchange: ExchangeLoginCode,
    /// Lists the caller's identities.
    pub list_identities: ListIdentities,
    /// Unlinks one of them.
    pub unlink_identity: UnlinkIdentity,
}

impl ExternalSignIns {
    /// Builds the use cases from `ports` and `federation`, issuing tokens under `policy`.
    pub fn new(
        ports: &Ports,
        federation: FederationPorts,
        settings: FederationSettings,
        policy: SessionPolicy,
    ) -> Self {
        let FederationPorts {
            providers,
            grants,
            identities,
        } = federation;
        Self {
            start: StartSignIn::new(
                providers.clone(),
                grants.clone(),
                ports.clock.clone(),
                settings.allow_list,
                settings.callback_base,
            ),
            callback: CompleteSignIn::new(
                providers.clone(),
                grants.clone(),
                identities.clone(),
                ports.users.clone(),
                ports.secrets.clone(),
                ports.clock.clone(),
            ),
            exchange: ExchangeLoginCode::new(ports, grants, policy),
            list_identities: ListIdentities::new(identities.clone()),
            unlink_identity: UnlinkIdentity::new(identities, ports.clock.clone()),
            providers,
        }
    }

    /// The configured providers, in configuration order.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        self.providers.providers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_failure_keeps_its_kind_and_its_cause() {
        let unavailable = LoginError::from(PortError::unavailable("db down"));
        let unexpected = LoginError::from(PortError::unexpected("bug"));

        assert!(
            matches!(&unavailable, LoginError::Unavailable(cause) if cause.to_string() == "db down")
        );
        assert!(matches!(&unexpected, LoginError::Unexpected(cause) if cause.to_string() == "bug"));
    }
}
