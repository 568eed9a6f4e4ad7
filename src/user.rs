//! A user of the pool as `list_users` returns it (`UserDto`), and an
//! account's status.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::envelope::lenient_int;

/// A user of the pool (`UserDto`). The fields an audit shows are typed;
/// every other field the server sends is kept in [`extra`](Self::extra).
/// Times are the server's ISO 8601 strings.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// The GenAuth user id (ask MFA info with [`UserIdType::UserId`](crate::UserIdType::UserId)).
    pub user_id: String,
    /// The user name.
    #[serde(default)]
    pub username: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The phone number's country code, e.g. `+86`.
    #[serde(default)]
    pub phone_country_code: Option<String>,
    /// The user's id in an external system.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The account's status.
    #[serde(default)]
    pub status: UserStatus,
    /// When the account was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// The last sign-in.
    #[serde(default)]
    pub last_login: Option<String>,
    /// The last MFA verification.
    #[serde(default)]
    pub last_mfa_time: Option<String>,
    /// How many times the user signed in.
    #[serde(default, deserialize_with = "lenient_count")]
    pub logins_count: Option<u64>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UserStatus {
    /// Active.
    #[default]
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

impl<'de> Deserialize<'de> for UserStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        Ok(s.map_or(UserStatus::Activated, |s| {
            s.parse().unwrap_or(UserStatus::Other(s))
        }))
    }
}

pub(crate) fn lenient_count<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    Ok(lenient_int(d)?.and_then(|n| u64::try_from(n).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_in_any_case() {
        for s in UserStatus::KNOWN {
            assert_eq!(s.as_str().to_lowercase().parse::<UserStatus>().unwrap(), s);
        }
    }
}
