//! Retries: which failures are asked again and how often (a reset, a
//! 429 or 503, a gateway's HTML page, a closed port, throttles in a 200
//! envelope), which are not (an API error, a cut body, a body over the
//! limit, a protocol error), and odd `Retry-After`/rate-limit headers with
//! uncapped policies.
//! Against a `FaultServer`, a scripted raw server or the fake. How long each
//! takes is measured in `cargo bench --bench deadlines`, not asserted here.

mod support;

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{
    AuthenticationClient, Error, RetryPolicy, TransportErrorKind, UserIdType, UserMfaInfo,
};
use genauth_mfa_fake::{Failure, FakeGenAuth, Route};
use genauth_mfa_testkit::{common, fault};
use std::time::{Duration, Instant};
use support::*;

/// FINDING: with `with_max_retry_after(Duration::MAX)` (a caller who wants
/// every Retry-After honoured), a server's `Retry-After: 18446744073709551615`
/// panicked in `call.rs`: "overflow when adding duration to instant"
/// (`Instant::now() + wait`).
#[test]
fn a_huge_retry_after_with_an_uncapped_policy_does_not_panic() {
    let r = within(20, || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none().with_max_retry_after(Duration::MAX))
            .transport(canned(
                429,
                &[("retry-after", "18446744073709551615")],
                r#"{"statusCode":429,"message":"slow down"}"#,
            ))
            .build()
            .unwrap();
        c.list_enrolled_factors().send().map(|_| ())
    });
    assert!(r.is_err());
}

/// FINDING: the same panic through `RateLimit-Remaining: 0` with a
/// `RateLimit-Reset` of u64::MAX (read as a Unix time, then a wait).
#[test]
fn a_huge_ratelimit_reset_with_an_uncapped_policy_does_not_panic() {
    let r = within(20, || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://a.example")
            .access_token("t")
            .retry_policy(RetryPolicy::none().with_max_retry_after(Duration::MAX))
            .transport(canned(
                503,
                &[
                    ("ratelimit-remaining", "0"),
                    ("ratelimit-reset", "18446744073709551615"),
                ],
                r#"{"statusCode":503,"message":"down"}"#,
            ))
            .build()
            .unwrap();
        c.list_enrolled_factors().send().map(|_| ())
    });
    assert!(r.is_err());
}

#[test]
fn a_timeout_of_one_attempt_is_retried_while_time_remains() {
    // The first attempt is cut by the transport's own (shorter) timeout;
    // the whole call's deadline leaves room for the second.
    let server = FaultServer::start(vec![Fault::NeverAnswer], fault_ok());
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
fn a_reset_before_any_response_is_retried() {
    let server = FaultServer::start(vec![Fault::Reset], fault_ok());
    let result = fault_call(&server);
    let factor = result.unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    assert_eq!(server.requests(), 2);
}

#[test]
fn resets_on_every_attempt_give_up_after_three() {
    let server = FaultServer::start(vec![], Fault::Reset);
    let result = fault_call(&server);
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
        fault_ok(),
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
    let server = FaultServer::start(vec![unavailable(), unavailable()], fault_ok());
    let result = fault_call(&server);
    result.unwrap();
    assert_eq!(server.requests(), 3);
}

#[test]
fn an_html_502_page_is_retried_then_a_decode_error() {
    let page = Fault::Respond {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
    };
    let server = FaultServer::start(vec![], page);
    let result = fault_call(&server);
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
        fault_ok(),
    );
    let result = fault_call(&server);
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
    let server = FaultServer::start(vec![Fault::json(503, "{}")], fault_ok());
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

// ---- throttling and deadlines ----

#[test]
fn throttling_inside_a_200_envelope_is_retried() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
    fake.fail_next(
        Route::GetUserMfaInfo,
        Failure::api(503, None, "busy, try later"),
    );
    let info = mgmt_on(&fake).get_user_mfa_info("u").send().unwrap();
    assert_eq!(info, UserMfaInfo::new());
    assert_eq!(fake.count(Route::GetUserMfaInfo), 3);
}

#[test]
fn throttling_that_lasts_is_an_api_error_after_the_last_throttled_attempt() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    // A throttle has its own, larger allowance (10 attempts by default):
    // three throttles in a row no longer fail the call.
    for _ in 0..3 {
        fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
    }
    mgmt_on(&fake).get_user_mfa_info("u").send().unwrap();
    for _ in 0..10 {
        fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
    }
    let err = mgmt_on(&fake).get_user_mfa_info("u").send().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status_code: 429,
                attempts: 10,
                ..
            }
        ),
        "{err:?}"
    );
    // Other retryable failures keep the policy's 3 attempts.
    for _ in 0..3 {
        fake.fail_next(Route::GetUserMfaInfo, Failure::api(503, None, "busy"));
    }
    let err = mgmt_on(&fake).get_user_mfa_info("u").send().unwrap_err();
    assert_eq!(err.attempts(), 3, "{err:?}");
}

#[test]
fn protocol_errors_have_their_own_kind_and_are_not_retried() {
    for fault in [Fault::ManyHeaders(200), Fault::DuplicateContentLength] {
        let label = format!("{fault:?}");
        let server = FaultServer::start(vec![], fault);
        let client = AuthenticationClient::builder()
            .app_id("a")
            .app_host(server.url())
            .access_token(ACCESS_TOKEN)
            .retry_policy(short_retries())
            .build()
            .unwrap();
        let err = client.list_enrolled_factors().send().unwrap_err();
        assert_eq!(
            transport_kind(&err),
            Some(TransportErrorKind::Protocol),
            "{label}: {err:?}"
        );
        assert_eq!(server.requests(), 1, "{label}");
    }
}

#[test]
fn a_50_mib_body_is_refused_at_the_limit_without_retry() {
    let server = FaultServer::start(vec![Fault::Huge(50 * 1024 * 1024)], fault_ok());
    // The limit, not the clock, must end this call: a whole-call timeout as
    // short as the other fault tests' can run out first on a loaded machine
    // (the body is read up to the limit, some MiB).
    let client = AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(Duration::from_secs(60))
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let err = client
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::BodyTooLarge),
        "{err:?}"
    );
    assert_eq!(server.requests(), 1);
}
