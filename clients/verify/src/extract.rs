//! The `axum` extractor: the claims of the request's verified bearer token.
//!
//! ```no_run
//! use axum::{Extension, Router, routing::get};
//! use postern_verify::{Verified, Verifier};
//!
//! async fn whoami(Verified(claims): Verified) -> String {
//!     format!("{} ({})", claims.sub, claims.role)
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .jwks("http://127.0.0.1:8080")
//!     .introspection("http://127.0.0.1:8080", "orders", "the client's secret")
//!     .build()
//!     .await?;
//! // Either verify in each handler that takes `Verified`, with the verifier as an extension...
//! let app: Router = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(Extension(verifier.clone()));
//! // ...or refuse every unverified request up front with the tower layer.
//! let guarded: Router = Router::new()
//!     .route("/whoami", get(whoami))
//!     .layer(postern_verify::VerifyLayer::new(verifier));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, guarded).await?;
//! # let _ = app;
//! # Ok(())
//! # }
//! ```

use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::{Claims, Verifier, VerifyError, refusal};

/// The claims of a verified bearer token: those [`crate::VerifyLayer`] put in the extensions,
/// else verified here with the [`Verifier`] found in the extensions (`Extension(verifier)`).
#[derive(Clone, Debug)]
pub struct Verified(pub Claims);

/// Why [`Verified`] could not be extracted.
#[derive(Debug)]
pub enum Refusal {
    /// The token was refused, or could not be checked.
    Token(VerifyError),
    /// Neither the layer nor an `Extension(Verifier)` is installed: a bug of the service.
    NoVerifier,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Token(error) => refusal::<Body>(&error),
            Self::NoVerifier => {
                tracing::error!("Verified used without VerifyLayer or Extension(Verifier)");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Refusal> {
        if let Some(claims) = parts.extensions.get::<Claims>() {
            return Ok(Self(claims.clone()));
        }
        let verifier = parts
            .extensions
            .get::<Verifier>()
            .cloned()
            .ok_or(Refusal::NoVerifier)?;
        let authorization = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        verifier
            .verify_authorization(authorization)
            .await
            .map(Self)
            .map_err(Refusal::Token)
    }
}
