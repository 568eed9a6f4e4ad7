//! `GET /api/v3/get-all-departments`: every department of one
//! organisation, in one answer (management API).

use serde::{Deserialize, Deserializer};

use crate::call::endpoint::{Endpoint, require_id};
use crate::call::envelope::ObjectOnly;
use crate::client::management::ManagementClient;
use crate::error::{Error, Result};
use crate::model::Department;

const PATH: &str = "/api/v3/get-all-departments";

impl ManagementClient {
    /// Reads every department of the organisation `organization_code`
    /// (`GET /api/v3/get-all-departments`, from its root). Nothing is sent
    /// until [`send`](GetAllDepartments::send).
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    /// use genauth_mfa_fake::{FakeGenAuth, Organization};
    ///
    /// let fake = FakeGenAuth::new().with_organization(
    ///     Organization::new("acme", "Acme")
    ///         .department("eng", "Engineering", None)
    ///         .department("platform", "Platform", Some("eng")),
    /// );
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id("ak")
    ///     .access_key_secret("sk")
    ///     .transport(fake)
    ///     .build()?;
    /// let departments = mgmt.get_all_departments("acme").send()?;
    /// assert_eq!(departments[1].name.as_deref(), Some("Platform"));
    /// assert_eq!(departments[1].parent_department_id.as_deref(), Some("eng"));
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_all_departments(
        &self,
        organization_code: impl Into<String>,
    ) -> GetAllDepartments<'_> {
        GetAllDepartments {
            client: self,
            organization_code: organization_code.into(),
        }
    }
}

/// A get-all-departments request; made by
/// [`ManagementClient::get_all_departments`], sent by
/// [`GetAllDepartments::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct GetAllDepartments<'c> {
    client: &'c ManagementClient,
    organization_code: String,
}

impl GetAllDepartments<'_> {
    /// Sends the request (a read, retried as any call is) and returns the
    /// organisation's departments, in the server's order. The answer's
    /// `totalCount` is not relied on (the vendor types it as a boolean;
    /// a number, a boolean or none are all accepted): the list is the
    /// answer.
    ///
    /// ```
    /// # use genauth_mfa::ManagementClient;
    /// # use genauth_mfa_fake::{FakeGenAuth, Organization};
    /// # let fake = FakeGenAuth::new().with_organization(Organization::new("acme", "Acme"));
    /// # let mgmt = ManagementClient::builder().access_key_id("ak").access_key_secret("sk")
    /// #     .transport(fake).build()?;
    /// let departments = mgmt.get_all_departments("acme").send()?;
    /// assert!(departments.is_empty());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] before anything is sent when the code is
    /// blank; an [`Error::Decode`] for an answer without a `list`;
    /// otherwise any [`Error`] of a call (an unknown organisation is an
    /// [`Error::Api`], statusCode 404 as the fake answers it).
    pub fn send(self) -> Result<Vec<Department>> {
        require_id("organization_code", &self.organization_code)?;
        let endpoint = Endpoint::get(PATH)
            .query("organizationCode", &self.organization_code)
            .query("departmentId", "root")
            .query("departmentIdType", "department_id")
            .query("withCustomData", "false");
        match self.client.send::<ObjectOnly<Answer>>(&endpoint)?.0.list {
            Some(list) => Ok(list),
            None => Err(Error::decode(200, "the answer holds no list", b"")),
        }
    }
}

/// `data` as sent: only `list` matters (`totalCount` may be a number, a
/// boolean or absent, and is ignored).
#[derive(Deserialize)]
struct Answer {
    #[serde(default, deserialize_with = "present_list")]
    list: Option<Vec<Department>>,
}

/// A `null` list is an empty one; an absent one stays `None`.
fn present_list<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<Department>>, D::Error> {
    Ok(Some(
        Option::<Vec<Department>>::deserialize(d)?.unwrap_or_default(),
    ))
}
