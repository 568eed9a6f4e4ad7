//! `GET /api/v3/list-organizations`: the pool's organisations, page by
//! page (management API).

use super::pages::{Entries, PagedGet};
use crate::client::management::ManagementClient;
use crate::model::Organization;

const PATH: &str = "/api/v3/list-organizations";

impl ManagementClient {
    /// Lists the pool's organisations (`GET /api/v3/list-organizations`,
    /// `fetchAll=false`). Nothing is sent until the listing is iterated;
    /// pages of up to [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) organisations are fetched as
    /// iteration needs them, each retried as any call is, and the listing
    /// proves its completeness (see [`Entries`]). Read each one's
    /// departments with [`get_all_departments`](Self::get_all_departments).
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    /// use genauth_mfa_fake::{FakeGenAuth, Organization};
    ///
    /// let fake = FakeGenAuth::new().with_organization(Organization::new("acme", "Acme"));
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// for org in mgmt.list_organizations() {
    ///     let org = org?;
    ///     println!("{} {}", org.organization_code, org.organization_name.as_deref().unwrap_or("-"));
    /// }
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_organizations(&self) -> ListOrganizations<'_> {
        let mut request = PagedGet::new(PATH);
        request.query.push(("fetchAll", "false".to_owned()));
        ListOrganizations {
            client: self,
            request,
        }
    }
}

/// A listing of the pool's organisations; see
/// [`ManagementClient::list_organizations`]. Iterate it (it is an
/// [`IntoIterator`] of `Result<Organization>`).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until the listing is iterated"]
pub struct ListOrganizations<'a> {
    client: &'a ManagementClient,
    request: PagedGet,
}

impl ListOrganizations<'_> {
    /// Organisations per page, 1 to [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) (the default);
    /// other values fail the first page with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let small_pages = mgmt.list_organizations().page_size(10);
    /// # let _ = small_pages;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.request.page_size = size;
        self
    }
}

impl<'a> IntoIterator for ListOrganizations<'a> {
    type Item = crate::Result<Organization>;
    type IntoIter = Entries<'a, Organization>;

    fn into_iter(self) -> Entries<'a, Organization> {
        Entries::new(
            self.client,
            self.request,
            ("organisations", "organisation"),
            |o| &o.organization_code,
        )
    }
}
