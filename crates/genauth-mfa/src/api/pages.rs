//! What every paginated listing shares: the tally that proves (or not) that
//! the pages listed everything the server counted ([`Tally`], used by
//! [`Users`](crate::Users) and [`Entries`]), the set of ids it keeps, and
//! [`Entries`], the iterator of the pool's lists other than its users
//! (user list, IP list, organisations).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::call::endpoint::Endpoint;
use crate::call::envelope::ObjectOnly;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::lenient::lenient_count;

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
/// [`MAX_UNCOUNTED_USERS`]): it never pages for ever.
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
            None if distinct > MAX_UNCOUNTED_USERS => Some(format!(
                "the server sent no totalCount and kept listing new {plural}: stopped after \
                 {distinct} distinct {plural}"
            )),
            _ => None,
        }
    }
}

/// A set of ids as 64-bit hashes with keys of this process, 8 bytes an id
/// (plus a recent part of up to a 32nd of them, or 4,096): a sorted
/// vector, and the ids added since it was last merged into it.
#[derive(Debug, Default)]
pub(crate) struct IdSet {
    keys: std::hash::RandomState,
    sorted: Vec<u64>,
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

/// A page as the server sent it: each part `None` when absent (a `null`
/// list is an empty one).
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub(crate) struct WirePage<T> {
    #[serde(rename = "totalCount", default, deserialize_with = "lenient_count")]
    pub(crate) total_count: Option<u64>,
    #[serde(rename = "list", default, deserialize_with = "present_list")]
    pub(crate) list: Option<Vec<T>>,
}

fn present_list<'de, D, T>(d: D) -> std::result::Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(Some(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default()))
}

/// A page read: its items, and its count when it had a readable one.
pub(crate) struct FetchedPage<T> {
    pub(crate) total_count: Option<u64>,
    pub(crate) list: Vec<T>,
}

/// Sends one page's request and reads its `data`; an answer that holds
/// neither `list` nor `totalCount` is a decode error (it must not read as
/// an empty list).
pub(crate) fn fetch_page<T: DeserializeOwned>(
    client: &ManagementClient,
    endpoint: &Endpoint<'_>,
) -> Result<FetchedPage<T>> {
    match client.send::<ObjectOnly<WirePage<T>>>(endpoint)?.0 {
        WirePage {
            total_count: None,
            list: None,
        } => Err(Error::decode(
            200,
            "the answer holds neither list nor totalCount",
            b"",
        )),
        WirePage { total_count, list } => Ok(FetchedPage {
            total_count,
            list: list.unwrap_or_default(),
        }),
    }
}

/// The most entries asked for in one page of the pool's lists: the
/// service's limit.
pub const MAX_LIST_PAGE_SIZE: u32 = 50;

/// One paginated GET: its path, its fixed query, its page size.
#[derive(Debug, Clone)]
pub(crate) struct PagedGet {
    pub(crate) path: &'static str,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) page_size: u32,
}

impl PagedGet {
    pub(crate) fn new(path: &'static str) -> PagedGet {
        PagedGet {
            path,
            query: Vec::new(),
            page_size: MAX_LIST_PAGE_SIZE,
        }
    }

    /// Fails with [`Error::InvalidArgument`] for a page size out of range.
    pub(crate) fn check(&self) -> Result<()> {
        if !(1..=MAX_LIST_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::invalid_argument(
                "page_size",
                format!("must be from 1 to {MAX_LIST_PAGE_SIZE}"),
            ));
        }
        Ok(())
    }

    /// Fetches page `page` (from 1).
    pub(crate) fn fetch<T: DeserializeOwned>(
        &self,
        client: &ManagementClient,
        page: u32,
    ) -> Result<FetchedPage<T>> {
        self.check()?;
        let (page, limit) = (page.to_string(), self.page_size.to_string());
        let mut endpoint = Endpoint::get(self.path);
        for (name, value) in &self.query {
            endpoint = endpoint.query(name, value);
        }
        // A read: safe to repeat.
        let endpoint = endpoint.query("page", &page).query("limit", &limit);
        fetch_page(client, &endpoint)
    }
}

/// The entries of one of the pool's lists (its user list, its IP list, its
/// organisations), fetched a page of up to [`MAX_LIST_PAGE_SIZE`] at a
/// time as iteration needs them; an error ends it. Made by
/// [`ManagementClient::list_user_list`],
/// [`ManagementClient::list_ip_list`] and
/// [`ManagementClient::list_organizations`].
///
/// It proves its completeness as [`Users`](crate::Users) does: it ends on
/// an empty page, or once the distinct entries reach the server's
/// `totalCount`; a page that holds more entries than asked, a count that
/// fell or does not match the distinct entries, no count at all, or
/// [`MAX_STALE_PAGES`] pages in a row that bring nothing new end it with
/// [`Error::IncompleteListing`] as its last item. So a listing iterated to
/// its end without an error listed every entry the server counted, and it
/// never pages for ever.
///
/// ```
/// use genauth_mfa::{ManagementClient, UserListType};
/// use genauth_mfa_fake::{FakeGenAuth, ListEntry};
///
/// let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_user("u-1").limit("SKIP_MFA"));
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ak")
///     .access_key_secret("sk")
///     .transport(fake)
///     .build()?;
/// let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
/// let skipping: Vec<String> = entries
///     .by_ref()
///     .filter_map(|e| e.ok())
///     .filter(|e| e.skips_mfa())
///     .map(|e| e.user_id)
///     .collect();
/// assert_eq!(skipping, ["u-1"]);
/// assert_eq!(entries.first_total_count(), Some(1));
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "an iterator does nothing unless consumed"]
pub struct Entries<'a, T> {
    client: &'a ManagementClient,
    request: PagedGet,
    /// The key that tells two entries apart.
    key: fn(&T) -> &str,
    page: u32,
    buffer: std::vec::IntoIter<T>,
    tally: Tally,
    seen: u64,
    ending: Option<Error>,
    done: bool,
}

impl<'a, T> Entries<'a, T> {
    pub(crate) fn new(
        client: &'a ManagementClient,
        request: PagedGet,
        noun: Noun,
        key: fn(&T) -> &str,
    ) -> Entries<'a, T> {
        Entries {
            client,
            request,
            key,
            page: 0,
            buffer: Vec::new().into_iter(),
            tally: Tally::new(noun),
            seen: 0,
            ending: None,
            done: false,
        }
    }

    /// `totalCount` as the first page that had one said, once it is fetched.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserListType};
    /// # use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    /// # let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_user("u-1"))
    /// #     .with_list_entry(ListEntry::white_user("u-2"));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(fake).build()?;
    /// let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    /// assert!(entries.by_ref().all(|e| e.is_ok()));
    /// assert_eq!(entries.first_total_count(), Some(2));
    /// assert_eq!(entries.last_total_count(), Some(2));
    /// assert_eq!((entries.seen(), entries.distinct()), (2, 2));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn first_total_count(&self) -> Option<u64> {
        self.tally.first_total
    }

    /// `totalCount` as the latest page that had one said.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserListType};
    /// # use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    /// # let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_user("u-1"))
    /// #     .with_list_entry(ListEntry::white_user("u-2"));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(fake).build()?;
    /// let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    /// assert!(entries.by_ref().all(|e| e.is_ok()));
    /// assert_eq!(entries.first_total_count(), Some(2));
    /// assert_eq!(entries.last_total_count(), Some(2));
    /// assert_eq!((entries.seen(), entries.distinct()), (2, 2));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn last_total_count(&self) -> Option<u64> {
        self.tally.last_total
    }

    /// How many entries the iterator has yielded, repeated ones included.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserListType};
    /// # use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    /// # let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_user("u-1"))
    /// #     .with_list_entry(ListEntry::white_user("u-2"));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(fake).build()?;
    /// let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    /// assert!(entries.by_ref().all(|e| e.is_ok()));
    /// assert_eq!(entries.first_total_count(), Some(2));
    /// assert_eq!(entries.last_total_count(), Some(2));
    /// assert_eq!((entries.seen(), entries.distinct()), (2, 2));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// How many distinct entries the pages fetched so far held.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserListType};
    /// # use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    /// # let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_user("u-1"))
    /// #     .with_list_entry(ListEntry::white_user("u-2"));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(fake).build()?;
    /// let mut entries = mgmt.list_user_list(UserListType::White).into_iter();
    /// assert!(entries.by_ref().all(|e| e.is_ok()));
    /// assert_eq!(entries.first_total_count(), Some(2));
    /// assert_eq!(entries.last_total_count(), Some(2));
    /// assert_eq!((entries.seen(), entries.distinct()), (2, 2));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn distinct(&self) -> u64 {
        self.tally.distinct()
    }

    /// How many pages were fetched so far.
    ///
    /// ```
    /// # use genauth_mfa::{IpListType, ManagementClient};
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(FakeGenAuth::new()).build()?;
    /// let mut entries = mgmt.list_ip_list(IpListType::White).into_iter();
    /// assert!(entries.next().is_none()); // an empty list: one empty page
    /// assert_eq!(entries.pages(), 1);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn pages(&self) -> u32 {
        self.page
    }
}

impl<T: DeserializeOwned> Iterator for Entries<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            if let Some(entry) = self.buffer.next() {
                self.seen += 1;
                return Some(Ok(entry));
            }
            if let Some(err) = self.ending.take() {
                self.done = true;
                return Some(Err(err));
            }
            if self.done {
                return None;
            }
            self.page = self.page.saturating_add(1);
            let page = match self.request.fetch::<T>(self.client, self.page) {
                Ok(page) => page,
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            };
            self.tally.count(page.total_count);
            let len = page.list.len();
            let mut new = 0;
            for entry in &page.list {
                new += u64::from(self.tally.insert((self.key)(entry)));
            }
            let limit = self.request.page_size;
            if len > limit as usize {
                // A server that does not page as asked: what else did it skip?
                self.done = true;
                self.ending = Some(self.tally.incomplete(format!(
                    "page {} held {len} {}, more than the {limit} asked: the server does not \
                     page as asked",
                    self.page, self.tally.noun.0
                )));
            } else if let Step::End(ending) = self.tally.after_page(self.page, len, new) {
                self.done = true;
                self.ending = ending;
            }
            self.buffer = page.list.into_iter();
        }
    }
}

#[cfg(test)]
mod tests {
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
}
