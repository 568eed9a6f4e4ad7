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
use std::fs::{File, OpenOptions};
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
    /// A CSV output of 0.3, without the id type column: the rows appended
    /// keep its columns.
    pub without_id_type: bool,
}

/// One row read back: its user and whether it is final (and failed).
struct RowRead {
    user_id: Option<String>,
    /// `Some(seen)` when final.
    fin: Option<Seen>,
    /// The `--user-id-type` it was asked with; `None` in a 0.3 row.
    id_type: Option<String>,
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
    user_id_type: Option<String>,
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
        id_type: row.user_id_type,
    })
}

/// A CSV row; `v03`: the file has the columns of 0.3 (no id type).
fn csv_row(line: &[u8], columns: Columns, v03: bool) -> Option<RowRead> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line);
    let record = reader.records().next()?.ok()?;
    let len = if v03 {
        columns.len_v03()
    } else {
        columns.len()
    };
    if record.len() != len {
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
    let id_type = (!v03)
        .then(|| cell(len - 1).to_owned())
        .filter(|t| !t.is_empty());
    Some(RowRead {
        user_id,
        fin,
        id_type,
    })
}

/// Whether `partial`, a last line without its line end, is the start of
/// a row this tool writes in `format`, cut short by a kill: the start of
/// a JSON object whose first key is `userId` or `line` and that is not
/// complete (or a complete row of this tool), or the start of a CSV record
/// with no more cells than a row and the cells a row has where it has them.
fn is_cut_row(partial: &[u8], format: Format, columns: Columns, v03: bool) -> bool {
    match format {
        Format::Jsonl => {
            let starts = [&b"{\"userId\":"[..], b"{\"line\":"];
            if !starts
                .iter()
                .any(|s| s.starts_with(partial) || partial.starts_with(s))
            {
                return false;
            }
            match serde_json::from_slice::<serde_json::Value>(partial) {
                // Complete: only one of our rows whose line end was lost.
                Ok(_) => json_row(partial).is_some(),
                // A prefix of a JSON text ends in the middle of it.
                Err(e) => e.is_eof(),
            }
        }
        Format::Csv => {
            // A cut (a full disk) can fall inside a character: what is
            // whole before it is the row's start.
            let partial = match std::str::from_utf8(partial) {
                Err(e) if e.error_len().is_none() => &partial[..e.valid_up_to()],
                _ => partial,
            };
            if partial.is_empty() {
                // Only the first bytes of a character: a first cell begun.
                return true;
            }
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(partial);
            let Some(Ok(record)) = reader.records().next() else {
                return false;
            };
            let len = if v03 {
                columns.len_v03()
            } else {
                columns.len()
            };
            if record.len() > len || record.is_empty() {
                return false;
            }
            // The cells before the last are whole: those with a fixed
            // shape must have it.
            let whole = record.len() - 1;
            let cell = |i: usize| record.get(i).filter(|_| i < whole);
            let number =
                |c: &str| c.is_empty() || c.bytes().all(|b| b.is_ascii_digit() || b == b'-');
            cell(5).is_none_or(|c| ["", "true", "false"].contains(&c))
                && cell(6).is_none_or(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                && cell(7).is_none_or(number)
                && cell(8).is_none_or(number)
        }
    }
}

/// Whether `line` is blank (empty or white space): JSON Lines readers skip
/// such lines, and so does `--resume`.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Opens the earlier output at `path` for appending, after reading and
/// checking it, and after `ready`; `bool`: the file is empty (a CSV
/// header is due).
pub fn open(
    path: &Path,
    format: Format,
    columns: Columns,
    id_type: &str,
    ready: &mut dyn FnMut() -> Result<(), String>,
) -> Result<(File, Earlier, bool), String> {
    let name = crate::exit::shown(path);
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            files::check_directory(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            ready()?;
            let file = File::create_new(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            files::lock(&file, &name)?;
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
    // Locked before it is read (another run may be appending to it), and
    // read through the locked handle: on Windows a lock keeps out every
    // other handle, this process's own included.
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {name}: {e}"))?;
    files::lock(&file, &name)?;
    let (earlier, complete) = read(BufReader::new(&file), format, columns, id_type)
        .map_err(|why| format!("cannot resume {name}: {why}; the file is left untouched"))?;
    ready()?;
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read {name}: {e}"))?
        .len();
    if complete < len {
        // A row cut short by a kill: its user is asked again.
        file.set_len(complete)
            .map_err(|e| format!("cannot mend {name}: {e}"))?;
    }
    Ok((file, earlier, complete == 0))
}

/// Reads rows from `input`, whose ids were asked as `id_type`; the keys of
/// their users and the length of the lines to keep (every complete line,
/// and none of a last row cut short), or why this is not an output of this
/// tool in `format`, or not one of this `id_type`.
///
/// Rows of 0.3 hold no id type: their answers count (an answer shows that
/// the id named a user, and the same ids are resumed), their final errors
/// do not (a "not found" under another id type proves nothing): those
/// users are asked again.
pub fn read(
    mut input: impl BufRead,
    format: Format,
    columns: Columns,
    id_type: &str,
) -> Result<(Earlier, u64), String> {
    let mut earlier = Earlier::default();
    let mut complete = 0u64;
    let mut buf = Vec::new();
    let (header, header_v03) = (columns.header(), columns.header_v03());
    let mut v03 = false;
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
        if format == Format::Jsonl && is_blank(&buf) {
            // Kept (a blank last line without its end is taken off).
            if whole {
                complete += n as u64;
            }
            continue;
        }
        if !whole {
            // The last line, without its end: a row cut short, or not ours.
            let first_csv = format == Format::Csv && number == 1;
            if first_csv || !is_cut_row(&buf, format, columns, v03) {
                return Err(format!(
                    "line {number}, its last, is neither a whole line nor a row of this tool \
                     cut short"
                ));
            }
            break;
        }
        let line = &buf[..buf.len() - 1];
        let row = match format {
            Format::Csv if number == 1 => {
                v03 = buf == header_v03.as_bytes();
                if buf != header.as_bytes() && !v03 {
                    return Err(not_ours(format, columns, number, line));
                }
                complete += n as u64;
                continue;
            }
            Format::Csv => csv_row(line, columns, v03),
            Format::Jsonl => json_row(line),
        };
        let Some(row) = row else {
            return Err(if complete == 0 {
                not_ours(format, columns, number, line)
            } else {
                format!("line {number} is not a {} row of this tool", name(format))
            });
        };
        if let Some(theirs) = &row.id_type {
            if theirs != id_type {
                return Err(format!(
                    "its rows were asked with --user-id-type {}, this run asks with \
                     --user-id-type {id_type} (line {number}): resume it with --user-id-type {}, \
                     or audit these ids into another --output",
                    output::clean(theirs, 40),
                    output::clean(theirs, 40)
                ));
            }
        }
        let fin = match row.fin {
            Some(Seen::Failed) if row.id_type.is_none() => None,
            fin => fin,
        };
        if let (Some(id), Some(seen)) = (row.user_id, fin) {
            earlier.done.insert(earlier.keys.key(&id), seen);
        }
        complete += n as u64;
    }
    earlier.without_id_type = v03;
    Ok((earlier, complete))
}

fn name(format: Format) -> &'static str {
    match format {
        Format::Jsonl => "JSON Lines",
        Format::Csv => "CSV",
    }
}

/// Why the first line shows this is not our output in `format`.
fn not_ours(format: Format, columns: Columns, number: u64, first: &[u8]) -> String {
    let is = |c: Columns| {
        [c.header(), c.header_v03()]
            .iter()
            .any(|h| first == h.trim_end().as_bytes())
    };
    let (file, pool) = (is(Columns::File), is(Columns::Pool));
    let hint = if format == Format::Jsonl && (file || pool) {
        " (it holds CSV rows: resume it with --format csv)"
    } else if format == Format::Csv && columns == Columns::File && pool {
        " (it holds a whole-pool audit: resume it with --all-users)"
    } else if format == Format::Csv && columns == Columns::Pool && file {
        " (it holds a file audit: resume it with its FILE of ids)"
    } else if format == Format::Csv && json_row(first).is_some() {
        " (it holds JSON Lines rows: resume it with --format jsonl)"
    } else {
        ""
    };
    format!(
        "it is not a {} output of this tool{hint} (line {number} shows it)",
        name(format)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_rows_are_done_and_others_are_asked_again() {
        let rows = concat!(
            r#"{"userId":"a","totpStatus":"enabled","faceMfaStatus":"disabled","smsMfaStatus":"disabled","emailMfaStatus":"disabled","anyEnabled":true}"#,
            "\n",
            r#"{"userId":"b","userIdType":"user_id","error":{"kind":"api","statusCode":404,"apiCode":2004,"message":"not found","requestId":null}}"#,
            "\n",
            r#"{"userId":"c","error":{"kind":"transport","statusCode":null,"apiCode":null,"message":"reset","requestId":null}}"#,
            "\n",
            r#"{"userId":"d","error":{"kind":"api","statusCode":429,"apiCode":null,"message":"slow down","requestId":null}}"#,
            "\n",
            r#"{"line":5,"error":{"kind":"input","statusCode":null,"apiCode":null,"message":"x","requestId":null}}"#,
            "\n",
            r#"{"userId":"e","anyE"#,
        );
        let (earlier, complete) =
            read(rows.as_bytes(), Format::Jsonl, Columns::File, "user_id").unwrap();
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
                read(bytes, format, Columns::File, "user_id").is_err(),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        let err = read(header.as_bytes(), Format::Jsonl, Columns::File, "user_id")
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
                Some("user_id"),
                None,
                &Outcome::Answered(UserMfaInfo::new()),
            );
        }
        let (earlier, _) = read(text.as_bytes(), Format::Csv, Columns::File, "user_id").unwrap();
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
            "user_id",
        )
        .unwrap();
        assert_eq!(earlier.done.len(), 200_000);
    }
}
