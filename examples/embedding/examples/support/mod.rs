//! What the examples share: the composition root of a service that embeds `postern-core`
//! without a database. Each port gets an in-memory or in-process adapter; swap any field of the
//! returned [`Ports`] for your own.

use std::sync::Arc;

use postern_core::FieldError;
use postern_core::domain::{ClientContext, Email, Password};
use postern_core::ports::{
    Clock, PortResult, ProfileCache, RateLimits, RevocationList, SeparateLookups, SystemClock,
};
use postern_core::usecases::Ports;
use postern_memory::{MemoryProfileCache, MemoryRateLimiter, MemoryRevocationList, MemoryStore};
use postern_password::{Argon2Hasher, Argon2Params};
use postern_tokens::{HmacSuccessors, JwtConfig, JwtIssuer, RandomTokens};
use secrecy::SecretString;

/// Every port of the account use cases, on `store` and in-process adapters.
pub fn in_memory_ports(store: &MemoryStore, clock: Arc<dyn Clock>) -> PortResult<Ports> {
    // Cheap hashing so that the example runs in a blink; a real service keeps the defaults.
    let hasher = Argon2Hasher::new(Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })?;
    let secret = "an example secret of at least 32 bytes";
    let tokens = JwtIssuer::hs256(JwtConfig {
        secret: SecretString::from(secret),
        issuer: "example".into(),
        audience: "example".into(),
        key_id: "example-key".into(),
    })?;
    let store = Arc::new(store.clone());
    let cache: Arc<dyn ProfileCache> = Arc::new(MemoryProfileCache::new(
        MemoryProfileCache::DEFAULT_TTL,
        1_000,
    ));
    let revocations: Arc<dyn RevocationList> = Arc::new(MemoryRevocationList::new(clock.clone()));
    Ok(Ports {
        users: store.clone(),
        sessions: store.clone(),
        outbox: store.clone(),
        account_tokens: store.clone(),
        hasher: Arc::new(hasher),
        tokens: Arc::new(tokens),
        secrets: Arc::new(RandomTokens),
        successors: Arc::new(HmacSuccessors::from_secret(secret.as_bytes())),
        callers: Arc::new(SeparateLookups::new(revocations.clone(), cache.clone())),
        cache,
        revocations,
        rate_limiter: Arc::new(MemoryRateLimiter::new(RateLimits::default())?),
        strength: Arc::new(postern_password::ZxcvbnEstimator),
        factors: store,
        totp: Arc::new(postern_totp::RfcTotp::new("example")),
        secret_box: Arc::new(
            postern_tokens::AeadSecretBox::new(secret.as_bytes())
                .map_err(postern_core::ports::PortError::unexpected)?,
        ),
        clock,
    })
}

/// A store timed by the system clock, and that clock.
pub fn store() -> (MemoryStore, Arc<dyn Clock>) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    (MemoryStore::new(clock.clone()), clock)
}

/// An email, validated as the HTTP edge would.
pub fn email(raw: &str) -> Result<Email, FieldError> {
    Email::parse(raw)
}

/// A new password, validated as the HTTP edge would.
pub fn password(raw: &str) -> Result<Password, FieldError> {
    Password::parse(raw.to_owned(), "password")
}

/// A request from nowhere in particular.
pub fn client() -> ClientContext {
    ClientContext {
        ip: None,
        user_agent: Some("postern-example".into()),
    }
}
