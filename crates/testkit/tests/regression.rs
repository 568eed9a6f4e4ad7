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
