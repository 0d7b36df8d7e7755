//! [`Builder`]: a [`TestApp`] over the in-memory adapters (the store, cache, revocation list and
//! rate limiter of `postern-memory`, Argon2 with small parameters, HS256 tokens), with what a
//! test changes: rate limits, a failing rate limiter, the refresh grace window, whether 500s
//! show their cause, and the socket peer with the proxies it is trusted as.

use std::net::SocketAddr;
use std::sync::Arc;

use ipnet::IpNet;
use postern_core::domain::SessionPolicy;
use postern_core::ports::{
    Clock, ProfileCache, RateLimiter, RateLimits, RevocationList, SeparateLookups, SystemClock,
};
use postern_core::usecases::{
    Accounts, ExportAccount, ExternalSignIns, FederationPorts, FederationSettings, Policies, Ports,
    QueueAdmin, ReadAudit, RedirectAllowList, WebAuthn, WebAuthnPorts,
};
use postern_http::{AppState, IntrospectionClient, IntrospectionConfig};
use postern_memory::{MemoryProfileCache, MemoryRateLimiter, MemoryRevocationList, MemoryStore};
use postern_password::{Argon2Hasher, Argon2Params};
use postern_tokens::{HmacSuccessors, JwtConfig, JwtIssuer, RandomTokens};
use postern_webauthn::{RelyingParty, WebAuthnRelyingParty};
use secrecy::SecretString;

use super::TestApp;
use super::providers::FakeProviders;

/// Where the fake provider's sign-ins may send the browser back to.
pub const APP_URL: &str = "https://app.example.com";

/// How to build a [`TestApp`]; each setting starts as a server's default.
#[derive(Default)]
pub struct Builder {
    rate_limits: RateLimits,
    rate_limiter: Option<Arc<dyn RateLimiter>>,
    sessions: SessionPolicy,
    expose_internal_errors: bool,
    peer: Option<SocketAddr>,
    trusted_proxies: Vec<IpNet>,
    introspection_clients: Vec<IntrospectionClient>,
}

impl Builder {
    /// Rate limits other than docs/http-api.md §6's defaults.
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// A rate limiter of the test's own, in place of the in-memory one.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.rate_limiter = Some(limiter);
        self
    }

    /// Session lifetimes and the refresh grace window.
    pub fn sessions(mut self, policy: SessionPolicy) -> Self {
        self.sessions = policy;
        self
    }

    /// Every request arrives from the socket peer `peer`, which is trusted as a proxy when
    /// `trusted` says so, so that a test chooses its client addresses with `X-Forwarded-For`
    /// (without a peer, poem's test requests have no address at all).
    pub fn peer(mut self, peer: SocketAddr, trusted: bool) -> Self {
        self.peer = Some(peer);
        if trusted {
            self.trusted_proxies = vec![IpNet::from(peer.ip())];
        }
        self
    }

    /// A service that may introspect tokens with `id` and `secret`.
    pub fn introspection_client(mut self, id: &str, secret: &str) -> Self {
        self.introspection_clients.push(IntrospectionClient {
            id: id.to_owned(),
            secret: SecretString::from(secret),
        });
        self
    }

    /// Whether 500s show their internal cause, as in development.
    pub fn expose_internal_errors(mut self, expose: bool) -> Self {
        self.expose_internal_errors = expose;
        self
    }

    /// The application.
    pub fn build(self) -> TestApp {
        super::log::init();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(MemoryStore::new(clock.clone()));
        let secret = "a test secret of at least thirty-two bytes";
        let tokens = Arc::new(issuer(secret));
        let rate_limiter = self.rate_limiter.unwrap_or_else(|| {
            Arc::new(MemoryRateLimiter::new(self.rate_limits).expect("valid rate limits"))
        });
        let cache: Arc<dyn ProfileCache> = Arc::new(MemoryProfileCache::new(
            MemoryProfileCache::DEFAULT_TTL,
            1_000,
        ));
        let revocations: Arc<dyn RevocationList> =
            Arc::new(MemoryRevocationList::new(clock.clone()));
        let ports = Ports {
            users: store.clone(),
            sessions: store.clone(),
            outbox: store.clone(),
            account_tokens: store.clone(),
            hasher: Arc::new(cheap_hasher()),
            tokens: tokens.clone(),
            secrets: Arc::new(RandomTokens),
            successors: Arc::new(HmacSuccessors::from_secret(secret.as_bytes())),
            callers: Arc::new(SeparateLookups::new(revocations.clone(), cache.clone())),
            cache,
            revocations,
            rate_limiter: rate_limiter.clone(),
            strength: Arc::new(postern_password::ZxcvbnEstimator),
            factors: store.clone(),
            totp: Arc::new(postern_totp::RfcTotp::new("postern")),
            secret_box: Arc::new(
                postern_tokens::AeadSecretBox::new(secret.as_bytes()).expect("a 32-byte key"),
            ),
            clock,
        };
        let policies = Policies {
            sessions: self.sessions,
            ..Policies::default()
        };
        let webauthn = WebAuthnPorts {
            ceremonies: Arc::new(relying_party()),
            states: store.clone(),
        };
        let sign_ins = ExternalSignIns::new(
            &ports,
            FederationPorts {
                providers: Arc::new(FakeProviders),
                grants: store.clone(),
                identities: store.clone(),
            },
            FederationSettings {
                allow_list: RedirectAllowList::new(vec![APP_URL.to_owned()]),
                callback_base: "http://localhost/api/v1/auth/oauth".to_owned(),
            },
            self.sessions,
        );
        let state = Arc::new(AppState {
            sign_ins,
            accounts: Accounts::new(&ports, policies),
            webauthn: WebAuthn::new(&ports, policies, &webauthn),
            queues: QueueAdmin::new(Vec::new()),
            export: ExportAccount::new(&ports, store.clone(), store.clone()),
            audit: ReadAudit::new(store),
            rate_limiter,
            probes: Vec::new(),
            trusted_proxies: self.trusted_proxies,
            cors_allowed_origins: Vec::new(),
            signing_keys: Vec::new(),
            introspection: IntrospectionConfig {
                clients: self.introspection_clients,
                issuer: "postern".to_owned(),
                audience: "postern".to_owned(),
            },
            expose_internal_errors: self.expose_internal_errors,
        });
        TestApp::serving(state, tokens, self.peer)
    }
}

/// The origin of the pages the tests' browser signs in on: the WebAuthn defaults of an
/// `APP_URL` on 127.0.0.1:8080 (RP id `localhost`).
pub const ORIGIN: &str = "http://localhost:8080";

/// The relying party of [`ORIGIN`], as the server configures it from `APP_URL`.
fn relying_party() -> WebAuthnRelyingParty {
    let app_url = url::Url::parse("http://127.0.0.1:8080").expect("a URL");
    let settings = RelyingParty::defaults(&app_url).expect("an RP from an IP address");
    WebAuthnRelyingParty::new(&settings).expect("a relying party")
}

/// An HS256 issuer with `secret`, as the server configures one.
pub fn issuer(secret: &str) -> JwtIssuer {
    JwtIssuer::hs256(JwtConfig {
        secret: SecretString::from(secret),
        issuer: "postern".into(),
        audience: "postern".into(),
        key_id: "hs256-1".into(),
    })
    .expect("an HS256 issuer")
}

/// Argon2id at its cheapest, so that a test hashes in a blink.
fn cheap_hasher() -> Argon2Hasher {
    Argon2Hasher::new(Argon2Params {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    })
    .expect("valid Argon2 parameters")
}
