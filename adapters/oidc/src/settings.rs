//! The providers' settings, read from `OIDC_*` variables by a pure function over a lookup, so
//! that the composition root passes the environment and tests pass a map.
//!
//! `OIDC_PROVIDERS=google,work` names the providers; each has `OIDC_<NAME>_ISSUER`,
//! `OIDC_<NAME>_CLIENT_ID`, `OIDC_<NAME>_CLIENT_SECRET`, and optionally `OIDC_<NAME>_SCOPES`
//! (default `openid email profile`) and `OIDC_<NAME>_DISPLAY_NAME` (default: the name), where
//! `<NAME>` is the name in upper case with `-` as `_`.

use postern_core::ports::{InvalidProviderName, ProviderName};
use secrecy::SecretString;
use url::Url;

/// The scopes asked for when `OIDC_<NAME>_SCOPES` is not set.
const DEFAULT_SCOPES: &str = "openid email profile";

/// One provider's settings.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// Its name, as listed in `OIDC_PROVIDERS`.
    pub name: ProviderName,
    /// The name people know it by.
    pub display_name: String,
    /// Its issuer identifier, exactly as its ID tokens' `iss` must read.
    pub issuer: String,
    /// Postern's client id there: the audience its ID tokens must name.
    pub client_id: String,
    /// Postern's client secret there.
    pub client_secret: SecretString,
    /// The scopes asked for; always includes `openid`.
    pub scopes: Vec<String>,
}

impl ProviderSettings {
    /// The name of this provider's variable with `suffix`: `OIDC_GOOGLE_ISSUER` for `ISSUER`.
    pub fn variable(&self, suffix: &str) -> String {
        format!("{}{suffix}", variable_prefix(&self.name))
    }
}

/// `OIDC_<NAME>_`: the name in upper case, with `-` as `_`.
fn variable_prefix(name: &ProviderName) -> String {
    format!(
        "OIDC_{}_",
        name.as_str().to_ascii_uppercase().replace('-', "_")
    )
}

/// Why the `OIDC_*` settings are unusable; each names the variable to fix.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A name in `OIDC_PROVIDERS` is not a valid provider name.
    #[error("OIDC_PROVIDERS: {0}")]
    InvalidName(#[from] InvalidProviderName),
    /// `OIDC_PROVIDERS` lists a name twice.
    #[error("OIDC_PROVIDERS lists `{0}` twice")]
    Duplicate(ProviderName),
    /// A required variable of a listed provider is unset or empty.
    #[error("{variable} is required: `{provider}` is listed in OIDC_PROVIDERS")]
    Missing {
        /// The variable.
        variable: String,
        /// The provider.
        provider: ProviderName,
    },
    /// The issuer is not an absolute https URL (http only on a loopback host).
    #[error(
        "{variable} must be an https URL without query or fragment (http only for localhost): {value}"
    )]
    InvalidIssuer {
        /// The variable.
        variable: String,
        /// What it holds.
        value: String,
    },
    /// The scopes do not include `openid`, without which there is no ID token.
    #[error("{variable} must include the `openid` scope")]
    NoOpenidScope {
        /// The variable.
        variable: String,
    },
}

/// Reads every configured provider through `var` (an environment lookup); none when
/// `OIDC_PROVIDERS` is unset or empty.
///
/// # Errors
/// The first [`SettingsError`] met, in the order of `OIDC_PROVIDERS`.
pub fn providers_from(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Vec<ProviderSettings>, SettingsError> {
    let listed = var("OIDC_PROVIDERS").unwrap_or_default();
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for raw in listed
        .split(',')
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
    {
        let name = ProviderName::parse(raw)?;
        if providers.iter().any(|known| known.name == name) {
            return Err(SettingsError::Duplicate(name));
        }
        providers.push(provider_from(&var, name)?);
    }
    Ok(providers)
}

/// The settings of the listed provider `name`.
fn provider_from(
    var: &impl Fn(&str) -> Option<String>,
    name: ProviderName,
) -> Result<ProviderSettings, SettingsError> {
    let prefix = variable_prefix(&name);
    let lookup = |suffix: &str| {
        let variable = format!("{prefix}{suffix}");
        let value = var(&variable).map(|value| value.trim().to_owned());
        (variable, value.filter(|value| !value.is_empty()))
    };
    let required = |suffix: &str| match lookup(suffix) {
        (_, Some(value)) => Ok(value),
        (variable, None) => Err(SettingsError::Missing {
            variable,
            provider: name.clone(),
        }),
    };
    let issuer = required("ISSUER")?;
    check_issuer(&format!("{prefix}ISSUER"), &issuer)?;
    let client_id = required("CLIENT_ID")?;
    let client_secret = SecretString::from(required("CLIENT_SECRET")?);
    let (scopes_variable, scopes) = lookup("SCOPES");
    let scopes = scopes_of(
        &scopes_variable,
        scopes.as_deref().unwrap_or(DEFAULT_SCOPES),
    )?;
    let display_name = lookup("DISPLAY_NAME")
        .1
        .unwrap_or_else(|| name.as_str().to_owned());
    Ok(ProviderSettings {
        name,
        display_name,
        issuer,
        client_id,
        client_secret,
        scopes,
    })
}

/// Refuses an issuer that discovery could not use safely: tokens fetched over plain http can
/// be tampered with, except on the machine itself (a local provider in development).
fn check_issuer(variable: &str, value: &str) -> Result<(), SettingsError> {
    let usable = Url::parse(value).is_ok_and(|url| {
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        scheme_ok && url.query().is_none() && url.fragment().is_none()
    });
    if usable {
        Ok(())
    } else {
        Err(SettingsError::InvalidIssuer {
            variable: variable.to_owned(),
            value: value.to_owned(),
        })
    }
}

/// Scopes separated by spaces or commas, `openid` among them.
fn scopes_of(variable: &str, value: &str) -> Result<Vec<String>, SettingsError> {
    let scopes: Vec<String> = value
        .split([' ', ','])
        .filter(|scope| !scope.is_empty())
        .map(str::to_owned)
        .collect();
    if scopes.iter().any(|scope| scope == "openid") {
        Ok(scopes)
    } else {
        Err(SettingsError::NoOpenidScope {
            variable: variable.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Vec<ProviderSettings>, SettingsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        providers_from(|key| vars.get(key).cloned())
    }

    const GOOGLE: [(&str, &str); 4] = [
        ("OIDC_PROVIDERS", "google"),
        ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
        ("OIDC_GOOGLE_CLIENT_ID", "postern-id"),
        ("OIDC_GOOGLE_CLIENT_SECRET", "postern-secret"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        GOOGLE.iter().chain(extra).copied().collect()
    }

    #[test]
    fn no_providers_when_oidc_providers_is_unset_or_empty() {
        assert!(read(&[]).unwrap().is_empty());
        assert!(read(&[("OIDC_PROVIDERS", " ")]).unwrap().is_empty());
    }

    #[test]
    fn a_provider_has_the_default_scopes_and_its_name_for_display() {
        let providers = read(&GOOGLE).unwrap();
        let google = &providers[0];
        assert_eq!(google.name.as_str(), "google");
        assert_eq!(google.display_name, "google");
        assert_eq!(google.issuer, "https://accounts.google.com");
        assert_eq!(google.client_id, "postern-id");
        assert_eq!(google.client_secret.expose_secret(), "postern-secret");
        assert_eq!(google.scopes, ["openid", "email", "profile"]);
    }

    #[test]
    fn scopes_and_display_name_can_be_set() {
        let providers = read(&with(&[
            ("OIDC_GOOGLE_SCOPES", "openid,email"),
            ("OIDC_GOOGLE_DISPLAY_NAME", "Google"),
        ]))
        .unwrap();
        assert_eq!(providers[0].scopes, ["openid", "email"]);
        assert_eq!(providers[0].display_name, "Google");
    }

    #[test]
    fn scopes_without_openid_are_refused() {
        let err = read(&with(&[("OIDC_GOOGLE_SCOPES", "email profile")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OIDC_GOOGLE_SCOPES must include the `openid` scope"
        );
    }

    #[test]
    fn a_missing_client_secret_names_its_variable() {
        let err = read(&GOOGLE[..3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "OIDC_GOOGLE_CLIENT_SECRET is required: `google` is listed in OIDC_PROVIDERS"
        );
    }

    #[test]
    fn a_dashed_name_reads_underscored_variables() {
        let providers = read(&[
            ("OIDC_PROVIDERS", "google, azure-ad"),
            ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com"),
            ("OIDC_GOOGLE_CLIENT_ID", "a"),
            ("OIDC_GOOGLE_CLIENT_SECRET", "b"),
            (
                "OIDC_AZURE_AD_ISSUER",
                "https://login.example.com/tenant/v2.0",
            ),
            ("OIDC_AZURE_AD_CLIENT_ID", "c"),
            ("OIDC_AZURE_AD_CLIENT_SECRET", "d"),
        ])
        .unwrap();
        let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["google", "azure-ad"]);
        assert_eq!(providers[1].client_id, "c");
    }

    #[test]
    fn invalid_and_duplicate_names_are_refused() {
        assert!(matches!(
            read(&[("OIDC_PROVIDERS", "Google")]),
            Err(SettingsError::InvalidName(_))
        ));
        let err = read(&with(&[("OIDC_PROVIDERS", "google,google")])).unwrap_err();
        assert_eq!(err.to_string(), "OIDC_PROVIDERS lists `google` twice");
    }

    #[test]
    fn a_plain_http_issuer_is_refused_unless_on_loopback() {
        let err = read(&with(&[(
            "OIDC_GOOGLE_ISSUER",
            "http://accounts.example.com",
        )]));
        assert!(matches!(err, Err(SettingsError::InvalidIssuer { .. })));
        let err = read(&with(&[("OIDC_GOOGLE_ISSUER", "not a url")]));
        assert!(matches!(err, Err(SettingsError::InvalidIssuer { .. })));
        let local = read(&with(&[("OIDC_GOOGLE_ISSUER", "http://127.0.0.1:8080")])).unwrap();
        assert_eq!(local[0].issuer, "http://127.0.0.1:8080");
    }
}
