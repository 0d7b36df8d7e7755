//! The OpenAPI operations, grouped by tag. Handlers parse bodies into domain types, call one use
//! case and shape its result; they hold no business rules.

mod admin;
mod admin_queries;
mod admin_schemas;
mod auth;
mod cursor;
mod federation;
mod federation_schemas;
mod introspect;
mod jwks;
mod lifecycle;
mod lifecycle_schemas;
mod mfa;
mod mfa_schemas;
mod ops;
mod recovery;
mod requests;
mod schemas;
mod user;
mod webauthn;
mod webauthn_schemas;

use poem_openapi::{LicenseObject, OpenApiService, ServerObject, Tags};

pub use admin::AdminApi;
pub use auth::AuthApi;
pub use federation::FederationApi;
pub use introspect::IntrospectApi;
pub use jwks::JwksApi;
pub use lifecycle::LifecycleApi;
pub use mfa::MfaApi;
pub use ops::OpsApi;
pub use recovery::RecoveryApi;
pub use user::UserApi;
pub use webauthn::WebAuthnApi;

/// The tags that group operations in the document.
#[derive(Tags)]
pub enum ApiTags {
    /// Signup, login, token refresh, logout and password change.
    Auth,
    /// The signed-in user's own account.
    User,
    /// Administration: users, caches, audit log and event queues. Each operation names
    /// the least role it requires.
    Admin,
    /// Liveness, readiness and the public signing keys.
    Operations,
}

/// Every API of the service.
pub type Api = (
    AuthApi,
    FederationApi,
    IntrospectApi,
    RecoveryApi,
    UserApi,
    LifecycleApi,
    MfaApi,
    WebAuthnApi,
    AdminApi,
    OpsApi,
    JwksApi,
);

/// The OpenAPI service: the operations and the document describing them. Holds no runtime
/// state, so `postern openapi` can write the document without a database.
pub fn service() -> OpenApiService<Api, ()> {
    OpenApiService::new(
        (
            AuthApi,
            FederationApi,
            IntrospectApi,
            RecoveryApi,
            UserApi,
            LifecycleApi,
            MfaApi,
            WebAuthnApi,
            AdminApi,
            OpsApi,
            JwksApi,
        ),
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

#[cfg(test)]
mod tests {
    use poem_openapi::OpenApi;
    use poem_openapi::registry::{MetaOperation, MetaParamIn};

    use super::Api;

    /// Every operation of the API with its method and path, e.g. `POST /api/v1/auth/login`.
    fn operations() -> Vec<(String, MetaOperation)> {
        <Api as OpenApi>::meta()
            .into_iter()
            .flat_map(|api| api.paths)
            .filter(|path| path.path.starts_with("/api/"))
            .flat_map(|path| {
                let route = path.path;
                path.operations
                    .into_iter()
                    .map(move |op| (format!("{} {route}", op.method), op))
            })
            .collect()
    }

    fn statuses(operation: &MetaOperation) -> Vec<u16> {
        operation
            .responses
            .responses
            .iter()
            .filter_map(|response| response.status)
            .collect()
    }

    #[test]
    fn every_operation_documents_what_its_edge_can_answer() {
        for (name, operation) in operations() {
            let documented = statuses(&operation);
            let mut expected = vec![500, 503];
            if !operation.security.is_empty() {
                expected.push(401);
            }
            if operation.request.is_some() {
                expected.extend([400, 413]);
            }
            if operation
                .params
                .iter()
                .any(|param| matches!(param.in_type, MetaParamIn::Query))
            {
                expected.push(400);
            }
            for status in expected {
                assert!(
                    documented.contains(&status),
                    "{name} does not document {status}: {documented:?}"
                );
            }
        }
    }

    #[test]
    fn login_documents_its_use_case_its_body_and_its_rate_limit_and_nothing_else() {
        let (_, login) = operations()
            .into_iter()
            .find(|(name, _)| name == "POST /api/v1/auth/login")
            .unwrap();

        assert_eq!(
            statuses(&login),
            [200, 400, 401, 403, 413, 423, 429, 500, 503]
        );
    }

    #[test]
    fn a_status_with_several_codes_describes_each() {
        let (_, refresh) = operations()
            .into_iter()
            .find(|(name, _)| name == "POST /api/v1/auth/refresh")
            .unwrap();
        let unauthorized = refresh
            .responses
            .responses
            .iter()
            .find(|response| response.status == Some(401))
            .unwrap();

        assert_eq!(
            unauthorized.description,
            "`invalid_token`: unknown, expired or revoked, or the account is disabled; \
             `refresh_token_reused`: the token was already used and its session is now revoked."
        );
    }
}
