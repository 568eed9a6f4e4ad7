//! A user of the pool as `list_users` returns it (`UserDto`), and an
//! account's status.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::lenient::lenient_count;

/// A user of the pool (`UserDto`). The fields an audit shows are typed;
/// every other field the server sends is kept in [`extra`](Self::extra).
/// Times are the server's ISO 8601 strings.
///
/// One odd field in one user never fails a listing: a text field (the
/// `userId`, the optional ones, the times) sent as a number, a boolean, an
/// array or an object is kept as text (a number as its decimal text, a
/// boolean as `true` / `false`, an array or object as its compact JSON),
/// and [`coerced_fields`](Self::coerced_fields) names it so that a caller
/// can warn. A time (`createdAt`, `lastLogin`, `lastMfaTime`) sent as a
/// whole number of at least 10^11 is read as epoch milliseconds and kept
/// as ISO 8601 in UTC (`1700000000123` is `2023-11-14T22:13:20.123Z`); a
/// smaller number is kept as its decimal text (seconds and milliseconds
/// cannot be told apart there). `null` or an absent field is `None` (an
/// absent or `null` `userId` is empty). A `status` that is absent or
/// `null` is `None`: unknown, never [`UserStatus::Activated`].
///
/// ```
/// use genauth_mfa::{User, UserStatus};
///
/// let user: User = serde_json::from_str(
///     r#"{"userId":"u-1","phone":13800000000,"lastLogin":1700000000123,"status":null}"#,
/// )?;
/// assert_eq!(user.phone.as_deref(), Some("13800000000"));
/// assert_eq!(user.last_login.as_deref(), Some("2023-11-14T22:13:20.123Z"));
/// assert_eq!(user.coerced_fields(), ["phone", "lastLogin"]);
/// assert_eq!(user.status, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", from = "WireUser")]
#[non_exhaustive]
pub struct User {
    /// The GenAuth user id (ask MFA info with [`UserIdType::UserId`](crate::UserIdType::UserId));
    /// empty when the server sent none.
    pub user_id: String,
    /// The user name.
    pub username: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// The phone number.
    pub phone: Option<String>,
    /// The phone number's country code, e.g. `+86`.
    pub phone_country_code: Option<String>,
    /// The user's id in an external system.
    pub external_id: Option<String>,
    /// The account's status; `None` when the server sent none (absent or
    /// `null`): unknown.
    pub status: Option<UserStatus>,
    /// When the account was created.
    pub created_at: Option<String>,
    /// The last sign-in.
    pub last_login: Option<String>,
    /// The last MFA verification.
    pub last_mfa_time: Option<String>,
    /// How many times the user signed in.
    pub logins_count: Option<u64>,
    /// The user's main department (`mainDepartmentId`), when the server
    /// sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_department_id: Option<String>,
    /// The departments the user is in (`departmentIds`): filled when the
    /// listing asked for them
    /// ([`ListUsers::with_department_ids`](crate::ListUsers::with_department_ids)),
    /// empty for a user in no department; `None` when the server sent none
    /// (not asked: unknown, not "in no department"). An id sent as another
    /// JSON type is kept as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_ids: Option<Vec<String>>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Which fields were kept as text from another JSON type.
    #[serde(skip)]
    coerced: Coerced,
}

impl User {
    /// The JSON names of the fields the server sent with a type other than
    /// the contract's string (a number, a boolean, an array, an object)
    /// and that were kept as text, in the struct's order; empty for a user
    /// sent as the contract says.
    ///
    /// ```
    /// use genauth_mfa::User;
    ///
    /// let user: User = serde_json::from_str(r#"{"userId":"u-1","email":"a@example.com"}"#)?;
    /// assert!(user.coerced_fields().is_empty());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn coerced_fields(&self) -> Vec<&'static str> {
        FIELDS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.coerced.0 & (1 << i) != 0)
            .map(|(_, name)| *name)
            .collect()
    }
}

/// The typed fields' JSON names, in the order of [`Coerced`]'s bits.
const FIELDS: [&str; 11] = [
    "userId",
    "username",
    "email",
    "phone",
    "phoneCountryCode",
    "externalId",
    "status",
    "createdAt",
    "lastLogin",
    "lastMfaTime",
    "mainDepartmentId",
];

/// A bit per field of [`FIELDS`] kept as text from another type. How a
/// user was read is not part of its value: any two compare equal, so that
/// a user written and read back equals the one read from the server.
#[derive(Debug, Clone, Copy, Default)]
struct Coerced(u16);

impl PartialEq for Coerced {
    fn eq(&self, _: &Coerced) -> bool {
        true
    }
}

/// A `UserDto` as sent, each typed field any JSON value.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUser {
    #[serde(default)]
    user_id: Value,
    #[serde(default)]
    username: Value,
    #[serde(default)]
    email: Value,
    #[serde(default)]
    phone: Value,
    #[serde(default)]
    phone_country_code: Value,
    #[serde(default)]
    external_id: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    created_at: Value,
    #[serde(default)]
    last_login: Value,
    #[serde(default)]
    last_mfa_time: Value,
    #[serde(default, deserialize_with = "lenient_count")]
    logins_count: Option<u64>,
    #[serde(default)]
    main_department_id: Value,
    #[serde(default)]
    department_ids: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<WireUser> for User {
    fn from(wire: WireUser) -> User {
        let mut coerced = 0u16;
        let mut field = |bit: usize, value: Value, time: bool| -> Option<String> {
            let (text, odd) = as_text(value, time);
            if odd {
                coerced |= 1 << bit;
            }
            text
        };
        let user_id = field(0, wire.user_id, false).unwrap_or_default();
        let username = field(1, wire.username, false);
        let email = field(2, wire.email, false);
        let phone = field(3, wire.phone, false);
        let phone_country_code = field(4, wire.phone_country_code, false);
        let external_id = field(5, wire.external_id, false);
        let status = field(6, wire.status, false).map(|s| {
            s.parse()
                .unwrap_or_else(|never: std::convert::Infallible| match never {})
        });
        let created_at = field(7, wire.created_at, true);
        let last_login = field(8, wire.last_login, true);
        let last_mfa_time = field(9, wire.last_mfa_time, true);
        let main_department_id = field(10, wire.main_department_id, false);
        let department_ids = match wire.department_ids {
            Value::Null => None,
            Value::Array(ids) => Some(
                ids.into_iter()
                    .filter_map(|id| as_text(id, false).0)
                    .collect(),
            ),
            one => as_text(one, false).0.map(|id| vec![id]),
        };
        User {
            user_id,
            username,
            email,
            phone,
            phone_country_code,
            external_id,
            status,
            created_at,
            last_login,
            last_mfa_time,
            logins_count: wire.logins_count,
            main_department_id,
            department_ids,
            extra: wire.extra,
            coerced: Coerced(coerced),
        }
    }
}

/// A text field's value as text, and whether it was of another type.
fn as_text(value: Value, time: bool) -> (Option<String>, bool) {
    match value {
        Value::Null => (None, false),
        Value::String(s) => (Some(s), false),
        Value::Number(n) => {
            let text = match n.as_u64() {
                Some(ms) if time && ms >= 100_000_000_000 => {
                    iso8601_millis(ms).unwrap_or_else(|| n.to_string())
                }
                _ => n.to_string(),
            };
            (Some(text), true)
        }
        Value::Bool(b) => (Some(b.to_string()), true),
        other => (Some(other.to_string()), true),
    }
}

/// `ms` milliseconds after the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`;
/// `None` past the year 9999.
fn iso8601_millis(ms: u64) -> Option<String> {
    // 10000-01-01T00:00:00Z.
    if ms >= 253_402_300_800_000 {
        return None;
    }
    let millis = u32::try_from(ms % 1000).ok()?;
    Some(crate::model::iso8601_utc(ms / 1000, Some(millis)))
}

/// An account's status. Reads and writes the wire names (`Activated`, ...);
/// a value this crate does not know is kept in [`Other`](Self::Other).
///
/// ```
/// use genauth_mfa::UserStatus;
///
/// assert_eq!("suspended".parse::<UserStatus>().unwrap(), UserStatus::Suspended);
/// assert_eq!(UserStatus::Other("Locked".into()).as_str(), "Locked");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserStatus {
    /// Active.
    Activated,
    /// Suspended: cannot sign in for now.
    Suspended,
    /// Deactivated.
    Deactivated,
    /// Left the organisation.
    Resigned,
    /// Archived.
    Archived,
    /// A status this crate does not know, as the server spelled it.
    Other(String),
}

impl UserStatus {
    /// The known statuses.
    pub const KNOWN: [UserStatus; 5] = [
        UserStatus::Activated,
        UserStatus::Suspended,
        UserStatus::Deactivated,
        UserStatus::Resigned,
        UserStatus::Archived,
    ];

    /// The wire name, e.g. `Suspended`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            UserStatus::Activated => "Activated",
            UserStatus::Suspended => "Suspended",
            UserStatus::Deactivated => "Deactivated",
            UserStatus::Resigned => "Resigned",
            UserStatus::Archived => "Archived",
            UserStatus::Other(s) => s,
        }
    }
}

impl std::str::FromStr for UserStatus {
    type Err = std::convert::Infallible;
    /// A known name in any case, or [`UserStatus::Other`].
    fn from_str(s: &str) -> std::result::Result<UserStatus, Self::Err> {
        Ok(UserStatus::KNOWN
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .unwrap_or_else(|| UserStatus::Other(s.to_owned())))
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for UserStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads a wire name (a known one in any case, or [`UserStatus::Other`]).
/// A missing status is not a status: read a `User`'s `status` as
/// `Option<UserStatus>` (`null` is `None`, never `Activated`).
impl<'de> Deserialize<'de> for UserStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(s.parse()
            .unwrap_or_else(|never: std::convert::Infallible| match never {}))
    }
}

#[cfg(test)]
mod tests;
