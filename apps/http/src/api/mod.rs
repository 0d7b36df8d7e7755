//! The OpenAPI operations, grouped by tag. Handlers parse bodies into domain types, call one use
//! case and shape its result; they hold no business rules.

mod admin;
mod admin_queries;
mod admin_schemas;
mod auth;
mod cursor;
mod jwks;
mod ops;
mod recovery;
mod requests;
mod schemas;
mod user;

use poem_openapi::{LicenseObject, OpenApiService, ServerObject, Tags};

pub use admin::AdminApi;
pub use auth::AuthApi;
pub use jwks::JwksApi;
pub use ops::OpsApi;
pub use recovery::RecoveryApi;
pub use user::UserApi;

/// The tags that group operations in the document.
#[derive(Tags)]
pub enum ApiTags {
    /// Signup, login, token refresh, logout and password change (§3).
    Auth,
    /// The signed-in user's own account (§4).
    User,
    /// Administration: users, caches, audit log and event queues (§5). Each operation names
    /// the least role it requires.
    Admin,
    /// Liveness, readiness and the public signing keys (§8).
    Operations,
}

/// Every API of the service.
pub type Api = (AuthApi, RecoveryApi, UserApi, AdminApi, OpsApi, JwksApi);

/// The OpenAPI service: the operations and the document describing them. Holds no runtime
/// state, so `postern openapi` can write the document without a database.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(
        (AuthApi, RecoveryApi, UserApi, AdminApi, OpsApi, JwksApi),
        "Postern",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Authentication and user accounts: signup, login, rotating refresh tokens, logout \
             and profiles. Every response is an envelope: `{\"success\": true, \"data\": ...}` \
             or `{\"success\": false, \"code\", \"message\", \"details\"?}`.",
    )
    .license(LicenseObject::new(env!("CARGO_PKG_LICENSE")))
    // The paths are relative to the host that serves this document (OpenAPI's default for
    // an empty list, stated explicitly because some tools do not apply that default).
    .server(ServerObject::new("/"))
}
