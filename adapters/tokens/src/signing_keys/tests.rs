use secrecy::ExposeSecret as _;

use super::*;

/// RFC 8037 appendix A.1: an Ed25519 private key, as PKCS#8 PEM.
const RFC8037_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
-----END PRIVATE KEY-----
";
/// Its public key (RFC 8037 A.2), as SubjectPublicKeyInfo PEM.
const RFC8037_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PUBLIC KEY-----
";
/// Its JWK `x` (RFC 8037 A.2) and RFC 7638 thumbprint (RFC 8037 A.3).
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// A P-256 key: PKCS#8 PEM, but not Ed25519.
const P256_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgx6lE6UHnAWPTChGx
7ADDOsscm6atmDpv9uduYhI9c2+hRANCAATe9h079i7ffYeTavrCz/LUczdM/3jv
f4WQGGDntS7xDmayqtZVxlCjgwSzF/23i3Q4/cjhTysMUpnOHuFbhSbY
-----END PRIVATE KEY-----
";

#[test]
fn the_kid_is_the_rfc_7638_thumbprint_of_the_rfc_8037_example() {
    let pair = Ed25519KeyPair::from_pem(RFC8037_PRIVATE).unwrap();
    let public = Ed25519PublicKey::from_pem(RFC8037_PUBLIC).unwrap();

    assert_eq!(pair.kid(), RFC8037_THUMBPRINT);
    assert_eq!(public.kid(), RFC8037_THUMBPRINT);
    assert_eq!(public.x(), RFC8037_X);
    assert_eq!(pair.public_key(), &public);
}

#[test]
fn a_generated_pair_round_trips_through_pem() {
    let pair = Ed25519KeyPair::generate().unwrap();

    let private = pair.to_pem().unwrap();
    let public = pair.public_key().to_pem().unwrap();
    let reread = Ed25519KeyPair::from_pem(private.expose_secret()).unwrap();

    assert!(
        private
            .expose_secret()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    assert_eq!(reread.kid(), pair.kid());
    assert_eq!(
        Ed25519PublicKey::from_pem(&public).unwrap().kid(),
        pair.kid()
    );
}

#[test]
fn generated_pairs_differ() {
    let first = Ed25519KeyPair::generate().unwrap();
    let second = Ed25519KeyPair::generate().unwrap();

    assert_ne!(first.kid(), second.kid());
}

#[test]
fn the_private_pem_is_the_openssl_compatible_v1_form() {
    let pair = Ed25519KeyPair::from_pem(RFC8037_PRIVATE).unwrap();

    assert_eq!(pair.to_pem().unwrap().expose_secret(), RFC8037_PRIVATE);
    assert_eq!(pair.public_key().to_pem().unwrap(), RFC8037_PUBLIC);
}

#[test]
fn a_public_key_given_as_the_private_key_is_named() {
    let result = Ed25519KeyPair::from_pem(RFC8037_PUBLIC);

    assert!(matches!(result, Err(KeyError::PublicKeyGiven)));
}

#[test]
fn a_private_key_given_as_a_public_key_is_named() {
    let result = Ed25519PublicKey::from_pem(RFC8037_PRIVATE);

    assert!(matches!(result, Err(KeyError::PrivateKeyGiven)));
}

#[test]
fn a_key_of_another_algorithm_or_garbage_is_refused() {
    for text in [
        P256_PRIVATE,
        "",
        "not a key",
        "-----BEGIN PRIVATE KEY-----\n",
    ] {
        let result = Ed25519KeyPair::from_pem(text);

        assert!(
            matches!(result, Err(KeyError::InvalidPrivateKey(_))),
            "{text:?}"
        );
    }
    for text in [
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        let result = Ed25519PublicKey::from_pem(text);

        assert!(
            matches!(result, Err(KeyError::InvalidPublicKey(_))),
            "{text:?}"
        );
    }
}

#[test]
fn debug_output_shows_the_key_id_only() {
    let pair = Ed25519KeyPair::from_pem(RFC8037_PRIVATE).unwrap();

    let debug = format!("{pair:?}");

    assert!(debug.contains(RFC8037_THUMBPRINT));
    assert!(!debug.contains("MC4CAQAw"));
    assert!(!debug.contains("157, 97"), "{debug}");
}
