//! [`VerifierBuilder`]: one source of keys, one revocation strategy, and the checks' settings,
//! with Postern's defaults.

use std::time::Duration;

use jsonwebtoken::{DecodingKey, Validation};

use crate::Verifier;
use crate::error::BuildError;
use crate::keys::{JwksKeys, Keys};
use crate::revocation::{Introspector, Revocation};

/// Where the keys come from.
enum KeyChoice {
    Jwks(String),
    Hs256(Vec<u8>),
}

/// Which revocation strategy.
enum RevocationChoice {
    #[cfg(feature = "redis")]
    Redis { url: String, prefix: String },
    Introspection {
        url: String,
        client_id: String,
        client_secret: String,
    },
}

/// Configures a [`Verifier`]: one source of keys and one revocation strategy are required.
pub struct VerifierBuilder {
    keys: Option<KeyChoice>,
    revocation: Option<RevocationChoice>,
    issuer: String,
    audience: String,
    max_lifetime: Duration,
    jwks_max_age: Duration,
    jwks_refetch_floor: Duration,
    introspection_ttl: Duration,
    timeout: Duration,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        Self {
            keys: None,
            revocation: None,
            issuer: "postern".to_owned(),
            audience: "postern".to_owned(),
            max_lifetime: Duration::from_secs(24 * 60 * 60),
            jwks_max_age: Duration::from_secs(300),
            jwks_refetch_floor: Duration::from_secs(10),
            introspection_ttl: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
        }
    }
}

impl VerifierBuilder {
    /// Verifies EdDSA tokens with the keys Postern at `postern_url` (its base URL, e.g.
    /// `https://accounts.example.com`) publishes at `/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks(mut self, postern_url: &str) -> Self {
        let url = format!(
            "{}/.well-known/jwks.json",
            postern_url.trim_end_matches('/')
        );
        self.keys = Some(KeyChoice::Jwks(url));
        self
    }

    /// Verifies HS256 tokens with Postern's `JWT_SECRET`.
    #[must_use]
    pub fn hs256_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.keys = Some(KeyChoice::Hs256(secret.into()));
        self
    }

    /// The `iss` required: Postern's `JWT_ISSUER` (default `postern`).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The `aud` required: Postern's `JWT_AUDIENCE` (default `postern`).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// The longest token lifetime accepted (default 24 h, the longest Postern issues).
    #[must_use]
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// How long fetched keys are trusted before the next token fetches them again
    /// (default 5 min, what Postern's `Cache-Control` allows).
    #[must_use]
    pub fn jwks_max_age(mut self, age: Duration) -> Self {
        self.jwks_max_age = age;
        self
    }

    /// The least time between two fetches of the keys, however many unknown key ids
    /// arrive (default 10 s).
    #[must_use]
    pub fn jwks_refetch_floor(mut self, floor: Duration) -> Self {
        self.jwks_refetch_floor = floor;
        self
    }

    /// Checks revocation in Postern's Redis at `redis_url`, under Postern's
    /// `REDIS_KEY_PREFIX` `key_prefix` (empty by default).
    #[cfg(feature = "redis")]
    #[must_use]
    pub fn redis_revocation(mut self, redis_url: &str, key_prefix: &str) -> Self {
        self.revocation = Some(RevocationChoice::Redis {
            url: redis_url.to_owned(),
            prefix: key_prefix.to_owned(),
        });
        self
    }

    /// Checks revocation by asking Postern at `postern_url` (its base URL) as the
    /// introspection client `client_id` with `client_secret` (one pair of its
    /// `INTROSPECTION_CLIENTS`).
    #[must_use]
    pub fn introspection(
        mut self,
        postern_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Self {
        let url = format!(
            "{}/api/v1/auth/introspect",
            postern_url.trim_end_matches('/')
        );
        self.revocation = Some(RevocationChoice::Introspection {
            url,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
        });
        self
    }

    /// How long an introspection answer is reused (default 5 s): the longest a revoked
    /// token is still accepted.
    #[must_use]
    pub fn introspection_cache_ttl(mut self, ttl: Duration) -> Self {
        self.introspection_ttl = ttl;
        self
    }

    /// How long a call to Postern or Redis may take before the check fails (default 2 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The verifier; with the Redis strategy, once connected.
    ///
    /// # Errors
    /// [`BuildError::NoKeys`] or [`BuildError::NoRevocation`] when a choice is missing;
    /// [`BuildError::Http`] or `BuildError::Redis` when a client cannot be built.
    pub async fn build(self) -> Result<Verifier, BuildError> {
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(BuildError::Http)?;
        let keys = match self.keys.ok_or(BuildError::NoKeys)? {
            KeyChoice::Hs256(secret) => Keys::Hs256(DecodingKey::from_secret(&secret)),
            KeyChoice::Jwks(url) => Keys::Jwks(JwksKeys::new(
                http.clone(),
                url,
                self.jwks_max_age,
                self.jwks_refetch_floor,
            )),
        };
        let revocation = match self.revocation.ok_or(BuildError::NoRevocation)? {
            #[cfg(feature = "redis")]
            RevocationChoice::Redis { url, prefix } => {
                let client = redis::Client::open(url).map_err(BuildError::Redis)?;
                let connection = client
                    .get_connection_manager()
                    .await
                    .map_err(BuildError::Redis)?;
                Revocation::Redis(crate::revocation::RedisList {
                    connection,
                    prefix,
                    timeout: self.timeout,
                })
            }
            RevocationChoice::Introspection {
                url,
                client_id,
                client_secret,
            } => Revocation::Introspection(Introspector {
                http,
                url,
                client_id,
                client_secret,
                ttl: self.introspection_ttl,
                cache: std::sync::Mutex::default(),
            }),
        };
        let mut validation = Validation::new(keys.algorithm());
        validation.leeway = 0;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        Ok(crate::assemble(
            keys,
            validation,
            self.max_lifetime,
            revocation,
        ))
    }
}
