//! The composition root: the one place that picks adapters from configuration. Everything else
//! speaks in ports.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use postern_core::ports::{
    CallerLookup, Clock, EventHandler, EventPublisher, EventQueues, IdentityProviders,
    IdentityRepo, Mailer, OpaqueTokens, ProfileCache, RateLimiter, RevocationList, SeparateLookups,
    SessionRepo, SystemClock,
};
use postern_core::usecases::{
    Accounts, Deduplicated, DeliverEvents, ExportAccount, ExternalSignIns, FederationPorts,
    FederationSettings, Housekeeping, Policies, Ports, QueueAdmin, ReadAudit, RedirectAllowList,
    SendMail, WebAuthn, WebAuthnPorts,
};
use postern_db::{
    AuditLogHandler, SeaAccountTokens, SeaAuditTrail, SeaCeremonyStates, SeaHandledEvents,
    SeaIdentityRepo, SeaMfaFactors, SeaOutbox, SeaRetention, SeaSessionRepo, SeaSignInGrants,
    SeaUserRepo,
};
use postern_mail::{ConsoleMailer, SmtpMailer};
use postern_memory::InProcessPublisher;
use postern_memory::{MemoryProfileCache, MemoryRateLimiter, MemoryRevocationList};
use postern_oidc::OidcProviders;
use postern_password::Argon2Hasher;
use postern_redis::streams::{EventStream, StreamConsumer, StreamPublisher, StreamQueues};
use postern_redis::{
    RedisCallerLookup, RedisHealth, RedisProfileCache, RedisRateLimiter, RedisRevocationList,
    RedisSettings, ResilientCallerLookup, ResilientProfileCache, ResilientRateLimiter,
    ResilientRevocationList,
};
use postern_tokens::{
    AeadSecretBox, EdDsaConfig, HmacSuccessors, JwtConfig, JwtIssuer, RandomTokens,
};
use postern_totp::RfcTotp;
use postern_webauthn::WebAuthnRelyingParty;
use sea_orm::DatabaseConnection;
use secrecy::{ExposeSecret, SecretString};
use tracing::{info, warn};

use crate::config::{Config, JwtKeyFiles, JwtSecret, MfaKey, RedisConfig};
use crate::keys;
use crate::migrations::{self, SchemaStatus};
use crate::revocation_seed::RevocationSeeder;
use postern_http::observability::{CountingCallerLookup, CountingProfileCache};
use postern_http::{AppState, IntrospectionConfig, PublishedKey, ReadinessProbe};

/// How long a profile stays cached (docs/http-api.md §4).
const PROFILE_TTL: Duration = Duration::from_secs(600);
/// How many profiles the in-process cache holds at most.
const PROFILE_CACHE_ENTRIES: u64 = 100_000;
/// How many events one delivery batch takes from the outbox.
const DELIVERY_BATCH: u64 = 500;
/// The file, in the data directory, that keeps the generated development secret.
const DEV_SECRET_FILE: &str = "jwt-secret";
/// The development `MFA_ENCRYPTION_KEY`, in the data directory.
const DEV_MFA_KEY_FILE: &str = "mfa-key";

/// A wired application: the HTTP state and the event delivery that runs beside it.
pub struct Components {
    /// What the handlers share.
    pub state: Arc<AppState>,
    /// Moves outbox events to their handlers.
    pub delivery: DeliverEvents,
    /// Loads revoked sessions into the revocation list, at start and then periodically.
    pub revocation_seeder: RevocationSeeder,
}

impl Components {
    /// An in-process revocation list starts empty; sessions revoked before a restart must stay
    /// rejected until their access tokens expire, so they are loaded from storage. Those tokens
    /// may have been issued under an earlier, longer `JWT_EXPIRES_IN`, so the window is the
    /// revocation lifetime (the longest lifetime configuration allows), not the current one. A
    /// server calls this before it serves; a one-off command, which checks no access token,
    /// need not.
    ///
    /// # Errors
    /// When the sessions cannot be read or the revocation list written.
    pub async fn seed_revocations(&self) -> anyhow::Result<()> {
        let sessions = self.revocation_seeder.seed().await?;
        if sessions > 0 {
            info!(sessions, "loaded recently revoked sessions");
        }
        Ok(())
    }
}

/// Connects to the configured database, and migrates it when configured to; otherwise
/// refuses a schema that is behind this binary, naming the command that migrates it.
///
/// # Errors
/// When the database cannot be reached, a migration fails, or the schema is not migrated.
pub async fn database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = connect(config).await?;
    if config.migrate_on_start {
        let applied = migrations::apply_pending(&db).await?;
        if !applied.is_empty() {
            info!(migrations = applied.len(), "migrated the database schema");
        }
    } else {
        SchemaStatus::read(&db).await?.require_up_to_date()?;
    }
    Ok(db)
}

/// Connects to the configured database (creating the data directory of the embedded default)
/// and nothing more, for the commands that inspect or change the schema themselves.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = match &config.database_url {
        Some(url) => url.expose_secret().to_owned(),
        None => {
            create_private_dir(&config.data_dir)?;
            format!(
                "sqlite://{}?mode=rwc",
                config.data_dir.join("postern.db").display()
            )
        }
    };
    postern_db::connect_pooled(&url, config.database_max_connections)
        .await
        .context("connecting to the database (DATABASE_URL)")
}

/// The OpenID providers of `OIDC_PROVIDERS`, each discovered now, so that a provider that
/// cannot be used stops the start with its name rather than failing its first sign-in.
///
/// # Errors
/// The first provider whose discovery document or keys cannot be fetched or used.
pub async fn identity_providers(config: &Config) -> anyhow::Result<Arc<dyn IdentityProviders>> {
    let providers = OidcProviders::discover(config.oidc_providers.clone())
        .await
        .context("discovering the OpenID providers of OIDC_PROVIDERS")?;
    Ok(Arc::new(providers))
}

/// No OpenID provider at all, for the commands that start no sign-in.
///
/// # Errors
/// When the HTTP client of the providers' adapter cannot be built.
pub async fn no_identity_providers() -> anyhow::Result<Arc<dyn IdentityProviders>> {
    let providers = OidcProviders::discover(Vec::new())
        .await
        .context("building the OpenID providers' HTTP client")?;
    Ok(Arc::new(providers))
}

/// Builds every adapter the configuration asks for and the use cases on top of them, with
/// `providers` for sign-in through external providers.
///
/// # Errors
/// When a secret cannot be read or generated, or an adapter rejects its settings.
pub async fn assemble(
    config: &Config,
    db: DatabaseConnection,
    providers: Arc<dyn IdentityProviders>,
) -> anyhow::Result<Components> {
    let secrets: Arc<dyn OpaqueTokens> = Arc::new(RandomTokens);
    let secrets_for_mfa = secrets.clone();
    let (tokens, successors) = token_keys(config, secrets.as_ref())?;
    let signing_keys = published_keys(&tokens);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let sessions: Arc<dyn SessionRepo> = Arc::new(SeaSessionRepo::new(db.clone()));
    let outbox = Arc::new(SeaOutbox::new(db.clone()));
    let shared = match &config.redis {
        Some(redis) => in_redis(config, redis, &sessions, &clock).await?,
        None => in_process(config, &db, &clock)?,
    };
    let ports = Ports {
        users: Arc::new(SeaUserRepo::new(db.clone())),
        sessions,
        outbox: outbox.clone(),
        account_tokens: Arc::new(SeaAccountTokens::new(db.clone())),
        hasher: Arc::new(Argon2Hasher::new(config.argon2).context(
            "ARGON2_MEMORY_KIB, ARGON2_ITERATIONS and ARGON2_PARALLELISM must be valid Argon2 parameters",
        )?),
        tokens: Arc::new(tokens),
        secrets,
        successors: Arc::new(successors),
        cache: Arc::new(CountingProfileCache::new(shared.cache)),
        revocations: shared.revocations,
        callers: Arc::new(CountingCallerLookup::new(shared.callers)),
        rate_limiter: shared.rate_limiter.clone(),
        strength: Arc::new(postern_password::ZxcvbnEstimator),
        factors: Arc::new(SeaMfaFactors::new(db.clone())),
        totp: Arc::new(RfcTotp::new(config.jwt_issuer.clone())),
        secret_box: Arc::new(secret_box(config, secrets_for_mfa.as_ref())?),
        clock: clock.clone(),
    };
    let mut queues: Vec<Arc<dyn EventQueues>> = vec![outbox];
    queues.extend(shared.queues);
    let identities: Arc<dyn IdentityRepo> = Arc::new(SeaIdentityRepo::new(db.clone()));
    let sign_ins = ExternalSignIns::new(
        &ports,
        FederationPorts {
            providers,
            grants: Arc::new(SeaSignInGrants::new(db.clone())),
            identities: identities.clone(),
        },
        FederationSettings {
            allow_list: RedirectAllowList::new(config.redirect_allow_list()),
            callback_base: format!("{}/api/v1/auth/oauth", config.mail.app_url.as_str()),
        },
        config.sessions,
    );
    let trail = Arc::new(SeaAuditTrail::new(db.clone()));
    let audit = ReadAudit::new(trail.clone());
    let export = ExportAccount::new(&ports, identities, trail);
    let relying_party = config.webauthn.relying_party(&config.mail.app_url)?;
    let webauthn = WebAuthnPorts {
        ceremonies: Arc::new(
            WebAuthnRelyingParty::new(&relying_party)
                .context("WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN must name a valid relying party")?,
        ),
        states: Arc::new(SeaCeremonyStates::new(db.clone())),
    };
    let mut probes: Vec<Arc<dyn ReadinessProbe>> = vec![Arc::new(DatabaseProbe(db))];
    probes.extend(shared.probe);
    let policies = Policies {
        sessions: config.sessions,
        lockout: config.lockout,
        passwords: config.passwords,
    };
    let state = AppState {
        accounts: Accounts::new(&ports, policies),
        webauthn: WebAuthn::new(&ports, policies, &webauthn),
        sign_ins,
        queues: QueueAdmin::new(queues),
        audit,
        export,
        rate_limiter: shared.rate_limiter,
        probes,
        trusted_proxies: config.trusted_proxies.clone(),
        signing_keys,
        cors_allowed_origins: config.cors_allowed_origins.clone(),
        introspection: IntrospectionConfig {
            clients: config.introspection_clients.clone(),
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        },
        expose_internal_errors: config.is_development(),
    };
    Ok(Components {
        state: Arc::new(state),
        delivery: DeliverEvents::new(ports.outbox.clone(), shared.publisher, DELIVERY_BATCH),
        revocation_seeder: RevocationSeeder::new(
            ports.sessions,
            ports.revocations,
            clock,
            config.sessions.revocation_lifetime(),
        ),
    })
}

/// The adapters that differ between one instance and several.
struct SharedState {
    cache: Arc<dyn ProfileCache>,
    revocations: Arc<dyn RevocationList>,
    /// The two above read together, in one round trip where they share a store.
    callers: Arc<dyn CallerLookup>,
    rate_limiter: Arc<dyn RateLimiter>,
    publisher: Arc<dyn EventPublisher>,
    queues: Option<Arc<dyn EventQueues>>,
    probe: Option<Arc<dyn ReadinessProbe>>,
}

/// The embedded default: state in this process, events handled in this process.
fn in_process(
    config: &Config,
    db: &DatabaseConnection,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<SharedState> {
    let handlers = EventHandlers::new(config, db)?;
    let cache: Arc<dyn ProfileCache> =
        Arc::new(MemoryProfileCache::new(PROFILE_TTL, PROFILE_CACHE_ENTRIES));
    let revocations: Arc<dyn RevocationList> = Arc::new(MemoryRevocationList::new(clock.clone()));
    Ok(SharedState {
        callers: Arc::new(SeparateLookups::new(revocations.clone(), cache.clone())),
        cache,
        revocations,
        rate_limiter: Arc::new(MemoryRateLimiter::new(config.rate_limits)?),
        publisher: Arc::new(InProcessPublisher::new(vec![handlers.audit, handlers.mail])),
        queues: None,
        probe: None,
    })
}

/// Several instances: state shared in Redis, with in-process and database fallbacks while it is
/// down; events go to the streams for the workers.
async fn in_redis(
    config: &Config,
    redis: &RedisConfig,
    sessions: &Arc<dyn SessionRepo>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<SharedState> {
    let pool = postern_redis::connect(&RedisSettings::new(redis.url.expose_secret()))
        .await
        .context("connecting to Redis (REDIS_URL)")?;
    // An evicted revocation lets a logged-out token work again. A Redis that cannot be asked
    // (down at start, `CONFIG` disabled by a managed service) is let through with a warning;
    // the periodic re-seed is then the only guard against evicted revocations.
    match postern_redis::eviction_policy(&pool).await {
        Ok(policy) if postern_redis::may_evict(&policy) => anyhow::bail!(
            "Redis (REDIS_URL) has maxmemory-policy {policy:?}, under which it may evict the \
             revocation list and let logged-out tokens work again: set it to {:?}",
            postern_redis::SAFE_EVICTION_POLICY
        ),
        Ok(_) => {}
        Err(error) => warn!(
            error = &error as &dyn std::error::Error,
            "could not read Redis's maxmemory-policy, which must be noeviction"
        ),
    }
    let prefix = redis.key_prefix.as_str();
    let health = RedisHealth::new(pool.clone());
    let cache = RedisProfileCache::new(pool.clone(), prefix, PROFILE_TTL);
    let revocations = RedisRevocationList::new(pool.clone(), prefix, clock.clone());
    let limiter = RedisRateLimiter::new(pool.clone(), prefix, config.rate_limits)?;
    // While Redis is down each instance counts alone, exactly, with the same limits.
    let fallback_limiter = Arc::new(MemoryRateLimiter::new(config.rate_limits)?);
    let callers = RedisCallerLookup::new(
        pool.clone(),
        RedisRevocationList::new(pool.clone(), prefix, clock.clone()),
        cache.clone(),
    );
    info!("sharing cache, rate limits and revocations in Redis; events go to its streams");
    Ok(SharedState {
        cache: Arc::new(ResilientProfileCache::new(cache, health.clone())),
        callers: Arc::new(ResilientCallerLookup::new(
            callers,
            sessions.clone(),
            health.clone(),
        )),
        revocations: Arc::new(ResilientRevocationList::new(
            revocations,
            sessions.clone(),
            config.sessions.revocation_lifetime().unsigned_abs(),
            health.clone(),
        )),
        rate_limiter: Arc::new(ResilientRateLimiter::new(
            limiter,
            fallback_limiter,
            health.clone(),
        )),
        publisher: Arc::new(StreamPublisher::new(pool.clone(), prefix)),
        queues: Some(Arc::new(StreamQueues::new(pool, prefix))),
        probe: Some(Arc::new(RedisProbe(health))),
    })
}

/// The housekeeping job on `db`, under the retention `config` sets.
pub fn housekeeping(config: &Config, db: &DatabaseConnection) -> Housekeeping {
    Housekeeping::new(
        Arc::new(SeaRetention::new(db.clone())),
        Arc::new(SystemClock),
        config.retention.policy,
        u64::from(config.retention.batch.get()),
    )
}

/// The stream consumers for `streams`, each on a connection of its own, for a worker process
/// or `serve --with-workers`.
///
/// # Errors
/// When Redis is not configured or cannot be set up.
pub async fn consumers(
    config: &Config,
    db: &DatabaseConnection,
    streams: &[EventStream],
) -> anyhow::Result<Vec<StreamConsumer>> {
    let redis = config
        .redis
        .as_ref()
        .context("REDIS_URL is required to run stream workers")?;
    let handlers = EventHandlers::new(config, db)?;
    let mut settings = RedisSettings::new(redis.url.expose_secret());
    // A blocking read must not time out before its block time has passed.
    settings.command_timeout = config.consumers.block + Duration::from_secs(2);
    let mut consumers = Vec::with_capacity(streams.len());
    for &stream in streams {
        let client = postern_redis::connect_client(&settings)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let handler = match stream {
            EventStream::Email => handlers.mail.clone(),
            EventStream::Audit => handlers.audit.clone(),
        };
        consumers.push(StreamConsumer::new(
            client,
            &redis.key_prefix,
            stream,
            consumer_name(stream),
            handler,
            config.consumers,
        ));
    }
    Ok(consumers)
}

/// A name unique among a group's live consumers, and telling operators which process it is.
fn consumer_name(stream: EventStream) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "postern".to_owned());
    format!("{host}-{}-{}", std::process::id(), stream.group())
}

/// The event handlers: the audit log, and the mail, deduplicated because a mail cannot be
/// unsent.
struct EventHandlers {
    audit: Arc<dyn EventHandler>,
    mail: Arc<dyn EventHandler>,
}

impl EventHandlers {
    fn new(config: &Config, db: &DatabaseConnection) -> anyhow::Result<Self> {
        let mailer: Arc<dyn Mailer> = match &config.mail.smtp {
            Some(smtp) => Arc::new(SmtpMailer::new(smtp)?),
            None => console_mailer(config),
        };
        let send_mail = SendMail::new(
            mailer,
            Arc::new(SeaAccountTokens::new(db.clone())),
            Arc::new(RandomTokens),
            Arc::new(SystemClock),
        );
        Ok(Self {
            audit: Arc::new(AuditLogHandler::new(db.clone())),
            mail: Arc::new(Deduplicated::new(
                Arc::new(send_mail),
                Arc::new(SeaHandledEvents::new(db.clone())),
            )),
        })
    }
}

/// The mailer without `SMTP_URL`: the whole mail in the log in development, where the console
/// is the inbox; in production, tokens redacted and a warning that no mail leaves.
fn console_mailer(config: &Config) -> Arc<dyn Mailer> {
    let app_url = config.mail.app_url.clone();
    if config.is_development() {
        return Arc::new(ConsoleMailer::showing_links(app_url));
    }
    warn!(
        "SMTP_URL is not set: no mail will leave this process (verification and reset links \
         are logged with their tokens redacted); set SMTP_URL and MAIL_FROM to send mail"
    );
    Arc::new(ConsoleMailer::redacting(app_url))
}

/// The access-token issuer (EdDSA with the configured key pair, else HS256 with the secret)
/// and the refresh-token successors keyed from the same key, which every instance shares.
fn token_keys(
    config: &Config,
    secrets: &dyn OpaqueTokens,
) -> anyhow::Result<(JwtIssuer, HmacSuccessors)> {
    let secret = match &config.jwt_secret {
        JwtSecret::KeyPair(files) => return eddsa_keys(config, files),
        JwtSecret::Configured(secret) => secret.clone(),
        JwtSecret::GeneratedInDataDir => {
            dev_secret(&config.data_dir, DEV_SECRET_FILE, "JWT_SECRET", secrets)?
        }
    };
    let successors = HmacSuccessors::from_secret(secret.expose_secret().as_bytes());
    let issuer = JwtIssuer::hs256(JwtConfig {
        secret,
        issuer: config.jwt_issuer.clone(),
        audience: config.jwt_audience.clone(),
        key_id: "hs256-1".to_owned(),
    })?;
    Ok((issuer, successors))
}

fn eddsa_keys(config: &Config, files: &JwtKeyFiles) -> anyhow::Result<(JwtIssuer, HmacSuccessors)> {
    let (signing_key, previous_keys) = keys::load(files)?;
    info!(
        kid = signing_key.kid(),
        previous_keys = previous_keys.len(),
        "signing access tokens with EdDSA"
    );
    let successors = HmacSuccessors::from_key_pair(&signing_key);
    let issuer = JwtIssuer::eddsa(EdDsaConfig {
        signing_key,
        previous_keys,
        issuer: config.jwt_issuer.clone(),
        audience: config.jwt_audience.clone(),
    })?;
    Ok((issuer, successors))
}

/// The issuer's public keys as `/.well-known/jwks.json` shows them.
fn published_keys(issuer: &JwtIssuer) -> Vec<PublishedKey> {
    issuer
        .public_keys()
        .iter()
        .map(|key| PublishedKey {
            kid: key.kid().to_owned(),
            x: key.x(),
        })
        .collect()
}

/// The box that seals second-factor secrets, under `MFA_ENCRYPTION_KEY` or, in development,
/// a key generated once into the data directory.
fn secret_box(config: &Config, secrets: &dyn OpaqueTokens) -> anyhow::Result<AeadSecretBox> {
    let key = match &config.mfa_key {
        MfaKey::Configured(key) => key.clone(),
        MfaKey::GeneratedInDataDir => dev_secret(
            &config.data_dir,
            DEV_MFA_KEY_FILE,
            "MFA_ENCRYPTION_KEY",
            secrets,
        )?,
    };
    AeadSecretBox::new(key.expose_secret().as_bytes())
        .context("MFA_ENCRYPTION_KEY must be at least 32 bytes")
}

/// Development only: a secret generated once and kept in the data directory as `file`, so that
/// tokens and sealed secrets survive restarts without anyone having to configure `variable`.
fn dev_secret(
    data_dir: &Path,
    file: &str,
    variable: &str,
    secrets: &dyn OpaqueTokens,
) -> anyhow::Result<SecretString> {
    let path = data_dir.join(file);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        warn!(path = %path.display(), "{variable} is not set; using the development secret kept in the data directory. Set {variable} in production.");
        return Ok(SecretString::from(existing.trim().to_owned()));
    }
    create_private_dir(data_dir)?;
    let secret = secrets.generate();
    write_private(&path, secret.expose())?;
    warn!(path = %path.display(), "{variable} is not set; generated a development secret and kept it in the data directory. Set {variable} in production.");
    Ok(SecretString::from(secret.expose().to_owned()))
}

/// Creates the data directory, and any missing parent, with mode 0700: it holds the SQLite
/// database and the development secret. An existing directory keeps its mode.
fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))
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

struct RedisProbe(Arc<RedisHealth>);

#[async_trait]
impl ReadinessProbe for RedisProbe {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn is_ready(&self) -> bool {
        self.0.is_up()
    }
}

struct DatabaseProbe(DatabaseConnection);

#[async_trait]
impl ReadinessProbe for DatabaseProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn is_ready(&self) -> bool {
        postern_db::ping(&self.0).await.is_ok()
    }
}
