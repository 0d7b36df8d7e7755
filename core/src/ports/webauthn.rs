//! WebAuthn ceremonies: registering a credential (a passkey or a security key) and proving
//! possession of one, either as the second step of a login or as a passwordless sign-in with a
//! discoverable credential.
//!
//! Every ceremony has two halves. `start_*` returns the options the browser hands to
//! `navigator.credentials` and an opaque [`CeremonyState`]; `finish_*` takes that state back
//! with the browser's answer. The state is the server's memory of the challenge: the caller
//! keeps it server-side (never in a cookie or a client-held token), shared by every instance,
//! for a few minutes, and takes it out exactly once, so that one challenge answers one ceremony.
//!
//! Nothing here names the WebAuthn library: options, states and stored credentials are opaque
//! text that only the adapter reads, so that the core decides what to keep and where.

use crate::domain::UserId;
use crate::error::BoxError;

/// JSON text exchanged with the browser: the options for `navigator.credentials.create()` or
/// `.get()` going out, the resulting `PublicKeyCredential` coming back. Only the adapter parses
/// it; the HTTP edge embeds or forwards it as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// Wraps JSON text received from, or destined to, the browser.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The server's half of a ceremony in progress: its challenge and what the answer must match.
/// Opaque text to store and hand back unchanged; it holds no secret, but a state handed back
/// twice lets one answer pass twice, hence the single-use rule of the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyState(String);

impl CeremonyState {
    /// Wraps a state as the adapter produced it, or as read back from storage.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The identifier a credential was created with (WebAuthn's raw `credentialId`): chosen by the
/// authenticator, unique across all users, at most 1023 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CredentialId(Vec<u8>);

impl CredentialId {
    /// Wraps the raw bytes of a credential id.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A registered credential as the adapter needs it back to verify an assertion: its public key,
/// signature counter and flags, serialised. Opaque text to store with the factor and to replace
/// whenever an assertion returns an updated one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyBlob(String);

impl PasskeyBlob {
    /// Wraps a credential as the adapter produced it, or as read back from storage.
    pub fn from_stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a credential's private key lives, as far as the authenticator tells (its backup
/// eligibility flag); no attestation is asked for, so this is the authenticator's word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialStorage {
    /// Bound to one device (a security key, a platform authenticator without sync): the
    /// access token's `amr` says `hwk`.
    DeviceBound,
    /// May be copied to other devices (a synced passkey in a password manager or cloud
    /// keychain): the access token's `amr` says `swk`.
    Synced,
}

impl CredentialStorage {
    /// The RFC 8176 authentication method reference of a proof with such a credential.
    pub fn amr(self) -> &'static str {
        match self {
            Self::DeviceBound => "hwk",
            Self::Synced => "swk",
        }
    }
}

/// Whether the authenticator is asked to keep the credential with the user's id (a resident,
/// discoverable credential), which is what passwordless sign-in needs: a discoverable
/// credential answers a challenge that names no user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResidentKey {
    /// A second factor only: spares the few slots of older security keys.
    Discouraged,
    /// Discoverable where the authenticator can (browsers treat this as required).
    Preferred,
    /// Discoverable or no credential at all.
    Required,
}

/// What a registration needs to know about the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationRequest {
    /// The account; it becomes the credential's user handle, which a discoverable credential
    /// returns at sign-in.
    pub user: UserId,
    /// The account name the authenticator shows (the email).
    pub name: String,
    /// The person's name the authenticator shows.
    pub display_name: String,
    /// The account's credentials already registered, so that an authenticator holding one of
    /// them is not registered twice.
    pub exclude: Vec<CredentialId>,
    /// Whether to ask for a discoverable credential.
    pub resident_key: ResidentKey,
}

/// The first half of a ceremony: what to send to the browser and what to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyStart {
    /// The `publicKey` options for `navigator.credentials.create()` or `.get()`.
    pub options: JsonText,
    /// The state to keep server-side for the finish, single use.
    pub state: CeremonyState,
}

/// A credential that completed its registration, to store with the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredCredential {
    /// Its identifier; the caller refuses one that is already registered to any account.
    pub id: CredentialId,
    /// What the adapter needs to verify its assertions.
    pub passkey: PasskeyBlob,
    /// Device-bound or synced.
    pub storage: CredentialStorage,
    /// Whether the authenticator verified the user (PIN, biometrics) while registering.
    pub user_verified: bool,
}

/// A verified assertion: the user proved possession of a registered credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The credential that signed.
    pub credential: CredentialId,
    /// The credential with its signature counter and flags brought up to date; the caller
    /// stores it in place of the one it passed, so that a replay of this assertion is refused.
    pub passkey: PasskeyBlob,
    /// Whether `passkey` differs from the stored one (a synced passkey's counter stays 0, so
    /// most assertions change nothing and need no write).
    pub changed: bool,
    /// Device-bound or synced, as the authenticator now says.
    pub storage: CredentialStorage,
    /// Whether the authenticator verified the user.
    pub user_verified: bool,
}

/// Whom a discoverable credential names: read from the browser's answer before it is verified,
/// so only a lookup key for the stored credential, never a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredCredential {
    /// The user handle the credential was registered with.
    pub user: UserId,
    /// The credential that signed.
    pub credential: CredentialId,
}

/// Why a ceremony was refused. Every variant but [`WebAuthnError::Unexpected`] is the client's
/// doing and becomes a 4xx; none is ever shown with its cause.
#[derive(Debug, thiserror::Error)]
pub enum WebAuthnError {
    /// The browser's answer is malformed, its signature or attestation does not verify, or it
    /// lacks user presence.
    #[error("invalid WebAuthn credential")]
    InvalidCredential,
    /// The answer was made for another origin or relying party id (a phishing site, a
    /// misconfigured `WEBAUTHN_ORIGIN`).
    #[error("WebAuthn credential made for another origin")]
    WrongOrigin,
    /// The answer does not belong to this ceremony: another challenge, another kind of
    /// ceremony, or a state that is not one this adapter produced.
    #[error("WebAuthn answer does not match the ceremony")]
    StateMismatch,
    /// The credential that signed is not among those the ceremony allowed, or it was excluded
    /// from a registration because the account already has it.
    #[error("unknown or excluded WebAuthn credential")]
    UnknownCredential,
    /// User verification was required and the authenticator did not perform it.
    #[error("WebAuthn user verification missing")]
    UserNotVerified,
    /// The signature counter did not move past the stored one: a replayed assertion, or a
    /// cloned authenticator.
    #[error("WebAuthn assertion replayed or counter regressed")]
    Replayed,
    /// A bug or a broken invariant: an unreadable stored credential, a state the adapter
    /// cannot serialise.
    #[error("unexpected WebAuthn failure")]
    Unexpected(#[source] BoxError),
}

/// Runs WebAuthn ceremonies for one relying party (an RP id and its origins). Pure computation
/// (challenges and signature checks), no I/O, so its methods are not async.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebAuthnCeremonies: Send + Sync {
    /// Starts registering a credential for `request.user`. The options require user
    /// verification, so every credential registered can also sign in without a password.
    ///
    /// # Errors
    /// [`WebAuthnError::Unexpected`] only: nothing in the request comes from a client.
    fn start_registration(
        &self,
        request: &RegistrationRequest,
    ) -> Result<CeremonyStart, WebAuthnError>;

    /// Finishes a registration with the browser's `PublicKeyCredential` (attestation response).
    ///
    /// # Errors
    /// MUST return [`WebAuthnError::WrongOrigin`] for an answer made for another origin or RP
    /// id, [`WebAuthnError::StateMismatch`] for an answer to another challenge or a state of
    /// another kind of ceremony, [`WebAuthnError::UnknownCredential`] for an excluded
    /// credential, [`WebAuthnError::UserNotVerified`] when the user was not verified, and
    /// [`WebAuthnError::InvalidCredential`] for any other bad answer.
    fn finish_registration(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
    ) -> Result<RegisteredCredential, WebAuthnError>;

    /// The id of a stored credential, for the exclusion list of a registration.
    ///
    /// # Errors
    /// [`WebAuthnError::Unexpected`] when `passkey` cannot be read.
    fn credential_id(&self, passkey: &PasskeyBlob) -> Result<CredentialId, WebAuthnError>;

    /// Starts proving possession of one of a known user's credentials (the second step of a
    /// login). The options list the credentials' ids.
    ///
    /// # Errors
    /// [`WebAuthnError::UnknownCredential`] when `credentials` is empty;
    /// [`WebAuthnError::Unexpected`] when a stored credential cannot be read.
    fn start_authentication(
        &self,
        credentials: &[PasskeyBlob],
    ) -> Result<CeremonyStart, WebAuthnError>;

    /// Finishes a second-factor assertion. `credentials` are the user's stored credentials
    /// as they are now (not as they were at the start), so that a counter that moved since is
    /// checked against its latest value.
    ///
    /// # Errors
    /// As [`WebAuthnCeremonies::finish_registration`], with
    /// [`WebAuthnError::UnknownCredential`] for a credential not in `credentials` or not
    /// allowed at the start, and MUST return [`WebAuthnError::Replayed`] when the signature
    /// counter is in use and does not exceed the stored one.
    fn finish_authentication(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
        credentials: &[PasskeyBlob],
    ) -> Result<VerifiedAssertion, WebAuthnError>;

    /// Starts a passwordless sign-in: a challenge that names no user or credential, for the
    /// browser to answer with any discoverable credential of this relying party.
    ///
    /// # Errors
    /// [`WebAuthnError::Unexpected`] only.
    fn start_discoverable(&self) -> Result<CeremonyStart, WebAuthnError>;

    /// Reads whom a sign-in answer names, for the caller to load that credential (by credential
    /// id *and* user, so that a credential cannot sign in as another account) before
    /// [`WebAuthnCeremonies::finish_discoverable`] verifies it.
    ///
    /// # Errors
    /// [`WebAuthnError::InvalidCredential`] when the answer is malformed or carries no user
    /// handle that is a user id.
    fn identify_discoverable(
        &self,
        credential: &JsonText,
    ) -> Result<DiscoveredCredential, WebAuthnError>;

    /// Finishes a passwordless sign-in against the stored credential that
    /// [`WebAuthnCeremonies::identify_discoverable`] led to. User verification is required:
    /// the credential is the only factor.
    ///
    /// # Errors
    /// As [`WebAuthnCeremonies::finish_authentication`].
    fn finish_discoverable(
        &self,
        state: &CeremonyState,
        credential: &JsonText,
        stored: &PasskeyBlob,
    ) -> Result<VerifiedAssertion, WebAuthnError>;
}
