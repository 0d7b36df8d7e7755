//! The one HTTP client of the adapter, and the bridge that lets oauth2 send its requests
//! through it (oauth2's own reqwest feature would bring a second reqwest major).

use std::time::Duration;

use std::future::Future;
use std::pin::Pin;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

/// How long a provider may take to answer one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting to a provider may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for the providers' endpoints. It follows no redirect: a token endpoint that
/// redirects would send the code and the client secret wherever it points.
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

/// oauth2's view of our client. A named type rather than a closure: a closure's future has a
/// lifetime the compiler cannot prove `Send` for every caller, and the port's futures must be.
pub(crate) struct OAuthHttp<'a>(pub &'a reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}

/// Sends one of oauth2's requests and hands back the whole answer, whatever its status: oauth2
/// reads the provider's error responses itself.
async fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let response = client.execute(reqwest::Request::try_from(request)?).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let mut answer = HttpResponse::new(response.bytes().await?.to_vec());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}
