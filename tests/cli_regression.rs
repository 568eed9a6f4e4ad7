//! The tool's defects found by trying to break 0.3, each named after the
//! behaviour it pins down. Every test here failed before its fix.

mod cli_support;
mod common;

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
        assert!(err.contains(&format!("{var} is set but empty")), "{var}: {err}");
        assert!(!err.contains("not set"), "{var}: {err}");
    }
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}
