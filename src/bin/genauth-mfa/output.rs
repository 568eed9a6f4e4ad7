//! The audit's rows: JSON Lines or CSV, one whole line per user, and the ids
//! an earlier run's output already holds (for `--resume`).

use std::collections::HashSet;
use std::io::{self, BufRead};

use genauth_mfa::{Error, UserMfaInfo};
use serde::Serialize;

use crate::input::Item;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line.
    Jsonl,
    /// Comma-separated values with a header row, cells a spreadsheet would
    /// run as a formula neutralised.
    Csv,
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 10] = [
    "user_id",
    "totp",
    "face",
    "sms",
    "email",
    "any_enabled",
    "error_kind",
    "api_code",
    "message",
    "request_id",
];

/// How one user (or one input line) came out.
pub enum Outcome {
    Answered(UserMfaInfo),
    Failed(Error),
    BadInput(String),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnsweredRow<'a> {
    user_id: &'a str,
    totp_status: &'a str,
    face_mfa_status: &'a str,
    sms_mfa_status: &'a str,
    email_mfa_status: &'a str,
    any_enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailedRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    error: ErrorCell<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorCell<'a> {
    kind: &'a str,
    api_code: Option<i64>,
    message: String,
    request_id: Option<&'a str>,
}

/// The row for `user_id` (read from input line `line`), with its line end.
pub fn row(format: Format, user_id: Option<&str>, line: u64, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Answered(info) => {
            let row = AnsweredRow {
                user_id: user_id.unwrap_or_default(),
                totp_status: info.totp.as_str(),
                face_mfa_status: info.face.as_str(),
                sms_mfa_status: info.sms.as_str(),
                email_mfa_status: info.email.as_str(),
                any_enabled: info.any_enabled(),
            };
            match format {
                Format::Jsonl => json_line(&row),
                Format::Csv => csv_line(&[
                    row.user_id,
                    row.totp_status,
                    row.face_mfa_status,
                    row.sms_mfa_status,
                    row.email_mfa_status,
                    if row.any_enabled { "true" } else { "false" },
                    "",
                    "",
                    "",
                    "",
                ]),
            }
        }
        Outcome::Failed(err) => {
            let (api_code, message) = match err {
                Error::Api {
                    api_code, message, ..
                } => (*api_code, message.clone()),
                other => (None, other.report().to_string()),
            };
            let cell = ErrorCell {
                kind: err.kind(),
                api_code,
                message,
                request_id: err.request_id(),
            };
            failed_row(format, user_id, line, cell)
        }
        Outcome::BadInput(reason) => {
            let cell = ErrorCell {
                kind: "input",
                api_code: None,
                message: reason.clone(),
                request_id: None,
            };
            failed_row(format, user_id, line, cell)
        }
    }
}

fn failed_row(format: Format, user_id: Option<&str>, line: u64, cell: ErrorCell<'_>) -> String {
    match format {
        Format::Jsonl => json_line(&FailedRow {
            user_id,
            line: user_id.is_none().then_some(line),
            error: cell,
        }),
        Format::Csv => {
            let code = cell.api_code.map(|c| c.to_string()).unwrap_or_default();
            csv_line(&[
                user_id.unwrap_or_default(),
                "",
                "",
                "",
                "",
                "",
                cell.kind,
                &code,
                &cell.message,
                cell.request_id.unwrap_or_default(),
            ])
        }
    }
}

fn json_line(row: &impl Serialize) -> String {
    // serde_json escapes control characters, so a row is always one line.
    let mut line = serde_json::to_string(row).unwrap_or_else(|e| {
        format!(r#"{{"error":{{"kind":"output","message":"cannot encode the row: {e}"}}}}"#)
    });
    line.push('\n');
    line
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

/// A cell a spreadsheet would run as a formula, `=`, `+`, `-`, `@`, tab or
/// CR first, gets a leading `'` (OWASP's advice against CSV injection,
/// CWE-1236). A phone id `+86 188...` is written `'+86 188...`.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Undoes [`neutralise`] for a cell read back.
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The user ids an earlier run's output holds, answered or failed by the
/// server (input errors and rows cut short are not taken as done).
pub fn done_ids(format: Format, output: impl BufRead) -> io::Result<HashSet<String>> {
    let mut done = HashSet::new();
    match format {
        Format::Jsonl => {
            for line in output.lines() {
                let Ok(row) = serde_json::from_str::<serde_json::Value>(&line?) else {
                    continue;
                };
                if let Some(id) = row.get("userId").and_then(|v| v.as_str()) {
                    done.insert(id.to_owned());
                }
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .from_reader(output);
            for record in reader.records() {
                let Ok(record) = record else { continue };
                if let Some(id) = record.get(0).filter(|id| !id.is_empty()) {
                    done.insert(unneutralise(id).to_owned());
                }
            }
        }
    }
    Ok(done)
}

/// Whether an input item is already done.
pub fn is_done(done: &HashSet<String>, item: &Item) -> bool {
    matches!(item, Item::Id { id, .. } if done.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_mfa::MfaStatus;

    #[test]
    fn formula_cells_are_neutralised_and_read_back() {
        let line = csv_line(&[
            "=HYPERLINK(\"http://x\",\"y\")",
            "@SUM(1,1)",
            "+86 1",
            "-1",
            "ok",
            "a,b",
        ]);
        assert_eq!(
            line,
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'@SUM(1,1)\",'+86 1,'-1,ok,\"a,b\"\n"
        );
        let header = csv_line(&CSV_HEADER);
        let ids = done_ids(Format::Csv, format!("{header}{line}").as_bytes()).unwrap();
        assert!(ids.contains("=HYPERLINK(\"http://x\",\"y\")"), "{ids:?}");
    }

    #[test]
    fn rows_carry_any_enabled_and_errors() {
        let info = UserMfaInfo::new().sms(MfaStatus::Enabled);
        let csv = row(
            Format::Csv,
            Some("alice"),
            1,
            &Outcome::Answered(info.clone()),
        );
        assert_eq!(csv, "alice,disabled,disabled,enabled,disabled,true,,,,\n");
        let jsonl = row(
            Format::Jsonl,
            Some("alice"),
            1,
            &Outcome::Answered(info.clone()),
        );
        let v: serde_json::Value = serde_json::from_str(&jsonl).unwrap();
        assert_eq!(v["anyEnabled"], true);
        let bad = row(
            Format::Jsonl,
            None,
            7,
            &Outcome::BadInput("line 7 is not valid UTF-8".into()),
        );
        let v: serde_json::Value = serde_json::from_str(&bad).unwrap();
        assert_eq!(v["line"], 7);
        assert_eq!(v["error"]["kind"], "input");
    }

    #[test]
    fn resume_reads_the_ids_of_complete_rows() {
        let jsonl = "{\"userId\":\"a\",\"anyEnabled\":true}\n{\"line\":3,\"error\":{}}\n{\"userId\":\"b\",\"err";
        let ids = done_ids(Format::Jsonl, jsonl.as_bytes()).unwrap();
        assert_eq!(ids, HashSet::from(["a".to_owned()]));
    }
}
