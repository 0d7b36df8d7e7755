use time::Duration;
use uuid::Uuid;

use super::*;
use crate::domain::{
    AccountTokenRecord, Factor, FactorCredential, FactorId, FactorName, LoginAttempt, ProviderName,
    RecoveryCode, TotpSecret, TotpStep, UserId,
};
use crate::usecases::testkit::{Mocks, NOW, policy, user};

const TOKEN_ID: Uuid = Uuid::from_u128(7);

fn request(code: &str) -> VerifyMfaRequest {
    VerifyMfaRequest {
        token: OpaqueToken::new("mfa-token".into()),
        code: MfaCode::parse(code, "code").unwrap(),
        client: ClientContext {
            ip: Some([10, 0, 0, 1].into()),
            user_agent: None,
        },
    }
}

fn active_totp(user: UserId) -> Factor {
    Factor {
        confirmed_at: Some(NOW),
        ..Factor::pending(
            FactorId::generate(),
            user,
            FactorKind::Totp,
            FactorName::default_for(FactorKind::Totp),
            FactorCredential::new(b"sealed".to_vec()),
            NOW,
        )
    }
}

/// A usable login token of `account`, whose attempt the lockout allows.
fn pending_login(mocks: &mut Mocks, account: User) {
    pending_login_of(mocks, account, TokenPurpose::MfaLogin);
}

/// A usable login token of `purpose` (a password's login, or a provider's sign-in, through
/// `google`) of `account`, whose attempt the lockout allows.
fn pending_login_of(mocks: &mut Mocks, account: User, kind: TokenPurpose) {
    mocks
        .secrets
        .expect_digest()
        .returning(|t| crate::domain::TokenDigest::new(format!("digest:{}", t.expose())));
    let id = account.id;
    mocks
        .account_tokens
        .expect_find()
        .withf(move |purpose, _| *purpose != kind)
        .returning(|_, _| Ok(None));
    mocks
        .account_tokens
        .expect_find()
        .withf(move |purpose, digest| *purpose == kind && digest.as_str() == "digest:mfa-token")
        .returning(move |_, _| {
            Ok(Some(AccountTokenRecord {
                id: TOKEN_ID,
                user_id: id,
                expires_at: NOW + Duration::minutes(5),
                used_at: None,
                new_email: None,
                provider: (kind == TokenPurpose::FederatedMfaLogin)
                    .then(|| ProviderName::parse("google").unwrap()),
            }))
        });
    mocks
        .users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(account.clone())));
    mocks
        .users
        .expect_begin_login_attempt()
        .times(1)
        .returning(|_, _, _| Ok(LoginAttempt::Allowed { attempt: 1 }));
}

/// The account's one TOTP factor, whose code `123456` belongs to step 42.
fn totp_factor(mocks: &mut Mocks) {
    mocks
        .factors
        .expect_list()
        .returning(|user| Ok(vec![active_totp(user)]));
    mocks
        .secret_box
        .expect_open()
        .returning(|_, _| Ok(TotpSecret::new(b"secret".to_vec())));
    mocks
        .totp
        .expect_check()
        .returning(|_, code, _| (code.expose() == "123456").then_some(TotpStep(42)));
}

fn expect_failure_counted(mocks: &mut Mocks) {
    mocks
        .users
        .expect_record_login_failure()
        .withf(|_, _, _, event| {
            matches!(
                event.data,
                EventData::LoginFailed {
                    reason: LoginFailure::WrongMfaCode,
                    ..
                }
            )
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
}

fn verify(mocks: Mocks) -> VerifyMfa {
    VerifyMfa::new(&mocks.ports(), policy(), LockoutPolicy::default())
}

#[tokio::test]
async fn a_fresh_totp_code_spends_its_step_and_the_token_and_starts_a_session() {
    let mut mocks = Mocks::new();
    pending_login(&mut mocks, user());
    mocks
        .secrets
        .expect_generate()
        .returning(|| OpaqueToken::new("fresh-refresh".into()));
    mocks
        .tokens
        .expect_issue()
        .withf(|claims| claims.amr == AuthMethod::PASSWORD_AND_CODE)
        .times(1)
        .returning(|_| Ok(crate::domain::AccessToken::new("jwt".into())));
    totp_factor(&mut mocks);
    mocks
        .factors
        .expect_spend_step()
        .withf(|_, step, at| *step == TotpStep(42) && *at == NOW)
        .times(1)
        .returning(|_, _, _| Ok(true));
    mocks
        .account_tokens
        .expect_spend()
        .withf(|id, _| *id == TOKEN_ID)
        .times(1)
        .returning(|_, _| Ok(true));
    mocks
        .users
        .expect_record_login_success()
        .times(1)
        .returning(|_| Ok(()));
    mocks
        .sessions
        .expect_start()
        .times(1)
        .returning(|_, _| Ok(()));

    let login = verify(mocks).execute(request("123 456")).await.unwrap();

    assert_eq!(login.tokens.access_token.expose(), "jwt");
}

#[tokio::test]
async fn the_second_step_of_a_provider_sign_in_gives_the_session_fed_otp_and_mfa() {
    let mut mocks = Mocks::new();
    pending_login_of(&mut mocks, user(), TokenPurpose::FederatedMfaLogin);
    mocks
        .secrets
        .expect_generate()
        .returning(|| OpaqueToken::new("fresh-refresh".into()));
    mocks
        .tokens
        .expect_issue()
        .withf(|claims| claims.amr == AuthMethod::FEDERATED_AND_CODE)
        .times(1)
        .returning(|_| Ok(crate::domain::AccessToken::new("jwt".into())));
    totp_factor(&mut mocks);
    mocks
        .factors
        .expect_spend_step()
        .returning(|_, _, _| Ok(true));
    mocks
        .account_tokens
        .expect_spend()
        .returning(|_, _| Ok(true));
    mocks
        .users
        .expect_record_login_success()
        .returning(|_| Ok(()));
    mocks
        .sessions
        .expect_start()
        .withf(|session, event| {
            session.amr == AuthMethod::FEDERATED_AND_CODE
                && matches!(&event.data, EventData::LoggedIn { provider: Some(p), .. } if p == "google")
        })
        .times(1)
        .returning(|_, _| Ok(()));

    let login = verify(mocks).execute(request("123456")).await.unwrap();

    assert_eq!(login.tokens.access_token.expose(), "jwt");
}

#[tokio::test]
async fn a_replayed_totp_code_is_refused_and_counted_like_a_wrong_password() {
    let mut mocks = Mocks::new();
    pending_login(&mut mocks, user());
    totp_factor(&mut mocks);
    mocks
        .factors
        .expect_spend_step()
        .returning(|_, _, _| Ok(false));
    expect_failure_counted(&mut mocks);

    // Neither the token is spent nor a session started: either would panic.
    let result = verify(mocks).execute(request("123456")).await;

    assert!(
        matches!(result, Err(VerifyMfaError::InvalidCode)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_wrong_totp_code_is_counted_and_spends_nothing() {
    let mut mocks = Mocks::new();
    pending_login(&mut mocks, user());
    totp_factor(&mut mocks);
    expect_failure_counted(&mut mocks);

    let result = verify(mocks).execute(request("654321")).await;

    assert!(
        matches!(result, Err(VerifyMfaError::InvalidCode)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_recovery_code_is_used_with_its_event() {
    let mut mocks = Mocks::new().with_token_minting();
    pending_login(&mut mocks, user());
    mocks
        .secret_box
        .expect_digest()
        .returning(|code: &RecoveryCode| {
            crate::domain::RecoveryCodeDigest::new(format!("rc:{}", code.expose()))
        });
    mocks
        .factors
        .expect_use_recovery_code()
        .withf(|_, digest, _, event| {
            digest.as_str() == "rc:ABCDEFGHJK12"
                && matches!(event.data, EventData::RecoveryCodeUsed { .. })
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));
    mocks
        .account_tokens
        .expect_spend()
        .returning(|_, _| Ok(true));
    mocks
        .users
        .expect_record_login_success()
        .returning(|_| Ok(()));
    mocks.sessions.expect_start().returning(|_, _| Ok(()));

    let result = verify(mocks).execute(request("abcd-efgh-jk12")).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn a_locked_account_is_refused_before_any_code_is_checked() {
    let mut mocks = Mocks::new();
    mocks
        .secrets
        .expect_digest()
        .returning(|t| crate::domain::TokenDigest::new(t.expose().to_owned()));
    let account = user();
    let id = account.id;
    mocks.account_tokens.expect_find().returning(move |_, _| {
        Ok(Some(AccountTokenRecord {
            id: TOKEN_ID,
            user_id: id,
            expires_at: NOW + Duration::minutes(5),
            used_at: None,
            new_email: None,
            provider: None,
        }))
    });
    mocks
        .users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(account.clone())));
    mocks
        .users
        .expect_begin_login_attempt()
        .returning(|_, at, _| {
            Ok(LoginAttempt::Locked {
                until: at + Duration::minutes(2),
            })
        });

    // No factor is listed and no code checked: those calls would panic.
    let result = verify(mocks).execute(request("123456")).await;

    assert!(
        matches!(result, Err(VerifyMfaError::AccountLocked { retry_after }) if retry_after == Duration::minutes(2)),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_spent_or_expired_token_is_invalid_and_counts_nothing() {
    for record in [
        AccountTokenRecord {
            id: TOKEN_ID,
            user_id: UserId::generate(),
            expires_at: NOW + Duration::minutes(5),
            used_at: Some(NOW),
            new_email: None,
            provider: None,
        },
        AccountTokenRecord {
            id: TOKEN_ID,
            user_id: UserId::generate(),
            expires_at: NOW,
            used_at: None,
            new_email: None,
            provider: None,
        },
    ] {
        let mut mocks = Mocks::new();
        mocks
            .secrets
            .expect_digest()
            .returning(|t| crate::domain::TokenDigest::new(t.expose().to_owned()));
        mocks
            .account_tokens
            .expect_find()
            .returning(move |_, _| Ok(Some(record.clone())));

        let result = verify(mocks).execute(request("123456")).await;

        assert!(
            matches!(result, Err(VerifyMfaError::InvalidToken)),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn verify_future_is_send() {
    let mut mocks = Mocks::new();
    mocks
        .secrets
        .expect_digest()
        .returning(|t| crate::domain::TokenDigest::new(t.expose().to_owned()));
    mocks
        .account_tokens
        .expect_find()
        .returning(|_, _| Ok(None));
    let verify = verify(mocks);

    let result = tokio::spawn(async move { verify.execute(request("123456")).await })
        .await
        .unwrap();

    assert!(matches!(result, Err(VerifyMfaError::InvalidToken)));
}
