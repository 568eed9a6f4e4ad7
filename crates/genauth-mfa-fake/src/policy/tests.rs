//! Unit tests of the fake's pool policy.

use super::*;

#[test]
fn pages_are_cut_from_1_and_empty_past_the_end() {
    assert_eq!(page_range(105, 1, 50), 0..50);
    assert_eq!(page_range(105, 3, 50), 100..105);
    assert_eq!(page_range(105, 4, 50), 105..105);
    assert_eq!(page_range(105, u64::MAX, u64::MAX), 105..105);
    assert_eq!(page_range(0, 1, 10), 0..0);
}

#[test]
fn a_cycle_of_departments_is_not_followed_for_ever() {
    let org = Organization::new("o", "O")
        .department("a", "A", Some("b"))
        .department("b", "B", Some("a"));
    assert!(!org.is_below("a", "o-root"));
    assert!(org.is_below("a", "b"));
    let data = org.departments_json("root", &|_| 0).unwrap();
    assert_eq!(data["list"].as_array().unwrap().len(), 2);
}
