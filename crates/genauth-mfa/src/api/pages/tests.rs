//! Unit tests of the paging tally and the id set.

use super::*;

#[test]
fn the_id_set_counts_each_id_once_across_merges() {
    let mut set = IdSet::default();
    for i in 0..20_000 {
        assert!(set.insert(&format!("u{i}")), "{i}");
    }
    assert!(set.sorted.len() >= 15_000, "{}", set.sorted.len());
    assert!(set.sorted.windows(2).all(|w| w[0] < w[1]));
    for i in (0..20_000).step_by(7) {
        assert!(!set.insert(&format!("u{i}")), "{i}");
    }
    assert!(set.insert("new"));
    assert_eq!(set.len(), 20_001);
}

#[test]
fn a_tally_ends_whole_only_when_the_count_is_met() {
    let mut tally = Tally::new(("entries", "entry"));
    tally.count(Some(2));
    let new = u64::from(tally.insert("a")) + u64::from(tally.insert("b"));
    assert!(matches!(tally.after_page(1, 2, new), Step::End(None)));
    let mut tally = Tally::new(("entries", "entry"));
    assert!(matches!(tally.after_page(1, 0, 0), Step::End(Some(_))));
    let mut tally = Tally::new(("entries", "entry"));
    tally.count(Some(5));
    tally.insert("a");
    for page in 1..MAX_STALE_PAGES {
        assert!(matches!(tally.after_page(page, 1, 0), Step::More));
    }
    let Step::End(Some(err)) = tally.after_page(MAX_STALE_PAGES, 1, 0) else {
        panic!("stale pages must end the listing");
    };
    assert!(err.to_string().contains("entries already listed"), "{err}");
}
