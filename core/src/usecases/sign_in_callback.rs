//! The provider's callback of a sign-in through an external provider: take the pending
//! authorization by its `state` (once), let the provider's adapter exchange the code and check
//! the ID token, decide which account the identity is, and send the browser back to where the
//! sign-in started with a one-time login code, never a token.
//!
//! Account matching (docs/http-api.md, sign-in with external providers): a known
//! (provider, subject) is its account. An unknown one creates an account without a password,
//! its email verified only when the provider asserts so, unless the email belongs to an account
//! already: then it is linked only when both sides verified that address, and refused
//! otherwise, so that nobody takes over an account by registering its address at a provider.
//! A flow its owner started to link an identity links it to that owner, unless it signs in to
//! another account.
//!
//! Once the pending authorization is known, every failure goes back to its `redirectTo` as a
//! stable `?error=` code, so the front end that started the flow can say what happened; before
//! that there is nowhere safe to send the browser, and the answer is an error of its own.

use std::sync::Arc;

use tracing::{info, instrument, warn};

use crate::domain::{
    DisplayName, Email, Event, EventData, IdentityId, NewUser, OpaqueToken, PasswordHash, Role,
    User, UserId,
};
use crate::error::BoxError;
use crate::ports::{
    AuthorizationState, Clock, CreateLinkedAccountError, ExternalIdentity, IdentityProviderError,
    IdentityProviders, IdentityRepo, LOGIN_CODE_TTL, LinkIdentityError, LinkedIdentity, LoginCode,
    OpaqueTokens, PendingSignIn, PortError, ProviderName, SignInGrants, UserRepo,
};

/// What the provider's callback brought back, as received.
#[derive(Debug, Default)]
pub struct CallbackRequest {
    /// The provider the callback's path names.
    pub provider: String,
    /// The `state` parameter.
    pub state: Option<String>,
    /// The authorization `code`, absent when the provider answered with an error.
    pub code: Option<String>,
    /// The provider's `error`, when the user declined or the provider refused the request.
    pub error: Option<String>,
}

/// Why a callback cannot send the browser anywhere: without its pending authorization there
/// is no `redirectTo` to go back to.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The `state` is missing, unknown, expired or already used (a replayed or tampered
    /// callback, or one nobody started).
    #[error("unknown sign-in state")]
    UnknownState,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Why a sign-in that reached its callback failed: the `?error=` code its `redirectTo` gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInFailure {
    /// `access_denied`: the provider answered with an error instead of a code (the user
    /// declined, or the provider refused the request).
    AccessDenied,
    /// `invalid_state`: the callback came for another provider than the one the flow started
    /// at.
    InvalidState,
    /// `code_refused`: the provider refused the authorization code (used, expired, or not
    /// issued for this flow).
    CodeRefused,
    /// `invalid_id_token`: the provider's ID token failed validation (signature, issuer,
    /// audience, expiry or nonce).
    InvalidIdToken,
    /// `provider_unavailable`: the provider could not be reached.
    ProviderUnavailable,
    /// `email_required`: the provider gave no usable email, which a new account needs.
    EmailRequired,
    /// `account_exists`: an account has the identity's email, and the address is not verified
    /// on both sides, so the identity is not linked to it.
    AccountExists,
    /// `identity_in_use`: the identity signs in to another account, so it cannot be linked to
    /// the caller's.
    IdentityInUse,
    /// `account_disabled`: an admin disabled the account the identity signs in to.
    AccountDisabled,
    /// `server_error`: a fault or an unavailable dependency on Postern's side.
    ServerError,
}

impl SignInFailure {
    /// The stable code of the `?error=` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessDenied => "access_denied",
            Self::InvalidState => "invalid_state",
            Self::CodeRefused => "code_refused",
            Self::InvalidIdToken => "invalid_id_token",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::EmailRequired => "email_required",
            Self::AccountExists => "account_exists",
            Self::IdentityInUse => "identity_in_use",
            Self::AccountDisabled => "account_disabled",
            Self::ServerError => "server_error",
        }
    }
}

/// A failure on its way to the `?error=` of the redirect, with its cause for the log.
struct Refused {
    failure: SignInFailure,
    cause: Option<BoxError>,
}

impl From<SignInFailure> for Refused {
    fn from(failure: SignInFailure) -> Self {
        Self {
            failure,
            cause: None,
        }
    }
}

impl From<PortError> for Refused {
    fn from(error: PortError) -> Self {
        Self {
            failure: SignInFailure::ServerError,
            cause: Some(error.into()),
        }
    }
}

impl From<IdentityProviderError> for Refused {
    fn from(error: IdentityProviderError) -> Self {
        let failure = match &error {
            IdentityProviderError::UnknownProvider(_) => SignInFailure::InvalidState,
            IdentityProviderError::Unreachable { .. } => SignInFailure::ProviderUnavailable,
            IdentityProviderError::CodeRefused { .. } => SignInFailure::CodeRefused,
            IdentityProviderError::TokenRefused { .. } => SignInFailure::InvalidIdToken,
            IdentityProviderError::Unexpected(_) => SignInFailure::ServerError,
        };
        Self {
            failure,
            cause: Some(error.into()),
        }
    }
}

/// How a callback that went well ends.
enum Finished {
    /// A sign-in: the code the browser exchanges for a session.
    SignedIn(OpaqueToken),
    /// A link its owner asked for.
    Linked,
}

/// Completes sign-ins (and links) at the provider's callback.
pub struct CompleteSignIn {
    providers: Arc<dyn IdentityProviders>,
    grants: Arc<dyn SignInGrants>,
    identities: Arc<dyn IdentityRepo>,
    users: Arc<dyn UserRepo>,
    secrets: Arc<dyn OpaqueTokens>,
    clock: Arc<dyn Clock>,
}

impl CompleteSignIn {
    /// Builds the use case from its ports.
    pub fn new(
        providers: Arc<dyn IdentityProviders>,
        grants: Arc<dyn SignInGrants>,
        identities: Arc<dyn IdentityRepo>,
        users: Arc<dyn UserRepo>,
        secrets: Arc<dyn OpaqueTokens>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            providers,
            grants,
            identities,
            users,
            secrets,
            clock,
        }
    }

    /// Finishes the flow of `request.state` and returns where to send the browser: its
    /// `redirectTo` with `?code=` (a sign-in), `?linked=<provider>` (a link), or `?error=`.
    ///
    /// # Errors
    /// [`CallbackError::UnknownState`] when no pending sign-in has the `state`; the storage's
    /// failures while looking for it. Nothing after that is an error: it is a redirect.
    #[instrument(skip_all, name = "complete_sign_in", fields(provider = %request.provider))]
    pub async fn execute(&self, request: CallbackRequest) -> Result<String, CallbackError> {
        let state = request
            .state
            .as_deref()
            .filter(|state| !state.is_empty())
            .ok_or(CallbackError::UnknownState)?;
        let pending = self
            .grants
            .take_pending(&AuthorizationState::new(state), self.clock.now())
            .await?
            .ok_or(CallbackError::UnknownState)?;
        let location = match self.finish(&request, &pending).await {
            Ok(Finished::SignedIn(code)) => with_query(&pending.redirect_to, "code", code.expose()),
            Ok(Finished::Linked) => with_query(
                &pending.redirect_to,
                "linked",
                pending.authorization.provider.as_str(),
            ),
            Err(refused) => {
                log_refusal(&refused);
                with_query(&pending.redirect_to, "error", refused.failure.as_str())
            }
        };
        Ok(location)
    }

    /// The identity the provider vouches for, then the sign-in or the link it completes.
    async fn finish(
        &self,
        request: &CallbackRequest,
        pending: &PendingSignIn,
    ) -> Result<Finished, Refused> {
        let code = match (&request.code, &request.error) {
            (Some(code), None) if !code.is_empty() => code,
            _ => return Err(SignInFailure::AccessDenied.into()),
        };
        if pending.authorization.provider.as_str() != request.provider {
            return Err(SignInFailure::InvalidState.into());
        }
        let identity = self
            .providers
            .complete(&request.provider, code, &pending.authorization)
            .await?;
        match pending.link_to {
            Some(owner) => {
                self.link_to_owner(owner, &identity).await?;
                Ok(Finished::Linked)
            }
            None => {
                let user = self.account_for(&identity).await?;
                if user.disabled {
                    return Err(SignInFailure::AccountDisabled.into());
                }
                Ok(Finished::SignedIn(
                    self.issue_code(user.id, &identity.provider).await?,
                ))
            }
        }
    }

    /// Links `identity` to `owner`, who started the flow signed in; an identity linked to
    /// `owner` already is fine, one of another account is refused.
    async fn link_to_owner(
        &self,
        owner: UserId,
        identity: &ExternalIdentity,
    ) -> Result<(), Refused> {
        match self
            .identities
            .find(&identity.provider, &identity.subject)
            .await?
        {
            Some(linked) if linked.user_id == owner => Ok(()),
            Some(_) => Err(SignInFailure::IdentityInUse.into()),
            None => self.link(owner, identity).await,
        }
    }

    /// The account `identity` signs in to, by the matching rules of the module's doc.
    async fn account_for(&self, identity: &ExternalIdentity) -> Result<User, Refused> {
        if let Some(user) = self.linked_account(identity).await? {
            return Ok(user);
        }
        let email = identity.email.clone().ok_or(SignInFailure::EmailRequired)?;
        if let Some(existing) = self.users.find_credentials(&email).await? {
            if !(identity.email_verified && existing.user.email_verified) {
                return Err(SignInFailure::AccountExists.into());
            }
            self.link(existing.user.id, identity).await?;
            return Ok(existing.user);
        }
        self.create_account(identity, email).await
    }

    /// The account a known identity signs in to, if it is known.
    async fn linked_account(&self, identity: &ExternalIdentity) -> Result<Option<User>, Refused> {
        let Some(linked) = self
            .identities
            .find(&identity.provider, &identity.subject)
            .await?
        else {
            return Ok(None);
        };
        match self.users.find_by_id(linked.user_id).await? {
            Some(user) => Ok(Some(user)),
            None => Err(Refused {
                failure: SignInFailure::ServerError,
                cause: Some("a linked identity's account does not exist".into()),
            }),
        }
    }

    /// Creates a password-less account for `identity`, linked to it in the same step. Losing
    /// a race to another callback of the same identity signs in to the account that one
    /// created; losing it to a signup of the same address is `account_exists`.
    async fn create_account(
        &self,
        identity: &ExternalIdentity,
        email: Email,
    ) -> Result<User, Refused> {
        let now = self.clock.now();
        let name = identity
            .name
            .as_deref()
            .and_then(|name| DisplayName::parse(name).ok());
        let user = NewUser {
            id: UserId::generate(),
            email,
            name,
            role: Role::User,
            password_hash: PasswordHash::new(String::new()),
            email_verified: identity.email_verified,
            created_at: now,
        };
        let linked = self.linked_identity(user.id, identity);
        let events = [
            Event::new(
                EventData::SignedUp {
                    email: user.email.as_str().to_owned(),
                    name: user.name.as_ref().map(|name| name.as_str().to_owned()),
                },
                Some(user.id),
                now,
            ),
            linked_event(&linked),
        ];
        match self
            .identities
            .create_account(&user, &linked, &events)
            .await
        {
            Ok(created) => Ok(created),
            Err(CreateLinkedAccountError::EmailTaken) => Err(SignInFailure::AccountExists.into()),
            Err(CreateLinkedAccountError::AlreadyLinked) => self
                .linked_account(identity)
                .await?
                .ok_or_else(|| SignInFailure::ServerError.into()),
            Err(CreateLinkedAccountError::Port(port)) => Err(port.into()),
        }
    }

    /// Links `identity` to the account `user`, with `user.identity_linked`.
    async fn link(&self, user: UserId, identity: &ExternalIdentity) -> Result<(), Refused> {
        let linked = self.linked_identity(user, identity);
        match self.identities.link(&linked, &linked_event(&linked)).await {
            Ok(()) => Ok(()),
            Err(LinkIdentityError::AlreadyLinked) => Err(SignInFailure::IdentityInUse.into()),
            // The account was deleted since the flow started.
            Err(LinkIdentityError::UnknownUser) => Err(SignInFailure::InvalidState.into()),
            Err(LinkIdentityError::Port(port)) => Err(port.into()),
        }
    }

    fn linked_identity(&self, user: UserId, identity: &ExternalIdentity) -> LinkedIdentity {
        LinkedIdentity {
            id: IdentityId::generate(),
            provider: identity.provider.clone(),
            subject: identity.subject.clone(),
            user_id: user,
            email: identity.email.clone(),
            linked_at: self.clock.now(),
        }
    }

    /// Stores a one-time login code for `user`, by its digest, for 60 seconds.
    async fn issue_code(
        &self,
        user: UserId,
        provider: &ProviderName,
    ) -> Result<OpaqueToken, Refused> {
        let code = self.secrets.generate();
        let record = LoginCode {
            digest: self.secrets.digest(&code),
            user_id: user,
            provider: provider.clone(),
            expires_at: self.clock.now() + LOGIN_CODE_TTL,
        };
        self.grants.save_code(&record).await?;
        Ok(code)
    }
}

/// The `user.identity_linked` event of `linked`.
fn linked_event(linked: &LinkedIdentity) -> Event {
    Event::new(
        EventData::IdentityLinked {
            identity_id: linked.id,
            provider: linked.provider.to_string(),
        },
        Some(linked.user_id),
        linked.linked_at,
    )
}

/// A refusal is the user's business (info); a fault on our side or at the provider is the
/// operator's (warn), with its cause.
fn log_refusal(refused: &Refused) {
    let code = refused.failure.as_str();
    match (&refused.cause, refused.failure) {
        (
            Some(cause),
            SignInFailure::ServerError
            | SignInFailure::ProviderUnavailable
            | SignInFailure::CodeRefused
            | SignInFailure::InvalidIdToken,
        ) => {
            warn!(error = %crate::error_chain(cause.as_ref()), code, "external sign-in failed");
        }
        _ => info!(code, "external sign-in refused"),
    }
}

/// `target` with `key=value` added to its query, before any fragment. The values are codes
/// and base64url tokens, which need no escaping.
fn with_query(target: &str, key: &str, value: &str) -> String {
    let (base, fragment) = match target.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (target, None),
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut location = format!("{base}{separator}{key}={value}");
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(fragment);
    }
    location
}

#[cfg(test)]
#[path = "sign_in_callback_tests.rs"]
mod tests;
