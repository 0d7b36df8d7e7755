//! # postern-totp
//!
//! The core's [`TotpVerifier`] with the `totp-rs` crate: RFC 6238 codes of six digits from
//! HMAC-SHA-1 over 30-second steps, accepted one step either side of now for clock skew; what
//! every authenticator app computes by default. Which step matched is returned, so that the
//! storage can accept each step once.

use postern_core::domain::{TotpCode, TotpSecret, TotpStep};
use postern_core::ports::{PortError, PortResult, TotpProvisioning, TotpVerifier};
use secrecy::SecretString;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, Totp};

/// Secret bytes: 160 bits, RFC 4226's recommendation for HMAC-SHA-1.
const SECRET_LEN: usize = 20;

/// Computes TOTP codes under one issuer name, shown by authenticator apps.
pub struct RfcTotp {
    issuer: String,
}

impl RfcTotp {
    /// A verifier whose provisioning URIs name `issuer` (e.g. `Postern`).
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
        }
    }

    /// The RFC 6238 parameters over `secret`, labelled `account` (may be empty for checks).
    fn totp(&self, secret: &TotpSecret, account: &str) -> Result<Totp, totp_rs::TotpError> {
        let mut builder = totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(Secret::from(secret.expose()));
        if !account.is_empty() {
            builder = builder
                .with_issuer(Some(self.issuer.as_str()))
                .with_account_name(account);
        }
        builder.build()
    }
}

impl TotpVerifier for RfcTotp {
    #[expect(
        clippy::expect_used,
        reason = "getrandom cannot fail on a supported OS once it has booted"
    )]
    fn generate_secret(&self) -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_LEN];
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        TotpSecret::new(bytes)
    }

    fn provisioning(&self, secret: &TotpSecret, account: &str) -> PortResult<TotpProvisioning> {
        // A colon separates issuer from account in the URI's label; an email never holds one,
        // but a label that would be refused must not fail the enrolment.
        let account = account.replace(':', "");
        let totp = self.totp(secret, &account).map_err(PortError::unexpected)?;
        let uri = totp.to_url().map_err(PortError::unexpected)?;
        Ok(TotpProvisioning {
            secret: SecretString::from(Secret::from(secret.expose()).to_base32()),
            uri: SecretString::from(uri),
        })
    }

    fn check(&self, secret: &TotpSecret, code: &TotpCode, at: OffsetDateTime) -> Option<TotpStep> {
        let time = u64::try_from(at.unix_timestamp()).ok()?;
        let totp = self.totp(secret, "").ok()?;
        totp.check(code.expose(), time).map(TotpStep)
    }
}

#[cfg(test)]
mod tests {
    use postern_core::domain::MfaCode;
    use secrecy::ExposeSecret as _;

    use super::*;

    /// RFC 6238's SHA-1 test secret.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::new(b"12345678901234567890".to_vec())
    }

    fn code(digits: &str) -> TotpCode {
        match MfaCode::parse(digits, "code") {
            Ok(MfaCode::Totp(code)) => code,
            other => panic!("not a TOTP code: {other:?}"),
        }
    }

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    #[test]
    fn the_rfc_6238_test_vector_matches_at_its_step() {
        // RFC 6238 appendix B: T = 59 s gives 94287082 in eight digits, so 287082 in six.
        let step = RfcTotp::new("Postern").check(&rfc_secret(), &code("287082"), at(59));

        assert_eq!(step, Some(TotpStep(1)));
    }

    #[test]
    fn a_code_one_step_old_still_matches_and_two_steps_old_does_not() {
        let totp = RfcTotp::new("Postern");

        assert_eq!(
            totp.check(&rfc_secret(), &code("287082"), at(89)),
            Some(TotpStep(1))
        );
        assert_eq!(totp.check(&rfc_secret(), &code("287082"), at(120)), None);
    }

    #[test]
    fn provisioning_gives_the_base32_secret_and_an_otpauth_uri() {
        let totp = RfcTotp::new("Postern");
        let secret = totp.generate_secret();

        let provisioning = totp.provisioning(&secret, "ada@example.com").unwrap();

        let uri = provisioning.uri.expose_secret();
        assert!(
            uri.starts_with("otpauth://totp/Postern:ada%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains(provisioning.secret.expose_secret()), "{uri}");
        assert_eq!(secret.expose().len(), 20);
    }
}
