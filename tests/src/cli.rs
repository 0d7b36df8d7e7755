//! The built `postern` binary, for tests that run its commands as an operator would.

use std::path::PathBuf;

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
