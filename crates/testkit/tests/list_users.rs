//! `list_users` against a local mockito server: what each page request
//! carries, pagination to the end, the filter and the sort, a failing page,
//! and a pool that changes while it is listed. (The listing cases the
//! crate's fake can serve are in `crates/genauth-mfa/tests/list_users.rs`.)

use common::*;
use genauth_mfa::{Error, SortField, SortOrder, UserStatus};
use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;
use mockito::{Matcher, Server};
use serde_json::json;

fn user(i: usize) -> serde_json::Value {
    json!({"userId": format!("u{i}"), "status": "Activated", "createdAt": "2024-01-01T00:00:00Z",
           "email": format!("user{i}@example.com"), "department": "sales"})
}

fn page_body(total: usize, users: std::ops::Range<usize>) -> String {
    let list: Vec<_> = users.map(user).collect();
    json!({"statusCode": 200, "message": "ok", "requestId": "r",
           "data": {"totalCount": total, "list": list}})
    .to_string()
}

fn page_request(page: u32, limit: u32) -> Matcher {
    Matcher::PartialJson(json!({"options": {"pagination": {"page": page, "limit": limit}}}))
}

#[test]
fn every_page_is_fetched_in_order_until_the_count_is_reached() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let mut pages = Vec::new();
    for (page, range) in [(1, 0..50), (2, 50..100), (3, 100..120)] {
        pages.push(
            server
                .mock("POST", "/api/v3/list-users")
                .match_header("authorization", format!("Bearer {T1}").as_str())
                .match_header("x-genauth-userpool-id", POOL)
                .match_header("content-type", "application/json")
                .match_body(Matcher::AllOf(vec![
                    page_request(page, 50),
                    Matcher::PartialJson(
                        json!({"options": {"sort": [{"field": "createdAt", "order": "asc"}]}}),
                    ),
                ]))
                .with_body(page_body(120, range))
                .expect(1)
                .create(),
        );
    }
    let client = mgmt_client(&server);
    let mut users = client.list_users().into_iter();
    let ids: Vec<String> = users.by_ref().map(|u| u.unwrap().user_id).collect();
    assert_eq!(ids.len(), 120);
    assert_eq!(ids[0], "u0");
    assert_eq!(ids[119], "u119");
    assert_eq!(users.first_total_count(), Some(120));
    assert!(!users.pool_changed());
    for p in pages {
        p.assert();
    }
}

#[test]
fn the_filter_sort_and_page_size_go_over_the_wire_and_unknown_fields_are_kept() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let list = server
        .mock("POST", "/api/v3/list-users")
        .match_body(Matcher::Json(json!({
            "keywords": "sales",
            "advancedFilter": [{"field": "status", "operator": "EQUAL", "value": "Suspended"}],
            "options": {"pagination": {"page": 1, "limit": 10},
                        "sort": [{"field": "lastLogin", "order": "desc"}]}
        })))
        // (The users of a status filter have that status.)
        .with_body(page_body(1, 0..1).replace(r#""status":"Activated""#, r#""status":"Suspended""#))
        .expect(1)
        .create();
    let client = mgmt_client(&server);
    let users: Vec<_> = client
        .list_users()
        .status(UserStatus::Suspended)
        .keywords("sales")
        .sort(SortField::LastLogin, SortOrder::Desc)
        .page_size(10)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email.as_deref(), Some("user0@example.com"));
    assert_eq!(users[0].extra["department"], "sales");
    list.assert();
    // Out of range sizes are refused before anything is sent.
    for size in [0, 51] {
        let err = client
            .list_users()
            .page_size(size)
            .into_iter()
            .next()
            .unwrap();
        assert!(
            matches!(
                err,
                Err(Error::InvalidArgument {
                    name: "page_size",
                    ..
                })
            ),
            "{err:?}"
        );
    }
}

#[test]
fn a_page_that_fails_is_retried_and_an_error_ends_the_iteration() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _p1 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(1, 50))
        .with_body(page_body(100, 0..50))
        .create();
    // Page 2: a gateway error, then the answer: retried (a read is safe to repeat).
    let flaky = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(2, 50))
        .with_status(502)
        .with_body("<html>bad gateway</html>")
        .expect(1)
        .create();
    let _p2 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(2, 50))
        .with_body(page_body(100, 50..100))
        .create();
    let client = mgmt_client(&server);
    assert_eq!(
        client
            .list_users()
            .into_iter()
            .filter(Result::is_ok)
            .count(),
        100
    );
    flaky.assert();

    // A refusal is not retried, ends the iteration, and is the last item.
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _p1 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(1, 50))
        .with_body(page_body(100, 0..50))
        .create();
    let refused = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(2, 50))
        .with_body(
            r#"{"statusCode":403,"apiCode":2010,"message":"no permission","requestId":"r-2"}"#,
        )
        .expect(1)
        .create();
    let client = mgmt_client(&server);
    let items: Vec<_> = client.list_users().into_iter().collect();
    assert_eq!(items.len(), 51);
    let err = items[50].as_ref().unwrap_err();
    assert_eq!(
        (err.status_code(), err.request_id()),
        (Some(403), Some("r-2"))
    );
    refused.assert();
}

#[test]
fn a_pool_that_changes_while_it_is_listed_is_noticed() {
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let _p1 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(1, 50))
        .with_body(page_body(60, 0..50))
        .create();
    // A user was deleted meanwhile: page 2 says 59 and holds 9.
    let _p2 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(2, 50))
        .with_body(page_body(59, 50..59))
        .create();
    // The count moved: the listing goes on to an empty page to end.
    let p3 = server
        .mock("POST", "/api/v3/list-users")
        .match_body(page_request(3, 50))
        .with_body(page_body(59, 0..0))
        .expect(1)
        .create();
    let client = mgmt_client(&server);
    let mut users = client.list_users().into_iter();
    assert_eq!(users.by_ref().take(59).filter(Result::is_ok).count(), 59);
    // A count that fell: a user deleted from page 1 would have moved one
    // of page 2 back into it, unlisted. Not proven whole.
    let last = users.next();
    assert!(
        matches!(&last, Some(Err(genauth_mfa::Error::IncompleteListing { reason, .. }))
            if reason.contains("count fell from 60 to 59")),
        "{last:?}"
    );
    assert!(users.next().is_none());
    assert_eq!(
        (users.first_total_count(), users.last_total_count()),
        (Some(60), Some(59))
    );
    assert!(users.pool_changed());
    p3.assert();

    // An empty pool: one request, nothing listed, nothing changed.
    let mut server = Server::new();
    let _t = mock_token(&mut server, T1).create();
    let empty = server
        .mock("POST", "/api/v3/list-users")
        .with_body(page_body(0, 0..0))
        .expect(1)
        .create();
    let client = mgmt_client(&server);
    let mut users = client.list_users().into_iter();
    assert!(users.next().is_none());
    assert!(!users.pool_changed());
    empty.assert();
}
