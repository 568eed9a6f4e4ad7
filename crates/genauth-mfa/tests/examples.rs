//! The examples, built by `cargo test` and run against their own sandbox
//! (the fake served on 127.0.0.1): the quickstart's requests over real
//! HTTP, and an unwritable stdout (`> /dev/full`) or a non-UTF-8 argument
//! reported as an error (exit 1), never a panic (101).

use genauth_mfa_fake::Route;
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

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

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

#[test]
fn the_quickstart_talks_to_the_fake_over_http_on_127_0_0_1() {
    let setup = quickstart::support::Setup::sandbox().unwrap();
    let sandbox = setup.as_sandbox().unwrap();
    assert!(
        sandbox.url().starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url()
    );
    let out = quickstart::run(&setup, None, None).unwrap();

    assert_eq!(out["enrolledFactors"].as_array().map(Vec::len), Some(3));
    assert_eq!(out["factor"]["factorId"], "6229ffaxxxxxxxxcade3e3d9");
    let row = &out["userMfaInfo"];
    assert_eq!(row["userId"], "alice@example.com");
    for key in [
        "totpStatus",
        "faceMfaStatus",
        "smsMfaStatus",
        "emailMfaStatus",
        "anyEnabled",
    ] {
        assert!(row.get(key).is_some(), "{key}: {row}");
    }

    let fake = sandbox.fake();
    let routes: Vec<_> = fake.requests().iter().map(|r| r.route()).collect();
    assert_eq!(
        routes,
        [
            Some(Route::ListEnrolledFactors),
            Some(Route::GetFactor),
            Some(Route::Token),
            Some(Route::GetUserMfaInfo),
        ]
    );
    let host = sandbox.url().trim_start_matches("http://").to_owned();
    for request in fake.requests() {
        // The headers of a real HTTP request, as ureq sent it.
        assert_eq!(request.header("host"), Some(host.as_str()), "{request:?}");
        assert!(
            request
                .header("user-agent")
                .is_some_and(|ua| ua.starts_with("genauth-mfa/"))
        );
    }
    assert_eq!(fake.requests()[3].query("userIdType"), Some("email"));
    assert_eq!(sandbox.requests_served(), 4);
}
