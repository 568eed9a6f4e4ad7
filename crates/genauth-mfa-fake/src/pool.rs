//! The fake's user pool: the users `POST /api/v3/list-users` lists, in
//! `createdAt` order, and the pages it cuts from them.
//!
//! A generated pool costs one small entry per user (its index): each
//! generated user's `UserDto` is made from its index when a page holds it.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use super::user::PoolUser;
use genauth_mfa::{UserIdType, UserMfaInfo};

/// A change the fake makes to its pool by itself, for
/// [`FakeGenAuth::change_pool_after_page`](super::FakeGenAuth::change_pool_after_page).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PoolChange {
    /// Adds this user (with no `createdAt` set, it lists last; see
    /// [`PoolUser::new`]).
    Add(PoolUser),
    /// Removes the user with this `userId`.
    Remove(String),
}

/// How the fake's `list-users` pages lie, for
/// [`FakeGenAuth::with_paging`](super::FakeGenAuth::with_paging): the
/// ways a server (or a proxy, or a buggy deployment) can page so that a
/// client that trusts it lists only part of the pool. The default,
/// [`Paging::honest`], pages as the service does. Each option can be
/// combined with the others and with a pool that changes while it is listed
/// ([`FakeGenAuth::change_pool_after_page`](super::FakeGenAuth::change_pool_after_page)).
///
/// ```
/// use genauth_mfa::ManagementClient;
/// use genauth_mfa_fake::{FakeGenAuth, Paging};
///
/// // A server that pages by 10 whatever `limit` asks: every page is short.
/// let fake = FakeGenAuth::new()
///     .with_generated_pool(100)
///     .with_paging(Paging::honest().page_size(10));
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ak")
///     .access_key_secret("sk")
///     .transport(fake.clone())
///     .build()?;
/// // A short page is not the end: all 100 users, in 10 pages and an empty one at most.
/// let users: Vec<_> = mgmt.list_users().into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(users.len(), 100);
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Paging {
    page_size: Option<u64>,
    ignore_page: bool,
    without_total_count: bool,
    overlap: u64,
    hidden: HashSet<String>,
    miscount: i64,
}

impl Paging {
    /// Pages as the service does: `limit` users from `(page - 1) * limit`,
    /// and the `totalCount` of the users that match.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// assert_eq!(Paging::honest(), Paging::default());
    /// ```
    pub fn honest() -> Paging {
        Paging::default()
    }

    /// Pages by at most `size` users whatever `limit` asks (0 reads as 1):
    /// page `p` holds the users from `(p - 1) * size`, so every page is
    /// shorter than a client asking for more expects, and a client that
    /// stops at the first short page lists only the first.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Paging};
    ///
    /// let fake = FakeGenAuth::new().with_generated_pool(100).with_paging(Paging::honest().page_size(10));
    /// # let _ = fake;
    /// ```
    pub fn page_size(mut self, size: u64) -> Paging {
        self.page_size = Some(size.max(1));
        self
    }

    /// Answers page 1 whatever page is asked for: every page repeats the
    /// same users.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let lying = Paging::honest().ignore_page_number();
    /// # let _ = lying;
    /// ```
    pub fn ignore_page_number(mut self) -> Paging {
        self.ignore_page = true;
        self
    }

    /// Sends no `totalCount` in any page.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let uncounted = Paging::honest().without_total_count();
    /// # let _ = uncounted;
    /// ```
    pub fn without_total_count(mut self) -> Paging {
        self.without_total_count = true;
        self
    }

    /// Starts every page after the first `n` users early: its first `n`
    /// users are the last `n` of the page before (repeated users; none is
    /// missed). With `n` at least the page size every page is the first.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let overlapping = Paging::honest().overlap(5);
    /// # let _ = overlapping;
    /// ```
    pub fn overlap(mut self, n: u64) -> Paging {
        self.overlap = n;
        self
    }

    /// Counts the user with this `userId` in `totalCount` but leaves them
    /// out of every page (their page is one user shorter): a user the
    /// listing misses. `get-user-mfa-info` still finds them.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let missing = Paging::honest().hide_user("user-000042");
    /// # let _ = missing;
    /// ```
    pub fn hide_user(mut self, user_id: &str) -> Paging {
        self.hidden.insert(user_id.to_owned());
        self
    }

    /// Adds `delta` (which may be negative; the sum is at least 0) to every
    /// `totalCount` sent: a count that does not match the users listed.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let overcounted = Paging::honest().miscount(5);
    /// # let _ = overcounted;
    /// ```
    pub fn miscount(mut self, delta: i64) -> Paging {
        self.miscount = delta;
        self
    }
}

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

/// The id of generated user `i`: `user-000000`, `user-000001`, ...
fn generated_id(i: u32) -> String {
    format!("user-{i:06}")
}

fn generated_created(i: u32) -> u64 {
    EPOCH + STEP * u64::from(i)
}

/// Generated user `i`'s status: `Suspended` when `i % 20 == 7`,
/// `Deactivated` when `i % 20 == 13`, else `Activated`.
fn generated_status(i: u32) -> &'static str {
    match i % 20 {
        7 => "Suspended",
        13 => "Deactivated",
        _ => "Activated",
    }
}

fn status_of(entry: &Entry) -> &str {
    match entry {
        Entry::Generated(i) => generated_status(*i),
        Entry::Custom(user) => user.status_text(),
    }
}

/// Orders by `createdAt`, then `userId`.
fn compare(a: &Entry, b: &Entry) -> Ordering {
    match (a, b) {
        (Entry::Generated(a), Entry::Generated(b)) => a.cmp(b),
        _ => key(a).cmp(&key(b)),
    }
}

fn id_of(entry: &Entry) -> String {
    match entry {
        Entry::Generated(i) => generated_id(*i),
        Entry::Custom(user) => user.user_id.clone(),
    }
}

fn key(entry: &Entry) -> (String, String) {
    match entry {
        Entry::Generated(i) => (iso8601(generated_created(*i)), generated_id(*i)),
        Entry::Custom(user) => (user.created().to_owned(), user.user_id.clone()),
    }
}

fn dto(entry: &Entry) -> Value {
    let i = match entry {
        Entry::Custom(user) => return user.to_json(),
        Entry::Generated(i) => *i,
    };
    let id = generated_id(i);
    let created = generated_created(i);
    let mfa = derived_mfa(&id);
    let last_login = (i % 4 != 0).then(|| iso8601(created + 86_400 + u64::from(i % 97) * 3600));
    // Only a user who has logged in and has a factor did MFA.
    let last_mfa = (last_login.is_some() && mfa.any_enabled())
        .then(|| iso8601(created + 86_400 + u64::from(i % 89) * 3600));
    json!({
        "userId": id,
        "createdAt": iso8601(created),
        "updatedAt": iso8601(created + 3600),
        "status": generated_status(i),
        "username": format!("user{i:06}"),
        "email": format!("{id}@example.com"),
        "phone": format!("188{i:08}"),
        "phoneCountryCode": "+86",
        "externalId": (i % 3 == 0).then(|| format!("ext-{i:06}")),
        "name": Value::Null,
        "loginsCount": if i % 4 == 0 { 0 } else { 1 + i % 37 },
        "lastLogin": last_login,
        "lastMfaTime": last_mfa,
        "userSourceType": "register",
    })
}

/// Statuses picked by an FNV-1a hash of the id: the same every run.
pub(super) fn derived_mfa(id: &str) -> UserMfaInfo {
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let bit = |shift: u32| (hash >> shift) & 3 == 0;
    UserMfaInfo::new()
        .totp(bit(8))
        .face(bit(16))
        .sms(bit(24))
        .email(bit(32))
}

/// `secs` after the Unix epoch as `YYYY-MM-DDTHH:MM:SS.000Z`.
fn iso8601(secs: u64) -> String {
    genauth_mfa::iso8601_utc(secs, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(page: &Value) -> Vec<&str> {
        page["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userId"].as_str().unwrap())
            .collect()
    }

    fn listing(page: u64, limit: u64) -> Listing {
        Listing {
            page,
            limit,
            status: StatusFilter::Any,
            descending: false,
            with_department_ids: false,
        }
    }

    #[test]
    fn a_generated_user_costs_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        let mut pool = Pool::default();
        pool.generate(100_000);
        assert!(pool.order.capacity() < 100_100);
    }

    #[test]
    fn times_are_iso_8601_in_utc() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(EPOCH), "2024-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400 + 86_399), "2000-02-29T23:59:59.000Z");
    }

    #[test]
    fn custom_users_sort_among_generated_ones_by_created_at() {
        let mut pool = Pool::default();
        pool.add(PoolUser::new("early").created_at("2023-06-01T00:00:00.000Z"));
        pool.generate(3);
        pool.add(PoolUser::new("between").created_at("2024-01-01T00:01:30.000Z"));
        pool.add(
            PoolUser::new("late")
                .field("status", "Archived")
                .field("extra", 1),
        );
        let page = pool.list(&listing(1, 10));
        assert_eq!(page["list"][5]["status"], "Activated"); // status() sets it, not field()
        assert_eq!(page["list"][5]["extra"], 1);
        assert_eq!(page["list"][5]["email"], Value::Null);
        assert_eq!(
            ids(&page),
            [
                "early",
                "user-000000",
                "user-000001",
                "between",
                "user-000002",
                "late"
            ]
        );
        assert_eq!(page["list"][5]["createdAt"], "2024-01-01T00:03:00.000Z");
        assert!(pool.remove("user-000001"));
        assert!(!pool.remove("user-000001"));
        assert!(pool.remove("between"));
        assert_eq!(
            ids(&pool.list(&listing(1, 10))),
            ["early", "user-000000", "user-000002", "late"]
        );
        assert_eq!(pool.mfa_of("user-000001", UserIdType::UserId), None);
        assert!(pool.mfa_of("user-000002", UserIdType::UserId).is_some());
        assert_eq!(pool.mfa_of("user-00002", UserIdType::UserId), None);
        assert_eq!(pool.mfa_of("user-000003", UserIdType::UserId), None);
    }

    #[test]
    fn a_status_filter_and_descending_order_page_together() {
        let mut pool = Pool::default();
        pool.generate(100);
        let suspended = Listing {
            status: StatusFilter::Only("Suspended".into()),
            descending: true,
            ..listing(1, 3)
        };
        let page = pool.list(&suspended);
        assert_eq!(page["totalCount"], 5);
        assert_eq!(ids(&page), ["user-000087", "user-000067", "user-000047"]);
        let page = pool.list(&Listing {
            page: 2,
            ..suspended
        });
        assert_eq!(ids(&page), ["user-000027", "user-000007"]);
        let contradiction = Listing {
            status: StatusFilter::Nobody,
            ..listing(1, 10)
        };
        assert_eq!(pool.list(&contradiction)["totalCount"], 0);
        assert_eq!(pool.list(&listing(u64::MAX, 50))["list"], json!([]));
        for user in pool.list(&listing(1, 50))["list"].as_array().unwrap() {
            if user["lastLogin"].is_null() {
                assert!(user["lastMfaTime"].is_null(), "{user}");
            }
        }
    }
}
