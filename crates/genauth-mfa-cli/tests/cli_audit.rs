//! `genauth-mfa audit` over real HTTP on 127.0.0.1: the batch engine under
//! it (concurrency to the last user, a key refused mid-run), quiet logs,
//! and one JSON shape for one user's answer.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cli_support::*;
use common::*;
use serde_json::Value;

#[test]
fn audit_concurrency_holds_to_the_last_user() {
    // -c 4 over 10 ids: 4, 4 and the last 2 at once. 0.2 handed ids out
    // in batches of up to 32, and a few threads served the rest in turn.
    let gate = Arc::new(Gate::new(4, 10));
    let g = Arc::clone(&gate);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            g.pass();
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let ids: String = (0..10).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(lines(&output).len(), 10);
    assert_eq!(gate.starved.load(Ordering::SeqCst), 0, "calls waited alone");
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(connections <= 5, "{connections} connections for 4 threads");
}

/// A server whose token endpoint answers once, then refuses the key; its
/// users answer until `ok_users` have, then say the token is revoked.
fn revoking_server(ok_users: usize) -> (HttpServer, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let tokens = Arc::new(AtomicUsize::new(0));
    let users = Arc::new(AtomicUsize::new(0));
    let (t, u) = (Arc::clone(&tokens), Arc::clone(&users));
    let server = HttpServer::start(move |target| {
        if target.starts_with("/api/v3/get-management-token") {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                token_body(T1, 7200)
            } else {
                r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid","requestId":"r-key"}"#.to_owned()
            }
        } else if let Some(policy) = pool_policy(target) {
            policy
        } else if u.fetch_add(1, Ordering::SeqCst) < ok_users {
            SAMPLE_MFA_INFO.to_owned()
        } else {
            r#"{"statusCode":401,"apiCode":2020,"message":"token revoked"}"#.to_owned()
        }
    });
    (server, tokens, users)
}

#[test]
fn a_key_refused_mid_run_stops_the_audit_with_one_message() {
    let (server, _tokens, users) = revoking_server(10);
    let ids: String = (0..2000).map(|i| format!("user-{i}\n")).collect();
    let output = run(
        against_url(&server.url).args(["audit", "-c", "4"]),
        ids.as_bytes(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 10, "{rows:?}");
    assert!(rows.iter().all(|r| r.get("error").is_none()), "{rows:?}");
    assert_eq!(
        err.matches("accessKeySecret is invalid").count(),
        1,
        "{err}"
    );
    assert!(err.contains("the management token request failed"), "{err}");
    assert!(users.load(Ordering::SeqCst) < 30);
}

#[test]
fn get_user_mfa_info_with_a_refused_key_says_so_as_audit_does() {
    let refusing = || {
        HttpServer::start(|target| {
            if target.starts_with("/api/v3/get-management-token") {
                r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#
                    .to_owned()
            } else {
                SAMPLE_MFA_INFO.to_owned()
            }
        })
    };
    let server = refusing();
    let single = run(
        against_url(&server.url).args(["get-user-mfa-info", "alice"]),
        b"",
    );
    let audit = run(against_url(&server.url).args(["audit"]), b"alice\n");
    assert_eq!(single.status.code(), Some(1), "{}", stderr(&single));
    assert_eq!(single.status.code(), audit.status.code());
    assert_eq!(stderr(&single), stderr(&audit));
    assert!(
        stderr(&single).starts_with("genauth-mfa: the management token request failed: "),
        "{}",
        stderr(&single)
    );
    assert!(single.stdout.is_empty() && audit.stdout.is_empty());
}

/// The lines a successful audit of 3 users prints on stderr without -v:
/// the counts and the coverage.
fn is_summary_line(line: &str) -> bool {
    line.starts_with("3 users in ")
        || line.starts_with("coverage 100.0 %: 3 of 3 users")
        || line.starts_with("pool policy: factors the pool enables: totp, sms, email, face;")
        || line.starts_with("effective coverage 100.0 %: 3 of 3 users")
}

#[test]
fn stderr_holds_only_the_summary_whatever_rust_log_asks_short_of_v() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    for rust_log in [None, Some("off"), Some("warn"), Some("")] {
        let mut command = against_url(&server.url);
        if let Some(value) = rust_log {
            command.env("RUST_LOG", value);
        }
        let output = run(command.args(["audit", "-c", "2"]), b"a\nb\nc\n");
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let err = stderr(&output);
        assert!(
            err.lines().count() == 4 && err.lines().all(is_summary_line),
            "RUST_LOG={rust_log:?}: {err}"
        );
    }
}

#[test]
fn ureq_proto_never_logs_above_debug_and_no_secret_reaches_stderr() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    for rust_log in ["trace", "ureq_proto=trace,ureq=trace"] {
        for verbose in [false, true] {
            let mut command = against_url(&server.url);
            command.env("RUST_LOG", rust_log);
            if verbose {
                command.arg("-v");
            }
            let output = run(command.args(["audit"]), b"alice\n");
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            let err = stderr(&output);
            assert!(err.contains("1 users in"), "{err}");
            for line in err.lines() {
                assert!(
                    !(line.contains("TRACE") && line.contains("ureq")),
                    "RUST_LOG={rust_log}: {line}"
                );
            }
            assert!(!err.contains(KEY_SECRET), "the secret on stderr: {err}");
            assert!(!err.contains(T1), "the token on stderr: {err}");
        }
    }
    // -v shows the crate's own debug lines.
    let output = run(against_url(&server.url).args(["-v", "audit"]), b"alice\n");
    assert!(
        stderr(&output).contains("genauth_mfa"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn get_user_mfa_info_prints_what_an_audit_row_holds() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let single = run(
        against_url(&server.url).args(["get-user-mfa-info", "a@b", "--user-id-type", "email"]),
        b"",
    );
    assert_eq!(single.status.code(), Some(0), "{}", stderr(&single));
    let audit = run(
        against_url(&server.url).args(["audit", "--user-id-type", "email"]),
        b"a@b\n",
    );
    let single: Value = serde_json::from_str(&lines(&single)[0]).unwrap();
    let mut row: Value = serde_json::from_str(&lines(&audit)[0]).unwrap();
    // The pool's verdicts are the audit's own, and unknown for ids that
    // are not user_ids.
    for key in ["effectiveMfa", "skipMfa", "admin"] {
        assert_eq!(
            row.as_object_mut().unwrap().remove(key),
            Some(Value::Null),
            "{key}"
        );
    }
    assert_eq!(single, row);
    assert_eq!(single["userId"], "a@b");
    assert_eq!(single["anyEnabled"], true);
}
