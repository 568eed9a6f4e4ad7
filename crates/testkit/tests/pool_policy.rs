//! The pool's MFA policy, bypass lists, roles and departments through the
//! library over loopback HTTP: the served fake (`FakeServer`) for what the
//! service does, mockito for pages and answers the fake will not send.
//! What goes over the wire, what comes back, refusals (403, 402), a
//! throttled answer retried, unknown values kept, pages that lie.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common::*;

use genauth_mfa::{
    Error, FactorType, IpListType, LimitKind, ManagementClient, RetryPolicy, UserListType,
};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, ListEntry, Organization, Route};
use mockito::{Matcher, Server};
use serde_json::json;

fn client(server: &FakeServer) -> ManagementClient {
    ManagementClient::builder()
        .access_key_id("ak")
        .access_key_secret("sk")
        .host(server.url())
        .retry_policy(
            RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap()
}

/// The decoded query parameter `name` of each request the fake got for `route`.
fn sent(fake: &FakeGenAuth, route: Route, name: &str) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.route() == Some(route))
        .map(|r| r.query(name).unwrap_or("<none>").to_owned())
        .collect()
}

#[test]
fn the_pool_s_enabled_factors_are_read_and_unknown_ones_kept() {
    let fake = FakeGenAuth::new().with_enabled_factors(["OTP", "FACE", "WEBAUTHN"]);
    let server = fake.serve().unwrap();
    let mgmt = client(&server);
    let settings = mgmt.get_global_mfa_settings().send().unwrap();
    assert_eq!(
        settings.enabled_factors,
        [
            FactorType::Otp,
            FactorType::Face,
            FactorType::Other("WEBAUTHN".into())
        ]
    );
    assert!(!settings.enables(&FactorType::Sms));
    let call = fake
        .requests()
        .into_iter()
        .find(|r| r.route() == Some(Route::GetGlobalMfaSettings))
        .unwrap();
    assert_eq!(call.method(), "GET");
    assert!(call.query_pairs().is_empty());
    assert!(call.header("authorization").unwrap().starts_with("Bearer "));
    assert_eq!(
        call.header("x-genauth-userpool-id"),
        Some(FakeGenAuth::USER_POOL_ID)
    );
}

#[test]
fn a_refused_read_is_access_denied_and_a_throttled_one_is_retried() {
    let fake = FakeGenAuth::new();
    let server = fake.serve().unwrap();
    let mgmt = client(&server);
    fake.fail_next(Route::GetGlobalMfaSettings, Failure::Throttled);
    assert!(mgmt.get_global_mfa_settings().send().is_ok());
    assert_eq!(fake.count(Route::GetGlobalMfaSettings), 2);

    fake.fail_always(
        Route::GetGlobalMfaSettings,
        Failure::api(403, None, "no permission"),
    );
    let err = mgmt.get_global_mfa_settings().send().unwrap_err();
    assert!(
        err.is_access_denied() && !err.needs_higher_plan(),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1, "a refusal is not retried");
    fake.clear_failures();
    for (route, status) in [(Route::UserList, 402), (Route::IpList, 403)] {
        fake.fail_always(route, Failure::api(status, None, "refused"));
    }
    let err = mgmt
        .list_user_list(UserListType::White)
        .into_iter()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(err.needs_higher_plan() && err.is_access_denied(), "{err:?}");
    let mut ips = mgmt.list_ip_list(IpListType::White).into_iter();
    let err = ips.next().unwrap().unwrap_err();
    assert!(
        err.is_access_denied() && !err.needs_higher_plan(),
        "{err:?}"
    );
    assert!(ips.next().is_none(), "an error ends the listing");
    // Neither is a reason to think every call fails.
    assert!(!err.fails_every_call());
    // Not every refusal is a denial.
    fake.clear_failures();
    fake.fail_next(Route::ListOrganizations, Failure::api(500, None, "oops"));
    let err = mgmt.list_organizations().into_iter().next().unwrap();
    assert!(!err.unwrap_err().is_access_denied());
}

#[test]
fn user_and_ip_lists_are_read_in_pages_of_50_to_the_count() {
    let mut fake = FakeGenAuth::new();
    for i in 0..120 {
        let entry = ListEntry::white_user(&format!("u{i:03}"));
        fake = fake.with_list_entry(if i % 3 == 0 {
            entry.limit("SKIP_MFA")
        } else {
            entry.limit("FORBID_REGISTER").limit("SOMETHING_NEW")
        });
    }
    let fake = fake
        .with_list_entry(ListEntry::black_user("mallory").limit("FORBID_LOGIN"))
        .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"))
        .with_list_entry(ListEntry::white_ip("192.168.1.1-192.168.1.9"));
    let server = fake.serve().unwrap();
    let mgmt = client(&server);

    let mut white = mgmt.list_user_list(UserListType::White).into_iter();
    let entries: Vec<_> = white.by_ref().map(Result::unwrap).collect();
    assert_eq!(entries.len(), 120);
    assert_eq!(entries.iter().filter(|e| e.skips_mfa()).count(), 40);
    assert_eq!(
        entries[1].limit_list,
        [
            LimitKind::ForbidRegister,
            LimitKind::Other("SOMETHING_NEW".into())
        ]
    );
    assert_eq!(entries[0].user_list_type.as_deref(), Some("WHITE"));
    assert!(entries[0].add_at.is_some() && entries[0].id.is_some());
    assert_eq!(
        (white.first_total_count(), white.distinct()),
        (Some(120), 120)
    );
    // Three pages: the count is met on the third, no empty page is asked.
    assert_eq!(sent(&fake, Route::UserList, "page"), ["1", "2", "3"]);
    assert_eq!(sent(&fake, Route::UserList, "limit"), ["50", "50", "50"]);
    assert_eq!(
        sent(&fake, Route::UserList, "userListType"),
        ["WHITE", "WHITE", "WHITE"]
    );

    fake.clear_requests();
    let black: Vec<_> = mgmt
        .list_user_list(UserListType::Black)
        .page_size(7)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(black[0].user_id, "mallory");
    assert_eq!(black[0].limit_list, [LimitKind::ForbidLogin]);
    assert_eq!(sent(&fake, Route::UserList, "userListType"), ["BLACK"]);
    assert_eq!(sent(&fake, Route::UserList, "limit"), ["7"]);

    let ips: Vec<_> = mgmt
        .list_ip_list(IpListType::White)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ips[0].ip, "10.0.0.0/8");
    assert!(ips[0].skips_mfa() && !ips[1].skips_mfa());
    assert_eq!(ips[1].ip, "192.168.1.1-192.168.1.9");
    assert_eq!(sent(&fake, Route::IpList, "ipType"), ["WHITE"]);
    // An empty list: one page, no entry, no error.
    let mut black_ips = mgmt.list_ip_list(IpListType::Black).into_iter();
    assert!(black_ips.next().is_none());
    assert_eq!(black_ips.pages(), 1);

    let err = mgmt
        .list_ip_list(IpListType::White)
        .page_size(51)
        .into_iter()
        .next()
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
}

#[test]
fn a_throttled_page_is_retried_and_the_listing_goes_on() {
    let mut fake = FakeGenAuth::new();
    for i in 0..60 {
        fake = fake.with_list_entry(ListEntry::white_user(&format!("u{i}")).limit("SKIP_MFA"));
    }
    let server = fake.serve().unwrap();
    let mgmt = client(&server);
    // The second page is throttled once.
    let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    assert!(entries.next().unwrap().is_ok());
    fake.fail_next(Route::UserList, Failure::Throttled);
    assert_eq!(entries.by_ref().filter(Result::is_ok).count(), 59);
    assert_eq!(sent(&fake, Route::UserList, "page"), ["1", "2", "2"]);
}

#[test]
fn role_members_are_users_paged_per_namespace_and_an_unknown_role_is_an_error() {
    let members: Vec<String> = (0..60).map(|i| format!("user-{i:06}")).collect();
    let fake = FakeGenAuth::new()
        .with_generated_pool(100)
        .with_role("admin", "default", members)
        .with_role("billing-admin", "billing", ["user-000099"])
        .with_organization(Organization::new("acme", "Acme").department("eng", "Eng", None))
        .with_user_departments("user-000001", ["eng"]);
    let server = fake.serve().unwrap();
    let mgmt = client(&server);

    let mut admins = mgmt.list_role_members("admin").into_iter();
    let users: Vec<_> = admins.by_ref().map(Result::unwrap).collect();
    assert_eq!(users.len(), 60);
    assert_eq!(users[59].user_id, "user-000059");
    assert_eq!(users[1].main_department_id.as_deref(), Some("eng"));
    assert_eq!(users[1].department_ids, None, "not asked");
    assert_eq!(admins.first_total_count(), Some(60));
    assert_eq!(sent(&fake, Route::ListRoleMembers, "page"), ["1", "2"]);
    assert_eq!(sent(&fake, Route::ListRoleMembers, "limit"), ["50", "50"]);
    assert_eq!(
        sent(&fake, Route::ListRoleMembers, "code"),
        ["admin", "admin"]
    );
    assert_eq!(
        sent(&fake, Route::ListRoleMembers, "namespace"),
        ["<none>", "<none>"]
    );
    assert_eq!(
        sent(&fake, Route::ListRoleMembers, "withDepartmentIds"),
        ["false", "false"]
    );

    fake.clear_requests();
    let billing: Vec<_> = mgmt
        .list_role_members("billing-admin")
        .namespace("billing")
        .with_department_ids(true)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(billing[0].user_id, "user-000099");
    assert_eq!(billing[0].department_ids.as_deref(), Some(&[][..]));
    assert_eq!(
        sent(&fake, Route::ListRoleMembers, "namespace"),
        ["billing"]
    );
    assert_eq!(
        sent(&fake, Route::ListRoleMembers, "withDepartmentIds"),
        ["true"]
    );

    let mut unknown = mgmt.list_role_members("root").into_iter();
    let err = unknown.next().unwrap().unwrap_err();
    assert_eq!(err.status_code(), Some(404), "{err:?}");
    assert!(!err.is_access_denied());
    assert!(unknown.next().is_none());
    // The right code in the wrong namespace is unknown too.
    let err = mgmt
        .list_role_members("admin")
        .namespace("billing")
        .into_iter()
        .next()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.status_code(), Some(404));
    let err = mgmt.list_role_members(" ").into_iter().next().unwrap();
    assert!(matches!(err, Err(Error::InvalidArgument { .. })));
}

#[test]
fn organisations_and_their_departments_are_read_whatever_the_count_says() {
    let fake = FakeGenAuth::new()
        .with_organization(
            Organization::new("acme", "Acme")
                .department("eng", "Engineering", None)
                .department("platform", "Platform", Some("eng"))
                .department("sre", "SRE", Some("platform")),
        )
        .with_organization(
            Organization::new("bool", "Bool")
                .department("b", "B", None)
                .departments_total_count(Some(json!(true))),
        )
        .with_organization(
            Organization::new("none", "None")
                .department("n", "N", None)
                .departments_total_count(None),
        )
        .with_organization(
            Organization::new("empty", "Empty").departments_total_count(Some(json!(false))),
        );
    let server = fake.serve().unwrap();
    let mgmt = client(&server);
    let orgs: Vec<_> = mgmt
        .list_organizations()
        .page_size(3)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let codes: Vec<&str> = orgs.iter().map(|o| o.organization_code.as_str()).collect();
    assert_eq!(codes, ["acme", "bool", "none", "empty"]);
    assert_eq!(orgs[0].department_id.as_deref(), Some("acme-root"));
    assert_eq!(orgs[0].has_children, Some(true));
    assert_eq!(sent(&fake, Route::ListOrganizations, "page"), ["1", "2"]);
    assert_eq!(
        sent(&fake, Route::ListOrganizations, "fetchAll"),
        ["false", "false"]
    );

    let acme = mgmt.get_all_departments("acme").send().unwrap();
    let parents: Vec<_> = acme
        .iter()
        .map(|d| d.parent_department_id.as_deref().unwrap())
        .collect();
    assert_eq!(parents, ["acme-root", "eng", "platform"]);
    let call = fake
        .requests()
        .into_iter()
        .find(|r| r.route() == Some(Route::GetAllDepartments))
        .unwrap();
    assert_eq!(call.query("organizationCode"), Some("acme"));
    assert_eq!(call.query("departmentId"), Some("root"));
    assert_eq!(call.query("departmentIdType"), Some("department_id"));
    for (code, ids) in [("bool", vec!["b"]), ("none", vec!["n"]), ("empty", vec![])] {
        let departments = mgmt.get_all_departments(code).send().unwrap();
        let got: Vec<_> = departments
            .iter()
            .map(|d| d.department_id.as_str())
            .collect();
        assert_eq!(got, ids, "{code}");
    }
    let err = mgmt.get_all_departments("nope").send().unwrap_err();
    assert_eq!(err.status_code(), Some(404));
    fake.fail_next(Route::GetAllDepartments, Failure::Throttled);
    assert_eq!(mgmt.get_all_departments("acme").send().unwrap().len(), 3);
}

#[test]
fn list_users_asks_for_department_ids_only_when_told() {
    let fake = FakeGenAuth::new()
        .with_generated_pool(3)
        .with_user_departments("user-000000", ["eng"])
        .with_user_departments("user-000001", ["eng", "sales"]);
    let server = fake.serve().unwrap();
    let mgmt = client(&server);
    let users: Vec<_> = mgmt
        .list_users()
        .with_department_ids(true)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        users[0].department_ids.as_deref(),
        Some(&["eng".to_owned()][..])
    );
    assert_eq!(
        users[1].department_ids,
        Some(vec!["eng".to_owned(), "sales".to_owned()])
    );
    assert_eq!(users[1].main_department_id.as_deref(), Some("eng"));
    assert_eq!(users[2].department_ids, Some(vec![]));
    assert!(!users[0].extra.contains_key("departmentIds"));
    let bodies: Vec<serde_json::Value> = fake
        .requests()
        .iter()
        .filter(|r| r.route() == Some(Route::ListUsers))
        .map(|r| serde_json::from_slice(r.body()).unwrap())
        .collect();
    assert_eq!(bodies[0]["options"]["withDepartmentIds"], true);

    fake.clear_requests();
    let users: Vec<_> = mgmt.list_users().into_iter().map(Result::unwrap).collect();
    assert_eq!(users[0].department_ids, None);
    let body: serde_json::Value = serde_json::from_slice(
        fake.requests()
            .iter()
            .find(|r| r.route() == Some(Route::ListUsers))
            .unwrap()
            .body(),
    )
    .unwrap();
    assert!(body["options"].get("withDepartmentIds").is_none(), "{body}");
}

fn entry(i: usize) -> serde_json::Value {
    json!({"id": format!("e{i}"), "userId": format!("u{i}"), "userListType": "WHITE",
           "limitList": ["SKIP_MFA"], "addAt": "2024-06-01T00:00:00.000Z"})
}

fn page(total: Option<serde_json::Value>, entries: std::ops::Range<usize>) -> String {
    let list: Vec<_> = entries.map(entry).collect();
    let mut data = json!({"list": list});
    if let Some(total) = total {
        data["totalCount"] = total;
    }
    json!({"statusCode": 200, "message": "ok", "requestId": "r", "data": data}).to_string()
}

fn page_query(page: u32, limit: u32) -> Matcher {
    Matcher::AllOf(vec![
        Matcher::UrlEncoded("userListType".into(), "WHITE".into()),
        Matcher::UrlEncoded("page".into(), page.to_string()),
        Matcher::UrlEncoded("limit".into(), limit.to_string()),
    ])
}

#[test]
fn a_short_page_is_not_the_end_and_an_empty_page_is() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    // A server that pages by 30 although 50 were asked, and counts 70.
    let pages = [(1, 0..30), (2, 30..60), (3, 60..70)].map(|(n, range)| {
        server
            .mock("GET", "/api/v3/user-list")
            .match_query(page_query(n, 50))
            .match_header("authorization", format!("Bearer {T1}").as_str())
            .with_body(page(Some(json!(70)), range))
            .expect(1)
            .create()
    });
    let mgmt = mgmt_client(&server);
    let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    assert_eq!(entries.by_ref().filter(Result::is_ok).count(), 70);
    assert_eq!(entries.pages(), 3);
    for p in pages {
        p.assert();
    }

    // Without a count: read to an empty page, then incomplete (unproven).
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _p1 = server
        .mock("GET", "/api/v3/user-list")
        .match_query(page_query(1, 50))
        .with_body(page(None, 0..5))
        .create();
    let empty = server
        .mock("GET", "/api/v3/user-list")
        .match_query(page_query(2, 50))
        .with_body(page(None, 0..0))
        .expect(1)
        .create();
    let mgmt = mgmt_client(&server);
    let items: Vec<_> = mgmt
        .list_user_list(UserListType::White)
        .into_iter()
        .collect();
    assert_eq!(items.len(), 6);
    assert!(items[..5].iter().all(Result::is_ok));
    assert!(
        matches!(
            &items[5],
            Err(Error::IncompleteListing {
                distinct: 5,
                total_count: None,
                ..
            })
        ),
        "{:?}",
        items[5]
    );
    empty.assert();
}

#[test]
fn a_page_over_the_limit_or_pages_that_repeat_end_the_listing_incomplete() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _p1 = server
        .mock("GET", "/api/v3/user-list")
        .match_query(page_query(1, 10))
        .with_body(page(Some(json!(100)), 0..11))
        .expect(1)
        .create();
    let mgmt = mgmt_client(&server);
    let items: Vec<_> = mgmt
        .list_user_list(UserListType::White)
        .page_size(10)
        .into_iter()
        .collect();
    assert_eq!(items.len(), 12);
    let Err(Error::IncompleteListing { reason, .. }) = &items[11] else {
        panic!("{:?}", items[11]);
    };
    assert!(reason.contains("more than the 10 asked"), "{reason}");

    // Every page is page 1: stopped after a bounded number of pages.
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let same = server
        .mock("GET", "/api/v3/ip-list")
        .match_query(Matcher::Any)
        .with_body(
            json!({"statusCode": 200, "data": {"totalCount": 500, "list": [
                {"id": "i1", "ip": "10.0.0.1", "limitList": ["SKIP_MFA"]}]}})
            .to_string(),
        )
        .expect(1 + genauth_mfa::MAX_STALE_PAGES as usize)
        .create();
    let mgmt = mgmt_client(&server);
    let items: Vec<_> = mgmt.list_ip_list(IpListType::White).into_iter().collect();
    assert!(matches!(
        items.last(),
        Some(Err(Error::IncompleteListing {
            distinct: 1,
            total_count: Some(500),
            ..
        }))
    ));
    same.assert();
}

#[test]
fn odd_answers_are_read_or_refused_but_never_taken_for_an_empty_pool_policy() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _s = server
        .mock("GET", "/api/v3/get-global-mfa-settings")
        .with_body(r#"{"statusCode":200,"data":{"mfaPolicy":"x"}}"#)
        .create();
    let _d = server
        .mock("GET", "/api/v3/get-all-departments")
        .match_query(Matcher::UrlEncoded(
            "organizationCode".into(),
            "nolist".into(),
        ))
        .with_body(r#"{"statusCode":200,"data":{"totalCount":true}}"#)
        .create();
    let _o = server
        .mock("GET", "/api/v3/get-all-departments")
        .match_query(Matcher::UrlEncoded("organizationCode".into(), "odd".into()))
        .with_body(
            r#"{"statusCode":200,"data":{"totalCount":"yes","list":[
                {"departmentId":7,"name":"Seven","membersCount":"3","hasChildren":"false","x":1}]}}"#,
        )
        .create();
    let mgmt = mgmt_client(&server);
    let err = mgmt.get_global_mfa_settings().send().unwrap_err();
    assert_eq!(err.kind(), "decode", "{err:?}");
    let err = mgmt.get_all_departments("nolist").send().unwrap_err();
    assert_eq!(err.kind(), "decode", "{err:?}");
    let odd = mgmt.get_all_departments("odd").send().unwrap();
    assert_eq!(odd[0].department_id, "7");
    assert_eq!(
        (odd[0].members_count, odd[0].has_children),
        (Some(3), Some(false))
    );
    assert_eq!(odd[0].extra["x"], 1);
}
