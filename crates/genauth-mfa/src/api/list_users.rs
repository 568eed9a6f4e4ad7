//! `POST /api/v3/list-users`: every user of the pool, page by page
//! (management API).

use serde::{Deserialize, Deserializer, Serialize};

use crate::call::endpoint::Endpoint;
use crate::call::envelope::ObjectOnly;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::lenient::lenient_count;
use crate::model::lenient::lenient_int;
use crate::model::user::{User, UserStatus};

const PATH: &str = "/api/v3/list-users";

/// The most users the server sends in one page.
pub const MAX_PAGE_SIZE: u32 = 50;

impl ManagementClient {
    /// Lists the users of the pool (`POST /api/v3/list-users`), oldest
    /// first by default so that users created meanwhile come at the end.
    /// Nothing is sent until the listing is iterated (or
    /// [`page`](ListUsers::page) is called); pages of up to
    /// [`MAX_PAGE_SIZE`] users are fetched as iteration needs them, each
    /// retried as any call is.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserStatus, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else if req.body().windows(8).any(|w| w == br#""page":1"#) {
    /// #         r#"{"statusCode":200,"data":{"totalCount":1,"list":[{"userId":"u-1",
    /// #            "status":"Suspended","createdAt":"2024-01-01T00:00:00.000Z","email":"a@example.com"}]}}"#.to_owned()
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totalCount":1,"list":[]}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// for user in mgmt.list_users().status(UserStatus::Suspended) {
    ///     let user = user?;
    ///     println!("{} {}", user.user_id, user.email.as_deref().unwrap_or("-"));
    /// }
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_users(&self) -> ListUsers<'_> {
        ListUsers {
            client: self,
            status: None,
            keywords: None,
            sort: (SortField::CreatedAt, SortOrder::Asc),
            page_size: MAX_PAGE_SIZE,
        }
    }
}

/// A listing of the pool's users; see [`ManagementClient::list_users`].
/// Iterate it (it is an [`IntoIterator`] of `Result<User>`), or fetch one
/// [`page`](Self::page).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until the listing is iterated"]
pub struct ListUsers<'a> {
    client: &'a ManagementClient,
    status: Option<UserStatus>,
    keywords: Option<String>,
    sort: (SortField, SortOrder),
    page_size: u32,
}

impl<'a> ListUsers<'a> {
    /// Only users with this status (`advancedFilter` status EQUAL). A
    /// page that lists users with another status (a server that ignores
    /// the filter) does not yield them and ends the listing with
    /// [`Error::IncompleteListing`]; users with no status are yielded.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserStatus};
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let suspended = mgmt.list_users().status(UserStatus::Suspended);
    /// # let _ = suspended;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn status(mut self, status: UserStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only users matching these keywords (the server's fuzzy search over
    /// name, email, phone, ...).
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let alices = mgmt.list_users().keywords("alice");
    /// # let _ = alices;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn keywords(mut self, keywords: impl Into<String>) -> Self {
        self.keywords = Some(keywords.into());
        self
    }

    /// The order of the listing (default: `createdAt` ascending, the order
    /// in which a pool that grows while it is listed loses nobody).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, SortField, SortOrder};
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let recent_first = mgmt.list_users().sort(SortField::LastLogin, SortOrder::Desc);
    /// # let _ = recent_first;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn sort(mut self, field: SortField, order: SortOrder) -> Self {
        self.sort = (field, order);
        self
    }

    /// Users per page, 1 to [`MAX_PAGE_SIZE`] (the default); other values
    /// fail the first page with [`Error::InvalidArgument`].
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let small_pages = mgmt.list_users().page_size(10);
    /// # let _ = small_pages;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// Fetches page `page` (from 1) of the listing.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totalCount":120,"list":[]}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let first = mgmt.list_users().page(1)?;
    /// println!("{} users in the pool", first.total_count);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a page of 0 or a page size out of
    /// range; any error of the call.
    pub fn page(&self, page: u32) -> Result<UserPage> {
        let page = self.fetch(page)?;
        Ok(UserPage {
            total_count: page.total_count.unwrap_or(0),
            users: page.users,
        })
    }

    /// Page `page` as the server sent it: its `totalCount` may be missing.
    fn fetch(&self, page: u32) -> Result<FetchedPage> {
        if page == 0 {
            return Err(Error::invalid_argument("page", "pages start at 1"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::invalid_argument(
                "page_size",
                format!("must be from 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        let body = Body {
            keywords: self.keywords.as_deref(),
            advanced_filter: self.status.as_ref().map(|status| {
                [Filter {
                    field: "status",
                    operator: "EQUAL",
                    value: status.as_str(),
                }]
            }),
            options: Options {
                pagination: Pagination {
                    page,
                    limit: self.page_size,
                },
                sort: [Sort {
                    field: self.sort.0.as_str(),
                    order: self.sort.1.as_str(),
                }],
            },
        };
        // A read: safe to repeat.
        let endpoint = Endpoint::post_json(PATH, &body)?.repeatable();
        match self.client.send::<ObjectOnly<WirePage>>(&endpoint)?.0 {
            // An answer that says nothing must not read as an empty pool.
            WirePage {
                total_count: None,
                users: None,
            } => Err(Error::decode(
                200,
                "the answer holds neither list nor totalCount",
                b"",
            )),
            WirePage { total_count, users } => Ok(FetchedPage {
                total_count,
                users: users.unwrap_or_default(),
            }),
        }
    }
}

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
    listing: ListUsers<'a>,
    page: u32,
    /// The page being yielded, each user with whether it is new.
    buffer: std::vec::IntoIter<(User, bool)>,
    first_total: Option<u64>,
    last_total: Option<u64>,
    /// The first fall of the count between two pages: (before, after).
    fell: Option<(u64, u64)>,
    seen: u64,
    distinct: u64,
    /// The users of the pages fetched so far.
    ids: IdSet,
    /// Pages in a row that brought no new user.
    stale: u32,
    /// The error to yield once the buffer is drained.
    ending: Option<Error>,
    done: bool,
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

    /// The listing reached its end: whether what it listed matches what
    /// the server counted, as an error to yield when it does not.
    fn verdict(&self) -> Option<Error> {
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
            let page = match self.listing.fetch(self.page) {
                Ok(page) => page,
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            };
            if let Some(total) = page.total_count {
                self.first_total.get_or_insert(total);
                if let Some(before) = self.last_total.filter(|before| total < *before) {
                    self.fell.get_or_insert((before, total));
                }
                self.last_total = Some(total);
            }
            // A server that ignores the status filter lists users of
            // another status: they are not yielded, and the listing ends
            // after this page (its count is not that of the filter either).
            let mut page_users = page.users;
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
                let wanted = self.listing.status.as_ref().map_or("", UserStatus::as_str);
                self.done = true;
                self.ending = Some(Error::IncompleteListing {
                    reason: format!(
                        "the server ignored the status filter: page {} listed {off_filter} users \
                         whose status is not {wanted} (not asked), after {} distinct users",
                        self.page,
                        self.ids.len()
                    ),
                    distinct: self.ids.len(),
                    total_count: self.last_total,
                });
            } else if users.is_empty() {
                // The end, as the server says: is it every user?
                self.done = true;
                self.ending = self.verdict();
            } else if new == 0 {
                self.stale += 1;
                if self.stale >= MAX_STALE_PAGES {
                    self.done = true;
                    self.ending = Some(Error::IncompleteListing {
                        reason: format!(
                            "the server's pages ignored the page number: pages {} to {} repeated \
                             users already listed, after {} distinct users{}",
                            self.page + 1 - self.stale,
                            self.page,
                            self.ids.len(),
                            self.last_total
                                .map(|t| format!(" of the {t} it counted"))
                                .unwrap_or_default()
                        ),
                        distinct: self.ids.len(),
                        total_count: self.last_total,
                    });
                }
            } else if let Some(reason) = self.runaway() {
                self.done = true;
                self.ending = Some(Error::IncompleteListing {
                    reason,
                    distinct: self.ids.len(),
                    total_count: self.last_total,
                });
            } else {
                self.stale = 0;
                // A count that moved since the first page may have been
                // lowered by one page only: the end is then an empty page.
                if !self.pool_changed()
                    && self.last_total.is_some_and(|total| self.ids.len() >= total)
                {
                    self.done = true;
                    self.ending = self.verdict();
                }
            }
            self.buffer = users.into_iter();
        }
    }
}

impl Users<'_> {
    /// Why the listing must stop although pages still bring new users: a
    /// pool that more than doubled since its first count, or one that
    /// never sent a count and passed [`MAX_UNCOUNTED_USERS`].
    fn runaway(&self) -> Option<String> {
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
struct IdSet {
    keys: std::hash::RandomState,
    sorted: Vec<u64>,
    recent: std::collections::HashSet<u64>,
}

impl IdSet {
    /// Merges `recent` into `sorted` once it holds this many, or a 32nd of
    /// `sorted` (each merge moves every id: merging in fixed steps would
    /// cost a time quadratic in the pool).
    const MIN_RECENT: usize = 4096;

    fn len(&self) -> u64 {
        (self.sorted.len() + self.recent.len()) as u64
    }

    /// Adds `id`; whether it was not there.
    fn insert(&mut self, id: &str) -> bool {
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

/// A page as the server sent it, before a missing `totalCount` reads as 0:
/// each part `None` when absent (a `null` list is an empty one).
#[derive(Deserialize)]
struct WirePage {
    #[serde(rename = "totalCount", default, deserialize_with = "lenient_count")]
    total_count: Option<u64>,
    #[serde(rename = "list", default, deserialize_with = "present_list")]
    users: Option<Vec<User>>,
}

fn present_list<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<User>>, D::Error> {
    null_as_empty(d).map(Some)
}

/// A page read: its users, and its count when it had a readable one.
struct FetchedPage {
    total_count: Option<u64>,
    users: Vec<User>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UserPage {
    /// How many users match, in all pages.
    #[serde(rename = "totalCount", default, deserialize_with = "count")]
    pub total_count: u64,
    /// This page's users.
    #[serde(rename = "list", default, deserialize_with = "null_as_empty")]
    pub users: Vec<User>,
}

/// The field to sort a listing by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortField {
    /// `createdAt`.
    CreatedAt,
    /// `updatedAt`.
    UpdatedAt,
    /// `lastLogin`.
    LastLogin,
    /// `loginsCount`.
    LoginsCount,
    /// `lastMfaTime`.
    LastMfaTime,
}

impl SortField {
    fn as_str(self) -> &'static str {
        match self {
            SortField::CreatedAt => "createdAt",
            SortField::UpdatedAt => "updatedAt",
            SortField::LastLogin => "lastLogin",
            SortField::LoginsCount => "loginsCount",
            SortField::LastMfaTime => "lastMfaTime",
        }
    }
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Oldest / smallest first.
    Asc,
    /// Newest / largest first.
    Desc,
}

impl SortOrder {
    fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    keywords: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    advanced_filter: Option<[Filter<'a>; 1]>,
    options: Options,
}

#[derive(Serialize)]
struct Filter<'a> {
    field: &'static str,
    operator: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Options {
    pagination: Pagination,
    sort: [Sort; 1],
}

#[derive(Serialize)]
struct Pagination {
    page: u32,
    limit: u32,
}

#[derive(Serialize)]
struct Sort {
    field: &'static str,
    order: &'static str,
}

fn count<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    Ok(lenient_int(d)?
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<User>, D::Error> {
    Ok(Option::<Vec<User>>::deserialize(d)?.unwrap_or_default())
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
    fn users_keep_unknown_fields_and_read_odd_values() {
        let page: UserPage = serde_json::from_str(
            r#"{"totalCount":"2","list":[
                {"userId":"u1","status":"Suspended","loginsCount":"7","email":null,"gender":"F",
                 "customData":{"dept":"x"},"createdAt":"2024-01-01T00:00:00Z"},
                {"userId":"u2","status":"Locked"}]}"#,
        )
        .unwrap();
        assert_eq!(page.total_count, 2);
        let u = &page.users[0];
        assert_eq!(u.status, Some(UserStatus::Suspended));
        assert_eq!(u.logins_count, Some(7));
        assert_eq!(u.email, None);
        assert_eq!(u.extra["gender"], "F");
        assert_eq!(u.extra["customData"]["dept"], "x");
        assert_eq!(
            page.users[1].status,
            Some(UserStatus::Other("Locked".into()))
        );
        let again: User = serde_json::from_value(serde_json::to_value(u).unwrap()).unwrap();
        assert_eq!(&again, u);
        let empty: UserPage = serde_json::from_str(r#"{"totalCount":0,"list":null}"#).unwrap();
        assert!(empty.users.is_empty());
    }
}
