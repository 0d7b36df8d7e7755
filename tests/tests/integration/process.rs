//! The `postern serve` process (issue 5): it finishes in-flight requests when asked to stop,
//! no secret reaches its logs even at TRACE level (nor a second factor's secret, recovery codes
//! or login token, issue 13), and each request is one line that says its status and latency
//! once (issue 12).

use futures::future::join_all;
use postern_tests::app::PASSWORD;
use postern_tests::process::ServeProcess;
use postern_tests::totp::code as totp_code;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "ada@example.com";

async fn post(
    http: &reqwest::Client,
    url: String,
    body: Value,
    bearer: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = http.post(url).json(&body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_logins_finish_and_exits_zero() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[("RATE_LIMIT_LOGIN", "off")]);
    let http = reqwest::Client::new();
    let (status, _) = post(
        &http,
        server.url("/api/v1/auth/signup"),
        json!({"email": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let logins = (0..8).map(|i| {
        let password = if i % 2 == 0 {
            PASSWORD
        } else {
            "not the password"
        };
        let http = http.clone();
        let url = server.url("/api/v1/auth/login");
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"email": EMAIL, "password": password}))
                .send()
                .await
                .map(|r| r.status())
        })
    });
    let logins: Vec<_> = logins.collect();
    // Hashing takes a while: the logins are in the server's hands when the signal arrives.
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    server.terminate();
    let answers = join_all(logins).await;
    let (exit, log) = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();

    for answer in answers {
        let status = answer
            .unwrap()
            .unwrap_or_else(|e| panic!("a login failed: {e}\n{log}"));
        assert!(
            status == StatusCode::OK || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
    }
    assert!(exit.success(), "exit {exit}:\n{log}");
    // At least one login was answered after the signal: it really was in flight.
    let lines: Vec<&str> = log.lines().collect();
    let signalled = lines
        .iter()
        .position(|l| l.contains("shutting down"))
        .unwrap();
    assert!(
        lines[signalled..]
            .iter()
            .any(|l| l.contains("/api/v1/auth/login")),
        "every login finished before the signal:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_even_at_trace_level() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[("RUST_LOG", "trace")]);
    let http = reqwest::Client::new();

    let (signup, _) = post(
        &http,
        server.url("/api/v1/auth/signup"),
        json!({"email": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let (login, body) = post(
        &http,
        server.url("/api/v1/auth/login"),
        json!({"email": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    let access = body["data"]["accessToken"].as_str().unwrap().to_owned();
    let refresh = body["data"]["refreshToken"].as_str().unwrap().to_owned();
    let (refreshed, body) = post(
        &http,
        server.url("/api/v1/auth/refresh"),
        json!({"refreshToken": refresh}),
        None,
    )
    .await;
    let new_access = body["data"]["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = body["data"]["refreshToken"].as_str().unwrap().to_owned();
    let (logout, _) = post(
        &http,
        server.url("/api/v1/auth/logout"),
        json!({}),
        Some(&new_access),
    )
    .await;
    // The pages that mail links lead to carry their token in the query or the form body.
    let link_token = "the-token-of-a-mail-link";
    let verify_page = http
        .get(server.url(&format!("/verify-email?token={link_token}")))
        .send()
        .await
        .unwrap()
        .status();
    let reset_form = http
        .post(server.url("/reset-password"))
        .form(&[
            ("token", link_token),
            ("password", PASSWORD),
            ("confirmation", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .status();
    server.terminate();
    let (exit, log) = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();

    assert_eq!(
        [signup, login, refreshed, logout],
        [
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK
        ]
    );
    assert_eq!(
        [verify_page, reset_form],
        [StatusCode::OK, StatusCode::BAD_REQUEST]
    );
    assert!(exit.success(), "exit {exit}");
    // The proof needs the traffic in the log: a line for each of the six requests (the line
    // count alone was met by sea-orm-migration's lines, which a first start no longer logs).
    assert!(
        log.lines()
            .filter(|line| line.contains(r#""message":"request""#))
            .count()
            >= 6,
        "the requests were not logged, so nothing is proved:\n{log}"
    );
    for (what, secret) in [
        ("the password", PASSWORD),
        ("the access token", access.as_str()),
        ("the refresh token", refresh.as_str()),
        ("the rotated access token", new_access.as_str()),
        ("the rotated refresh token", new_refresh.as_str()),
        ("a password hash", "$argon2id$"),
        ("a mail link's token", link_token),
    ] {
        if let Some(line) = log.lines().find(|line| line.contains(secret)) {
            panic!("{what} reached the log: {line}");
        }
    }
}

/// A field of an answer's `data`, as text.
fn field(body: &Value, name: &str) -> String {
    body["data"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_second_factor_secret_reaches_the_logs_even_at_trace_level() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[("RUST_LOG", "trace")]);
    let http = reqwest::Client::new();
    let url = |path: &str| server.url(path);
    let credentials = json!({"email": EMAIL, "password": PASSWORD});

    post(&http, url("/api/v1/auth/signup"), credentials.clone(), None).await;
    let (_, body) = post(&http, url("/api/v1/auth/login"), credentials.clone(), None).await;
    let access = field(&body, "accessToken");
    let (enrolled, body) = post(
        &http,
        url("/api/v1/user/mfa/totp"),
        json!({"currentPassword": PASSWORD}),
        Some(&access),
    )
    .await;
    let secret = field(&body, "secret");
    let otpauth = field(&body, "otpauthUri");
    let factor = field(&body, "factorId");
    let (confirmed, body) = post(
        &http,
        url("/api/v1/user/mfa/totp/confirm"),
        json!({"factorId": factor, "code": totp_code(&secret, -1)}),
        Some(&access),
    )
    .await;
    let recovery: Vec<String> = body["data"]["recoveryCodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no recovery codes in {body}"))
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    let (_, body) = post(&http, url("/api/v1/auth/login"), credentials.clone(), None).await;
    let mfa_token = field(&body, "mfaToken");
    let (verified, _) = post(
        &http,
        url("/api/v1/auth/mfa/verify"),
        json!({"mfaToken": mfa_token, "code": totp_code(&secret, 0)}),
        None,
    )
    .await;
    let (_, body) = post(&http, url("/api/v1/auth/login"), credentials, None).await;
    let second_token = field(&body, "mfaToken");
    let (by_recovery, _) = post(
        &http,
        url("/api/v1/auth/mfa/verify"),
        json!({"mfaToken": second_token, "code": recovery[0]}),
        None,
    )
    .await;
    server.terminate();
    let (exit, log) = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();

    assert_eq!(
        [enrolled, confirmed, verified, by_recovery],
        [
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK
        ]
    );
    assert!(exit.success(), "exit {exit}");
    assert!(
        log.lines()
            .filter(|line| line.contains("/api/v1/auth/mfa/verify"))
            .count()
            >= 2,
        "the second steps were not logged, so nothing is proved:\n{log}"
    );
    let mut secrets = vec![
        ("the TOTP secret", secret.clone()),
        ("the otpauth URI", otpauth),
        ("the first login token", mfa_token),
        ("the second login token", second_token),
    ];
    secrets.extend(
        recovery
            .iter()
            .map(|code| ("a recovery code", code.clone())),
    );
    // Recovery codes are also accepted without their dashes.
    secrets.extend(
        recovery
            .iter()
            .map(|code| ("a recovery code without dashes", code.replace('-', ""))),
    );
    for (what, secret) in secrets {
        if let Some(line) = log.lines().find(|line| line.contains(&secret)) {
            panic!("{what} reached the log: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_line_says_its_status_and_latency_once_to_the_microsecond() {
    let data = tempfile::tempdir().unwrap();
    let server = ServeProcess::start(data.path(), &[]);

    let health = reqwest::get(server.url("/health")).await.unwrap().status();
    server.terminate();
    let (_, log) = tokio::task::spawn_blocking(move || server.wait())
        .await
        .unwrap();

    assert_eq!(health, StatusCode::OK);
    let line = log
        .lines()
        .find(|line| line.contains(r#""message":"request""#))
        .unwrap_or_else(|| panic!("no request line in:\n{log}"));
    assert_eq!(line.matches(r#""status""#).count(), 1, "{line}");
    assert_eq!(line.matches(r#""latency_ms""#).count(), 1, "{line}");
    let fields = &serde_json::from_str::<Value>(line).unwrap()["fields"];
    assert_eq!(fields["status"], 200, "{line}");
    let latency = fields["latency_ms"].to_string();
    let decimals = latency.split('.').nth(1).map_or(0, str::len);
    assert!(
        decimals <= 3,
        "latency_ms {latency} is finer than a microsecond"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_the_sqlite_files_it_creates_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let server = ServeProcess::start(&data, &[]);
    // A write, so that the write-ahead log exists too.
    let (status, _) = post(
        &reqwest::Client::new(),
        server.url("/api/v1/auth/signup"),
        json!({"email": EMAIL, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let mode = |name: &str| {
        let path = data.join(name);
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
    };

    let modes: Vec<(&str, u32)> = ["", "postern.db", "postern.db-wal", "postern.db-shm"]
        .into_iter()
        .map(|name| (name, mode(name)))
        .collect();
    server.terminate();
    server.wait();

    assert_eq!(
        modes,
        [
            ("", 0o700),
            ("postern.db", 0o600),
            ("postern.db-wal", 0o600),
            ("postern.db-shm", 0o600)
        ]
    );
}
