//! The codes an authenticator app would show, for the tests that complete a second step.

use totp_rs::{Builder, Secret};

/// The code an authenticator app shows for `secret` (base32, as enrolment answers it), `steps`
/// steps of 30 s from now.
pub fn code(secret: &str, steps: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).expect("a base32 secret"))
        .build()
        .expect("RFC 6238 parameters");
    let at = time::OffsetDateTime::now_utc().unix_timestamp() + steps * 30;
    totp.generate(u64::try_from(at).expect("after 1970"))
        .to_string()
}
