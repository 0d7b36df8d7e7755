//! `postern-verify` end to end (issue 16): Postern on PostgreSQL and Redis, signing EdDSA
//! tokens, and the example resource server verifying them from the JWKS. A token works at the
//! service; after a logout, a disabling, a password reset or a logout-all, the service refuses
//! it at once with the Redis strategy, and once its cached answer expires with introspection.

use std::time::Duration;

use postern::keys;
use postern::server::ServeOptions;
use postern_core::domain::Role;
use postern_tests::app::{Session, TestApp, spawn_app_serving};
use postern_tests::db::Backend;
use postern_tests::redis::{redis_url, unique_prefix};
use postern_tests::resource_server::ResourceServer;
use postern_tests::smtp::SmtpSink;
use reqwest::StatusCode;
use serde_json::json;
use tempfile::TempDir;

use super::recovery::{APP_URL, MAIL_WAIT, token_in};

const CLIENT_ID: &str = "resource-server";
const CLIENT_SECRET: &str = "a resource server's secret of 32 bytes or more";
/// The introspection cache's time to live in the introspection test.
const CACHE_TTL: Duration = Duration::from_millis(1500);

/// Postern, its mail sink, its key directory and Redis prefix, and the service in front.
struct Deployment {
    app: TestApp,
    sink: SmtpSink,
    service: ResourceServer,
    http: reqwest::Client,
    _keys: TempDir,
}

/// Postern with an EdDSA key, Redis under a fresh prefix, workers (for mail) and one
/// introspection client, and the resource server checking revocation by `strategy`.
async fn deployment(strategy: &str) -> Deployment {
    let keys_dir = tempfile::tempdir().unwrap();
    let generated = keys::generate(keys_dir.path()).unwrap();
    let sink = SmtpSink::start().await;
    let (redis, prefix) = (redis_url(), unique_prefix());
    let clients = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let vars = [
        ("JWT_SECRET", ""),
        (
            "JWT_PRIVATE_KEY_FILE",
            generated.private_key.to_str().unwrap(),
        ),
        ("REDIS_URL", redis.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("INTROSPECTION_CLIENTS", clients.as_str()),
        ("SMTP_URL", &sink.url()),
        ("MAIL_FROM", "Postern <no-reply@example.test>"),
        ("APP_URL", APP_URL),
        // A test signs up and logs in several accounts from one address.
        ("RATE_LIMIT_SIGNUP", "off"),
        ("RATE_LIMIT_LOGIN", "off"),
    ];
    let options = ServeOptions { with_workers: true };
    let app = spawn_app_serving(Backend::Postgres, &vars, options).await;
    let postern = app.url("");
    let ttl = CACHE_TTL.as_millis().to_string();
    let service = ResourceServer::start(&[
        ("POSTERN_URL", postern.as_str()),
        ("VERIFY_STRATEGY", strategy),
        ("REDIS_URL", redis.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("INTROSPECTION_CLIENT_ID", CLIENT_ID),
        ("INTROSPECTION_CLIENT_SECRET", CLIENT_SECRET),
        ("INTROSPECTION_CACHE_TTL_MS", ttl.as_str()),
    ]);
    Deployment {
        app,
        sink,
        service,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        _keys: keys_dir,
    }
}

impl Deployment {
    /// The status of `GET /whoami` at the service with `access`, and its body.
    async fn whoami(&self, access: &str) -> (StatusCode, serde_json::Value) {
        let response = self
            .http
            .get(self.service.url("/whoami"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or_default())
    }

    /// A fresh user whose token the service accepts, with its own claims.
    async fn accepted_user(&self) -> Session {
        let user = self.app.signed_in_user().await;
        let (status, body) = self.whoami(&user.access).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["sub"], user.user_id.as_str());
        assert_eq!(body["role"], "user");
        user
    }

    /// Ends `user`'s session in each of the four ways, one per user.
    async fn revoke(&self, how: Revocation, user: &Session, admin: &Session) {
        let app = &self.app;
        let status = match how {
            Revocation::Logout => app.logout(&user.access).await.status,
            Revocation::LogoutAll => app.logout_all(&user.access).await.status,
            Revocation::Disable => {
                let body = json!({"disabled": true});
                app.update_user(&admin.access, &user.user_id, body)
                    .await
                    .status
            }
            Revocation::PasswordReset => self.reset_password(user).await,
        };
        assert_eq!(status, StatusCode::OK, "{how:?}");
    }

    /// Asks for a reset link and spends it: the answer of the reset.
    async fn reset_password(&self, user: &Session) -> StatusCode {
        let forgot = json!({"email": user.email});
        self.app
            .post("/api/v1/auth/password/forgot", forgot, None)
            .await;
        let token = self.reset_token_for(&user.email).await;
        let reset = json!({"token": token, "password": "a brand new passphrase"});
        self.app
            .post("/api/v1/auth/password/reset", reset, None)
            .await
            .status
    }

    /// The token of the reset link mailed to `email`, once it has arrived.
    async fn reset_token_for(&self, email: &str) -> String {
        let started = std::time::Instant::now();
        loop {
            let reset_mail = self.sink.received().into_iter().find(|mail| {
                mail.envelope_to.iter().any(|to| to.contains(email))
                    && mail
                        .text
                        .as_deref()
                        .is_some_and(|text| text.contains("/reset-password?token="))
            });
            if let Some(mail) = reset_mail {
                return token_in(&mail, "reset-password");
            }
            assert!(started.elapsed() < MAIL_WAIT, "no reset mail for {email}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Revocation {
    Logout,
    Disable,
    PasswordReset,
    LogoutAll,
}

const EVERY_REVOCATION: [Revocation; 4] = [
    Revocation::Logout,
    Revocation::Disable,
    Revocation::PasswordReset,
    Revocation::LogoutAll,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_redis_strategy_the_service_refuses_a_revoked_token_at_once() {
    let deployment = deployment("redis").await;
    let admin = deployment.app.signed_in_as(Role::Admin).await;

    for how in EVERY_REVOCATION {
        let user = deployment.accepted_user().await;

        deployment.revoke(how, &user, &admin).await;

        let (status, _) = deployment.whoami(&user.access).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "after {how:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_introspection_the_service_refuses_a_revoked_token_once_its_cached_answer_expires() {
    let deployment = deployment("introspection").await;
    let admin = deployment.app.signed_in_as(Role::Admin).await;

    for how in EVERY_REVOCATION {
        let user = deployment.accepted_user().await;

        deployment.revoke(how, &user, &admin).await;
        tokio::time::sleep(CACHE_TTL + Duration::from_millis(200)).await;

        let (status, _) = deployment.whoami(&user.access).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "after {how:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_refuses_a_missing_or_forged_token_whatever_the_strategy() {
    let deployment = deployment("redis").await;
    let user = deployment.accepted_user().await;
    // One character of the signature changed, well before its last (padding) bits.
    let mut forged = user.access.clone().into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();

    let missing = deployment
        .http
        .get(deployment.service.url("/whoami"))
        .send()
        .await
        .unwrap();
    let (forged_status, _) = deployment.whoami(&forged).await;

    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.headers()["www-authenticate"],
        "Bearer",
        "RFC 6750: no error code without a token"
    );
    assert_eq!(forged_status, StatusCode::UNAUTHORIZED);
}
