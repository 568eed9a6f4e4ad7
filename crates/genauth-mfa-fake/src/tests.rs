//! The fake in process: users, failures, tokens, factors.

use super::*;
use genauth_mfa::TransportErrorKind;
use genauth_mfa::{
    AuthenticationClient, Error, FactorType, ManagementClient, MfaStatus, RetryPolicy, UserIdType,
    UserMfaInfo,
};

fn mgmt(fake: &FakeGenAuth) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(fake.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[test]
fn users_are_found_by_id_and_type_and_the_default_type_is_user_id() {
    let fake = FakeGenAuth::new()
        .with_user("u1", UserIdType::UserId, UserMfaInfo::new().totp(true))
        .with_user("a@x", UserIdType::Email, UserMfaInfo::new().email(true));
    let mgmt = mgmt(&fake);
    assert!(
        mgmt.get_user_mfa_info("u1")
            .send()
            .unwrap()
            .totp
            .is_enabled()
    );
    let info = mgmt
        .get_user_mfa_info("a@x")
        .user_id_type(UserIdType::Email)
        .send()
        .unwrap();
    assert_eq!(info, UserMfaInfo::new().email(MfaStatus::Enabled));
    let err = mgmt.get_user_mfa_info("a@x").send().unwrap_err();
    assert_eq!(
        (err.status_code(), err.api_code()),
        (Some(404), Some(2004)),
        "{err:?}"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0].route(), Some(Route::Token));
    assert_eq!(requests[2].query("userIdType"), Some("email"));
    assert_eq!(requests[2].query("userId"), Some("a@x"));
}

#[test]
fn failures_are_used_once_in_order_and_per_route() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    let mgmt = mgmt(&fake);
    fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
    fake.fail_next(
        Route::GetUserMfaInfo,
        Failure::api(403, 2003, "forbidden").with_request_id("r-403"),
    );
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert_eq!(
        (err.status_code(), err.api_code()),
        (Some(429), None),
        "{err:?}"
    );
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert_eq!(err.request_id(), Some("r-403"));
    mgmt.get_user_mfa_info("u").send().unwrap();
    fake.fail_next(
        Route::Any,
        Failure::Transport(TransportErrorKind::ConnectionClosed),
    );
    let err = mgmt.get_user_mfa_info("u").send().unwrap_err();
    assert_eq!(err.kind(), "transport");
}

#[test]
fn a_401_once_makes_the_client_fetch_a_new_token() {
    let fake = FakeGenAuth::new().with_user("u", UserIdType::UserId, UserMfaInfo::new());
    let mgmt = mgmt(&fake);
    mgmt.get_user_mfa_info("u").send().unwrap();
    fake.fail_next(Route::GetUserMfaInfo, Failure::Unauthenticated);
    mgmt.get_user_mfa_info("u").send().unwrap();
    assert_eq!(fake.count(Route::Token), 2);
}

#[test]
fn a_wrong_access_key_is_refused() {
    let fake = FakeGenAuth::new().with_access_key("ak", "right");
    let err = mgmt(&fake).get_user_mfa_info("u").send().unwrap_err();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert_eq!(err.api_code(), Some(1001));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn factors_belong_to_an_access_token_and_the_app_id_is_checked() {
    let fake = FakeGenAuth::demo();
    let auth = |token: &str, app: &str| {
        AuthenticationClient::builder()
            .app_id(app)
            .app_host("https://my-app.genauth.ai")
            .access_token(token)
            .transport(fake.clone())
            .build()
            .unwrap()
    };
    let alice = auth(FakeGenAuth::DEMO_ACCESS_TOKEN, FakeGenAuth::DEMO_APP_ID);
    let factors = alice.list_enrolled_factors().send().unwrap();
    assert_eq!(factors.len(), 3);
    let f = alice
        .get_factor("635391f4xxxxxx6bba26ed4|email")
        .send()
        .unwrap();
    assert_eq!(f.factor_type, FactorType::Email);
    assert!(alice.get_factor("nope").send().is_err());
    let err = auth("stolen", FakeGenAuth::DEMO_APP_ID)
        .list_enrolled_factors()
        .send()
        .unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    assert!(
        auth(FakeGenAuth::DEMO_ACCESS_TOKEN, "other-app")
            .list_enrolled_factors()
            .send()
            .is_err()
    );
    let last = fake.requests().pop().unwrap();
    assert!(!format!("{last:?}").contains(FakeGenAuth::DEMO_ACCESS_TOKEN));
}

#[test]
fn the_demo_knows_every_user_but_the_missing_ones() {
    let fake = FakeGenAuth::demo();
    let mgmt = ManagementClient::builder()
        .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
        .transport(fake)
        .build()
        .unwrap();
    let a = mgmt.get_user_mfa_info("bob@example.com").send().unwrap();
    let b = mgmt.get_user_mfa_info("bob@example.com").send().unwrap();
    assert_eq!(a, b);
    assert!(mgmt.get_user_mfa_info("missing-carol").send().is_err());
}

#[test]
fn queries_decode_as_a_server_reads_them() {
    assert_eq!(
        wire::decode_query("userId=a%20b%2Bc+d&x"),
        [
            ("userId".into(), "a b+c d".into()),
            ("x".into(), String::new())
        ]
    );
}

#[test]
fn a_token_lifetime_of_any_length_is_answered() {
    let fake = FakeGenAuth::new().with_token_lifetime(std::time::Duration::MAX);
    let request = http::Request::post("https://x/api/v3/get-management-token")
        .body(br#"{"accessKeyId":"ak","accessKeySecret":"sk"}"#.to_vec())
        .unwrap();
    let answer = genauth_mfa::Transport::send(&fake, request).unwrap();
    let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(body["data"]["expires_in"], u64::MAX);
}
