//! The paging iterator of a listing: [`Users`] fetches a page at a time,
//! yields its users, and keeps the counts that [`proof`](super::proof)
//! judges the listing by.

use super::proof::{IdSet, MAX_STALE_PAGES};
use super::{FetchedPage, ListUsers};
use crate::error::{Error, Result};
use crate::model::{User, UserStatus};

impl<'a> IntoIterator for ListUsers<'a> {
    type Item = Result<User>;
    type IntoIter = Users<'a>;

    fn into_iter(self) -> Users<'a> {
        Users {
            listing: self,
            page: 0,
            buffer: Vec::new().into_iter(),
            first_total: None,
            last_total: None,
            fell: None,
            seen: 0,
            distinct: 0,
            ids: IdSet::default(),
            stale: 0,
            ending: None,
            done: false,
        }
    }
}

/// The users of a listing, fetched a page at a time; an error ends it.
///
/// It proves its completeness rather than assume it. It ends on an empty
/// page, or once the distinct users listed reach the server's
/// `totalCount` (when that count has not moved since the first page: a
/// count that moved is followed to an empty page); a page shorter than
/// asked is not an end (a server may page by fewer). It then checks what
/// it listed: the distinct users must match the last `totalCount`, and
/// that count must never have fallen from one page to the next (users
/// deleted while the pool was listed: with offset pages, one deleted from
/// a page already read moves a later user back into that page, unlisted,
/// while the counts still match). A count that only rose (new users,
/// listed at the end) with every user it counts listed is a complete
/// listing of a pool that changed, see [`pool_changed`](Self::pool_changed).
/// A count that fell, a difference between the distinct users and the
/// last count, a server that sent no `totalCount` at all, or
/// [`MAX_STALE_PAGES`] pages in a row that bring no user not already
/// listed (a server that ignores the page number, with or without a
/// count): then the last item is an
/// [`Error::IncompleteListing`] saying what the server did. So a listing
/// iterated to its end without an error listed every user the server
/// counted.
///
/// A user listed twice (the pool changed between two pages) is yielded
/// each time; [`distinct`](Self::distinct) counts them once. Users are told
/// apart by a 64-bit hash of their `userId` with keys of this process: 8
/// bytes a user, and two ids taken for one about once in 10^7 listings of
/// a million users (a false "incomplete", never a false "complete").
///
/// ```
/// use genauth_mfa::{Error, ManagementClient};
/// use genauth_mfa_fake::{FakeGenAuth, Paging};
///
/// // A server whose pages ignore the page number: every page is page 1.
/// let fake = FakeGenAuth::new()
///     .with_generated_pool(120)
///     .with_paging(Paging::honest().ignore_page_number());
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ak")
///     .access_key_secret("sk")
///     .transport(fake)
///     .build()?;
/// let mut users = mgmt.list_users().into_iter();
/// let last = users.by_ref().last();
/// assert!(matches!(last, Some(Err(Error::IncompleteListing { distinct: 50, .. }))));
/// assert_eq!((users.seen(), users.distinct()), (200, 50));
/// assert_eq!(users.first_total_count(), Some(120));
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "an iterator does nothing unless consumed"]
pub struct Users<'a> {
    pub(super) listing: ListUsers<'a>,
    pub(super) page: u32,
    /// The page being yielded, each user with whether it is new.
    pub(super) buffer: std::vec::IntoIter<(User, bool)>,
    pub(super) first_total: Option<u64>,
    pub(super) last_total: Option<u64>,
    /// The first fall of the count between two pages: (before, after).
    pub(super) fell: Option<(u64, u64)>,
    pub(super) seen: u64,
    pub(super) distinct: u64,
    /// The users of the pages fetched so far.
    pub(super) ids: IdSet,
    /// Pages in a row that brought no new user.
    pub(super) stale: u32,
    /// The error to yield once the buffer is drained.
    pub(super) ending: Option<Error>,
    pub(super) done: bool,
}

impl Users<'_> {
    /// `totalCount` as the first page that had one said, once it is fetched.
    #[must_use]
    pub fn first_total_count(&self) -> Option<u64> {
        self.first_total
    }

    /// `totalCount` as the latest page that had one said.
    #[must_use]
    pub fn last_total_count(&self) -> Option<u64> {
        self.last_total
    }

    /// How many users the iterator has yielded, repeated ones included.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// How many distinct users the iterator has yielded: a user listed
    /// twice counts once.
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::{FakeGenAuth, Paging};
    /// # let fake = FakeGenAuth::new().with_generated_pool(120).with_paging(Paging::honest().overlap(5));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk").transport(fake).build()?;
    /// // Pages that overlap by 5 users: 130 yielded, 120 distinct.
    /// let mut users = mgmt.list_users().into_iter();
    /// assert!(users.by_ref().all(|u| u.is_ok()));
    /// assert_eq!((users.seen(), users.distinct()), (130, 120));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn distinct(&self) -> u64 {
        self.distinct
    }

    /// Whether the pool changed while it was listed, as far as the pages
    /// tell: `totalCount` moved between the first page and the latest.
    /// A listing whose count only rose and whose distinct users match the
    /// last count ends without an error (new users list at the end); a
    /// count that fell between two pages, or distinct users that differ
    /// from the last count, ends it with [`Error::IncompleteListing`].
    #[must_use]
    pub fn pool_changed(&self) -> bool {
        match (self.first_total, self.last_total) {
            (Some(first), Some(last)) => first != last,
            _ => false,
        }
    }
}

impl Iterator for Users<'_> {
    type Item = Result<User>;

    fn next(&mut self) -> Option<Result<User>> {
        loop {
            if let Some((user, new)) = self.buffer.next() {
                self.seen += 1;
                self.distinct += u64::from(new);
                return Some(Ok(user));
            }
            if let Some(err) = self.ending.take() {
                self.done = true;
                return Some(Err(err));
            }
            if self.done {
                return None;
            }
            self.page = self.page.saturating_add(1);
            match self.listing.fetch(self.page) {
                Ok(page) => self.take(page),
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            }
        }
    }
}

impl Users<'_> {
    /// Takes a fetched page: its count, its users (each with whether it is
    /// new), and whether the listing ends after it.
    fn take(&mut self, page: FetchedPage) {
        if let Some(total) = page.total_count {
            self.first_total.get_or_insert(total);
            if let Some(before) = self.last_total.filter(|before| total < *before) {
                self.fell.get_or_insert((before, total));
            }
            self.last_total = Some(total);
        }
        let (page_users, off_filter) = self.in_filter(page.users);
        let before = self.ids.len();
        let users: Vec<(User, bool)> = page_users
            .into_iter()
            .map(|user| {
                let new = self.ids.insert(&user.user_id);
                (user, new)
            })
            .collect();
        let new = self.ids.len() - before;
        if off_filter > 0 {
            let ending = self.off_filter(off_filter);
            self.end(Some(ending));
        } else if users.is_empty() {
            // The end, as the server says: is it every user?
            self.end(self.verdict());
        } else if new == 0 {
            self.stale += 1;
            if self.stale >= MAX_STALE_PAGES {
                let ending = self.stale_pages();
                self.end(Some(ending));
            }
        } else if let Some(reason) = self.runaway() {
            let ending = self.incomplete(reason);
            self.end(Some(ending));
        } else {
            self.stale = 0;
            // A count that moved since the first page may have been
            // lowered by one page only: the end is then an empty page.
            if !self.pool_changed() && self.last_total.is_some_and(|total| self.ids.len() >= total)
            {
                self.end(self.verdict());
            }
        }
        self.buffer = users.into_iter();
    }

    /// A server that ignores the status filter lists users of another
    /// status: they are not yielded, and the listing ends after this page
    /// (its count is not that of the filter either). The page's users in
    /// the filter, and how many were not.
    fn in_filter(&self, mut users: Vec<User>) -> (Vec<User>, usize) {
        let Some(wanted) = &self.listing.status else {
            return (users, 0);
        };
        let before = users.len();
        users.retain(|user| {
            user.status
                .as_ref()
                .is_none_or(|s| s.as_str().eq_ignore_ascii_case(wanted.as_str()))
        });
        let off_filter = before - users.len();
        (users, off_filter)
    }

    /// The listing ends once the page being taken is yielded, with
    /// `ending` (if any) after it.
    fn end(&mut self, ending: Option<Error>) {
        self.done = true;
        self.ending = ending;
    }

    /// The listing is not proven whole, for `reason`.
    pub(super) fn incomplete(&self, reason: String) -> Error {
        Error::IncompleteListing {
            reason,
            distinct: self.ids.len(),
            total_count: self.last_total,
        }
    }

    fn off_filter(&self, off_filter: usize) -> Error {
        let wanted = self.listing.status.as_ref().map_or("", UserStatus::as_str);
        self.incomplete(format!(
            "the server ignored the status filter: page {} listed {off_filter} users \
             whose status is not {wanted} (not asked), after {} distinct users",
            self.page,
            self.ids.len()
        ))
    }

    fn stale_pages(&self) -> Error {
        self.incomplete(format!(
            "the server's pages ignored the page number: pages {} to {} repeated \
             users already listed, after {} distinct users{}",
            self.page + 1 - self.stale,
            self.page,
            self.ids.len(),
            self.last_total
                .map(|t| format!(" of the {t} it counted"))
                .unwrap_or_default()
        ))
    }
}
