//! The profile cache of docs/http-api.md §4 in Redis: `{prefix}user:profile:v1:{userId}`, JSON, 600
//! s by default.
//!
//! The domain's `User` has no serde on purpose, so a private DTO crosses the wire and is parsed
//! back through the domain's constructors. The `v1` in the key is the DTO's version: a change
//! of its shape must bump it, and entries of the old shape are then plain misses.
//!
//! A put is one Lua script that writes only when the cached entry is not newer: the DTO carries
//! `version`, the profile's `updated_at` in Unix microseconds (exact in Lua's doubles until the
//! year 2255), which the script reads from the cached JSON with `cjson`. An entry without one,
//! written before versions existed, is always replaced.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{ClientLike, KeysInterface, Pool, Value};
use fred::types::scan::Scanner;
use futures::StreamExt;
use futures::future::try_join_all;
use postern_core::domain::{DisplayName, Email, Role, User, UserId};
use postern_core::ports::ProfileCache;
use postern_core::ports::{PortError, PortResult};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::connect::{fail_fast, redis_error};
use super::script::LuaScript;

/// KEYS[1]: the profile's entry. ARGV[1]: the new version; ARGV[2]: the new entry; ARGV[3]: the
/// time to live in milliseconds. Writes unless the cached entry has a later version; 1 if it
/// wrote.
const PUT_IF_NOT_OLDER: &str = r"
local cached = redis.call('GET', KEYS[1])
if cached then
  local ok, entry = pcall(cjson.decode, cached)
  if ok and type(entry) == 'table' and type(entry.version) == 'number'
      and entry.version > tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
";

/// How many keys one `SCAN` step asks for when flushing.
const SCAN_COUNT: u32 = 500;

/// Profiles cached in Redis, shared by every instance.
#[derive(Clone)]
pub struct RedisProfileCache {
    pool: Pool,
    prefix: String,
    ttl: Duration,
    put_script: Arc<LuaScript>,
}

impl RedisProfileCache {
    /// The time to live docs/http-api.md §4 prescribes.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(600);

    /// A cache on `pool` whose keys start with `prefix` (empty in production, unique per test)
    /// and live for `ttl` (at least one second).
    pub fn new(pool: Pool, prefix: impl Into<String>, ttl: Duration) -> Self {
        Self {
            pool,
            prefix: prefix.into(),
            ttl,
            put_script: Arc::new(LuaScript::new(PUT_IF_NOT_OLDER)),
        }
    }

    /// The key of `id`'s profile: `{prefix}user:profile:v1:{id}`.
    pub fn key(&self, id: UserId) -> String {
        format!("{}user:profile:v1:{id}", self.prefix)
    }

    /// A cached entry, re-validated through the domain's constructors.
    pub(crate) fn decode(json: &str) -> PortResult<User> {
        CachedProfile::decode(json)
    }

    /// Deletes every cached profile under this prefix (`SCAN` + `UNLINK`, a page at a time;
    /// on a cluster, `SCAN` on every primary), and returns how many keys it deleted: after an
    /// outage, entries whose invalidation was skipped must not be served.
    ///
    /// Each key is unlinked by a command of its own, all of a page sent at once: on a cluster
    /// the keys of one page lie in many hash slots, which one `UNLINK` cannot span.
    ///
    /// # Errors
    /// [`PortError::Unavailable`] when Redis fails; the keys deleted so far stay deleted.
    pub async fn flush(&self) -> PortResult<u64> {
        let pattern = format!("{}user:profile:v1:*", glob_escape(&self.prefix));
        let client = self.pool.next();
        let mut pages = if client.is_clustered() {
            client.scan_cluster(pattern, Some(SCAN_COUNT), None).boxed()
        } else {
            client.scan(pattern, Some(SCAN_COUNT), None).boxed()
        };
        let unlinker = fail_fast(client);
        let mut deleted = 0;
        while let Some(page) = pages.next().await {
            let mut page = page.map_err(redis_error)?;
            let keys = page.take_results().unwrap_or_default();
            let unlinked: Vec<u64> = try_join_all(keys.into_iter().map(|key| unlinker.unlink(key)))
                .await
                .map_err(redis_error)?;
            deleted += unlinked.iter().sum::<u64>();
            page.next();
        }
        Ok(deleted)
    }
}

#[async_trait]
impl ProfileCache for RedisProfileCache {
    async fn get(&self, id: UserId) -> PortResult<Option<User>> {
        let cached: Option<String> = fail_fast(&self.pool)
            .get(self.key(id))
            .await
            .map_err(redis_error)?;
        cached.as_deref().map(CachedProfile::decode).transpose()
    }

    async fn put(&self, user: &User) -> PortResult<()> {
        let json = CachedProfile::encode(user)?;
        let ttl_ms = i64::try_from(self.ttl.as_millis().max(1000)).unwrap_or(i64::MAX);
        let args = [
            Value::from(version(user.updated_at)),
            Value::from(json),
            Value::from(ttl_ms),
        ];
        let _: i64 = self
            .put_script
            .run(&fail_fast(self.pool.next()), vec![self.key(user.id)], &args)
            .await
            .map_err(redis_error)?;
        Ok(())
    }

    async fn invalidate(&self, id: UserId) -> PortResult<()> {
        let _: u64 = fail_fast(&self.pool)
            .unlink(self.key(id))
            .await
            .map_err(redis_error)?;
        Ok(())
    }
}

/// A profile's version: its `updated_at` in Unix microseconds.
fn version(updated_at: OffsetDateTime) -> i64 {
    i64::try_from(updated_at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// `prefix` with the characters `SCAN MATCH` gives a meaning escaped.
fn glob_escape(prefix: &str) -> String {
    let mut escaped = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A cached profile as stored: the docs/http-api.md §4 user, with plain types.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedProfile {
    id: Uuid,
    email: String,
    name: Option<String>,
    role: String,
    email_verified: bool,
    /// Absent from entries written before accounts could be disabled, which were enabled; so
    /// the key's version stays `v1`.
    #[serde(default)]
    disabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    /// `updated_at` as a number, for the put script to compare. Absent from entries written
    /// before puts compared versions, which any put replaces; so the key's version stays `v1`.
    #[serde(default)]
    version: i64,
}

/// A cached value that is not a profile of this version: a bug or a foreign writer.
#[derive(Debug, thiserror::Error)]
#[error("cached profile is invalid: {0}")]
struct InvalidProfile(String);

impl CachedProfile {
    fn encode(user: &User) -> PortResult<String> {
        let dto = Self {
            id: user.id.as_uuid(),
            email: user.email.as_str().to_owned(),
            name: user.name.as_ref().map(|n| n.as_str().to_owned()),
            role: user.role.as_str().to_owned(),
            email_verified: user.email_verified,
            disabled: user.disabled,
            created_at: user.created_at,
            updated_at: user.updated_at,
            version: version(user.updated_at),
        };
        serde_json::to_string(&dto).map_err(PortError::unexpected)
    }

    /// The profile, re-validated through the domain's constructors.
    fn decode(json: &str) -> PortResult<User> {
        let invalid = |reason: String| PortError::unexpected(InvalidProfile(reason));
        let dto: Self = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
        Ok(User {
            id: UserId::from_uuid(dto.id),
            email: Email::parse(&dto.email).map_err(|e| invalid(e.message))?,
            name: dto
                .name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()
                .map_err(|e| invalid(e.message))?,
            role: Role::parse(&dto.role).map_err(|e| invalid(e.message))?,
            email_verified: dto.email_verified,
            disabled: dto.disabled,
            created_at: dto.created_at,
            updated_at: dto.updated_at,
        })
    }
}
