//! `GET /api/v3/ip-list`: the pool's IP allow or deny list, page by page
//! (management API).

use super::pages::{Entries, PagedGet};
use crate::client::management::ManagementClient;
use crate::model::{IpListEntry, IpListType};

const PATH: &str = "/api/v3/ip-list";

impl ManagementClient {
    /// Lists the pool's IP allow list ([`IpListType::White`]) or deny list
    /// ([`IpListType::Black`]) (`GET /api/v3/ip-list`). Nothing is sent
    /// until the listing is iterated; pages of up to
    /// [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) entries are fetched as iteration needs them,
    /// each retried as any call is, and the listing proves its
    /// completeness (see [`Entries`]).
    ///
    /// ```
    /// use genauth_mfa::{IpListType, ManagementClient};
    /// use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    ///
    /// let fake = FakeGenAuth::new().with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"));
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// let bypass: Vec<String> = mgmt
    ///     .list_ip_list(IpListType::White)
    ///     .into_iter()
    ///     .filter(|e| e.as_ref().map_or(true, |e| e.skips_mfa()))
    ///     .map(|e| e.map(|e| e.ip))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(bypass, ["10.0.0.0/8"]);
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn list_ip_list(&self, list_type: IpListType) -> ListIpList<'_> {
        let mut request = PagedGet::new(PATH);
        request
            .query
            .push(("ipType", list_type.as_str().to_owned()));
        ListIpList {
            client: self,
            request,
        }
    }
}

/// A listing of the pool's IP list; see [`ManagementClient::list_ip_list`].
/// Iterate it (it is an [`IntoIterator`] of `Result<IpListEntry>`).
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until the listing is iterated"]
pub struct ListIpList<'a> {
    client: &'a ManagementClient,
    request: PagedGet,
}

impl ListIpList<'_> {
    /// Entries per page, 1 to [`MAX_LIST_PAGE_SIZE`](crate::MAX_LIST_PAGE_SIZE) (the default); other
    /// values fail the first page with
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument).
    ///
    /// ```
    /// # use genauth_mfa::{IpListType, ManagementClient};
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let small_pages = mgmt.list_ip_list(IpListType::White).page_size(20);
    /// # let _ = small_pages;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn page_size(mut self, size: u32) -> Self {
        self.request.page_size = size;
        self
    }
}

impl<'a> IntoIterator for ListIpList<'a> {
    type Item = crate::Result<IpListEntry>;
    type IntoIter = Entries<'a, IpListEntry>;

    fn into_iter(self) -> Entries<'a, IpListEntry> {
        Entries::new(self.client, self.request, ("entries", "entry"), |e| {
            e.id.as_deref().unwrap_or(&e.ip)
        })
    }
}
