//! `POST /api/v3/list-users`: every user of the pool, page by page
//! (management API).

use serde::Serialize;

use super::list_role_members;
use super::pages::{FetchedPage, fetch_page};
use crate::call::endpoint::{Endpoint, require_id};
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::page::UserPage;
use crate::model::user::{User, UserStatus};

#[cfg(test)]
mod tests;
mod users;

pub use users::Users;

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
            with_department_ids: false,
            source: Source::Pool,
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
    with_department_ids: bool,
    source: Source,
}

/// Whose users a listing lists.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The pool's (`POST /api/v3/list-users`).
    Pool,
    /// A role's members (`GET /api/v3/list-role-members`).
    Role {
        code: String,
        namespace: Option<String>,
    },
}

impl<'a> ListUsers<'a> {
    /// The same listing of another source's users.
    pub(crate) fn source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// The same listing with its source changed by `change`.
    pub(crate) fn map_source(mut self, change: impl FnOnce(Source) -> Source) -> Self {
        self.source = change(self.source);
        self
    }

    /// Asks for each user's department ids (`options.withDepartmentIds`):
    /// [`User::department_ids`] is then filled (empty for a user in no
    /// department); without it the option is not sent and the field is
    /// `None`.
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(2)
    ///     .with_user_departments("user-000000", ["eng", "sales"]);
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// let users: Vec<_> = mgmt.list_users().with_department_ids(true).into_iter().collect::<Result<_, _>>()?;
    /// assert_eq!(users[0].department_ids, Some(vec!["eng".to_owned(), "sales".to_owned()]));
    /// assert_eq!(users[0].main_department_id.as_deref(), Some("eng"));
    /// assert_eq!(users[1].department_ids, Some(vec![]));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn with_department_ids(mut self, on: bool) -> Self {
        self.with_department_ids = on;
        self
    }

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
            users: page.list,
        })
    }

    /// Page `page` as the server sent it: its `totalCount` may be missing.
    fn fetch(&self, page: u32) -> Result<FetchedPage<User>> {
        if page == 0 {
            return Err(Error::invalid_argument("page", "pages start at 1"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(Error::invalid_argument(
                "page_size",
                format!("must be from 1 to {MAX_PAGE_SIZE}"),
            ));
        }
        let (code, namespace) = match &self.source {
            Source::Pool => return self.fetch_pool(page),
            Source::Role { code, namespace } => (code, namespace),
        };
        require_id("code", code)?;
        let (page, limit) = (page.to_string(), self.page_size.to_string());
        let mut endpoint = Endpoint::get(list_role_members::PATH).query("code", code);
        if let Some(namespace) = namespace {
            endpoint = endpoint.query("namespace", namespace);
        }
        let flag = |on: bool| if on { "true" } else { "false" };
        // A read (a GET): safe to repeat.
        let endpoint = endpoint
            .query("page", &page)
            .query("limit", &limit)
            .query("withDepartmentIds", flag(self.with_department_ids))
            .query("withCustomData", "false")
            .query("withIdentities", "false");
        fetch_page(self.client, &endpoint)
    }

    /// Page `page` of the pool's users (`POST /api/v3/list-users`).
    fn fetch_pool(&self, page: u32) -> Result<FetchedPage<User>> {
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
                with_department_ids: self.with_department_ids,
            },
        };
        // A read: safe to repeat.
        let endpoint = Endpoint::post_json(PATH, &body)?.repeatable();
        // An answer that says nothing must not read as an empty pool.
        fetch_page(self.client, &endpoint)
    }
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
#[serde(rename_all = "camelCase")]
struct Options {
    pagination: Pagination,
    sort: [Sort; 1],
    /// Sent only when asked: the body is otherwise as it always was.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    with_department_ids: bool,
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
