//! Defects found by trying to break 0.3, each named after the behaviour it
//! pins down. Every test here failed before its fix.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use base64::Engine as _;
use common::*;

/// An unsigned JWT-shaped token with these claims.
fn unsigned_jwt(claims: &str) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.sig",
        encode(br#"{"alg":"none","typ":"JWT"}"#),
        encode(claims.as_bytes())
    )
}

#[test]
fn a_jwt_exp_sent_as_a_numeric_string_is_read_as_a_number() {
    let jwt = unsigned_jwt(r#"{"scoped_userpool_id":"pool-1","exp":"4102444800"}"#);
    let mut server = mockito::Server::new();
    let token = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(format!(
            r#"{{"statusCode":200,"data":{{"access_token":"{jwt}"}}}}"#
        ))
        .expect(1)
        .create();
    let call = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(mockito::Matcher::Any)
        .match_header("x-genauth-userpool-id", "pool-1")
        .with_body(SAMPLE_MFA_INFO)
        .expect(2)
        .create();
    let mgmt = mgmt_client(&server);
    mgmt.get_user_mfa_info("u").send().unwrap();
    mgmt.get_user_mfa_info("u").send().unwrap();
    token.assert();
    call.assert();
}

#[test]
fn a_call_refused_again_with_a_fresh_token_says_the_key_may_not_call_it() {
    let mut server = mockito::Server::new();
    let token = server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(format!(
            r#"{{"statusCode":200,"data":{{"access_token":"{T1}","expires_in":7200}}}}"#
        ))
        .expect(2)
        .create();
    let refused = server
        .mock("GET", "/api/v3/get-user-mfa-info")
        .match_query(mockito::Matcher::Any)
        .with_body(
            r#"{"statusCode":401,"apiCode":2020,"message":"no permission","requestId":"r-1"}"#,
        )
        .expect(4)
        .create();
    let mgmt = mgmt_client(&server);
    // Refused, a fresh token, refused again: the key may not call it.
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert!(
        matches!(err, genauth_mfa::Error::NotPermitted { .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), "not_permitted");
    assert!(err.is_unauthenticated());
    assert_eq!(err.status_code(), Some(401));
    assert_eq!(err.api_code(), Some(2020));
    assert_eq!(err.request_id(), Some("r-1"));
    let text = err.report().to_string();
    assert!(
        text.starts_with("the access key may not call get-user-mfa-info"),
        "{text}"
    );
    assert!(text.contains("no permission"), "{text}");
    // The next call, with that fresh token still in its cool-down, is told
    // the same without fetching another.
    let err = mgmt.get_user_mfa_info("v").send().unwrap_err();
    assert!(
        matches!(err, genauth_mfa::Error::NotPermitted { .. }),
        "{err:?}"
    );
    // A third: the cool-down keeps the token, one call, one refusal.
    let _ = mgmt.get_user_mfa_info("w").send().unwrap_err();
    token.assert();
    refused.assert();
}

/// A listing server on mockito: `pages[n - 1]` is the `data` of page `n`,
/// the last one answering every page after it.
fn listing_server(pages: &[(&str, std::ops::Range<u32>)]) -> mockito::ServerGuard {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(format!(
            r#"{{"statusCode":200,"data":{{"access_token":"{T1}","expires_in":7200}}}}"#
        ))
        .create();
    let pages: Vec<String> = pages
        .iter()
        .map(|(count, users)| {
            let list: Vec<String> = users
                .clone()
                .map(|i| format!(r#"{{"userId":"u-{i}","status":"Activated"}}"#))
                .collect();
            format!(
                r#"{{"statusCode":200,"data":{{"totalCount":{count},"list":[{}]}}}}"#,
                list.join(",")
            )
        })
        .collect();
    server
        .mock("POST", "/api/v3/list-users")
        .with_body_from_request(move |req| {
            let body: serde_json::Value = serde_json::from_slice(req.body().unwrap()).unwrap();
            let n = body["options"]["pagination"]["page"].as_u64().unwrap() as usize;
            pages[(n - 1).min(pages.len() - 1)].clone().into_bytes()
        })
        .create();
    server
}

/// Lists every user: how many were yielded, and the last error if any.
fn list_all(server: &mockito::ServerGuard) -> (usize, Option<genauth_mfa::Error>) {
    let mgmt = mgmt_client(server);
    let mut users = 0;
    for item in mgmt.list_users().into_iter().take(100_000) {
        match item {
            Ok(_) => users += 1,
            Err(e) => return (users, Some(e)),
        }
    }
    (users, None)
}

#[test]
fn a_listing_whose_last_count_holds_users_it_never_listed_is_incomplete() {
    // A first count of 10^18 (a glitch) must not excuse the 4950 users the
    // empty page 2 itself still counts.
    let server = listing_server(&[("1000000000000000000", 0..50), ("5000", 0..0)]);
    let (users, err) = list_all(&server);
    assert_eq!(users, 50);
    assert!(
        matches!(err, Some(genauth_mfa::Error::IncompleteListing { .. })),
        "{err:?}"
    );
}

#[test]
fn a_count_lowered_on_one_page_does_not_end_the_listing_before_the_next() {
    // Page 2 says 100: with 100 distinct users listed the listing stopped
    // there, 900 users short of what page 1 and page 3 count.
    let mut pages: Vec<(&str, std::ops::Range<u32>)> = vec![("1000", 0..50), ("100", 50..100)];
    for n in 3..=20 {
        pages.push(("1000", (n - 1) * 50..n * 50));
    }
    pages.push(("1000", 0..0));
    let server = listing_server(&pages);
    let (users, err) = list_all(&server);
    assert!(
        users == 1000 && err.is_none() || err.is_some(),
        "{users} {err:?}"
    );
}

/// A server that invents new users on every page, its totalCount always
/// 100 ahead of them, was listed for ever (the audit ran until killed).
/// The listing ends as incomplete once the pool more than doubled since
/// its first count (plus `MAX_GROWTH_SLACK`).
#[test]
fn a_server_inventing_users_for_ever_does_not_list_for_ever() {
    let mut server = mockito::Server::new();
    server
        .mock("POST", "/api/v3/get-management-token")
        .with_body(format!(
            r#"{{"statusCode":200,"data":{{"access_token":"{T1}","expires_in":7200}}}}"#
        ))
        .create();
    server
        .mock("POST", "/api/v3/list-users")
        .with_body_from_request(|req| {
            let body: serde_json::Value = serde_json::from_slice(req.body().unwrap()).unwrap();
            let n = body["options"]["pagination"]["page"].as_u64().unwrap();
            let list: Vec<String> = ((n - 1) * 50..n * 50)
                .map(|i| format!(r#"{{"userId":"u-{i}"}}"#))
                .collect();
            format!(
                r#"{{"statusCode":200,"data":{{"totalCount":{},"list":[{}]}}}}"#,
                n * 50 + 100,
                list.join(",")
            )
            .into_bytes()
        })
        .create();
    let (users, err) = list_all(&server);
    assert!(users < 100_000, "{users} users listed and still going");
    let err = err.expect("an incomplete listing");
    assert!(
        matches!(err, genauth_mfa::Error::IncompleteListing { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("kept listing new users"), "{err}");
}

use genauth_mfa_testkit::quota;

/// Runs `users` calls on `threads` threads sharing `client`: the failures.
fn throttled_audit(
    client: &genauth_mfa::ManagementClient,
    threads: usize,
    users: usize,
) -> Vec<genauth_mfa::Error> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= users {
                        break;
                    }
                    match client.get_user_mfa_info(format!("u{i}")).send() {
                        Err(genauth_mfa::Error::Cancelled) => break,
                        Err(e) => failures.lock().unwrap().push(e),
                        Ok(_) => {}
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

fn quota_client(url: &str, threads: usize) -> genauth_mfa::ManagementClientBuilder {
    genauth_mfa::ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(url)
        .transport(
            genauth_mfa::UreqTransport::builder()
                .max_idle_connections(threads)
                .build()
                .unwrap(),
        )
}

/// FINDING (not fixed): a pool whose quota someone else uses up now and then (every
/// request throttled for the first 100 ms of every second, whatever this
/// client sends) collapses the adaptive limiter's rate: the brake and the
/// tested cut fall to the accepted rate of the burst (next to nothing), the
/// throttles stop when the burst ends, the verdict reads that as "the cut
/// lowered the share" and keeps it as a learnt quota, and the CUBIC curve
/// grows back from it at a pace relative to that tiny rate. 8 threads with
/// 20 ms answers (400 users a second) took 94 s for 1,000 users (under 3 s
/// without the limiter) while a metronome beside them made 227,000 calls.
#[test]
#[ignore = "FINDING: throttles in bursts (100 ms of every second) ratchet the adaptive rate down: 400 of 600 users before a metronome's 30,000 calls"]
fn throttles_in_short_bursts_do_not_collapse_the_rate() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Bursts {
            every: Duration::from_secs(1),
            lasting: Duration::from_millis(100),
        },
        Duration::from_millis(20),
    );
    let cancel = genauth_mfa::CancelToken::new();
    let client = quota_client(server.url(), 8)
        .build()
        .unwrap()
        .with_cancel(&cancel);
    // It cancels the audit once it made 30,000 calls (about 10 s here; the
    // audit needs about 1.5 s of the metronome's pace at most).
    let metronome = quota::Metronome::start(server.url(), 30_000, cancel.clone());
    let failures = throttled_audit(&client, 8, 600);
    let calls = metronome.stop();
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert_eq!(
        server.accepted(),
        600,
        "{} of 600 users answered before the metronome made {calls} calls ({} throttled)",
        server.accepted(),
        server.throttled()
    );
}

/// A quota that drops from 200 to 4 requests a second 100 ms into the run
/// lost users: 8 threads, 60 users, 1 or 2 of them failed with the throttle
/// after their 10 throttled attempts. Once the limiter had cut, a throttled
/// call retried with no pause of its own, at the limiter's pace, which was
/// still far above the new quota: the call spent its attempts before the
/// limiter had come down to it.
#[test]
fn a_quota_that_drops_to_a_few_a_second_loses_no_user() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_rule(
        quota::Rule::Quota {
            per_second: 200.0,
            burst: 20.0,
            change: Some((Duration::from_millis(100), 4.0)),
        },
        Duration::from_millis(20),
    );
    let client = quota_client(server.url(), 8).build().unwrap();
    let failures = throttled_audit(&client, 8, 60);
    assert!(
        failures.is_empty(),
        "{} of 60 users failed ({} throttled): {}",
        failures.len(),
        server.throttled(),
        failures[0].report()
    );
    assert_eq!(server.accepted(), 60);
}

/// A guard (it passed before): throttles at a cold start (every request
/// for 300 ms) that carry a `Retry-After` of zero, a date in the past,
/// garbage, or `RateLimit-Remaining: 0` with a reset of 0 lose no user:
/// a zero server wait does not make the call retry at once for ever.
#[test]
fn a_zero_past_or_garbage_retry_after_on_throttles_loses_no_user() {
    use std::time::Duration;
    for header in [
        "Retry-After: 0",
        "Retry-After: Sun, 06 Nov 1994 08:49:37 GMT",
        "Retry-After: soon",
        "RateLimit-Remaining: 0\r\nRateLimit-Reset: 0",
    ] {
        let server = quota::QuotaServer::with_rule_and_header(
            quota::Rule::ColdStart(Duration::from_millis(300)),
            Duration::ZERO,
            header,
        );
        let client = quota_client(server.url(), 8).build().unwrap();
        let failures = throttled_audit(&client, 8, 200);
        assert!(
            failures.is_empty(),
            "{header:?}: {} of 200 failed: {}",
            failures.len(),
            failures[0].report()
        );
        assert_eq!(server.accepted(), 200, "{header:?}");
    }
}

/// A guard (it passed before): a quota whose throttles are answered after
/// a second (accepted answers after 20 ms) is learnt all the same: no user
/// lost, few throttles (16 for 200 users at 16 threads).
#[test]
fn throttles_answered_slowly_are_learnt_as_a_quota() {
    use std::time::Duration;
    let server = quota::QuotaServer::with_slow_throttles(
        quota::Rule::Quota {
            per_second: 50.0,
            burst: 10.0,
            change: None,
        },
        Duration::from_millis(20),
        Duration::from_secs(1),
    );
    let client = quota_client(server.url(), 16).build().unwrap();
    let failures = throttled_audit(&client, 16, 100);
    assert!(failures.is_empty(), "{}", failures[0].report());
    assert_eq!(server.accepted(), 100);
    assert!(server.throttled() < 50, "{} throttled", server.throttled());
}
