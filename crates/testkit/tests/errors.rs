//! Each error kind over real HTTP to a local mockito server: what a
//! gateway, a slow server or a cut connection produce. (Errors the library
//! meets without a mock are in `crates/genauth-mfa/tests/errors.rs`.)

use common::*;
use genauth_mfa::{AuthenticationClient, Error, RetryPolicy, TransportErrorKind, UreqTransport};
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;
use mockito::{Matcher, Server};
use std::time::Duration;

fn list(server: &Server) -> genauth_mfa::Result<Vec<genauth_mfa::Factor>> {
    auth_client(server).list_enrolled_factors().send()
}

/// A server whose list answer takes `delay`, and a client without retries
/// whose whole call may take `timeout`.
fn slow_list(delay: Duration, timeout: Duration) -> (mockito::ServerGuard, AuthenticationClient) {
    let mut server = Server::new();
    server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_chunked_body(move |w| {
            std::thread::sleep(delay);
            w.write_all(b"{}")
        })
        .create();
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(timeout)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

#[test]
fn an_html_502_page_is_a_decode_error_with_status_and_snippet() {
    let mut server = Server::new();
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "nginx ".repeat(500)
    );
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_status(502)
        .with_header("content-type", "text/html")
        .with_body(&page)
        .create();
    match list(&server).unwrap_err() {
        Error::Decode {
            http_status,
            snippet,
            ..
        } => {
            assert_eq!(http_status, 502);
            assert!(
                snippet.starts_with("<html><head><title>502 Bad Gateway"),
                "{snippet}"
            );
            assert!(snippet.len() <= genauth_mfa::SNIPPET_MAX_BYTES);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_body_is_a_decode_error() {
    for status in [200, 204, 500] {
        let mut server = Server::new();
        let _m = server
            .mock("GET", "/api/v3/list-enrolled-factors")
            .with_status(status)
            .create();
        let err = list(&server).unwrap_err();
        assert!(
            matches!(err, Error::Decode { http_status, .. } if http_status == status as u16),
            "{status}: {err:?}"
        );
    }
}

#[test]
fn a_truncated_json_body_is_a_decode_error() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(&SAMPLE_FACTOR[..60])
        .create();
    let err = list(&server).unwrap_err();
    assert!(
        matches!(&err, Error::Decode { http_status: 200, snippet, .. } if SAMPLE_FACTOR.starts_with(snippet.as_str())),
        "{err:?}"
    );
}

#[test]
fn a_connection_cut_mid_body_is_a_transport_error() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_chunked_body(|w| {
            w.write_all(&SAMPLE_FACTOR.as_bytes()[..40])?;
            Err(std::io::Error::other("cut"))
        })
        .create();
    match list(&server).unwrap_err() {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Body, "{source}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_slow_answer_is_a_timeout_within_the_configured_bound() {
    let (_server, client) = slow_list(Duration::from_secs(1), Duration::from_millis(300));
    let err = client.list_enrolled_factors().send().unwrap_err();
    // The answer comes after 1 s: a timeout, not that answer, proves the
    // 300 ms bound cut it (how long it took: `cargo bench --bench deadlines`).
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.kind(), "timeout");
    assert_eq!(err.attempts(), 1);
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let mut server = Server::new();
    let big = format!(
        r#"{{"statusCode":200,"data":[],"pad":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(&big)
        .create();
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .transport(
            UreqTransport::builder()
                .max_response_bytes(16 * 1024)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    match client.list_enrolled_factors().send().unwrap_err() {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::BodyTooLarge)
        }
        other => panic!("{other:?}"),
    }
    // Under the default limit the same answer is fine.
    assert!(list(&server).unwrap().is_empty());
}

#[test]
fn a_redirect_is_not_followed() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_status(302)
        .with_header("location", "http://127.0.0.1:9/steal")
        .create();
    let err = list(&server).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                http_status: 302,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_fields_anywhere_are_ignored() {
    let mut server = Server::new();
    let _m = server
        .mock("GET", "/api/v3/get-factor")
        .match_query(Matcher::Any)
        .with_body(
            r#"{"statusCode":200,"message":"ok","requestId":"r","traceId":"t","extra":{"a":[1]},
               "data":{"factorId":"f","factorType":"OTP","profile":{"issuer":"x"},"createdAt":1,"nested":{"k":null}}}"#,
        )
        .create();
    let factor = auth_client(&server).get_factor("f").send().unwrap();
    assert_eq!(factor.profile.other["issuer"], "x");
}

#[test]
fn a_timeout_reads_once() {
    let (_server, client) = slow_list(Duration::from_millis(600), Duration::from_millis(200));
    let err = client.list_enrolled_factors().send().unwrap_err();
    let report = err.report().to_string();
    assert!(report.starts_with("timed out"), "{report}");
    assert_eq!(report.matches("timed out").count(), 1, "{report}");
}

#[test]
fn an_api_error_without_a_message_reads_without_empty_text_or_a_double_space() {
    // A 403 with no message, a null one, a blank one, and one padded with
    // spaces: the message is left out (or trimmed), never shown empty.
    let bodies = [
        (
            r#"{"statusCode":403,"apiCode":2003,"requestId":"r-1"}"#,
            "GenAuth API error: statusCode 403, apiCode 2003, requestId r-1",
        ),
        (
            r#"{"statusCode":403,"message":null}"#,
            "GenAuth API error: statusCode 403",
        ),
        (
            r#"{"statusCode":403,"message":"  \t "}"#,
            "GenAuth API error: statusCode 403",
        ),
        (
            r#"{"statusCode":403,"message":"  forbidden  "}"#,
            "GenAuth API error: forbidden (statusCode 403)",
        ),
    ];
    for (body, want) in bodies {
        let mut server = Server::new();
        let _m = server
            .mock("GET", "/api/v3/list-enrolled-factors")
            .with_body(body)
            .create();
        let err = list(&server).unwrap_err();
        let shown = err.to_string();
        assert_eq!(shown, want, "{body}");
        assert!(!shown.contains("  "), "{shown}");
        let report = err.report().to_string();
        assert!(
            !report.contains("  ") && !report.contains(": ("),
            "{report}"
        );
    }
}
