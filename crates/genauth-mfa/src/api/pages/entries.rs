//! [`Entries`]: the iterator of the pool's lists other than its users
//! (user list, IP list, organisations), one paginated GET each.

use serde::de::DeserializeOwned;

use super::{FetchedPage, Noun, Step, Tally, fetch_page};
use crate::call::endpoint::Endpoint;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};

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
/// [`MAX_STALE_PAGES`](crate::MAX_STALE_PAGES) pages in a row that bring nothing new end it with
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
