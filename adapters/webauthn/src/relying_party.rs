//! The relying party: the RP id credentials are bound to and the origin the browser must report.
//! `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGIN` default from `APP_URL`; an RP id must be a domain, so
//! an `APP_URL` on an IP address (a development setup on 127.0.0.1) defaults to `localhost`,
//! which browsers accept as a secure context over plain HTTP.

use url::{Host, Url};
use webauthn_rs::WebauthnBuilder;

/// Why the relying party settings cannot be used. Raised at start-up, never by a request.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RelyingPartyError {
    /// `APP_URL` or `WEBAUTHN_ORIGIN` has no host (`data:`, `file:` URLs).
    #[error("{0} has no host")]
    NoHost(Url),
    /// The RP id is not the origin's host nor a parent domain of it, so no browser would let
    /// that origin use credentials of that RP id.
    #[error("WEBAUTHN_RP_ID {rp_id} is not {origin}'s domain nor a parent of it")]
    NotAnEffectiveDomain {
        /// The RP id.
        rp_id: String,
        /// The origin.
        origin: Url,
    },
}

/// A relying party whose RP id is an effective domain of its origin: a value that exists is one
/// `webauthn-rs` accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelyingParty {
    id: String,
    origin: Url,
}

impl RelyingParty {
    /// The relying party of the settings: each of `rp_id` and `origin` that is unset takes its
    /// default from `app_url` (see [`RelyingParty::defaults`]).
    ///
    /// # Errors
    /// [`RelyingPartyError::NoHost`] when a URL has no host, and
    /// [`RelyingPartyError::NotAnEffectiveDomain`] when the RP id does not cover the origin.
    pub fn configure(
        app_url: &Url,
        rp_id: Option<&str>,
        origin: Option<&Url>,
    ) -> Result<Self, RelyingPartyError> {
        let defaults = Self::defaults(app_url)?;
        let origin = match origin {
            Some(origin) => origin_of(origin)?,
            None => defaults.origin,
        };
        Self::new(rp_id.unwrap_or(&defaults.id), origin)
    }

    /// The defaults from `APP_URL`: its host and origin, or `localhost` and
    /// `<scheme>://localhost:<port>` when its host is an IP address.
    ///
    /// # Errors
    /// [`RelyingPartyError::NoHost`] when `app_url` has no host.
    pub fn defaults(app_url: &Url) -> Result<Self, RelyingPartyError> {
        match app_url.host() {
            Some(Host::Domain(domain)) => Ok(Self {
                id: domain.to_owned(),
                origin: origin_of(app_url)?,
            }),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => Ok(Self {
                id: LOCALHOST.to_owned(),
                origin: localhost_origin(app_url)?,
            }),
            None => Err(RelyingPartyError::NoHost(app_url.clone())),
        }
    }

    /// A relying party from explicit settings.
    ///
    /// # Errors
    /// [`RelyingPartyError::NotAnEffectiveDomain`] when `id` is neither `origin`'s host nor a
    /// parent domain of it.
    pub fn new(id: &str, origin: Url) -> Result<Self, RelyingPartyError> {
        let id = id.to_ascii_lowercase();
        match WebauthnBuilder::new(&id, &origin) {
            Ok(_) => Ok(Self { id, origin }),
            Err(_) => Err(RelyingPartyError::NotAnEffectiveDomain { rp_id: id, origin }),
        }
    }

    /// The RP id credentials are bound to (`WEBAUTHN_RP_ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origin the browser must report (`WEBAUTHN_ORIGIN`).
    pub fn origin(&self) -> &Url {
        &self.origin
    }
}

const LOCALHOST: &str = "localhost";

/// `url`'s origin alone: a browser reports scheme, host and port, never a path.
fn origin_of(url: &Url) -> Result<Url, RelyingPartyError> {
    Url::parse(&url.origin().ascii_serialization())
        .map_err(|_| RelyingPartyError::NoHost(url.clone()))
}

/// `url`'s origin with `localhost` in place of its IP address, port kept.
fn localhost_origin(url: &Url) -> Result<Url, RelyingPartyError> {
    let mut origin = origin_of(url)?;
    origin
        .set_host(Some(LOCALHOST))
        .map_err(|_| RelyingPartyError::NoHost(url.clone()))?;
    Ok(origin)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn url(raw: &str) -> Url {
        Url::parse(raw).unwrap()
    }

    #[test]
    fn a_domain_app_url_gives_its_host_and_origin() {
        let rp = RelyingParty::defaults(&url("https://auth.example.com/app/")).unwrap();

        assert_eq!(rp.id(), "auth.example.com");
        assert_eq!(rp.origin().as_str(), "https://auth.example.com/");
    }

    #[test]
    fn a_domain_app_url_keeps_a_non_default_port() {
        let rp = RelyingParty::defaults(&url("http://localhost:8080")).unwrap();

        assert_eq!(rp.id(), "localhost");
        assert_eq!(rp.origin().as_str(), "http://localhost:8080/");
    }

    #[test]
    fn an_ipv4_app_url_gives_localhost_with_its_port() {
        let rp = RelyingParty::defaults(&url("http://127.0.0.1:3000/")).unwrap();

        assert_eq!(rp.id(), "localhost");
        assert_eq!(rp.origin().as_str(), "http://localhost:3000/");
    }

    #[test]
    fn an_ipv6_app_url_gives_localhost_with_its_port() {
        let rp = RelyingParty::defaults(&url("http://[::1]:3000")).unwrap();

        assert_eq!(rp.id(), "localhost");
        assert_eq!(rp.origin().as_str(), "http://localhost:3000/");
    }

    #[test]
    fn an_app_url_without_host_is_refused() {
        let app_url = url("data:text/plain,postern");

        assert_eq!(
            RelyingParty::defaults(&app_url),
            Err(RelyingPartyError::NoHost(app_url))
        );
    }

    #[test]
    fn a_parent_domain_is_accepted_as_rp_id() {
        let rp =
            RelyingParty::configure(&url("https://auth.example.com"), Some("example.com"), None)
                .unwrap();

        assert_eq!(rp.id(), "example.com");
        assert_eq!(rp.origin().as_str(), "https://auth.example.com/");
    }

    #[test]
    fn explicit_settings_replace_the_defaults() {
        let rp = RelyingParty::configure(
            &url("http://127.0.0.1:3000"),
            Some("example.com"),
            Some(&url("https://login.example.com/path")),
        )
        .unwrap();

        assert_eq!(rp.id(), "example.com");
        assert_eq!(rp.origin().as_str(), "https://login.example.com/");
    }

    #[test]
    fn an_rp_id_that_does_not_cover_the_origin_is_refused() {
        let refused =
            RelyingParty::configure(&url("https://auth.example.com"), Some("other.com"), None);

        assert!(matches!(
            refused,
            Err(RelyingPartyError::NotAnEffectiveDomain { rp_id, .. }) if rp_id == "other.com"
        ));
    }
}
