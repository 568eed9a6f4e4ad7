//! `POST /api/v3/list-users`: every user of the pool, page by page
//! (management API).

use serde::{Deserialize, Deserializer, Serialize};

use crate::endpoint::Endpoint;
use crate::envelope::ObjectOnly;
use crate::envelope::lenient_int;
use crate::error::{Error, Result};
use crate::management::ManagementClient;
use crate::user::{User, UserStatus, lenient_count};

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
    /// Only users with this status (`advancedFilter` status EQUAL).
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
            seen: 0,
            done: false,
        }
    }
}

/// The users of a listing, fetched a page at a time; an error ends it.
/// Besides the users it tells whether the pool changed while it was
/// listed: compare [`first_total_count`](Self::first_total_count) with
/// [`last_total_count`](Self::last_total_count) and
/// [`seen`](Self::seen) at the end.
#[derive(Debug)]
#[must_use = "an iterator does nothing unless consumed"]
pub struct Users<'a> {
    listing: ListUsers<'a>,
    page: u32,
    buffer: std::vec::IntoIter<User>,
    first_total: Option<u64>,
    last_total: Option<u64>,
    seen: u64,
    done: bool,
}

impl Users<'_> {
    /// `totalCount` as the first page said, once it is fetched.
    #[must_use]
    pub fn first_total_count(&self) -> Option<u64> {
        self.first_total
    }

    /// `totalCount` as the latest page said.
    #[must_use]
    pub fn last_total_count(&self) -> Option<u64> {
        self.last_total
    }

    /// How many users the iterator has yielded.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Whether the pool changed while it was listed, as far as the pages
    /// tell: `totalCount` moved, or (once the listing ended) fewer or more
    /// users came than the count said.
    #[must_use]
    pub fn pool_changed(&self) -> bool {
        match (self.first_total, self.last_total) {
            (Some(first), Some(last)) => first != last || (self.done && self.seen != last),
            _ => false,
        }
    }
}

impl Iterator for Users<'_> {
    type Item = Result<User>;

    fn next(&mut self) -> Option<Result<User>> {
        loop {
            if let Some(user) = self.buffer.next() {
                self.seen += 1;
                return Some(Ok(user));
            }
            if self.done {
                return None;
            }
            self.page += 1;
            let page = match self.listing.fetch(self.page) {
                Ok(page) => page,
                Err(err) => {
                    self.done = true;
                    return Some(Err(err));
                }
            };
            if let Some(total) = page.total_count {
                self.first_total.get_or_insert(total);
                self.last_total = Some(total);
            }
            let fetched = u64::from(self.page - 1) * u64::from(self.listing.page_size)
                + page.users.len() as u64;
            // The last page: a short one, or the count is reached. A page
            // without a readable count says nothing of the count: only a
            // short page ends the listing then.
            if page.users.len() < self.listing.page_size as usize
                || page.total_count.is_some_and(|total| fetched >= total)
            {
                self.done = true;
            }
            self.buffer = page.users.into_iter();
        }
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
