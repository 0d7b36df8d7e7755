//! Who is calling: the client's address (docs/http-api.md §1: the socket peer, or the nearest
//! untrusted `X-Forwarded-For` hop when the peer is a trusted proxy) and its user agent.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use poem::{FromRequest, Request, RequestBody};
use postern_core::domain::{ClientContext, ClientKey};

use super::state::AppState;

/// The longest user agent stored with a session.
const MAX_USER_AGENT: usize = 256;

/// The calling client, extracted from the request.
pub struct Client(pub ClientContext);

impl Client {
    /// A key for per-client rate limits: the one the lockout counts failures by (an IPv6
    /// address by its /64, since one host is handed a whole /64 and could otherwise make
    /// itself a fresh key per request).
    pub fn rate_key(&self) -> String {
        ClientKey::of(self.0.ip).to_string()
    }

    /// The client of `req`, believing the `X-Forwarded-For` of the `trusted` proxies only.
    pub fn of(req: &Request, trusted: &[IpNet]) -> Self {
        // IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d; compare them as IPv4.
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_canonical());
        // Several X-Forwarded-For lines mean the same as one comma-joined line (RFC 9110), and a
        // proxy that appends its own line puts the truth last.
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.to_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(",");
        let user_agent = req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect());
        Self(ClientContext {
            ip: client_ip(peer, &forwarded, trusted),
            user_agent,
        })
    }
}

impl<'a> FromRequest<'a> for Client {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let trusted = req
            .data::<Arc<AppState>>()
            .map(|s| s.trusted_proxies.as_slice())
            .unwrap_or(&[]);
        Ok(Self::of(req, trusted))
    }
}

/// Walks `X-Forwarded-For` from the nearest hop back while each hop is a trusted proxy; the
/// first untrusted address is the client. Without trusted proxies the header is ignored, so a
/// client cannot choose its own address.
fn client_ip(peer: Option<IpAddr>, forwarded: &str, trusted: &[IpNet]) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    for hop in forwarded.rsplit(',') {
        match hop.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()) {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_without_trusted_proxies() {
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), "1.2.3.4", &[]),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn a_trusted_proxy_hands_over_the_nearest_untrusted_hop() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let header = "6.6.6.6, 1.2.3.4, 10.0.0.2";
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), header, &trusted),
            Some(ip("1.2.3.4"))
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof_its_address() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(Some(ip("8.8.8.8")), "1.2.3.4", &trusted),
            Some(ip("8.8.8.8"))
        );
    }

    fn rate_key(ip: &str) -> String {
        Client(ClientContext {
            ip: Some(ip.parse().unwrap()),
            user_agent: None,
        })
        .rate_key()
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64_and_an_ipv4_one_whole() {
        assert_eq!(rate_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(rate_key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_eq!(rate_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(rate_key("192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn ipv4_mapped_addresses_match_ipv4_proxies() {
        let trusted = ["127.0.0.1/32".parse().unwrap()];
        assert_eq!(
            client_ip(
                Some(ip("::ffff:127.0.0.1").to_canonical()),
                "1.2.3.4",
                &trusted
            ),
            Some(ip("1.2.3.4"))
        );
    }
}
