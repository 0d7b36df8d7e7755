//! Where links in mail lead: `APP_URL` when it is set, else the server's own address.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::Config;

fn config(pairs: &[(&str, &str)]) -> Config {
    let vars: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_vars(vars).unwrap()
}

fn bound(addr: &str) -> SocketAddr {
    addr.parse().unwrap()
}

#[test]
fn app_url_defaults_to_the_configured_host_and_port() {
    let config = config(&[("HOST", "127.0.0.2"), ("PORT", "8090")]);

    assert_eq!(config.mail.app_url.as_str(), "http://127.0.0.2:8090");
    assert!(config.mail.app_url_is_listen_address);
}

#[test]
fn a_wildcard_host_gives_links_to_the_loopback_address_of_its_family() {
    let v4 = config(&[("HOST", "0.0.0.0"), ("PORT", "8090")]);
    let v6 = config(&[("HOST", "::"), ("PORT", "8090")]);

    assert_eq!(v4.mail.app_url.as_str(), "http://127.0.0.1:8090");
    assert_eq!(v6.mail.app_url.as_str(), "http://[::1]:8090");
}

#[test]
fn listening_on_puts_the_bound_port_into_a_defaulted_app_url_and_the_smtp_links() {
    let config = config(&[
        ("PORT", "0"),
        ("SMTP_URL", "smtp://127.0.0.1:2525"),
        ("MAIL_FROM", "no-reply@example.com"),
    ]);

    let listening = config.listening_on(bound("127.0.0.1:41234"));

    assert_eq!(listening.mail.app_url.as_str(), "http://127.0.0.1:41234");
    assert_eq!(
        listening.mail.smtp.map(|smtp| smtp.app_url).as_deref(),
        Some("http://127.0.0.1:41234")
    );
}

#[test]
fn listening_on_keeps_a_configured_app_url() {
    let config = config(&[("PORT", "0"), ("APP_URL", "https://accounts.example.com")]);

    let listening = config.listening_on(bound("127.0.0.1:41234"));

    assert_eq!(
        listening.mail.app_url.as_str(),
        "https://accounts.example.com"
    );
    assert!(!listening.mail.app_url_is_listen_address);
}
