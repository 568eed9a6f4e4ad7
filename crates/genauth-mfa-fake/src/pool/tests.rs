//! Unit tests of the fake's pool.

use super::*;

fn ids(page: &Value) -> Vec<&str> {
    page["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect()
}

fn listing(page: u64, limit: u64) -> Listing {
    Listing {
        page,
        limit,
        status: StatusFilter::Any,
        descending: false,
        with_department_ids: false,
    }
}

#[test]
fn a_generated_user_costs_16_bytes() {
    assert_eq!(std::mem::size_of::<Entry>(), 16);
    let mut pool = Pool::default();
    pool.generate(100_000);
    assert!(pool.order.capacity() < 100_100);
}

#[test]
fn times_are_iso_8601_in_utc() {
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(EPOCH), "2024-01-01T00:00:00.000Z");
    assert_eq!(iso8601(951_782_400 + 86_399), "2000-02-29T23:59:59.000Z");
}

#[test]
fn custom_users_sort_among_generated_ones_by_created_at() {
    let mut pool = Pool::default();
    pool.add(PoolUser::new("early").created_at("2023-06-01T00:00:00.000Z"));
    pool.generate(3);
    pool.add(PoolUser::new("between").created_at("2024-01-01T00:01:30.000Z"));
    pool.add(
        PoolUser::new("late")
            .field("status", "Archived")
            .field("extra", 1),
    );
    let page = pool.list(&listing(1, 10));
    assert_eq!(page["list"][5]["status"], "Activated"); // status() sets it, not field()
    assert_eq!(page["list"][5]["extra"], 1);
    assert_eq!(page["list"][5]["email"], Value::Null);
    assert_eq!(
        ids(&page),
        [
            "early",
            "user-000000",
            "user-000001",
            "between",
            "user-000002",
            "late"
        ]
    );
    assert_eq!(page["list"][5]["createdAt"], "2024-01-01T00:03:00.000Z");
    assert!(pool.remove("user-000001"));
    assert!(!pool.remove("user-000001"));
    assert!(pool.remove("between"));
    assert_eq!(
        ids(&pool.list(&listing(1, 10))),
        ["early", "user-000000", "user-000002", "late"]
    );
    assert_eq!(pool.mfa_of("user-000001", UserIdType::UserId), None);
    assert!(pool.mfa_of("user-000002", UserIdType::UserId).is_some());
    assert_eq!(pool.mfa_of("user-00002", UserIdType::UserId), None);
    assert_eq!(pool.mfa_of("user-000003", UserIdType::UserId), None);
}

#[test]
fn a_status_filter_and_descending_order_page_together() {
    let mut pool = Pool::default();
    pool.generate(100);
    let suspended = Listing {
        status: StatusFilter::Only("Suspended".into()),
        descending: true,
        ..listing(1, 3)
    };
    let page = pool.list(&suspended);
    assert_eq!(page["totalCount"], 5);
    assert_eq!(ids(&page), ["user-000087", "user-000067", "user-000047"]);
    let page = pool.list(&Listing {
        page: 2,
        ..suspended
    });
    assert_eq!(ids(&page), ["user-000027", "user-000007"]);
    let contradiction = Listing {
        status: StatusFilter::Nobody,
        ..listing(1, 10)
    };
    assert_eq!(pool.list(&contradiction)["totalCount"], 0);
    assert_eq!(pool.list(&listing(u64::MAX, 50))["list"], json!([]));
    for user in pool.list(&listing(1, 50))["list"].as_array().unwrap() {
        if user["lastLogin"].is_null() {
            assert!(user["lastMfaTime"].is_null(), "{user}");
        }
    }
}
