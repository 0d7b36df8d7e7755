//! The `Allow` header of a 405 (RFC 9110 section 15.5.6): the methods the requested path does
//! answer. The router only says that the method was wrong, so the methods come from the same
//! place as the document: the operations of the OpenAPI metadata, path by path, and the few
//! routes served outside the API.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, Request, Response};
use poem_openapi::OpenApi;

use super::api::Api;

/// Routes served beside the API, with their methods.
const OUTSIDE_API: [(&str, &str); 2] = [("/openapi.json", "get"), ("/metrics", "get")];

/// A path template, split into segments (`None` for a parameter), and its `Allow` value.
struct AllowedMethods {
    segments: Vec<Option<String>>,
    allow: HeaderValue,
}

static TABLE: OnceLock<Vec<AllowedMethods>> = OnceLock::new();

/// Adds `Allow` to a 405 answer, listing the methods of the requested path.
pub async fn method_not_allowed<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut response = next.get_response(req).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = allowed(&path)
    {
        response.headers_mut().insert("allow", allow.clone());
    }
    Ok(response)
}

/// The `Allow` value of `path`; `None` for a path no route serves.
fn allowed(path: &str) -> Option<&'static HeaderValue> {
    let segments: Vec<&str> = path.split('/').collect();
    table()
        .iter()
        .filter(|route| route.matches(&segments))
        // The router prefers a literal segment to a parameter, earliest first; so does this.
        .max_by_key(|route| {
            route
                .segments
                .iter()
                .map(Option::is_some)
                .collect::<Vec<_>>()
        })
        .map(|route| &route.allow)
}

impl AllowedMethods {
    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(template, actual)| match template {
                    Some(literal) => literal == actual,
                    None => !actual.is_empty(),
                })
    }
}

fn table() -> &'static [AllowedMethods] {
    TABLE.get_or_init(|| {
        let mut paths: Vec<(String, BTreeSet<String>)> = Vec::new();
        let documented = <Api as OpenApi>::meta()
            .into_iter()
            .flat_map(|api| api.paths)
            .flat_map(|path| {
                let template = path.path;
                path.operations
                    .into_iter()
                    .map(move |op| (template.clone(), op.method.as_str().to_owned()))
            });
        let outside = OUTSIDE_API.map(|(path, method)| (path.to_owned(), method.to_owned()));
        for (template, method) in documented.chain(outside) {
            let method = method.to_ascii_uppercase();
            match paths.iter_mut().find(|(known, _)| *known == template) {
                Some((_, methods)) => {
                    methods.insert(method);
                }
                None => paths.push((template, BTreeSet::from([method]))),
            }
        }
        paths
            .into_iter()
            .filter_map(|(template, methods)| {
                Some(AllowedMethods {
                    segments: template.split('/').map(literal).collect(),
                    allow: HeaderValue::from_str(&allow_value(methods)).ok()?,
                })
            })
            .collect()
    })
}

/// A template segment: `Some` literal, or `None` for a `{parameter}`.
fn literal(segment: &str) -> Option<String> {
    (!segment.starts_with('{')).then(|| segment.to_owned())
}

/// The methods as `Allow` lists them; `HEAD` wherever `GET` is, since the router answers a
/// `HEAD` with the `GET` handler.
fn allow_value(mut methods: BTreeSet<String>) -> String {
    if methods.contains("GET") {
        methods.insert("HEAD".to_owned());
    }
    methods.into_iter().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(path: &str) -> Option<&str> {
        allowed(path).and_then(|v| v.to_str().ok())
    }

    #[test]
    fn a_path_lists_every_method_of_its_operations() {
        assert_eq!(allow("/api/v1/auth/login"), Some("POST"));
        assert_eq!(allow("/api/v1/user/profile"), Some("GET, HEAD, PATCH"));
        assert_eq!(allow("/metrics"), Some("GET, HEAD"));
    }

    #[test]
    fn a_parameter_matches_any_one_segment_and_a_literal_wins_over_it() {
        let id = "0190a0a0-0000-7000-8000-000000000000";
        assert_eq!(
            allow(&format!("/api/v1/admin/users/{id}")),
            Some("DELETE, PATCH")
        );
        assert_eq!(allow("/api/v1/admin/users"), Some("GET, HEAD"));
        assert_eq!(allow("/api/v1/admin/users/a/b/c"), None);
    }
}
