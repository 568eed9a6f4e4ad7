//! The paging iterator of a listing of users: [`Users`], which proves it
//! listed every user the server counted.

use super::ListUsers;
use crate::api::pages::{FetchedPage, Step, Tally};
use crate::error::{Error, Result};
use crate::model::user::{User, UserStatus};

impl<'a> IntoIterator for ListUsers<'a> {
    type Item = Result<User>;
    type IntoIter = Users<'a>;

    fn into_iter(self) -> Users<'a> {
        Users {
            listing: self,
            page: 0,
            buffer: Vec::new().into_iter(),
            seen: 0,
            distinct: 0,
            tally: Tally::new(("users", "user")),
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
/// [`MAX_STALE_PAGES`](crate::MAX_STALE_PAGES) pages in a row that bring no user not already
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
    listing: ListUsers<'a>,
    page: u32,
    /// The page being yielded, each user with whether it is new.
    buffer: std::vec::IntoIter<(User, bool)>,
    seen: u64,
    distinct: u64,
    /// What the pages said so far, and the users they held.
    tally: Tally,
    /// The error to yield once the buffer is drained.
    ending: Option<Error>,
    done: bool,
}

impl Users<'_> {
    /// `totalCount` as the first page that had one said, once it is fetched.
    #[must_use]
    pub fn first_total_count(&self) -> Option<u64> {
        self.tally.first_total
    }

    /// `totalCount` as the latest page that had one said.
    #[must_use]
    pub fn last_total_count(&self) -> Option<u64> {
        self.tally.last_total
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
        self.tally.changed()
    }
}

impl Users<'_> {
    /// Takes one fetched page: counts it, keeps its users of the wanted
    /// status (each with whether it is new) and decides whether the
    /// listing ends after it.
    fn take(&mut self, page: FetchedPage<User>) {
        self.tally.count(page.total_count);
        // A server that ignores the status filter lists users of
        // another status: they are not yielded, and the listing ends
        // after this page (its count is not that of the filter either).
        let mut page_users = page.list;
        let mut off_filter = 0;
        if let Some(wanted) = &self.listing.status {
            let before = page_users.len();
            page_users.retain(|user| {
                user.status
                    .as_ref()
                    .is_none_or(|s| s.as_str().eq_ignore_ascii_case(wanted.as_str()))
            });
            off_filter = before - page_users.len();
        }
        let mut new = 0;
        let users: Vec<(User, bool)> = page_users
            .into_iter()
            .map(|user| {
                let is_new = self.tally.insert(&user.user_id);
                new += u64::from(is_new);
                (user, is_new)
            })
            .collect();
        if off_filter > 0 {
            let wanted = self.listing.status.as_ref().map_or("", UserStatus::as_str);
            self.done = true;
            self.ending = Some(self.tally.incomplete(format!(
                "the server ignored the status filter: page {} listed {off_filter} users \
                 whose status is not {wanted} (not asked), after {} distinct users",
                self.page,
                self.tally.distinct()
            )));
        } else if let Step::End(ending) = self.tally.after_page(self.page, users.len(), new) {
            self.done = true;
            self.ending = ending;
        }
        self.buffer = users.into_iter();
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
