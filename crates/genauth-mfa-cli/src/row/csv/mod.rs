//! The audit row in CSV: one column per [`Row`] field (the error's fields
//! each in a column of their own), read by the header's names, in any order,
//! other columns ignored.
//!
//! Every cell a spreadsheet would run as a formula gets a leading `'` (see
//! [`neutralise`]); an id cell with a control character is written with
//! `\u{..}` escapes (see [`encode_id`]). Both are undone when read.

mod cell;
mod columns;
mod split;

pub use cell::csv_line;
#[cfg(test)]
pub use cell::{decode_id, encode_id, neutralise, unneutralise};
pub use columns::COLUMNS;
pub use split::Splitter;

use std::borrow::Cow;

use super::model::{Columns, Row};

/// One CSV column: its name, and how a row's field becomes its cell and
/// back (`Err` for a cell this tool cannot have written).
pub struct Column {
    pub name: &'static str,
    pub group: Group,
    get: fn(&Row) -> Cow<'_, str>,
    set: fn(&mut Row, &str) -> Result<(), ()>,
}

/// Which outputs have a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Every audit output (0.3's included): a file without it is not one.
    Required,
    /// A whole-pool audit's (`--all-users`): the listed user's profile.
    Pool,
    /// Every output of this version; an older one may lack it (0.3 had no
    /// `user_id_type`).
    Added,
    /// An audit with `--exemptions`.
    Exemptions,
    /// An audit with `--by department`.
    Departments,
}

/// The names of the columns in `group`.
pub fn names(group: Group) -> impl Iterator<Item = &'static str> {
    COLUMNS
        .iter()
        .filter(move |c| c.group == group)
        .map(|c| c.name)
}

fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// A CSV file's columns, in its order: ours by name, `None` for any other.
#[derive(Clone)]
pub struct Header {
    columns: Vec<Option<&'static Column>>,
}

impl Header {
    /// The columns of a new output.
    pub fn of(columns: Columns) -> Header {
        let pool = columns == Columns::Pool;
        let columns = COLUMNS.iter().filter(|c| match c.group {
            Group::Required | Group::Added => true,
            Group::Pool => pool,
            _ => false,
        });
        Header {
            columns: columns.map(Some).collect(),
        }
    }

    /// These columns and those of `group` (an option's own) not there yet.
    pub fn with(mut self, group: Group) -> Header {
        let new: Vec<_> = COLUMNS
            .iter()
            .filter(|c| c.group == group && !self.has(c.name))
            .collect();
        self.columns.extend(new.into_iter().map(Some));
        self
    }

    /// The header line, with its line end.
    pub fn line_of_names(&self) -> String {
        let names: Vec<&str> = self.columns.iter().flatten().map(|c| c.name).collect();
        csv_line(&names)
    }

    /// The header in `line` (no line end), or which required column it
    /// lacks (`None`: it is not one CSV record).
    pub fn parse(splitter: &mut Splitter, line: &[u8]) -> Result<Header, Option<&'static str>> {
        let cells = splitter.split(line).ok_or(None)?;
        let columns: Vec<_> = (0..cells.len())
            .map(|i| cells.get(i).and_then(column))
            .collect();
        let header = Header { columns };
        match names(Group::Required).find(|n| !header.has(n)) {
            Some(missing) => Err(Some(missing)),
            None => Ok(header),
        }
    }

    /// Whether the file has the column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().flatten().any(|c| c.name == name)
    }

    /// `row` as one CSV record in these columns (other columns empty), with
    /// its line end.
    pub fn line(&self, row: &Row) -> String {
        let cells: Vec<Cow<'_, str>> = self
            .columns
            .iter()
            .map(|c| c.map_or(Cow::Borrowed(""), |c| (c.get)(row)))
            .collect();
        let cells: Vec<&str> = cells.iter().map(|c| &**c).collect();
        csv_line(&cells)
    }

    /// The row in `line` (no line end), or `None` when it is not a record
    /// of these columns that this tool could have written.
    pub fn read(&self, splitter: &mut Splitter, line: &[u8]) -> Option<Row> {
        let cells = splitter.split(line)?;
        if cells.len() != self.columns.len() {
            return None;
        }
        let mut row = Row::default();
        for (i, column) in self.columns.iter().enumerate() {
            if let Some(column) = column {
                (column.set)(&mut row, cells.get(i)?).ok()?;
            }
        }
        // An error row's status cells are empty; an answer's error cells.
        if row.any_enabled.is_none() {
            row.totp_status = None;
            row.face_mfa_status = None;
            row.sms_mfa_status = None;
            row.email_mfa_status = None;
        }
        if row.error.as_ref().is_some_and(|e| e.kind.is_empty()) {
            row.error = None;
        }
        // A row about no user has no yes/no cells about one.
        if row.user_id.is_none() {
            (row.effective_mfa, row.skip_mfa, row.admin) = (None, None, None);
        }
        Some(row)
    }

    /// Whether `line`, a last line without its line end, is the start of a
    /// row in these columns, cut short: no more cells than a row, and the
    /// whole ones (all but the last) as this tool writes them.
    pub fn is_cut_row(&self, splitter: &mut Splitter, line: &[u8]) -> bool {
        let Some(cells) = splitter.split(line) else {
            return false;
        };
        if cells.len() > self.columns.len() || cells.len() == 0 {
            return false;
        }
        let mut row = Row::default();
        (0..cells.len() - 1).all(|i| {
            let (Some(column), Some(cell)) = (self.columns[i], cells.get(i)) else {
                return cells.get(i).is_some();
            };
            let kind = column.name != "error_kind"
                || cell.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            kind && (column.set)(&mut row, cell).is_ok()
        })
    }
}
