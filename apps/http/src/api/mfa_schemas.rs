//! Bodies and views of the second-factor operations (docs/http-api.md, multi-factor
//! authentication). No view carries a factor's secret except the enrolment answer, once.

use std::collections::BTreeMap;

use poem_openapi::Object;
use postern_core::FieldError;
use postern_core::domain::{
    Factor, FactorId, FactorName, MfaCode, OpaqueToken, Password, RecoveryCode, TotpCode,
};
use postern_core::ports::{JsonText, RateLimitBucket};
use postern_core::usecases::{ConfirmedFactor, TotpEnrolment};
use secrecy::ExposeSecret;
use serde_json::Value;
use time::OffsetDateTime;

use super::requests::presented_password;
use super::webauthn_schemas::credential;
use crate::body::{BodyFields, JsonBody, ValidJson};
use crate::client::Client;
use crate::limits::RateLimit;

/// A second factor, without its secret.
#[derive(Object)]
#[oai(rename = "MfaFactor", rename_all = "camelCase")]
pub struct FactorView {
    /// The factor's id.
    pub id: String,
    /// `totp` or `webauthn`.
    #[oai(rename = "type")]
    pub kind: String,
    /// Its owner's name for it.
    pub name: String,
    /// When it was enrolled.
    pub created_at: OffsetDateTime,
    /// When it last completed a login; `null` before the first.
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<Factor> for FactorView {
    fn from(factor: Factor) -> Self {
        Self {
            id: factor.id.to_string(),
            kind: factor.kind.as_str().to_owned(),
            name: factor.name.as_str().to_owned(),
            created_at: factor.created_at,
            last_used_at: factor.last_used_at,
        }
    }
}

/// A pending TOTP factor: what an authenticator app needs, shown this once.
#[derive(Object)]
#[oai(rename = "TotpEnrolment", rename_all = "camelCase")]
pub struct TotpEnrolmentView {
    /// The pending factor, to confirm with a code.
    pub factor_id: String,
    /// The shared secret, base32, for typing into the app.
    pub secret: String,
    /// The `otpauth://totp/...` URI, for a QR code.
    pub otpauth_uri: String,
}

impl From<TotpEnrolment> for TotpEnrolmentView {
    fn from(enrolment: TotpEnrolment) -> Self {
        Self {
            factor_id: enrolment.factor_id.to_string(),
            secret: enrolment.provisioning.secret.expose_secret().to_owned(),
            otpauth_uri: enrolment.provisioning.uri.expose_secret().to_owned(),
        }
    }
}

/// A confirmed factor, with the recovery codes of a first factor, shown this once.
#[derive(Object)]
#[oai(rename = "ConfirmedFactor", rename_all = "camelCase")]
pub struct ConfirmedFactorView {
    /// The factor, now asked at every login.
    pub factor: FactorView,
    /// Ten single-use recovery codes, present only when this is the account's first factor.
    pub recovery_codes: Option<Vec<String>>,
}

impl From<ConfirmedFactor> for ConfirmedFactorView {
    fn from(confirmed: ConfirmedFactor) -> Self {
        Self {
            factor: confirmed.factor.into(),
            recovery_codes: confirmed.recovery_codes.map(|codes| shown(&codes)),
        }
    }
}

/// A new recovery set, shown this once.
#[derive(Object)]
#[oai(rename = "RecoveryCodes", rename_all = "camelCase")]
pub struct RecoveryCodesView {
    /// Ten single-use recovery codes; the previous set no longer works.
    pub recovery_codes: Vec<String>,
}

impl From<Vec<RecoveryCode>> for RecoveryCodesView {
    fn from(codes: Vec<RecoveryCode>) -> Self {
        Self {
            recovery_codes: shown(&codes),
        }
    }
}

fn shown(codes: &[RecoveryCode]) -> Vec<String> {
    codes.iter().map(RecoveryCode::display).collect()
}

/// `POST /user/mfa/totp`.
#[derive(Object, Debug)]
#[oai(rename = "EnrolTotpRequest", rename_all = "camelCase")]
pub struct EnrolTotpBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
    /// A name to tell the factor apart, 1 to 64 characters; `Authenticator app` by default.
    #[oai(validator(max_length = 64))]
    pub name: Option<String>,
}

/// An enrolment request, parsed.
pub struct Enrolment {
    /// The current password.
    pub current: Password,
    /// The factor's name, if one was given.
    pub name: Option<FactorName>,
}

impl JsonBody for EnrolTotpBody {
    type Parsed = Enrolment;

    fn read(fields: &mut BodyFields) -> Option<Enrolment> {
        let current = fields.required("currentPassword", presented_password);
        let name = fields.optional("name", |raw: String| FactorName::parse(&raw, "name"));
        Some(Enrolment {
            current: current?,
            name: name?,
        })
    }
}

/// `POST /user/mfa/totp/confirm`.
#[derive(Object, Debug)]
#[oai(rename = "ConfirmTotpRequest", rename_all = "camelCase")]
pub struct ConfirmTotpBody {
    /// The pending factor's id, from the enrolment.
    #[oai(validator(
        max_length = 64,
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    ))]
    pub factor_id: String,
    /// The six-digit code the app shows now (spaces between the digits are ignored).
    #[oai(validator(max_length = 16, pattern = "^ *[0-9]( *[0-9]){5} *$"))]
    pub code: String,
}

/// A confirmation, parsed.
pub struct Confirmation {
    /// The pending factor.
    pub factor_id: FactorId,
    /// Its code.
    pub code: TotpCode,
}

impl JsonBody for ConfirmTotpBody {
    type Parsed = Confirmation;

    fn read(fields: &mut BodyFields) -> Option<Confirmation> {
        let factor_id = fields.required("factorId", |raw: String| {
            FactorId::parse(&raw).ok_or_else(|| FieldError::new("factorId", "must be a UUID"))
        });
        let code = fields.required("code", |raw: String| match MfaCode::parse(&raw, "code")? {
            MfaCode::Totp(code) => Ok(code),
            MfaCode::Recovery(_) => Err(FieldError::new("code", "must be 6 digits")),
        });
        Some(Confirmation {
            factor_id: factor_id?,
            code: code?,
        })
    }
}

/// `DELETE /user/mfa/{factorId}` and `POST /user/mfa/recovery-codes`.
#[derive(Object, Debug)]
#[oai(rename = "CurrentPasswordRequest", rename_all = "camelCase")]
pub struct CurrentPasswordBody {
    /// The account's current password.
    #[oai(validator(max_length = 128))]
    pub current_password: String,
}

impl JsonBody for CurrentPasswordBody {
    type Parsed = Password;

    fn read(fields: &mut BodyFields) -> Option<Password> {
        fields.required("currentPassword", presented_password)
    }
}

/// `POST /auth/mfa/verify`.
#[derive(Object, Debug)]
#[oai(rename = "VerifyMfaRequest", rename_all = "camelCase")]
pub struct VerifyMfaBody {
    /// The `mfaToken` the login answered with.
    #[oai(validator(max_length = 512))]
    pub mfa_token: String,
    /// A six-digit code from an authenticator app, or a recovery code (`XXXX-XXXX-XXXX`);
    /// give this or `credential`.
    #[oai(validator(max_length = 32))]
    pub code: Option<String>,
    /// The `PublicKeyCredential` that `navigator.credentials.get()` returned for the
    /// challenge of `POST /api/v1/auth/mfa/webauthn/start`, as JSON; give this or `code`.
    pub credential: Option<BTreeMap<String, Value>>,
}

/// What a second step presents.
pub enum Proof {
    /// A TOTP or recovery code.
    Code(MfaCode),
    /// A WebAuthn assertion.
    Assertion(JsonText),
}

/// A second step, parsed.
pub struct SecondStep {
    /// The login's token.
    pub token: OpaqueToken,
    /// The code or the assertion.
    pub proof: Proof,
}

impl JsonBody for VerifyMfaBody {
    type Parsed = SecondStep;

    fn read(fields: &mut BodyFields) -> Option<SecondStep> {
        let token = fields.required("mfaToken", |raw: String| {
            OpaqueToken::presented(raw, "mfaToken")
        });
        let code = fields.optional("code", |raw: String| MfaCode::parse(&raw, "code"));
        let assertion = fields.optional("credential", credential);
        let proof = match (code?, assertion?) {
            (Some(code), None) => Proof::Code(code),
            (None, Some(assertion)) => Proof::Assertion(assertion),
            (None, None) => {
                return fields.refuse(FieldError::new("code", "is required (or credential)"));
            }
            (Some(_), Some(_)) => {
                return fields.refuse(FieldError::new("credential", "must not be given with code"));
            }
        };
        Some(SecondStep {
            token: token?,
            proof,
        })
    }
}

impl RateLimit for VerifyMfaBody {
    type Source = ValidJson<Self>;
    const BUCKET: RateLimitBucket = RateLimitBucket::MfaVerify;

    fn key(_: &ValidJson<Self>, client: &Client) -> String {
        client.rate_key()
    }
}
