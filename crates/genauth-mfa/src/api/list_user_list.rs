//! `GET /api/v3/user-list`: the pool's user allow or deny list, page by
//! page (management API).

use super::pages::{Entries, PagedGet};
use crate::client::management::ManagementClient;
use crate::model::{UserListEntry, UserListType};

const PATH: &str = "/api/v3/user-list";

impl ManagementClient {
    /// Lists the pool's user allow list ([`UserListType::White`]) or deny
    /// list ([`UserListType::Black`]) (`GET /api/v3/user-list`). Nothing
    /// is sent until the listing is iterated; pages of up to
    /// [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) entries are fetched as iteration needs them,
    /// each retried as any call is, and the listing proves its
    /// completeness (see [`Entries`]).
    ///
    /// ```
    /// use genauth_mfa::{ManagementClient, UserListType};
    /// use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_list_entry(ListEntry::white_user("break-glass").limit("SKIP_MFA"));
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// for entry in mgmt.list_user_list(UserListType::White) {
    ///     let entry = entry?;
    ///     if entry.skips_mfa() {
    ///         println!("{} is never asked for MFA", entry.user_id);
    ///     }
    /// }
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_user_list(&self, list_type: UserListType) -> ListUserList<'_> {
        let mut request = PagedGet::new(PATH);
        request
            .query
            .push(("userListType", list_type.as_str().to_owned()));
        ListUserList {
            client: self,
            request,
        }
    }
}

/// A listing of the pool's user list; see
/// [`ManagementClient::list_user_list`]. Iterate it (it is an
/// [`IntoIterator`] of `Result<UserListEntry>`).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until the listing is iterated"]
pub struct ListUserList<'a> {
    client: &'a ManagementClient,
    request: PagedGet,
}

impl ListUserList<'_> {
    /// Entries per page, 1 to [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) (the default); other
    /// values fail the first page with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserListType};
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let small_pages = mgmt.list_user_list(UserListType::Black).page_size(10);
    /// # let _ = small_pages;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.request.page_size = size;
        self
    }
}

impl<'a> IntoIterator for ListUserList<'a> {
    type Item = crate::Result<UserListEntry>;
    type IntoIter = Entries<'a, UserListEntry>;

    fn into_iter(self) -> Entries<'a, UserListEntry> {
        Entries::new(self.client, self.request, ("entries", "entry"), |e| {
            e.id.as_deref().unwrap_or(&e.user_id)
        })
    }
}
