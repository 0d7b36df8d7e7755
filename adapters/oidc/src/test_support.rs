//! For the unit tests: a local JWKS endpoint that counts its fetches, and EdDSA keys (fixed,
//! test-only) to sign ID tokens with.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// Test-only Ed25519 keys: the base64 PKCS#8 DER of `openssl genpkey -algorithm ed25519`.
const KEYS: [&str; 2] = [
    "MC4CAQAwBQYDK2VwBCIEIIvhNDxbGz7XY/W+FbsgTu+qytPledewxTqU08hsY19n",
    "MC4CAQAwBQYDK2VwBCIEINswMYjkIwHiYVWZuxlPA/aTAwMmzaP6lCn3KoKaG3hL",
];

/// A signing key and the JWKS entry that publishes it under `kid`.
pub(crate) struct TestKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Jwk,
}

/// Test key number `index` (0 or 1), published as `kid`.
pub(crate) fn key(index: usize, kid: &str) -> TestKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(KEYS[index])
        .unwrap();
    let encoding = EncodingKey::from_ed_der(&der);
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    TestKey {
        kid: kid.to_owned(),
        encoding,
        jwk,
    }
}

/// `claims` signed with `key`, its kid in the header.
pub(crate) fn sign(key: &TestKey, claims: &serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

/// A JWKS endpoint on a free port, serving whatever [`JwksServer::publish`] set last.
pub(crate) struct JwksServer {
    pub url: Url,
    keys: Arc<Mutex<JwkSet>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    /// Serves `keys` in a task of the test's runtime.
    pub(crate) async fn start(keys: Vec<Jwk>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/jwks", listener.local_addr().unwrap())).unwrap();
        let server = Self {
            url,
            keys: Arc::new(Mutex::new(JwkSet { keys })),
            fetches: Arc::default(),
        };
        let (keys, fetches) = (server.keys.clone(), server.fetches.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                // One read holds a test's whole GET request.
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).await;
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = serde_json::to_string(&*keys.lock().unwrap()).unwrap();
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        server
    }

    /// Replaces the published keys.
    pub(crate) fn publish(&self, keys: Vec<Jwk>) {
        *self.keys.lock().unwrap() = JwkSet { keys };
    }

    /// How many times the key set was fetched.
    pub(crate) fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}
