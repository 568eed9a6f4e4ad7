//! The row's types: [`Row`], its error cell, a listed user's profile.

use genauth_mfa::batch::Outcome;
use genauth_mfa::{Error, MfaStatus, User, UserMfaInfo};
use serde::{Deserialize, Deserializer, Serialize};

use super::text::{clean, json_escaped};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header row; formula cells neutralised.
    Csv,
}

impl Format {
    /// How the format is named in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "JSON Lines",
            Format::Csv => "CSV",
        }
    }
}

/// Which columns a new CSV output has: a file audit's, or a whole-pool
/// audit's with the listed user's profile too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    File,
    Pool,
}

/// Where the summary counts the listed users whose status the server did
/// not send (absent or `null`).
pub const UNKNOWN_STATUS: &str = "unknown";

/// The most characters of a server's message in a row.
const MESSAGE_MAX: usize = 300;
/// The most characters of a request id or an unknown status in a row.
const SHORT_MAX: usize = 80;
/// The most characters of a listed user's profile field in a row (an email
/// address has at most 254).
const PROFILE_MAX: usize = 256;

/// One audit row. JSON Lines writes the fields that are `Some`, in this
/// order; a whole-pool audit's profile fields are `Some(None)` when the
/// server sent none (`null`), `None` in a file audit (absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The id as it was asked; `None` in a row about an input line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The `--user-id-type` the id was asked with (`None` in 0.3 rows and
    /// rows about no user), so that `--resume` never takes an answer about
    /// one kind of id for another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id_type: Option<String>,
    /// The input line of a row about no user (JSON Lines only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_mfa_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_mfa_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_mfa_status: Option<String>,
    /// `Some` in an answer, `None` in an error row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_enabled: Option<bool>,
    /// `Some` in an error row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorCell>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub username: Option<Option<String>>,
    /// The user's email address (`email` is also the email factor's CSV
    /// column, hence `user_email` there).
    #[serde(
        rename = "email",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub user_email: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub phone: Option<Option<String>>,
    /// The account status (`user_status` in CSV).
    #[serde(
        rename = "status",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub user_status: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub last_login: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub last_mfa_time: Option<Option<String>>,
    /// At least one enabled factor the pool enables, and not on the WHITE
    /// user list with SKIP_MFA (`effective_mfa` in CSV); computed from
    /// what is known when a part is unknown (see
    /// [`crate::pool_facts::Judge::judge`]). `null` in an error row and
    /// with ids other than `user_id`s; absent in rows about no user and
    /// rows of earlier versions.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_bool"
    )]
    pub effective_mfa: Option<Option<bool>>,
    /// On the WHITE user list with SKIP_MFA: never asked for MFA (`null`:
    /// the list is unknown, or the ids are not `user_id`s).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_bool"
    )]
    pub skip_mfa: Option<Option<bool>>,
    /// A member of an `--admin-role` (`null`: no `--admin-role`, a role
    /// unknown and the user in no known one, or the ids are not
    /// `user_id`s).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_bool"
    )]
    pub admin: Option<Option<bool>>,
    /// `--exemptions`: the last day of the user's exemption
    /// (`YYYY-MM-DD`, expired or not), `null` for a user without one;
    /// absent without `--exemptions`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub exemption_expires: Option<Option<String>>,
    /// `--by department`: the user's departments, each as its name path
    /// from the organisation's root (`null` when the departments are
    /// unknown); absent without `--by department`. CSV joins them with `; `.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_list"
    )]
    pub departments: Option<Option<Vec<String>>>,
}

/// A list that is there, `null` included (`Some(None)`).
fn present_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Vec<String>>>, D::Error> {
    Option::<Vec<String>>::deserialize(d).map(Some)
}

/// A field that is there, `null` included (`Some(None)`); serde's
/// `default` gives `None` when it is absent.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// As [`present`], for a yes/no field.
fn present_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<bool>>, D::Error> {
    Option::<bool>::deserialize(d).map(Some)
}

/// An error row's `error` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCell {
    pub kind: String,
    pub status_code: Option<i64>,
    pub api_code: Option<i64>,
    /// Empty when absent (`--resume` always took such error rows).
    #[serde(default)]
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorCell {
    fn of(err: &Error) -> ErrorCell {
        let message = match err {
            Error::Api { message, .. } => clean(message, MESSAGE_MAX),
            other => clean(&other.report().to_string(), MESSAGE_MAX * 2),
        };
        ErrorCell {
            kind: err.kind().to_owned(),
            status_code: err.status_code(),
            api_code: err.api_code(),
            message,
            request_id: err.request_id().map(|id| clean(id, SHORT_MAX)),
        }
    }

    fn plain(kind: &str, message: String) -> ErrorCell {
        ErrorCell {
            kind: kind.to_owned(),
            message,
            ..ErrorCell::default()
        }
    }
}

/// A listed user's profile as rows show it, its server text bounded and
/// escaped once, when the user is listed. Absent fields stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// `None` when the server sent no status (absent or `null`): unknown.
    pub status: Option<String>,
    last_login: Option<String>,
    last_mfa_time: Option<String>,
    /// The user's department ids, when the listing asked for them.
    pub department_ids: Option<Vec<String>>,
}

impl Profile {
    pub fn of(user: &User) -> Profile {
        let text = |t: &Option<String>| t.as_deref().map(|t| clean(t, PROFILE_MAX));
        Profile {
            username: text(&user.username),
            email: text(&user.email),
            phone: text(&user.phone),
            status: user.status.as_ref().map(|s| clean(s.as_str(), SHORT_MAX)),
            last_login: text(&user.last_login),
            last_mfa_time: text(&user.last_mfa_time),
            department_ids: user.department_ids.clone(),
        }
    }

    /// The status bucket of the summary: the status, or
    /// [`UNKNOWN_STATUS`] when the server sent none.
    pub fn status_bucket(&self) -> &str {
        self.status.as_deref().unwrap_or(UNKNOWN_STATUS)
    }
}

/// What a row is about, as `--resume` and `diff` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About<'a> {
    /// A user's answer.
    Answered { user_id: &'a str, any_enabled: bool },
    /// An error instead of a user's answer.
    Failed {
        user_id: &'a str,
        error: &'a ErrorCell,
    },
    /// An input line the audit could not read: about no user.
    NoUser,
}

/// A factor's status as a row shows it: the known ones as they are, any
/// other bounded and escaped.
fn status(s: &MfaStatus) -> String {
    match s {
        MfaStatus::Enabled | MfaStatus::Disabled => s.as_str().to_owned(),
        other => clean(other.as_str(), SHORT_MAX),
    }
}

impl Row {
    /// One user's answer: what `get-user-mfa-info` prints, with the
    /// `--user-id-type` it was asked with.
    pub fn answered(user_id: &str, id_type: Option<&str>, info: &UserMfaInfo) -> Row {
        Row {
            user_id: Some(user_id.to_owned()),
            user_id_type: id_type.map(str::to_owned),
            totp_status: Some(status(&info.totp)),
            face_mfa_status: Some(status(&info.face)),
            sms_mfa_status: Some(status(&info.sms)),
            email_mfa_status: Some(status(&info.email)),
            any_enabled: Some(info.any_enabled()),
            ..Row::default()
        }
    }

    /// The row of one finished item, read from input line `line` (or
    /// listed with `profile`), its id asked as `id_type`. A row about no
    /// user (an input line) has no id type and says its line.
    pub fn of(
        line: u64,
        user_id: Option<&str>,
        id_type: &str,
        profile: Option<&Profile>,
        outcome: &Outcome,
    ) -> Row {
        let id_type = user_id.map(|_| id_type);
        let mut row = match outcome {
            Outcome::Answered(info) => Row::answered(user_id.unwrap_or_default(), id_type, info),
            other => Row {
                user_id: user_id.map(str::to_owned),
                user_id_type: id_type.map(str::to_owned),
                line: user_id.is_none().then_some(line),
                error: Some(match other {
                    Outcome::Failed(err) => ErrorCell::of(err),
                    Outcome::Unreadable(reason) => {
                        ErrorCell::plain("input", clean(reason, MESSAGE_MAX))
                    }
                    _ => ErrorCell::plain("unknown", String::new()),
                }),
                ..Row::default()
            },
        };
        if let Some(p) = profile {
            row.username = Some(p.username.clone());
            row.user_email = Some(p.email.clone());
            row.phone = Some(p.phone.clone());
            row.user_status = Some(p.status.clone());
            row.last_login = Some(p.last_login.clone());
            row.last_mfa_time = Some(p.last_mfa_time.clone());
        }
        row
    }

    /// What the row is about, or `None` when it is no row of this tool (an
    /// answer and an error at once, an answer about no one, ...).
    pub fn about(&self) -> Option<About<'_>> {
        match (&self.user_id, self.any_enabled, &self.error) {
            (Some(id), Some(any_enabled), None) => Some(About::Answered {
                user_id: id,
                any_enabled,
            }),
            (Some(id), None, Some(error)) => Some(About::Failed { user_id: id, error }),
            (None, None, Some(_)) => Some(About::NoUser),
            _ => None,
        }
    }

    /// The row as one JSON Lines line, with its line end.
    pub fn to_jsonl(&self) -> String {
        json_line(self)
    }

    /// A JSON Lines row, or `None` when `line` is not one (a row about
    /// no user says its input line).
    pub fn from_jsonl(line: &[u8]) -> Option<Row> {
        let row: Row = serde_json::from_slice(line).ok()?;
        (row.user_id.is_some() || row.line.is_some()).then_some(row)
    }
}

/// `value` as one JSON line, with its line end.
pub fn json_line(value: &impl Serialize) -> String {
    // serde_json escapes control characters, so a row is always one line.
    let line = serde_json::to_string(value).unwrap_or_else(|e| {
        format!(r#"{{"error":{{"kind":"output","message":"cannot encode the row: {e}"}}}}"#)
    });
    let mut line = json_escaped(line);
    line.push('\n');
    line
}
