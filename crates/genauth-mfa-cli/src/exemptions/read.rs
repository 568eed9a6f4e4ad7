//! Reading `--exemptions FILE`: CSV with the header
//! `userId,reason,owner,expires` (any order, other columns ignored), `#`
//! comment lines and blank lines allowed. Anything else is refused with
//! the line that shows it, before any request.

use std::collections::HashMap;
use std::path::Path;

use super::{Day, Entry};
use crate::row::clean;

/// The columns an exemption file must have.
const COLUMNS: [&str; 4] = ["userId", "reason", "owner", "expires"];
/// The most bytes of an exemption file (its entries are held in memory).
const MAX_BYTES: u64 = 64 << 20;

/// The entries of `path` by user id, or why the file is refused (a
/// message naming the file and the line).
pub fn read(path: &Path) -> Result<HashMap<String, Entry>, String> {
    let name = crate::exit::shown(path);
    let fail = |line: u64, why: String| format!("--exemptions {name} line {line}: {why}");
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read --exemptions {name}: {e}"))?;
    let too_big = file.metadata().is_ok_and(|m| m.len() > MAX_BYTES);
    if too_big {
        return Err(format!(
            "--exemptions {name} holds over {} MiB: not an exemption list",
            MAX_BYTES >> 20
        ));
    }
    let text = read_text(file).map_err(|e| format!("cannot read --exemptions {name}: {e}"))?;
    // A device or a pipe has no size to check first: it is read up to
    // the limit, and refused past it (`/dev/zero` never ends).
    if text.len() as u64 > MAX_BYTES {
        return Err(format!(
            "--exemptions {name} holds over {} MiB: not an exemption list",
            MAX_BYTES >> 20
        ));
    }
    let mut at: Option<[usize; 4]> = None;
    let mut width = 0;
    let mut entries = HashMap::new();
    for (line, text) in (1..).zip(text.lines()) {
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let record = record(text).ok_or_else(|| fail(line, "not one CSV record".into()))?;
        let Some(at) = at else {
            at = Some(header(&record).map_err(|why| fail(line, why))?);
            width = record.len();
            continue;
        };
        if record.len() != width {
            return Err(fail(
                line,
                format!(
                    "{} fields where the header has {width} (a missing or extra column)",
                    record.len()
                ),
            ));
        }
        let (id, entry) = entry(&record, at, line).map_err(|why| fail(line, why))?;
        if let Some(first) = entries.get(&id).map(|e: &Entry| e.line) {
            return Err(fail(
                line,
                format!(
                    "userId {} is exempted twice (line {first} too)",
                    clean(&id, 80)
                ),
            ));
        }
        entries.insert(id, entry);
    }
    if at.is_none() {
        return Err(format!(
            "--exemptions {name} has no header: its first line must be userId,reason,owner,expires"
        ));
    }
    Ok(entries)
}

/// The file as text (UTF-8, or refused).
fn read_text(file: std::fs::File) -> std::io::Result<String> {
    let mut text = String::new();
    let limited = std::io::Read::take(file, MAX_BYTES + 1);
    std::io::Read::read_to_string(&mut std::io::BufReader::new(limited), &mut text)?;
    Ok(text)
}

/// One line as one CSV record (a quoted cell may hold a comma, not a line
/// end: each entry is one line, so that a message can name it).
fn record(line: &str) -> Option<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut records = reader.records();
    let record = records.next()?.ok()?;
    records.next().is_none().then_some(record)
}

/// Where each of [`COLUMNS`] is in the header `record`.
fn header(record: &csv::StringRecord) -> Result<[usize; 4], String> {
    let mut at = [0; 4];
    for (i, want) in COLUMNS.iter().enumerate() {
        // Two columns of one name: which one is meant cannot be told.
        if record.iter().filter(|c| c.trim() == *want).count() > 1 {
            return Err(format!(
                "the header names the column {want} twice: which one holds the exemption \
                 cannot be told"
            ));
        }
        at[i] = record
            .iter()
            .position(|c| c.trim() == *want)
            .ok_or_else(|| {
                format!(
                    "the header lacks the column {want} (it must name userId, reason, owner, \
                     expires)"
                )
            })?;
    }
    Ok(at)
}

/// One entry: its user id and what it says.
fn entry(record: &csv::StringRecord, at: [usize; 4], line: u64) -> Result<(String, Entry), String> {
    let cell = |i: usize| record.get(at[i]).unwrap_or_default().trim();
    let id = cell(0);
    if id.is_empty() {
        return Err("the userId is empty".into());
    }
    for (i, what) in [(1, "reason"), (2, "owner")] {
        if cell(i).is_empty() {
            return Err(format!("the {what} is empty: every exemption needs one"));
        }
    }
    let expires = Day::parse(cell(3)).ok_or_else(|| {
        format!(
            "expires {:?} is not a date: write YYYY-MM-DD (UTC, the last day it holds)",
            clean(cell(3), 40)
        )
    })?;
    let entry = Entry {
        expires,
        owner: clean(cell(2), 80),
        line,
        seen: std::sync::atomic::AtomicBool::new(false),
    };
    Ok((id.to_owned(), entry))
}
