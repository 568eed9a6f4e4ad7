//! What `get-user-mfa-info` answers: each factor's [`MfaStatus`] in a
//! [`UserMfaInfo`], and the [`UserIdType`] that says how the server reads a user id.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lenient::null_as_default;
use crate::error::{Error, Result};

/// How the server should read the user id of a management call. Reads and
/// writes the wire names (`user_id`, `email`, ...).
///
/// ```
/// use genauth_mfa::UserIdType;
///
/// let t: UserIdType = "email".parse()?;
/// assert_eq!(t, UserIdType::Email);
/// assert_eq!(UserIdType::SyncRelation.to_string(), "sync_relation");
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserIdType {
    /// The GenAuth user id, e.g. `6319a1504f3xxxxf214dd5b7` (the server's default).
    UserId,
    /// The user's phone number.
    Phone,
    /// The user's email address.
    Email,
    /// The user name.
    Username,
    /// The user's id in an external system (`externalId`).
    ExternalId,
    /// An external identity, `<extIdpId>:<userIdInIdp>`.
    Identity,
    /// A synchronised identity, `<provider>:<userIdInIdp>`, e.g. `lark:ou_8bae…`.
    SyncRelation,
    /// A custom field.
    CustomField,
}

impl UserIdType {
    /// The wire value, e.g. `user_id` or `sync_relation`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UserIdType::UserId => "user_id",
            UserIdType::Phone => "phone",
            UserIdType::Email => "email",
            UserIdType::Username => "username",
            UserIdType::ExternalId => "external_id",
            UserIdType::Identity => "identity",
            UserIdType::SyncRelation => "sync_relation",
            UserIdType::CustomField => "custom_field",
        }
    }

    /// Every type, in the order the API documents them.
    pub const ALL: [UserIdType; 8] = [
        UserIdType::UserId,
        UserIdType::Phone,
        UserIdType::Email,
        UserIdType::Username,
        UserIdType::ExternalId,
        UserIdType::Identity,
        UserIdType::SyncRelation,
        UserIdType::CustomField,
    ];
}

impl FromStr for UserIdType {
    type Err = Error;
    /// The wire value (`user_id`, `email`, ...), case-insensitive, `-` for `_` allowed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] naming the known types.
    fn from_str(s: &str) -> Result<UserIdType> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        UserIdType::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = UserIdType::ALL.iter().map(|t| t.as_str()).collect();
                Error::invalid_argument(
                    "user_id_type",
                    format!("unknown type {s:?}; one of {}", names.join(", ")),
                )
            })
    }
}

impl fmt::Display for UserIdType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether one kind of MFA is bound. The server documents `"enabled"` /
/// `"disabled"` but its samples send JSON booleans: both are accepted, and
/// `null` or a missing field counts as disabled.
///
/// ```
/// use genauth_mfa::MfaStatus;
///
/// assert_eq!("enabled".parse::<MfaStatus>(), Ok(MfaStatus::Enabled));
/// assert_eq!("true".parse::<MfaStatus>(), Ok(MfaStatus::Enabled));
/// assert_eq!(MfaStatus::Disabled.to_string(), "disabled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MfaStatus {
    /// Bound (`"enabled"` or `true`).
    Enabled,
    /// Not bound (`"disabled"`, `false`, `null` or absent).
    #[default]
    Disabled,
    /// A string value this version of the crate does not know, as sent.
    Other(String),
}

impl MfaStatus {
    /// `true` only for [`MfaStatus::Enabled`].
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        *self == MfaStatus::Enabled
    }

    /// `enabled`, `disabled`, or the unknown value as sent.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            MfaStatus::Enabled => "enabled",
            MfaStatus::Disabled => "disabled",
            MfaStatus::Other(s) => s,
        }
    }
}

impl From<bool> for MfaStatus {
    fn from(enabled: bool) -> MfaStatus {
        if enabled {
            MfaStatus::Enabled
        } else {
            MfaStatus::Disabled
        }
    }
}

impl FromStr for MfaStatus {
    type Err = Infallible;
    /// `enabled`/`true` and `disabled`/`false`/empty in any case; anything
    /// else is kept as [`MfaStatus::Other`]. Never fails.
    fn from_str(s: &str) -> Result<MfaStatus, Infallible> {
        let t = s.trim();
        let is = |word: &str| t.eq_ignore_ascii_case(word);
        Ok(if is("enabled") || is("true") {
            MfaStatus::Enabled
        } else if t.is_empty() || is("disabled") || is("false") {
            MfaStatus::Disabled
        } else {
            MfaStatus::Other(s.to_owned())
        })
    }
}

impl fmt::Display for MfaStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MfaStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MfaStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MfaStatus, D::Error> {
        // A visitor rather than an untagged enum: serde buffers every value
        // an untagged enum reads, which cost about 3,000 instructions per
        // status, four statuses a call.
        struct Status;
        impl serde::de::Visitor<'_> for Status {
            type Value = MfaStatus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"enabled\", \"disabled\" or a boolean")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<MfaStatus, E> {
                Ok(MfaStatus::from(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MfaStatus, E> {
                match v.parse() {
                    Ok(status) => Ok(status),
                    Err(never) => match never {},
                }
            }
        }
        deserializer.deserialize_any(Status)
    }
}

/// Which MFA factors a user has bound (the API's `UserMfaRespDto`).
///
/// Build one for a test or an expected value with [`UserMfaInfo::new`] (all
/// disabled) and the setters named like the fields:
///
/// ```
/// use genauth_mfa::{MfaStatus, UserMfaInfo};
///
/// let info = UserMfaInfo::new().sms(MfaStatus::Enabled).totp(true);
/// assert!(info.sms.is_enabled() && info.totp.is_enabled());
/// assert!(!info.email.is_enabled());
/// assert!(info.any_enabled());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserMfaInfo {
    /// A TOTP authenticator app (`totpStatus`).
    #[serde(rename = "totpStatus", default, deserialize_with = "null_as_default")]
    pub totp: MfaStatus,
    /// Face recognition (`faceMfaStatus`).
    #[serde(
        rename = "faceMfaStatus",
        default,
        deserialize_with = "null_as_default"
    )]
    pub face: MfaStatus,
    /// SMS codes (`smsMfaStatus`).
    #[serde(rename = "smsMfaStatus", default, deserialize_with = "null_as_default")]
    pub sms: MfaStatus,
    /// Email codes (`emailMfaStatus`).
    #[serde(
        rename = "emailMfaStatus",
        default,
        deserialize_with = "null_as_default"
    )]
    pub email: MfaStatus,
}

impl UserMfaInfo {
    /// Every kind of MFA disabled.
    #[must_use]
    pub fn new() -> UserMfaInfo {
        UserMfaInfo::default()
    }

    /// The same info with the TOTP status set (`true`/`false` convert).
    #[must_use]
    pub fn totp(mut self, status: impl Into<MfaStatus>) -> UserMfaInfo {
        self.totp = status.into();
        self
    }

    /// The same info with the face-recognition status set.
    #[must_use]
    pub fn face(mut self, status: impl Into<MfaStatus>) -> UserMfaInfo {
        self.face = status.into();
        self
    }

    /// The same info with the SMS status set.
    #[must_use]
    pub fn sms(mut self, status: impl Into<MfaStatus>) -> UserMfaInfo {
        self.sms = status.into();
        self
    }

    /// The same info with the email status set.
    #[must_use]
    pub fn email(mut self, status: impl Into<MfaStatus>) -> UserMfaInfo {
        self.email = status.into();
        self
    }

    /// `true` when at least one kind of MFA is enabled.
    #[must_use]
    pub fn any_enabled(&self) -> bool {
        [&self.totp, &self.face, &self.sms, &self.email]
            .iter()
            .any(|s| s.is_enabled())
    }
}

/// The answer as sent: each status `None` when absent (`null` reads as
/// disabled, as in [`UserMfaInfo`]). An answer with none of them says
/// nothing, and must not read as a user without MFA.
#[derive(Deserialize)]
pub(crate) struct WireInfo {
    #[serde(rename = "totpStatus", default, deserialize_with = "present")]
    pub(crate) totp: Option<MfaStatus>,
    #[serde(rename = "faceMfaStatus", default, deserialize_with = "present")]
    pub(crate) face: Option<MfaStatus>,
    #[serde(rename = "smsMfaStatus", default, deserialize_with = "present")]
    pub(crate) sms: Option<MfaStatus>,
    #[serde(rename = "emailMfaStatus", default, deserialize_with = "present")]
    pub(crate) email: Option<MfaStatus>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<MfaStatus>, D::Error> {
    null_as_default(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_accept_strings_and_booleans() {
        let info: UserMfaInfo = serde_json::from_str(
            r#"{"totpStatus":true,"faceMfaStatus":"disabled","smsMfaStatus":"ENABLED","emailMfaStatus":null,"x":1}"#,
        )
        .unwrap();
        assert_eq!(info.totp, MfaStatus::Enabled);
        assert_eq!(info.face, MfaStatus::Disabled);
        assert!(info.sms.is_enabled());
        assert_eq!(info.email, MfaStatus::Disabled);
        assert!(info.any_enabled());
        let info: UserMfaInfo = serde_json::from_str(r#"{"totpStatus":"pending"}"#).unwrap();
        assert_eq!(info.totp, MfaStatus::Other("pending".into()));
        assert!(!info.any_enabled());
        assert!(serde_json::from_str::<UserMfaInfo>(r#"{"totpStatus":3}"#).is_err());
    }

    #[test]
    fn constructed_info_equals_the_decoded_one() {
        let decoded: UserMfaInfo =
            serde_json::from_str(r#"{"totpStatus":true,"smsMfaStatus":"enabled"}"#).unwrap();
        assert_eq!(
            decoded,
            UserMfaInfo::new().totp(true).sms(MfaStatus::Enabled)
        );
        assert_eq!("pending".parse(), Ok(MfaStatus::Other("pending".into())));
    }

    #[test]
    fn serializes_with_wire_names() {
        let info: UserMfaInfo = serde_json::from_str(r#"{"totpStatus":true}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&info).unwrap(),
            r#"{"totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled"}"#
        );
    }

    #[test]
    fn user_id_types_parse_and_print() {
        for t in UserIdType::ALL {
            assert_eq!(t.as_str().parse::<UserIdType>().unwrap(), t);
        }
        assert_eq!(
            "sync-relation".parse::<UserIdType>().unwrap(),
            UserIdType::SyncRelation
        );
        assert!("uid".parse::<UserIdType>().is_err());
        for t in UserIdType::ALL {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{t}\""));
            assert_eq!(serde_json::from_str::<UserIdType>(&json).unwrap(), t);
        }
    }
}
