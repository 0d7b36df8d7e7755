//! A real Postern server for HTTP tests: its own database (a fresh PostgreSQL schema or SQLite
//! file), its own data directory, a free port, and a client with one method per endpoint.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use postern::config::Config;
use postern::server::{self, RunningServer, ServeOptions};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::db::{Backend, TestDb, fresh_database};

/// The signing secret every test server uses, so tests can forge tokens with it.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// The `MFA_ENCRYPTION_KEY` every test deployment shares across its instances.
pub const TEST_MFA_KEY: &str = "test-mfa-key-test-mfa-key-test-mfa-key-0123456789";
/// A password that satisfies docs/http-api.md §2.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server and a client for it.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    // Fields drop in order: the server before the database it uses.
    server: Option<RunningServer>,
    http: reqwest::Client,
    /// Its database, for tests that inspect storage; dropped (with its schema) after the last
    /// server using it.
    pub db: Arc<TestDb>,
    /// The configuration it was started with, for further instances.
    vars: HashMap<String, String>,
    _data_dir: Arc<tempfile::TempDir>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl TestResponse {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The error code of an error envelope.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
}

/// A signed-in user.
pub struct Session {
    /// The user's id.
    pub user_id: String,
    /// The user's email.
    pub email: String,
    /// The access token.
    pub access: String,
    /// The refresh token.
    pub refresh: String,
}

/// Starts a server on `backend` with the default test configuration.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts a server on `backend` with extra configuration variables.
pub async fn spawn_app_with(backend: Backend, overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_serving(backend, overrides, ServeOptions::default()).await
}

/// Starts a server on `backend` with extra configuration variables and serve options (such as
/// in-process stream workers).
pub async fn spawn_app_serving(
    backend: Backend,
    overrides: &[(&str, &str)],
    options: ServeOptions,
) -> TestApp {
    let db = Arc::new(fresh_database(backend).await);
    let data_dir = Arc::new(tempfile::tempdir().expect("temporary data directory"));
    let mut vars: HashMap<String, String> = [
        ("PORT", "0"),
        ("DATABASE_URL", db.url()),
        ("JWT_SECRET", TEST_JWT_SECRET),
        ("MFA_ENCRYPTION_KEY", TEST_MFA_KEY),
        // Tests send many requests from one address; those about the global limit set it.
        ("RATE_LIMIT_GLOBAL", "off"),
        (
            "POSTERN_DATA_DIR",
            data_dir.path().to_str().expect("utf-8 temp path"),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    vars.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    start(vars, db, data_dir, options).await
}

async fn start(
    vars: HashMap<String, String>,
    db: Arc<TestDb>,
    data_dir: Arc<tempfile::TempDir>,
    options: ServeOptions,
) -> TestApp {
    crate::log::init();
    let config = Config::from_vars(vars.clone()).expect("valid test configuration");
    let running = server::start_with(&config, options)
        .await
        .expect("server starts");
    TestApp {
        addr: running.addr,
        server: Some(running),
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client"),
        db,
        vars,
        _data_dir: data_dir,
    }
}

impl TestApp {
    /// Another instance of the same deployment: same database, same configuration (so, with
    /// Redis, the same Redis and key prefix), its own port, and `options`.
    pub async fn another_instance(&self, options: ServeOptions) -> TestApp {
        start(
            self.vars.clone(),
            Arc::clone(&self.db),
            Arc::clone(&self._data_dir),
            options,
        )
        .await
    }

    /// The same deployment restarted with some variables changed: same database and data
    /// directory, the configuration with `overrides` applied, its own port. Start it before
    /// stopping `self`, which would otherwise drop the database.
    pub async fn reconfigured(&self, overrides: &[(&str, &str)]) -> TestApp {
        let mut vars = self.vars.clone();
        vars.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        start(
            vars,
            Arc::clone(&self.db),
            Arc::clone(&self._data_dir),
            ServeOptions::default(),
        )
        .await
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with an optional JSON body and bearer token.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        bearer: Option<&str>,
    ) -> TestResponse {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        read(request.send().await.expect("request sent")).await
    }

    /// Sends raw bytes with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        let request = self
            .http
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        read(request.send().await.expect("request sent")).await
    }

    /// A request to `path`, for the headers and bodies the typed helpers do not send.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends a request made with [`Self::request`] and reads its response.
    pub async fn execute(&self, request: reqwest::RequestBuilder) -> TestResponse {
        read(request.send().await.expect("request sent")).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> TestResponse {
        self.send(Method::GET, path, None, bearer).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value, bearer: Option<&str>) -> TestResponse {
        self.send(Method::POST, path, Some(body), bearer).await
    }

    /// docs/http-api.md §3 signup.
    pub async fn signup(&self, email: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/signup",
            json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// docs/http-api.md §3 login.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// docs/http-api.md §3 refresh.
    pub async fn refresh(&self, refresh_token: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": refresh_token}),
            None,
        )
        .await
    }

    /// docs/http-api.md §3 logout, without a body.
    pub async fn logout(&self, access: &str) -> TestResponse {
        self.send(Method::POST, "/api/v1/auth/logout", None, Some(access))
            .await
    }

    /// docs/http-api.md §3 logout, with a JSON body.
    pub async fn logout_with(&self, access: &str, body: Value) -> TestResponse {
        self.post("/api/v1/auth/logout", body, Some(access)).await
    }

    /// docs/http-api.md §3 logout-all.
    pub async fn logout_all(&self, access: &str) -> TestResponse {
        self.send(Method::POST, "/api/v1/auth/logout-all", None, Some(access))
            .await
    }

    /// docs/http-api.md §4 read the profile.
    pub async fn profile(&self, access: &str) -> TestResponse {
        self.get("/api/v1/user/profile", Some(access)).await
    }

    /// docs/http-api.md §4 update the profile.
    pub async fn update_profile(&self, access: &str, body: Value) -> TestResponse {
        self.send(
            Method::PATCH,
            "/api/v1/user/profile",
            Some(body),
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §4 list the caller's sessions.
    pub async fn sessions(&self, access: &str) -> TestResponse {
        self.get("/api/v1/user/sessions", Some(access)).await
    }

    /// docs/http-api.md §4 revoke one of the caller's sessions; `id` goes into the path as given.
    pub async fn revoke_session(&self, access: &str, id: &str) -> TestResponse {
        self.send(
            Method::DELETE,
            &format!("/api/v1/user/sessions/{id}"),
            None,
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §3 password change.
    pub async fn change_password(&self, access: &str, current: &str, new: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/password/change",
            json!({"currentPassword": current, "newPassword": new}),
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §3 me.
    pub async fn me(&self, access: &str) -> TestResponse {
        self.get("/api/v1/auth/me", Some(access)).await
    }

    /// Signs up a fresh user and logs in.
    pub async fn signed_in_user(&self) -> Session {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let signup = self.signup(&email, PASSWORD).await;
        assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);
        self.login_as(&email).await
    }

    /// Logs in as an existing user with [`PASSWORD`].
    pub async fn login_as(&self, email: &str) -> Session {
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        let data = &login.body["data"];
        Session {
            user_id: data["user"]["id"].as_str().expect("user id").to_owned(),
            email: email.to_owned(),
            access: data["accessToken"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh: data["refreshToken"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server stops cleanly");
        }
    }
}

async fn read(response: reqwest::Response) -> TestResponse {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body read");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    TestResponse {
        status,
        headers,
        body,
        text,
    }
}
