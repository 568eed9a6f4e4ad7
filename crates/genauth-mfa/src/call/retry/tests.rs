//! Unit tests of the retry rules: the policy, the server's wait, and the
//! verdict after each kind of failure (no clock, no sleep).

use super::*;
use std::time::UNIX_EPOCH;

#[test]
fn backoff_grows_is_capped_and_jittered() {
    let p = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(350));
    for _ in 0..50 {
        let b2 = p.backoff(2);
        assert!(
            b2 >= Duration::from_millis(50) && b2 <= Duration::from_millis(100),
            "{b2:?}"
        );
        let b3 = p.backoff(3);
        assert!(
            b3 >= Duration::from_millis(100) && b3 <= Duration::from_millis(200),
            "{b3:?}"
        );
        let b9 = p.backoff(9);
        assert!(
            b9 >= Duration::from_millis(175) && b9 <= Duration::from_millis(350),
            "{b9:?}"
        );
    }
    assert!(p.backoff(u32::MAX) <= Duration::from_millis(350));
}

#[test]
fn policy_getters_match_setters_and_it_is_copy() {
    let p = RetryPolicy::default()
        .with_max_attempts(0)
        .with_max_retry_after(Duration::from_secs(1));
    let q = p; // Copy
    assert_eq!(p.max_attempts(), 1);
    assert_eq!(q.max_retry_after(), Duration::from_secs(1));
    assert_eq!(q.initial_backoff(), Duration::from_millis(200));
    assert_eq!(q.max_backoff(), Duration::from_secs(5));
}

fn headers(v: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("retry-after", v.parse().unwrap());
    h
}

#[test]
fn retry_after_reads_seconds_or_any_http_date() {
    let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
    assert_eq!(
        retry_after(&headers("3"), now),
        Some(Duration::from_secs(3))
    );
    // The three formats RFC 9110 requires a recipient to accept.
    for date in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ] {
        assert_eq!(
            retry_after(&headers(date), now),
            Some(Duration::from_secs(7)),
            "{date}"
        );
    }
    assert_eq!(
        retry_after(&headers("Sun, 06 Nov 1994 08:49:00 GMT"), now),
        Some(Duration::ZERO)
    );
    // Not a date: "31 Feb" does not roll over into March.
    for bad in ["soon", "Sat, 31 Feb 2024 00:00:00 GMT", ""] {
        assert_eq!(retry_after(&headers(bad), now), None, "{bad}");
    }
}

// The retry verdict: table-driven, no clock, no sleep.

use crate::call::envelope::{Answer, parse_response};
use crate::transport::TransportError;

const NOW: u64 = 784_111_770; // Sun, 06 Nov 1994 08:49:30 GMT

fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

/// What an attempt that got `status` and `body` (with `headers`) says.
fn answered(status: u16, body: &str, headers: &[(&str, &str)]) -> Failure {
    let mut response = http::Response::new(body.as_bytes().to_vec());
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    for (name, value) in headers {
        response.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let err = parse_response::<serde_json::Value>(&response, Answer::Showable).unwrap_err();
    Failure::answer(err, response.headers(), wall(), &RetryPolicy::default())
}

fn envelope(code: i64) -> String {
    format!(r#"{{"statusCode":{code},"message":"m","requestId":"r"}}"#)
}

fn facts(policy: &RetryPolicy) -> Facts<'_> {
    Facts {
        policy,
        repeatable: true,
        adaptive: true,
        left: None,
        jitter: 1.0,
    }
}

/// The verdict after a first attempt (counted as the loop counts it).
fn first(failure: &Failure, facts: Facts<'_>) -> Verdict {
    let mut attempts = Attempts { made: 1, failed: 0 };
    attempts.count(failure);
    classify(failure, attempts, facts)
}

const TRANSIENT: Verdict = Verdict::Retry {
    kind: RetryKind::Transient,
    after: Duration::from_millis(200),
};
// The first throttle costs no pause of the call's own (the limiter paces).
const THROTTLED: Verdict = Verdict::Retry {
    kind: RetryKind::Throttled,
    after: Duration::ZERO,
};
const FINAL: Verdict = Verdict::Stop(Stop::Final);

#[test]
fn each_answer_status_has_its_verdict() {
    let policy = RetryPolicy::default();
    let gateway = "<html>bad gateway</html>";
    let table: &[(u16, &str, Verdict)] = &[
        (429, &envelope(429), THROTTLED),
        (200, &envelope(429), THROTTLED),
        (429, "Too Many Requests", THROTTLED),
        (502, gateway, TRANSIENT),
        (503, gateway, TRANSIENT),
        (504, gateway, TRANSIENT),
        (200, &envelope(502), TRANSIENT),
        (200, &envelope(503), TRANSIENT),
        (200, &envelope(504), TRANSIENT),
        (503, &envelope(503), TRANSIENT),
        (500, gateway, FINAL),
        (500, &envelope(500), FINAL),
        (400, &envelope(400), FINAL),
        (401, &envelope(401), FINAL),
        (403, &envelope(403), FINAL),
        (404, gateway, FINAL),
        (200, &envelope(403), FINAL),
        (200, &envelope(500), FINAL),
        (200, gateway, FINAL),
        (200, "", FINAL),
        (301, "", FINAL),
    ];
    for (status, body, want) in table {
        let failure = answered(*status, body, &[]);
        assert_eq!(first(&failure, facts(&policy)), *want, "{status} {body}");
        assert_eq!(failure.server_wait, None, "{status} {body}");
    }
}

#[test]
fn each_transport_failure_kind_has_its_verdict() {
    let policy = RetryPolicy::default();
    use TransportErrorKind as K;
    let table = [
        (K::Connect, TRANSIENT),
        (K::Proxy, TRANSIENT),
        (K::ConnectionClosed, TRANSIENT),
        (K::Timeout, TRANSIENT),
        (K::OutOfResources, TRANSIENT),
        (K::Body, FINAL),
        (K::BodyTooLarge, FINAL),
        (K::Tls, FINAL),
        (K::Protocol, FINAL),
        (K::Request, FINAL),
        (K::Other, FINAL),
    ];
    for (kind, want) in table {
        let failure = Failure::transport(TransportError::from_kind(kind));
        assert!(!failure.throttled && failure.server_wait.is_none());
        assert_eq!(first(&failure, facts(&policy)), want, "{kind:?}");
    }
}

#[test]
fn a_servers_wait_in_seconds_or_as_a_date_is_the_retry_and_capped_by_the_policy() {
    let policy = RetryPolicy::default();
    let wait = |secs| Verdict::Retry {
        kind: RetryKind::ServerWait,
        after: Duration::from_secs(secs),
    };
    let table: &[(&[(&str, &str)], Verdict)] = &[
        (&[("retry-after", "3")], wait(3)),
        (&[("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT")], wait(7)),
        (&[("retry-after", "Sun, 06 Nov 1994 08:49:00 GMT")], wait(0)),
        // Capped at the policy's max_retry_after (30 s).
        (&[("retry-after", "3600")], wait(30)),
        (
            &[("ratelimit-remaining", "0"), ("ratelimit-reset", "4")],
            wait(4),
        ),
        (
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "784111775"),
            ],
            wait(5),
        ),
        // Requests are left: no wait, the usual throttle.
        (
            &[("ratelimit-remaining", "3"), ("ratelimit-reset", "4")],
            THROTTLED,
        ),
        (&[("retry-after", "soon")], THROTTLED),
    ];
    for (headers, want) in table {
        let failure = answered(429, &envelope(429), headers);
        assert_eq!(first(&failure, facts(&policy)), *want, "{headers:?}");
    }
    // A wait asked with an answer that is not worth retrying stops the
    // call (the limiter still holds the client: `server_wait` is read).
    let failure = answered(400, &envelope(400), &[("retry-after", "3")]);
    assert_eq!(failure.server_wait, Some(Duration::from_secs(3)));
    assert_eq!(first(&failure, facts(&policy)), FINAL);
}

#[test]
fn no_retry_starts_that_could_not_end_before_the_deadline() {
    let policy = RetryPolicy::default();
    let left = |ms| Facts {
        left: Some(Duration::from_millis(ms)),
        ..facts(&policy)
    };
    let paused = answered(503, "", &[("retry-after", "2")]);
    assert_eq!(
        first(&paused, left(2_000)),
        Verdict::Stop(Stop::ServerWaitPastDeadline(Duration::from_secs(2)))
    );
    assert_eq!(
        first(&paused, left(2_001)),
        Verdict::Retry {
            kind: RetryKind::ServerWait,
            after: Duration::from_secs(2)
        }
    );
    let gateway = answered(502, "", &[]);
    assert_eq!(
        first(&gateway, left(200)),
        Verdict::Stop(Stop::NoTimeLeft(Duration::from_millis(200)))
    );
    assert_eq!(first(&gateway, left(201)), TRANSIENT);
    // The deadline passed: nothing more, whatever the failure.
    assert_eq!(
        first(&answered(200, &envelope(429), &[]), left(0)),
        Verdict::Stop(Stop::NoTimeLeft(Duration::ZERO))
    );
}

#[test]
fn a_request_that_is_not_repeatable_is_never_retried() {
    let policy = RetryPolicy::default();
    let once = Facts {
        repeatable: false,
        ..facts(&policy)
    };
    for failure in [
        answered(200, &envelope(429), &[("retry-after", "1")]),
        answered(503, "", &[]),
        Failure::transport(TransportError::from_kind(
            TransportErrorKind::ConnectionClosed,
        )),
    ] {
        assert_eq!(first(&failure, once), Verdict::Stop(Stop::NotRepeatable));
    }
    // What is not worth retrying says so first.
    let refused = answered(200, &envelope(403), &[]);
    assert_eq!(first(&refused, once), FINAL);
}

#[test]
fn the_budget_of_attempts_is_spent_by_failures_and_by_throttles_apart() {
    let policy = RetryPolicy::default(); // 3 attempts, 10 while throttled
    let gateway = answered(502, "", &[]);
    let throttle = answered(200, &envelope(429), &[]);
    let after = |made, failed, failure: &Failure| {
        classify(failure, Attempts { made, failed }, facts(&policy))
    };
    // Backoff doubles: 200 ms before the 2nd attempt, 400 ms before the 3rd.
    assert_eq!(after(1, 1, &gateway), TRANSIENT);
    assert_eq!(
        after(2, 2, &gateway),
        Verdict::Retry {
            kind: RetryKind::Transient,
            after: Duration::from_millis(400)
        }
    );
    assert_eq!(after(3, 3, &gateway), Verdict::Stop(Stop::Exhausted));
    // Throttles do not spend the 3: the 9th throttle may still retry...
    assert!(matches!(
        after(9, 0, &throttle),
        Verdict::Retry {
            kind: RetryKind::Throttled,
            ..
        }
    ));
    // ... the 10th attempt is the last, and 2 failures plus throttles up
    // to 10 leave one more failure.
    assert_eq!(after(10, 0, &throttle), Verdict::Stop(Stop::Exhausted));
    assert!(matches!(after(8, 2, &gateway), Verdict::Retry { .. }));
    assert_eq!(
        classify(
            &throttle,
            Attempts { made: 1, failed: 0 },
            Facts {
                policy: &RetryPolicy::none(),
                ..facts(&policy)
            }
        ),
        Verdict::Stop(Stop::Exhausted)
    );
}

#[test]
fn a_throttled_call_pauses_briefly_with_an_adaptive_limiter_and_backs_off_without() {
    let policy = RetryPolicy::default();
    let throttle = answered(200, &envelope(429), &[]);
    let throttled = |made, adaptive, jitter| {
        let facts = Facts {
            adaptive,
            jitter,
            ..facts(&policy)
        };
        match classify(&throttle, Attempts { made, failed: 0 }, facts) {
            Verdict::Retry {
                kind: RetryKind::Throttled,
                after,
            } => after,
            other => panic!("{other:?}"),
        }
    };
    // Adaptive: none after the 1st throttle, 20 ms after the 2nd, doubling,
    // at most max_backoff; jitter takes it down to half.
    assert_eq!(throttled(1, true, 1.0), Duration::ZERO);
    assert_eq!(throttled(2, true, 1.0), Duration::from_millis(20));
    assert_eq!(throttled(3, true, 1.0), Duration::from_millis(40));
    assert_eq!(throttled(3, true, 0.0), Duration::from_millis(20));
    assert_eq!(
        classify(
            &throttle,
            Attempts { made: 9, failed: 0 },
            Facts {
                policy: &policy.with_max_backoff(Duration::from_millis(100)),
                ..facts(&policy)
            }
        ),
        Verdict::Retry {
            kind: RetryKind::Throttled,
            after: Duration::from_millis(100)
        }
    );
    // Without the adaptive limiter: the policy's backoff.
    assert_eq!(throttled(1, false, 1.0), Duration::from_millis(200));
    assert_eq!(throttled(2, false, 0.0), Duration::from_millis(200));
}
