//! The example resource server (`examples/resource-server`) as a child process: an axum
//! service protected by `postern-verify`, for the end-to-end tests of that crate.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `postern-resource-server` binary: `RESOURCE_SERVER_BINARY` when set, else the one cargo
/// built beside the test binary.
///
/// # Panics
/// When it has not been built: `cargo build -p postern-resource-server` first (`make test`
/// does).
pub fn resource_server_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("RESOURCE_SERVER_BINARY") {
        return binary.into();
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = dir.join("postern-resource-server");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p postern-resource-server`",
        binary.display()
    );
    binary
}

/// A running resource server; killed when dropped.
pub struct ResourceServer {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl ResourceServer {
    /// Starts the service on a free port with only `env` set, and waits until it listens.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(resource_server_binary())
            .env_clear()
            .env("PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(crate::log::child_output())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, listening) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on http://") {
                    let _ = sender.send(addr.parse::<SocketAddr>().ok());
                }
            }
        });
        let addr = listening
            .recv_timeout(Duration::from_secs(30))
            .ok()
            .flatten()
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("the resource server did not start (TEST_LOG=1 shows why)")
            });
        Self { addr, child }
    }

    /// The URL of `path` on this service.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for ResourceServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
