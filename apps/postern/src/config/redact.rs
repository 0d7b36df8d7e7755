//! Secrets kept out of what `postern config check` prints: a URL's password, whether it is
//! given in the user information (`user:password@host`) or as a query parameter
//! (`?password=...`, `?sslpassword=...`), is replaced and the rest of the URL kept, so that an
//! operator can still see where it points.

use secrecy::{ExposeSecret, SecretString};

/// What a redacted secret is printed as.
pub(super) const REDACTED: &str = "[redacted]";

/// The words that mark a query parameter as secret, in any case: `password`, `sslpassword`,
/// `passwd`, `pwd`, `secret`, `token`, `auth_token`, ...
const SECRET_PARAMETER_WORDS: [&str; 4] = ["pass", "pwd", "secret", "token"];

/// `url` with every password in it replaced by [`REDACTED`]. Text that does not even have a
/// scheme is redacted whole, since nothing says which part of it is secret.
pub(super) fn url_without_passwords(url: &SecretString) -> String {
    let url = url.expose_secret();
    let Some((scheme, rest)) = url.split_once(':').filter(|(scheme, _)| is_scheme(scheme)) else {
        return REDACTED.to_owned();
    };
    let (authority, rest) = match rest.strip_prefix("//") {
        Some(hierarchical) => {
            let (authority, rest) = split_authority(hierarchical);
            (format!("//{}", authority_without_password(authority)), rest)
        }
        None => (String::new(), rest),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query_without_secrets(query))
    };
    format!("{scheme}:{authority}{path}{query}")
}

/// RFC 3986: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(scheme: &str) -> bool {
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Splits `user:password@host:port/path?query` after its authority. The user information
/// ends at the last `@` before the path, so that a password holding a raw `?` or `#` is not
/// mistaken for the start of the query.
fn split_authority(hierarchical: &str) -> (&str, &str) {
    let path_start = hierarchical.find('/').unwrap_or(hierarchical.len());
    let host_start = hierarchical[..path_start].rfind('@').map_or(0, |at| at + 1);
    let authority_end = hierarchical[host_start..]
        .find(['/', '?', '#'])
        .map_or(hierarchical.len(), |end| host_start + end);
    hierarchical.split_at(authority_end)
}

fn authority_without_password(authority: &str) -> String {
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{REDACTED}@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    }
}

fn query_without_secrets(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _value)) if is_secret_parameter(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMETER_WORDS
        .iter()
        .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(url: &str) -> String {
        url_without_passwords(&SecretString::from(url.to_owned()))
    }

    #[test]
    fn a_password_in_the_user_information_is_redacted_and_the_rest_kept() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/postern?sslmode=require"),
            "postgres://app:[redacted]@db:5432/postern?sslmode=require"
        );
        assert_eq!(
            redacted("redis://:s3cret@cache:6379/0"),
            "redis://:[redacted]@cache:6379/0"
        );
    }

    #[test]
    fn a_password_given_as_a_query_parameter_is_redacted_in_any_case() {
        assert_eq!(
            redacted("postgres://app@db/postern?sslmode=require&password=s3cret"),
            "postgres://app@db/postern?sslmode=require&password=[redacted]"
        );
        assert_eq!(
            redacted("smtp://mail:587?tls=required&Password=s3cret&sslPassword=s3cret"),
            "smtp://mail:587?tls=required&Password=[redacted]&sslPassword=[redacted]"
        );
        assert_eq!(
            redacted("redis://cache:6379/0?auth_token=s3cret"),
            "redis://cache:6379/0?auth_token=[redacted]"
        );
    }

    #[test]
    fn a_password_holding_url_delimiters_is_still_redacted_whole() {
        let shown = redacted("postgres://app:s3?c#ret@db/postern");

        assert_eq!(shown, "postgres://app:[redacted]@db/postern");
    }

    #[test]
    fn urls_without_secrets_are_shown_whole() {
        for url in [
            "sqlite://./data/postern.db?mode=rwc",
            "sqlite:postern.db",
            "postgres://postgres@127.0.0.1:5432/test?options[search_path]=x",
        ] {
            assert_eq!(redacted(url), url);
        }
    }

    #[test]
    fn text_without_a_scheme_is_redacted_whole() {
        assert_eq!(redacted("not a url s3cret"), REDACTED);
        assert_eq!(redacted("not a url: s3cret"), REDACTED);
    }
}
