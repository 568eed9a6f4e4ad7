//! The audit's rows, JSON Lines or CSV, one whole line per user, and the
//! one JSON shape of one user's answer (`get-user-mfa-info` prints it too).
//!
//! Server text in a row (messages, request ids, status values this version
//! does not know) is bounded and its control characters escaped, in both
//! formats, as on stderr. Ids are written one-to-one, so that `--resume`
//! reads back exactly the id that was asked: JSON escapes them its own way;
//! a CSV id cell with a control character is written with `\u{..}` escapes
//! (see [`encode_id`]), and a cell a spreadsheet would run as a formula gets
//! a leading `'` (see [`neutralise`]).

use std::borrow::Cow;
use std::fmt::Write as _;

use genauth_mfa::batch::Outcome;
use genauth_mfa::{Error, Escaped, MfaStatus, User, UserMfaInfo, needs_escape};
use serde::Serialize;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header row; formula cells neutralised.
    Csv,
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 11] = [
    "user_id",
    "totp",
    "face",
    "sms",
    "email",
    "any_enabled",
    "error_kind",
    "status_code",
    "api_code",
    "message",
    "request_id",
];

/// The columns a whole-pool audit (`--all-users`) adds after
/// [`CSV_HEADER`]: the user's profile from the listing. (`user_email` and
/// `user_status`: `email` is the email factor's column.)
pub const POOL_COLUMNS: [&str; 6] = [
    "username",
    "user_email",
    "phone",
    "user_status",
    "last_login",
    "last_mfa_time",
];

/// The column every audit output ends with: the `--user-id-type` its ids
/// were asked with (`user_id` when none was given, the server's default),
/// so that `--resume` never takes an answer about one kind of id for
/// another. Outputs of 0.3 lack it.
pub const ID_TYPE_COLUMN: &str = "user_id_type";

/// Which columns a CSV output has: a file audit's, or a whole-pool
/// audit's with the profile columns too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    File,
    Pool,
}

impl Columns {
    /// The number of columns, [`ID_TYPE_COLUMN`] included.
    pub fn len(self) -> usize {
        self.len_v03() + 1
    }

    /// The number of columns of a 0.3 output (without [`ID_TYPE_COLUMN`]).
    pub fn len_v03(self) -> usize {
        match self {
            Columns::File => CSV_HEADER.len(),
            Columns::Pool => CSV_HEADER.len() + POOL_COLUMNS.len(),
        }
    }

    /// The header line, with its line end.
    pub fn header(self) -> String {
        let mut cells = self.cells_v03();
        cells.push(ID_TYPE_COLUMN);
        csv_line(&cells)
    }

    /// The header line of a 0.3 output, with its line end: `--resume`
    /// still reads those.
    pub fn header_v03(self) -> String {
        csv_line(&self.cells_v03())
    }

    fn cells_v03(self) -> Vec<&'static str> {
        let mut cells: Vec<&str> = CSV_HEADER.to_vec();
        if self == Columns::Pool {
            cells.extend(POOL_COLUMNS);
        }
        cells
    }
}

/// Where the summary counts the listed users whose status the server did
/// not send (absent or `null`).
pub const UNKNOWN_STATUS: &str = "unknown";

/// The most characters of a listed user's profile field in a row (an email
/// address has at most 254).
const PROFILE_MAX: usize = 256;

/// A listed user's profile as rows show it, its server text bounded and
/// escaped once, when the user is listed. Absent fields stay `None`:
/// `null` in JSON Lines, an empty cell in CSV.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// `None` when the server sent no status (absent or `null`): unknown.
    pub status: Option<String>,
    last_login: Option<String>,
    last_mfa_time: Option<String>,
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
        }
    }

    /// The status bucket of the summary: the status, or
    /// [`UNKNOWN_STATUS`] when the server sent none.
    pub fn status_bucket(&self) -> &str {
        self.status.as_deref().unwrap_or(UNKNOWN_STATUS)
    }

    fn cells(&self) -> [&str; 6] {
        fn cell(t: &Option<String>) -> &str {
            t.as_deref().unwrap_or_default()
        }
        [
            cell(&self.username),
            cell(&self.email),
            cell(&self.phone),
            cell(&self.status),
            cell(&self.last_login),
            cell(&self.last_mfa_time),
        ]
    }
}

/// The most characters of a server's message in a row.
const MESSAGE_MAX: usize = 300;
/// The most characters of a request id or an unknown status in a row.
const SHORT_MAX: usize = 80;

/// One user's answer: what `get-user-mfa-info` prints and an audit row holds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnsweredRow<'a> {
    user_id: &'a str,
    /// An audit row's `--user-id-type` (see [`ID_TYPE_COLUMN`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id_type: Option<&'a str>,
    totp_status: Cow<'a, str>,
    face_mfa_status: Cow<'a, str>,
    sms_mfa_status: Cow<'a, str>,
    email_mfa_status: Cow<'a, str>,
    any_enabled: bool,
    #[serde(flatten)]
    profile: Option<&'a Profile>,
}

impl<'a> AnsweredRow<'a> {
    pub fn new(user_id: &'a str, info: &'a UserMfaInfo) -> AnsweredRow<'a> {
        let status = |s: &'a MfaStatus| match s {
            MfaStatus::Enabled | MfaStatus::Disabled => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(clean(other.as_str(), SHORT_MAX)),
        };
        AnsweredRow {
            user_id,
            user_id_type: None,
            totp_status: status(&info.totp),
            face_mfa_status: status(&info.face),
            sms_mfa_status: status(&info.sms),
            email_mfa_status: status(&info.email),
            any_enabled: info.any_enabled(),
            profile: None,
        }
    }

    /// With the `--user-id-type` the id was asked with.
    pub fn id_type(mut self, id_type: &'a str) -> AnsweredRow<'a> {
        self.user_id_type = Some(id_type);
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailedRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    error: ErrorCell<'a>,
    #[serde(flatten)]
    profile: Option<&'a Profile>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorCell<'a> {
    kind: &'a str,
    status_code: Option<i64>,
    api_code: Option<i64>,
    message: String,
    request_id: Option<String>,
}

impl ErrorCell<'_> {
    fn of(err: &Error) -> ErrorCell<'static> {
        let message = match err {
            Error::Api { message, .. } => clean(message, MESSAGE_MAX),
            other => clean(&other.report().to_string(), MESSAGE_MAX * 2),
        };
        ErrorCell {
            kind: err.kind(),
            status_code: err.status_code(),
            api_code: err.api_code(),
            message,
            request_id: err.request_id().map(|id| clean(id, SHORT_MAX)),
        }
    }
}

/// The row of one finished item, read from input line `line` (or listed
/// with `profile`), its id asked as `id_type` (`user_id`, `email`, ...),
/// with its line end. A row about no user (an input line) has an empty id
/// type cell in CSV and none in JSON. `id_type` `None`: the shape of 0.3,
/// without the id type (rows appended to a 0.3 CSV output keep its
/// columns).
pub fn row(
    format: Format,
    line: u64,
    user_id: Option<&str>,
    id_type: Option<&str>,
    profile: Option<&Profile>,
    outcome: &Outcome,
) -> String {
    let column = id_type.is_some();
    let id_type = id_type.filter(|_| user_id.is_some());
    let with_profile = |cells: &[&str]| -> String {
        let mut all = cells.to_vec();
        if let Some(p) = profile {
            all.extend(p.cells());
        }
        if column {
            all.push(id_type.unwrap_or_default());
        }
        csv_line(&all)
    };
    let cell = match outcome {
        Outcome::Answered(info) => {
            let mut row = AnsweredRow::new(user_id.unwrap_or_default(), info);
            row.profile = profile;
            row.user_id_type = id_type;
            return match format {
                Format::Jsonl => json_line(&row),
                Format::Csv => with_profile(&[
                    &encode_id(row.user_id),
                    &row.totp_status,
                    &row.face_mfa_status,
                    &row.sms_mfa_status,
                    &row.email_mfa_status,
                    if row.any_enabled { "true" } else { "false" },
                    "",
                    "",
                    "",
                    "",
                    "",
                ]),
            };
        }
        Outcome::Failed(err) => ErrorCell::of(err),
        Outcome::Unreadable(reason) => ErrorCell {
            kind: "input",
            status_code: None,
            api_code: None,
            message: clean(reason, MESSAGE_MAX),
            request_id: None,
        },
        _ => ErrorCell {
            kind: "unknown",
            status_code: None,
            api_code: None,
            message: String::new(),
            request_id: None,
        },
    };
    match format {
        Format::Jsonl => json_line(&FailedRow {
            user_id,
            user_id_type: id_type,
            line: user_id.is_none().then_some(line),
            error: cell,
            profile,
        }),
        Format::Csv => {
            let number = |n: Option<i64>| n.map(|c| c.to_string()).unwrap_or_default();
            let (status_code, api_code) = (number(cell.status_code), number(cell.api_code));
            let id = user_id.map(encode_id).unwrap_or_default();
            with_profile(&[
                &id,
                "",
                "",
                "",
                "",
                "",
                cell.kind,
                &status_code,
                &api_code,
                &cell.message,
                cell.request_id.as_deref().unwrap_or_default(),
            ])
        }
    }
}

fn json_line(row: &impl Serialize) -> String {
    // serde_json escapes control characters, so a row is always one line.
    let line = serde_json::to_string(row).unwrap_or_else(|e| {
        format!(r#"{{"error":{{"kind":"output","message":"cannot encode the row: {e}"}}}}"#)
    });
    let mut line = json_escaped(line);
    line.push('\n');
    line
}

/// JSON text with the characters of [`needs_escape`] that serde_json
/// leaves as they are (DEL, C1 controls such as the 8-bit CSI U+009B, line
/// and paragraph separators, bidirectional overrides) written as `\uXXXX`:
/// the same JSON value, shown on a terminal as it is. They can only be in
/// strings (JSON's own syntax is ASCII), where such an escape is valid.
pub fn json_escaped(text: String) -> String {
    let raw = |c: char| c > '\u{1f}' && needs_escape(c);
    if !text.chars().any(raw) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if raw(c) {
            // Every such character is in the Basic Multilingual Plane.
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// One CSV record, every cell neutralised, quoted by the `csv` crate.
pub fn csv_line(cells: &[&str]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let cells = cells.iter().map(|c| neutralise(c).into_owned());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The first characters a spreadsheet runs as a formula, and `'`, the
/// prefix that neutralises them (so that it is written one-to-one too).
const FORMULA_FIRST: [char; 5] = ['=', '+', '-', '@', '\''];

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first;
/// OWASP's advice against CSV injection, CWE-1236) gets a leading `'`, and
/// so does a cell starting with `'`: `=x` is written `'=x` and `'=x` is
/// written `''=x`, and [`unneutralise`] gives each back.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_FIRST) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`neutralise`] for a cell read back.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_FIRST) => rest,
        _ => cell,
    }
}

/// At most `max` characters of server text, its secrets hidden
/// ([`crate::exit::redact`]), escaped and bounded by the library's own rule
/// ([`Escaped`]: what errors and logs use).
pub fn clean(text: &str, max: usize) -> String {
    // Secrets first, so that a cut never shows part of one.
    Escaped::new(&crate::exit::redact(text), max).to_string()
}

/// A CSV id cell, one-to-one: an id with a character of [`needs_escape`]
/// or the text `\u{` is written with every `\` doubled and those
/// characters as `\u{..}`; any other id as it is. [`decode_id`] undoes it.
pub fn encode_id(id: &str) -> Cow<'_, str> {
    if !id.chars().any(needs_escape) && !id.contains("\\u{") {
        return id.into();
    }
    let mut out = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if needs_escape(c) {
            let _ = write!(out, "{}", c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Undoes [`encode_id`]; `None` for a cell it cannot have written.
pub fn decode_id(cell: &str) -> Option<Cow<'_, str>> {
    if !cell.contains("\\u{") {
        return Some(cell.into());
    }
    let mut out = String::with_capacity(cell.len());
    let mut rest = cell;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = r;
        } else {
            let r = rest.strip_prefix("u{")?;
            let end = r.find('}')?;
            let c = char::from_u32(u32::from_str_radix(&r[..end], 16).ok()?)?;
            out.push(c);
            rest = &r[end + 1..];
        }
    }
    out.push_str(rest);
    Some(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(user_id: Option<&str>, outcome: Outcome) -> (Option<&str>, Outcome) {
        (user_id, outcome)
    }

    fn row(format: Format, (user_id, outcome): &(Option<&str>, Outcome)) -> String {
        super::row(format, 7, *user_id, Some("user_id"), None, outcome)
    }

    #[test]
    fn formula_cells_are_neutralised_one_to_one() {
        let line = csv_line(&["=HYPERLINK(\"http://x\")", "@SUM(1,1)", "+86 1", "-1", "ok"]);
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"http://x\"\")\",\"'@SUM(1,1)\",'+86 1,'-1,ok\n"
        );
        for id in ["=x", "'=x", "''=x", "'x", "x", "'", ""] {
            assert_eq!(unneutralise(&neutralise(id)), id, "{id:?}");
        }
        assert_ne!(neutralise("=x"), neutralise("'=x"));
    }

    #[test]
    fn ids_are_encoded_one_to_one() {
        for id in [
            "plain",
            "a\tb",
            "nul\0x",
            "esc\u{1b}[31m",
            "back\\slash",
            "\\u{41}",
            "x\\\\u{y",
            "rlo\u{202e}",
            "\\",
        ] {
            let cell = encode_id(id);
            assert!(!cell.chars().any(needs_escape), "{cell:?}");
            assert_eq!(decode_id(&cell).as_deref(), Some(id), "{id:?} -> {cell:?}");
        }
        assert_eq!(encode_id("back\\slash"), "back\\slash");
        assert_eq!(encode_id("a\tb"), "a\\u{9}b");
    }

    #[test]
    fn server_text_is_bounded_and_escaped() {
        let long = format!("\u{1b}[2J\x07\r{}", "x".repeat(1 << 20));
        let text = clean(&long, MESSAGE_MAX);
        assert!(
            text.starts_with("\\u{1b}[2J\\u{7}\\u{d}"),
            "{}",
            &text[..40]
        );
        assert!(text.len() < 400 && text.ends_with("more characters)"));
        let info = UserMfaInfo::new().totp(MfaStatus::Other("\u{1b}]0;pwned\u{7}".into()));
        let csv = row(Format::Csv, &done(Some("u"), Outcome::Answered(info)));
        assert!(!csv.trim_end().chars().any(needs_escape), "{csv:?}");
    }

    #[test]
    fn json_is_escaped_for_a_terminal_and_keeps_its_value() {
        let id = "a\u{202e}b\u{2028}c\u{9b}d\u{7f}e\u{1b}f";
        let text = json_escaped(serde_json::to_string(&serde_json::json!({ "id": id })).unwrap());
        assert!(!text.chars().any(needs_escape), "{text:?}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["id"], id);
        let jsonl = row(
            Format::Jsonl,
            &done(Some(id), Outcome::Answered(UserMfaInfo::new())),
        );
        assert!(!jsonl.trim_end().chars().any(needs_escape), "{jsonl:?}");
    }

    #[test]
    fn rows_carry_any_enabled_and_errors() {
        let info = UserMfaInfo::new().sms(MfaStatus::Enabled);
        let csv = row(
            Format::Csv,
            &done(Some("alice"), Outcome::Answered(info.clone())),
        );
        assert_eq!(
            csv,
            "alice,disabled,disabled,enabled,disabled,true,,,,,,user_id\n"
        );
        let jsonl = row(Format::Jsonl, &done(Some("alice"), Outcome::Answered(info)));
        let v: serde_json::Value = serde_json::from_str(&jsonl).unwrap();
        assert_eq!(v["anyEnabled"], true);
        assert_eq!(v["userIdType"], "user_id");
        let bad = row(
            Format::Jsonl,
            &done(
                None,
                Outcome::Unreadable("line 7 is not valid UTF-8".into()),
            ),
        );
        let v: serde_json::Value = serde_json::from_str(&bad).unwrap();
        assert_eq!(v["line"], 7);
        assert_eq!(v["error"]["kind"], "input");
        assert!(v.get("userIdType").is_none(), "{bad}");
    }
}
