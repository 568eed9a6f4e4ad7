//! One CSV cell as this tool writes it: formula starts neutralised, ids
//! with control characters escaped, one-to-one.

use std::borrow::Cow;
use std::fmt::Write as _;

use genauth_mfa::needs_escape;

/// One CSV record, every cell neutralised, quoted by the `csv` crate.
pub fn csv_line(cells: &[&str]) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
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

/// A yes/no cell: `true`, `false`, or empty (unknown or absent).
pub fn yes_no(value: Option<Option<bool>>) -> Cow<'static, str> {
    Cow::Borrowed(match value.flatten() {
        Some(true) => "true",
        Some(false) => "false",
        None => "",
    })
}

pub fn read_yes_no(cell: &str) -> Result<Option<bool>, ()> {
    match cell {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(()),
    }
}
