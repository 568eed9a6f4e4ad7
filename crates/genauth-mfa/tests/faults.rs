//! Fault injection: for each way a network or gateway can fail, the typed
//! outcome and how many attempts reached the server. How long each takes
//! against its configured bound is measured, not asserted here (a loaded
//! machine made such assertions fail): `cargo bench --bench deadlines`.

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::fault;

use std::time::{Duration, Instant};

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{AuthenticationClient, Error, ManagementClient, RetryPolicy, TransportErrorKind};

const TIMEOUT: Duration = Duration::from_millis(400);

/// The default 3 attempts, with short waits to keep the suite quick.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(40))
        .with_max_backoff(Duration::from_millis(80))
}

fn client(server: &FaultServer) -> AuthenticationClient {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(TIMEOUT)
        .retry_policy(quick_retries())
        .build()
        .unwrap()
}

fn ok() -> Fault {
    Fault::json(200, SAMPLE_FACTOR)
}

/// Runs one get-factor call.
fn call(server: &FaultServer) -> genauth_mfa::Result<genauth_mfa::Factor> {
    client(server).get_factor("6229ffaxxxxxxxxcade3e3d9").send()
}

#[test]
fn a_server_that_never_answers_times_out_at_the_whole_call_deadline() {
    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    let result = call(&server);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The 400 ms are the whole call's: no time is left for a second attempt.
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_timeout_of_one_attempt_is_retried_while_time_remains() {
    // The first attempt is cut by the transport's own (shorter) timeout;
    // the whole call's deadline leaves room for the second.
    let server = FaultServer::start(vec![Fault::NeverAnswer], ok());
    let transport = genauth_mfa::UreqTransport::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .transport(transport)
        .timeout(Duration::from_secs(5))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client.get_factor("f").send().unwrap();
    assert_eq!(server.requests(), 2);
}

#[test]
fn headers_then_close_mid_body_is_a_transport_error_not_retried() {
    let server = FaultServer::start(vec![Fault::HeadersThenClose], ok());
    let result = call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Body),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_truncated_chunked_body_is_a_transport_error_not_retried() {
    let server = FaultServer::start(vec![Fault::TruncatedChunked], ok());
    let result = call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Body),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_reset_before_any_response_is_retried() {
    let server = FaultServer::start(vec![Fault::Reset], ok());
    let result = call(&server);
    let factor = result.unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    assert_eq!(server.requests(), 2);
}

#[test]
fn resets_on_every_attempt_give_up_after_three() {
    let server = FaultServer::start(vec![], Fault::Reset);
    let result = call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::ConnectionClosed),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_429_with_retry_after_is_honoured_then_succeeds() {
    let server = FaultServer::start(
        vec![
            Fault::json(429, r#"{"statusCode":429,"message":"slow down"}"#)
                .with_header("retry-after", "1"),
        ],
        ok(),
    );
    let started = Instant::now();
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(Duration::from_secs(5))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    client.get_factor("f").send().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(server.requests(), 2);
    // Retry-After: 1 is honoured rather than the 40 ms backoff. (A lower
    // bound: a loaded machine only makes the wait longer.)
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
}

#[test]
fn two_503s_then_success() {
    let unavailable = || Fault::json(503, r#"{"statusCode":503,"message":"unavailable"}"#);
    let server = FaultServer::start(vec![unavailable(), unavailable()], ok());
    let result = call(&server);
    result.unwrap();
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_50_mib_body_is_refused_at_the_limit_without_retry() {
    let server = FaultServer::start(vec![Fault::Huge(50 * 1024 * 1024)], ok());
    let result = call(&server);
    let err = result.unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::BodyTooLarge),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_dripping_server_times_out_within_the_bound() {
    let body = SAMPLE_FACTOR.as_bytes().to_vec();
    let drip = Fault::Drip {
        body,
        interval: Duration::from_millis(100),
    };
    let server = FaultServer::start(vec![], drip);
    let result = call(&server);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.attempts(), 1, "the deadline is the whole call's");
    assert_eq!(server.requests(), 1);
}

#[test]
fn an_html_502_page_is_retried_then_a_decode_error() {
    let page = Fault::Respond {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
    };
    let server = FaultServer::start(vec![], page);
    let result = call(&server);
    match result.unwrap_err() {
        err @ Error::Decode {
            http_status: 502, ..
        } => {
            assert_eq!(err.attempts(), 3);
            assert!(
                err.to_string().contains("<h1>502 Bad Gateway</h1>"),
                "{err}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 3);
}

#[test]
fn an_api_error_in_a_200_envelope_is_not_retried() {
    let server = FaultServer::start(
        vec![Fault::json(
            200,
            r#"{"statusCode":500,"apiCode":5000,"message":"internal","requestId":"r500"}"#,
        )],
        ok(),
    );
    let result = call(&server);
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                http_status: 200,
                status_code: 500,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("r500"));
    assert_eq!(server.requests(), 1);
}

#[test]
fn retries_none_makes_one_attempt() {
    let server = FaultServer::start(vec![Fault::json(503, "{}")], ok());
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.get_factor("f").send().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                http_status: 503,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_closed_port_is_retried_as_a_connect_error() {
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(closed_port_url())
        .access_token(ACCESS_TOKEN)
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let err = client.get_factor("f").send().unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Connect),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
}

#[test]
fn sequential_calls_reuse_one_connection() {
    let server = FaultServer::start(vec![], ok());
    let client = client(&server);
    for _ in 0..20 {
        client.get_factor("f").send().unwrap();
    }
    assert_eq!(server.requests(), 20);
    assert_eq!(server.connections(), 1);
}

#[test]
fn the_token_request_and_the_calls_share_one_connection_and_the_token_post_is_retried() {
    let server = FaultServer::start(
        vec![
            Fault::json(503, r#"{"statusCode":503,"message":"busy"}"#),
            Fault::json(200, &token_body(T1, 7200)),
        ],
        Fault::json(200, SAMPLE_MFA_INFO),
    );
    let mgmt = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    for i in 0..5 {
        mgmt.get_user_mfa_info(format!("user-{i}")).send().unwrap();
    }
    let heads = server.request_heads();
    assert!(
        heads[0].starts_with("POST /api/v3/get-management-token "),
        "{}",
        heads[0]
    );
    assert!(
        heads[1].starts_with("POST /api/v3/get-management-token "),
        "{}",
        heads[1]
    );
    assert!(
        heads[2].starts_with("GET /api/v3/get-user-mfa-info?userId=user-0 "),
        "{}",
        heads[2]
    );
    assert_eq!(server.requests(), 7);
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_get_carries_no_body_headers_on_the_wire() {
    let server = FaultServer::start(vec![], ok());
    client(&server).get_factor("a b").send().unwrap();
    let head = server.request_heads().remove(0).to_ascii_lowercase();
    assert!(
        head.starts_with("get /api/v3/get-factor?factorid=a%20b http/1.1\r\n"),
        "{head}"
    );
    assert!(
        !head.contains("content-length") && !head.contains("transfer-encoding"),
        "{head}"
    );
}
