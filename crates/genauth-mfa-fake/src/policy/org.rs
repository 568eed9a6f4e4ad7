//! The pool's organisations and their department trees: [`Organization`].

use serde_json::{Map, Value, json};

/// An organisation of the pool (`list-organizations`) and its departments
/// (`get-all-departments`), for
/// [`FakeGenAuth::with_organization`](crate::FakeGenAuth::with_organization).
///
/// The organisation's root department has the id `<code>-root`; a
/// department added with no parent sits right under it (its
/// `parentDepartmentId` is the root's id). `get-all-departments` with
/// `departmentId=root` lists every department but the root, in the order
/// added; with a department's id, the departments below it. Put users in
/// departments with
/// [`FakeGenAuth::with_user_departments`](crate::FakeGenAuth::with_user_departments).
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
    pub(crate) fn push_department(
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
    pub(crate) fn is_below(&self, id: &str, ancestor: &str) -> bool {
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
    pub(crate) fn to_json(&self, members: &dyn Fn(&str) -> usize) -> Value {
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
    pub(crate) fn departments_json(
        &self,
        from: &str,
        members: &dyn Fn(&str) -> usize,
    ) -> Option<Value> {
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
