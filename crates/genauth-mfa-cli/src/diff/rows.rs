//! Reading an output of `genauth-mfa audit` back, row by row: JSON Lines or
//! CSV (told from the first line), the shapes `output` writes, error rows
//! included. Anything else is refused with the line that shows it.
//!
//! A CSV file is read by its header's column names, so columns added after
//! these (and fields added to a JSON row) are ignored. Server text (the
//! statuses this version does not know, error messages, request ids) was
//! escaped and bounded when the audit wrote it: it is kept as it is, never
//! unescaped, and bounded again here ([`output::clean`] changes nothing in
//! a row this tool wrote) in case the file was written by something else.
//! CSV id cells are decoded and status cells un-neutralised, so that a user
//! has the same id and statuses in both formats.

use std::borrow::Cow;
use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};

use crate::output;

/// The longest row this tool writes is far below this.
const MAX_ROW: u64 = 64 * 1024;
/// Bounds on server text read back (above what the audit writes).
const STATUS_MAX: usize = 200;
const MESSAGE_MAX: usize = 1000;
const SHORT_MAX: usize = 200;

/// The CSV columns a diff reads, by name: those of every audit output
/// (a whole-pool audit's profile columns come after and are not read).
use crate::output::CSV_HEADER as COLUMNS;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factors {
    pub totp_status: Status,
    pub face_mfa_status: Status,
    pub sms_mfa_status: Status,
    pub email_mfa_status: Status,
    pub any_enabled: bool,
}

/// A status; the two usual ones take no memory of their own.
pub type Status = Cow<'static, str>;

/// An error row's `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCell {
    pub kind: String,
    pub status_code: Option<i64>,
    pub api_code: Option<i64>,
    pub message: String,
    pub request_id: Option<String>,
}

impl ErrorCell {
    fn bounded(self) -> ErrorCell {
        ErrorCell {
            kind: output::clean(&self.kind, SHORT_MAX),
            status_code: self.status_code,
            api_code: self.api_code,
            message: output::clean(&self.message, MESSAGE_MAX),
            request_id: self.request_id.map(|r| output::clean(&r, SHORT_MAX)),
        }
    }
}

/// `enabled` and `disabled` shared; other text bounded.
pub fn status(text: &str) -> Status {
    match text {
        "enabled" => Cow::Borrowed("enabled"),
        "disabled" => Cow::Borrowed("disabled"),
        other => Cow::Owned(output::clean(other, STATUS_MAX)),
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jsonl,
    /// The index of each of [`COLUMNS`] in a record.
    Csv([usize; COLUMNS.len()]),
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
    csv: CsvSplitter,
}

impl<R: BufRead> Rows<R> {
    pub fn new(input: R, name: String) -> Rows<R> {
        Rows {
            input,
            name,
            kind: None,
            number: 0,
            buf: Vec::new(),
            csv: CsvSplitter::default(),
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
        loop {
            if !self.line()? {
                return Ok(None);
            }
            // A blank line in JSON Lines (or before the first line tells
            // the format) is skipped, as JSON Lines readers do.
            let jsonl = self.kind.is_none_or(|k| k == Kind::Jsonl);
            if !(jsonl && self.buf.iter().all(u8::is_ascii_whitespace)) {
                break;
            }
        }
        let line = &self.buf;
        let kind = match self.kind {
            Some(kind) => kind,
            None if line.starts_with(b"{") => {
                self.kind = Some(Kind::Jsonl);
                Kind::Jsonl
            }
            None => {
                let columns = csv_header(&mut self.csv, line).ok_or_else(|| self.not_ours())?;
                self.kind = Some(Kind::Csv(columns));
                return self.next_row();
            }
        };
        let row = match kind {
            Kind::Jsonl => json_row(line),
            Kind::Csv(columns) => csv_row(&mut self.csv, line, &columns),
        };
        row.map(Some).ok_or_else(|| self.not_a_row())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow {
    user_id: Option<String>,
    line: Option<u64>,
    totp_status: Option<String>,
    face_mfa_status: Option<String>,
    sms_mfa_status: Option<String>,
    email_mfa_status: Option<String>,
    any_enabled: Option<bool>,
    error: Option<ErrorCell>,
}

fn json_row(line: &[u8]) -> Option<Row> {
    let row: JsonRow = serde_json::from_slice(line).ok()?;
    match row {
        JsonRow {
            user_id: Some(id),
            totp_status: Some(totp),
            face_mfa_status: Some(face),
            sms_mfa_status: Some(sms),
            email_mfa_status: Some(email),
            any_enabled: Some(any_enabled),
            error: None,
            ..
        } => Some(Row::User(
            id,
            State::Answered(Factors {
                totp_status: status(&totp),
                face_mfa_status: status(&face),
                sms_mfa_status: status(&sms),
                email_mfa_status: status(&email),
                any_enabled,
            }),
        )),
        JsonRow {
            user_id: Some(id),
            any_enabled: None,
            error: Some(error),
            ..
        } => Some(Row::User(
            id,
            State::Failed {
                error: error.bounded(),
            },
        )),
        JsonRow {
            user_id: None,
            line: Some(_),
            any_enabled: None,
            error: Some(_),
            ..
        } => Some(Row::NoUser),
        _ => None,
    }
}

/// Splits CSV lines into cells, with one parser for every line (building
/// a parser is most of the cost of a `csv::Reader` made for one line).
struct CsvSplitter {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Default for CsvSplitter {
    fn default() -> CsvSplitter {
        CsvSplitter {
            // Not csv_core::Reader::default(): that one's parser is not built.
            core: csv_core::Reader::new(),
            out: Vec::new(),
            ends: Vec::new(),
        }
    }
}

/// The cells of one CSV line.
struct Cells<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Cells<'_> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Cell `i`, un-neutralised; `None` past the end or when not UTF-8.
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::str::from_utf8(&self.out[start..end])
            .ok()
            .map(output::unneutralise)
    }
}

impl CsvSplitter {
    /// The cells of `line` (no line end), or `None` when it is not one
    /// record.
    fn split(&mut self, line: &[u8]) -> Option<Cells<'_>> {
        use csv_core::ReadRecordResult::{InputEmpty, Record};
        self.core.reset();
        // Unquoting only shrinks a record; a line has at most len + 1 cells.
        self.out.resize(line.len(), 0);
        self.ends.resize(line.len() + 1, 0);
        let (result, read, out, ends) = self.core.read_record(line, &mut self.out, &mut self.ends);
        let (out, ends) = match result {
            Record if read == line.len() => (out, ends),
            InputEmpty => {
                let (result, _, more_out, more_ends) =
                    self.core
                        .read_record(&[], &mut self.out[out..], &mut self.ends[ends..]);
                if result != Record {
                    return None;
                }
                (out + more_out, ends + more_ends)
            }
            // A second record in the line (a lone CR), or nothing.
            _ => return None,
        };
        Some(Cells {
            out: &self.out[..out],
            ends: &self.ends[..ends],
        })
    }
}

/// The index of each of [`COLUMNS`] in a CSV header line.
fn csv_header(splitter: &mut CsvSplitter, line: &[u8]) -> Option<[usize; COLUMNS.len()]> {
    let cells = splitter.split(line)?;
    let mut columns = [0; COLUMNS.len()];
    for (i, name) in COLUMNS.iter().enumerate() {
        columns[i] = (0..cells.len()).find(|&c| cells.get(c) == Some(*name))?;
    }
    Some(columns)
}

fn csv_row(
    splitter: &mut CsvSplitter,
    line: &[u8],
    columns: &[usize; COLUMNS.len()],
) -> Option<Row> {
    let cells = splitter.split(line)?;
    let cell = |i: usize| cells.get(columns[i]);
    let number = |i: usize| -> Option<Option<i64>> {
        match cell(i)? {
            "" => Some(None),
            n => n.parse().ok().map(Some),
        }
    };
    let optional = |i: usize| cell(i).filter(|c| !c.is_empty());
    let id = match cell(0)? {
        "" => None,
        c => Some(output::decode_id(c)?.into_owned()),
    };
    match (id, cell(5)?, cell(6)?) {
        (Some(id), any @ ("true" | "false"), "") => Some(Row::User(
            id,
            State::Answered(Factors {
                totp_status: status(cell(1)?),
                face_mfa_status: status(cell(2)?),
                sms_mfa_status: status(cell(3)?),
                email_mfa_status: status(cell(4)?),
                any_enabled: any == "true",
            }),
        )),
        (id, "", kind) if !kind.is_empty() => {
            let error = ErrorCell {
                kind: kind.to_owned(),
                status_code: number(7)?,
                api_code: number(8)?,
                message: cell(9)?.to_owned(),
                request_id: optional(10).map(str::to_owned),
            }
            .bounded();
            Some(match id {
                Some(id) => Row::User(id, State::Failed { error }),
                None => Row::NoUser,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_mfa::batch::Outcome;
    use genauth_mfa::{Error, MfaStatus, UserMfaInfo};

    use crate::output::{CSV_HEADER, Format};

    fn read(text: &str) -> Result<Vec<Row>, String> {
        let mut rows = Rows::new(text.as_bytes(), "f".into());
        let mut all = Vec::new();
        while let Some(row) = rows.next_row()? {
            all.push(row);
        }
        Ok(all)
    }

    /// Every outcome as `output::row` writes it, read back the same from
    /// both formats.
    #[test]
    fn the_audits_own_rows_read_back_alike_from_both_formats() {
        let info = UserMfaInfo::new()
            .totp(MfaStatus::Enabled)
            .face(MfaStatus::Other("=odd\u{1b}".into()));
        let outcomes = [
            (Some("=alice"), Outcome::Answered(info)),
            (Some("tab\there"), Outcome::Failed(Error::Cancelled)),
            (None, Outcome::Unreadable("not UTF-8".into())),
        ];
        let mut texts = [String::new(), output::csv_line(&CSV_HEADER)];
        for (i, format) in [Format::Jsonl, Format::Csv].into_iter().enumerate() {
            for (id, outcome) in &outcomes {
                texts[i] += &output::row(format, 3, *id, Some("user_id"), None, outcome);
            }
        }
        let jsonl = read(&texts[0]).unwrap();
        assert_eq!(jsonl, read(&texts[1]).unwrap());
        let Row::User(id, State::Answered(f)) = &jsonl[0] else {
            panic!("{:?}", jsonl[0]);
        };
        assert_eq!(id, "=alice");
        assert_eq!(f.face_mfa_status, "=odd\\u{1b}");
        assert!(f.any_enabled);
        let Row::User(id, State::Failed { error }) = &jsonl[1] else {
            panic!("{:?}", jsonl[1]);
        };
        assert_eq!(id, "tab\there");
        assert_eq!(error.kind, Error::Cancelled.kind());
        assert_eq!(
            (error.status_code, error.request_id.as_deref()),
            (None, None)
        );
        assert_eq!(jsonl[2], Row::NoUser);
    }

    #[test]
    fn api_errors_read_back_alike_from_both_formats() {
        let jsonl = r#"{"userId":"b","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"user, not \"found\"","requestId":"r-1"}}"#;
        let csv = format!(
            "{}b,,,,,,api,404,2004,\"user, not \"\"found\"\"\",r-1\n",
            output::csv_line(&CSV_HEADER)
        );
        let rows = read(jsonl).unwrap();
        assert_eq!(rows, read(&csv).unwrap());
        let Row::User(_, State::Failed { error }) = &rows[0] else {
            panic!("{rows:?}");
        };
        assert_eq!(
            (error.status_code, error.api_code, error.message.as_str()),
            (Some(404), Some(2004), "user, not \"found\"")
        );
    }

    #[test]
    fn csv_columns_are_found_by_name() {
        let text = "email,user_id,totp,face,sms,any_enabled,error_kind,status_code,api_code,\
                    message,request_id,username\n\
                    disabled,bob,enabled,disabled,disabled,true,,,,,,Bob\n";
        let rows = read(text).unwrap();
        let Row::User(id, State::Answered(f)) = &rows[0] else {
            panic!("{rows:?}");
        };
        assert_eq!((id.as_str(), &*f.totp_status), ("bob", "enabled"));
    }

    #[test]
    fn anything_else_is_refused_with_its_line() {
        let header = output::csv_line(&CSV_HEADER);
        for (text, line) in [
            ("alice\nbob\n".to_owned(), 1),
            ("{\"a\":1}\n".to_owned(), 1),
            (format!("{header}bob,enabled\n"), 2),
            (format!("{header}bob,enabled,d,d,d,maybe,,,,,\n"), 2),
            (format!("{header},enabled,d,d,d,true,,,,,\n"), 2),
            (format!("{header}bob,,,,,,api,x,,m,\n"), 2),
            ("{\"userId\":\"a\",\"anyEnabled\":true}\n".to_owned(), 1),
            (
                "{\"line\":1,\"error\":{\"kind\":\"input\",\"statusCode\":null,\"apiCode\":null,\
                 \"message\":\"\",\"requestId\":null}}\nnot json\n"
                    .to_owned(),
                2,
            ),
            (format!("{}\n", "x".repeat(70_000)), 1),
        ] {
            let err = read(&text).unwrap_err();
            assert!(err.contains(&format!("line {line}")), "{err} for {text:?}");
        }
        assert_eq!(read("").unwrap(), []);
        // Saved again by a spreadsheet: a BOM, CRLF line ends.
        let saved_again =
            format!("\u{feff}{header}bob,enabled,disabled,disabled,disabled,true,,,,,\n")
                .replace('\n', "\r\n");
        assert_eq!(read(&saved_again).unwrap().len(), 1);
        assert_eq!(read(&header).unwrap(), []);
    }
}
