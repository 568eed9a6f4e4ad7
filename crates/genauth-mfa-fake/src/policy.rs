//! The pool's MFA policy as the fake keeps it: the factors the pool
//! enables, its user and IP lists ([`ListEntry`]), its roles and its
//! organisations with their departments ([`Organization`]), and the pages
//! cut from them.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// When the first list entry was added: 2024-06-01T00:00:00Z; each next one
/// a minute later.
const LIST_EPOCH: u64 = 1_717_200_000;

/// Which list a [`ListEntry`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    /// `user-list`: its entries name a user (`userId`).
    User,
    /// `ip-list`: its entries name an address or range (`ip`).
    Ip,
}

/// An entry of the pool's user list (`GET /api/v3/user-list`, a
/// `RiskListItemDto`) or IP list (`GET /api/v3/ip-list`, an
/// `IpListRespDto`), for
/// [`FakeGenAuth::with_list_entry`](super::FakeGenAuth::with_list_entry).
///
/// Its `limitList` holds what [`limit`](Self::limit) adds, in order (the
/// service's values are `SKIP_MFA`, `FORBID_LOGIN` and `FORBID_REGISTER`;
/// any other text is sent as given, to test a client with a value it does
/// not know). The fake gives each entry an `id`, `addType` and
/// `removeType` `MANUAL`, and an `addAt` a minute after the entry added
/// before it (from 2024-06-01T00:00:00Z); [`field`](Self::field) sets any
/// of them, or any other field.
///
/// ```
/// use genauth_mfa_fake::{FakeGenAuth, ListEntry};
///
/// let fake = FakeGenAuth::new()
///     // alice is never asked for MFA; 10.0.0.0/8 neither.
///     .with_list_entry(ListEntry::white_user("alice").limit("SKIP_MFA"))
///     .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"))
///     .with_list_entry(ListEntry::black_user("mallory").limit("FORBID_LOGIN").limit("FORBID_REGISTER"));
/// # let _ = fake;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct ListEntry {
    pub(super) kind: ListKind,
    pub(super) list_type: String,
    value: String,
    limits: Vec<String>,
    fields: Map<String, Value>,
}

impl ListEntry {
    fn new(kind: ListKind, list_type: &str, value: &str) -> ListEntry {
        ListEntry {
            kind,
            list_type: list_type.to_owned(),
            value: value.to_owned(),
            limits: Vec::new(),
            fields: Map::new(),
        }
    }

    /// An entry of the user allow list (`userListType` `WHITE`) for the
    /// user with this `userId`, with an empty `limitList`.
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let exempt = ListEntry::white_user("user-000005").limit("SKIP_MFA");
    /// # let _ = exempt;
    /// ```
    pub fn white_user(user_id: &str) -> ListEntry {
        ListEntry::new(ListKind::User, "WHITE", user_id)
    }

    /// An entry of the user deny list (`userListType` `BLACK`).
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let banned = ListEntry::black_user("mallory").limit("FORBID_LOGIN");
    /// # let _ = banned;
    /// ```
    pub fn black_user(user_id: &str) -> ListEntry {
        ListEntry::new(ListKind::User, "BLACK", user_id)
    }

    /// An entry of the IP allow list (`ipType` `WHITE`): an address, a CIDR
    /// range or a dash range, kept as text.
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let office = ListEntry::white_ip("192.168.1.1-192.168.1.254").limit("SKIP_MFA");
    /// # let _ = office;
    /// ```
    pub fn white_ip(ip: &str) -> ListEntry {
        ListEntry::new(ListKind::Ip, "WHITE", ip)
    }

    /// An entry of the IP deny list (`ipType` `BLACK`).
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let blocked = ListEntry::black_ip("203.0.113.7").limit("FORBID_LOGIN");
    /// # let _ = blocked;
    /// ```
    pub fn black_ip(ip: &str) -> ListEntry {
        ListEntry::new(ListKind::Ip, "BLACK", ip)
    }

    /// Adds `limit` to the entry's `limitList`: `SKIP_MFA`,
    /// `FORBID_LOGIN`, `FORBID_REGISTER`, or any other text.
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let novel = ListEntry::white_user("u1").limit("SKIP_CAPTCHA");
    /// # let _ = novel;
    /// ```
    pub fn limit(mut self, limit: &str) -> ListEntry {
        self.limits.push(limit.to_owned());
        self
    }

    /// Any field of the entry's JSON, under its JSON name (`addAt`,
    /// `addType`, `removeType`, `id`, a field the service may add one day,
    /// ...); it wins over the fake's own value. `limitList` and the user or
    /// IP it names are set by their own methods.
    ///
    /// ```
    /// use genauth_mfa_fake::ListEntry;
    ///
    /// let scheduled = ListEntry::white_user("u1").limit("SKIP_MFA").field("addType", "SCHEDULE");
    /// # let _ = scheduled;
    /// ```
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> ListEntry {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    /// The entry's JSON; `seq`: how many entries were added before it.
    fn to_json(&self, seq: usize) -> Value {
        let added = LIST_EPOCH + 60 * seq as u64;
        let mut item = Map::new();
        item.insert("id".into(), json!(format!("list-entry-{seq:06}")));
        let (name, type_name) = match self.kind {
            ListKind::User => ("userId", "userListType"),
            ListKind::Ip => ("ip", "ipType"),
        };
        item.insert(type_name.into(), json!(self.list_type));
        item.insert("addType".into(), json!("MANUAL"));
        item.insert("removeType".into(), json!("MANUAL"));
        item.insert(
            "addAt".into(),
            json!(genauth_mfa::iso8601_utc(added, Some(0))),
        );
        item.extend(self.fields.clone());
        item.insert(name.into(), json!(self.value));
        item.insert("limitList".into(), json!(self.limits));
        Value::Object(item)
    }
}

/// An organisation of the pool (`list-organizations`) and its departments
/// (`get-all-departments`), for
/// [`FakeGenAuth::with_organization`](super::FakeGenAuth::with_organization).
///
/// The organisation's root department has the id `<code>-root`; a
/// department added with no parent sits right under it (its
/// `parentDepartmentId` is the root's id). `get-all-departments` with
/// `departmentId=root` lists every department but the root, in the order
/// added; with a department's id, the departments below it. Put users in
/// departments with
/// [`FakeGenAuth::with_user_departments`](super::FakeGenAuth::with_user_departments).
///
/// ```
/// use genauth_mfa_fake::{FakeGenAuth, Organization};
///
/// let acme = Organization::new("acme", "Acme")
///     .department("eng", "Engineering", None)
///     .department("platform", "Platform", Some("eng"))
///     .department("sre", "SRE", Some("platform"));
/// let fake = FakeGenAuth::new()
///     .with_organization(acme)
///     .with_user_departments("user-000001", ["platform", "sre"]);
/// # let _ = fake;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct Organization {
    pub(super) code: String,
    name: String,
    departments: Vec<Department>,
    total_count: Option<Option<Value>>,
    fields: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
struct Department {
    id: String,
    name: String,
    parent: Option<String>,
}

impl Organization {
    /// An organisation with this `organizationCode` and
    /// `organizationName`, and no department but its root.
    ///
    /// ```
    /// use genauth_mfa_fake::Organization;
    ///
    /// let acme = Organization::new("acme", "Acme");
    /// assert_eq!(acme.root_department_id(), "acme-root");
    /// ```
    pub fn new(code: &str, name: &str) -> Organization {
        Organization {
            code: code.to_owned(),
            name: name.to_owned(),
            departments: Vec::new(),
            total_count: None,
            fields: Map::new(),
        }
    }

    /// The id of the organisation's root department, `<code>-root`: the
    /// `parentDepartmentId` of its top-level departments.
    ///
    /// ```
    /// use genauth_mfa_fake::Organization;
    ///
    /// assert_eq!(Organization::new("labs", "Labs").root_department_id(), "labs-root");
    /// ```
    #[must_use]
    pub fn root_department_id(&self) -> String {
        format!("{}-root", self.code)
    }

    /// Adds the department `id` (also its `code`) named `name`, under the
    /// department `parent` (`None`: under the root). A department with the
    /// same id is replaced.
    ///
    /// ```
    /// use genauth_mfa_fake::Organization;
    ///
    /// let acme = Organization::new("acme", "Acme")
    ///     .department("sales", "Sales", None)
    ///     .department("sales-emea", "EMEA", Some("sales"));
    /// # let _ = acme;
    /// ```
    pub fn department(mut self, id: &str, name: &str, parent: Option<&str>) -> Organization {
        self.departments.retain(|d| d.id != id);
        self.departments.push(Department {
            id: id.to_owned(),
            name: name.to_owned(),
            parent: parent.map(str::to_owned),
        });
        self
    }

    /// Adds a department known to be new (no search for one to replace).
    pub(super) fn push_department(
        mut self,
        id: &str,
        name: &str,
        parent: Option<String>,
    ) -> Organization {
        self.departments.push(Department {
            id: id.to_owned(),
            name: name.to_owned(),
            parent,
        });
        self
    }

    /// What `get-all-departments` answers as `totalCount` for this
    /// organisation: by default the number of departments listed; the
    /// vendor's DTO types it as a boolean, so a client must also take
    /// `Some(json!(true))`, or `None`: no `totalCount` at all.
    ///
    /// ```
    /// use genauth_mfa_fake::Organization;
    /// use serde_json::json;
    ///
    /// let odd = Organization::new("acme", "Acme").departments_total_count(Some(json!(true)));
    /// let uncounted = Organization::new("labs", "Labs").departments_total_count(None);
    /// # let _ = (odd, uncounted);
    /// ```
    pub fn departments_total_count(mut self, total: Option<Value>) -> Organization {
        self.total_count = Some(total);
        self
    }

    /// Any other field of the organisation's `OrganizationDto`, under its
    /// JSON name (`tenantId`, `description`, ...); it wins over the fake's
    /// own value, except `organizationCode`.
    ///
    /// ```
    /// use genauth_mfa_fake::Organization;
    ///
    /// let acme = Organization::new("acme", "Acme").field("tenantId", "t-1");
    /// # let _ = acme;
    /// ```
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> Organization {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    fn parent_of(&self, department: &Department) -> String {
        department
            .parent
            .clone()
            .unwrap_or_else(|| self.root_department_id())
    }

    /// Whether department `id` is `ancestor` or below it (bounded: a cycle
    /// a test made is not followed for ever).
    fn is_below(&self, id: &str, ancestor: &str) -> bool {
        let mut current = id.to_owned();
        for _ in 0..=self.departments.len() {
            let Some(department) = self.departments.iter().find(|d| d.id == current) else {
                return false;
            };
            current = self.parent_of(department);
            if current == ancestor {
                return true;
            }
        }
        false
    }

    /// The organisation's `OrganizationDto`.
    fn to_json(&self, members: &dyn Fn(&str) -> usize) -> Value {
        let root = self.root_department_id();
        let mut item = Map::new();
        item.insert("organizationName".into(), json!(self.name));
        item.insert("departmentId".into(), json!(root));
        item.insert(
            "membersCount".into(),
            json!(
                self.departments
                    .iter()
                    .map(|d| members(&d.id))
                    .sum::<usize>()
            ),
        );
        item.insert("hasChildren".into(), json!(!self.departments.is_empty()));
        item.insert("status".into(), json!(true));
        item.insert("tenantId".into(), Value::Null);
        item.extend(self.fields.clone());
        item.insert("organizationCode".into(), json!(self.code));
        Value::Object(item)
    }

    /// `get-all-departments`' `data` for the departments below `from`
    /// (`root` or the root's id: all of them); `None`: no such department.
    fn departments_json(&self, from: &str, members: &dyn Fn(&str) -> usize) -> Option<Value> {
        let root = self.root_department_id();
        let from = if from == "root" { root.as_str() } else { from };
        if from != root && !self.departments.iter().any(|d| d.id == from) {
            return None;
        }
        // Each department's children, found in one pass (not one per
        // department: 10,000 departments answer in one go).
        let parents: std::collections::HashSet<String> =
            self.departments.iter().map(|d| self.parent_of(d)).collect();
        let list: Vec<Value> = self
            .departments
            .iter()
            .filter(|d| from == root || self.is_below(&d.id, from))
            .map(|d| {
                json!({
                    "departmentId": d.id,
                    "code": d.id,
                    "name": d.name,
                    "parentDepartmentId": self.parent_of(d),
                    "organizationCode": self.code,
                    "membersCount": members(&d.id),
                    "hasChildren": parents.contains(&d.id),
                    "leaderUserIds": [],
                    "status": true,
                })
            })
            .collect();
        let mut data = Map::new();
        match &self.total_count {
            None => {
                data.insert("totalCount".into(), json!(list.len()));
            }
            Some(Some(told)) => {
                data.insert("totalCount".into(), told.clone());
            }
            Some(None) => {}
        }
        data.insert("list".into(), Value::Array(list));
        Some(Value::Object(data))
    }
}

/// The page `page` (from 1) of `limit` items of a list of `len`: the range
/// of their positions (empty past the end).
pub(super) fn page_range(len: usize, page: u64, limit: u64) -> std::ops::Range<usize> {
    let len_u64 = len as u64;
    let first = page.saturating_sub(1).saturating_mul(limit).min(len_u64);
    let last = first.saturating_add(limit).min(len_u64);
    // Both are at most `len`, a usize.
    usize::try_from(first).unwrap_or(len)..usize::try_from(last).unwrap_or(len)
}

/// `{"totalCount": N, "list": [...]}` for one page of `items`.
fn page_of<T>(items: &[T], page: u64, limit: u64, item: impl Fn(usize, &T) -> Value) -> Value {
    let range = page_range(items.len(), page, limit);
    let list: Vec<Value> = items[range.clone()]
        .iter()
        .zip(range)
        .map(|(it, at)| item(at, it))
        .collect();
    json!({"totalCount": items.len(), "list": list})
}

/// The pool's policy, roles and organisations.
pub(super) struct Policy {
    pub(super) enabled_factors: Vec<String>,
    /// Every list entry, user and IP alike, in the order added (their
    /// position gives their `id` and `addAt`).
    pub(super) entries: Vec<ListEntry>,
    /// The members' `userId`s of each role, by (namespace, code).
    pub(super) roles: HashMap<(String, String), Vec<String>>,
    pub(super) organizations: Vec<Organization>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled_factors: ["OTP", "SMS", "EMAIL", "FACE"].map(str::to_owned).to_vec(),
            entries: Vec::new(),
            roles: HashMap::new(),
            organizations: Vec::new(),
        }
    }
}

impl Policy {
    /// One page of the user or IP list of type `list_type`.
    pub(super) fn list(&self, kind: ListKind, list_type: &str, page: u64, limit: u64) -> Value {
        let entries: Vec<(usize, &ListEntry)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == kind && e.list_type == list_type)
            .collect();
        page_of(&entries, page, limit, |_, (seq, entry)| entry.to_json(*seq))
    }

    pub(super) fn add_organization(&mut self, organization: Organization) {
        self.organizations.retain(|o| o.code != organization.code);
        self.organizations.push(organization);
    }

    /// One page of the organisations (all of them with `fetch_all`).
    pub(super) fn organizations(
        &self,
        page: u64,
        limit: u64,
        fetch_all: bool,
        members: &dyn Fn(&str) -> usize,
    ) -> Value {
        let (page, limit) = if fetch_all {
            (1, self.organizations.len().max(1) as u64)
        } else {
            (page, limit)
        };
        page_of(&self.organizations, page, limit, |_, o| o.to_json(members))
    }

    /// `get-all-departments`' `data`: `Err(true)`: no such organisation;
    /// `Err(false)`: no such department in it.
    pub(super) fn departments(
        &self,
        code: &str,
        from: &str,
        members: &dyn Fn(&str) -> usize,
    ) -> Result<Value, bool> {
        let organization = self
            .organizations
            .iter()
            .find(|o| o.code == code)
            .ok_or(true)?;
        organization.departments_json(from, members).ok_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_cut_from_1_and_empty_past_the_end() {
        assert_eq!(page_range(105, 1, 50), 0..50);
        assert_eq!(page_range(105, 3, 50), 100..105);
        assert_eq!(page_range(105, 4, 50), 105..105);
        assert_eq!(page_range(105, u64::MAX, u64::MAX), 105..105);
        assert_eq!(page_range(0, 1, 10), 0..0);
    }

    #[test]
    fn a_cycle_of_departments_is_not_followed_for_ever() {
        let org = Organization::new("o", "O")
            .department("a", "A", Some("b"))
            .department("b", "B", Some("a"));
        assert!(!org.is_below("a", "o-root"));
        assert!(org.is_below("a", "b"));
        let data = org.departments_json("root", &|_| 0).unwrap();
        assert_eq!(data["list"].as_array().unwrap().len(), 2);
    }
}
