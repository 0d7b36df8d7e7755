//! Roles, ordered so that "at least manager" is a comparison.

use std::fmt;

use crate::error::FieldError;

/// A user's role. The order of the variants is the hierarchy: `User < Manager < Admin`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// An ordinary account.
    User,
    /// May read user data and manage caches (docs/http-api.md §5).
    Manager,
    /// May do everything, including changing roles.
    Admin,
}

impl Role {
    /// The wire and storage name: `user`, `manager` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Manager => "manager",
            Self::Admin => "admin",
        }
    }

    /// Parses the wire and storage name.
    ///
    /// # Errors
    /// A [`FieldError`] on `role` for any other name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "user" => Ok(Self::User),
            "manager" => Ok(Self::Manager),
            "admin" => Ok(Self::Admin),
            _ => Err(FieldError::new(
                "role",
                "must be one of user, manager, admin",
            )),
        }
    }

    /// Whether this role is `least` or above it.
    pub fn is_at_least(self, least: Role) -> bool {
        self >= least
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_orders_admin_over_manager_over_user() {
        assert!(Role::Admin.is_at_least(Role::Manager));
        assert!(Role::Manager.is_at_least(Role::Manager));
        assert!(!Role::User.is_at_least(Role::Manager));
    }

    #[test]
    fn parse_round_trips_every_role() {
        for role in [Role::User, Role::Manager, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
    }
}
