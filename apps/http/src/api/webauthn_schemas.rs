//! Bodies and views of the WebAuthn operations (docs/http-api.md, multi-factor
//! authentication). The options going out and the credentials coming in are WebAuthn's own
//! JSON, passed through as it is: only the WebAuthn adapter reads them.

use std::collections::BTreeMap;

use poem_openapi::Object;
use postern_core::FieldError;
use postern_core::domain::{FactorName, OpaqueToken, Password};
use postern_core::ports::{JsonText, RateLimitBucket};
use postern_core::usecases::{PasskeyChallenge, WebAuthnRegistration};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::requests::presented_password;
use crate::body::{BodyFields, JsonBody, ValidJson};
use crate::client::Client;
use crate::limits::RateLimit;

/// The largest credential accepted, in bytes of JSON: an attestation with its certificate
/// chain stays far below it.
const MAX_CREDENTIAL_BYTES: usize = 16 * 1024;

/// WebAuthn options as the browser takes them, from JSON text the adapter wrote.
fn options(json: &JsonText) -> Value {
    // The adapter writes JSON; anything else would be a bug there, shown as `null`.
    serde_json::from_str(json.as_str()).unwrap_or(Value::Null)
}

/// Reads a `PublicKeyCredential` field: any JSON object of a bounded size, which the WebAuthn
/// adapter then parses and verifies.
pub fn credential(object: Map<String, Value>) -> Result<JsonText, FieldError> {
    let text = Value::Object(object).to_string();
    if text.len() > MAX_CREDENTIAL_BYTES {
        return Err(FieldError::new("credential", "is too large"));
    }
    Ok(JsonText::new(text))
}

/// Reads a ceremony's id sent as `field`.
fn ceremony_id(field: &'static str) -> impl FnOnce(String) -> Result<Uuid, FieldError> {
    move |raw| Uuid::parse_str(&raw).map_err(|_| FieldError::new(field, "must be a UUID"))
}

/// A registration started: the options for `navigator.credentials.create()`.
#[derive(Object)]
#[oai(rename = "WebAuthnRegistration", rename_all = "camelCase")]
pub struct RegistrationView {
    /// Names this registration at its finish; single use, 5 minutes.
    pub registration_id: String,
    /// `PublicKeyCredentialCreationOptions`, as JSON for `navigator.credentials.create({
    /// publicKey })` (binary fields base64url-encoded).
    pub public_key: Value,
}

impl From<WebAuthnRegistration> for RegistrationView {
    fn from(registration: WebAuthnRegistration) -> Self {
        Self {
            registration_id: registration.registration_id.to_string(),
            public_key: options(&registration.options),
        }
    }
}

/// A challenge for `navigator.credentials.get()`.
#[derive(Object)]
#[oai(rename = "WebAuthnChallenge", rename_all = "camelCase")]
pub struct ChallengeView {
    /// `PublicKeyCredentialRequestOptions`, as JSON for `navigator.credentials.get({
    /// publicKey })` (binary fields base64url-encoded).
    pub public_key: Value,
}

impl From<JsonText> for ChallengeView {
    fn from(json: JsonText) -> Self {
        Self {
            public_key: options(&json),
        }
    }
}

/// A passwordless sign-in started.
#[derive(Object)]
#[oai(rename = "PasskeyChallenge", rename_all = "camelCase")]
pub struct PasskeyChallengeView {
    /// Names this sign-in at its finish; single use, 5 minutes.
    pub challenge_id: String,
    /// `PublicKeyCredentialRequestOptions` naming no credential, for any discoverable
    /// credential (passkey) of this site.
    pub public_key: Value,
}

impl From<PasskeyChallenge> for PasskeyChallengeView {
    fn from(challenge: PasskeyChallenge) -> Self {
        Self {
            challenge_id: challenge.challenge_id.to_string(),
            public_key: options(&challenge.options),
        }
    }
}

/// `POST /user/mfa/webauthn/register/start`.
#[derive(Object, Debug)]
#[oai(rename = "StartWebAuthnRegistrationRequest", rename_all = "camelCase")]
pub struct StartRegistrationBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
    /// A name to tell the key apart, 1 to 64 characters; `Security key` by default.
    #[oai(validator(max_length = 64))]
    pub name: Option<String>,
}

/// A registration's start, parsed.
pub struct RegistrationStart {
    /// The current password.
    pub current: Password,
    /// The factor's name, if one was given.
    pub name: Option<FactorName>,
}

impl JsonBody for StartRegistrationBody {
    type Parsed = RegistrationStart;

    fn read(fields: &mut BodyFields) -> Option<RegistrationStart> {
        let current = fields.required("currentPassword", presented_password);
        let name = fields.optional("name", |raw: String| FactorName::parse(&raw, "name"));
        Some(RegistrationStart {
            current: current?,
            name: name?,
        })
    }
}

/// `POST /user/mfa/webauthn/register/finish`.
#[derive(Object, Debug)]
#[oai(rename = "FinishWebAuthnRegistrationRequest", rename_all = "camelCase")]
pub struct FinishRegistrationBody {
    /// The `registrationId` the start answered.
    #[oai(validator(max_length = 64))]
    pub registration_id: String,
    /// The `PublicKeyCredential` that `navigator.credentials.create()` returned, as JSON
    /// (binary fields base64url-encoded).
    pub credential: BTreeMap<String, Value>,
}

/// A registration's finish, parsed.
pub struct RegistrationFinish {
    /// The ceremony.
    pub registration_id: Uuid,
    /// The browser's answer.
    pub credential: JsonText,
}

impl JsonBody for FinishRegistrationBody {
    type Parsed = RegistrationFinish;

    fn read(fields: &mut BodyFields) -> Option<RegistrationFinish> {
        let registration_id = fields.required("registrationId", ceremony_id("registrationId"));
        let credential = fields.required("credential", credential);
        Some(RegistrationFinish {
            registration_id: registration_id?,
            credential: credential?,
        })
    }
}

/// `POST /auth/mfa/webauthn/start`.
#[derive(Object, Debug)]
#[oai(rename = "StartWebAuthnStepRequest", rename_all = "camelCase")]
pub struct StartStepBody {
    /// The `mfaToken` the login answered with.
    #[oai(validator(max_length = 512))]
    pub mfa_token: String,
}

impl JsonBody for StartStepBody {
    type Parsed = OpaqueToken;

    fn read(fields: &mut BodyFields) -> Option<OpaqueToken> {
        fields.required("mfaToken", |raw: String| {
            OpaqueToken::presented(raw, "mfaToken")
        })
    }
}

/// `POST /auth/passkey/finish`.
#[derive(Object, Debug)]
#[oai(rename = "FinishPasskeySignInRequest", rename_all = "camelCase")]
pub struct PasskeyFinishBody {
    /// The `challengeId` the start answered.
    #[oai(validator(max_length = 64))]
    pub challenge_id: String,
    /// The `PublicKeyCredential` that `navigator.credentials.get()` returned, as JSON, with
    /// its `userHandle`.
    pub credential: BTreeMap<String, Value>,
}

/// A passwordless sign-in's finish, parsed.
pub struct PasskeyFinish {
    /// The ceremony.
    pub challenge_id: Uuid,
    /// The browser's answer.
    pub credential: JsonText,
}

impl JsonBody for PasskeyFinishBody {
    type Parsed = PasskeyFinish;

    fn read(fields: &mut BodyFields) -> Option<PasskeyFinish> {
        let challenge_id = fields.required("challengeId", ceremony_id("challengeId"));
        let credential = fields.required("credential", credential);
        Some(PasskeyFinish {
            challenge_id: challenge_id?,
            credential: credential?,
        })
    }
}

impl RateLimit for PasskeyFinishBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::PasskeySignIn;

    fn key(_: &ValidJson<Self>, client: &Client) -> String {
        client.rate_key()
    }
}

/// Starting a passwordless sign-in, counted per client address with its finish.
pub struct PasskeyStartPerClient;

impl RateLimit for PasskeyStartPerClient {
    type Source = Client;
    const BUCKET: RateLimitBucket = RateLimitBucket::PasskeySignIn;

    fn key(_: &Client, client: &Client) -> String {
        client.rate_key()
    }
}
