//! Field conditions, each observed on 0.2 before its fix: throttling inside
//! the envelope, whole-call deadlines, protocol errors, token failures under
//! many threads, configuration hygiene, and server text in errors.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;
use genauth_mfa_testkit::fault;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::*;
use fault::{Fault, FaultServer};
use genauth_mfa::{
    AuthenticationClient, Error, ManagementClient, RetryPolicy, TransportErrorKind, UserIdType,
    UserMfaInfo, http,
};
use genauth_mfa_fake::{Failure, FakeGenAuth, Route};

/// Short waits, the default 3 attempts.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

fn mgmt_on(fake: &FakeGenAuth) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(fake.clone())
        .retry_policy(quick_retries())
        .build()
        .unwrap()
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
fn the_timeout_bounds_the_whole_call_not_each_attempt() {
    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    let client = AuthenticationClient::builder()
        .app_id("a")
        .app_host(server.url())
        .access_token(ACCESS_TOKEN)
        .timeout(Duration::from_millis(600))
        .retry_policy(quick_retries())
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
        .retry_policy(quick_retries())
        .build()
        .unwrap();
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The token's 400 ms count: at most one attempt of the call, not
    // three (none when a loaded machine spent the 600 ms on the token).
    assert_eq!(err.attempts(), 1, "{err:?}");
    assert!(server.requests() <= 2, "the token and at most one attempt");
}

#[test]
fn no_duration_makes_a_call_panic() {
    let mut server = mockito::Server::new();
    let _m = server
        .mock("GET", "/api/v3/list-enrolled-factors")
        .with_body(r#"{"statusCode":200,"data":[]}"#)
        .create();
    for (timeout, connect) in [
        (Duration::MAX, Duration::MAX),
        (
            Duration::from_secs(u64::MAX / 2),
            Duration::from_nanos(u64::MAX),
        ),
    ] {
        let builder = || {
            AuthenticationClient::builder()
                .app_id("a")
                .app_host(server.url())
                .access_token(ACCESS_TOKEN)
                .timeout(timeout)
        };
        // The transport the client builds, with the client's timeout.
        let client = builder().build().unwrap();
        assert!(client.list_enrolled_factors().send().unwrap().is_empty());
        // A transport built with these timeouts and passed to the client.
        let transport = genauth_mfa::UreqTransport::builder()
            .timeout(timeout)
            .connect_timeout(connect)
            .build()
            .unwrap();
        let client = builder().transport(transport).build().unwrap();
        assert!(client.list_enrolled_factors().send().unwrap().is_empty());
    }
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
            .retry_policy(quick_retries())
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

// ---- the rate limit ----

#[test]
fn a_client_wide_rate_limit_holds_across_clones_and_threads() {
    let sent = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let log = Arc::clone(&sent);
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    let transport = move |req: http::Request<Vec<u8>>| {
        log.lock().unwrap().push(Instant::now());
        genauth_mfa::Transport::send(&fake, req)
    };
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(transport)
        .max_requests_per_second(20)
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let mgmt = mgmt.clone();
            s.spawn(move || {
                for _ in 0..6 {
                    mgmt.get_user_mfa_info("u").send().unwrap();
                }
            });
        }
    });
    let mut times = sent.lock().unwrap().clone();
    times.sort();
    assert_eq!(times.len(), 25); // the token request and 24 calls
    // Slots are 50 ms apart for the client and all its clones: 25 requests
    // span at least 24 x 50 ms (4 limiters, one a clone, would have taken
    // a quarter of that). A lower bound: a loaded machine only stretches
    // it; the spacing itself is tested on a fake clock in src/throttle/tests.rs.
    let span = times[24].duration_since(times[0]);
    assert!(span >= Duration::from_millis(1150), "{span:?}");
    assert!(
        ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
            .max_requests_per_second(0)
            .build()
            .is_err()
    );
}

// ---- token failures ----

#[test]
fn threads_waiting_on_a_token_fetch_share_its_failure() {
    let server = FaultServer::start(vec![], Fault::NeverAnswer);
    let mgmt = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let start = Arc::new(Barrier::new(16));
    std::thread::scope(|s| {
        for i in 0..16 {
            let (mgmt, start) = (mgmt.clone(), Arc::clone(&start));
            s.spawn(move || {
                start.wait();
                let err = mgmt.get_user_mfa_info(format!("u{i}")).send().unwrap_err();
                assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
            });
        }
    });
    // One after another, 16 fetches were made before: one is shared.
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_refused_access_key_is_remembered_for_a_while() {
    let fake = FakeGenAuth::new().with_access_key("ak", "the-right-secret");
    let mgmt = mgmt_on(&fake); // sends "sk"
    let failures = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..8 {
            let (mgmt, failures) = (&mgmt, &failures);
            s.spawn(move || {
                for i in 0..(500 / 8 + 1) {
                    let err = mgmt
                        .get_user_mfa_info(format!("u{t}-{i}"))
                        .send()
                        .unwrap_err();
                    assert!(
                        matches!(err, Error::Credentials { .. }) && err.api_code() == Some(1001),
                        "{err:?}"
                    );
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert!(failures.load(Ordering::Relaxed) >= 500);
    let tokens = fake.count(Route::Token);
    assert!(tokens <= 3, "{tokens} token requests");
    // No user was queried with a token that does not exist.
    assert_eq!(fake.requests().len(), tokens);
}

#[test]
fn a_401_right_after_a_refresh_does_not_start_a_refresh_loop() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    for _ in 0..100 {
        fake.fail_next(Route::GetUserMfaInfo, Failure::Unauthenticated);
    }
    let mgmt = mgmt_on(&fake);
    for _ in 0..40 {
        let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
        assert!(err.is_unauthenticated(), "{err:?}");
    }
    let tokens = fake.count(Route::Token);
    assert!(tokens <= 3, "{tokens} token requests for 40 refused calls");
}

#[test]
fn expires_in_as_a_numeric_string_is_accepted() {
    let mut server = mockito::Server::new();
    let _t = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(format!(
            r#"{{"statusCode":200,"data":{{"access_token":"{T1}","expires_in":"7200"}}}}"#
        ))
        .expect(1)
        .create();
    let _m = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(mockito::Matcher::Any)
        .with_body(SAMPLE_MFA_INFO)
        .create();
    let mgmt = mgmt_client(&server);
    mgmt.get_user_mfa_info("u").send().unwrap();
    mgmt.get_user_mfa_info("u").send().unwrap();
}

#[test]
fn an_unreadable_expires_in_falls_back_on_the_jwt_or_is_named() {
    const NO_EXP: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    for (jwt, works) in [(T1, true), (NO_EXP, false)] {
        let fake_token = move |req: http::Request<Vec<u8>>| {
            let body = if req.method() == http::Method::POST {
                format!(
                    r#"{{"statusCode":200,"data":{{"access_token":"{jwt}","expires_in":"soon"}}}}"#
                )
            } else {
                SAMPLE_MFA_INFO.to_owned()
            };
            Ok(http::Response::new(body.into_bytes()))
        };
        let mgmt = ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
            .transport(fake_token)
            .build()
            .unwrap();
        let result = mgmt.get_user_mfa_info("u").send();
        if works {
            // The JWT's exp still says when it expires.
            result.unwrap();
        } else {
            let err = result.unwrap_err();
            assert!(err.to_string().contains("expires_in"), "{err}");
        }
    }
}

// ---- configuration hygiene ----

#[test]
fn blank_settings_are_refused() {
    let auth = || {
        AuthenticationClient::builder()
            .app_id("a")
            .app_host("https://h.genauth.ai")
            .access_token("t")
    };
    let mgmt = || {
        ManagementClient::builder()
            .access_key_id("ak")
            .access_key_secret("sk")
    };
    for err in [
        auth().app_id("  ").build().unwrap_err(),
        auth().access_token(" ").build().unwrap_err(),
        auth().tenant_id("").build().unwrap_err(),
        mgmt().access_key_id(" ").build().unwrap_err(),
        mgmt().access_key_secret("  ").build().unwrap_err(),
        mgmt().tenant_id(" ").build().unwrap_err(),
    ] {
        assert!(
            matches!(err, Error::Config { .. } | Error::InvalidArgument { .. }),
            "{err:?}"
        );
    }
}

#[test]
fn a_password_in_a_base_url_is_never_shown() {
    let builder = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host("https://admin:hunter2@genauth.internal.example");
    let err = builder.clone().build().unwrap_err();
    for text in [format!("{err}"), format!("{err:?}"), format!("{builder:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(
        err.to_string().contains("genauth.internal.example"),
        "{err}"
    );
}

#[test]
fn server_text_in_an_error_is_bounded_and_escaped() {
    let message = format!(
        "line one\r\nFAKE LOG LINE \x1b[31mred{}",
        "x".repeat(3_000_000)
    );
    let body = serde_json::json!({"statusCode": 403, "message": message,
                                  "requestId": "r\nforged"})
    .to_string();
    let transport =
        move |_req: http::Request<Vec<u8>>| Ok(http::Response::new(body.clone().into_bytes()));
    let auth = AuthenticationClient::builder()
        .app_id("a")
        .app_host("https://h.genauth.ai")
        .access_token("t")
        .transport(transport)
        .build()
        .unwrap();
    let err = auth.list_enrolled_factors().send().unwrap_err();
    let shown = err.to_string();
    assert!(shown.len() < 2048, "{} bytes", shown.len());
    assert!(
        !shown.contains('\n') && !shown.contains('\r') && !shown.contains('\x1b'),
        "{shown}"
    );
    assert!(
        shown.contains("line one") && shown.contains("forged"),
        "{shown}"
    );
    match err {
        Error::Api { message: kept, .. } => assert_eq!(kept, message),
        other => panic!("{other:?}"),
    }
}
