//! `postern serve` as a child process, for tests that need a process of its own: its signals,
//! its exit status, and every line it logs (a global subscriber cannot be captured in-process).
//! With `TEST_LOG` set, each line is also passed on to the test's output.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cli::postern_binary;

/// A running `postern serve` whose output is being collected.
pub struct ServeProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl ServeProcess {
    /// Starts `postern serve` on SQLite in `data_dir`, on a free port, with JSON logs, no
    /// global rate limit, and `env` on top; waits until it listens.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(postern_binary())
            .arg("serve")
            .env_clear()
            .env("POSTERN_DATA_DIR", data_dir)
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            // Tests send many requests from one address; those about the global limit set it.
            .env("RATE_LIMIT_GLOBAL", "off")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), output.clone()),
            collect(child.stderr.take().unwrap(), output.clone()),
        ];
        let started = Instant::now();
        let addr = loop {
            if let Some(addr) = first_line(&output, listening_addr) {
                break addr;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "postern serve did not start: {:?}",
                output.lock().unwrap()
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "postern serve exited with {status}: {:?}",
                    output.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            addr,
            child,
            output,
            readers,
        }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The first line written so far (on standard output or error) that `wanted` picks
    /// something from, waiting for it at most `deadline`.
    pub async fn wait_for_line<T>(
        &self,
        deadline: Duration,
        mut wanted: impl FnMut(&str) -> Option<T>,
    ) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = first_line(&self.output, &mut wanted) {
                return found;
            }
            assert!(
                started.elapsed() < deadline,
                "no such line within {deadline:?}: {:?}",
                self.output.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (at most 30 s) for the process to exit, and returns its status and every line
    /// it wrote to standard output and standard error.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!("postern serve did not exit within 30 s of being asked");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        for reader in std::mem::take(&mut self.readers) {
            reader.join().unwrap();
        }
        let output = self.output.lock().unwrap().join("\n");
        (status, output)
    }
}

impl Drop for ServeProcess {
    /// Kills a process the test did not wait for (it failed first), so that none outlives it.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What `wanted` picks from the first line of `output` it picks anything from.
fn first_line<T>(
    output: &Mutex<Vec<String>>,
    mut wanted: impl FnMut(&str) -> Option<T>,
) -> Option<T> {
    output.lock().unwrap().iter().find_map(|line| wanted(line))
}

/// Keeps every line of `stream` in `into`, passing it on to the test's output with `TEST_LOG`
/// (the thread inherits the test's output capture).
fn collect(
    stream: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<()> {
    let shown = crate::log::enabled();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if shown {
                eprintln!("{line}");
            }
            into.lock().unwrap().push(line);
        }
    })
}

/// The address in the "Postern is listening" JSON line.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("Postern is listening") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    value["fields"]["addr"].as_str()?.parse().ok()
}
