//! The fake's user pool: the users `POST /api/v3/list-users` lists, in
//! `createdAt` order, and the pages it cuts from them.
//!
//! A generated pool costs one small entry per user (its index): each
//! generated user's `UserDto` is made from its index when a page holds it.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::paging::{Paging, PoolChange};
use super::user::PoolUser;

mod entry;

pub(super) use entry::derived_mfa;
use genauth_mfa::{UserIdType, UserMfaInfo};

use entry::{compare, dto, generated_id, id_of, iso8601, status_of};

/// The first generated user's `createdAt`: 2024-01-01T00:00:00Z; each next
/// one is a minute later.
const EPOCH: u64 = 1_704_067_200;
const STEP: u64 = 60;

#[derive(Clone)]
enum Entry {
    Generated(u32),
    Custom(Arc<PoolUser>),
}

/// Which users a listing wants and in which order.
#[derive(Debug, PartialEq)]
pub(super) struct Listing {
    pub(super) page: u64,
    pub(super) limit: u64,
    pub(super) status: StatusFilter,
    pub(super) descending: bool,
    /// `options.withDepartmentIds`: each user gains `departmentIds`.
    pub(super) with_department_ids: bool,
}

/// The users of which status a listing wants.
#[derive(Debug, PartialEq)]
pub(super) enum StatusFilter {
    Any,
    Only(String),
    /// Filters that contradict each other (two statuses at once).
    Nobody,
}

#[derive(Default)]
pub(super) struct Pool {
    generated: u32,
    removed: HashSet<u32>,
    custom: HashMap<String, Arc<PoolUser>>,
    /// Every user, `createdAt` ascending, then `userId`.
    order: Vec<Entry>,
    /// The `createdAt` of the next user added without one.
    clock: u64,
    changes: Vec<(u64, PoolChange)>,
    /// The positions in `order` of one status's users, until a change.
    matching: Option<(String, Vec<u32>)>,
    pub(super) paging: Paging,
    /// The departments of the users that have any, by `userId`, the main
    /// one first.
    departments: HashMap<String, Vec<String>>,
    /// The generated users' departments, by a rule on their index (see
    /// [`Pool::generate_departments`]): `(prefix, n)`.
    department_rule: Option<(String, u32)>,
}

impl Pool {
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }

    /// Replaces the generated users by `n` new ones (custom users stay).
    pub(super) fn generate(&mut self, n: u32) {
        self.order.retain(|e| matches!(e, Entry::Custom(_)));
        self.removed.clear();
        self.generated = n;
        let custom = std::mem::take(&mut self.order);
        let mut generated = (0..n).map(Entry::Generated).peekable();
        self.order.reserve(custom.len() + n as usize);
        for user in custom {
            while let Some(g) = generated.next_if(|g| compare(g, &user) == Ordering::Less) {
                self.order.push(g);
            }
            self.order.push(user);
        }
        self.order.extend(generated);
        self.clock = self.clock.max(EPOCH + STEP * u64::from(n));
        self.matching = None;
    }

    pub(super) fn add(&mut self, mut user: PoolUser) {
        self.remove(&user.user_id);
        if user.created_at.is_none() {
            self.clock = self.clock.max(EPOCH);
            user.created_at = Some(iso8601(self.clock));
            self.clock += STEP;
        }
        let user = Arc::new(user);
        let entry = Entry::Custom(Arc::clone(&user));
        let at = self
            .order
            .partition_point(|e| compare(e, &entry) != Ordering::Greater);
        self.order.insert(at, entry);
        self.custom.insert(user.user_id.clone(), user);
        self.matching = None;
    }

    pub(super) fn remove(&mut self, user_id: &str) -> bool {
        let entry = if let Some(user) = self.custom.remove(user_id) {
            Entry::Custom(user)
        } else if let Some(i) = self.generated_index(user_id) {
            self.removed.insert(i);
            Entry::Generated(i)
        } else {
            return false;
        };
        let at = self
            .order
            .partition_point(|e| compare(e, &entry) == Ordering::Less);
        if at < self.order.len() && compare(&self.order[at], &entry) == Ordering::Equal {
            self.order.remove(at);
        }
        self.matching = None;
        true
    }

    pub(super) fn change_after_page(&mut self, page: u64, change: PoolChange) {
        self.changes.push((page, change));
    }

    /// The MFA statuses of the pool's user known as `id`.
    pub(super) fn mfa_of(&self, id: &str, id_type: UserIdType) -> Option<UserMfaInfo> {
        if id_type == UserIdType::UserId {
            if let Some(user) = self.custom.get(id) {
                return Some(user.mfa.clone());
            }
            return self.generated_index(id).map(|_| derived_mfa(id));
        }
        self.custom
            .values()
            .find(|u| u.is_known_as(id, id_type))
            .map(|u| u.mfa.clone())
    }

    /// One page of users, then the changes due after it.
    pub(super) fn list(&mut self, listing: &Listing) -> Value {
        if let StatusFilter::Only(status) = &listing.status {
            self.find_matching(status);
        }
        let filter: Option<&[u32]> = match &listing.status {
            StatusFilter::Any => None,
            StatusFilter::Only(_) => Some(self.matching.as_ref().map_or(&[], |(_, p)| p)),
            StatusFilter::Nobody => Some(&[]),
        };
        let total = filter.map_or(self.order.len(), <[u32]>::len) as u64;
        let paging = &self.paging;
        let limit = paging
            .page_size
            .map_or(listing.limit, |n| n.min(listing.limit));
        let page = if paging.ignore_page { 1 } else { listing.page };
        let step = limit.saturating_sub(paging.overlap);
        let first = page.saturating_sub(1).saturating_mul(step);
        let last = first.saturating_add(limit).min(total);
        let list: Vec<Value> = (first..last)
            .filter_map(|k| {
                let k = if listing.descending { total - 1 - k } else { k };
                let k = usize::try_from(k).ok()?;
                let at = match filter {
                    Some(positions) => usize::try_from(*positions.get(k)?).ok()?,
                    None => k,
                };
                let entry = self.order.get(at)?;
                if !paging.hidden.is_empty() && paging.hidden.contains(&id_of(entry)) {
                    return None;
                }
                Some(self.with_departments(dto(entry), listing.with_department_ids))
            })
            .collect();
        let told = i64::try_from(total)
            .unwrap_or(i64::MAX)
            .saturating_add(paging.miscount)
            .max(0);
        let without_total_count = paging.without_total_count;
        let (due, later) = std::mem::take(&mut self.changes)
            .into_iter()
            .partition::<Vec<_>, _>(|(page, _)| *page == listing.page);
        self.changes = later;
        for (_, change) in due {
            match change {
                PoolChange::Add(user) => self.add(user),
                PoolChange::Remove(id) => {
                    self.remove(&id);
                }
            }
        }
        if without_total_count {
            json!({"list": list})
        } else {
            json!({"totalCount": told, "list": list})
        }
    }

    /// Finds the positions in `order` of the users with this status.
    fn find_matching(&mut self, status: &str) {
        if self
            .matching
            .as_ref()
            .is_none_or(|(cached, _)| cached != status)
        {
            let positions = (0u32..)
                .zip(&self.order)
                .filter(|(_, e)| status_of(e) == status)
                .map(|(i, _)| i)
                .collect();
            self.matching = Some((status.to_owned(), positions));
        }
    }

    /// Puts the user `user_id` in these departments (the first is their
    /// main one); none takes them out of every department.
    pub(super) fn set_departments(&mut self, user_id: &str, departments: Vec<String>) {
        if departments.is_empty() {
            self.departments.remove(user_id);
        } else {
            self.departments.insert(user_id.to_owned(), departments);
        }
    }

    /// Puts the generated users in the departments `<prefix>-d<j>` (`j`
    /// below `n`) by a rule on their index `i`, with no per-user memory:
    /// every eleventh user (`i % 11 == 10`) in none; the others in `i % n`,
    /// and every seventh also in `(i / 7) % n`. A user set with
    /// [`set_departments`](Self::set_departments) keeps their own.
    pub(super) fn generate_departments(&mut self, prefix: &str, n: u32) {
        self.department_rule = (n > 0).then(|| (prefix.to_owned(), n));
    }

    /// The departments of the generated user `i` by the rule.
    fn ruled_departments(&self, i: u32) -> Vec<String> {
        let Some((prefix, n)) = &self.department_rule else {
            return Vec::new();
        };
        if i % 11 == 10 {
            return Vec::new();
        }
        let mut ids = vec![format!("{prefix}-d{}", i % n)];
        if i % 7 == 0 && (i / 7) % n != i % n {
            ids.push(format!("{prefix}-d{}", (i / 7) % n));
        }
        ids
    }

    /// The departments of `user_id`, the main one first.
    fn departments_of(&self, user_id: &str) -> Vec<String> {
        if let Some(ids) = self.departments.get(user_id) {
            return ids.clone();
        }
        match self.department_rule {
            Some(_) if !self.custom.contains_key(user_id) => self
                .generated_index(user_id)
                .map(|i| self.ruled_departments(i))
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// How many users each department holds: one pass over the users, so
    /// that an answer listing many departments costs one pass, not one
    /// per department.
    pub(super) fn department_sizes(&self) -> HashMap<String, usize> {
        let mut sizes = HashMap::new();
        for ids in self.departments.values() {
            for id in ids {
                *sizes.entry(id.clone()).or_insert(0) += 1;
            }
        }
        if self.department_rule.is_some() {
            for i in (0..self.generated).filter(|i| !self.removed.contains(i)) {
                if self.departments.contains_key(&generated_id(i)) {
                    continue;
                }
                for id in self.ruled_departments(i) {
                    *sizes.entry(id).or_insert(0) += 1;
                }
            }
        }
        sizes
    }

    /// The `UserDto` of the pool's user `user_id`, with `departmentIds`
    /// when asked; `None`: no such user in the pool.
    pub(super) fn dto_of(&self, user_id: &str, with_department_ids: bool) -> Option<Value> {
        let dto = match self.custom.get(user_id) {
            Some(user) => user.to_json(),
            None => dto(&Entry::Generated(self.generated_index(user_id)?)),
        };
        Some(self.with_departments(dto, with_department_ids))
    }

    /// Adds `mainDepartmentId` (when the user has one) and, when asked,
    /// `departmentIds` (`[]` for none) to a `UserDto`.
    fn with_departments(&self, mut dto: Value, with_department_ids: bool) -> Value {
        let departments = dto["userId"]
            .as_str()
            .map(|id| self.departments_of(id))
            .unwrap_or_default();
        if let Some(object) = dto.as_object_mut() {
            if let Some(main) = departments.first() {
                object.insert("mainDepartmentId".into(), json!(main));
            }
            if with_department_ids {
                object.insert("departmentIds".into(), json!(departments));
            }
        }
        dto
    }

    fn generated_index(&self, user_id: &str) -> Option<u32> {
        let i: u32 = user_id.strip_prefix("user-")?.parse().ok()?;
        (i < self.generated && generated_id(i) == user_id && !self.removed.contains(&i))
            .then_some(i)
    }
}

#[cfg(test)]
mod tests;
