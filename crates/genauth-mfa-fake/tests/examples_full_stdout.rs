//! The fake's example reports an unwritable stdout (`> /dev/full`) as an
//! error, exits 1, and never panics (101), as the library's examples do
//! (crates/genauth-mfa/tests/examples.rs). Runs the built
//! example (`cargo test` builds it).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The built example `name`, beside the test binaries.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo test` (which builds the examples) or \
         `cargo build --examples -p genauth-mfa-fake` first",
        path.display()
    );
    path
}

#[test]
fn the_serve_fake_example_reports_a_full_stdout_and_exit_1_without_a_panic() {
    let name = "serve_fake";
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(example(name))
        .env_clear()
        .stdin(Stdio::null())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{name}: {err}");
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(err.contains("error:"), "{name}: {err}");
}
