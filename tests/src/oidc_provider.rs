//! A real OpenID Provider for the sign-in tests: the certified `oidc-provider` of npm, run by
//! Node from `tests/oidc-provider/` on a free port, with two confidential clients (`postern`,
//! whose audience the adapter under test expects, and `other`) and two accounts (`verified`
//! and `unverified`, by the login typed on its development login page, any password).
//!
//! The browser lands back on a tiny local listener, [`Callbacks`], which records the query
//! of every redirect by its `state`. [`OidcProvider::shared`] starts one provider per test
//! binary; it exits when the binary does (it watches its standard input, which closes then).
//! A test that restarts a provider (a key rotation) starts its own with [`OidcProvider::start`];
//! one whose relying party is a Postern server registers the server's callbacks as redirect
//! URIs with [`OidcProvider::start_for`], and has the server send the browser on to
//! [`Callbacks`] at the end.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::browser::Browser;
use crate::redis::free_port;

/// The client whose audience the adapter under test expects.
pub const CLIENT_ID: &str = "postern";
/// Its secret.
pub const CLIENT_SECRET: &str = "postern-secret";
/// Another client of the same provider.
pub const OTHER_CLIENT_ID: &str = "other";
/// Its secret.
pub const OTHER_CLIENT_SECRET: &str = "other-secret";

/// How long the provider may take to start, and a redirect to arrive.
const WAIT: Duration = Duration::from_secs(20);

/// An account of the provider: the login to type, and what its ID tokens say.
#[derive(Clone, Copy, Debug)]
pub struct Account {
    /// The login (and the `sub` of its tokens).
    pub login: &'static str,
    /// Its `email` claim.
    pub email: &'static str,
    /// Its `email_verified` claim.
    pub email_verified: bool,
    /// Its `name` claim.
    pub name: &'static str,
}

/// An account whose email the provider asserts is verified.
pub const VERIFIED: Account = Account {
    login: "verified",
    email: "ada@example.com",
    email_verified: true,
    name: "Ada Lovelace",
};

/// An account whose email the provider says is not verified.
pub const UNVERIFIED: Account = Account {
    login: "unverified",
    email: "bob@example.com",
    email_verified: false,
    name: "Bob Unverified",
};

/// A running provider.
pub struct OidcProvider {
    /// Its issuer, `http://127.0.0.1:<port>`.
    pub issuer: String,
    /// The redirect URI its clients accept, served by [`Self::callbacks`].
    pub redirect_uri: String,
    /// What arrived at the redirect URI.
    pub callbacks: Callbacks,
    port: u16,
    process: Mutex<(Child, ChildStdin)>,
}

impl OidcProvider {
    /// The provider of this test binary, started at the first call.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<OidcProvider> = OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// A provider of the caller's own, with its own redirect listener, on a free port.
    pub fn start() -> Self {
        let callbacks = Callbacks::listen();
        let redirect_uri = callbacks.redirect_uri();
        Self::start_for(&[redirect_uri], callbacks)
    }

    /// A provider of the caller's own on a free port, whose clients accept `redirect_uris`
    /// (the callbacks of a relying party under test), with `callbacks` listening.
    pub fn start_for(redirect_uris: &[String], callbacks: Callbacks) -> Self {
        install();
        let redirect_uri = redirect_uris.join(",");
        let port = free_port();
        let process = spawn(port, &redirect_uri);
        Self {
            issuer: format!("http://127.0.0.1:{port}"),
            redirect_uri,
            callbacks,
            port,
            process: Mutex::new(process),
        }
    }

    /// Stops the provider and starts it again on the same port: same issuer and clients,
    /// a new signing key with a new `kid`, no sessions.
    pub fn restart(&self) {
        let mut process = self.process.lock().unwrap();
        stop(&mut process.0);
        *process = spawn(self.port, &self.redirect_uri);
    }

    /// Signs `account` in at `authorize_url` in a fresh browser and consents, then returns the
    /// `code` the provider redirected back with for `state`.
    pub async fn sign_in(&self, authorize_url: &str, state: &str, account: Account) -> String {
        self.sign_in_landing(authorize_url, state, account).await;
        self.callbacks.code_for(state)
    }

    /// Signs `account` in at `authorize_url` in a fresh browser and consents, and returns the
    /// query of the redirect that landed on [`Self::callbacks`] with `state`.
    pub async fn sign_in_landing(
        &self,
        authorize_url: &str,
        state: &str,
        account: Account,
    ) -> Query {
        let browser = Browser::start().await;
        browser.open(authorize_url).await;
        browser.fill("input[name=login]", account.login).await;
        browser.fill("input[name=password]", "any password").await;
        browser.click("button[type=submit]").await;
        // Waiting for what only the consent page has: the login page's button is still there
        // for a moment after the click.
        browser.text_of("input[name=prompt][value=consent]").await;
        browser.click("button[type=submit]").await;
        assert_eq!(browser.text_of("#signed-in").await, "signed in");
        browser.close().await;
        self.callbacks.query_for(state)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        if let Ok(process) = self.process.get_mut() {
            stop(&mut process.0);
        }
    }
}

/// Installs the provider's packages once per test binary.
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let status = Command::new("bash")
            .arg(tests_dir().join("ensure-oidc-provider.sh"))
            .status()
            .expect("bash runs tests/ensure-oidc-provider.sh");
        assert!(status.success(), "tests/ensure-oidc-provider.sh failed");
    });
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts Node with the provider on `port`; returns once it listens.
fn spawn(port: u16, redirect_uri: &str) -> (Child, ChildStdin) {
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(tests_dir().join("oidc-provider"))
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", redirect_uri)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(crate::log::child_output())
        .spawn()
        .unwrap_or_else(|err| panic!("node could not start ({err}): install Node.js 20+"));
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("listening "),
        "the OpenID Provider did not start: {line:?} ({:?})",
        child.try_wait()
    );
    // Later lines are not read; a closed pipe at exit is harmless to the provider.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, stdin)
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A redirect's query parameters, by name.
pub type Query = HashMap<String, String>;

/// The redirect URI's listener: records the query of every request by its `state`.
#[derive(Clone)]
pub struct Callbacks {
    port: u16,
    received: Arc<(Mutex<HashMap<String, Query>>, Condvar)>,
}

impl Callbacks {
    /// Listens on a free port, in a thread of its own so that it outlives any test's runtime.
    pub fn listen() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let callbacks = Self {
            port: listener.local_addr().unwrap().port(),
            received: Arc::default(),
        };
        let recorder = callbacks.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                recorder.answer(stream);
            }
        });
        callbacks
    }

    /// The URI to register with the provider.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// The `code` that came back with `state`, waiting for it.
    pub fn code_for(&self, state: &str) -> String {
        let query = self.query_for(state);
        query
            .get("code")
            .unwrap_or_else(|| panic!("the provider redirected without a code: {query:?}"))
            .clone()
    }

    /// The whole query that came back with `state`, waiting for it.
    pub fn query_for(&self, state: &str) -> Query {
        let (received, arrived) = &*self.received;
        let started = Instant::now();
        let mut received = received.lock().unwrap();
        loop {
            if let Some(query) = received.get(state) {
                return query.clone();
            }
            assert!(started.elapsed() < WAIT, "no redirect with state {state}");
            received = arrived.wait_timeout(received, WAIT).unwrap().0;
        }
    }

    fn answer(&self, mut stream: TcpStream) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        let target = head.split(' ').nth(1).unwrap_or("/");
        let url = reqwest::Url::parse(&format!("http://127.0.0.1{target}")).unwrap();
        let query: Query = url.query_pairs().into_owned().collect();
        if let Some(state) = query.get("state").cloned() {
            let (received, arrived) = &*self.received;
            received.lock().unwrap().insert(state, query);
            arrived.notify_all();
        }
        let body = "<!doctype html><title>Signed in</title><p id=signed-in>signed in</p>";
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}
