//! Reading an output of `genauth-mfa audit` back, row by row: JSON Lines or
//! CSV (told from the first line), the shapes `row` writes, error rows
//! included. Anything else is refused with the line that shows it.
//!
//! A CSV file is read by its header's column names, so columns added after
//! these (and fields added to a JSON row) are ignored. Server text (the
//! statuses this version does not know, error messages, request ids) was
//! escaped and bounded when the audit wrote it: it is kept as it is, never
//! unescaped, and bounded again here ([`clean`] changes nothing in
//! a row this tool wrote) in case the file was written by something else.
//! CSV id cells are decoded and status cells un-neutralised, so that a user
//! has the same id and statuses in both formats.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use serde::Serialize;

use crate::row::csv::{Header, Splitter};
use crate::row::{self as audit, About, clean};

/// The longest row this tool writes is far below this.
const MAX_ROW: u64 = 64 * 1024;
/// Bounds on server text read back (above what the audit writes).
const STATUS_MAX: usize = 200;
const MESSAGE_MAX: usize = 1000;
const SHORT_MAX: usize = 200;

/// What a row says about its user; `before` and `after` in a diff row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum State {
    /// The user's statuses.
    Answered(Factors),
    /// An error instead of an answer.
    Failed {
        /// As the audit wrote it.
        error: ErrorCell,
    },
}

/// One user's statuses, as in an audit row (without the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Factors {
    pub totp_status: Status,
    pub face_mfa_status: Status,
    pub sms_mfa_status: Status,
    pub email_mfa_status: Status,
    pub any_enabled: bool,
    /// The row's effectiveMfa, when it has a known one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_mfa: Option<bool>,
    /// The row's skipMfa, when it has a known one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_mfa: Option<bool>,
}

impl Factors {
    /// Whether the user had MFA, as `other`'s row can be compared with this
    /// one: effective MFA when both rows carry it, else an enabled factor
    /// and not (where known) on the SKIP_MFA list.
    pub fn mfa_against(&self, other: &Factors) -> bool {
        match (self.effective_mfa, other.effective_mfa) {
            (Some(effective), Some(_)) => effective,
            _ => self.any_enabled && self.skip_mfa != Some(true),
        }
    }

    /// The same four statuses.
    pub fn same_factors(&self, other: &Factors) -> bool {
        (
            &self.totp_status,
            &self.face_mfa_status,
            &self.sms_mfa_status,
            &self.email_mfa_status,
            self.any_enabled,
        ) == (
            &other.totp_status,
            &other.face_mfa_status,
            &other.sms_mfa_status,
            &other.email_mfa_status,
            other.any_enabled,
        )
    }
}

/// A status; the two usual ones take no memory of their own.
pub type Status = Cow<'static, str>;

/// An error row's `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCell {
    pub kind: String,
    pub status_code: Option<i64>,
    pub api_code: Option<i64>,
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorCell {
    fn bounded(error: &audit::ErrorCell) -> ErrorCell {
        ErrorCell {
            kind: clean(&error.kind, SHORT_MAX),
            status_code: error.status_code,
            api_code: error.api_code,
            message: clean(&error.message, MESSAGE_MAX),
            request_id: error.request_id.as_deref().map(|r| clean(r, SHORT_MAX)),
        }
    }
}

/// `enabled` and `disabled` shared; other text bounded.
pub fn status(text: &str) -> Status {
    match text {
        "enabled" => Cow::Borrowed("enabled"),
        "disabled" => Cow::Borrowed("disabled"),
        other => Cow::Owned(clean(other, STATUS_MAX)),
    }
}

/// One row.
#[derive(Debug, PartialEq, Eq)]
pub enum Row {
    /// About a user.
    User(String, State),
    /// An input line the audit could not read: about no user.
    NoUser,
}

enum Kind {
    Jsonl,
    /// The file's columns, by name.
    Csv(Header),
}

/// Reads the rows of one audit output.
pub struct Rows<R> {
    input: R,
    /// How the file is named in messages.
    name: String,
    /// `None` until the first line is read.
    kind: Option<Kind>,
    number: u64,
    buf: Vec<u8>,
    csv: Splitter,
}

impl<R: BufRead> Rows<R> {
    pub fn new(input: R, name: String) -> Rows<R> {
        Rows {
            input,
            name,
            kind: None,
            number: 0,
            buf: Vec::new(),
            csv: Splitter::default(),
        }
    }

    /// Reads the next line into `buf` without its line end; false at the end.
    fn line(&mut self) -> Result<bool, String> {
        self.buf.clear();
        self.number += 1;
        let n = self
            .input
            .by_ref()
            .take(MAX_ROW)
            .read_until(b'\n', &mut self.buf)
            .map_err(|e| format!("cannot read {}: {e}", self.name))?;
        if n == 0 {
            return Ok(false);
        }
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
        } else if n as u64 >= MAX_ROW {
            return Err(self.not_a_row());
        }
        // A CSV file saved again by a spreadsheet may start with a BOM.
        if self.number == 1 && self.buf.starts_with(b"\xef\xbb\xbf") {
            self.buf.drain(..3);
        }
        Ok(true)
    }

    fn not_ours(&self) -> String {
        format!(
            "{} is not an output of genauth-mfa audit (JSON Lines or CSV rows): line {} shows it",
            self.name, self.number
        )
    }

    fn not_a_row(&self) -> String {
        if self.number == 1 {
            return self.not_ours();
        }
        let format = match self.kind {
            Some(Kind::Csv(_)) => "CSV",
            _ => "JSON Lines",
        };
        format!(
            "{}: line {} is not a {format} row of genauth-mfa audit",
            self.name, self.number
        )
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<Row>, String> {
        let Some(row) = self.next_audit_row()? else {
            return Ok(None);
        };
        diff_row(&row).map(Some).ok_or_else(|| self.not_a_row())
    }

    /// The next row as the audit wrote it (one of its shapes: see
    /// [`audit::Row::about`]), or `None` at the end of the file.
    pub fn next_audit_row(&mut self) -> Result<Option<audit::Row>, String> {
        loop {
            if !self.line()? {
                return Ok(None);
            }
            // A blank line in JSON Lines (or before the first line tells
            // the format) is skipped, as JSON Lines readers do.
            let jsonl = matches!(self.kind, None | Some(Kind::Jsonl));
            if !(jsonl && self.buf.iter().all(u8::is_ascii_whitespace)) {
                break;
            }
        }
        let line = &self.buf;
        let row = match &self.kind {
            None if line.starts_with(b"{") => {
                self.kind = Some(Kind::Jsonl);
                audit::Row::from_jsonl(line)
            }
            None => {
                let header = Header::parse(&mut self.csv, line).map_err(|missing| {
                    let mut why = self.not_ours();
                    if let Some(missing) = missing {
                        why += &format!(" (it has no column {missing})");
                    }
                    why
                })?;
                self.kind = Some(Kind::Csv(header));
                return self.next_audit_row();
            }
            Some(Kind::Jsonl) => audit::Row::from_jsonl(line),
            Some(Kind::Csv(header)) => header.read(&mut self.csv, line),
        };
        match row {
            Some(row) if row.about().is_some() => Ok(Some(row)),
            _ => Err(self.not_a_row()),
        }
    }
}

/// What a diff takes from an audit row: an answer needs its four statuses.
fn diff_row(row: &audit::Row) -> Option<Row> {
    Some(match row.about()? {
        About::Answered {
            user_id,
            any_enabled,
        } => Row::User(
            user_id.to_owned(),
            State::Answered(Factors {
                totp_status: status(row.totp_status.as_deref()?),
                face_mfa_status: status(row.face_mfa_status.as_deref()?),
                sms_mfa_status: status(row.sms_mfa_status.as_deref()?),
                email_mfa_status: status(row.email_mfa_status.as_deref()?),
                any_enabled,
                effective_mfa: row.effective_mfa.flatten(),
                skip_mfa: row.skip_mfa.flatten(),
            }),
        ),
        About::Failed { user_id, error } => Row::User(
            user_id.to_owned(),
            State::Failed {
                error: ErrorCell::bounded(error),
            },
        ),
        About::NoUser => Row::NoUser,
    })
}

#[cfg(test)]
mod tests;
