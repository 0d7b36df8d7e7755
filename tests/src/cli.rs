//! The built `postern` binary, for tests that run its commands as an operator would.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `postern` binary: `POSTERN_BINARY` when set (for a target directory that several
/// checkouts share, where the last build's binary wins), else the one cargo built beside the
/// test binary (`make test` builds every target).
///
/// # Panics
/// When it has not been built: `cargo build -p postern` first.
pub fn postern_binary() -> PathBuf {
    if let Some(binary) = std::env::var_os("POSTERN_BINARY") {
        return binary.into();
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = dir.join("postern");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p postern` (make test builds every target)",
        binary.display()
    );
    binary
}

/// Runs `postern <args>` in an empty directory (no `.env` to read) with only `env` set, and
/// returns what it wrote once it exits.
///
/// # Panics
/// When it cannot be started, or has not exited after 30 s (then it is killed): a command that
/// should have stopped must not hang the test run.
pub fn run_postern(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(postern_binary())
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "postern {args:?} did not exit within 30 s: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}
