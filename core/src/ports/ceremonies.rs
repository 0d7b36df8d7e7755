//! Storage of WebAuthn ceremonies in progress (docs/adr/0020): the server's half of each
//! challenge, kept between a ceremony's start and its finish for at most
//! [`CEREMONY_TTL`], shared by every instance through the store, and taken, never read:
//! taking one removes it, so one challenge answers one ceremony even when two instances
//! receive the same answer at once.

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{CeremonyState, PortResult};
use crate::domain::{FactorName, UserId};

/// How long a started ceremony waits for its answer.
pub const CEREMONY_TTL: time::Duration = time::Duration::minutes(5);

/// What a ceremony is for. A state is taken for one purpose only, so that the answer to a
/// registration, a second step or a sign-in cannot complete another kind of ceremony.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a credential as a factor of an account.
    Registration,
    /// The WebAuthn second step of a login.
    SecondFactor,
    /// A passwordless sign-in with a discoverable credential.
    SignIn,
}

impl CeremonyPurpose {
    /// The name in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::SecondFactor => "second_factor",
            Self::SignIn => "sign_in",
        }
    }

    /// The purpose stored as `raw`, if it names one.
    pub fn from_storage(raw: &str) -> Option<Self> {
        match raw {
            "registration" => Some(Self::Registration),
            "second_factor" => Some(Self::SecondFactor),
            "sign_in" => Some(Self::SignIn),
            _ => None,
        }
    }
}

/// A ceremony started and not yet finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingCeremony {
    /// Its key: the id handed to the client (`registrationId`, `challengeId`), or for a second
    /// step the id of the login's `mfaToken`, which the client already holds.
    pub id: Uuid,
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The account it belongs to; `None` for a sign-in, which names no account until answered.
    pub user_id: Option<UserId>,
    /// The adapter's state, handed back at the finish.
    pub state: CeremonyState,
    /// For a registration, the name its owner gave the factor at the start, if any.
    pub factor_name: Option<FactorName>,
    /// When it stops being accepted.
    pub expires_at: OffsetDateTime,
}

/// Stores WebAuthn ceremonies in progress.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CeremonyStates: Send + Sync {
    /// Stores `ceremony` under its id, in place of any ceremony stored under that id before
    /// (a second step started again answers the latest challenge only), and removes the
    /// ceremonies that expired before `now`, so that abandoned ones do not pile up.
    async fn put(&self, ceremony: &PendingCeremony, now: OffsetDateTime) -> PortResult<()>;

    /// Takes the ceremony `id` for `purpose`: removes it, and returns it unless it expired
    /// before `now` or was started for another purpose.
    ///
    /// # Errors
    /// MUST return `Ok(None)` for an unknown, expired, already taken or other-purpose `id`
    /// (removing it all the same); of two takes at once, one at most returns it.
    async fn take(
        &self,
        id: Uuid,
        purpose: CeremonyPurpose,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingCeremony>>;
}
