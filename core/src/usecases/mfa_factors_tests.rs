use super::*;
use crate::domain::{
    FactorCredential, FactorKind, FactorName, PasswordHash, RecoveryCodeDigest, User,
    UserCredentials,
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

#[tokio::test]
async fn the_list_leaves_out_pending_factors() {
    let mut mocks = Mocks::new();
    mocks.factors.expect_list().returning(|user| {
        let factor = |confirmed| Factor {
            confirmed_at: confirmed,
            ..Factor::pending(
                FactorId::generate(),
                user,
                FactorKind::Totp,
                FactorName::default_for(FactorKind::Totp),
                FactorCredential::new(Vec::new()),
                NOW,
            )
        };
        Ok(vec![factor(None), factor(Some(NOW))])
    });

    let listed = ListFactors::new(&mocks.ports())
        .execute(UserId::generate())
        .await
        .unwrap();

    assert_eq!(listed.len(), 1);
    assert!(listed[0].is_active());
}

#[tokio::test]
async fn removing_an_unknown_factor_is_not_found() {
    let mut mocks = Mocks::new();
    right_password(&mut mocks);
    mocks
        .factors
        .expect_remove()
        .withf(|_, _, event| matches!(event.data, EventData::MfaDisabled { reset_by: None, .. }))
        .returning(|_, _, _| Ok(false));

    let result = RemoveFactor::new(&mocks.ports(), policy())
        .execute(&caller(), FactorId::generate(), &password())
        .await;

    assert!(
        matches!(result, Err(ManageMfaError::FactorNotFound)),
        "{result:?}"
    );
}

#[tokio::test]
async fn new_recovery_codes_need_an_active_factor() {
    let mut mocks = Mocks::new();
    right_password(&mut mocks);
    mocks.secret_box.expect_recovery_codes().returning(Vec::new);
    mocks
        .secret_box
        .expect_digest()
        .returning(|c| RecoveryCodeDigest::new(c.expose().to_owned()));
    mocks
        .factors
        .expect_replace_recovery_codes()
        .returning(|_, _, _| Ok(false));

    let result = RegenerateRecoveryCodes::new(&mocks.ports(), policy())
        .execute(&caller(), &password())
        .await;

    assert!(
        matches!(result, Err(ManageMfaError::MfaNotEnabled)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_admin_reset_names_the_admin_in_its_event() {
    let mut mocks = Mocks::new();
    let admin = UserId::generate();
    mocks
        .users
        .expect_find_by_id()
        .returning(|id| Ok(Some(User { id, ..user() })));
    mocks
        .factors
        .expect_remove_all()
        .withf(move |_, event| {
            matches!(event.data, EventData::MfaDisabled { factor_id: None, reset_by: Some(by), .. } if by == admin)
        })
        .times(1)
        .returning(|_, _| Ok(2));

    let removed = ResetFactors::new(&mocks.ports())
        .execute(admin, UserId::generate())
        .await
        .unwrap();

    assert_eq!(removed, 2);
}
