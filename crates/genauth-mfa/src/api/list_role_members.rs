//! `GET /api/v3/list-role-members`: the users holding one role, page by
//! page (management API). The listing is [`list_users`]' own: the same
//! [`Users`] iterator, the same proof of completeness.
//!
//! [`list_users`]: crate::ManagementClient::list_users

use super::list_users::{ListUsers, Source, Users};
use crate::client::management::ManagementClient;
use crate::error::Result;
use crate::model::User;
use crate::model::page::UserPage;

pub(crate) const PATH: &str = "/api/v3/list-role-members";

impl ManagementClient {
    /// Lists the users holding the role `code` (`GET
    /// /api/v3/list-role-members`), in the permission namespace `default`
    /// unless [`namespace`](ListRoleMembers::namespace) says otherwise.
    /// Nothing is sent until the listing is iterated (or
    /// [`page`](ListRoleMembers::page) is called); pages of up to
    /// [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE) users are fetched as iteration needs them, each
    /// retried as any call is, and the listing proves its completeness as
    /// [`list_users`](Self::list_users)' does ([`Users`]). A role the pool
    /// does not have is the first item's error (an
    /// [`Error::Api`](crate::Error::Api); the service answers statusCode
    /// 404 or 400 with a message).
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(10)
    ///     .with_role("admin", "default", ["user-000001", "user-000002"]);
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// let admins: Vec<String> = mgmt
    ///     .list_role_members("admin")
    ///     .into_iter()
    ///     .map(|u| u.map(|u| u.user_id))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(admins, ["user-000001", "user-000002"]);
    /// assert_eq!(mgmt.list_role_members("root").into_iter().next().unwrap().unwrap_err().status_code(), Some(404));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_role_members(&self, code: impl Into<String>) -> ListRoleMembers<'_> {
        ListRoleMembers {
            listing: self.list_users().source(Source::Role {
                code: code.into(),
                namespace: None,
            }),
        }
    }
}

/// A listing of one role's members; see
/// [`ManagementClient::list_role_members`]. Iterate it (it is an
/// [`IntoIterator`] of `Result<User>`, the same [`Users`] iterator as
/// [`list_users`](ManagementClient::list_users)'), or fetch one
/// [`page`](Self::page).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until the listing is iterated"]
pub struct ListRoleMembers<'a> {
    listing: ListUsers<'a>,
}

impl<'a> ListRoleMembers<'a> {
    /// The role's permission namespace (`namespace`; by default the
    /// server's `default`).
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let fake = FakeGenAuth::new().with_generated_pool(5).with_role("billing-admin", "billing", ["user-000003"]);
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk").transport(fake).build()?;
    /// let members = mgmt.list_role_members("billing-admin").namespace("billing");
    /// assert_eq!(members.into_iter().count(), 1);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        let namespace = Some(namespace.into());
        self.listing = self.listing.map_source(|source| match source {
            Source::Role { code, .. } => Source::Role { code, namespace },
            other => other,
        });
        self
    }

    /// Asks for each member's department ids (`withDepartmentIds=true`):
    /// [`User::department_ids`] is then filled.
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let fake = FakeGenAuth::new().with_generated_pool(5).with_role("admin", "default", ["user-000001"])
    /// #     .with_user_departments("user-000001", ["eng"]);
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk").transport(fake).build()?;
    /// let admin = mgmt.list_role_members("admin").with_department_ids(true).into_iter().next().unwrap()?;
    /// assert_eq!(admin.department_ids.as_deref(), Some(&["eng".to_owned()][..]));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn with_department_ids(mut self, on: bool) -> Self {
        self.listing = self.listing.with_department_ids(on);
        self
    }

    /// Members per page, 1 to [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE) (the default); other values
    /// fail the first page with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let small_pages = mgmt.list_role_members("admin").page_size(10);
    /// # let _ = small_pages;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.listing = self.listing.page_size(size);
        self
    }

    /// Fetches page `page` (from 1) of the role's members.
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let fake = FakeGenAuth::new().with_generated_pool(5).with_role("admin", "default", ["user-000001"]);
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk").transport(fake).build()?;
    /// let first = mgmt.list_role_members("admin").page(1)?;
    /// assert_eq!(first.total_count, 1);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) for a blank
    /// code, a page of 0 or a page size out of range; any error of the call.
    pub fn page(&self, page: u32) -> Result<UserPage> {
        self.listing.page(page)
    }
}

impl<'a> IntoIterator for ListRoleMembers<'a> {
    type Item = Result<User>;
    type IntoIter = Users<'a>;

    fn into_iter(self) -> Users<'a> {
        self.listing.into_iter()
    }
}
