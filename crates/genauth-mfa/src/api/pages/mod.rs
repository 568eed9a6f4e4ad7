//! What every paginated listing shares: the tally that proves (or not) that
//! the pages listed everything the server counted ([`Tally`], used by
//! [`Users`](crate::Users) and [`Entries`]), the set of ids it keeps, and
//! [`Entries`], the iterator of the pool's lists other than its users
//! (user list, IP list, organisations).

mod entries;
mod fetch;
mod id_set;
#[cfg(test)]
mod tests;

pub(crate) use entries::PagedGet;
pub use entries::{Entries, MAX_LIST_PAGE_SIZE};
pub(crate) use fetch::{FetchedPage, fetch_page};
use id_set::IdSet;

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

/// A `totalCount` above this is more than any pool holds: a listing whose
/// latest count says so ends with [`Error::IncompleteListing`] after
/// [`MAX_UNCOUNTED_USERS`] distinct items, as one without a count (it
/// could not be proven whole either: its distinct items would have to
/// reach the count).
pub(crate) const MAX_PLAUSIBLE_COUNT: u64 = 1_000_000_000;

/// What a listing lists, in words: (plural, singular).
pub(crate) type Noun = (&'static str, &'static str);

/// What the pages of one listing said so far, and whether they prove that
/// it listed everything the server counted.
///
/// A listing ends on an empty page, or once its distinct items reach the
/// server's `totalCount` (when that count has not moved since the first
/// page). It is then whole when the distinct items match the last count
/// and that count never fell from one page to the next. It ends
/// incomplete after [`MAX_STALE_PAGES`] pages in a row that bring nothing
/// new, or when it runs away ([`MAX_GROWTH_SLACK`],
/// [`MAX_UNCOUNTED_USERS`], a count above [`MAX_PLAUSIBLE_COUNT`]): it
/// never pages for ever.
#[derive(Debug)]
pub(crate) struct Tally {
    noun: Noun,
    pub(crate) first_total: Option<u64>,
    pub(crate) last_total: Option<u64>,
    /// The first fall of the count between two pages: (before, after).
    fell: Option<(u64, u64)>,
    /// The items of the pages fetched so far.
    ids: IdSet,
    /// Pages in a row that brought no new item.
    stale: u32,
}

/// What a listing does after a page.
pub(crate) enum Step {
    /// Fetch the next page.
    More,
    /// The end: whole (`None`) or the error to yield last.
    End(Option<Error>),
}

impl Tally {
    pub(crate) fn new(noun: Noun) -> Tally {
        Tally {
            noun,
            first_total: None,
            last_total: None,
            fell: None,
            ids: IdSet::default(),
            stale: 0,
        }
    }

    /// The distinct items of the pages so far.
    pub(crate) fn distinct(&self) -> u64 {
        self.ids.len()
    }

    /// Whether `totalCount` moved between the first page and the latest.
    pub(crate) fn changed(&self) -> bool {
        match (self.first_total, self.last_total) {
            (Some(first), Some(last)) => first != last,
            _ => false,
        }
    }

    /// Takes a page's `totalCount` (when it had a readable one).
    pub(crate) fn count(&mut self, total: Option<u64>) {
        if let Some(total) = total {
            self.first_total.get_or_insert(total);
            if let Some(before) = self.last_total.filter(|before| total < *before) {
                self.fell.get_or_insert((before, total));
            }
            self.last_total = Some(total);
        }
    }

    /// Adds the item with this key; whether it is new.
    pub(crate) fn insert(&mut self, key: &str) -> bool {
        self.ids.insert(key)
    }

    /// An [`Error::IncompleteListing`] saying `reason`.
    pub(crate) fn incomplete(&self, reason: String) -> Error {
        Error::IncompleteListing {
            reason,
            distinct: self.ids.len(),
            total_count: self.last_total,
        }
    }

    /// After page `page` held `len` items, `new` of them new: go on, or
    /// end (whole or not).
    pub(crate) fn after_page(&mut self, page: u32, len: usize, new: u64) -> Step {
        let (plural, _) = self.noun;
        if len == 0 {
            // The end, as the server says: is it everything?
            return Step::End(self.verdict());
        }
        if new == 0 {
            self.stale += 1;
            if self.stale >= MAX_STALE_PAGES {
                return Step::End(Some(self.incomplete(format!(
                    "the server's pages ignored the page number: pages {} to {page} repeated \
                     {plural} already listed, after {} distinct {plural}{}",
                    page + 1 - self.stale,
                    self.ids.len(),
                    self.last_total
                        .map(|t| format!(" of the {t} it counted"))
                        .unwrap_or_default()
                ))));
            }
            return Step::More;
        }
        if let Some(reason) = self.runaway() {
            return Step::End(Some(self.incomplete(reason)));
        }
        self.stale = 0;
        // A count that moved since the first page may have been lowered by
        // one page only: the end is then an empty page.
        if !self.changed() && self.last_total.is_some_and(|total| self.ids.len() >= total) {
            return Step::End(self.verdict());
        }
        Step::More
    }

    /// The listing reached its end: whether what it listed matches what
    /// the server counted, as an error to yield when it does not.
    pub(crate) fn verdict(&self) -> Option<Error> {
        let (plural, singular) = self.noun;
        let distinct = self.ids.len();
        let Some(last) = self.last_total else {
            return Some(self.incomplete(format!(
                "the server sent no totalCount: {distinct} distinct {plural} were listed up to an \
                 empty page, and nothing says that is every {singular}"
            )));
        };
        let first = self.first_total.unwrap_or(last);
        // A count that fell between two pages: items were deleted while the
        // list was read. Offset pages cannot tell which: one deleted from a
        // page already read moves every later one back a place, and the one
        // that crosses into that page is never listed, while the counts may
        // still match. Not proven whole, whatever they say.
        if let Some((from, to)) = self.fell {
            let pool = if plural == "users" { "pool" } else { "list" };
            return Some(self.incomplete(format!(
                "the server's count fell from {from} to {to} between two pages ({first} at the \
                 start, {last} at the end, {distinct} distinct {plural} listed): a {singular} \
                 deleted while the {pool} is listed moves the later ones back a place, and one \
                 of them may not have been listed"
            )));
        }
        if distinct == last {
            return None;
        }
        let mut reason =
            format!("listed {distinct} distinct {plural} but the server counted {last}");
        if first != last {
            reason.push_str(&format!(" ({first} at the start)"));
        }
        if distinct < last {
            reason.push_str(&format!(": {plural} it counts were not listed"));
        }
        Some(self.incomplete(reason))
    }

    /// Why the listing must stop although pages still bring new items: a
    /// list that more than doubled since its first count, or one that
    /// never sent a count and passed [`MAX_UNCOUNTED_USERS`].
    fn runaway(&self) -> Option<String> {
        let (plural, _) = self.noun;
        let distinct = self.ids.len();
        match self.first_total {
            Some(first) if distinct > first.saturating_mul(2).saturating_add(MAX_GROWTH_SLACK) => {
                Some(format!(
                    "the server kept listing new {plural}: {distinct} distinct {plural} listed \
                     where its first page counted {first} (now {}); a listing that more than \
                     doubles is not followed further",
                    self.last_total
                        .map_or_else(|| "no count".to_owned(), |t| t.to_string())
                ))
            }
            Some(_)
                if distinct > MAX_UNCOUNTED_USERS
                    && self.last_total.is_some_and(|t| t > MAX_PLAUSIBLE_COUNT) =>
            {
                Some(format!(
                    "the server counted {} {plural}, more than any pool holds, and kept listing \
                     new {plural}: stopped after {distinct} distinct {plural}",
                    self.last_total.unwrap_or_default()
                ))
            }
            None if distinct > MAX_UNCOUNTED_USERS => Some(format!(
                "the server sent no totalCount and kept listing new {plural}: stopped after \
                 {distinct} distinct {plural}"
            )),
            _ => None,
        }
    }
}
