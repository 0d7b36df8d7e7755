//! A browser with a software authenticator, for tests of WebAuthn ceremonies, here and in the
//! crates that drive them over HTTP (the `testing` feature). webauthn-authenticator-rs
//! plays the browser's checks (the origin against the RP id) and `SoftPasskey` the
//! authenticator: it makes real P-256 keys, signs real assertions, counts its signatures and
//! claims user verification. It keeps no resident keys, so [`ResidentPasskey`] adds the part of
//! an authenticator that stores a discoverable credential with its user handle.

use postern_core::ports::JsonText;
use url::Url;
use webauthn_authenticator_rs::error::WebauthnCError;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::{AuthenticatorBackendHashedClientData, WebauthnAuthenticator};
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredential,
    PublicKeyCredentialCreationOptions, PublicKeyCredentialRequestOptions,
    RegisterPublicKeyCredential, RequestChallengeResponse, ResidentKeyRequirement,
};

/// A credential the authenticator keeps for discovery: its RP id, id and user handle.
struct Resident {
    rp_id: String,
    credential: Vec<u8>,
    user_handle: Vec<u8>,
}

/// `SoftPasskey` plus a store of discoverable credentials. Asked for a resident key, it
/// remembers the credential; asked to sign without a list of allowed credentials, it signs with
/// the one it keeps for that RP id and returns its user handle, as a passkey provider does.
pub struct ResidentPasskey {
    keys: SoftPasskey,
    residents: Vec<Resident>,
}

impl ResidentPasskey {
    fn new() -> Self {
        // `true`: claims user verification, which passkey ceremonies require.
        Self {
            keys: SoftPasskey::new(true),
            residents: Vec::new(),
        }
    }
}

impl AuthenticatorBackendHashedClientData for ResidentPasskey {
    fn perform_register(
        &mut self,
        client_data_hash: Vec<u8>,
        mut options: PublicKeyCredentialCreationOptions,
        timeout_ms: u32,
    ) -> Result<RegisterPublicKeyCredential, WebauthnCError> {
        let resident = options
            .authenticator_selection
            .as_mut()
            .is_some_and(|selection| {
                let wanted = selection.resident_key != Some(ResidentKeyRequirement::Discouraged);
                // SoftPasskey refuses to be asked; this wrapper keeps the key instead.
                selection.require_resident_key = false;
                wanted
            });
        let rp_id = options.rp.id.clone();
        let user_handle = options.user.id.to_vec();
        let credential = self
            .keys
            .perform_register(client_data_hash, options, timeout_ms)?;
        if resident {
            self.residents.push(Resident {
                rp_id,
                credential: credential.raw_id.to_vec(),
                user_handle,
            });
        }
        Ok(credential)
    }

    fn perform_auth(
        &mut self,
        client_data_hash: Vec<u8>,
        mut options: PublicKeyCredentialRequestOptions,
        timeout_ms: u32,
    ) -> Result<PublicKeyCredential, WebauthnCError> {
        if !options.allow_credentials.is_empty() {
            return self
                .keys
                .perform_auth(client_data_hash, options, timeout_ms);
        }
        let resident = self
            .residents
            .iter()
            .find(|resident| resident.rp_id == options.rp_id)
            .ok_or(WebauthnCError::NoSelectedToken)?;
        options.allow_credentials = vec![AllowCredentials {
            type_: "public-key".to_owned(),
            id: resident.credential.clone().into(),
            transports: None,
        }];
        let mut assertion = self
            .keys
            .perform_auth(client_data_hash, options, timeout_ms)?;
        assertion.response.user_handle = Some(resident.user_handle.clone().into());
        Ok(assertion)
    }
}

/// A browser on one origin, with one authenticator plugged in.
pub struct Browser {
    authenticator: WebauthnAuthenticator<ResidentPasskey>,
    origin: Url,
}

impl Browser {
    /// A browser on `origin` with a fresh authenticator.
    ///
    /// # Panics
    /// When `origin` is not a URL.
    #[allow(clippy::expect_used)]
    pub fn on(origin: &str) -> Self {
        Self {
            authenticator: WebauthnAuthenticator::new(ResidentPasskey::new()),
            origin: Url::parse(origin).expect("origin"),
        }
    }

    /// The same authenticator, carried to a page of another origin.
    ///
    /// # Panics
    /// When `origin` is not a URL.
    #[allow(clippy::expect_used)]
    pub fn visit(&mut self, origin: &str) {
        self.origin = Url::parse(origin).expect("origin");
    }

    /// `navigator.credentials.create({ publicKey: options })`, as JSON for the server.
    ///
    /// # Panics
    /// When the options are not WebAuthn's or the authenticator refuses them: a test's bug.
    #[allow(clippy::expect_used)]
    pub fn create(&mut self, options: &JsonText) -> JsonText {
        let public_key = serde_json::from_str(options.as_str()).expect("creation options");
        let credential = self
            .authenticator
            .do_registration(
                self.origin.clone(),
                CreationChallengeResponse { public_key },
            )
            .expect("the authenticator registers");
        JsonText::new(serde_json::to_string(&credential).expect("credential json"))
    }

    /// `navigator.credentials.get({ publicKey: options })`, as JSON for the server.
    ///
    /// # Panics
    /// When the options are not WebAuthn's or the authenticator has no credential for them:
    /// a test's bug.
    #[allow(clippy::expect_used)]
    pub fn get(&mut self, options: &JsonText) -> JsonText {
        let public_key = serde_json::from_str(options.as_str()).expect("request options");
        let assertion = self
            .authenticator
            .do_authentication(
                self.origin.clone(),
                RequestChallengeResponse {
                    public_key,
                    mediation: None,
                },
            )
            .expect("the authenticator signs");
        JsonText::new(serde_json::to_string(&assertion).expect("assertion json"))
    }
}
