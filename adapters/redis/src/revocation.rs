//! The revocation list in Redis, shared by every instance: one key per revoked session,
//! `{prefix}revoked:session:{sessionId}`, that expires at its `until`.
//!
//! Revoking is one Lua script per session (one key each, so that it also works on a cluster),
//! sent concurrently on one connection, which fred pipelines: create the key with `PXAT until`
//! if it is missing, else push its expiry to `until` only if that is later (`PEXPIREAT … GT`).
//! In one script the two cannot be split by the key's expiry, and a second revocation never
//! shortens the first. Asking is one `EXISTS`.

use std::sync::Arc;

use async_trait::async_trait;
use fred::prelude::{KeysInterface, Pool, Value};
use futures::future::try_join_all;
use postern_core::domain::SessionId;
use postern_core::ports::PortResult;
use postern_core::ports::{Clock, RevocationList};
use time::OffsetDateTime;

use super::connect::{fail_fast, redis_error};
use super::script::LuaScript;

/// KEYS[1]: the session's entry. ARGV[1]: `until`, in Unix milliseconds.
const REVOKE: &str = r"
redis.call('SET', KEYS[1], '1', 'PXAT', ARGV[1], 'NX')
redis.call('PEXPIREAT', KEYS[1], ARGV[1], 'GT')
return 1
";

/// How many sessions one batch of revocations sends at once.
const BATCH: usize = 256;

/// Revoked sessions in Redis, each kept until its own deadline.
pub struct RedisRevocationList {
    pool: Pool,
    prefix: String,
    clock: Arc<dyn Clock>,
    script: LuaScript,
}

impl RedisRevocationList {
    /// A list on `pool` with keys under `prefix`; `clock` tells which deadlines are already
    /// past (and so need no entry).
    pub fn new(pool: Pool, prefix: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Self {
            pool,
            prefix: prefix.into(),
            clock,
            script: LuaScript::new(REVOKE),
        }
    }

    /// Now, by the clock that decides which deadlines are past.
    pub(super) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The key of `session`'s entry: `{prefix}revoked:session:{session}`.
    pub fn key(&self, session: SessionId) -> String {
        format!("{}revoked:session:{session}", self.prefix)
    }
}

#[async_trait]
impl RevocationList for RedisRevocationList {
    async fn revoke(&self, sessions: &[SessionId], until: OffsetDateTime) -> PortResult<()> {
        if until <= self.clock.now() {
            return Ok(());
        }
        let until_ms = i64::try_from(until.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let client = fail_fast(self.pool.next());
        let until = [Value::from(until_ms)];
        for batch in sessions.chunks(BATCH) {
            let calls = batch.iter().map(|session| {
                self.script
                    .run::<i64>(&client, vec![self.key(*session)], &until)
            });
            try_join_all(calls).await.map_err(redis_error)?;
        }
        Ok(())
    }

    async fn is_revoked(&self, session: SessionId) -> PortResult<bool> {
        let found: u64 = fail_fast(&self.pool)
            .exists(self.key(session))
            .await
            .map_err(redis_error)?;
        Ok(found > 0)
    }
}
