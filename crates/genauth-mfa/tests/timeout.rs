//! The whole-call timeout: a server that never answers or drips, a
//! `Retry-After` longer than the time left, extreme policies, and the token
//! fetch and the call under one bound. Counts are asserted, not times
//! (`cargo bench --bench deadlines` measures them).

mod support;

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{AuthenticationClient, Error, ManagementClient, RetryPolicy};
use genauth_mfa_testkit::{common, fault};
use std::time::{Duration, Instant};
use support::*;

/// FINDING: `.timeout(1 s)` is documented as the whole call's deadline,
/// "every attempt and every wait between attempts included", and "no retry
/// starts that could not finish in time". An HTTP 429 with `Retry-After: 2`
/// on every answer made the 1 s call take 18 s (10 throttled attempts, each
/// waiting 2 s): the server's pause is waited in the limiter, and the
/// limiter's wait moves the deadline.
#[test]
fn a_retry_after_longer_than_the_timeout_does_not_stretch_the_call() {
    let server = always(
        "HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-length: 2\r\n\r\n{}".into(),
    );
    let (took, r) = within(60, move || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host(&server.url)
            .access_token("t")
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let t = Instant::now();
        let r = c.list_enrolled_factors().send();
        (t.elapsed(), r)
    });
    eprintln!("took {took:?}: {r:?}");
    // No retry starts that could not finish in time: the server's 2 s
    // pause is past the 1 s deadline, so one attempt, not ten. (How long
    // it takes is measured in `cargo bench --bench deadlines`.)
    let err = r.unwrap_err();
    assert_eq!(err.attempts(), 1, "{err}");
}

#[test]
fn held_extreme_policies_stay_within_the_timeout() {
    // A server that resets every connection; u32::MAX attempts, no backoff,
    // the highest rate: the call still ends at its 1 s deadline.
    let server = scripted(|mut s, _| {
        let _ = read_request(&mut s);
    });
    let url = server.url.clone();
    let (took, r) = within(20, move || {
        let c = AuthenticationClient::builder()
            .app_id("a")
            .app_host(&url)
            .access_token("t")
            .retry_policy(
                RetryPolicy::default()
                    .with_max_attempts(u32::MAX)
                    .with_max_throttled_attempts(u32::MAX)
                    .with_initial_backoff(Duration::ZERO)
                    .with_max_backoff(Duration::ZERO),
            )
            .max_requests_per_second(u32::MAX)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let t = Instant::now();
        let r = c.list_enrolled_factors().send().map(|_| ());
        (t.elapsed(), r)
    });
    let err = r.unwrap_err();
    // It ended: with u32::MAX attempts only the deadline ends it (`within`
    // fails a run that goes on). How long it took is measured in `cargo
    // bench --bench deadlines`, not asserted.
    eprintln!("took {took:?}");
    assert!(err.attempts() > 1, "{err}");
}

#[test]
fn a_server_that_never_answers_times_out_at_the_whole_call_deadline() {
    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    let result = fault_call(&server);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The 400 ms are the whole call's: no time is left for a second attempt.
    assert_eq!(err.attempts(), 1);
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
    let result = fault_call(&server);
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(err.attempts(), 1, "the deadline is the whole call's");
    assert_eq!(server.requests(), 1);
}

#[test]
fn the_timeout_bounds_the_whole_call_not_each_attempt() {
    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(Duration::from_millis(600))
        .retry_policy(short_retries())
        .build()
        .unwrap();
    let err = client.list_enrolled_factors().send().unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Three attempts of 600 ms each were made before: the 600 ms are the
    // whole call's, so no time is left for a second. (How long it takes is
    // measured in `cargo bench --bench deadlines`.)
    assert_eq!(err.attempts(), 1, "{err:?}");
    assert_eq!(server.requests(), 1);
}

#[test]
fn the_timeout_bounds_the_token_fetch_and_the_call_together() {
    // The token answer takes 400 ms, the call never answers: 600 ms in all.
    let server = FaultServer::start(
        vec![Fault::Drip {
            body: token_body(T1, 7200).into_bytes(),
            interval: Duration::from_millis(2),
        }],
        Fault::NeverAnswer,
    );
    let mgmt = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .timeout(Duration::from_millis(600))
        .retry_policy(short_retries())
        .build()
        .unwrap();
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The token's 400 ms count: at most one attempt of the call, not
    // three (none when a loaded machine spent the 600 ms on the token).
    assert_eq!(err.attempts(), 1, "{err:?}");
    assert!(server.requests() <= 2, "the token and at most one attempt");
}
