//! Splitting a CSV line into its cells.

use super::cell::unneutralise;

/// Splits CSV lines into cells, with one parser for every line (building
/// a parser is most of the cost of a `csv::Reader` made for one line).
pub struct Splitter {
    core: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Default for Splitter {
    fn default() -> Splitter {
        Splitter {
            // Not csv_core::Reader::default(): that one's parser is not built.
            core: csv_core::Reader::new(),
            out: Vec::new(),
            ends: Vec::new(),
        }
    }
}

/// The cells of one CSV line.
pub struct Cells<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Cells<'_> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Cell `i`, un-neutralised; `None` past the end or when not UTF-8.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        std::str::from_utf8(&self.out[start..end])
            .ok()
            .map(unneutralise)
    }
}

impl Splitter {
    /// The cells of `line` (no line end), or `None` when it is not one
    /// record.
    pub fn split(&mut self, line: &[u8]) -> Option<Cells<'_>> {
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
