//! The examples report an unwritable stdout (`> /dev/full`) as an error,
//! exit 1, and never panic (101). Runs the built examples (`cargo test`
//! builds them), each against its own local sandbox server over loopback
//! HTTP.

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
         `cargo build --examples -p genauth-mfa` first",
        path.display()
    );
    path
}

#[test]
fn the_examples_report_a_full_stdout_and_exit_1_without_a_panic() {
    for (name, args) in [
        (
            "get_user_mfa_info",
            &["alice@example.com", "--user-id-type", "email"][..],
        ),
        ("list_enrolled_factors", &[][..]),
        ("get_factor", &["6229ffaxxxxxxxxcade3e3d9"][..]),
        ("shared_client", &[][..]),
        ("quickstart", &[][..]),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = Command::new(example(name))
            .args(args)
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
}

/// An argument that is not UTF-8 (`quickstart $'\xff'`, a file name in
/// Latin-1) made every example that takes arguments panic in
/// `std::env::args()` (exit 101, a backtrace on stderr). It is one line
/// on stderr and exit 1, as any bad argument.
#[cfg(unix)]
#[test]
fn the_examples_refuse_an_argument_that_is_not_utf8_without_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"al\xffce");
    for name in [
        "quickstart",
        "get_user_mfa_info",
        "get_factor",
        "list_enrolled_factors",
        "shared_client",
    ] {
        let output = Command::new(example(name))
            .arg(bad)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains("error:"), "{name}: {err}");
        assert!(output.stdout.is_empty(), "{name}");
    }
}
