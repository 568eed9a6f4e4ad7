//! The proof that a listing listed every user: what [`Users`] checks at
//! its end (the distinct users against the server's count, a count that
//! fell), when it stops early (a server that keeps inventing users), and
//! the set of ids it counts distinct users with.

use super::Users;
use crate::error::Error;

/// How many pages in a row may bring no user not already listed before a
/// listing ends with [`Error::IncompleteListing`].
pub const MAX_STALE_PAGES: u32 = 3;

/// A listing ends with [`Error::IncompleteListing`] once its distinct users
/// pass twice the first page's `totalCount` and this many more: a server
/// that keeps inventing users (each page's count a little ahead of them)
/// is not followed for ever.
pub const MAX_GROWTH_SLACK: u64 = 10_000;

/// Without any `totalCount`, a listing ends with
/// [`Error::IncompleteListing`] after this many distinct users (it could
/// not be proven whole anyway).
pub const MAX_UNCOUNTED_USERS: u64 = 1_000_000;

impl Users<'_> {
    /// The listing reached its end: whether what it listed matches what
    /// the server counted, as an error to yield when it does not.
    pub(super) fn verdict(&self) -> Option<Error> {
        let distinct = self.ids.len();
        let incomplete = |reason: String| Error::IncompleteListing {
            reason,
            distinct,
            total_count: self.last_total,
        };
        let Some(last) = self.last_total else {
            return Some(incomplete(format!(
                "the server sent no totalCount: {distinct} distinct users were listed up to an \
                 empty page, and nothing says that is every user"
            )));
        };
        let first = self.first_total.unwrap_or(last);
        // A count that fell between two pages: users were deleted while the
        // pool was listed. Offset pages cannot tell which: one deleted from
        // a page already read moves every later user one place back, and
        // the user that crosses into that page is never listed, while the
        // counts may still match. Not proven whole, whatever they say.
        if let Some((from, to)) = self.fell {
            return Some(incomplete(format!(
                "the server's count fell from {from} to {to} between two pages ({first} at the \
                 start, {last} at the end, {distinct} distinct users listed): a user deleted \
                 while the pool is listed moves the later ones back a place, and one of them \
                 may not have been listed"
            )));
        }
        if distinct == last {
            return None;
        }
        let mut reason = format!("listed {distinct} distinct users but the server counted {last}");
        if first != last {
            reason.push_str(&format!(" ({first} at the start)"));
        }
        if distinct < last {
            reason.push_str(": users it counts were not listed");
        }
        Some(incomplete(reason))
    }

    /// Why the listing must stop although pages still bring new users: a
    /// pool that more than doubled since its first count, or one that
    /// never sent a count and passed [`MAX_UNCOUNTED_USERS`].
    pub(super) fn runaway(&self) -> Option<String> {
        let distinct = self.ids.len();
        match self.first_total {
            Some(first) if distinct > first.saturating_mul(2).saturating_add(MAX_GROWTH_SLACK) => {
                Some(format!(
                    "the server kept listing new users: {distinct} distinct users listed where \
                     its first page counted {first} (now {}); a listing that more than doubles \
                     is not followed further",
                    self.last_total
                        .map_or_else(|| "no count".to_owned(), |t| t.to_string())
                ))
            }
            None if distinct > MAX_UNCOUNTED_USERS => Some(format!(
                "the server sent no totalCount and kept listing new users: stopped after \
                 {distinct} distinct users"
            )),
            _ => None,
        }
    }
}

/// A set of user ids as 64-bit hashes with keys of this process, 8 bytes
/// an id (plus a recent part of up to a 32nd of them, or 4,096): a sorted
/// vector, and the ids added since it was last merged into it.
#[derive(Debug, Default)]
pub(super) struct IdSet {
    keys: std::hash::RandomState,
    pub(super) sorted: Vec<u64>,
    recent: std::collections::HashSet<u64>,
}

impl IdSet {
    /// Merges `recent` into `sorted` once it holds this many, or a 32nd of
    /// `sorted` (each merge moves every id: merging in fixed steps would
    /// cost a time quadratic in the pool).
    const MIN_RECENT: usize = 4096;

    pub(super) fn len(&self) -> u64 {
        (self.sorted.len() + self.recent.len()) as u64
    }

    /// Adds `id`; whether it was not there.
    pub(super) fn insert(&mut self, id: &str) -> bool {
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
