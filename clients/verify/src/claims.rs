//! The claims of a verified token, as Postern signs them (docs/http-api.md §2).

use serde::Deserialize;

/// The claims of an access token that passed every check: signature, issuer, audience, expiry
/// and revocation.
///
/// With the introspection strategy, `role` is the account's role at the time of the check
/// (Postern answers with it); with the Redis strategy it is the role the token was issued
/// with, which a demotion does not change (a demotion revokes the account's sessions, so such
/// a token is refused anyway).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// `sub`: the user's id (a UUID).
    pub sub: String,
    /// `sid`: the session's id, which revocation is keyed by.
    pub sid: String,
    /// `role`: `user`, `manager` or `admin`.
    pub role: String,
    /// `email`: the account's email when the token was issued.
    pub email: String,
    /// `iat`, in Unix seconds.
    pub iat: i64,
    /// `exp`, in Unix seconds.
    pub exp: i64,
    /// `jti`: unique per token.
    pub jti: String,
    /// `iss`.
    pub iss: String,
    /// `aud`.
    pub aud: String,
}

/// The claims as they travel, with the optional `nbf` checked and dropped.
#[derive(Deserialize)]
pub(crate) struct WireClaims {
    pub(crate) sub: String,
    pub(crate) sid: String,
    pub(crate) role: String,
    pub(crate) email: String,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) jti: String,
    pub(crate) iss: String,
    pub(crate) aud: String,
    #[serde(default)]
    pub(crate) nbf: Option<i64>,
}

impl From<WireClaims> for Claims {
    fn from(wire: WireClaims) -> Self {
        Self {
            sub: wire.sub,
            sid: wire.sid,
            role: wire.role,
            email: wire.email,
            iat: wire.iat,
            exp: wire.exp,
            jti: wire.jti,
            iss: wire.iss,
            aud: wire.aud,
        }
    }
}
