//! The pool's MFA policy, bypass lists, roles and departments, served over
//! loopback HTTP by `FakeGenAuth::serve` and read with the library's own
//! transport: what goes over the wire and what comes back.

use genauth_mfa::http::Request;
use genauth_mfa::{Transport, UreqTransport};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, ListEntry, Organization, Route};
use serde_json::{Value, json};

/// A management token and a way to send requests with it.
struct Wire {
    server: FakeServer,
    transport: UreqTransport,
    token: String,
}

impl Wire {
    fn new(fake: &FakeGenAuth) -> Wire {
        let server = fake.serve().unwrap();
        let transport = UreqTransport::new().unwrap();
        let credentials = json!({
            "accessKeyId": FakeGenAuth::DEMO_ACCESS_KEY_ID,
            "accessKeySecret": FakeGenAuth::DEMO_ACCESS_KEY_SECRET,
        });
        let request = Request::post(format!("{}/api/v3/get-management-token", server.url()))
            .header("content-type", "application/json")
            .body(credentials.to_string().into_bytes())
            .unwrap();
        let answer = envelope(&transport, request);
        let token = answer["data"]["access_token"].as_str().unwrap().to_owned();
        Wire {
            server,
            transport,
            token,
        }
    }

    /// The envelope of `GET <path>?<query>` with the management token.
    fn get(&self, path_and_query: &str) -> Value {
        let request = Request::get(format!("{}{path_and_query}", self.server.url()))
            .header("authorization", format!("Bearer {}", self.token))
            .header("x-genauth-userpool-id", FakeGenAuth::USER_POOL_ID)
            .body(Vec::new())
            .unwrap();
        envelope(&self.transport, request)
    }

    fn list_users(&self, body: &Value) -> Value {
        let request = Request::post(format!("{}/api/v3/list-users", self.server.url()))
            .header("authorization", format!("Bearer {}", self.token))
            .header("x-genauth-userpool-id", FakeGenAuth::USER_POOL_ID)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
            .unwrap();
        envelope(&self.transport, request)
    }
}

fn envelope(transport: &UreqTransport, request: Request<Vec<u8>>) -> Value {
    let response = transport.send(request).unwrap();
    assert_eq!(response.status(), 200);
    serde_json::from_slice(response.body()).unwrap()
}

fn field<'a>(answer: &'a Value, name: &str) -> Vec<&'a str> {
    answer["data"]["list"]
        .as_array()
        .unwrap_or_else(|| panic!("no list: {answer}"))
        .iter()
        .map(|item| item[name].as_str().unwrap())
        .collect()
}

#[test]
fn a_new_fake_enables_every_factor_and_the_pool_can_switch_some_off() {
    let wire = Wire::new(&FakeGenAuth::new());
    let answer = wire.get("/api/v3/get-global-mfa-settings");
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(
        answer["data"],
        json!({"enabledFactors": ["OTP", "SMS", "EMAIL", "FACE"]})
    );
    let fake = FakeGenAuth::new().with_enabled_factors(["SMS", "WEBAUTHN"]);
    let answer = Wire::new(&fake).get("/api/v3/get-global-mfa-settings");
    assert_eq!(answer["data"]["enabledFactors"], json!(["SMS", "WEBAUTHN"]));
    assert_eq!(fake.count(Route::GetGlobalMfaSettings), 1);
}

#[test]
fn user_and_ip_lists_page_from_1_with_limit_10_by_default_and_at_most_50() {
    let mut fake = FakeGenAuth::new();
    for i in 0..105 {
        fake = fake.with_list_entry(ListEntry::white_user(&format!("u{i:03}")).limit("SKIP_MFA"));
    }
    fake = fake
        .with_list_entry(
            ListEntry::black_user("mallory")
                .limit("FORBID_LOGIN")
                .limit("SOMETHING_NEW"),
        )
        .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"))
        .with_list_entry(ListEntry::black_ip("203.0.113.7").field("addType", "SCHEDULE"));
    let wire = Wire::new(&fake);
    let first = wire.get("/api/v3/user-list?userListType=WHITE");
    assert_eq!(first["data"]["totalCount"], 105, "{first}");
    assert_eq!(field(&first, "userId").len(), 10);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let answer = wire.get(&format!(
            "/api/v3/user-list?userListType=WHITE&page={page}&limit=50"
        ));
        seen.extend(
            field(&answer, "userId")
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
    }
    let expected: Vec<String> = (0..105).map(|i| format!("u{i:03}")).collect();
    assert_eq!(seen, expected);
    let beyond = wire.get("/api/v3/user-list?userListType=WHITE&page=4&limit=50");
    assert_eq!(beyond["data"], json!({"totalCount": 105, "list": []}));
    let item = &first["data"]["list"][0];
    assert_eq!(item["userListType"], "WHITE");
    assert_eq!(item["limitList"], json!(["SKIP_MFA"]));
    assert_eq!(item["addType"], "MANUAL");
    assert!(
        item["id"].is_string() && item["addAt"].is_string(),
        "{item}"
    );

    let black = wire.get("/api/v3/user-list?userListType=BLACK&page=1&limit=50");
    assert_eq!(field(&black, "userId"), ["mallory"]);
    assert_eq!(
        black["data"]["list"][0]["limitList"],
        json!(["FORBID_LOGIN", "SOMETHING_NEW"])
    );
    let ips = wire.get("/api/v3/ip-list?ipType=WHITE&page=1&limit=50");
    assert_eq!(field(&ips, "ip"), ["10.0.0.0/8"]);
    assert_eq!(ips["data"]["list"][0]["ipType"], "WHITE");
    let ips = wire.get("/api/v3/ip-list?ipType=BLACK");
    assert_eq!(field(&ips, "ip"), ["203.0.113.7"]);
    assert_eq!(ips["data"]["list"][0]["addType"], "SCHEDULE");
    assert_eq!(ips["data"]["list"][0]["limitList"], json!([]));

    for refused in [
        "/api/v3/user-list?userListType=WHITE&limit=51",
        "/api/v3/user-list?userListType=WHITE&limit=0",
        "/api/v3/user-list?userListType=WHITE&page=0",
        "/api/v3/user-list?userListType=WHITE&page=one",
        "/api/v3/user-list?userListType=GREY",
        "/api/v3/user-list",
        "/api/v3/ip-list?ipType=white",
        "/api/v3/ip-list?ipType=WHITE&limit=51",
    ] {
        let answer = wire.get(refused);
        assert_eq!(answer["statusCode"], 400, "{refused}: {answer}");
    }
    assert_eq!(fake.count(Route::UserList), 12);
    assert_eq!(fake.count(Route::IpList), 4);
}

#[test]
fn role_members_are_pool_users_paged_per_namespace_and_an_unknown_role_is_404() {
    let members: Vec<String> = (0..60).map(|i| format!("user-{i:06}")).collect();
    let fake = FakeGenAuth::new()
        .with_generated_pool(100)
        .with_role("admin", "default", members)
        .with_role("admin", "billing", ["user-000099", "not-in-the-pool"])
        .with_organization(Organization::new("acme", "Acme").department("eng", "Eng", None))
        .with_user_departments("user-000001", ["eng"]);
    let wire = Wire::new(&fake);
    let first = wire.get("/api/v3/list-role-members?code=admin&page=1&limit=50");
    assert_eq!(first["data"]["totalCount"], 60, "{first}");
    assert_eq!(field(&first, "userId").len(), 50);
    assert_eq!(first["data"]["list"][0]["status"], "Activated");
    assert!(first["data"]["list"][0]["createdAt"].is_string());
    // Without the flag no departmentIds, but the main department either way.
    assert!(first["data"]["list"][1].get("departmentIds").is_none());
    assert_eq!(first["data"]["list"][1]["mainDepartmentId"], "eng");
    let second =
        wire.get("/api/v3/list-role-members?code=admin&namespace=default&page=2&limit=50&withDepartmentIds=true");
    assert_eq!(field(&second, "userId").len(), 10);
    assert_eq!(second["data"]["list"][0]["departmentIds"], json!([]));
    let billing = wire.get("/api/v3/list-role-members?code=admin&namespace=billing&page=1&limit=50&withDepartmentIds=false&withCustomData=false&withIdentities=false");
    assert_eq!(
        field(&billing, "userId"),
        ["user-000099", "not-in-the-pool"]
    );
    assert_eq!(
        billing["data"]["list"][0]["email"],
        "user-000099@example.com"
    );

    for unknown in [
        "/api/v3/list-role-members?code=root",
        "/api/v3/list-role-members?code=admin&namespace=nowhere",
    ] {
        let answer = wire.get(unknown);
        assert_eq!(answer["statusCode"], 404, "{unknown}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains("role"));
    }
    for refused in [
        "/api/v3/list-role-members",
        "/api/v3/list-role-members?code=admin&limit=51",
        "/api/v3/list-role-members?code=admin&withDepartmentIds=yes",
    ] {
        let answer = wire.get(refused);
        assert_eq!(answer["statusCode"], 400, "{refused}: {answer}");
    }
}

#[test]
fn organisations_page_and_their_departments_come_in_one_answer() {
    let mut fake = FakeGenAuth::new().with_generated_pool(4);
    for i in 0..12 {
        fake = fake.with_organization(Organization::new(&format!("org{i:02}"), "Org"));
    }
    let fake = fake
        .with_organization(
            Organization::new("acme", "Acme")
                .department("eng", "Engineering", None)
                .department("platform", "Platform", Some("eng"))
                .department("sre", "SRE", Some("platform"))
                .department("sales", "Sales", None),
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
        .with_user_departments("user-000000", ["sre", "sales"])
        .with_user_departments("user-000001", ["sre"]);
    let wire = Wire::new(&fake);
    let first = wire.get("/api/v3/list-organizations");
    assert_eq!(first["data"]["totalCount"], 15, "{first}");
    assert_eq!(field(&first, "organizationCode").len(), 10);
    let second = wire.get("/api/v3/list-organizations?page=2&limit=10&fetchAll=false");
    assert_eq!(
        field(&second, "organizationCode"),
        ["org10", "org11", "acme", "bool", "none"]
    );
    let acme = &second["data"]["list"][2];
    assert_eq!(acme["organizationName"], "Acme");
    assert_eq!(acme["departmentId"], "acme-root");
    assert_eq!(acme["hasChildren"], true);
    let all = wire.get("/api/v3/list-organizations?page=1&limit=10&fetchAll=true");
    assert_eq!(field(&all, "organizationCode").len(), 15);
    assert_eq!(
        wire.get("/api/v3/list-organizations?limit=51")["statusCode"],
        400
    );

    let departments = wire.get(
        "/api/v3/get-all-departments?organizationCode=acme&departmentId=root&departmentIdType=department_id&withCustomData=false",
    );
    assert_eq!(departments["data"]["totalCount"], 4, "{departments}");
    assert_eq!(
        field(&departments, "departmentId"),
        ["eng", "platform", "sre", "sales"]
    );
    assert_eq!(
        field(&departments, "parentDepartmentId"),
        ["acme-root", "eng", "platform", "acme-root"]
    );
    let sre = &departments["data"]["list"][2];
    assert_eq!(
        (&sre["name"], &sre["membersCount"], &sre["hasChildren"]),
        (&json!("SRE"), &json!(2), &json!(false))
    );
    assert_eq!(departments["data"]["list"][0]["hasChildren"], true);
    let below = wire.get("/api/v3/get-all-departments?organizationCode=acme&departmentId=eng");
    assert_eq!(field(&below, "departmentId"), ["platform", "sre"]);
    let odd = wire.get("/api/v3/get-all-departments?organizationCode=bool");
    assert_eq!(odd["data"]["totalCount"], true);
    assert_eq!(field(&odd, "departmentId"), ["b"]);
    let uncounted = wire.get("/api/v3/get-all-departments?organizationCode=none");
    assert!(uncounted["data"].get("totalCount").is_none(), "{uncounted}");
    assert_eq!(field(&uncounted, "departmentId"), ["n"]);
    for (path, status) in [
        ("/api/v3/get-all-departments?organizationCode=nope", 404),
        (
            "/api/v3/get-all-departments?organizationCode=acme&departmentId=nope",
            404,
        ),
        ("/api/v3/get-all-departments", 400),
        (
            "/api/v3/get-all-departments?organizationCode=acme&departmentIdType=open_department_id",
            400,
        ),
    ] {
        let answer = wire.get(path);
        assert_eq!(answer["statusCode"], status, "{path}: {answer}");
    }
}

#[test]
fn list_users_adds_department_ids_when_asked() {
    let fake = FakeGenAuth::new()
        .with_generated_pool(3)
        .with_user_departments("user-000000", ["eng"])
        .with_user_departments("user-000001", ["eng", "sales"]);
    let wire = Wire::new(&fake);
    let asked =
        json!({"options": {"pagination": {"page": 1, "limit": 50}, "withDepartmentIds": true}});
    let answer = wire.list_users(&asked);
    let users = answer["data"]["list"].as_array().unwrap();
    assert_eq!(users[0]["departmentIds"], json!(["eng"]));
    assert_eq!(users[1]["departmentIds"], json!(["eng", "sales"]));
    assert_eq!(users[1]["mainDepartmentId"], "eng");
    assert_eq!(users[2]["departmentIds"], json!([]));
    assert!(users[2].get("mainDepartmentId").is_none());
    let answer = wire.list_users(&json!({}));
    let users = answer["data"]["list"].as_array().unwrap();
    assert!(users.iter().all(|u| u.get("departmentIds").is_none()));
    assert_eq!(users[1]["mainDepartmentId"], "eng");
    let refused = wire.list_users(&json!({"options": {"withDepartmentIds": "yes"}}));
    assert_eq!(refused["statusCode"], 400);
}

#[test]
fn generated_departments_place_the_generated_users_by_a_rule() {
    let fake = FakeGenAuth::new()
        .with_generated_pool(30)
        .with_generated_departments("big", "Big Corp", 25)
        .with_user_departments("user-000003", ["big-d24"]);
    let wire = Wire::new(&fake);
    let asked =
        json!({"options": {"pagination": {"page": 1, "limit": 50}, "withDepartmentIds": true}});
    let answer = wire.list_users(&asked);
    let users = answer["data"]["list"].as_array().unwrap();
    // user 0: d0 (and d0 again by the seventh rule: once); 7: d7 and d1;
    // 10 (i % 11 == 10): none; 3: set by hand; 26: d1.
    assert_eq!(users[0]["departmentIds"], json!(["big-d0"]));
    assert_eq!(users[7]["departmentIds"], json!(["big-d7", "big-d1"]));
    assert_eq!(users[10]["departmentIds"], json!([]));
    assert_eq!(users[3]["departmentIds"], json!(["big-d24"]));
    assert_eq!(users[26]["departmentIds"], json!(["big-d1"]));
    let answer = wire.get("/api/v3/get-all-departments?organizationCode=big&departmentId=root");
    let list = answer["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 25);
    let by_id = |id: &str| list.iter().find(|d| d["departmentId"] == id).unwrap();
    assert_eq!(by_id("big-d3")["parentDepartmentId"], "big-root");
    assert_eq!(by_id("big-d24")["parentDepartmentId"], "big-d1");
    assert_eq!(by_id("big-d1")["hasChildren"], true);
    assert_eq!(by_id("big-d3")["hasChildren"], false);
    // 30 users, 2 in none (10, 21), 3 in two (7, 14, 28).
    let members: u64 = list
        .iter()
        .map(|d| d["membersCount"].as_u64().unwrap())
        .sum();
    assert_eq!(members, 28 + 3);
}

#[test]
fn every_new_endpoint_needs_the_management_token_and_fails_when_told() {
    let fake = FakeGenAuth::demo();
    let wire = Wire::new(&fake);
    let paths = [
        (
            Route::GetGlobalMfaSettings,
            "/api/v3/get-global-mfa-settings",
        ),
        (Route::UserList, "/api/v3/user-list?userListType=WHITE"),
        (Route::IpList, "/api/v3/ip-list?ipType=WHITE"),
        (
            Route::ListRoleMembers,
            "/api/v3/list-role-members?code=admin",
        ),
        (Route::ListOrganizations, "/api/v3/list-organizations"),
        (
            Route::GetAllDepartments,
            "/api/v3/get-all-departments?organizationCode=acme",
        ),
    ];
    for (route, path) in paths {
        let request = Request::get(format!("{}{path}", wire.server.url()))
            .body(Vec::new())
            .unwrap();
        let answer = envelope(&wire.transport, request);
        assert_eq!(
            (&answer["statusCode"], &answer["apiCode"]),
            (&json!(401), &json!(2020)),
            "{path}: {answer}"
        );
        fake.fail_next(route, Failure::Throttled);
        fake.fail_always(route, Failure::api(403, None, "no permission"));
        assert_eq!(wire.get(path)["statusCode"], 429, "{path}");
        assert_eq!(wire.get(path)["statusCode"], 403, "{path}");
        assert_eq!(wire.get(path)["statusCode"], 403, "{path}");
        fake.clear_failures();
        fake.fail_always(route, Failure::api(402, None, "upgrade your plan"));
        assert_eq!(wire.get(path)["statusCode"], 402, "{path}");
        fake.clear_failures();
        let answer = wire.get(path);
        assert_eq!(answer["statusCode"], 200, "{path}: {answer}");
        assert_eq!(fake.count(route), 6, "{path}");
    }
}

#[test]
fn the_demo_pool_shows_every_part_of_the_policy() {
    let wire = Wire::new(&FakeGenAuth::demo());
    let settings = wire.get("/api/v3/get-global-mfa-settings");
    assert_eq!(
        settings["data"]["enabledFactors"],
        json!(["OTP", "SMS", "FACE"])
    );
    let white = wire.get("/api/v3/user-list?userListType=WHITE&page=1&limit=50");
    let skip: Vec<&str> = white["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["limitList"]
                .as_array()
                .unwrap()
                .contains(&json!("SKIP_MFA"))
        })
        .map(|e| e["userId"].as_str().unwrap())
        .collect();
    assert_eq!(
        skip,
        ["user-000005", "user-000042", "user-000123", "user-000777"]
    );
    let ips = wire.get("/api/v3/ip-list?ipType=WHITE&page=1&limit=50");
    assert_eq!(field(&ips, "ip"), ["10.0.0.0/8"]);
    assert_eq!(ips["data"]["list"][0]["limitList"], json!(["SKIP_MFA"]));
    let admins = wire.get("/api/v3/list-role-members?code=admin&page=1&limit=50");
    assert_eq!(field(&admins, "userId").len(), 4);
    let billing =
        wire.get("/api/v3/list-role-members?code=billing-admin&namespace=billing&page=1&limit=50");
    assert_eq!(field(&billing, "userId"), ["user-000003", "user-000100"]);
    let organizations = wire.get("/api/v3/list-organizations?page=1&limit=50");
    assert_eq!(field(&organizations, "organizationCode"), ["acme", "labs"]);
    let acme = wire.get("/api/v3/get-all-departments?organizationCode=acme");
    // Three levels: Engineering > Platform > SRE.
    assert_eq!(
        field(&acme, "parentDepartmentId")[..3],
        ["acme-root", "eng", "platform"]
    );
    let users = wire.list_users(
        &json!({"options": {"pagination": {"page": 1, "limit": 6}, "withDepartmentIds": true}}),
    );
    let ids: Vec<&Value> = users["data"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["departmentIds"])
        .collect();
    assert_eq!(
        ids,
        [
            &json!(["platform"]),
            &json!(["sre"]),
            &json!(["mobile"]),
            &json!(["sales-emea"]),
            &json!(["sales", "research"]),
            &json!([]),
        ]
    );
}
