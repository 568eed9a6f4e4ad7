//! `--resume`: reading back an earlier run's output, line by line.
//!
//! Before a byte of it changes, the file must be a regular file holding
//! rows of this tool in this `--format` (a CSV output is not resumed as
//! JSON Lines, nor a list of ids as either); anything else is refused and
//! left untouched. Only a last line cut short (the run was killed while
//! writing it) is taken off. A user counts as done only when a row holds a
//! final answer about them: their statuses, or an error the server gave
//! about that user ([`FINAL_STATUS`], [`FINAL_API_CODE`]); users whose row
//! is a throttle, a gateway or transport error, a timeout or anything else
//! are asked again. Memory: one 128-bit key per user and what its row
//! answered (the factors, the account status), not the rows.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::Deserialize;

use crate::files;
use crate::output::{self, Columns, Format};
use crate::policy::Factors;

/// Envelope statusCodes that are the server's final word about a user:
/// 400 invalid argument, 404 not found, 409 conflict, 422 invalid operation.
pub const FINAL_STATUS: [i64; 4] = [400, 404, 409, 422];
/// apiCodes that are: 2004 user not found, 2005 user locked.
pub const FINAL_API_CODE: [i64; 2] = [2004, 2005];

/// The longest row this tool writes is far below this.
const MAX_ROW: u64 = 64 * 1024;

/// A compact key for an id: two independent 64-bit SipHashes (a pair of
/// u64 rather than a u128, whose 16-byte alignment would pad every entry).
pub type Key = (u64, u64);

/// Makes [`Key`]s, with keys of its own for this process.
#[derive(Default)]
pub struct Keys(RandomState, RandomState);

impl Keys {
    pub fn key(&self, id: &str) -> Key {
        (self.0.hash_one(id), self.1.hash_one(id))
    }
}

/// What is known of a user: 24 bytes an entry with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A final answer in an earlier run's output: their factors, and their
    /// account status when the row has a known one (an index into
    /// `UserStatus::KNOWN`), for the summary of the final state.
    Answered(Factors, Option<u8>),
    /// A final error about them in an earlier run's output.
    Failed,
    /// Asked in this run.
    Asked,
}

/// What an earlier run's rows say about each user they hold.
#[derive(Default)]
pub struct Earlier {
    pub keys: Keys,
    /// Users with a final row ([`Seen::Answered`] or [`Seen::Failed`]).
    pub done: HashMap<Key, Seen>,
}

/// One row read back: its user and whether it is final (and failed).
struct RowRead {
    user_id: Option<String>,
    /// `Some(seen)` when final.
    fin: Option<Seen>,
}

/// An account status's index in `UserStatus::KNOWN`.
fn status_index(status: &str) -> Option<u8> {
    (0u8..)
        .zip(genauth_mfa::UserStatus::KNOWN)
        .find(|(_, known)| known.as_str() == status)
        .map(|(i, _)| i)
}

fn is_final_failure(kind: &str, status_code: Option<i64>, api_code: Option<i64>) -> bool {
    kind == "api"
        && (status_code.is_some_and(|s| FINAL_STATUS.contains(&s))
            || api_code.is_some_and(|c| FINAL_API_CODE.contains(&c)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow {
    user_id: Option<String>,
    line: Option<u64>,
    any_enabled: Option<bool>,
    error: Option<JsonError>,
    #[serde(default)]
    totp_status: String,
    #[serde(default)]
    sms_mfa_status: String,
    #[serde(default)]
    email_mfa_status: String,
    #[serde(default)]
    face_mfa_status: String,
    /// A whole-pool audit's account status.
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonError {
    kind: String,
    status_code: Option<i64>,
    api_code: Option<i64>,
}

fn json_row(line: &[u8]) -> Option<RowRead> {
    let row: JsonRow = serde_json::from_slice(line).ok()?;
    let fin = match (&row.user_id, row.line, row.any_enabled, &row.error) {
        (Some(_), _, Some(_), None) => Some(Seen::Answered(
            Factors::from_cells(
                &row.totp_status,
                &row.sms_mfa_status,
                &row.email_mfa_status,
                &row.face_mfa_status,
            ),
            row.status.as_deref().and_then(status_index),
        )),
        (Some(_), _, None, Some(e)) => {
            is_final_failure(&e.kind, e.status_code, e.api_code).then_some(Seen::Failed)
        }
        (None, Some(_), None, Some(_)) => None, // an input line's error
        _ => return None,
    };
    Some(RowRead {
        user_id: row.user_id,
        fin,
    })
}

fn csv_row(line: &[u8], columns: Columns) -> Option<RowRead> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let record = reader.records().next()?.ok()?;
    if record.len() != columns.len() {
        return None;
    }
    let cell = |i: usize| record.get(i).map(output::unneutralise).unwrap_or_default();
    let number = |i: usize| cell(i).parse::<i64>().ok();
    let user_id = Some(cell(0)).filter(|c| !c.is_empty());
    let user_id = match user_id {
        Some(c) => Some(output::decode_id(c)?.into_owned()),
        None => None,
    };
    let fin = match (cell(5), cell(6)) {
        ("true" | "false", "") => Some(Seen::Answered(
            Factors::from_cells(cell(1), cell(3), cell(4), cell(2)),
            status_index(cell(14)),
        )),
        ("", kind) if !kind.is_empty() => {
            is_final_failure(kind, number(7), number(8)).then_some(Seen::Failed)
        }
        _ => return None,
    };
    if user_id.is_none() && fin.is_some() {
        return None;
    }
    Some(RowRead { user_id, fin })
}

/// Opens the earlier output at `path` for appending, after reading and
/// checking it, and after `ready`; `bool`: the file is empty (a CSV
/// header is due).
pub fn open(
    path: &Path,
    format: Format,
    columns: Columns,
    ready: &mut dyn FnMut() -> Result<(), String>,
) -> Result<(File, Earlier, bool), String> {
    let name = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ready()?;
            let file = File::create_new(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            return Ok((file, Earlier::default(), true));
        }
        Err(e) => return Err(format!("cannot read {name}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!(
            "--resume needs a regular file as --output: {name} is not one (a pipe, a device, \
             a terminal or a directory cannot hold the earlier run's rows)"
        ));
    }
    let file = File::open(path).map_err(|e| format!("cannot read {name}: {e}"))?;
    let (earlier, complete) = read(BufReader::new(file), format, columns)
        .map_err(|why| format!("cannot resume {name}: {why}; the file is left untouched"))?;
    ready()?;
    let file = files::append(path).map_err(|e| format!("cannot open {name}: {e}"))?;
    if complete < meta.len() {
        // A row cut short by a kill: its user is asked again.
        file.set_len(complete)
            .map_err(|e| format!("cannot mend {name}: {e}"))?;
    }
    Ok((file, earlier, complete == 0))
}

/// Reads rows from `input`; the keys of their users and the length of the
/// complete lines, or why this is not an output of this tool in `format`.
pub fn read(
    mut input: impl BufRead,
    format: Format,
    columns: Columns,
) -> Result<(Earlier, u64), String> {
    let mut earlier = Earlier::default();
    let mut complete = 0u64;
    let mut buf = Vec::new();
    let header = columns.header();
    for number in 1u64.. {
        buf.clear();
        let n = input
            .by_ref()
            .take(MAX_ROW)
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let whole = buf.last() == Some(&b'\n');
        if !whole && n as u64 >= MAX_ROW {
            return Err(format!("line {number} is longer than any row of this tool"));
        }
        if !whole {
            // The last line, cut short: a row's start, or not ours.
            let start: &[u8] = match format {
                Format::Jsonl => b"{\"",
                Format::Csv => b"",
            };
            if !buf.starts_with(start) || (format == Format::Csv && number == 1) {
                return Err(format!(
                    "its last line ({number}) is not a row of this tool"
                ));
            }
            break;
        }
        let line = &buf[..buf.len() - 1];
        let row = match format {
            Format::Csv if number == 1 => {
                if buf != header.as_bytes() {
                    return Err(not_ours(format, columns, line));
                }
                complete += n as u64;
                continue;
            }
            Format::Csv => csv_row(line, columns),
            Format::Jsonl => json_row(line),
        };
        let Some(row) = row else {
            return Err(if number == 1 {
                not_ours(format, columns, line)
            } else {
                format!("line {number} is not a {} row of this tool", name(format))
            });
        };
        if let (Some(id), Some(seen)) = (row.user_id, row.fin) {
            earlier.done.insert(earlier.keys.key(&id), seen);
        }
        complete += n as u64;
    }
    Ok((earlier, complete))
}

fn name(format: Format) -> &'static str {
    match format {
        Format::Jsonl => "JSON Lines",
        Format::Csv => "CSV",
    }
}

/// Why the first line shows this is not our output in `format`.
fn not_ours(format: Format, columns: Columns, first: &[u8]) -> String {
    let (file, pool) = (Columns::File.header(), Columns::Pool.header());
    let is = |header: &str| first == header.trim_end().as_bytes();
    let hint = if format == Format::Jsonl && (is(&file) || is(&pool)) {
        " (it holds CSV rows: resume it with --format csv)"
    } else if format == Format::Csv && columns == Columns::File && is(&pool) {
        " (it holds a whole-pool audit: resume it with --all-users)"
    } else if format == Format::Csv && columns == Columns::Pool && is(&file) {
        " (it holds a file audit: resume it with its FILE of ids)"
    } else if format == Format::Csv && json_row(first).is_some() {
        " (it holds JSON Lines rows: resume it with --format jsonl)"
    } else {
        ""
    };
    format!("it is not a {} output of this tool{hint}", name(format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_rows_are_done_and_others_are_asked_again() {
        let rows = concat!(
            r#"{"userId":"a","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
            "\n",
            r#"{"userId":"b","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"not found","requestId":null}}"#,
            "\n",
            r#"{"userId":"c","error":{"kind":"transport","statusCode":null,"apiCode":null,"message":"reset","requestId":null}}"#,
            "\n",
            r#"{"userId":"d","error":{"kind":"api","statusCode":429,"apiCode":null,"message":"slow down","requestId":null}}"#,
            "\n",
            r#"{"line":5,"error":{"kind":"input","statusCode":null,"apiCode":null,"message":"x","requestId":null}}"#,
            "\n",
            r#"{"userId":"e","anyE"#,
        );
        let (earlier, complete) = read(rows.as_bytes(), Format::Jsonl, Columns::File).unwrap();
        let k = |id: &str| earlier.done.get(&earlier.keys.key(id)).copied();
        assert_eq!(
            [k("a"), k("b"), k("c"), k("d"), k("e")],
            [
                Some(Seen::Answered(Factors::TOTP, None)),
                Some(Seen::Failed),
                None,
                None,
                None
            ]
        );
        assert_eq!(complete as usize, rows.rfind('\n').unwrap() + 1);
    }

    #[test]
    fn anything_else_is_refused() {
        let header = Columns::File.header();
        for (bytes, format) in [
            (&b"alice\nbob\n"[..], Format::Jsonl),
            (b"alice\nbob", Format::Jsonl),
            (b"\x7fELF\x02\x01\x01\0\0\0\n\0\0", Format::Jsonl),
            (header.as_bytes(), Format::Jsonl),
            (b"{\"userId\":\"a\",\"anyEnabled\":true}\n", Format::Csv),
            (b"alice\n", Format::Csv),
        ] {
            assert!(
                read(bytes, format, Columns::File).is_err(),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let err = read(header.as_bytes(), Format::Jsonl, Columns::File)
            .err()
            .unwrap_or_default();
        assert!(err.contains("--format csv"), "{err}");
    }

    #[test]
    fn csv_rows_read_back_the_ids_written() {
        use genauth_mfa::UserMfaInfo;
        use genauth_mfa::batch::Outcome;
        let mut text = Columns::File.header();
        for id in ["=x", "'=x", "tab\there", "plain"] {
            text += &output::row(
                Format::Csv,
                1,
                Some(id),
                None,
                &Outcome::Answered(UserMfaInfo::new()),
            );
        }
        let (earlier, _) = read(text.as_bytes(), Format::Csv, Columns::File).unwrap();
        for id in ["=x", "'=x", "tab\there", "plain"] {
            assert_eq!(
                earlier.done.get(&earlier.keys.key(id)),
                Some(&Seen::Answered(Factors::default(), None)),
                "{id:?}"
            );
        }
        assert_eq!(earlier.done.len(), 4);
    }

    #[test]
    fn rows_are_read_as_a_stream() {
        // 200,000 rows produced on the fly: nothing needs the whole file.
        struct Rows(u64, Vec<u8>);
        impl Read for Rows {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.1.is_empty() && self.0 < 200_000 {
                    self.1 = format!("{{\"userId\":\"user-{}\",\"anyEnabled\":false}}\n", self.0)
                        .into_bytes();
                    self.0 += 1;
                }
                let n = self.1.len().min(buf.len());
                buf[..n].copy_from_slice(&self.1[..n]);
                self.1.drain(..n);
                Ok(n)
            }
        }
        let (earlier, _) = read(
            BufReader::new(Rows(0, Vec::new())),
            Format::Jsonl,
            Columns::File,
        )
        .unwrap();
        assert_eq!(earlier.done.len(), 200_000);
    }
}
