//! A real browser for tests: Debian's headless `chromium`, driven through a `chromedriver` of
//! the test's own on a free port (tests run in parallel), with fantoccini.
//!
//! A machine without them fails the test with the packages to install: a browser test that
//! skipped itself would pass without having checked anything. `make test` installs them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::redis::free_port;

/// What to do about a machine without the browser.
const INSTALL: &str = "the browser tests need Debian's chromium and chromedriver: install them \
                       with `apt-get install -y chromium chromium-driver` (make test does when \
                       apt-get is usable)";

/// How long a page may take to show what a test waits for.
const PAGE_WAIT: Duration = Duration::from_secs(10);

/// A headless Chromium session, and the chromedriver that runs it.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless session in it.
    pub async fn start() -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("chromedriver could not start ({err}); {INSTALL}"));
        let mut browser = Self {
            client: None,
            driver,
        };
        browser.client = Some(connect(port).await);
        browser
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.client().goto(url).await.expect("the page opens");
    }

    /// Types `text` into the field matching the CSS `selector`.
    pub async fn fill(&self, selector: &str, text: &str) {
        self.client()
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("no {selector} on the page: {err}"))
            .send_keys(text)
            .await
            .expect("typing into the field");
    }

    /// Clicks the element matching the CSS `selector`.
    pub async fn click(&self, selector: &str) {
        self.client()
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("no {selector} on the page: {err}"))
            .click()
            .await
            .expect("clicking");
    }

    /// The text of the element matching the CSS `selector`, once the page shows one.
    pub async fn text_of(&self, selector: &str) -> String {
        let element = self
            .client()
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("the page shows no {selector}: {err}"));
        element.text().await.expect("the element's text")
    }

    /// The page's title.
    pub async fn title(&self) -> String {
        self.client().title().await.expect("the page's title")
    }

    /// Ends the session (and the browser) and stops chromedriver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.expect("the browser session ends");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A session in the chromedriver listening on `port`, once it answers.
async fn connect(port: u16) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            // No sandbox: test machines and containers often run as root, where Chromium's
            // sandbox refuses to start.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal");
    };
    let started = Instant::now();
    loop {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(capabilities.clone());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => return client,
            Err(err) if started.elapsed() > Duration::from_secs(20) => {
                panic!("no browser session from chromedriver within 20 s ({err}); {INSTALL}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
