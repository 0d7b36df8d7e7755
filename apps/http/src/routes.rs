//! Route templates for the request metrics and log lines: the documented path of the
//! operation that answered (`/api/v1/user/sessions/:id`), never the raw path, so that label
//! values stay few. poem's own `PathPattern` names path parameters `:param0`, which is why the
//! templates come from the OpenAPI metadata, keyed by operation id.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use poem::{PathPattern, Response};
use poem_openapi::{OpenApi, OperationId};

use super::api::Api;

static TEMPLATES: OnceLock<HashMap<&'static str, Arc<str>>> = OnceLock::new();

/// The template of the route that produced `response`: the operation's documented path, else
/// the router's pattern for routes outside the API (`/metrics`, `/openapi.json`); `None` when
/// no route matched.
pub fn template(response: &Response) -> Option<Arc<str>> {
    response
        .data::<OperationId>()
        .and_then(|id| templates().get(id.0).cloned())
        .or_else(|| {
            response
                .data::<PathPattern>()
                .filter(|p| !p.0.is_empty())
                .map(|p| p.0.clone())
        })
}

fn templates() -> &'static HashMap<&'static str, Arc<str>> {
    TEMPLATES.get_or_init(|| {
        let mut templates = HashMap::new();
        for api in <Api as OpenApi>::meta() {
            for path in api.paths {
                let template: Arc<str> = colon_params(&path.path).into();
                for operation in path.operations {
                    if let Some(id) = operation.operation_id {
                        templates.insert(id, template.clone());
                    }
                }
            }
        }
        templates
    })
}

/// `/users/{id}` → `/users/:id`, the form poem's routes are written in.
fn colon_params(path: &str) -> String {
    path.replace('{', ":").replace('}', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_operation_has_a_template_with_named_parameters() {
        let templates = templates();
        assert_eq!(&*templates["login"], "/api/v1/auth/login");
        assert_eq!(&*templates["updateUser"], "/api/v1/admin/users/:id");
    }
}
