//! Domain events (docs/http-api.md §7): written to the outbox in the same transaction as the change
//! they describe, then delivered at least once. This is the one domain type with serde derives,
//! because its serialised form is the contract that stream consumers read.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{EventId, FactorId, IdentityId, SessionId, UserId};

/// The schema version of every event written today.
pub const EVENT_VERSION: u16 = 1;

/// The types of the events whose address is kept only until they are delivered
/// ([`EventData::keeps_address_until_delivered`]), for adapters that select them by type.
pub const ADDRESS_KEPT_UNTIL_DELIVERED: [&str; 1] = ["user.deletion_notice"];

/// What an address reads as in a stored event about a deleted account (docs/adr/0016): not an
/// address, so that no mail can go to it.
pub const ERASED_EMAIL: &str = "erased";

/// An event: `{id, type, version, occurredAt, userId, data}` on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// A UUIDv7, unique per event; consumers deduplicate by it.
    pub id: Uuid,
    /// The event's type (`type`) and payload (`data`).
    #[serde(flatten)]
    pub data: EventData,
    /// The schema version, [`EVENT_VERSION`].
    pub version: u16,
    /// When the change happened.
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// The user the change concerns, when there is one.
    pub user_id: Option<Uuid>,
}

impl Event {
    /// A new event about `user` (if any), happening `at`.
    pub fn new(data: EventData, user: Option<UserId>, at: OffsetDateTime) -> Self {
        Self {
            id: EventId::generate().as_uuid(),
            data,
            version: EVENT_VERSION,
            occurred_at: at,
            user_id: user.map(|u| u.as_uuid()),
        }
    }

    /// The event's identifier.
    pub fn event_id(&self) -> EventId {
        EventId::from_uuid(self.id)
    }
}

/// Why a login failed, as recorded in `user.login_failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginFailure {
    /// No account has this email.
    UnknownEmail,
    /// The password did not match.
    WrongPassword,
    /// The password matched, but an admin has disabled the account.
    AccountDisabled,
    /// The password matched, and the second factor's code was wrong, replayed or an unknown
    /// recovery code.
    WrongMfaCode,
}

/// The type and payload of an event. Field names are camelCase on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum EventData {
    /// `user.signed_up`: a new account; the welcome mail goes out from it.
    #[serde(rename = "user.signed_up")]
    SignedUp {
        /// The new account's email.
        email: String,
        /// Its display name.
        name: Option<String>,
    },
    /// `user.logged_in`: a session started.
    #[serde(rename = "user.logged_in")]
    LoggedIn {
        /// The new session.
        session_id: SessionId,
        /// The client's address.
        ip: Option<String>,
        /// The client's user agent.
        user_agent: Option<String>,
        /// The external provider the user signed in through; absent for a password login.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    /// `user.login_failed`: a login was refused.
    #[serde(rename = "user.login_failed")]
    LoginFailed {
        /// The email that was tried.
        email: String,
        /// Why it was refused.
        reason: LoginFailure,
        /// The client's address.
        ip: Option<String>,
    },
    /// `user.logged_out`: sessions were ended by their user.
    #[serde(rename = "user.logged_out")]
    LoggedOut {
        /// The sessions named by the request: the caller's, and the one of a refresh token
        /// sent along with it. Empty when a password change ended the user's other sessions:
        /// that request names none, and which ones were live is settled only inside the
        /// revoking transaction.
        session_ids: Vec<SessionId>,
        /// Whether every session of the user was ended (logout-all).
        all_sessions: bool,
    },
    /// `session.reuse_detected`: a used refresh token came back; the session is revoked.
    #[serde(rename = "session.reuse_detected")]
    ReuseDetected {
        /// The revoked session.
        session_id: SessionId,
        /// The client that presented the token.
        ip: Option<String>,
    },
    /// `user.password_changed`: the password was changed by its user; a notice goes to the
    /// account's address, so that an owner who did not do it learns of it.
    #[serde(rename = "user.password_changed")]
    PasswordChanged {
        /// The account's email, where the notice goes.
        email: String,
    },
    /// `user.email_verification_requested`: the user asked for a new verification link; the
    /// mail handler issues the token, so that no token travels in an event.
    #[serde(rename = "user.email_verification_requested")]
    EmailVerificationRequested {
        /// The address to verify, where the link goes.
        email: String,
    },
    /// `user.email_verified`: the user proved the address is theirs.
    #[serde(rename = "user.email_verified")]
    EmailVerified {
        /// The verified address.
        email: String,
    },
    /// `user.password_reset_requested`: someone asked to reset the account's password; the
    /// mail handler issues the token and mails it to the account's address.
    #[serde(rename = "user.password_reset_requested")]
    PasswordResetRequested {
        /// The account's email, where the link goes.
        email: String,
    },
    /// `user.profile_updated`: the profile changed.
    #[serde(rename = "user.profile_updated")]
    ProfileUpdated {
        /// The new display name.
        name: Option<String>,
    },
    /// `user.role_changed`: an admin (or an operator at the command line) changed the role.
    #[serde(rename = "user.role_changed")]
    RoleChanged {
        /// The role before (`user`, `manager` or `admin`).
        from: String,
        /// The role after.
        to: String,
        /// The admin who changed it; `None` for the command line.
        changed_by: Option<UserId>,
    },
    /// `user.disabled`: an admin disabled the account and ended every session of it, or enabled it
    /// again (`disabled: false`; docs/http-api.md §7 names no separate type for that). Which
    /// sessions were live is settled only inside the transaction that revokes them, so they are not
    /// listed.
    #[serde(rename = "user.disabled")]
    Disabled {
        /// Whether the account is disabled now.
        disabled: bool,
        /// The admin who changed it.
        changed_by: Option<UserId>,
    },
    /// `user.email_change_requested`: the user asked to move the account to a new address; the
    /// mail handler issues the token and mails the link to the new address, and a notice to the
    /// current one, so that an owner who did not ask learns of it.
    #[serde(rename = "user.email_change_requested")]
    EmailChangeRequested {
        /// The new address, where the link goes.
        email: String,
        /// The account's current address, where the notice goes.
        previous_email: String,
    },
    /// `user.email_changed`: the user proved the new address theirs; it replaced the old one
    /// and counts as verified.
    #[serde(rename = "user.email_changed")]
    EmailChanged {
        /// The new address.
        email: String,
        /// The address it replaced.
        previous_email: String,
    },
    /// `user.deletion_notice`: the account is being deleted; the mail handler sends the notice
    /// to the address it had. Written just before `user.deleted`, in the same transaction.
    #[serde(rename = "user.deletion_notice")]
    DeletionNotice {
        /// The address the account had, where the notice goes.
        email: String,
    },
    /// `user.deleted`: the account's personal data is erased and every session ended. It
    /// carries no address: the audit log keeps the account's id only.
    #[serde(rename = "user.deleted")]
    Deleted {
        /// The admin who deleted it; `None` when the user did.
        deleted_by: Option<UserId>,
    },
    /// `user.identity_linked`: an identity at an external provider now signs in to the
    /// account.
    #[serde(rename = "user.identity_linked")]
    IdentityLinked {
        /// The linked identity.
        identity_id: IdentityId,
        /// The provider's name.
        provider: String,
    },
    /// `user.identity_unlinked`: an identity at an external provider no longer signs in to
    /// the account.
    #[serde(rename = "user.identity_unlinked")]
    IdentityUnlinked {
        /// The identity that was linked.
        identity_id: IdentityId,
        /// The provider's name.
        provider: String,
    },
    /// `user.mfa_enabled`: a second factor was confirmed; logins now ask for it.
    #[serde(rename = "user.mfa_enabled")]
    MfaEnabled {
        /// The account's email, where the notice goes.
        email: String,
        /// The factor.
        factor_id: FactorId,
        /// Its kind: `totp` or `webauthn`.
        kind: String,
    },
    /// `user.mfa_disabled`: a factor was removed by its owner, or every factor by an admin.
    #[serde(rename = "user.mfa_disabled")]
    MfaDisabled {
        /// The account's email, where the notice goes.
        email: String,
        /// The factor removed; `None` when an admin removed every factor.
        factor_id: Option<FactorId>,
        /// The admin who removed every factor; `None` when the owner removed one.
        reset_by: Option<UserId>,
    },
    /// `user.recovery_code_used`: a recovery code completed a login and is spent.
    #[serde(rename = "user.recovery_code_used")]
    RecoveryCodeUsed {
        /// The account's email, where the notice goes.
        email: String,
    },
}

impl EventData {
    /// The docs/http-api.md §7 type name, e.g. `user.signed_up`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::SignedUp { .. } => "user.signed_up",
            Self::LoggedIn { .. } => "user.logged_in",
            Self::LoginFailed { .. } => "user.login_failed",
            Self::LoggedOut { .. } => "user.logged_out",
            Self::ReuseDetected { .. } => "session.reuse_detected",
            Self::PasswordChanged { .. } => "user.password_changed",
            Self::EmailVerificationRequested { .. } => "user.email_verification_requested",
            Self::EmailVerified { .. } => "user.email_verified",
            Self::PasswordResetRequested { .. } => "user.password_reset_requested",
            Self::ProfileUpdated { .. } => "user.profile_updated",
            Self::RoleChanged { .. } => "user.role_changed",
            Self::Disabled { .. } => "user.disabled",
            Self::EmailChangeRequested { .. } => "user.email_change_requested",
            Self::EmailChanged { .. } => "user.email_changed",
            Self::DeletionNotice { .. } => "user.deletion_notice",
            Self::Deleted { .. } => "user.deleted",
            Self::IdentityLinked { .. } => "user.identity_linked",
            Self::IdentityUnlinked { .. } => "user.identity_unlinked",
            Self::MfaEnabled { .. } => "user.mfa_enabled",
            Self::MfaDisabled { .. } => "user.mfa_disabled",
            Self::RecoveryCodeUsed { .. } => "user.recovery_code_used",
        }
    }

    /// Replaces every address the event carries by [`ERASED_EMAIL`] and clears every display
    /// name, as an account's deletion does to the events stored about it (docs/adr/0016).
    pub fn erase_personal_data(&mut self) {
        match self {
            Self::SignedUp { email, name } => {
                erase(email);
                *name = None;
            }
            Self::ProfileUpdated { name } => *name = None,
            Self::LoginFailed { email, .. }
            | Self::PasswordChanged { email }
            | Self::EmailVerificationRequested { email }
            | Self::EmailVerified { email }
            | Self::PasswordResetRequested { email }
            | Self::DeletionNotice { email }
            | Self::MfaEnabled { email, .. }
            | Self::MfaDisabled { email, .. }
            | Self::RecoveryCodeUsed { email } => erase(email),
            Self::EmailChangeRequested {
                email,
                previous_email,
            }
            | Self::EmailChanged {
                email,
                previous_email,
            } => {
                erase(email);
                erase(previous_email);
            }
            Self::LoggedIn { .. }
            | Self::LoggedOut { .. }
            | Self::ReuseDetected { .. }
            | Self::RoleChanged { .. }
            | Self::Disabled { .. }
            | Self::Deleted { .. }
            | Self::IdentityLinked { .. }
            | Self::IdentityUnlinked { .. } => {}
        }
    }

    /// Whether the event carries an erased address: a mail it would send has nowhere to go.
    pub fn is_erased(&self) -> bool {
        match self {
            Self::SignedUp { email, .. }
            | Self::LoginFailed { email, .. }
            | Self::PasswordChanged { email }
            | Self::EmailVerificationRequested { email }
            | Self::EmailVerified { email }
            | Self::PasswordResetRequested { email }
            | Self::DeletionNotice { email }
            | Self::EmailChangeRequested { email, .. }
            | Self::EmailChanged { email, .. }
            | Self::MfaEnabled { email, .. }
            | Self::MfaDisabled { email, .. }
            | Self::RecoveryCodeUsed { email } => email == ERASED_EMAIL,
            Self::LoggedIn { .. }
            | Self::LoggedOut { .. }
            | Self::ReuseDetected { .. }
            | Self::ProfileUpdated { .. }
            | Self::RoleChanged { .. }
            | Self::Disabled { .. }
            | Self::Deleted { .. }
            | Self::IdentityLinked { .. }
            | Self::IdentityUnlinked { .. } => false,
        }
    }

    /// Whether the event's address is kept only until the event is delivered: the notice of a
    /// deletion, which must reach the address the account had, though the account is already
    /// erased. Outboxes erase it when they mark it published, and the audit log records it
    /// erased.
    pub fn keeps_address_until_delivered(&self) -> bool {
        ADDRESS_KEPT_UNTIL_DELIVERED.contains(&self.type_name())
    }

    /// Whether the event sends mail, and so belongs on the `email-events` stream too.
    pub fn sends_mail(&self) -> bool {
        matches!(
            self,
            Self::SignedUp { .. }
                | Self::PasswordChanged { .. }
                | Self::EmailVerificationRequested { .. }
                | Self::PasswordResetRequested { .. }
                | Self::EmailChangeRequested { .. }
                | Self::DeletionNotice { .. }
                | Self::MfaEnabled { .. }
                | Self::MfaDisabled { .. }
                | Self::RecoveryCodeUsed { .. }
        )
    }
}

fn erase(email: &mut String) {
    ERASED_EMAIL.clone_into(email);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_contract_shape() {
        let user = UserId::generate();
        let event = Event::new(
            EventData::SignedUp {
                email: "ada@example.com".into(),
                name: None,
            },
            Some(user),
            OffsetDateTime::UNIX_EPOCH,
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "user.signed_up");
        assert_eq!(json["version"], 1);
        assert_eq!(json["occurredAt"], "1970-01-01T00:00:00Z");
        assert_eq!(json["userId"], user.to_string());
        assert_eq!(json["data"]["email"], "ada@example.com");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn type_name_matches_the_serialised_tag() {
        let data = EventData::LoggedOut {
            session_ids: vec![SessionId::generate()],
            all_sessions: false,
        };
        let json = serde_json::to_value(&data).unwrap();
        assert_eq!(json["type"], data.type_name());
        assert!(json["data"]["sessionIds"].is_array());
    }

    #[test]
    fn erasing_replaces_every_address_and_name_and_keeps_the_rest() {
        let mut changed = EventData::EmailChanged {
            email: "new@example.com".into(),
            previous_email: "old@example.com".into(),
        };
        let mut signed_up = EventData::SignedUp {
            email: "ada@example.com".into(),
            name: Some("Ada".into()),
        };
        let mut role = EventData::RoleChanged {
            from: "user".into(),
            to: "admin".into(),
            changed_by: None,
        };
        let before = role.clone();

        for data in [&mut changed, &mut signed_up, &mut role] {
            data.erase_personal_data();
        }

        let text = format!("{changed:?}{signed_up:?}");
        assert!(
            !text.contains("example.com") && !text.contains("Ada"),
            "{text}"
        );
        assert!(changed.is_erased() && signed_up.is_erased());
        assert_eq!(role, before);
        assert!(!role.is_erased());
    }
}
