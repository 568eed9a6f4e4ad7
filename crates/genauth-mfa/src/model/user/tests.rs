use super::*;

#[test]
fn epoch_milliseconds_read_as_iso_8601() {
    assert_eq!(
        iso8601_millis(1_700_000_000_123).as_deref(),
        Some("2023-11-14T22:13:20.123Z")
    );
    assert_eq!(
        iso8601_millis(951_868_799_999).as_deref(),
        Some("2000-02-29T23:59:59.999Z")
    );
    assert_eq!(iso8601_millis(u64::MAX), None);
    let (text, odd) = as_text(Value::from(u64::MAX), true);
    assert_eq!((text.as_deref(), odd), (Some("18446744073709551615"), true));
    let (text, odd) = as_text(Value::from(-5), true);
    assert_eq!((text.as_deref(), odd), (Some("-5"), true));
}

#[test]
fn department_ids_are_read_leniently_and_written_only_when_known() {
    let user: User =
        serde_json::from_str(r#"{"userId":"u","departmentIds":["a",7,null],"mainDepartmentId":7}"#)
            .unwrap();
    assert_eq!(
        user.department_ids,
        Some(vec!["a".to_owned(), "7".to_owned()])
    );
    assert_eq!(user.main_department_id.as_deref(), Some("7"));
    assert_eq!(user.coerced_fields(), ["mainDepartmentId"]);
    assert!(!user.extra.contains_key("departmentIds"));
    let again: User = serde_json::from_value(serde_json::to_value(&user).unwrap()).unwrap();
    assert_eq!(again, user);
    let plain: User = serde_json::from_str(r#"{"userId":"u","departmentIds":null}"#).unwrap();
    assert_eq!(plain.department_ids, None);
    let written = serde_json::to_value(&plain).unwrap();
    assert!(written.get("departmentIds").is_none() && written.get("mainDepartmentId").is_none());
}

#[test]
fn a_user_written_and_read_back_is_equal() {
    let user: User =
        serde_json::from_str(r#"{"userId":7,"phone":1,"status":null,"x":[1]}"#).unwrap();
    assert_eq!(user.user_id, "7");
    assert_eq!(user.coerced_fields(), ["userId", "phone"]);
    let again: User = serde_json::from_value(serde_json::to_value(&user).unwrap()).unwrap();
    assert_eq!(again, user);
    assert!(again.coerced_fields().is_empty());
    let empty: User = serde_json::from_str("{}").unwrap();
    assert_eq!((empty.user_id.as_str(), empty.status), ("", None));
}

#[test]
fn statuses_parse_in_any_case() {
    for s in UserStatus::KNOWN {
        assert_eq!(s.as_str().to_lowercase().parse::<UserStatus>().unwrap(), s);
    }
}
