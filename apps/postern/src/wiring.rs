//! The composition root: the one place that picks adapters from configuration. Everything else
//! speaks in ports.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use postern_adapters::crypto::{Argon2Hasher, JwtConfig, JwtIssuer, RandomTokens};
use postern_adapters::db::{self, AuditLogHandler, SeaOutbox, SeaSessionRepo, SeaUserRepo};
use postern_adapters::events::{ConsoleMailer, InProcessPublisher};
use postern_adapters::memory::{
    MemoryProfileCache, MemoryRateLimiter, MemoryRevocationList, SystemClock,
};
use postern_core::ports::{Clock, OpaqueTokens, RevocationList, SessionRepo};
use postern_core::usecases::{Accounts, DeliverEvents, Ports};
use postern_migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use tracing::{info, warn};

use crate::config::{Config, JwtSecret, MAX_ACCESS_TTL};
use crate::http::{AppState, ReadinessProbe};

/// How long a profile stays cached (§4).
const PROFILE_TTL: Duration = Duration::from_secs(600);
/// How many profiles the in-process cache holds at most.
const PROFILE_CACHE_ENTRIES: u64 = 100_000;
/// How many events one delivery batch takes from the outbox.
const DELIVERY_BATCH: u64 = 100;
/// The file, in the data directory, that keeps the generated development secret.
const DEV_SECRET_FILE: &str = "jwt-secret";

/// A wired application: the HTTP state and the event delivery that runs beside it.
pub struct Components {
    /// What the handlers share.
    pub state: Arc<AppState>,
    /// Moves outbox events to their handlers.
    pub delivery: DeliverEvents,
}

/// Connects to the configured database, migrating it when configured to.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = match &config.database_url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating the data directory {}", config.data_dir.display())
            })?;
            format!(
                "sqlite://{}?mode=rwc",
                config.data_dir.join("postern.db").display()
            )
        }
    };
    let db = db::connect(&url)
        .await
        .context("connecting to the database (DATABASE_URL)")?;
    if config.migrate_on_start {
        Migrator::up(&db, None)
            .await
            .context("running database migrations")?;
    }
    Ok(db)
}

/// Builds every adapter the configuration asks for and the use cases on top of them.
///
/// # Errors
/// When a secret cannot be read or generated, or an adapter rejects its settings.
pub async fn assemble(config: &Config, db: DatabaseConnection) -> anyhow::Result<Components> {
    if config.redis_url.is_some() {
        warn!(
            "REDIS_URL is set, but this version has no Redis adapters yet; using in-process cache, rate limiter and event delivery"
        );
    }
    let secrets: Arc<dyn OpaqueTokens> = Arc::new(RandomTokens);
    let signing_secret = jwt_secret(config, secrets.as_ref())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = Ports {
        users: Arc::new(SeaUserRepo::new(db.clone())),
        sessions: Arc::new(SeaSessionRepo::new(db.clone())),
        outbox: Arc::new(SeaOutbox::new(db.clone())),
        hasher: Arc::new(Argon2Hasher::new(config.argon2).context(
            "ARGON2_MEMORY_KIB, ARGON2_ITERATIONS and ARGON2_PARALLELISM must be valid Argon2 parameters",
        )?),
        tokens: Arc::new(JwtIssuer::hs256(JwtConfig {
            secret: signing_secret,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            key_id: "hs256-1".to_owned(),
        })?),
        secrets,
        cache: Arc::new(MemoryProfileCache::new(PROFILE_TTL, PROFILE_CACHE_ENTRIES)),
        revocations: Arc::new(MemoryRevocationList::new(clock.clone())),
        clock: clock.clone(),
    };
    seed_revocations(&ports, clock.as_ref()).await?;
    let publisher = InProcessPublisher::new(vec![
        Arc::new(AuditLogHandler::new(db.clone())),
        Arc::new(ConsoleMailer),
    ]);
    let state = AppState {
        accounts: Accounts::new(
            &ports,
            config.sessions,
            postern_core::domain::LockoutPolicy::default(),
        ),
        rate_limiter: Arc::new(MemoryRateLimiter::new(config.rate_limits)?),
        probes: vec![Arc::new(DatabaseProbe(db))],
        trusted_proxies: config.trusted_proxies.clone(),
    };
    Ok(Components {
        state: Arc::new(state),
        delivery: DeliverEvents::new(ports.outbox.clone(), Arc::new(publisher), DELIVERY_BATCH),
    })
}

/// An in-process revocation list starts empty; sessions revoked before a restart must stay
/// rejected until their access tokens expire, so they are loaded from storage. Those tokens may
/// have been issued under an earlier, longer `JWT_EXPIRES_IN`, so the window is the longest
/// lifetime configuration allows, not the current one.
async fn seed_revocations(ports: &Ports, clock: &dyn Clock) -> anyhow::Result<()> {
    let now = clock.now();
    let revoked = SessionRepo::revoked_since(ports.sessions.as_ref(), now - MAX_ACCESS_TTL).await?;
    if !revoked.is_empty() {
        RevocationList::revoke(ports.revocations.as_ref(), &revoked, now + MAX_ACCESS_TTL).await?;
        info!(sessions = revoked.len(), "loaded recently revoked sessions");
    }
    Ok(())
}

fn jwt_secret(config: &Config, secrets: &dyn OpaqueTokens) -> anyhow::Result<SecretString> {
    match &config.jwt_secret {
        JwtSecret::Configured(secret) => Ok(secret.clone()),
        JwtSecret::GeneratedInDataDir => dev_secret(&config.data_dir, secrets),
    }
}

/// Development only: a secret generated once and kept in the data directory, so that tokens
/// survive restarts without anyone having to configure one.
fn dev_secret(data_dir: &Path, secrets: &dyn OpaqueTokens) -> anyhow::Result<SecretString> {
    let path = data_dir.join(DEV_SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        warn!(path = %path.display(), "JWT_SECRET is not set; using the development secret kept in the data directory. Set JWT_SECRET in production.");
        return Ok(SecretString::from(existing.trim().to_owned()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let secret = secrets.generate();
    write_private(&path, secret.expose())?;
    warn!(path = %path.display(), "JWT_SECRET is not set; generated a development secret and kept it in the data directory. Set JWT_SECRET in production.");
    Ok(SecretString::from(secret.expose().to_owned()))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

struct DatabaseProbe(DatabaseConnection);

#[async_trait]
impl ReadinessProbe for DatabaseProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn is_ready(&self) -> bool {
        db::ping(&self.0).await.is_ok()
    }
}
