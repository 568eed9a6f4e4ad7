//! [`PoolUser`]: one user of the fake's pool, built field by field, and the
//! `UserDto` JSON `list-users` answers for it.

use serde_json::{Map, Value, json};

use genauth_mfa::{UserIdType, UserMfaInfo};

/// A user of the fake's pool, as `list-users` answers it (a `UserDto`) and
/// as `get-user-mfa-info` finds it, for
/// [`FakeGenAuth::with_pool_user`](super::FakeGenAuth::with_pool_user).
///
/// ```
/// use genauth_mfa::{MfaStatus, UserMfaInfo};
/// use genauth_mfa_fake::PoolUser;
///
/// let carol = PoolUser::new("6319a1504f3xxxxf214dd5b7")
///     .status("Suspended")
///     .email("carol@example.com")
///     .created_at("2024-05-01T08:00:00.000Z")
///     .mfa(UserMfaInfo::new().totp(MfaStatus::Enabled))
///     .field("nickname", "Carol");
/// assert_eq!(carol.user_id(), "6319a1504f3xxxxf214dd5b7");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PoolUser {
    pub(super) user_id: String,
    /// `None`: no `status` field at all.
    pub(super) status: Option<Value>,
    pub(super) created_at: Option<String>,
    pub(super) mfa: UserMfaInfo,
    fields: Map<String, Value>,
}

impl PoolUser {
    /// An `Activated` user with this `userId`, no MFA factor and no other
    /// field. Unless [`created_at`](Self::created_at) says otherwise, its
    /// `createdAt` is given when it joins a pool: a minute after the
    /// generated users and every user given one that way before it, so it
    /// lists last in `createdAt` order (unless users were added with later
    /// explicit times).
    #[must_use]
    pub fn new(user_id: &str) -> PoolUser {
        PoolUser {
            user_id: user_id.to_owned(),
            status: Some(json!("Activated")),
            created_at: None,
            mfa: UserMfaInfo::new(),
            fields: Map::new(),
        }
    }

    /// The `userId`.
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The `status`: `Activated`, `Suspended`, `Deactivated`, `Resigned`,
    /// `Archived`, or any other text.
    #[must_use]
    pub fn status(mut self, status: &str) -> PoolUser {
        self.status = Some(json!(status));
        self
    }

    /// The `status` as any JSON value: `null`, a number, ... as a server
    /// that does not keep to its contract sends it. Such a user has no
    /// status for the pool's `status` filter (it matches no `EQUAL`).
    ///
    /// ```
    /// use genauth_mfa_fake::PoolUser;
    ///
    /// let unknown = PoolUser::new("u-1").status_json(serde_json::Value::Null);
    /// let odd = PoolUser::new("u-2").status_json(3);
    /// # let _ = (unknown, odd);
    /// ```
    #[must_use]
    pub fn status_json(mut self, status: impl Into<Value>) -> PoolUser {
        self.status = Some(status.into());
        self
    }

    /// No `status` field at all in this user's `UserDto`.
    ///
    /// ```
    /// use genauth_mfa_fake::PoolUser;
    ///
    /// let unknown = PoolUser::new("u-1").without_status();
    /// # let _ = unknown;
    /// ```
    #[must_use]
    pub fn without_status(mut self) -> PoolUser {
        self.status = None;
        self
    }

    /// The status text the pool's filter compares (`""` for none or a
    /// status that is not text).
    pub(super) fn status_text(&self) -> &str {
        self.status.as_ref().and_then(Value::as_str).unwrap_or("")
    }

    /// The `createdAt` (ISO 8601 in UTC, e.g. `2024-05-01T08:00:00.000Z`:
    /// the pool sorts these as text).
    #[must_use]
    pub fn created_at(mut self, at: &str) -> PoolUser {
        self.created_at = Some(at.to_owned());
        self
    }

    /// The statuses `get-user-mfa-info` answers for this user.
    #[must_use]
    pub fn mfa(mut self, info: UserMfaInfo) -> PoolUser {
        self.mfa = info;
        self
    }

    /// The `email`; `get-user-mfa-info` also finds the user by it.
    #[must_use]
    pub fn email(self, email: &str) -> PoolUser {
        self.field("email", email)
    }

    /// The `phone` and `phoneCountryCode`; `get-user-mfa-info` also finds
    /// the user by the phone.
    #[must_use]
    pub fn phone(self, phone: &str, country_code: &str) -> PoolUser {
        self.field("phone", phone)
            .field("phoneCountryCode", country_code)
    }

    /// The `username`; `get-user-mfa-info` also finds the user by it.
    #[must_use]
    pub fn username(self, username: &str) -> PoolUser {
        self.field("username", username)
    }

    /// The `externalId`; `get-user-mfa-info` also finds the user by it.
    #[must_use]
    pub fn external_id(self, id: &str) -> PoolUser {
        self.field("externalId", id)
    }

    /// The `lastLogin` (ISO 8601).
    #[must_use]
    pub fn last_login(self, at: &str) -> PoolUser {
        self.field("lastLogin", at)
    }

    /// The `lastMfaTime` (ISO 8601).
    #[must_use]
    pub fn last_mfa_time(self, at: &str) -> PoolUser {
        self.field("lastMfaTime", at)
    }

    /// The `loginsCount`.
    #[must_use]
    pub fn logins_count(self, count: u64) -> PoolUser {
        self.field("loginsCount", count)
    }

    /// Any other `UserDto` field, under its JSON name (`nickname`,
    /// `updatedAt`, `customData`, a field the service may add one day,
    /// ...). `userId`, `createdAt` and `status` are set by their own
    /// methods only ([`status_json`](Self::status_json) for an odd status): the pool orders, filters and finds users by them.
    #[must_use]
    pub fn field(mut self, name: &str, value: impl Into<Value>) -> PoolUser {
        self.fields.insert(name.to_owned(), value.into());
        self
    }

    pub(super) fn created(&self) -> &str {
        self.created_at.as_deref().unwrap_or("")
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    pub(super) fn is_known_as(&self, id: &str, id_type: UserIdType) -> bool {
        let field = match id_type {
            UserIdType::UserId => return self.user_id == id,
            UserIdType::Email => "email",
            UserIdType::Phone => "phone",
            UserIdType::Username => "username",
            UserIdType::ExternalId => "externalId",
            _ => return false,
        };
        self.text(field) == Some(id)
    }

    pub(super) fn to_json(&self) -> Value {
        let mut dto = Map::new();
        dto.insert("updatedAt".into(), json!(self.created()));
        for name in OPTIONAL_FIELDS {
            dto.insert(name.into(), Value::Null);
        }
        dto.insert("loginsCount".into(), json!(0));
        dto.extend(self.fields.clone());
        // The pool orders, filters and finds users by these: they win.
        dto.insert("userId".into(), json!(self.user_id));
        dto.insert("createdAt".into(), json!(self.created()));
        match &self.status {
            Some(status) => {
                dto.insert("status".into(), status.clone());
            }
            None => {
                dto.remove("status");
            }
        }
        Value::Object(dto)
    }
}

/// The `UserDto` fields a pool user without them answers as `null`.
const OPTIONAL_FIELDS: [&str; 8] = [
    "username",
    "email",
    "phone",
    "phoneCountryCode",
    "externalId",
    "name",
    "lastLogin",
    "lastMfaTime",
];
