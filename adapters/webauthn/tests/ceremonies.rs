//! The ceremonies against a software authenticator: every options document goes through a
//! WebAuthn client's checks and every answer is really signed, so what passes here is what a
//! browser's answer would pass.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::slice;

use postern_core::domain::UserId;
use postern_core::ports::{
    CeremonyState, CredentialStorage, JsonText, PasskeyBlob, RegisteredCredential,
    RegistrationRequest, ResidentKey, WebAuthnCeremonies, WebAuthnError,
};
use postern_webauthn::testing::Browser;
use postern_webauthn::{RelyingParty, WebAuthnRelyingParty};
use url::Url;
use webauthn_rs_proto::PublicKeyCredentialCreationOptions;

/// `APP_URL` of a development setup: an IP address, so the RP id is `localhost`.
const APP_URL: &str = "http://127.0.0.1:8080";
const ORIGIN: &str = "http://localhost:8080";

fn relying_party() -> WebAuthnRelyingParty {
    let settings = RelyingParty::defaults(&Url::parse(APP_URL).unwrap()).unwrap();
    WebAuthnRelyingParty::new(&settings).unwrap()
}

fn request(user: UserId, resident_key: ResidentKey) -> RegistrationRequest {
    RegistrationRequest {
        user,
        name: "ada@example.com".to_owned(),
        display_name: "Ada".to_owned(),
        exclude: Vec::new(),
        resident_key,
    }
}

/// Registers a credential of `browser`'s authenticator for `user`.
fn register(
    ceremonies: &WebAuthnRelyingParty,
    browser: &mut Browser,
    user: UserId,
    resident_key: ResidentKey,
) -> RegisteredCredential {
    let start = ceremonies
        .start_registration(&request(user, resident_key))
        .unwrap();
    let answer = browser.create(&start.options);
    ceremonies
        .finish_registration(&start.state, &answer)
        .unwrap()
}

/// A relying party at [`ORIGIN`], a browser there, and a key it registered for a new user.
fn a_registered_key(
    resident_key: ResidentKey,
) -> (WebAuthnRelyingParty, Browser, RegisteredCredential) {
    let ceremonies = relying_party();
    let mut browser = Browser::on(ORIGIN);
    let registered = register(&ceremonies, &mut browser, UserId::generate(), resident_key);
    (ceremonies, browser, registered)
}

/// A second-factor challenge for `credentials` and the browser's signed answer to it.
fn second_factor_answer(
    ceremonies: &WebAuthnRelyingParty,
    browser: &mut Browser,
    credentials: &[PasskeyBlob],
) -> (CeremonyState, JsonText) {
    let start = ceremonies.start_authentication(credentials).unwrap();
    let answer = browser.get(&start.options);
    (start.state, answer)
}

#[test]
fn a_registered_credential_proves_a_second_factor() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Discouraged);

    let (state, answer) = second_factor_answer(
        &ceremonies,
        &mut browser,
        slice::from_ref(&registered.passkey),
    );
    let assertion = ceremonies
        .finish_authentication(&state, &answer, slice::from_ref(&registered.passkey))
        .unwrap();

    assert!(registered.user_verified);
    assert_eq!(registered.storage, CredentialStorage::DeviceBound);
    assert_eq!(assertion.credential, registered.id);
    assert!(assertion.user_verified);
    assert_eq!(assertion.storage.amr(), "hwk");
    assert!(assertion.changed, "the signature counter moved from 0 to 1");
    assert_ne!(assertion.passkey, registered.passkey);
}

#[test]
fn registration_options_ask_for_a_discoverable_credential_only_when_told() {
    let ceremonies = relying_party();
    let user = UserId::generate();

    let second_factor = ceremonies
        .start_registration(&request(user, ResidentKey::Discouraged))
        .unwrap();
    let passkey = ceremonies
        .start_registration(&request(user, ResidentKey::Required))
        .unwrap();

    let selection = |options: &JsonText| {
        let options: serde_json::Value = serde_json::from_str(options.as_str()).unwrap();
        options["authenticatorSelection"].clone()
    };
    assert_eq!(
        selection(&second_factor.options)["residentKey"],
        "discouraged"
    );
    assert_eq!(selection(&passkey.options)["residentKey"], "required");
    assert_eq!(selection(&passkey.options)["requireResidentKey"], true);
    assert_eq!(selection(&passkey.options)["userVerification"], "required");
}

#[test]
fn registration_options_exclude_the_accounts_credentials() {
    let ceremonies = relying_party();
    let mut browser = Browser::on(ORIGIN);
    let user = UserId::generate();
    let registered = register(&ceremonies, &mut browser, user, ResidentKey::Discouraged);
    let mut again = request(user, ResidentKey::Discouraged);
    again.exclude = vec![registered.id.clone()];

    let start = ceremonies.start_registration(&again).unwrap();

    let options: PublicKeyCredentialCreationOptions =
        serde_json::from_str(start.options.as_str()).unwrap();
    let excluded: Vec<Vec<u8>> = options
        .exclude_credentials
        .unwrap()
        .iter()
        .map(|descriptor| descriptor.id.to_vec())
        .collect();
    assert_eq!(excluded, [registered.id.as_bytes()]);
}

#[test]
fn a_discoverable_credential_signs_in_without_naming_the_user() {
    let ceremonies = relying_party();
    let mut browser = Browser::on(ORIGIN);
    let user = UserId::generate();
    let registered = register(&ceremonies, &mut browser, user, ResidentKey::Required);

    let start = ceremonies.start_discoverable().unwrap();
    let answer = browser.get(&start.options);
    let discovered = ceremonies.identify_discoverable(&answer).unwrap();
    let assertion = ceremonies
        .finish_discoverable(&start.state, &answer, &registered.passkey)
        .unwrap();

    let options: serde_json::Value = serde_json::from_str(start.options.as_str()).unwrap();
    assert_eq!(options["allowCredentials"], serde_json::json!([]));
    assert_eq!(discovered.user, user);
    assert_eq!(discovered.credential, registered.id);
    assert_eq!(assertion.credential, registered.id);
    assert!(assertion.user_verified);
}

#[test]
fn a_replayed_second_factor_assertion_is_refused() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Discouraged);
    let (state, answer) = second_factor_answer(
        &ceremonies,
        &mut browser,
        slice::from_ref(&registered.passkey),
    );
    let first = ceremonies
        .finish_authentication(&state, &answer, &[registered.passkey])
        .unwrap();

    let replayed = ceremonies.finish_authentication(&state, &answer, &[first.passkey]);

    assert!(
        matches!(replayed, Err(WebAuthnError::Replayed)),
        "{replayed:?}"
    );
}

#[test]
fn a_replayed_sign_in_assertion_is_refused() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Required);
    let start = ceremonies.start_discoverable().unwrap();
    let answer = browser.get(&start.options);
    let first = ceremonies
        .finish_discoverable(&start.state, &answer, &registered.passkey)
        .unwrap();

    let replayed = ceremonies.finish_discoverable(&start.state, &answer, &first.passkey);

    assert!(
        matches!(replayed, Err(WebAuthnError::Replayed)),
        "{replayed:?}"
    );
}

#[test]
fn an_assertion_made_on_another_origin_is_refused() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Discouraged);
    // Same RP id, so the browser lets it sign; another port, so another origin.
    browser.visit("http://localhost:9090");

    let (state, answer) = second_factor_answer(
        &ceremonies,
        &mut browser,
        slice::from_ref(&registered.passkey),
    );
    let refused = ceremonies.finish_authentication(&state, &answer, &[registered.passkey]);

    assert!(
        matches!(refused, Err(WebAuthnError::WrongOrigin)),
        "{refused:?}"
    );
}

#[test]
fn a_registration_made_on_another_origin_is_refused() {
    let ceremonies = relying_party();
    let mut browser = Browser::on("http://localhost:9090");
    let start = ceremonies
        .start_registration(&request(UserId::generate(), ResidentKey::Discouraged))
        .unwrap();

    let answer = browser.create(&start.options);
    let refused = ceremonies.finish_registration(&start.state, &answer);

    assert!(
        matches!(refused, Err(WebAuthnError::WrongOrigin)),
        "{refused:?}"
    );
}

#[test]
fn a_ceremony_started_on_one_instance_finishes_on_another() {
    let settings = RelyingParty::defaults(&Url::parse(APP_URL).unwrap()).unwrap();
    let first = WebAuthnRelyingParty::new(&settings).unwrap();
    let second = WebAuthnRelyingParty::new(&settings).unwrap();
    let mut browser = Browser::on(ORIGIN);

    let start = first
        .start_registration(&request(UserId::generate(), ResidentKey::Discouraged))
        .unwrap();
    // Only text crosses from one instance to the other, as through shared storage.
    let kept = CeremonyState::from_stored(start.state.as_str().to_owned());
    let answer = browser.create(&start.options);
    let registered = second.finish_registration(&kept, &answer).unwrap();

    let (state, answer) =
        second_factor_answer(&second, &mut browser, slice::from_ref(&registered.passkey));
    let assertion = first
        .finish_authentication(&state, &answer, &[registered.passkey])
        .unwrap();

    assert_eq!(assertion.credential, registered.id);
}

#[test]
fn an_answer_to_another_challenge_is_refused() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Discouraged);
    let credentials = [registered.passkey];
    let (state, _) = second_factor_answer(&ceremonies, &mut browser, &credentials);
    let (_, other_answer) = second_factor_answer(&ceremonies, &mut browser, &credentials);

    let refused = ceremonies.finish_authentication(&state, &other_answer, &credentials);

    assert!(
        matches!(refused, Err(WebAuthnError::StateMismatch)),
        "{refused:?}"
    );
}

#[test]
fn a_second_factor_answer_cannot_finish_a_passwordless_sign_in() {
    let (ceremonies, mut browser, registered) = a_registered_key(ResidentKey::Required);
    let (state, answer) = second_factor_answer(
        &ceremonies,
        &mut browser,
        slice::from_ref(&registered.passkey),
    );

    let refused = ceremonies.finish_discoverable(&state, &answer, &registered.passkey);

    assert!(
        matches!(refused, Err(WebAuthnError::StateMismatch)),
        "{refused:?}"
    );
}

#[test]
fn a_credential_of_another_authenticator_is_unknown() {
    let ceremonies = relying_party();
    let user = UserId::generate();
    let mut phone = Browser::on(ORIGIN);
    let mut laptop = Browser::on(ORIGIN);
    let on_phone = register(&ceremonies, &mut phone, user, ResidentKey::Discouraged);
    let on_laptop = register(&ceremonies, &mut laptop, user, ResidentKey::Discouraged);
    let (state, answer) = second_factor_answer(
        &ceremonies,
        &mut phone,
        &[on_phone.passkey.clone(), on_laptop.passkey.clone()],
    );

    // The stored list no longer holds the phone's credential (deleted meanwhile).
    let refused = ceremonies.finish_authentication(&state, &answer, &[on_laptop.passkey]);

    assert!(
        matches!(refused, Err(WebAuthnError::UnknownCredential)),
        "{refused:?}"
    );
}

#[test]
fn a_malformed_answer_is_an_invalid_credential() {
    let ceremonies = relying_party();
    let start = ceremonies
        .start_registration(&request(UserId::generate(), ResidentKey::Discouraged))
        .unwrap();

    let refused = ceremonies.finish_registration(&start.state, &JsonText::new("{\"id\": 1}"));
    let unnamed = ceremonies.identify_discoverable(&JsonText::new("not json"));

    assert!(
        matches!(refused, Err(WebAuthnError::InvalidCredential)),
        "{refused:?}"
    );
    assert!(
        matches!(unnamed, Err(WebAuthnError::InvalidCredential)),
        "{unnamed:?}"
    );
}

#[test]
fn a_state_this_adapter_did_not_write_is_a_mismatch() {
    let ceremonies = relying_party();

    let refused = ceremonies.finish_registration(
        &CeremonyState::from_stored("{\"ceremony\":\"registration\"}"),
        &JsonText::new("{}"),
    );

    assert!(
        matches!(refused, Err(WebAuthnError::StateMismatch)),
        "{refused:?}"
    );
}

#[test]
fn a_second_factor_without_credentials_is_refused() {
    let refused = relying_party().start_authentication(&[]);

    assert!(
        matches!(refused, Err(WebAuthnError::UnknownCredential)),
        "{refused:?}"
    );
}

#[test]
fn a_stored_credential_tells_the_id_it_was_registered_with() {
    let (ceremonies, _, registered) = a_registered_key(ResidentKey::Discouraged);

    let id = ceremonies.credential_id(&registered.passkey).unwrap();
    let unreadable = ceremonies.credential_id(&PasskeyBlob::from_stored("not a passkey"));

    assert_eq!(id, registered.id);
    assert!(matches!(unreadable, Err(WebAuthnError::Unexpected(_))));
}
