//! `GET /api/v3/get-user-mfa-info`: which MFA factors a user of the pool has
//! bound (management API).

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::endpoint::{Endpoint, require_id};
use crate::envelope::ObjectOnly;
use crate::error::{Error, Result};
use crate::management::ManagementClient;
use crate::model::null_as_default;

const PATH: &str = "/api/v3/get-user-mfa-info";

impl ManagementClient {
    /// Gets which MFA factors a user of the pool has bound
    /// (`GET /api/v3/get-user-mfa-info`). Nothing is sent until
    /// [`send`](GetUserMfaInfo::send).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         assert_eq!(req.uri().query(), Some("userId=alice%40example.com&userIdType=email"));
    /// #         r#"{"statusCode":200,"data":{"totpStatus":false,"faceMfaStatus":false,
    /// #            "smsMfaStatus":true,"emailMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("alice@example.com")
    ///     .user_id_type(UserIdType::Email)
    ///     .send()?;
    /// assert!(info.sms.is_enabled());
    /// assert!(!info.totp.is_enabled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn get_user_mfa_info(&self, user_id: impl Into<String>) -> GetUserMfaInfo<'_> {
        GetUserMfaInfo {
            client: self,
            user_id: user_id.into(),
            user_id_type: None,
        }
    }
}

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

/// A get-user-mfa-info request; made by [`ManagementClient::get_user_mfa_info`],
/// sent by [`GetUserMfaInfo::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until .send() is called"]
pub struct GetUserMfaInfo<'c> {
    client: &'c ManagementClient,
    user_id: String,
    user_id_type: Option<UserIdType>,
}

impl GetUserMfaInfo<'_> {
    /// How the server should read the user id. Unset, no `userIdType` is
    /// sent and the server reads it as [`UserIdType::UserId`].
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("+86 188xxxx8888").user_id_type(UserIdType::Phone).send()?;
    /// # let _ = info;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Self {
        self.user_id_type = Some(user_id_type);
        self
    }

    /// Sends the request and returns the user's MFA statuses.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, http};
    /// # const JWT: &str = "eyJhbGciOiJub25lIn0.eyJzY29wZWRfdXNlcnBvb2xfaWQiOiJwb29sIn0.x";
    /// # let fake = |req: http::Request<Vec<u8>>| {
    /// #     let body = if req.uri().path() == "/api/v3/get-management-token" {
    /// #         format!(r#"{{"statusCode":200,"data":{{"access_token":"{JWT}","expires_in":7200}}}}"#)
    /// #     } else {
    /// #         r#"{"statusCode":200,"data":{"totpStatus":"enabled","faceMfaStatus":"disabled"}}"#.to_owned()
    /// #     };
    /// #     Ok(http::Response::new(body.into_bytes()))
    /// # };
    /// # let mgmt = ManagementClient::builder().access_key_id("AK").access_key_secret("SK")
    /// #     .transport(fake).build()?;
    /// let info = mgmt.get_user_mfa_info("6319a1504f3xxxxf214dd5b7").send()?;
    /// assert!(info.totp.is_enabled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`], before anything is sent, when the user id
    /// is blank; otherwise any [`Error`] of a call, the management token's
    /// included (a refused access key is [`Error::Credentials`]).
    pub fn send(self) -> Result<UserMfaInfo> {
        require_id("user_id", &self.user_id)?;
        let mut endpoint = Endpoint::get(PATH).query("userId", &self.user_id);
        if let Some(t) = self.user_id_type {
            endpoint = endpoint.query("userIdType", t.as_str());
        }
        let ObjectOnly(wire) = self.client.send::<ObjectOnly<WireInfo>>(&endpoint)?;
        match wire {
            WireInfo {
                totp: None,
                face: None,
                sms: None,
                email: None,
            } => Err(Error::decode(
                200,
                "the answer holds none of totpStatus, faceMfaStatus, smsMfaStatus and emailMfaStatus",
                b"",
            )),
            WireInfo {
                totp,
                face,
                sms,
                email,
            } => Ok(UserMfaInfo {
                totp: totp.unwrap_or_default(),
                face: face.unwrap_or_default(),
                sms: sms.unwrap_or_default(),
                email: email.unwrap_or_default(),
            }),
        }
    }
}

/// The answer as sent: each status `None` when absent (`null` reads as
/// disabled, as in [`UserMfaInfo`]). An answer with none of them says
/// nothing, and must not read as a user without MFA.
#[derive(Deserialize)]
struct WireInfo {
    #[serde(rename = "totpStatus", default, deserialize_with = "present")]
    totp: Option<MfaStatus>,
    #[serde(rename = "faceMfaStatus", default, deserialize_with = "present")]
    face: Option<MfaStatus>,
    #[serde(rename = "smsMfaStatus", default, deserialize_with = "present")]
    sms: Option<MfaStatus>,
    #[serde(rename = "emailMfaStatus", default, deserialize_with = "present")]
    email: Option<MfaStatus>,
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
