//! docs/http-api.md §8: liveness and readiness. Plain JSON (no envelope), as orchestrators and load
//! balancers expect.

use std::sync::Arc;

use futures::future::join_all;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::state::AppState;

/// The process is up.
#[derive(Object)]
#[oai(rename = "Health")]
pub struct HealthView {
    /// Always `ok`.
    pub status: String,
    /// Always `postern`.
    pub service: String,
    /// The running version.
    pub version: String,
}

/// Each configured dependency and whether it answered.
#[derive(Object)]
#[oai(rename = "Readiness")]
pub struct ReadinessView {
    /// `ready` or `unavailable`.
    pub status: String,
    /// The dependencies that did not answer.
    pub failed: Vec<String>,
}

/// Readiness.
#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// Every dependency answers.
    #[oai(status = 200)]
    Ready(Json<ReadinessView>),
    /// At least one dependency does not answer.
    #[oai(status = 503)]
    Unavailable(Json<ReadinessView>),
}

/// docs/http-api.md §8 operations.
pub struct OpsApi;

#[OpenApi(tag = "ApiTags::Operations")]
impl OpsApi {
    /// Liveness
    ///
    /// 200 while the process runs.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> Json<HealthView> {
        Json(HealthView {
            status: "ok".to_owned(),
            service: "postern".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    /// Readiness
    ///
    /// 200 when every configured dependency answers, else 503 naming the ones that do not.
    #[oai(path = "/ready", method = "get", operation_id = "ready")]
    async fn ready(&self, state: Data<&Arc<AppState>>) -> ReadyResponse {
        let checks = join_all(
            state
                .probes
                .iter()
                .map(|p| async move { (p.name(), p.is_ready().await) }),
        )
        .await;
        let failed: Vec<String> = checks
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(name, _)| name.to_owned())
            .collect();
        if failed.is_empty() {
            ReadyResponse::Ready(Json(ReadinessView {
                status: "ready".to_owned(),
                failed,
            }))
        } else {
            ReadyResponse::Unavailable(Json(ReadinessView {
                status: "unavailable".to_owned(),
                failed,
            }))
        }
    }
}
