//! The pool's user and IP allow and deny lists (`user-list`, `ip-list`):
//! which list to read ([`UserListType`], [`IpListType`]), an entry of each
//! ([`UserListEntry`], [`IpListEntry`]) and what an entry does
//! ([`LimitKind`]).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::lenient;

/// Which of the pool's user lists to read (`userListType`).
///
/// ```
/// use genauth_mfa::UserListType;
///
/// assert_eq!(UserListType::White.as_str(), "WHITE");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserListType {
    /// The allow list (`WHITE`): an entry with [`LimitKind::SkipMfa`] is a
    /// user never asked for MFA.
    White,
    /// The deny list (`BLACK`).
    Black,
}

impl UserListType {
    /// The wire name: `WHITE` or `BLACK`.
    ///
    /// ```
    /// use genauth_mfa::UserListType;
    ///
    /// assert_eq!(UserListType::Black.as_str(), "BLACK");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UserListType::White => "WHITE",
            UserListType::Black => "BLACK",
        }
    }
}

impl fmt::Display for UserListType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which of the pool's IP lists to read (`ipType`).
///
/// ```
/// use genauth_mfa::IpListType;
///
/// assert_eq!(IpListType::Black.to_string(), "BLACK");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpListType {
    /// The allow list (`WHITE`): an entry with [`LimitKind::SkipMfa`] is a
    /// range from which nobody is asked for MFA.
    White,
    /// The deny list (`BLACK`).
    Black,
}

impl IpListType {
    /// The wire name: `WHITE` or `BLACK`.
    ///
    /// ```
    /// use genauth_mfa::IpListType;
    ///
    /// assert_eq!(IpListType::White.as_str(), "WHITE");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            IpListType::White => "WHITE",
            IpListType::Black => "BLACK",
        }
    }
}

impl fmt::Display for IpListType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a list entry does (an item of its `limitList`). A value this
/// crate does not know is kept in [`Other`](Self::Other), never an error.
/// Reading is case-insensitive; writing gives the wire name.
///
/// ```
/// use genauth_mfa::LimitKind;
///
/// assert_eq!(LimitKind::from("SKIP_MFA"), LimitKind::SkipMfa);
/// assert_eq!(LimitKind::from("SKIP_CAPTCHA"), LimitKind::Other("SKIP_CAPTCHA".into()));
/// assert_eq!(LimitKind::ForbidLogin.as_str(), "FORBID_LOGIN");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitKind {
    /// `SKIP_MFA`: MFA is not asked (of this user, or from this range, on
    /// an allow list).
    SkipMfa,
    /// `FORBID_LOGIN`: no sign-in.
    ForbidLogin,
    /// `FORBID_REGISTER`: no sign-up.
    ForbidRegister,
    /// A value this crate does not know, as the server sent it.
    Other(String),
}

impl LimitKind {
    /// The wire name: `SKIP_MFA`, `FORBID_LOGIN`, `FORBID_REGISTER`, or the
    /// unknown value as sent.
    ///
    /// ```
    /// use genauth_mfa::LimitKind;
    ///
    /// assert_eq!(LimitKind::SkipMfa.as_str(), "SKIP_MFA");
    /// assert_eq!(LimitKind::Other("X".into()).as_str(), "X");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            LimitKind::SkipMfa => "SKIP_MFA",
            LimitKind::ForbidLogin => "FORBID_LOGIN",
            LimitKind::ForbidRegister => "FORBID_REGISTER",
            LimitKind::Other(s) => s,
        }
    }
}

impl From<&str> for LimitKind {
    fn from(s: &str) -> LimitKind {
        [
            LimitKind::SkipMfa,
            LimitKind::ForbidLogin,
            LimitKind::ForbidRegister,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
        .unwrap_or_else(|| LimitKind::Other(s.to_owned()))
    }
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for LimitKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A `limitList`: each item as a [`LimitKind`] (one that is not text kept
/// as its JSON), `null` or absent empty.
fn limits<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<LimitKind>, D::Error> {
    Ok(lenient::texts(d)?
        .iter()
        .map(|s| LimitKind::from(s.as_str()))
        .collect())
}

/// An entry of the pool's user list (`RiskListItemDto`, from
/// [`ManagementClient::list_user_list`](crate::ManagementClient::list_user_list)).
/// Unknown fields are kept in [`extra`](Self::extra); a text field sent as
/// another JSON type is kept as text.
///
/// ```
/// use genauth_mfa::{LimitKind, UserListEntry};
///
/// let entry: UserListEntry = serde_json::from_str(
///     r#"{"id":"e-1","userId":"u-1","userListType":"WHITE","addType":"MANUAL",
///         "limitList":["SKIP_MFA","SKIP_CAPTCHA"],"addAt":"2024-06-01T00:00:00.000Z"}"#,
/// )?;
/// assert!(entry.skips_mfa());
/// assert_eq!(entry.limit_list[1], LimitKind::Other("SKIP_CAPTCHA".into()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserListEntry {
    /// The entry's id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// The user's id (empty when the server sent none).
    #[serde(default, deserialize_with = "lenient::key")]
    pub user_id: String,
    /// The list, as sent: `WHITE` or `BLACK`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub user_list_type: Option<String>,
    /// How it was added: `MANUAL` or `SCHEDULE`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub add_type: Option<String>,
    /// How it is removed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub remove_type: Option<String>,
    /// What the entry does.
    #[serde(default, deserialize_with = "limits")]
    pub limit_list: Vec<LimitKind>,
    /// When it was added (ISO 8601).
    #[serde(default, deserialize_with = "lenient::text")]
    pub add_at: Option<String>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UserListEntry {
    /// Whether the entry's `limitList` holds `SKIP_MFA` (on the allow
    /// list: the user is never asked for MFA).
    ///
    /// ```
    /// use genauth_mfa::UserListEntry;
    ///
    /// let entry: UserListEntry = serde_json::from_str(r#"{"userId":"u-1","limitList":["FORBID_LOGIN"]}"#)?;
    /// assert!(!entry.skips_mfa());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn skips_mfa(&self) -> bool {
        self.limit_list.contains(&LimitKind::SkipMfa)
    }
}

/// An entry of the pool's IP list (`IpListRespDto`, from
/// [`ManagementClient::list_ip_list`](crate::ManagementClient::list_ip_list)).
/// The address is kept as the text the console accepted (an address, a
/// CIDR range or a dash range). Unknown fields are kept in
/// [`extra`](Self::extra).
///
/// ```
/// use genauth_mfa::IpListEntry;
///
/// let entry: IpListEntry = serde_json::from_str(
///     r#"{"id":"e-2","ip":"10.0.0.0/8","ipType":"WHITE","limitList":["SKIP_MFA"]}"#,
/// )?;
/// assert_eq!(entry.ip, "10.0.0.0/8");
/// assert!(entry.skips_mfa());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct IpListEntry {
    /// The entry's id.
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// The address or range, as text (empty when the server sent none).
    #[serde(default, deserialize_with = "lenient::key")]
    pub ip: String,
    /// The list, as sent: `WHITE` or `BLACK`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub ip_type: Option<String>,
    /// How it was added: `MANUAL` or `SCHEDULE`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub add_type: Option<String>,
    /// How it is removed.
    #[serde(default, deserialize_with = "lenient::text")]
    pub remove_type: Option<String>,
    /// What the entry does.
    #[serde(default, deserialize_with = "limits")]
    pub limit_list: Vec<LimitKind>,
    /// When it was added (ISO 8601).
    #[serde(default, deserialize_with = "lenient::text")]
    pub add_at: Option<String>,
    /// Every other field, as the server sent it.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IpListEntry {
    /// Whether the entry's `limitList` holds `SKIP_MFA` (on the allow
    /// list: nobody signing in from there is asked for MFA).
    ///
    /// ```
    /// use genauth_mfa::IpListEntry;
    ///
    /// let entry: IpListEntry = serde_json::from_str(r#"{"ip":"203.0.113.7","limitList":null}"#)?;
    /// assert!(!entry.skips_mfa());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn skips_mfa(&self) -> bool {
        self.limit_list.contains(&LimitKind::SkipMfa)
    }
}
