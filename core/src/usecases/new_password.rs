//! The check every new password passes before it is hashed: the operator's
//! [`PasswordPolicy`] (docs/http-api.md §2), shared by signup, reset and change.

use std::sync::Arc;

use super::Ports;
use crate::domain::{Password, PasswordPolicy};
use crate::error::FieldError;
use crate::ports::StrengthEstimator;

/// The policy and the estimator it may ask.
pub(super) struct NewPasswordRule {
    policy: PasswordPolicy,
    estimator: Arc<dyn StrengthEstimator>,
}

impl NewPasswordRule {
    pub(super) fn new(ports: &Ports, policy: PasswordPolicy) -> Self {
        Self {
            policy,
            estimator: ports.strength.clone(),
        }
    }

    /// Checks `password`, given as `field`, against the policy; `user_inputs` (the account's
    /// email and name) are what a guesser would try first.
    pub(super) fn check(
        &self,
        password: &Password,
        field: &str,
        user_inputs: &[String],
    ) -> Result<(), FieldError> {
        self.policy.check(password, field, || {
            self.estimator.estimate(password, user_inputs)
        })
    }
}
