//! [`TestApp`]: the whole HTTP application, as `postern-http` serves it, driven in process by
//! poem's `TestClient`, with one typed method per endpoint. [`Builder`] assembles it.

use std::net::SocketAddr;
use std::sync::Arc;

use poem::http::uri::Scheme;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::{TestClient, TestRequestBuilder};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, Request, RequestParts, endpoint::BoxEndpoint};
use postern_core::domain::{AccessChange, Actor, Role, UserId};
use postern_http::AppState;
use postern_tokens::JwtIssuer;
use serde_json::{Value, json};

use super::builder::Builder;

/// A password that satisfies docs/http-api.md §2.
pub const PASSWORD: &str = "correct horse battery staple";

/// The application and what tests reach behind it.
pub struct TestApp {
    client: TestClient<BoxEndpoint<'static>>,
    /// The state the handlers share, for arranging what the API cannot (promoting an admin).
    pub state: Arc<AppState>,
    /// The issuer of the server's access tokens, for crafting tokens.
    pub tokens: Arc<JwtIssuer>,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Reply {
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

impl TestApp {
    /// An application with the defaults of a production server.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// An application to configure.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Serves `state`, whose access tokens `tokens` issues, to requests from `peer`.
    pub(super) fn serving(
        state: Arc<AppState>,
        tokens: Arc<JwtIssuer>,
        peer: Option<SocketAddr>,
    ) -> Self {
        let app = postern_http::app(state.clone()).map_to_response().boxed();
        let app = match peer {
            Some(peer) => app
                .around(move |next, req| async move { next.call(from_peer(req, peer)).await })
                .boxed(),
            None => app,
        };
        Self {
            client: TestClient::new(app),
            state,
            tokens,
        }
    }
}

/// `req` as if it had arrived on a socket from `peer`, which poem's test client cannot say.
fn from_peer(req: Request, peer: SocketAddr) -> Request {
    let (parts, body) = req.into_parts();
    let mut http = poem::http::Request::new(());
    *http.method_mut() = parts.method;
    *http.uri_mut() = parts.uri;
    *http.version_mut() = parts.version;
    *http.headers_mut() = parts.headers;
    *http.extensions_mut() = parts.extensions;
    let (http, ()) = http.into_parts();
    let parts = RequestParts::from((
        http,
        LocalAddr::default(),
        RemoteAddr(Addr::SocketAddr(peer)),
        Scheme::HTTP,
    ));
    Request::from_parts(parts, body)
}

impl TestApp {
    /// A request to `path`, for what the typed methods below do not send.
    pub fn request(
        &self,
        method: Method,
        path: &str,
    ) -> TestRequestBuilder<'_, BoxEndpoint<'static>> {
        self.client.request(method, path)
    }

    /// Sends `request` and reads the response whole.
    pub async fn send(&self, request: TestRequestBuilder<'_, BoxEndpoint<'static>>) -> Reply {
        let response = request.send().await.0;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .into_body()
            .into_string()
            .await
            .expect("a UTF-8 body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// `method path` with a JSON body (or none) and a bearer token (or none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        bearer: Option<&str>,
    ) -> Reply {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.body_json(body);
        }
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.call(Method::GET, path, None, bearer).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> Reply {
        self.call(Method::POST, path, Some(body), bearer).await
    }

    /// docs/http-api.md §3 signup.
    pub async fn signup(&self, email: &str, password: &str) -> Reply {
        let body = json!({"email": email, "password": password});
        self.post("/api/v1/auth/signup", &body, None).await
    }

    /// docs/http-api.md §3 login.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let body = json!({"email": email, "password": password});
        self.post("/api/v1/auth/login", &body, None).await
    }

    /// docs/http-api.md §3 refresh.
    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        let body = json!({"refreshToken": refresh_token});
        self.post("/api/v1/auth/refresh", &body, None).await
    }

    /// docs/http-api.md §3 logout, without a body.
    pub async fn logout(&self, access: &str) -> Reply {
        self.call(Method::POST, "/api/v1/auth/logout", None, Some(access))
            .await
    }

    /// docs/http-api.md §3 me.
    pub async fn me(&self, access: &str) -> Reply {
        self.get("/api/v1/auth/me", Some(access)).await
    }

    /// docs/http-api.md §4 read the profile.
    pub async fn profile(&self, access: &str) -> Reply {
        self.get("/api/v1/user/profile", Some(access)).await
    }

    /// docs/http-api.md §4 update the profile.
    pub async fn update_profile(&self, access: &str, body: &Value) -> Reply {
        self.call(
            Method::PATCH,
            "/api/v1/user/profile",
            Some(body),
            Some(access),
        )
        .await
    }

    /// docs/http-api.md §5 change a user's role or disable them.
    pub async fn update_user(&self, access: &str, id: &str, body: &Value) -> Reply {
        let path = format!("/api/v1/admin/users/{id}");
        self.call(Method::PATCH, &path, Some(body), Some(access))
            .await
    }

    /// Signs up a fresh user and logs in.
    pub async fn signed_in_user(&self) -> Session {
        let email = format!("user-{}@example.com", uuid::Uuid::new_v4().simple());
        let signup = self.signup(&email, PASSWORD).await;
        assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.text);
        self.login_as(&email).await
    }

    /// Signs up a fresh user, makes them an admin as an operator would, and logs in.
    pub async fn signed_in_admin(&self) -> Session {
        let user = self.signed_in_user().await;
        let id = UserId::parse(&user.user_id).expect("a user id");
        let promotion = AccessChange {
            role: Some(Role::Admin),
            disabled: None,
        };
        self.state
            .accounts
            .change_access
            .execute(Actor::Operator, id, promotion)
            .await
            .expect("promoted to admin");
        self.login_as(&user.email).await
    }

    /// Logs in as an existing user with [`PASSWORD`].
    pub async fn login_as(&self, email: &str) -> Session {
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
        let data = &login.body["data"];
        let text = |v: &Value| v.as_str().expect("a string").to_owned();
        Session {
            user_id: text(&data["user"]["id"]),
            email: email.to_owned(),
            access: text(&data["accessToken"]),
            refresh: text(&data["refreshToken"]),
        }
    }
}
