//! The audit row: one type, [`Row`], that the audit writes and `--resume`
//! and `diff` read back, in JSON Lines (serde, the field names below in
//! camelCase) or CSV ([`csv`], by header names).
//!
//! Server text in a row (messages, request ids, status values this version
//! does not know, a listed user's profile) is bounded and its control
//! characters escaped when the row is made, in both formats, as on stderr
//! ([`clean`]). Ids are written one-to-one, so that `--resume` reads back
//! exactly the id that was asked: JSON escapes them its own way; CSV with
//! [`csv::encode_id`].
//!
//! A new column is one field here and its CSV name in [`csv`]'s table.

pub mod csv;
mod model;
mod text;

pub use model::{About, Columns, ErrorCell, Format, Profile, Row, UNKNOWN_STATUS};
pub use text::{clean, json_escaped};

impl Row {
    /// The row in `format`: CSV cells in the order of `header`.
    pub fn line(&self, format: Format, header: &csv::Header) -> String {
        match format {
            Format::Jsonl => self.to_jsonl(),
            Format::Csv => header.line(self),
        }
    }
}

#[cfg(test)]
mod tests;
