//! Identifiers. Distinct types so that a session id can never be passed where a user id belongs.
//! They carry serde derives because they appear inside events; a UUID has no further invariant.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) identifier.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an identifier read from storage or a verified token.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// Parses the hyphenated text form.
            ///
            /// # Errors
            /// `None` when `raw` is not a UUID.
            pub fn parse(raw: &str) -> Option<Self> {
                Uuid::parse_str(raw).ok().map(Self)
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

uuid_id!(
    /// Identifies a user account.
    UserId
);
uuid_id!(
    /// Identifies a session: one login and the chain of refresh tokens rotated from it.
    SessionId
);
uuid_id!(
    /// Identifies one refresh token within its session.
    RefreshTokenId
);
uuid_id!(
    /// Identifies an external identity linked to an account.
    IdentityId
);
uuid_id!(
    /// Identifies an event (docs/http-api.md §7); consumers deduplicate by it.
    EventId
);
uuid_id!(
    /// Identifies one second factor of an account (docs/http-api.md, multi-factor
    /// authentication).
    FactorId
);
