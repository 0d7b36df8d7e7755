//! Request heads over [`MAX_HEAD_BYTES`] are refused with 431 in the docs/http-api.md §1
//! envelope. The server's own parser refuses only far larger heads (its buffer must hold a head
//! whole to read it), and answers those bare, before any of this application runs: a limit
//! here, well below the parser's, is what lets an oversized `Authorization` or cookie get the
//! envelope, the request id and the security headers.

use poem::{Endpoint, IntoResponse, Request, Response};

use crate::answers;
use crate::error::ApiError;

/// The largest request head accepted: the request line and every header, in bytes.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;

/// Answers 431 `headers_too_large` when the request's head is over [`MAX_HEAD_BYTES`].
pub async fn refuse_oversized_heads<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if head_bytes(&req) > MAX_HEAD_BYTES {
        return Ok(ApiError::from_answer(answers::HEADERS_TOO_LARGE).into_response());
    }
    // `call`, not `get_response`: errors must travel on to the envelope converter outside.
    Ok(next.call(req).await?.into_response())
}

/// The size of the head as sent: `METHOD target HTTP/1.1`, and `name: value` per header, each
/// line with its CRLF.
fn head_bytes(req: &Request) -> usize {
    let target = req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let request_line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + ": ".len() + value.len() + "\r\n".len())
        .sum();
    request_line + headers
}
