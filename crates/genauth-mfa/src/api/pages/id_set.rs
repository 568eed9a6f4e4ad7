//! The ids a listing has seen, 8 bytes an id.

/// A set of ids as 64-bit hashes with keys of this process, 8 bytes an id
/// (plus a recent part of up to a 32nd of them, or 4,096): a sorted
/// vector, and the ids added since it was last merged into it.
#[derive(Debug, Default)]
pub(crate) struct IdSet {
    keys: std::hash::RandomState,
    pub(super) sorted: Vec<u64>,
    recent: std::collections::HashSet<u64>,
}

impl IdSet {
    /// Merges `recent` into `sorted` once it holds this many, or a 32nd of
    /// `sorted` (each merge moves every id: merging in fixed steps would
    /// cost a time quadratic in the pool).
    const MIN_RECENT: usize = 4096;

    pub(crate) fn len(&self) -> u64 {
        (self.sorted.len() + self.recent.len()) as u64
    }

    /// Adds `id`; whether it was not there.
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        use std::hash::BuildHasher;
        let hash = self.keys.hash_one(id);
        if self.sorted.binary_search(&hash).is_ok() || !self.recent.insert(hash) {
            return false;
        }
        if self.recent.len() >= Self::MIN_RECENT.max(self.sorted.len() / 32) {
            self.merge();
        }
        true
    }

    /// Moves `recent` into `sorted`, merging from the back in place.
    fn merge(&mut self) {
        let mut recent: Vec<u64> = self.recent.drain().collect();
        recent.sort_unstable();
        let mut i = self.sorted.len();
        let mut j = recent.len();
        self.sorted.resize(i + j, 0);
        let mut k = self.sorted.len();
        while j > 0 {
            k -= 1;
            if i > 0 && self.sorted[i - 1] > recent[j - 1] {
                self.sorted[k] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k] = recent[j - 1];
                j -= 1;
            }
        }
        self.recent.shrink_to(Self::MIN_RECENT);
    }
}
