//! Verify latency per request, for each revocation strategy, against a running Postern and
//! its Redis: `make bench` runs it on the PostgreSQL + Redis pass (bench/run.sh), with
//!
//! - `VERIFY_BENCH_POSTERN_URL`: the server's base URL;
//! - `VERIFY_BENCH_TOKEN`: a live access token it issued;
//! - `VERIFY_BENCH_JWT_SECRET`: its HS256 secret (unset: its JWKS);
//! - `VERIFY_BENCH_CLIENT`: one `id:secret` pair of its `INTROSPECTION_CLIENTS`;
//! - `REDIS_URL`, `REDIS_KEY_PREFIX`: its Redis.
//!
//! Without `VERIFY_BENCH_TOKEN` it measures nothing and says so (as under `cargo test`).
//! `introspection_cached` reuses the answer (a 5 s time to live, as by default);
//! `introspection_uncached` asks Postern on every request.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use postern_verify::{Verifier, VerifierBuilder};

struct Target {
    postern: String,
    token: String,
    secret: Option<String>,
    client: (String, String),
    redis: String,
    prefix: String,
}

fn target() -> Option<Target> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let token = var("VERIFY_BENCH_TOKEN")?;
    let client = var("VERIFY_BENCH_CLIENT").expect("VERIFY_BENCH_CLIENT=id:secret");
    let (id, secret) = client
        .split_once(':')
        .expect("VERIFY_BENCH_CLIENT=id:secret");
    Some(Target {
        postern: var("VERIFY_BENCH_POSTERN_URL").expect("VERIFY_BENCH_POSTERN_URL"),
        token,
        secret: var("VERIFY_BENCH_JWT_SECRET"),
        client: (id.to_owned(), secret.to_owned()),
        redis: var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
        prefix: var("REDIS_KEY_PREFIX").unwrap_or_default(),
    })
}

fn keys(target: &Target) -> VerifierBuilder {
    match &target.secret {
        Some(secret) => Verifier::builder().hs256_secret(secret.as_bytes()),
        None => Verifier::builder().jwks(&target.postern),
    }
}

fn verify(c: &mut Criterion) {
    let Some(target) = target() else {
        eprintln!(
            "verify bench: VERIFY_BENCH_TOKEN is unset; nothing measured (make bench sets it)"
        );
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (id, secret) = &target.client;
    let builders = [
        (
            "redis",
            keys(&target).redis_revocation(&target.redis, &target.prefix),
        ),
        (
            "introspection_cached",
            keys(&target).introspection(&target.postern, id, secret),
        ),
        (
            "introspection_uncached",
            keys(&target)
                .introspection(&target.postern, id, secret)
                .introspection_cache_ttl(Duration::ZERO),
        ),
    ];
    let mut group = c.benchmark_group("verify");
    for (name, builder) in builders {
        let verifier = runtime.block_on(builder.build()).unwrap();
        runtime
            .block_on(verifier.verify(&target.token))
            .unwrap_or_else(|e| panic!("{name}: the bench token is refused: {e}"));
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { verifier.verify(&target.token).await.unwrap() });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = verify
}
criterion_main!(benches);
