//! The pages that links in mail lead to (docs/http-api.md §3, §4): `/verify-email`,
//! `/reset-password` and `/confirm-email`, served by Postern itself so that the links work with no front end of the
//! operator's own. They sit beside the JSON API, outside its OpenAPI document.
//!
//! A GET never spends a token, since mail scanners fetch links before people do: it shows a
//! button (verification, email change) or a form (new password), and the POST of that form does the work and
//! shows the outcome. The token travels in the query of the GET and in the body of the POST,
//! never in a path, so that the request log (which records only the route) cannot hold it.
//! Failures are pages too, with the status and message the API would give.

mod confirm;
mod page;
mod reset;
mod verify;

use poem::{Route, get};

/// `route` with the pages added at their paths.
pub fn mount(route: Route) -> Route {
    route
        .at("/verify-email", get(verify::show).post(verify::submit))
        .at("/reset-password", get(reset::show).post(reset::submit))
        .at("/confirm-email", get(confirm::show).post(confirm::submit))
}
