//! Unit tests of the list-users answer types.

use crate::model::page::UserPage;
use crate::model::user::{User, UserStatus};

#[test]
fn users_keep_unknown_fields_and_read_odd_values() {
    let page: UserPage = serde_json::from_str(
        r#"{"totalCount":"2","list":[
            {"userId":"u1","status":"Suspended","loginsCount":"7","email":null,"gender":"F",
             "customData":{"dept":"x"},"createdAt":"2024-01-01T00:00:00Z"},
            {"userId":"u2","status":"Locked"}]}"#,
    )
    .unwrap();
    assert_eq!(page.total_count, 2);
    let u = &page.users[0];
    assert_eq!(u.status, Some(UserStatus::Suspended));
    assert_eq!(u.logins_count, Some(7));
    assert_eq!(u.email, None);
    assert_eq!(u.extra["gender"], "F");
    assert_eq!(u.extra["customData"]["dept"], "x");
    assert_eq!(
        page.users[1].status,
        Some(UserStatus::Other("Locked".into()))
    );
    let again: User = serde_json::from_value(serde_json::to_value(u).unwrap()).unwrap();
    assert_eq!(&again, u);
    let empty: UserPage = serde_json::from_str(r#"{"totalCount":0,"list":null}"#).unwrap();
    assert!(empty.users.is_empty());
}
