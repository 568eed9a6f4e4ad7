//! `genauth-mfa audit --all-users --by department` over real HTTP on
//! 127.0.0.1 (the fake served on loopback): the organisations and their
//! departments read before the first user, list-users asked for department
//! ids, each row's departments as name paths, and the summary's
//! byDepartment, each department counting its sub-departments' users once;
//! a refused read leaves byDepartment null with one warning and the audit
//! goes on.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::cli_support::*;

use std::collections::HashMap;

use genauth_mfa::{MfaStatus, UserMfaInfo};
use genauth_mfa_fake::{Failure, FakeGenAuth, FakeServer, Organization, PoolUser, Route};
use serde_json::{Value, json};

/// Acme: Engineering > Platform > SRE, Engineering > Web, Sales; Labs:
/// Research. Users: in SRE and Web (two sub-departments of Engineering),
/// in Platform, in Sales and Research (two organisations), in none.
fn pool() -> FakeGenAuth {
    let fake = FakeGenAuth::new()
        .with_organization(
            Organization::new("acme", "Acme")
                .department("eng", "Engineering", None)
                .department("platform", "Platform", Some("eng"))
                .department("sre", "SRE", Some("platform"))
                .department("web", "Web", Some("eng"))
                .department("sales", "Sales", None),
        )
        .with_organization(
            Organization::new("labs", "Labs").department("research", "Research", None),
        );
    let totp = || UserMfaInfo::new().totp(MfaStatus::Enabled);
    fake.add_pool_user(PoolUser::new("u-two").mfa(totp()));
    fake.add_pool_user(PoolUser::new("u-platform"));
    fake.add_pool_user(PoolUser::new("u-orgs").mfa(totp()));
    fake.add_pool_user(PoolUser::new("u-none"));
    fake.add_pool_user(PoolUser::new("u-none-mfa").mfa(totp()));
    fake.with_user_departments("u-two", ["sre", "web"])
        .with_user_departments("u-platform", ["platform"])
        .with_user_departments("u-orgs", ["sales", "research"])
}

fn serve(fake: &FakeGenAuth) -> FakeServer {
    fake.serve().unwrap()
}

fn by_id(rows: &[Value]) -> HashMap<String, Value> {
    rows.iter()
        .map(|r| (r["userId"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

fn audit(server: &FakeServer, extra: &[&str], summary: &std::path::Path) -> std::process::Output {
    let mut args = vec!["audit", "--all-users", "--by", "department", "--summary"];
    args.push(summary.to_str().unwrap());
    args.extend(extra);
    run(against_url(&server.url()).args(args), b"")
}

#[test]
fn departments_three_levels_deep_count_each_user_once_per_department() {
    let fake = pool();
    let server = serve(&fake);
    let summary = temp_path("summary.json");
    let output = audit(&server, &[], &summary);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let rows = by_id(&json_rows(&output));
    assert_eq!(rows.len(), 5, "{err}");
    assert_eq!(
        rows["u-two"]["departments"],
        json!([
            "Acme / Engineering / Platform / SRE",
            "Acme / Engineering / Web"
        ])
    );
    assert_eq!(
        rows["u-orgs"]["departments"],
        json!(["Acme / Sales", "Labs / Research"])
    );
    assert_eq!(rows["u-none"]["departments"], json!([]));
    let json: Value = serde_json::from_slice(&std::fs::read(&*summary).unwrap()).unwrap();
    let by = &json["byDepartment"];
    let fig = |users: u64, without: u64, coverage: Value| json!({"users": users, "withoutEffectiveMfa": without, "coverage": coverage});
    // u-two is in two of Engineering's sub-departments: once for it.
    assert_eq!(by["Acme / Engineering"], fig(2, 1, json!(0.5)), "{by}");
    assert_eq!(by["Acme / Engineering / Platform"], fig(2, 1, json!(0.5)));
    assert_eq!(
        by["Acme / Engineering / Platform / SRE"],
        fig(1, 0, json!(1.0))
    );
    assert_eq!(by["Acme / Engineering / Web"], fig(1, 0, json!(1.0)));
    assert_eq!(by["Acme"], fig(3, 1, json!(0.6667)));
    assert_eq!(by["Labs / Research"], fig(1, 0, json!(1.0)));
    assert_eq!(by["(none)"], fig(2, 1, json!(0.5)));
    assert_eq!(by.as_object().unwrap().len(), 9, "{by}");
    assert!(
        err.contains("by department: 9 of 9 departments have users"),
        "{err}"
    );
    // The existing keys keep their meaning.
    assert_eq!(json["withoutMfa"], 2);
    // Read before the first user: the organisations (one page), each one's
    // departments, then list-users asking for department ids.
    let requests = fake.requests();
    let routes: Vec<Route> = requests.iter().filter_map(|r| r.route()).collect();
    let first_user = routes
        .iter()
        .position(|r| *r == Route::GetUserMfaInfo)
        .unwrap();
    let before = &routes[..first_user];
    assert_eq!(
        before
            .iter()
            .filter(|r| **r == Route::ListOrganizations)
            .count(),
        1
    );
    assert_eq!(
        before
            .iter()
            .filter(|r| **r == Route::GetAllDepartments)
            .count(),
        2
    );
    let list = requests
        .iter()
        .find(|r| r.route() == Some(Route::ListUsers))
        .unwrap();
    let body: Value = serde_json::from_slice(list.body()).unwrap();
    assert_eq!(body["options"]["withDepartmentIds"], true, "{body}");
}

#[test]
fn the_departments_column_joins_paths_in_csv() {
    let fake = pool();
    let server = serve(&fake);
    let summary = temp_path("summary.json");
    let output = audit(&server, &["--format", "csv"], &summary);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines = lines(&output);
    assert!(
        lines[0].ends_with(",user_id_type,effective_mfa,skip_mfa,admin,departments"),
        "{}",
        lines[0]
    );
    let two = lines.iter().find(|l| l.starts_with("u-two,")).unwrap();
    assert!(
        two.ends_with(
            ",user_id,true,false,,Acme / Engineering / Platform / SRE; Acme / Engineering / Web"
        ),
        "{two}"
    );
    let none = lines.iter().find(|l| l.starts_with("u-none,")).unwrap();
    assert!(none.ends_with(",user_id,false,false,,"), "{none}");
}

#[test]
fn a_refused_department_read_leaves_by_department_null_and_the_audit_goes_on() {
    for (route, status) in [
        (Route::GetAllDepartments, 403),
        (Route::ListOrganizations, 402),
    ] {
        let fake = pool();
        fake.fail_always(route, Failure::api(status, None, "no permission"));
        let server = serve(&fake);
        let summary = temp_path("summary.json");
        let output = audit(&server, &["--require", "any"], &summary);
        let err = stderr(&output);
        // Two users without MFA: the policy still judges everyone.
        assert_eq!(output.status.code(), Some(3), "{route:?}: {err}");
        let rows = json_rows(&output);
        assert_eq!(rows.len(), 5, "{err}");
        for row in &rows {
            assert_eq!(row["departments"], Value::Null, "{row}");
        }
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
        assert_eq!(warnings.len(), 1, "{err}");
        assert!(
            warnings[0].contains("the departments are unknown (the access key may not read them"),
            "{err}"
        );
        let json: Value = serde_json::from_slice(&std::fs::read(&*summary).unwrap()).unwrap();
        assert_eq!(json["byDepartment"], Value::Null);
        assert_eq!(json["complete"], true);
        assert_eq!(json["users"], 5);
        assert!(!err.contains("by department:"), "{err}");
    }
}

#[test]
fn by_department_needs_all_users() {
    let fake = pool();
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--by", "department"]),
        b"u-two\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--all-users"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fake.requests().len(), 0);
}

/// `--by department` and `--status` with a FILE, `--user-id-type` or
/// `--no-comments` (which `--all-users` cannot go with) are usage errors
/// too, before any request: a file audit does not slice by department or
/// filter by status, so the option would be silently ignored.
#[test]
fn by_department_and_status_need_all_users_even_beside_a_file_or_an_id_type() {
    let fake = pool();
    let server = serve(&fake);
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "u-two\n").unwrap();
    let ids = ids.to_str().unwrap();
    for (option, value) in [("--by", "department"), ("--status", "Suspended")] {
        for extra in [
            vec![ids],
            vec!["-"],
            vec![],
            vec!["--user-id-type", "email"],
            vec!["--no-comments"],
        ] {
            let mut args = vec!["audit", option, value];
            args.extend(&extra);
            let output = run(against_url(&server.url()).args(&args), b"u-two\n");
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
            assert!(
                err.contains(&format!("{option} ")) && err.contains("it needs --all-users"),
                "{args:?}: {err}"
            );
            assert!(output.stdout.is_empty(), "{args:?}");
        }
    }
    assert_eq!(fake.requests().len(), 0);
}

#[test]
fn without_by_department_nothing_changes() {
    let fake = pool();
    let server = serve(&fake);
    let output = run(
        against_url(&server.url()).args(["audit", "--all-users"]),
        b"",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for row in json_rows(&output) {
        assert!(
            !row.as_object().unwrap().contains_key("departments"),
            "{row}"
        );
    }
    let routes: Vec<Route> = fake.requests().iter().filter_map(|r| r.route()).collect();
    assert!(!routes.contains(&Route::ListOrganizations), "{routes:?}");
    assert!(!routes.contains(&Route::GetAllDepartments));
}

/// A list-users that ignores `withDepartmentIds` (its users carry no
/// `departmentIds` at all) has not said that they are in no department:
/// their `departments` cell is null (unknown), not `[]`, and
/// byDepartment does not count them under `(none)`.
#[test]
fn users_listed_without_department_ids_are_not_counted_in_no_department() {
    let server = HttpServer::start(|target| {
        let ok = |data: &str| {
            format!(r#"{{"statusCode":200,"message":"ok","requestId":"r","data":{data}}}"#)
        };
        token_or_user(target, |target| {
            if target.starts_with("/api/v3/list-organizations") {
                ok(
                    r#"{"totalCount":1,"list":[{"organizationCode":"acme","organizationName":"Acme","departmentId":"acme-root"}]}"#,
                )
            } else if target.starts_with("/api/v3/get-all-departments") {
                ok(
                    r#"{"list":[{"departmentId":"eng","name":"Engineering","parentDepartmentId":"acme-root"}]}"#,
                )
            } else if target.starts_with("/api/v3/list-users") {
                // withDepartmentIds asked, not honoured: no departmentIds.
                ok(
                    r#"{"totalCount":2,"list":[{"userId":"u1","status":"Activated"},{"userId":"u2","status":"Activated"}]}"#,
                )
            } else {
                genauth_mfa_testkit::common::SAMPLE_MFA_INFO.to_owned()
            }
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let output = run(
        against_url(&server.url).args([
            "audit",
            "--all-users",
            "--by",
            "department",
            "--summary",
            summary.to_str().unwrap(),
        ]),
        b"",
    );
    let err = stderr(&output);
    let rows = json_rows(&output);
    assert_eq!(rows.len(), 2, "{err}");
    for row in &rows {
        assert_eq!(row["departments"], Value::Null, "{row}: {err}");
    }
    let json: Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let none = &json["byDepartment"]["(none)"]["users"];
    assert!(
        none.is_null() || none == 0,
        "users whose departments were never sent counted in no department: {}",
        json["byDepartment"]
    );
}
