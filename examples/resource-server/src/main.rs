//! A resource server protected by `postern-verify`: `GET /whoami` answers the verified claims
//! of the caller's Postern access token; every route refuses a request without a valid,
//! unrevoked one (401) or whose token cannot be checked now (503).
//!
//! Configured by environment variables:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `POSTERN_URL` | Postern's base URL (keys, introspection) | `http://127.0.0.1:8080` |
//! | `JWT_SECRET` | Postern's HS256 secret; unset: the keys of `/.well-known/jwks.json` | |
//! | `JWT_ISSUER`, `JWT_AUDIENCE` | as Postern's | `postern` |
//! | `VERIFY_STRATEGY` | `redis` or `introspection` | `redis` |
//! | `REDIS_URL`, `REDIS_KEY_PREFIX` | Postern's Redis and key prefix (`redis`) | `redis://127.0.0.1:6379`, empty |
//! | `INTROSPECTION_CLIENT_ID`, `INTROSPECTION_CLIENT_SECRET` | one pair of Postern's `INTROSPECTION_CLIENTS` (`introspection`) | |
//! | `INTROSPECTION_CACHE_TTL_MS` | how long an introspection answer is reused | `5000` |
//! | `HOST`, `PORT` | where to listen; port 0 picks a free one | `127.0.0.1`, `3000` |
//!
//! Once listening it prints `listening on http://{address}` on standard output.

use std::env;
use std::time::Duration;

use anyhow::{Context, bail};
use axum::routing::get;
use axum::{Json, Router};
use postern_verify::{Verified, Verifier, VerifyLayer};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let verifier = verifier().await?;
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(VerifyLayer::new(verifier));
    let host = var("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = var("PORT").unwrap_or_else(|| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("{host}:{port}"))
        .await
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// The caller's verified claims.
async fn whoami(Verified(claims): Verified) -> Json<Value> {
    Json(json!({
        "sub": claims.sub,
        "sid": claims.sid,
        "role": claims.role,
        "email": claims.email,
        "exp": claims.exp,
    }))
}

/// The verifier the environment describes.
async fn verifier() -> anyhow::Result<Verifier> {
    let postern = var("POSTERN_URL").unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let mut builder = Verifier::builder()
        .issuer(var("JWT_ISSUER").unwrap_or_else(|| "postern".to_owned()))
        .audience(var("JWT_AUDIENCE").unwrap_or_else(|| "postern".to_owned()));
    builder = match var("JWT_SECRET") {
        Some(secret) => builder.hs256_secret(secret),
        None => builder.jwks(&postern),
    };
    builder = match var("VERIFY_STRATEGY").as_deref().unwrap_or("redis") {
        "redis" => builder.redis_revocation(
            &var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
            &var("REDIS_KEY_PREFIX").unwrap_or_default(),
        ),
        "introspection" => {
            let id =
                var("INTROSPECTION_CLIENT_ID").context("INTROSPECTION_CLIENT_ID is required")?;
            let secret = var("INTROSPECTION_CLIENT_SECRET")
                .context("INTROSPECTION_CLIENT_SECRET is required")?;
            let ttl = match var("INTROSPECTION_CACHE_TTL_MS") {
                Some(ms) => ms
                    .parse()
                    .context("INTROSPECTION_CACHE_TTL_MS: milliseconds")?,
                None => 5_000,
            };
            builder
                .introspection(&postern, &id, &secret)
                .introspection_cache_ttl(Duration::from_millis(ttl))
        }
        other => bail!("VERIFY_STRATEGY: expected redis or introspection, got {other:?}"),
    };
    Ok(builder.build().await?)
}

/// A variable's value, if set and not empty.
fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}
