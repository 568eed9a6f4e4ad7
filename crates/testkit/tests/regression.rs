//! Defects found by trying to break 0.2 and 0.3 (in the field and on
//! purpose) that read best as a mockito mock, each named after the
//! behaviour it pins down. Every test here failed before its fix. (The
//! others are in `crates/genauth-mfa/tests/regression.rs` and by topic.)

use base64::Engine as _;
use common::*;
use genauth_mfa::AuthenticationClient;
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;
use std::time::Duration;

/// An unsigned JWT-shaped token with these claims.
fn unsigned_jwt(claims: &str) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.sig",
        encode(br#"{"alg":"none","typ":"JWT"}"#),
        encode(claims.as_bytes())
    )
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
