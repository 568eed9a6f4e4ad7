//! The pool's MFA policy as the fake keeps it: the factors the pool
//! enables, its user and IP lists ([`ListEntry`]), its roles and its
//! organisations with their departments ([`Organization`]), and the pages
//! cut from them.

use std::collections::HashMap;

use serde_json::{Value, json};

mod list;
mod org;
#[cfg(test)]
mod tests;

pub use list::ListEntry;
pub(super) use list::ListKind;
pub use org::Organization;

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
