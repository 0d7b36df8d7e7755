//! [`SignInGrants`] in the `pending_sign_ins` and `login_codes` tables. A take reads the row,
//! then deletes it by its key; only the taker whose delete removed the row gets it, so a grant
//! taken twice at once, by one instance or two, is found once.

use async_trait::async_trait;
use postern_core::domain::{TokenDigest, UserId};
use postern_core::ports::{
    AuthorizationState, LoginCode, Nonce, PendingAuthorization, PendingSignIn, PkceVerifier,
    PortResult, ProviderName, SignInGrants,
};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use time::OffsetDateTime;

use super::entities::{login_codes, pending_sign_ins};
use super::error::{db_error, invalid_row};
use super::timestamps::stored;

/// Pending sign-ins and login codes on `db`, which must be migrated.
#[derive(Clone)]
pub struct SeaSignInGrants {
    db: DatabaseConnection,
}

impl SeaSignInGrants {
    /// The grants on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SignInGrants for SeaSignInGrants {
    async fn save_pending(&self, pending: &PendingSignIn) -> PortResult<()> {
        let authorization = &pending.authorization;
        let row = pending_sign_ins::ActiveModel {
            state: Set(authorization.state.as_str().to_owned()),
            provider: Set(authorization.provider.as_str().to_owned()),
            nonce: Set(authorization.nonce.as_str().to_owned()),
            pkce_verifier: Set(authorization.pkce_verifier.expose().to_owned()),
            redirect_uri: Set(authorization.redirect_uri.clone()),
            redirect_to: Set(pending.redirect_to.clone()),
            link_to: Set(pending.link_to.map(|user| user.as_uuid())),
            expires_at: Set(stored(pending.expires_at)),
        };
        pending_sign_ins::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn take_pending(
        &self,
        state: &AuthorizationState,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingSignIn>> {
        let key = state.as_str().to_owned();
        let Some(row) = pending_sign_ins::Entity::find_by_id(key.clone())
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let deleted = pending_sign_ins::Entity::delete_by_id(key)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        if deleted.rows_affected == 0 || row.expires_at < now {
            return Ok(None);
        }
        to_pending(row).map(Some)
    }

    async fn save_code(&self, code: &LoginCode) -> PortResult<()> {
        let row = login_codes::ActiveModel {
            digest: Set(code.digest.as_str().to_owned()),
            user_id: Set(code.user_id.as_uuid()),
            provider: Set(code.provider.as_str().to_owned()),
            expires_at: Set(stored(code.expires_at)),
        };
        login_codes::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn take_code(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> PortResult<Option<LoginCode>> {
        let key = digest.as_str().to_owned();
        let Some(row) = login_codes::Entity::find_by_id(key.clone())
            .one(&self.db)
            .await
            .map_err(db_error)?
        else {
            return Ok(None);
        };
        let deleted = login_codes::Entity::delete_by_id(key)
            .exec(&self.db)
            .await
            .map_err(db_error)?;
        if deleted.rows_affected == 0 || row.expires_at < now {
            return Ok(None);
        }
        Ok(Some(LoginCode {
            digest: TokenDigest::new(row.digest),
            user_id: UserId::from_uuid(row.user_id),
            provider: provider(&row.provider, "login_codes.provider")?,
            expires_at: row.expires_at,
        }))
    }
}

fn provider(raw: &str, column: &'static str) -> PortResult<ProviderName> {
    ProviderName::parse(raw).map_err(|e| invalid_row(column, e.to_string()))
}

/// The domain's pending sign-in from a row.
fn to_pending(row: pending_sign_ins::Model) -> PortResult<PendingSignIn> {
    Ok(PendingSignIn {
        authorization: PendingAuthorization {
            provider: provider(&row.provider, "pending_sign_ins.provider")?,
            state: AuthorizationState::new(row.state),
            nonce: Nonce::new(row.nonce),
            pkce_verifier: PkceVerifier::new(row.pkce_verifier),
            redirect_uri: row.redirect_uri,
        },
        redirect_to: row.redirect_to,
        link_to: row.link_to.map(UserId::from_uuid),
        expires_at: row.expires_at,
    })
}
