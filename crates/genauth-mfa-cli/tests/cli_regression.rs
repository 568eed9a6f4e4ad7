//! The tool's defects found by trying to break 0.3, each named after the
//! behaviour it pins down. Every test here failed before its fix.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cli_support::*;
use common::*;

#[test]
fn a_key_whose_fresh_token_is_refused_on_every_call_stops_the_audit_as_a_refused_key() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let (t, c) = (Arc::clone(&tokens), Arc::clone(&calls));
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/get-management-token") {
            t.fetch_add(1, Ordering::SeqCst);
            token_body(T1, 7200)
        } else {
            c.fetch_add(1, Ordering::SeqCst);
            r#"{"statusCode":401,"apiCode":2020,"message":"no permission","requestId":"r-401"}"#
                .to_owned()
        }
    });
    let ids: String = (0..500).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the access key may not call get-user-mfa-info"),
        "{err}"
    );
    assert_eq!(err.matches("may not call").count(), 1, "{err}");
    assert!(err.contains("no permission"), "{err}");
    // No row claims anything of a user.
    assert!(json_rows(&output).is_empty(), "{:?}", lines(&output));
    // Stopped at once: a few calls, not one per user.
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 16, "{calls} calls for a key that may call nothing");
    assert!(tokens.load(Ordering::SeqCst) <= 3);
}

#[test]
fn every_genauth_variable_set_but_empty_is_named_as_empty_before_any_request() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |_| {
        r.fetch_add(1, Ordering::SeqCst);
        token_body(T1, 7200)
    });
    for var in [
        "GENAUTH_ACCESS_KEY_ID",
        "GENAUTH_ACCESS_KEY_SECRET",
        "GENAUTH_HOST",
        "GENAUTH_CA_FILE",
        "GENAUTH_TIMEOUT",
        "GENAUTH_LANG",
    ] {
        let output = run(
            against_url(&server.url).env(var, "").args(["audit"]),
            b"user-1\n",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{var}: {err}");
        assert!(
            err.contains(&format!("{var} is set but empty")),
            "{var}: {err}"
        );
        assert!(!err.contains("not set"), "{var}: {err}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

/// The tool under `ulimit -n LIMIT` with `-c 64`, auditing `users` ids
/// against a server whose user answers take `delay`.
#[cfg(unix)]
fn audit_under_open_files_limit(
    limit: u32,
    users: usize,
    delay: std::time::Duration,
) -> std::process::Output {
    // Slow answers, so that all threads hold a connection at once.
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            std::thread::sleep(delay);
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let ids: String = (0..users).map(|i| format!("user-{i}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ids.txt");
    std::fs::write(&input, ids).unwrap();
    let script = format!(
        "ulimit -n {limit}; exec {} audit {} -c 64",
        binary().display(),
        input.display()
    );
    let mut sh = std::process::Command::new("/bin/sh");
    sh.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GENAUTH_ACCESS_KEY_ID", KEY_ID)
        .env("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET)
        .env("GENAUTH_HOST", &server.url)
        .args(["-c", &script]);
    run(&mut sh, b"")
}

/// Under `ulimit -n 40` with 64 threads, most calls found no file
/// descriptor for their socket: 242 of 300 users failed at once, without a
/// retry. They are retried as a failure to connect.
#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_for_a_moment_is_retried() {
    let output = audit_under_open_files_limit(40, 300, std::time::Duration::from_millis(30));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 300, "{err}");
    assert!(rows.iter().all(|r| r.get("error").is_none()), "{err}");
}

/// When descriptors stay short (every socket held by a slow call), what
/// still fails says why in its row and, once, what to do.
#[cfg(unix)]
#[test]
fn running_out_of_file_descriptors_for_good_says_to_lower_the_concurrency() {
    let output = audit_under_open_files_limit(12, 40, std::time::Duration::from_millis(2500));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 40, "{err}");
    let failed: Vec<_> = rows.iter().filter(|r| r.get("error").is_some()).collect();
    assert!(!failed.is_empty(), "{err}");
    for row in &failed {
        let text = row["error"]["message"].as_str().unwrap();
        assert!(text.contains("out of file descriptors"), "{text}");
        assert!(text.contains("attempts"), "not retried: {text}");
    }
    assert_eq!(err.matches("lower --concurrency").count(), 1, "{err}");
    assert!(err.contains("ulimit -n"), "{err}");
}

/// A short secret (`GENAUTH_ACCESS_KEY_SECRET=sk`) was hidden inside the
/// tool's own words: "2 duplicate ids ***ipped". Only text from outside is
/// redacted: a server that echoes the secret is still hidden.
#[test]
fn redaction_hides_secrets_in_outside_text_and_never_touches_the_tools_own_words() {
    let server = HttpServer::start(|target| {
        token_or_user(target, |_| {
            r#"{"statusCode":404,"apiCode":2004,"message":"no user for secret sk","requestId":"r-sk"}"#
                .to_owned()
        })
    });
    let output = run(
        against_url(&server.url)
            .env("GENAUTH_ACCESS_KEY_SECRET", "sk")
            .args(["audit"]),
        b"u-1\nu-1\nu-1\n",
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("2 duplicate ids skipped"), "{err}");
    let rows = lines(&output).join("\n");
    assert!(rows.contains("no user for secret ***"), "{rows}");
    assert!(!rows.contains(" sk\""), "{rows}");
}
