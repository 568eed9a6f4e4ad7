//! With a TRACE logger, the crate's own log lines never hold a secret, and
//! the filter the README gives keeps the dependencies' wire dumps out too.
//! Its own binary: a process has one logger.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use std::sync::Mutex;

use common::*;
use mockito::{Matcher, Server};

struct Capture(Mutex<Vec<(String, log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push((
            record.target().to_owned(),
            record.level(),
            record.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

static LOGGER: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn no_secret_in_the_crates_trace_lines_nor_behind_the_readme_filter() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);

    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(Matcher::Any)
        .with_body(SAMPLE_MFA_INFO)
        .create();
    let _f = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_status(503)
        .with_body(r#"{"statusCode":503,"message":"busy"}"#)
        .create();
    mgmt_client(&server)
        .get_user_mfa_info("alice@example.com")
        .send()
        .unwrap();
    let _ = auth_client(&server).list_enrolled_factors().send();

    let records = LOGGER.0.lock().unwrap().clone();
    let secrets = [KEY_SECRET, ACCESS_TOKEN, &T1[..40], &T1[T1.len() - 20..]];
    let ours: Vec<_> = records
        .iter()
        .filter(|(t, ..)| t.starts_with("genauth_mfa"))
        .collect();
    assert!(ours.len() >= 4, "{ours:?}");
    // The crate's own lines name the path, never the query's user ids.
    for (_, _, line) in &ours {
        assert!(!line.contains("alice"), "{line}");
    }
    // `RUST_LOG=trace,ureq_proto=debug`: everything the client side logs
    // (this crate, ureq, rustls; not the test's mock server) but
    // ureq_proto's TRACE.
    let client_side = |t: &str| {
        ["genauth_mfa", "ureq", "rustls"]
            .iter()
            .any(|c| t.starts_with(c))
    };
    let behind_filter = records.iter().filter(|(t, level, _)| {
        client_side(t) && !(t.starts_with("ureq_proto") && *level == log::Level::Trace)
    });
    for (target, _, line) in behind_filter {
        for secret in secrets {
            assert!(!line.contains(secret), "{target}: {line}");
        }
    }
    // What the filter is for: ureq_proto dumps the wire bytes at TRACE.
    assert!(
        records
            .iter()
            .any(|(t, l, _)| t.starts_with("ureq_proto") && *l == log::Level::Trace),
        "ureq_proto logged nothing at TRACE"
    );
}
