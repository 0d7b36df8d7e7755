use std::sync::Arc;

use super::*;
use crate::domain::{Factor, FactorId, FactorKind, FactorName, UserId};
use crate::ports::{
    CeremonyState, CredentialId, CredentialStorage, DiscoveredCredential, MockCeremonyStates,
    MockWebAuthnCeremonies, PasskeyBlob, VerifiedAssertion,
};
use crate::usecases::testkit::{Mocks, NOW, policy};

const CREDENTIAL: &[u8] = &[1, 2, 3];

fn request() -> PasskeySignInRequest {
    PasskeySignInRequest {
        challenge_id: Uuid::from_u128(9),
        credential: JsonText::new("{}"),
        client: ClientContext::default(),
    }
}

fn key_of(user: UserId) -> Factor {
    Factor {
        confirmed_at: Some(NOW),
        ..Factor::pending(
            FactorId::generate(),
            user,
            FactorKind::Webauthn,
            FactorName::default_for(FactorKind::Webauthn),
            FactorCredential::new(b"{\"counter\":1}".to_vec()),
            NOW,
        )
    }
}

/// A sign-in ceremony waiting under the request's challenge id.
fn waiting() -> MockCeremonyStates {
    let mut states = MockCeremonyStates::new();
    states
        .expect_take()
        .withf(|id, purpose, _| *id == Uuid::from_u128(9) && *purpose == CeremonyPurpose::SignIn)
        .times(1)
        .returning(|id, purpose, _| {
            Ok(Some(PendingCeremony {
                id,
                purpose,
                user_id: None,
                state: CeremonyState::from_stored("state"),
                factor_name: None,
                expires_at: NOW + CEREMONY_TTL,
            }))
        });
    states
}

/// An answer whose user handle is `user`, signed by [`CREDENTIAL`].
fn naming(user: UserId) -> MockWebAuthnCeremonies {
    let mut ceremonies = MockWebAuthnCeremonies::new();
    ceremonies
        .expect_identify_discoverable()
        .returning(move |_| {
            Ok(DiscoveredCredential {
                user,
                credential: CredentialId::from_bytes(CREDENTIAL),
            })
        });
    ceremonies
}

fn sign_in(
    mocks: Mocks,
    ceremonies: MockWebAuthnCeremonies,
    states: MockCeremonyStates,
) -> FinishPasskeySignIn {
    let webauthn = WebAuthnPorts {
        ceremonies: Arc::new(ceremonies),
        states: Arc::new(states),
    };
    FinishPasskeySignIn::new(&mocks.ports(), policy(), &webauthn)
}

#[tokio::test]
async fn an_unknown_challenge_signs_in_no_one_and_the_answer_is_not_read() {
    let mut states = MockCeremonyStates::new();
    states.expect_take().returning(|_, _, _| Ok(None));

    let refused = sign_in(Mocks::new(), MockWebAuthnCeremonies::new(), states)
        .execute(request())
        .await;

    assert!(matches!(
        refused,
        Err(PasskeySignInError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn a_key_whose_user_handle_names_another_account_signs_in_no_one() {
    let (holder, named) = (UserId::generate(), UserId::generate());
    let mut mocks = Mocks::new();
    mocks
        .factors
        .expect_find_by_credential()
        .returning(move |_| Ok(Some(key_of(holder))));

    // No verification expected: the mock panics if the answer is checked against the key.
    let refused = sign_in(mocks, naming(named), waiting())
        .execute(request())
        .await;

    assert!(matches!(
        refused,
        Err(PasskeySignInError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn an_assertion_that_lost_the_race_for_its_counter_starts_no_session() {
    let holder = UserId::generate();
    let mut mocks = Mocks::new();
    mocks
        .factors
        .expect_find_by_credential()
        .returning(move |_| Ok(Some(key_of(holder))));
    mocks
        .factors
        .expect_record_webauthn_use()
        .times(1)
        .returning(|_, _, _, _| Ok(false));
    let mut ceremonies = naming(holder);
    ceremonies
        .expect_finish_discoverable()
        .returning(|_, _, _| {
            Ok(VerifiedAssertion {
                credential: CredentialId::from_bytes(CREDENTIAL),
                passkey: PasskeyBlob::from_stored("{\"counter\":2}"),
                changed: true,
                storage: CredentialStorage::DeviceBound,
                user_verified: true,
            })
        });

    // No session expected: the sessions mock panics if one is started.
    let refused = sign_in(mocks, ceremonies, waiting())
        .execute(request())
        .await;

    assert!(matches!(
        refused,
        Err(PasskeySignInError::InvalidCredentials)
    ));
}
