//! The exchange of one-time login codes, against mocks of every port.

use std::sync::Arc;

use super::*;
use crate::domain::{
    AccessToken, EventData, Factor, FactorCredential, FactorId, FactorKind, FactorName,
    TokenDigest, TokenPurpose, User, UserId,
};
use crate::ports::{LoginCode, MockSignInGrants, ProviderName};
use crate::usecases::testkit::{Mocks, NOW, policy, user};

fn request() -> ExchangeRequest {
    ExchangeRequest {
        code: OpaqueToken::new("login-code".into()),
        client: ClientContext {
            ip: Some([10, 0, 0, 1].into()),
            user_agent: Some("browser".into()),
        },
    }
}

/// Grants holding the code of `user` for google, once, or none.
fn grants(user: Option<UserId>) -> MockSignInGrants {
    let mut grants = MockSignInGrants::new();
    grants
        .expect_take_code()
        .withf(|digest, now| digest.as_str() == "digest:login-code" && *now == NOW)
        .times(1)
        .returning(move |digest, _| {
            Ok(user.map(|user_id| LoginCode {
                digest: digest.clone(),
                user_id,
                provider: ProviderName::parse("google").unwrap(),
                expires_at: NOW + time::Duration::seconds(60),
            }))
        });
    grants
}

fn account(mocks: &mut Mocks, account: User) {
    mocks
        .users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(account.clone())));
}

fn digests(mocks: &mut Mocks) {
    mocks
        .secrets
        .expect_digest()
        .returning(|t| TokenDigest::new(format!("digest:{}", t.expose())));
}

fn exchange(mocks: Mocks, grants: MockSignInGrants) -> ExchangeLoginCode {
    ExchangeLoginCode::new(&mocks.ports(), Arc::new(grants), policy())
}

#[tokio::test]
async fn a_code_starts_a_federated_session_whose_login_event_names_the_provider() {
    let ada = user();
    let id = ada.id;
    let mut mocks = Mocks::new();
    digests(&mut mocks);
    account(&mut mocks, ada);
    mocks.factors.expect_list().returning(|_| Ok(Vec::new()));
    mocks
        .secrets
        .expect_generate()
        .returning(|| OpaqueToken::new("fresh-refresh".into()));
    mocks
        .tokens
        .expect_issue()
        .withf(|claims| claims.amr == AuthMethod::FEDERATED)
        .times(1)
        .returning(|_| Ok(AccessToken::new("jwt".into())));
    mocks
        .sessions
        .expect_start()
        .withf(|session, event| {
            session.amr == AuthMethod::FEDERATED
                && matches!(&event.data, EventData::LoggedIn { provider: Some(p), .. } if p == "google")
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let exchange = exchange(mocks, grants(Some(id)));

    // Spawned, to prove the use case's future is Send.
    let outcome = tokio::spawn(async move { exchange.execute(request()).await })
        .await
        .unwrap()
        .unwrap();

    assert!(
        matches!(outcome, LoginOutcome::Session { user, tokens } if user.id == id && tokens.access_token.expose() == "jwt")
    );
}

#[tokio::test]
async fn an_unknown_spent_or_expired_code_is_refused() {
    let mut mocks = Mocks::new();
    digests(&mut mocks);
    mocks.sessions.expect_start().never();

    let result = exchange(mocks, grants(None)).execute(request()).await;

    assert!(matches!(result, Err(ExchangeError::InvalidCode)));
}

#[tokio::test]
async fn an_account_with_a_second_factor_gets_the_challenge_of_a_provider_sign_in() {
    let ada = user();
    let id = ada.id;
    let mut mocks = Mocks::new();
    digests(&mut mocks);
    account(&mut mocks, ada);
    mocks.factors.expect_list().returning(move |_| {
        Ok(vec![Factor {
            confirmed_at: Some(NOW),
            ..Factor::pending(
                FactorId::generate(),
                id,
                FactorKind::Totp,
                FactorName::default_for(FactorKind::Totp),
                FactorCredential::new(b"sealed".to_vec()),
                NOW,
            )
        }])
    });
    mocks
        .secrets
        .expect_generate()
        .returning(|| OpaqueToken::new("mfa-token".into()));
    mocks
        .account_tokens
        .expect_issue()
        .withf(move |t| {
            t.purpose == TokenPurpose::FederatedMfaLogin
                && t.user_id == id
                && t.provider.as_ref().map(ProviderName::as_str) == Some("google")
        })
        .times(1)
        .returning(|_| Ok(()));
    mocks.sessions.expect_start().never();

    let outcome = exchange(mocks, grants(Some(id)))
        .execute(request())
        .await
        .unwrap();

    assert!(
        matches!(outcome, LoginOutcome::MfaRequired(challenge) if challenge.token.expose() == "mfa-token" && challenge.factors == [FactorKind::Totp])
    );
}

#[tokio::test]
async fn a_disabled_account_starts_no_session() {
    let ada = User {
        disabled: true,
        ..user()
    };
    let id = ada.id;
    let mut mocks = Mocks::new();
    digests(&mut mocks);
    account(&mut mocks, ada);
    mocks.sessions.expect_start().never();

    let result = exchange(mocks, grants(Some(id))).execute(request()).await;

    assert!(matches!(result, Err(ExchangeError::AccountDisabled)));
}
