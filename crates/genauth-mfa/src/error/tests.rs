//! Unit tests of the error type: snippets, Display, Debug, redaction.

use super::make::snippet;
use super::*;

#[test]
fn snippet_is_bounded_and_cut_on_a_char_boundary() {
    let body = "é".repeat(400); // 800 bytes
    let s = snippet(body.as_bytes());
    assert!(s.len() <= SNIPPET_MAX_BYTES);
    assert!(s.chars().all(|c| c == 'é'), "{s:?}");
    assert_eq!(snippet(b"  <html>502</html>\n"), "<html>502</html>");
    assert_eq!(snippet(&[0xff, b'a']), "\u{FFFD}a");
}

#[test]
fn api_error_display_names_every_field() {
    let err = Error::Api {
        http_status: 200,
        status_code: 403,
        api_code: Some(2003),
        message: "forbidden".into(),
        request_id: Some("r-1".into()),
        attempts: 1,
    };
    assert_eq!(
        err.to_string(),
        "GenAuth API error: forbidden (statusCode 403, apiCode 2003, requestId r-1)"
    );
    assert_eq!(err.request_id(), Some("r-1"));
    assert_eq!(err.kind(), "api");
    assert!(!err.is_unauthenticated());
}

#[test]
fn debug_bounds_the_servers_text_and_keeps_the_shape() {
    let err = Error::Api {
        http_status: 200,
        status_code: 403,
        api_code: Some(2003),
        message: "forbidden".into(),
        request_id: Some("r-1".into()),
        attempts: 1,
    };
    assert_eq!(
        format!("{err:?}"),
        r#"Api { http_status: 200, status_code: 403, api_code: Some(2003), message: "forbidden", request_id: Some("r-1"), attempts: 1 }"#
    );
    let long = Error::Decode {
        http_status: 502,
        reason: format!("{}\u{202e}", "x".repeat(1000)),
        snippet: String::new(),
        attempts: 1,
    };
    let debug = format!("{long:?}");
    assert!(debug.len() < 600, "{debug}");
    assert!(debug.contains("(701 more characters)"), "{debug}");
    assert_eq!(format!("{:?}", Error::Cancelled), "Cancelled");
}

#[test]
fn redact_hides_a_secret_the_server_echoed_but_not_short_ones() {
    let err = Error::Credentials {
        source: Box::new(Error::Api {
            http_status: 200,
            status_code: 400,
            api_code: None,
            message: "bad secret sk-123456 (sk-123456)".into(),
            request_id: Some("sk-123456".into()),
            attempts: 1,
        }),
    }
    .redact("sk-123456");
    assert_eq!(
        err.report().to_string().matches("***").count(),
        3,
        "{}",
        err.report()
    );
    assert!(!format!("{err:?}").contains("sk-123456"));
    let short = Error::decode(502, "a t b", b"t").redact("t");
    assert!(short.to_string().contains("a t b"), "{short}");
}

#[test]
fn unauthenticated_by_http_status_or_envelope() {
    let api = |http_status, status_code| Error::Api {
        http_status,
        status_code,
        api_code: None,
        message: String::new(),
        request_id: None,
        attempts: 1,
    };
    assert!(api(401, 401).is_unauthenticated());
    assert!(api(200, 401).is_unauthenticated());
    assert!(api(401, 500).is_unauthenticated());
    assert!(!api(403, 403).is_unauthenticated());
}
