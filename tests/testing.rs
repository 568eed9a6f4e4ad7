//! The `test-util` double as a downstream project uses it: the issue's
//! example verbatim, and its requests as the real wire contract has them.

use genauth_mfa::testing::{Failure, FakeGenAuth, Route};
use genauth_mfa::{
    AuthenticationClient, Error, Factor, FactorType, ManagementClient, MfaStatus, RetryPolicy,
    UserIdType, UserMfaInfo,
};

#[test]
fn the_downstream_example_works_as_written() -> Result<(), Error> {
    let fake = FakeGenAuth::new().with_user(
        "alice@example.com",
        UserIdType::Email,
        UserMfaInfo::new().sms(MfaStatus::Enabled),
    );
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(fake.clone())
        .build()?;
    let info = mgmt
        .get_user_mfa_info("alice@example.com")
        .user_id_type(UserIdType::Email)
        .send()?;
    assert!(info.sms.is_enabled());
    assert_eq!(fake.requests().len(), 2); // the token request and the call
    Ok(())
}

#[test]
fn the_fake_sees_what_the_wire_contract_says() {
    let fake =
        FakeGenAuth::new().with_user("+86 188xxxx8888", UserIdType::Phone, UserMfaInfo::new());
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .tenant_id("t-1")
        .transport(fake.clone())
        .build()
        .unwrap();
    mgmt.get_user_mfa_info("+86 188xxxx8888")
        .user_id_type(UserIdType::Phone)
        .send()
        .unwrap();
    let requests = fake.requests();
    let (token, call) = (&requests[0], &requests[1]);
    assert_eq!(token.route(), Some(Route::Token));
    assert_eq!(token.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(token.body()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"accessKeyId": "ak", "accessKeySecret": "sk"})
    );
    assert_eq!(call.query("userId"), Some("+86 188xxxx8888"));
    assert_eq!(
        call.header("x-genauth-userpool-id"),
        Some(FakeGenAuth::USER_POOL_ID)
    );
    assert_eq!(call.header("x-genauth-app-tenant-id"), Some("t-1"));
    assert!(
        call.header("authorization")
            .unwrap()
            .starts_with("Bearer ey")
    );
}

#[test]
fn the_fake_fails_the_way_the_service_does() {
    let fake = FakeGenAuth::new().with_factors("tok", vec![Factor::new("f1", FactorType::Otp)]);
    let auth = AuthenticationClient::builder()
        .app_id("app")
        .app_host("https://my-app.genauth.ai")
        .access_token("tok")
        .transport(fake.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    fake.fail_next(
        Route::GetFactor,
        Failure::api(403, 1636, "MFA required").with_request_id("r-1"),
    );
    fake.fail_next(
        Route::ListEnrolledFactors,
        Failure::Http {
            status: 502,
            body: b"<html>502 Bad Gateway</html>".to_vec(),
        },
    );
    match auth.get_factor("f1").send().unwrap_err() {
        Error::Api {
            status_code: 403,
            api_code: Some(1636),
            request_id,
            ..
        } => assert_eq!(request_id.as_deref(), Some("r-1")),
        other => panic!("{other:?}"),
    }
    let err = auth.list_enrolled_factors().send().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                http_status: 502,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(auth.get_factor("f1").send().unwrap().factor_id, "f1");
}
