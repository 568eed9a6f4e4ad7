//! `list_users` against a local mockito server: what each page request
//! carries, pagination to the end, the filter and the sort, a failing page,
//! and a pool that changes while it is listed.

use genauth_mfa_mocks::*;
use genauth_mfa_testkit::common;

use common::*;
use genauth_mfa::{Error, SortField, SortOrder, UserStatus};
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

/// A client of the crate's fake served on 127.0.0.1.
fn fake_client(server: &genauth_mfa_fake::FakeServer) -> genauth_mfa::ManagementClient {
    genauth_mfa::ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host(server.url())
        .build()
        .unwrap()
}

#[test]
fn one_odd_field_in_one_user_is_kept_as_text_and_blocks_nothing() {
    use genauth_mfa_fake::{FakeGenAuth, PoolUser};
    let fake = FakeGenAuth::new()
        .with_generated_pool(3)
        .with_pool_user(
            PoolUser::new("u-odd")
                .field("phone", 13_800_000_000_u64)
                .field("lastLogin", 1_700_000_000_123_u64)
                .field("lastMfaTime", 1_700_000_000_u64)
                .field("username", true)
                .field("email", json!({"primary": "a@example.com"}))
                .field("phoneCountryCode", 86)
                .field("externalId", 1.5)
                .field("loginsCount", "7"),
        )
        .with_pool_user(PoolUser::new("u-plain").email("b@example.com"));
    let server = fake.serve().unwrap();
    let users: Vec<_> = fake_client(&server)
        .list_users()
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(users.len(), 5);
    let odd = users.iter().find(|u| u.user_id == "u-odd").unwrap();
    assert_eq!(odd.phone.as_deref(), Some("13800000000"));
    // Epoch milliseconds in a time field: ISO 8601 in UTC.
    assert_eq!(odd.last_login.as_deref(), Some("2023-11-14T22:13:20.123Z"));
    // A number too small for milliseconds: kept as its decimal text.
    assert_eq!(odd.last_mfa_time.as_deref(), Some("1700000000"));
    assert_eq!(odd.username.as_deref(), Some("true"));
    assert_eq!(odd.email.as_deref(), Some(r#"{"primary":"a@example.com"}"#));
    assert_eq!(odd.phone_country_code.as_deref(), Some("86"));
    assert_eq!(odd.external_id.as_deref(), Some("1.5"));
    assert_eq!(odd.logins_count, Some(7));
    assert_eq!(
        odd.coerced_fields(),
        [
            "username",
            "email",
            "phone",
            "phoneCountryCode",
            "externalId",
            "lastLogin",
            "lastMfaTime"
        ]
    );
    let plain = users.iter().find(|u| u.user_id == "u-plain").unwrap();
    assert!(plain.coerced_fields().is_empty());
    assert_eq!(plain.email.as_deref(), Some("b@example.com"));
    assert!(users[0].coerced_fields().is_empty(), "{:?}", users[0]);
}

#[test]
fn a_user_without_a_status_has_an_unknown_status_never_activated() {
    use genauth_mfa_fake::{FakeGenAuth, PoolUser};
    let fake = FakeGenAuth::new()
        .with_pool_user(PoolUser::new("u-null").status_json(serde_json::Value::Null))
        .with_pool_user(PoolUser::new("u-absent").without_status())
        .with_pool_user(PoolUser::new("u-number").status_json(3))
        .with_pool_user(PoolUser::new("u-active"));
    let server = fake.serve().unwrap();
    let users: Vec<_> = fake_client(&server)
        .list_users()
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let status = |id: &str| {
        users
            .iter()
            .find(|u| u.user_id == id)
            .unwrap()
            .status
            .clone()
    };
    assert_eq!(status("u-null"), None);
    assert_eq!(status("u-absent"), None);
    assert_eq!(status("u-number"), Some(UserStatus::Other("3".into())));
    assert_eq!(status("u-active"), Some(UserStatus::Activated));
    // Written back as the server sent it: null, not "Activated".
    let null = users.iter().find(|u| u.user_id == "u-null").unwrap();
    assert_eq!(serde_json::to_value(null).unwrap()["status"], json!(null));
}

// ---- completeness is proven, never assumed: pages that lie ----

/// Every item of the listing of `fake` (at most `bound`), the distinct
/// user ids among them, and the error that ended it, if one did.
fn list_all(
    fake: &genauth_mfa_fake::FakeGenAuth,
    bound: usize,
) -> (usize, std::collections::HashSet<String>, Option<Error>) {
    let server = fake.serve().unwrap();
    let client = fake_client(&server);
    let mut items = 0;
    let mut ids = std::collections::HashSet::new();
    let mut error = None;
    for item in client.list_users().into_iter().take(bound) {
        items += 1;
        match item {
            Ok(user) => {
                ids.insert(user.user_id);
            }
            Err(e) => error = Some(e),
        }
    }
    (items, ids, error)
}

fn list_pages(fake: &genauth_mfa_fake::FakeGenAuth) -> usize {
    fake.count(genauth_mfa_fake::Route::ListUsers)
}

#[test]
fn a_short_page_is_not_the_end_of_the_listing() {
    use genauth_mfa_fake::{FakeGenAuth, Paging};
    // The server pages by 10 whatever the client asks: every page is short.
    let fake = FakeGenAuth::new()
        .with_generated_pool(100)
        .with_paging(Paging::honest().page_size(10));
    let (items, ids, error) = list_all(&fake, 10_000);
    assert!(error.is_none(), "{error:?}");
    assert_eq!((items, ids.len()), (100, 100));
    // Ten pages: the tenth brings the distinct users to totalCount.
    assert_eq!(list_pages(&fake), 10);
}

#[test]
fn a_server_that_ignores_the_page_number_ends_the_listing_with_an_error() {
    use genauth_mfa_fake::{FakeGenAuth, Paging};
    for paging in [
        Paging::honest().ignore_page_number(),
        Paging::honest().ignore_page_number().without_total_count(),
    ] {
        let fake = FakeGenAuth::new()
            .with_generated_pool(120)
            .with_paging(paging.clone());
        let (_, ids, error) = list_all(&fake, 10_000);
        let error = error.unwrap_or_else(|| panic!("{paging:?}: no error"));
        assert_eq!(error.kind(), "incomplete_listing", "{error}");
        let text = error.to_string();
        assert!(text.contains("ignored the page number"), "{text}");
        assert!(!text.contains("  "), "{text}");
        assert_eq!(ids.len(), 50);
        // Page 1, then three pages in a row that bring nobody new.
        assert_eq!(list_pages(&fake), 4, "{paging:?}");
    }
}

#[test]
fn without_a_total_count_the_listing_is_not_proven_complete() {
    use genauth_mfa_fake::{FakeGenAuth, Paging};
    let fake = FakeGenAuth::new()
        .with_generated_pool(120)
        .with_paging(Paging::honest().without_total_count());
    let (items, ids, error) = list_all(&fake, 10_000);
    // Every user, up to the empty page; then an error: nothing proves
    // that was everyone.
    assert_eq!((items, ids.len()), (121, 120));
    let error = error.expect("an error");
    assert_eq!(error.kind(), "incomplete_listing", "{error}");
    assert!(error.to_string().contains("totalCount"), "{error}");
    assert_eq!(list_pages(&fake), 4);
}

#[test]
fn users_missing_from_the_pages_end_the_listing_with_an_error() {
    use genauth_mfa_fake::{FakeGenAuth, Paging, PoolChange, PoolUser};
    // One user counted but never listed; five counted that do not exist.
    for (paging, listed, counted) in [
        (Paging::honest().hide_user("user-000042"), 99, 100),
        (Paging::honest().miscount(5), 100, 105),
        // Five fewer counted than listed: the page that passes the count
        // shows it (a count short by a whole page would not show).
        (Paging::honest().miscount(-5), 100, 95),
    ] {
        let fake = FakeGenAuth::new()
            .with_generated_pool(100)
            .with_paging(paging);
        let (_, ids, error) = list_all(&fake, 10_000);
        assert_eq!(ids.len(), listed);
        let error = error.expect("an error");
        assert_eq!(error.kind(), "incomplete_listing", "{error}");
        let want = format!("listed {listed} distinct users but the server counted {counted}");
        assert!(error.to_string().contains(&want), "{error}");
    }
    // A pool that grew by one explains one user more, not twenty fewer.
    let fake = FakeGenAuth::new().with_generated_pool(100).with_paging(
        (0..20).fold(Paging::honest(), |p, i| {
            p.hide_user(&format!("user-{:06}", 60 + i))
        }),
    );
    fake.change_pool_after_page(1, PoolChange::Add(PoolUser::new("newcomer")));
    let (_, ids, error) = list_all(&fake, 10_000);
    assert_eq!(ids.len(), 81);
    let error = error.expect("an error");
    assert!(
        error
            .to_string()
            .contains("listed 81 distinct users but the server counted 101"),
        "{error}"
    );
}

#[test]
fn repeated_users_are_yielded_and_the_listing_ends_when_every_user_is_seen() {
    use genauth_mfa_fake::{FakeGenAuth, Paging};
    // Each page starts with the last five users of the page before.
    let fake = FakeGenAuth::new()
        .with_generated_pool(120)
        .with_paging(Paging::honest().overlap(5));
    let (items, ids, error) = list_all(&fake, 10_000);
    assert!(error.is_none(), "{error:?}");
    assert_eq!((items, ids.len()), (130, 120));
    assert_eq!(list_pages(&fake), 3);
}
