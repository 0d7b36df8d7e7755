use secrecy::SecretString;

use super::*;
use crate::domain::{
    FactorCredential, MfaCode, PasswordHash, RecoveryCode, RecoveryCodeDigest, TotpSecret,
    TotpStep, User, UserCredentials,
};
use crate::ports::PasswordCheck;
use crate::usecases::testkit::{Mocks, NOW, caller, password, policy, user};

fn right_password(mocks: &mut Mocks) {
    mocks.users.expect_find_credentials_by_id().returning(|id| {
        Ok(Some(UserCredentials {
            user: User { id, ..user() },
            password_hash: PasswordHash::new("$argon2id$stored".into()),
        }))
    });
    mocks.hasher.expect_verify().returning(|_, _| {
        Ok(PasswordCheck::Match {
            needs_rehash: false,
        })
    });
}

fn totp_code(digits: &str) -> TotpCode {
    match MfaCode::parse(digits, "code").unwrap() {
        MfaCode::Totp(code) => code,
        MfaCode::Recovery(_) => unreachable!("six digits"),
    }
}

#[tokio::test]
async fn enrolment_stores_a_pending_factor_with_the_secret_sealed_under_its_id() {
    let mut mocks = Mocks::new();
    right_password(&mut mocks);
    mocks
        .totp
        .expect_generate_secret()
        .returning(|| TotpSecret::new(b"plain-secret".to_vec()));
    mocks
        .secret_box
        .expect_seal()
        .withf(|secret, _| secret.expose() == b"plain-secret")
        .returning(|_, id| Ok(FactorCredential::new(id.to_string().into_bytes())));
    mocks.totp.expect_provisioning().returning(|_, account| {
        Ok(TotpProvisioning {
            secret: SecretString::from("BASE32"),
            uri: SecretString::from(format!("otpauth://totp/Postern:{account}")),
        })
    });
    mocks
        .factors
        .expect_add_pending()
        .withf(|f| {
            !f.is_active()
                && f.kind == FactorKind::Totp
                && f.credential.as_bytes() == f.id.to_string().as_bytes()
                && f.name.as_str() == "Authenticator app"
        })
        .times(1)
        .returning(|_| Ok(()));
    let enrol = EnrolTotp::new(&mocks.ports(), policy());

    let enrolment = enrol.execute(&caller(), &password(), None).await.unwrap();

    use secrecy::ExposeSecret;
    assert_eq!(
        enrolment.provisioning.uri.expose_secret(),
        "otpauth://totp/Postern:ada@example.com"
    );
}

#[tokio::test]
async fn enrolment_with_a_wrong_password_stores_nothing() {
    let mut mocks = Mocks::new();
    mocks.users.expect_find_credentials_by_id().returning(|id| {
        Ok(Some(UserCredentials {
            user: User { id, ..user() },
            password_hash: PasswordHash::new("$argon2id$stored".into()),
        }))
    });
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(PasswordCheck::Mismatch));
    mocks.rate_limiter.expect_check().returning(|_, _| Ok(None));
    let enrol = EnrolTotp::new(&mocks.ports(), policy());

    // No secret is generated and no factor stored: either would panic.
    let result = enrol.execute(&caller(), &password(), None).await;

    assert!(
        matches!(result, Err(ManageMfaError::WrongPassword)),
        "{result:?}"
    );
}

/// The caller's pending factor, whose code `123456` is step 7, and the account.
fn pending(mocks: &mut Mocks) {
    mocks.factors.expect_find().returning(|user, id| {
        Ok(Some(Factor::pending(
            id,
            user,
            FactorKind::Totp,
            FactorName::default_for(FactorKind::Totp),
            FactorCredential::new(b"sealed".to_vec()),
            NOW,
        )))
    });
    mocks
        .users
        .expect_find_by_id()
        .returning(|id| Ok(Some(User { id, ..user() })));
    mocks
        .secret_box
        .expect_open()
        .returning(|_, _| Ok(TotpSecret::new(b"s".to_vec())));
    mocks
        .totp
        .expect_check()
        .returning(|_, code, _| (code.expose() == "123456").then_some(TotpStep(7)));
}

fn recovery_set(mocks: &mut Mocks) {
    mocks.secret_box.expect_recovery_codes().returning(|| {
        (0..10)
            .map(|i| RecoveryCode::parse(&format!("ABCDEFGHJK{i:02}")).unwrap())
            .collect()
    });
    mocks
        .secret_box
        .expect_digest()
        .returning(|c| RecoveryCodeDigest::new(format!("rc:{}", c.expose())));
}

#[tokio::test]
async fn confirming_a_first_factor_returns_its_recovery_set_and_announces_it() {
    let mut mocks = Mocks::new();
    pending(&mut mocks);
    recovery_set(&mut mocks);
    mocks
        .factors
        .expect_confirm()
        .withf(|c| {
            c.step == TotpStep(7)
                && c.recovery_codes.len() == 10
                && matches!(c.event.data, EventData::MfaEnabled { .. })
        })
        .times(1)
        .returning(|_| Ok(Confirmed::Active { recovery_set: true }));
    let confirm = ConfirmTotp::new(&mocks.ports());

    let confirmed = confirm
        .execute(&caller(), FactorId::generate(), &totp_code("123456"))
        .await
        .unwrap();

    assert!(confirmed.factor.is_active());
    assert_eq!(confirmed.recovery_codes.map(|c| c.len()), Some(10));
}

#[tokio::test]
async fn confirming_a_second_factor_shows_no_recovery_codes() {
    let mut mocks = Mocks::new();
    pending(&mut mocks);
    recovery_set(&mut mocks);
    mocks.factors.expect_confirm().returning(|_| {
        Ok(Confirmed::Active {
            recovery_set: false,
        })
    });
    let confirm = ConfirmTotp::new(&mocks.ports());

    let confirmed = confirm
        .execute(&caller(), FactorId::generate(), &totp_code("123456"))
        .await
        .unwrap();

    assert!(confirmed.recovery_codes.is_none());
}

#[tokio::test]
async fn a_wrong_confirmation_code_confirms_nothing() {
    let mut mocks = Mocks::new();
    pending(&mut mocks);

    // confirm has no expectation: it would panic.
    let result = ConfirmTotp::new(&mocks.ports())
        .execute(&caller(), FactorId::generate(), &totp_code("000000"))
        .await;

    assert!(
        matches!(result, Err(ManageMfaError::InvalidCode)),
        "{result:?}"
    );
}
