//! The fake (0.3's `test-util` double) as a downstream project uses it: the issue's
//! example verbatim, and its requests as the real wire contract has them.

use genauth_mfa::{
    AuthenticationClient, Error, Factor, FactorType, ManagementClient, MfaStatus, RetryPolicy,
    UserIdType, UserMfaInfo,
};
use genauth_mfa_fake::{Failure, FakeGenAuth, PoolChange, PoolUser, Route};

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
    let err = auth.get_factor("f1").send().unwrap_err();
    assert_eq!(
        (err.status_code(), err.api_code(), err.request_id()),
        (Some(403), Some(1636), Some("r-1")),
        "{err:?}"
    );
    let err = auth.list_enrolled_factors().send().unwrap_err();
    assert_eq!((err.kind(), err.http_status()), ("decode", Some(502)));
    assert_eq!(auth.get_factor("f1").send().unwrap().factor_id, "f1");
}

/// The envelope of `request` as the fake answers it in process.
fn send(fake: &FakeGenAuth, request: genauth_mfa::http::Request<Vec<u8>>) -> serde_json::Value {
    let response = genauth_mfa::Transport::send(fake, request).unwrap();
    serde_json::from_slice(response.body()).unwrap()
}

fn management_token(fake: &FakeGenAuth) -> String {
    management_token_for(fake, "ak", "sk")
}

fn management_token_for(fake: &FakeGenAuth, id: &str, secret: &str) -> String {
    let body = serde_json::json!({"accessKeyId": id, "accessKeySecret": secret});
    let request =
        genauth_mfa::http::Request::post("https://api.genauth.ai/api/v3/get-management-token")
            .body(body.to_string().into_bytes())
            .unwrap();
    let answer = send(fake, request);
    answer["data"]["access_token"].as_str().unwrap().to_owned()
}

/// One `list-users` answer for `body`, with the management token `token`.
fn list_users(fake: &FakeGenAuth, token: &str, body: serde_json::Value) -> serde_json::Value {
    let request = genauth_mfa::http::Request::post("https://api.genauth.ai/api/v3/list-users")
        .header("authorization", format!("Bearer {token}"))
        .header("x-genauth-userpool-id", FakeGenAuth::USER_POOL_ID)
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    send(fake, request)
}

fn page(number: u64, limit: u64) -> serde_json::Value {
    serde_json::json!({"options": {"pagination": {"page": number, "limit": limit}}})
}

fn ids(answer: &serde_json::Value) -> Vec<String> {
    answer["data"]["list"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {answer}"))
        .iter()
        .map(|u| u["userId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn list_users_pages_from_1_with_limit_10_by_default_and_at_most_50() {
    let fake = FakeGenAuth::new().with_generated_pool(105);
    let token = management_token(&fake);
    let first = list_users(&fake, &token, serde_json::json!({}));
    assert_eq!(first["statusCode"], 200, "{first}");
    assert_eq!(first["data"]["totalCount"], 105);
    assert_eq!(ids(&first).len(), 10);
    assert_eq!(ids(&first)[0], "user-000000");
    let mut seen = Vec::new();
    for number in 1..=3 {
        seen.extend(ids(&list_users(&fake, &token, page(number, 50))));
    }
    let expected: Vec<String> = (0..105).map(|i| format!("user-{i:06}")).collect();
    assert_eq!(seen, expected);
    let beyond = list_users(&fake, &token, page(4, 50));
    assert_eq!(beyond["statusCode"], 200);
    assert_eq!(
        beyond["data"],
        serde_json::json!({"totalCount": 105, "list": []})
    );
    for refused in [page(1, 51), page(0, 10), page(1, 0)] {
        let answer = list_users(&fake, &token, refused.clone());
        assert_eq!(answer["statusCode"], 400, "{refused}: {answer}");
        assert!(answer["requestId"].is_string());
    }
    // A generated user is a whole UserDto.
    let user = &first["data"]["list"][7];
    assert_eq!(user["status"], "Suspended");
    assert_eq!(user["createdAt"], "2024-01-01T00:07:00.000Z");
    for field in [
        "updatedAt",
        "email",
        "phone",
        "phoneCountryCode",
        "username",
        "loginsCount",
    ] {
        assert!(!user[field].is_null(), "{field}: {user}");
    }
    for field in ["externalId", "lastLogin", "lastMfaTime"] {
        assert!(user.get(field).is_some(), "{field}: {user}");
    }
}

#[test]
fn list_users_filters_on_status_sorts_by_created_at_and_refuses_the_rest() {
    let fake = FakeGenAuth::new().with_generated_pool(40).with_pool_user(
        PoolUser::new("carol")
            .status("Suspended")
            .email("carol@example.com"),
    );
    let token = management_token(&fake);
    let suspended = serde_json::json!({
        "advancedFilter": [{"field": "status", "operator": "EQUAL", "value": "Suspended"}],
        "options": {"pagination": {"page": 1, "limit": 50},
                    "sort": [{"field": "createdAt", "order": "desc"}]},
        "keywords": null,
    });
    let answer = list_users(&fake, &token, suspended);
    assert_eq!(answer["data"]["totalCount"], 3, "{answer}");
    assert_eq!(ids(&answer), ["carol", "user-000027", "user-000007"]);
    assert_eq!(answer["data"]["list"][0]["email"], "carol@example.com");
    let both = serde_json::json!({"advancedFilter": [
        {"field": "status", "operator": "EQUAL", "value": "Suspended"},
        {"field": "status", "operator": "EQUAL", "value": "Activated"},
    ]});
    let answer = list_users(&fake, &token, both);
    assert_eq!(
        answer["data"],
        serde_json::json!({"totalCount": 0, "list": []})
    );
    for unsupported in [
        serde_json::json!({"advancedFilter": [{"field": "loginsCount", "operator": "GREATER", "value": 3}]}),
        serde_json::json!({"options": {"sort": [{"field": "lastLogin", "order": "asc"}]}}),
        serde_json::json!({"options": {"sort": [{"field": "createdAt", "direction": "asc"}]}}),
        serde_json::json!({"keywords": "carol"}),
        serde_json::json!([1, 2]),
    ] {
        let answer = list_users(&fake, &token, unsupported.clone());
        assert_eq!(answer["statusCode"], 400, "{unsupported}: {answer}");
    }
}

#[test]
fn list_users_needs_the_management_token_and_fails_when_told() {
    let fake = FakeGenAuth::demo();
    let answer = list_users(&fake, "forged", page(1, 10));
    assert_eq!(
        (answer["statusCode"].clone(), answer["apiCode"].clone()),
        (401.into(), 2020.into())
    );
    let token = management_token(&FakeGenAuth::new()); // another fake's token
    assert_eq!(list_users(&fake, &token, page(1, 10))["statusCode"], 401);
    let fake = FakeGenAuth::new().with_generated_pool(3);
    let token = management_token(&fake);
    fake.fail_next(Route::ListUsers, Failure::Throttled);
    assert_eq!(list_users(&fake, &token, page(1, 10))["statusCode"], 429);
    assert_eq!(ids(&list_users(&fake, &token, page(1, 10))).len(), 3);
    assert_eq!(fake.count(Route::ListUsers), 2);
    // get-user-mfa-info's failures are for it alone.
    fake.fail_next(Route::GetUserMfaInfo, Failure::Throttled);
    assert_eq!(list_users(&fake, &token, page(1, 10))["statusCode"], 200);
}

#[test]
fn the_demo_pool_can_be_audited_user_by_user() {
    let fake = FakeGenAuth::demo();
    let mgmt = ManagementClient::builder()
        .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
        .transport(fake.clone())
        .build()
        .unwrap();
    let token = management_token_for(
        &fake,
        FakeGenAuth::DEMO_ACCESS_KEY_ID,
        FakeGenAuth::DEMO_ACCESS_KEY_SECRET,
    );
    let mut users = 0;
    let mut with_mfa = 0;
    for number in 1.. {
        let page = ids(&list_users(&fake, &token, page(number, 50)));
        if page.is_empty() {
            break;
        }
        for id in page {
            users += 1;
            with_mfa += usize::from(mgmt.get_user_mfa_info(&id).send().unwrap().any_enabled());
        }
    }
    assert_eq!(users, FakeGenAuth::DEMO_POOL_SIZE as usize);
    assert!(with_mfa > 0 && with_mfa < users, "{with_mfa} of {users}");
}

#[test]
fn pool_users_are_found_by_get_user_mfa_info_and_not_once_removed() {
    let fake = FakeGenAuth::new().with_generated_pool(10).with_pool_user(
        PoolUser::new("dave")
            .email("dave@example.com")
            .mfa(UserMfaInfo::new().totp(MfaStatus::Enabled)),
    );
    let mgmt = ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .transport(fake.clone())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(
        mgmt.get_user_mfa_info("dave")
            .send()
            .unwrap()
            .totp
            .is_enabled()
    );
    let by_email = mgmt
        .get_user_mfa_info("dave@example.com")
        .user_id_type(UserIdType::Email)
        .send()
        .unwrap();
    assert!(by_email.totp.is_enabled());
    mgmt.get_user_mfa_info("user-000009").send().unwrap();
    assert!(mgmt.get_user_mfa_info("user-000010").send().is_err());
    assert!(fake.remove_pool_user("user-000009"));
    assert!(fake.remove_pool_user("dave"));
    for gone in ["user-000009", "dave"] {
        let err = mgmt.get_user_mfa_info(gone).send().unwrap_err();
        assert_eq!(
            (err.status_code(), err.api_code()),
            (Some(404), Some(2004)),
            "{err:?}"
        );
    }
    assert_eq!(fake.pool_len(), 9);
}

#[test]
fn the_pool_changes_between_pages_as_a_test_says() {
    // Removing a user already listed shifts the later pages: one user is
    // skipped, and totalCount at the end differs from the start.
    let fake = FakeGenAuth::new().with_generated_pool(30);
    fake.change_pool_after_page(1, PoolChange::Remove("user-000003".into()));
    fake.change_pool_after_page(2, PoolChange::Add(PoolUser::new("newcomer")));
    let token = management_token(&fake);
    let first = list_users(&fake, &token, page(1, 10));
    let second = list_users(&fake, &token, page(2, 10));
    let third = list_users(&fake, &token, page(3, 10));
    let fourth = list_users(&fake, &token, page(4, 10));
    assert_eq!(first["data"]["totalCount"], 30);
    assert_eq!(second["data"]["totalCount"], 29);
    assert_eq!(ids(&second)[0], "user-000011"); // user-000010 was skipped
    assert_eq!(third["data"]["totalCount"], 30);
    assert_eq!(ids(&third)[8..], ["user-000029", "newcomer"]); // a new user comes last
    assert!(ids(&fourth).is_empty());
    // Each change happens once; add and remove also work directly.
    assert_eq!(
        list_users(&fake, &token, page(1, 10))["data"]["totalCount"],
        30
    );
    fake.add_pool_user(PoolUser::new("late").created_at("2030-01-01T00:00:00.000Z"));
    assert_eq!(ids(&list_users(&fake, &token, page(4, 10))), ["late"]);
}

#[test]
fn a_pool_of_100_000_is_listed_to_its_last_page() {
    let fake = FakeGenAuth::new()
        .with_generated_pool(100_000)
        .record_requests(false);
    let token = management_token(&fake);
    let last = list_users(&fake, &token, page(2_000, 50));
    assert_eq!(last["data"]["totalCount"], 100_000);
    assert_eq!(ids(&last).last().map(String::as_str), Some("user-099999"));
    let suspended = serde_json::json!({
        "advancedFilter": [{"field": "status", "operator": "EQUAL", "value": "Suspended"}],
        "options": {"pagination": {"page": 100, "limit": 50}},
    });
    let answer = list_users(&fake, &token, suspended);
    assert_eq!(answer["data"]["totalCount"], 5_000);
    assert_eq!(ids(&answer).last().map(String::as_str), Some("user-099987"));
}

#[test]
fn requests_are_counted_even_when_not_recorded() {
    let fake = FakeGenAuth::new()
        .with_generated_pool(3)
        .record_requests(false);
    let token = management_token(&fake);
    list_users(&fake, &token, page(1, 10));
    list_users(&fake, &token, page(2, 10));
    assert!(fake.requests().is_empty());
    assert_eq!(fake.count(Route::Token), 1);
    assert_eq!(fake.count(Route::ListUsers), 2);
    assert_eq!(fake.count(Route::Any), 3);
    fake.clear_requests();
    assert_eq!(fake.count(Route::Any), 0);
}
