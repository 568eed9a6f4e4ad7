//! `--resume`: reading back an earlier run's output, line by line.
//!
//! Before a byte of it changes, the file must be a regular file holding
//! rows of this tool in this `--format` (a CSV output is not resumed as
//! JSON Lines, nor a list of ids as either); anything else is refused and
//! left untouched, and so is a CSV output whose header lacks a column this
//! run writes ([`check_columns`]): rows appended keep the file's header.
//! Only a last line cut short (the run was killed while
//! writing it) is taken off. A user counts as done only when a row holds a
//! final answer about them: their statuses, or an error the server gave
//! about that user ([`FINAL_STATUS`], [`FINAL_API_CODE`]); users whose row
//! is a throttle, a gateway or transport error, a timeout or anything else
//! are asked again. Memory: one 128-bit key per user and what its row
//! answered (the factors, the account status), not the rows.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::io::{BufRead, Read};

use crate::policy::Factors;
use crate::row::csv::{self, Group, Header, Splitter};
use crate::row::{About, Columns, ErrorCell, Format, Row, UNKNOWN_STATUS, clean};

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
    /// account status when the row has one (an index into
    /// [`Earlier::statuses`]), for the summary of the final state.
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
    /// A CSV output's header: the rows appended keep its columns
    /// ([`check_columns`] found every column this run writes there).
    pub header: Option<Header>,
    /// The account statuses of the rows (a whole-pool audit's), each once,
    /// as the summary counts them: [`UNKNOWN_STATUS`] for a row whose
    /// status is `null` (the server sent none), a status this version
    /// does not know by its name, and past 255 of them `other`.
    pub statuses: Vec<String>,
}

/// One row read back: its user and whether it is final (and failed).
struct RowRead {
    user_id: Option<String>,
    /// `Some(seen)` when final.
    fin: Option<Seen>,
    /// The `--user-id-type` it was asked with; `None` in a 0.3 row.
    id_type: Option<String>,
    /// A whole-pool audit's account status: `Some(None)` when `null`.
    status: Option<Option<String>>,
}

fn is_final_failure(error: &ErrorCell) -> bool {
    error.kind == "api"
        && (error.status_code.is_some_and(|s| FINAL_STATUS.contains(&s))
            || error.api_code.is_some_and(|c| FINAL_API_CODE.contains(&c)))
}

/// What `row` tells `--resume`, or `None` when it is no row of this tool.
fn read_row(row: Row) -> Option<RowRead> {
    let text = |s: &Option<String>| s.as_deref().unwrap_or_default().to_owned();
    let fin = match row.about()? {
        About::Answered { .. } => Some(Seen::Answered(
            Factors::from_cells(
                &text(&row.totp_status),
                &text(&row.sms_mfa_status),
                &text(&row.email_mfa_status),
                &text(&row.face_mfa_status),
            ),
            None, // see Earlier::take
        )),
        About::Failed { error, .. } => is_final_failure(error).then_some(Seen::Failed),
        About::NoUser => None, // an input line's error
    };
    Some(RowRead {
        user_id: row.user_id,
        fin,
        id_type: row.user_id_type,
        status: row.user_status,
    })
}

/// How the rows of the file being read are written.
enum Reading {
    Jsonl,
    /// The header is yet to be read.
    CsvHeader,
    Csv(Header),
}

impl Reading {
    fn row(&mut self, splitter: &mut Splitter, line: &[u8]) -> Option<RowRead> {
        match self {
            Reading::Jsonl => read_row(Row::from_jsonl(line)?),
            Reading::Csv(header) => read_row(header.read(splitter, line)?),
            Reading::CsvHeader => None,
        }
    }

    /// Whether `partial`, a last line without its line end, is the start
    /// of a row of this tool cut short by a kill: the start of a JSON object
    /// whose first key is `userId` or `line` and that is not complete (or a
    /// complete row of this tool), or the start of a CSV record with no more
    /// cells than a row and the cells a row has where it has them.
    fn is_cut_row(&self, splitter: &mut Splitter, partial: &[u8]) -> bool {
        match self {
            Reading::Jsonl => {
                let starts = [&b"{\"userId\":"[..], b"{\"line\":"];
                if !starts
                    .iter()
                    .any(|s| s.starts_with(partial) || partial.starts_with(s))
                {
                    return false;
                }
                match serde_json::from_slice::<serde_json::Value>(partial) {
                    // Complete: only one of our rows whose line end was lost.
                    Ok(_) => Row::from_jsonl(partial).and_then(read_row).is_some(),
                    // A prefix of a JSON text ends in the middle of it.
                    Err(e) => e.is_eof(),
                }
            }
            Reading::Csv(header) => {
                // A cut (a full disk) can fall inside a character: what is
                // whole before it is the row's start.
                let partial = match std::str::from_utf8(partial) {
                    Err(e) if e.error_len().is_none() => &partial[..e.valid_up_to()],
                    _ => partial,
                };
                // Only the first bytes of a character: a first cell begun.
                partial.is_empty() || header.is_cut_row(splitter, partial)
            }
            Reading::CsvHeader => false,
        }
    }
}

/// Whether `line` is blank (empty or white space): JSON Lines readers skip
/// such lines, and so does `--resume`.
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Reads rows from `input`, whose ids were asked as `id_type`; the keys of
/// their users and the length of the lines to keep (every complete line,
/// and none of a last row cut short), or why this is not an output of this
/// tool in `format`, or not one of this `id_type`, or (CSV) one whose
/// header does not fit the rows this run appends, of `columns` with the
/// columns of `groups` ([`check_columns`]): that is told from the header,
/// before a row is read.
///
/// Rows of 0.3 hold no id type: their answers count (an answer shows that
/// the id named a user, and the same ids are resumed), their final errors
/// do not (a "not found" under another id type proves nothing): those
/// users are asked again.
pub fn read(
    mut input: impl BufRead,
    format: Format,
    (columns, groups): (Columns, &[Group]),
    id_type: &str,
) -> Result<(Earlier, u64), String> {
    let mut earlier = Earlier::default();
    let mut complete = 0u64;
    let mut buf = Vec::new();
    let mut splitter = Splitter::default();
    let mut reading = match format {
        Format::Jsonl => Reading::Jsonl,
        Format::Csv => Reading::CsvHeader,
    };
    for number in 1u64.. {
        let n = next_line(&mut input, &mut buf)?;
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
            if reading.is_cut_row(&mut splitter, &buf) {
                break;
            }
            return Err(format!(
                "line {number}, its last, is neither a whole line nor a row of this tool cut short"
            ));
        }
        let line = &buf[..buf.len() - 1];
        if let Reading::CsvHeader = reading {
            let header = csv_header(&mut splitter, line, columns)?;
            check_columns(&header, columns, groups)?;
            earlier.header = Some(header.clone());
            reading = Reading::Csv(header);
            complete += n as u64;
            continue;
        }
        let Some(row) = reading.row(&mut splitter, line) else {
            return Err(if complete == 0 {
                not_ours(format, number, line, None)
            } else {
                format!("line {number} is not a {} row of this tool", format.name())
            });
        };
        earlier.take(row, (id_type, columns), number)?;
        complete += n as u64;
    }
    Ok((earlier, complete))
}

/// Reads the next line (at most [`MAX_ROW`] bytes) into `buf`; its length.
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<usize, String> {
    buf.clear();
    input
        .take(MAX_ROW)
        .read_until(b'\n', buf)
        .map_err(|e| e.to_string())
}

impl Earlier {
    /// Takes in what row `number` says: a user with a final row is done.
    fn take(
        &mut self,
        row: RowRead,
        (id_type, columns): (&str, Columns),
        number: u64,
    ) -> Result<(), String> {
        check_id_type(row.id_type.as_deref(), (id_type, columns), number)?;
        let fin = match row.fin {
            Some(Seen::Failed) if row.id_type.is_none() => None,
            Some(Seen::Answered(factors, _)) => {
                let status = row.status.as_ref().map(|s| self.status(s.as_deref()));
                Some(Seen::Answered(factors, status))
            }
            fin => fin,
        };
        if let (Some(id), Some(seen)) = (row.user_id, fin) {
            self.done.insert(self.keys.key(&id), seen);
        }
        Ok(())
    }
}

impl Earlier {
    /// The index in [`Earlier::statuses`] of a row's account `status`
    /// (`None`: `null`, counted as [`UNKNOWN_STATUS`]).
    fn status(&mut self, status: Option<&str>) -> u8 {
        // Bounded as the run that wrote it bounded it (a row edited by
        // hand may hold anything).
        let status = clean(status.unwrap_or(UNKNOWN_STATUS), 80);
        let status = status.as_str();
        let index = |i: usize| u8::try_from(i).unwrap_or(u8::MAX);
        if let Some(i) = self.statuses.iter().position(|s| s == status) {
            return index(i);
        }
        if self.statuses.len() < usize::from(u8::MAX) {
            self.statuses.push(status.to_owned());
        } else if self.statuses.len() == usize::from(u8::MAX) {
            self.statuses.push("other".to_owned());
        }
        index(self.statuses.len() - 1)
    }
}

/// A row asked with another `--user-id-type` than this run's is refused
/// (`--all-users` asks by user_id, and takes no `--user-id-type`).
fn check_id_type(
    theirs: Option<&str>,
    (id_type, columns): (&str, Columns),
    number: u64,
) -> Result<(), String> {
    let Some(theirs) = theirs.filter(|t| *t != id_type) else {
        return Ok(());
    };
    let theirs = clean(theirs, 40);
    let what = match columns {
        Columns::Pool => format!(
            "resume it with its FILE of ids and --user-id-type {theirs} (not --all-users), \
             or audit the pool into another --output"
        ),
        Columns::File => format!(
            "resume it with --user-id-type {theirs}, or audit these ids into another --output"
        ),
    };
    Err(format!(
        "its rows were asked with --user-id-type {theirs}, this run asks with \
         --user-id-type {id_type} (line {number}): {what}"
    ))
}

/// The header of a CSV output, the first `line`: every column a row of
/// `columns` needs, by name, in any order; other columns are kept empty.
fn csv_header(splitter: &mut Splitter, line: &[u8], columns: Columns) -> Result<Header, String> {
    let header =
        Header::parse(splitter, line).map_err(|missing| not_ours(Format::Csv, 1, line, missing))?;
    let pool = csv::names(Group::Pool).filter(|c| header.has(c)).count();
    let all = csv::names(Group::Pool).count();
    match columns {
        Columns::File if pool > 0 => Err("it is not a CSV output of this tool (it holds a \
             whole-pool audit: resume it with --all-users) (line 1 shows it)"
            .into()),
        Columns::Pool if pool < all => Err("it is not a CSV output of this tool (it holds \
             a file audit: resume it with its FILE of ids) (line 1 shows it)"
            .into()),
        _ => Ok(header),
    }
}

/// Whether the rows this run appends (of `columns`, with the columns of
/// `groups`) fit the CSV `header` of the earlier output: every column this
/// run writes must be there, or the rows appended would silently lose it
/// (a 0.3 output, a run without `--by department` or `--exemptions`); and
/// a file with `exemption_expires` needs `--exemptions`, or the rows
/// appended would say "no exemption" unchecked. Other columns of the file
/// (`departments` without `--by department`: unknown, as its empty cell
/// says; `admin` without `--admin-role`: null) are kept empty.
pub fn check_columns(header: &Header, columns: Columns, groups: &[Group]) -> Result<(), String> {
    let pool = columns == Columns::Pool;
    let missing: Vec<(&str, Group)> = csv::COLUMNS
        .iter()
        .filter(|c| match c.group {
            Group::Required | Group::Added => true,
            Group::Pool => pool,
            group => groups.contains(&group),
        })
        .filter(|c| !header.has(c.name))
        .map(|c| (c.name, c.group))
        .collect();
    let flag = |group: Group| match group {
        Group::Exemptions => Some("--exemptions FILE"),
        Group::Departments => Some("--by department"),
        _ => None,
    };
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|(name, _)| *name).collect();
        let (s, them) = if names.len() > 1 {
            ("s", "them")
        } else {
            ("", "it")
        };
        let flags: Vec<&str> = missing.iter().filter_map(|(_, g)| flag(*g)).collect();
        let older = missing.iter().any(|(_, g)| flag(*g).is_none());
        let why = match (older, flags.is_empty()) {
            (true, true) => "written by an earlier version, 0.3".to_owned(),
            (true, false) => format!(
                "written by an earlier version, 0.3, and by a run without {}",
                flags.join(" and ")
            ),
            (false, _) => format!("written by a run without {}", flags.join(" and ")),
        };
        let or = if older {
            String::new()
        } else {
            format!(
                ", or resume it as the earlier run was made (without {})",
                flags.join(" and ")
            )
        };
        return Err(format!(
            "it has no column{s} {} ({why}), which this run writes: the rows appended would \
             lack {them}; audit into a new --output without --resume{or}",
            names.join(", ")
        ));
    }
    if header.has("exemption_expires") && !groups.contains(&Group::Exemptions) {
        return Err(
            "it has the column exemption_expires (an earlier run with --exemptions), \
             and this run has no --exemptions: the rows appended would say no exemption \
             unchecked; resume it with --exemptions FILE, or audit into a new --output \
             without --resume"
                .into(),
        );
    }
    Ok(())
}

/// Why the first line shows this is not our output in `format`
/// (`missing`: the first required CSV column the line lacks).
fn not_ours(format: Format, number: u64, first: &[u8], missing: Option<&str>) -> String {
    let is_header = Header::parse(&mut Splitter::default(), first).is_ok();
    let hint = if format == Format::Jsonl && is_header {
        " (it holds CSV rows: resume it with --format csv)".to_owned()
    } else if format == Format::Csv && Row::from_jsonl(first).and_then(read_row).is_some() {
        " (it holds JSON Lines rows: resume it with --format jsonl)".to_owned()
    } else if let Some(missing) = missing {
        format!(" (it has no column {missing})")
    } else {
        String::new()
    };
    format!(
        "it is not a {} output of this tool{hint} (line {number} shows it)",
        format.name()
    )
}

#[cfg(test)]
mod tests;
