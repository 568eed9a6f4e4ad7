//! Defects found by trying to break 0.3, each named after the behaviour it
//! pins down. Every test here failed before its fix.

mod common;

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
