//! The audit row in CSV: one column per [`Row`] field (the error's fields
//! each in a column of their own), read by the header's names, in any order,
//! other columns ignored.
//!
//! Every cell a spreadsheet would run as a formula gets a leading `'` (see
//! [`neutralise`]); an id cell with a control character is written with
//! `\u{..}` escapes (see [`encode_id`]). Both are undone when read.

mod cell;
mod split;

pub use cell::{csv_line, decode_id, encode_id};
#[cfg(test)]
pub use cell::{neutralise, unneutralise};
use cell::{read_yes_no, yes_no};
pub use split::Splitter;

use std::borrow::Cow;

use super::model::{Columns, ErrorCell, Row};

/// One CSV column: its name, and how a row's field becomes its cell and
/// back (`Err` for a cell this tool cannot have written).
pub struct Column {
    pub name: &'static str,
    pub group: Group,
    get: fn(&Row) -> Cow<'_, str>,
    set: fn(&mut Row, &str) -> Result<(), ()>,
}

fn text(t: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(t.as_deref().unwrap_or_default())
}

fn profile(t: &Option<Option<String>>) -> Cow<'_, str> {
    Cow::Borrowed(t.as_ref().and_then(Option::as_deref).unwrap_or_default())
}

fn some(cell: &str) -> Option<String> {
    Some(cell).filter(|c| !c.is_empty()).map(str::to_owned)
}

fn error(row: &mut Row) -> &mut ErrorCell {
    row.error.get_or_insert_with(ErrorCell::default)
}

fn number(cell: &str) -> Result<Option<i64>, ()> {
    match cell {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| ()),
    }
}

fn error_number(row: &Row, get: fn(&ErrorCell) -> Option<i64>) -> Cow<'_, str> {
    let n = row.error.as_ref().and_then(get);
    n.map_or(Cow::Borrowed(""), |n| Cow::Owned(n.to_string()))
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

/// Every column this tool writes, in the order of a new output. A new
/// column is one entry here (and its field in [`Row`]).
pub static COLUMNS: [Column; 23] = [
    Column {
        name: "user_id",
        group: Group::Required,
        get: |r| r.user_id.as_deref().map(encode_id).unwrap_or_default(),
        set: |r, c| {
            r.user_id = match c {
                "" => None,
                c => Some(decode_id(c).ok_or(())?.into_owned()),
            };
            Ok(())
        },
    },
    Column {
        name: "totp",
        group: Group::Required,
        get: |r| text(&r.totp_status),
        set: |r, c| {
            r.totp_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "face",
        group: Group::Required,
        get: |r| text(&r.face_mfa_status),
        set: |r, c| {
            r.face_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "sms",
        group: Group::Required,
        get: |r| text(&r.sms_mfa_status),
        set: |r, c| {
            r.sms_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "email",
        group: Group::Required,
        get: |r| text(&r.email_mfa_status),
        set: |r, c| {
            r.email_mfa_status = Some(c.to_owned());
            Ok(())
        },
    },
    Column {
        name: "any_enabled",
        group: Group::Required,
        get: |r| {
            Cow::Borrowed(
                r.any_enabled
                    .map_or("", |a| if a { "true" } else { "false" }),
            )
        },
        set: |r, c| {
            r.any_enabled = match c {
                "" => None,
                "true" => Some(true),
                "false" => Some(false),
                _ => return Err(()),
            };
            Ok(())
        },
    },
    Column {
        name: "error_kind",
        group: Group::Required,
        get: |r| Cow::Borrowed(r.error.as_ref().map_or("", |e| e.kind.as_str())),
        set: |r, c| {
            error(r).kind = c.to_owned();
            Ok(())
        },
    },
    Column {
        name: "status_code",
        group: Group::Required,
        get: |r| error_number(r, |e| e.status_code),
        set: |r, c| {
            error(r).status_code = number(c)?;
            Ok(())
        },
    },
    Column {
        name: "api_code",
        group: Group::Required,
        get: |r| error_number(r, |e| e.api_code),
        set: |r, c| {
            error(r).api_code = number(c)?;
            Ok(())
        },
    },
    Column {
        name: "message",
        group: Group::Required,
        get: |r| Cow::Borrowed(r.error.as_ref().map_or("", |e| e.message.as_str())),
        set: |r, c| {
            error(r).message = c.to_owned();
            Ok(())
        },
    },
    Column {
        name: "request_id",
        group: Group::Required,
        get: |r| text(r.error.as_ref().map_or(&None, |e| &e.request_id)),
        set: |r, c| {
            error(r).request_id = some(c);
            Ok(())
        },
    },
    Column {
        name: "username",
        group: Group::Pool,
        get: |r| profile(&r.username),
        set: |r, c| {
            r.username = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_email",
        group: Group::Pool,
        get: |r| profile(&r.user_email),
        set: |r, c| {
            r.user_email = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "phone",
        group: Group::Pool,
        get: |r| profile(&r.phone),
        set: |r, c| {
            r.phone = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_status",
        group: Group::Pool,
        get: |r| profile(&r.user_status),
        set: |r, c| {
            r.user_status = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "last_login",
        group: Group::Pool,
        get: |r| profile(&r.last_login),
        set: |r, c| {
            r.last_login = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "last_mfa_time",
        group: Group::Pool,
        get: |r| profile(&r.last_mfa_time),
        set: |r, c| {
            r.last_mfa_time = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "user_id_type",
        group: Group::Added,
        get: |r| text(&r.user_id_type),
        set: |r, c| {
            r.user_id_type = some(c);
            Ok(())
        },
    },
    Column {
        name: "effective_mfa",
        group: Group::Added,
        get: |r| yes_no(r.effective_mfa),
        set: |r, c| {
            r.effective_mfa = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "skip_mfa",
        group: Group::Added,
        get: |r| yes_no(r.skip_mfa),
        set: |r, c| {
            r.skip_mfa = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "admin",
        group: Group::Added,
        get: |r| yes_no(r.admin),
        set: |r, c| {
            r.admin = Some(read_yes_no(c)?);
            Ok(())
        },
    },
    Column {
        name: "exemption_expires",
        group: Group::Exemptions,
        get: |r| profile(&r.exemption_expires),
        set: |r, c| {
            r.exemption_expires = Some(some(c));
            Ok(())
        },
    },
    Column {
        name: "departments",
        group: Group::Departments,
        get: |r| match r.departments.as_ref().and_then(Option::as_ref) {
            Some(paths) => Cow::Owned(paths.join("; ")),
            None => Cow::Borrowed(""),
        },
        set: |r, c| {
            r.departments = Some(some(c).map(|c| c.split("; ").map(str::to_owned).collect()));
            Ok(())
        },
    },
];

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
