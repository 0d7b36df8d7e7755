//! Prometheus metrics (docs/http-api.md §8 `GET /metrics`), recorded through the `metrics` facade
//! and rendered by `metrics-exporter-prometheus`.
//!
//! The recorder is process-global (the facade has one slot), installed once at the first
//! [`handle`] call; before that, and in processes that never serve, every recording is a no-op.
//! Labels are bounded: routes are templates (`/api/v1/user/sessions/:id`), never raw paths,
//! and most label values are `&'static str`, so that a request costs no label allocation.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `postern_http_requests_total` | counter | `method`, `route`, `status` |
//! | `postern_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `postern_login_attempts_total` | counter | `outcome` |
//! | `postern_rate_limit_rejections_total` | counter | `bucket` |
//! | `postern_profile_cache_lookups_total` | counter | `result` (`hit`, `miss`, `error`) |
//! | `postern_queue_length`, `postern_queue_pending`, `postern_queue_dead_letters` | gauge | `queue` (`outbox`, `email-events`, `audit-events`) |
//! | `postern_worker_entries_total` | counter | `stream`, `outcome` (`processed`, `dead_lettered`, `deferred`, `claimed`) |
//! | `postern_worker_batch_failures_total` | counter | `stream` |
//! | `postern_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |

mod cache;

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    SharedString, Unit, counter, describe_counter, describe_gauge, describe_histogram, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use postern_core::ports::RateLimitBucket;

pub use cache::{CountingCallerLookup, CountingProfileCache};

/// The route label of requests that matched no route: one series for every unknown path.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Latency buckets in seconds: from cache hits to password hashing under load.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed at the first call. `None` when another
/// recorder was installed first (then nothing of Postern's is recorded).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".to_owned()),
                    &LATENCY_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The Prometheus text exposition of every series; empty when no recorder is installed.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

fn describe() {
    describe_counter!(
        "postern_http_requests_total",
        "HTTP requests answered, by route template and status."
    );
    describe_histogram!(
        "postern_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request, by route template."
    );
    describe_counter!(
        "postern_login_attempts_total",
        "Login attempts, by outcome."
    );
    describe_counter!(
        "postern_rate_limit_rejections_total",
        "Requests refused by a rate limit, by bucket."
    );
    describe_counter!(
        "postern_profile_cache_lookups_total",
        "Profile cache lookups: hit, miss or error."
    );
    describe_gauge!(
        "postern_queue_length",
        "Entries in an event queue (the outbox backlog, or a stream's length), sampled."
    );
    describe_gauge!(
        "postern_queue_pending",
        "Entries handed to a consumer and not yet acknowledged (lag), sampled."
    );
    describe_gauge!(
        "postern_queue_dead_letters",
        "Entries waiting in a queue's dead letters, sampled."
    );
    describe_counter!(
        "postern_worker_entries_total",
        "Stream entries a worker finished, by outcome."
    );
    describe_counter!(
        "postern_worker_batch_failures_total",
        "Worker batches that failed (Redis unreachable)."
    );
    describe_counter!(
        "postern_retention_pruned_total",
        "Rows deleted by the housekeeping job past their retention, by kind."
    );
    describe_gauge!(
        "postern_db_pool_connections",
        "Database pool connections in use and idle, sampled."
    );
}

/// Records one answered request. `route` is the matched template, or `None` for no match.
pub fn record_request(
    method: &poem::http::Method,
    route: Option<SharedString>,
    status: u16,
    latency: Duration,
) {
    let method = method_label(method);
    let route = route.unwrap_or(SharedString::const_str(UNMATCHED_ROUTE));
    counter!(
        "postern_http_requests_total",
        "method" => method,
        "route" => route.clone(),
        "status" => status_label(status)
    )
    .increment(1);
    histogram!(
        "postern_http_request_duration_seconds",
        "method" => method,
        "route" => route
    )
    .record(latency.as_secs_f64());
}

/// Records how one login request ended, whatever ended it (the body, the rate limit or the use
/// case), from the status it was answered with: each status login documents stands for one
/// outcome (`success`, `invalid_credentials`, `locked`, `rate_limited`, `disabled`,
/// `invalid_request`, `error`).
pub fn record_login(status: u16) {
    counter!("postern_login_attempts_total", "outcome" => login_outcome(status)).increment(1);
}

/// The `outcome` label of a login answered with `status`.
fn login_outcome(status: u16) -> &'static str {
    match status {
        200..=299 => "success",
        401 => "invalid_credentials",
        403 => "disabled",
        423 => "locked",
        429 => "rate_limited",
        400..=499 => "invalid_request",
        _ => "error",
    }
}

/// Records a request refused by the rate limit of `bucket`.
pub fn record_rate_limited(bucket: RateLimitBucket) {
    counter!("postern_rate_limit_rejections_total", "bucket" => bucket.name()).increment(1);
}

/// Records what one worker batch on `stream` did.
pub fn record_worker_batch(
    stream: &'static str,
    processed: usize,
    dead: usize,
    deferred: usize,
    claimed: usize,
) {
    for (outcome, n) in [
        ("processed", processed),
        ("dead_lettered", dead),
        ("deferred", deferred),
        ("claimed", claimed),
    ] {
        if n > 0 {
            counter!("postern_worker_entries_total", "stream" => stream, "outcome" => outcome)
                .increment(n as u64);
        }
    }
}

/// Records `count` rows of `kind` (`outbox`, `sessions`, ...) deleted past their retention.
pub fn record_pruned(kind: &'static str, count: u64) {
    counter!("postern_retention_pruned_total", "kind" => kind).increment(count);
}

/// Records a worker batch on `stream` that failed as a whole.
pub fn record_worker_failure(stream: &'static str) {
    counter!("postern_worker_batch_failures_total", "stream" => stream).increment(1);
}

fn method_label(method: &poem::http::Method) -> &'static str {
    use poem::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The status as a label: the statuses Postern answers with are static strings; any other is
/// formatted (rare).
fn status_label(status: u16) -> SharedString {
    const COMMON: [(u16, &str); 18] = [
        (200, "200"),
        (201, "201"),
        (202, "202"),
        (204, "204"),
        (304, "304"),
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (405, "405"),
        (409, "409"),
        (413, "413"),
        (415, "415"),
        (423, "423"),
        (429, "429"),
        (500, "500"),
        (502, "502"),
        (503, "503"),
    ];
    COMMON.iter().find(|(code, _)| *code == status).map_or_else(
        || SharedString::from(status.to_string()),
        |(_, label)| SharedString::const_str(label),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_login_documents_is_one_outcome() {
        let outcomes: Vec<_> = [200, 400, 401, 403, 413, 423, 429, 500, 503]
            .into_iter()
            .map(login_outcome)
            .collect();

        assert_eq!(
            outcomes,
            [
                "success",
                "invalid_request",
                "invalid_credentials",
                "disabled",
                "invalid_request",
                "locked",
                "rate_limited",
                "error",
                "error",
            ]
        );
    }

    #[test]
    fn common_statuses_are_static_labels_and_others_are_formatted() {
        assert_eq!(&*status_label(201), "201");
        assert_eq!(&*status_label(418), "418");
    }
}
