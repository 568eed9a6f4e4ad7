//! The pool's user and IP lists: [`ListEntry`] and the list it is on.

use serde_json::{Map, Value, json};

/// When the first list entry was added: 2024-06-01T00:00:00Z; each next one
/// a minute later.
const LIST_EPOCH: u64 = 1_717_200_000;

/// Which list a [`ListEntry`] is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// `user-list`: its entries name a user (`userId`).
    User,
    /// `ip-list`: its entries name an address or range (`ip`).
    Ip,
}

/// An entry of the pool's user list (`GET /api/v3/user-list`, a
/// `RiskListItemDto`) or IP list (`GET /api/v3/ip-list`, an
/// `IpListRespDto`), for
/// [`FakeGenAuth::with_list_entry`](crate::FakeGenAuth::with_list_entry).
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
    pub(crate) fn to_json(&self, seq: usize) -> Value {
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
