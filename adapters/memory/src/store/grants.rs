//! [`SignInGrants`] in memory: taking a grant removes it under the store's lock, so it is
//! found once.

use async_trait::async_trait;
use postern_core::domain::TokenDigest;
use postern_core::ports::{AuthorizationState, LoginCode, PendingSignIn, PortResult, SignInGrants};
use time::OffsetDateTime;

use super::MemoryStore;

#[async_trait]
impl SignInGrants for MemoryStore {
    async fn save_pending(&self, pending: &PendingSignIn) -> PortResult<()> {
        let state = pending.authorization.state.as_str().to_owned();
        self.lock().pending_sign_ins.insert(state, pending.clone());
        Ok(())
    }

    async fn take_pending(
        &self,
        state: &AuthorizationState,
        now: OffsetDateTime,
    ) -> PortResult<Option<PendingSignIn>> {
        let taken = self.lock().pending_sign_ins.remove(state.as_str());
        Ok(taken.filter(|pending| pending.expires_at >= now))
    }

    async fn save_code(&self, code: &LoginCode) -> PortResult<()> {
        let digest = code.digest.as_str().to_owned();
        self.lock().login_codes.insert(digest, code.clone());
        Ok(())
    }

    async fn take_code(
        &self,
        digest: &TokenDigest,
        now: OffsetDateTime,
    ) -> PortResult<Option<LoginCode>> {
        let taken = self.lock().login_codes.remove(digest.as_str());
        Ok(taken.filter(|code| code.expires_at >= now))
    }
}
