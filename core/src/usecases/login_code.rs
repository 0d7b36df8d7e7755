//! The last step of a sign-in through an external provider: the one-time login code the
//! callback put in the browser's URL is exchanged, once and within 60 seconds, for a session
//! (or, for an account with a second factor, for the challenge a password login gets).
//!
//! The code, not a token, travels in the URL: it is useless after one exchange or a minute,
//! and the tokens go only into the exchange's response body.

use std::sync::Arc;

use tracing::instrument;

use super::Ports;
use super::login::LoginOutcome;
use super::session_start::{SecondSteps, SessionStarter};
use crate::domain::{AuthMethod, ClientContext, OpaqueToken, SessionPolicy};
use crate::error::BoxError;
use crate::ports::{Clock, OpaqueTokens, SignInGrants, UserRepo};

/// An exchange presented.
#[derive(Debug)]
pub struct ExchangeRequest {
    /// The one-time login code from the callback's redirect.
    pub code: OpaqueToken,
    /// Where the request came from.
    pub client: ClientContext,
}

/// Why an exchange started no session.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The code is unknown, already exchanged or older than 60 seconds, or its account gone.
    #[error("invalid login code")]
    InvalidCode,
    /// An admin disabled the account since its callback.
    #[error("account disabled")]
    AccountDisabled,
    /// A dependency cannot be reached; a later attempt may succeed.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a broken invariant.
    #[error("unexpected error")]
    Unexpected(#[source] BoxError),
}

/// Exchanges one-time login codes for sessions.
pub struct ExchangeLoginCode {
    grants: Arc<dyn SignInGrants>,
    users: Arc<dyn UserRepo>,
    secrets: Arc<dyn OpaqueTokens>,
    clock: Arc<dyn Clock>,
    starter: SessionStarter,
    second_steps: SecondSteps,
}

impl ExchangeLoginCode {
    /// Built from `ports` and the sign-in grants, issuing tokens under `policy`.
    pub fn new(ports: &Ports, grants: Arc<dyn SignInGrants>, policy: SessionPolicy) -> Self {
        Self {
            grants,
            users: ports.users.clone(),
            secrets: ports.secrets.clone(),
            clock: ports.clock.clone(),
            starter: SessionStarter::new(ports, policy),
            second_steps: SecondSteps::new(ports),
        }
    }

    /// Takes the code and starts its account's session (`amr` `["fed"]`, `user.logged_in`
    /// naming the provider), or answers the second step an account with a factor needs.
    ///
    /// # Errors
    /// [`ExchangeError::InvalidCode`] for a code that does not work; it is spent by its first
    /// exchange, whatever that exchange's outcome. [`ExchangeError::AccountDisabled`] for an
    /// account disabled since.
    #[instrument(skip_all, name = "exchange_login_code")]
    pub async fn execute(&self, request: ExchangeRequest) -> Result<LoginOutcome, ExchangeError> {
        let digest = self.secrets.digest(&request.code);
        let code = self
            .grants
            .take_code(&digest, self.clock.now())
            .await?
            .ok_or(ExchangeError::InvalidCode)?;
        let user = self
            .users
            .find_by_id(code.user_id)
            .await?
            .ok_or(ExchangeError::InvalidCode)?;
        if user.disabled {
            return Err(ExchangeError::AccountDisabled);
        }
        let factors = self.second_steps.active_kinds(user.id).await?;
        if !factors.is_empty() {
            let challenge = self
                .second_steps
                .challenge(user.id, factors, Some(&code.provider))
                .await?;
            return Ok(LoginOutcome::MfaRequired(challenge));
        }
        let tokens = self
            .starter
            .start(
                &user,
                request.client,
                AuthMethod::FEDERATED,
                Some(&code.provider),
            )
            .await?;
        Ok(LoginOutcome::Session { user, tokens })
    }
}

#[cfg(test)]
#[path = "login_code_tests.rs"]
mod tests;
