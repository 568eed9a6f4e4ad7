//! The pool's organisations (`list-organizations`) and departments
//! (`get-all-departments`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient;

/// An organisation of the pool (`OrganizationDto`, from
/// [`ManagementClient::list_organizations`](crate::ManagementClient::list_organizations)).
/// Unknown fields are kept in [`extra`](Self::extra).
///
/// ```
/// use genauth_mfa::Organization;
///
/// let org: Organization = serde_json::from_str(
///     r#"{"organizationCode":"acme","organizationName":"Acme","departmentId":"acme-root",
///         "membersCount":12,"hasChildren":true,"tenantId":null}"#,
/// )?;
/// assert_eq!(org.department_id.as_deref(), Some("acme-root"));
/// assert!(org.extra.contains_key("tenantId"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Organization {
    /// The organisation's code: what
    /// [`get_all_departments`](crate::ManagementClient::get_all_departments)
    /// takes (empty when the server sent none).
    #[serde(default, deserialize_with = "lenient::key")]
    pub organization_code: String,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub organization_name: Option<String>,
    /// The id of its root department.
    #[serde(default, deserialize_with = "lenient::text")]
    pub department_id: Option<String>,
    /// How many members it has.
    #[serde(default, deserialize_with = "lenient::lenient_count")]
    pub members_count: Option<u64>,
    /// Whether it has departments below its root.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub has_children: Option<bool>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A department of an organisation (`DepartmentDto`, from
/// [`ManagementClient::get_all_departments`](crate::ManagementClient::get_all_departments)).
/// Unknown fields are kept in [`extra`](Self::extra).
///
/// ```
/// use genauth_mfa::Department;
///
/// let dept: Department = serde_json::from_str(
///     r#"{"departmentId":"platform","name":"Platform","parentDepartmentId":"eng",
///         "organizationCode":"acme","membersCount":"4","leaderUserIds":["u-1"],
///         "status":true,"description":null}"#,
/// )?;
/// assert_eq!(dept.parent_department_id.as_deref(), Some("eng"));
/// assert_eq!(dept.members_count, Some(4));
/// assert_eq!(dept.leader_user_ids, ["u-1"]);
/// assert_eq!(dept.status, Some(true));
/// assert!(dept.extra.contains_key("description"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Department {
    /// The department's id (as in a user's `departmentIds`; empty when the
    /// server sent none).
    #[serde(default, deserialize_with = "lenient::key")]
    pub department_id: String,
    /// Its name.
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: Option<String>,
    /// The department it sits in (the organisation's root department for
    /// a top-level one).
    #[serde(default, deserialize_with = "lenient::text")]
    pub parent_department_id: Option<String>,
    /// Its code.
    #[serde(default, deserialize_with = "lenient::text")]
    pub code: Option<String>,
    /// Its organisation's code.
    #[serde(default, deserialize_with = "lenient::text")]
    pub organization_code: Option<String>,
    /// How many members it has.
    #[serde(default, deserialize_with = "lenient::lenient_count")]
    pub members_count: Option<u64>,
    /// Whether it has departments below it.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub has_children: Option<bool>,
    /// The user ids of its leaders (empty when the server sent none; each
    /// item as text).
    #[serde(default, deserialize_with = "lenient::texts")]
    pub leader_user_ids: Vec<String>,
    /// Its status: `true` when active (a boolean, or `"true"` / `"false"`;
    /// anything else is `None`).
    #[serde(default, deserialize_with = "lenient::flag")]
    pub status: Option<bool>,
    /// Every other field, as the server sent it. The fields above are
    /// typed rather than kept here: each entry of this map costs far more
    /// memory than a typed field, and an organisation may have tens of
    /// thousands of departments.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
