//! The audit's input: one user id a line, as operators' files really are.
//!
//! The reading rules (the README states them too):
//! - LF, CRLF and CR-only line ends; a UTF-8 byte-order mark at the start
//!   is dropped.
//! - Each line is trimmed of white space at both ends, Unicode white space
//!   included (NBSP, U+3000 ideographic space); white space inside an id
//!   stays.
//! - Blank lines are skipped, and so are lines whose trimmed text starts
//!   with `#` (comments), unless comments are off (`--no-comments`: then an
//!   id may start with `#`).
//! - Everything else is the id, as it is: control characters included
//!   (they are sent percent-encoded, and escaped in rows).
//! - A line that is not UTF-8, or longer than [`MAX_LINE`] bytes, is an
//!   error item naming its line number, and reading goes on.
//!
//! Memory is bounded by [`MAX_LINE`] whatever the input (an endless line
//! included).

use std::io::{self, BufRead};

/// The longest line taken as an id, in bytes.
pub const MAX_LINE: usize = 4096;

/// One item of input: a user id, or why its line could not be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Id { line: u64, id: String },
    Bad { line: u64, reason: String },
}

/// Reads ids from `input`, one item at a time.
pub struct Ids<R> {
    input: R,
    line: u64,
    /// The last line ended with CR: a LF right after it ends nothing.
    after_cr: bool,
    /// The current line was too long and was reported: skip to its end.
    skipping: bool,
    done: bool,
    /// Lines starting with `#` are comments.
    comments: bool,
}

impl<R: BufRead> Ids<R> {
    /// Reads `input`; `comments`: skip lines starting with `#`.
    pub fn new(input: R, comments: bool) -> Self {
        Ids {
            input,
            line: 0,
            after_cr: false,
            skipping: false,
            done: false,
            comments,
        }
    }

    /// The next raw line (without its end), or `None` at the end of input.
    /// A line over [`MAX_LINE`] is returned as soon as it is known to be
    /// too long, with `true`, and the rest of it is skipped by the next call.
    fn next_line(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        if self.skipping {
            self.skip_rest_of_line()?;
        }
        let mut line = Vec::new();
        let mut saw_any = false;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                return Ok((saw_any || !line.is_empty()).then_some((line, false)));
            }
            let mut start = 0;
            if self.after_cr {
                self.after_cr = false;
                if buf[0] == b'\n' {
                    start = 1;
                }
            }
            let rest = &buf[start..];
            let room = MAX_LINE - line.len();
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) if end <= room => {
                    line.extend_from_slice(&rest[..end]);
                    self.after_cr = rest[end] == b'\r';
                    self.input.consume(start + end + 1);
                    return Ok(Some((line, false)));
                }
                _ if rest.len() > room => {
                    // Too long: report it now, skip the rest later.
                    self.input.consume(start + room);
                    self.skipping = true;
                    return Ok(Some((line, true)));
                }
                _ => {
                    saw_any |= !rest.is_empty();
                    line.extend_from_slice(rest);
                    let n = start + rest.len();
                    self.input.consume(n);
                }
            }
        }
    }

    /// Skips to just after the end of the current line.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                self.skipping = false;
                return Ok(());
            }
            match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(end) => {
                    self.after_cr = buf[end] == b'\r';
                    self.input.consume(end + 1);
                    self.skipping = false;
                    return Ok(());
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for Ids<R> {
    type Item = io::Result<Item>;

    fn next(&mut self) -> Option<io::Result<Item>> {
        loop {
            if self.done {
                return None;
            }
            let (raw, too_long) = match self.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            self.line += 1;
            let line = self.line;
            let raw = if line == 1 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw).to_vec()
            } else {
                raw
            };
            if too_long {
                return Some(Ok(Item::Bad {
                    line,
                    reason: format!("line {line} is longer than {MAX_LINE} bytes"),
                }));
            }
            let Ok(text) = std::str::from_utf8(&raw) else {
                return Some(Ok(Item::Bad {
                    line,
                    reason: format!("line {line} is not valid UTF-8"),
                }));
            };
            let id = text.trim();
            if id.is_empty() || (self.comments && id.starts_with('#')) {
                continue;
            }
            return Some(Ok(Item::Id {
                line,
                id: id.to_owned(),
            }));
        }
    }
}

/// How many items a file will give, for a progress bar with a total: its
/// lines that are neither blank nor comments (read once, line by line).
pub fn count(input: impl BufRead, comments: bool) -> io::Result<u64> {
    let mut n = 0;
    for item in Ids::new(input, comments) {
        item?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> Vec<Item> {
        // A tiny buffer, so that lines and CRLF pairs straddle reads.
        let reader = io::BufReader::with_capacity(3, bytes);
        Ids::new(reader, true).map(|i| i.unwrap()).collect()
    }

    fn ids(bytes: &[u8]) -> Vec<(u64, String)> {
        items(bytes)
            .into_iter()
            .filter_map(|i| match i {
                Item::Id { line, id } => Some((line, id)),
                Item::Bad { .. } => None,
            })
            .collect()
    }

    #[test]
    fn every_line_end_and_a_bom() {
        let expected = vec![
            (1, "alice".to_owned()),
            (2, "bob".to_owned()),
            (4, "carol".to_owned()),
        ];
        for input in [
            &b"\xEF\xBB\xBFalice\nbob\n\ncarol\n"[..],
            b"alice\r\nbob\r\n\r\ncarol",
            b"alice\rbob\r\rcarol\r",
            b"\xEF\xBB\xBFalice\r\nbob\r\r\ncarol\n",
        ] {
            assert_eq!(ids(input), expected, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn blanks_comments_and_spaces() {
        assert_eq!(
            ids(b"# header\n  alice  \n\t\n  # indented\n"),
            vec![(2, "alice".to_owned())]
        );
        assert!(ids(b"").is_empty());
        assert!(ids(b"\n\n\r\n").is_empty());
    }

    #[test]
    fn bad_lines_are_items_with_their_number_and_reading_goes_on() {
        let mut input = b"alice\n\xff\xfe\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend(b"\nbob\n");
        let got = items(&input);
        assert_eq!(
            got,
            vec![
                Item::Id {
                    line: 1,
                    id: "alice".into()
                },
                Item::Bad {
                    line: 2,
                    reason: "line 2 is not valid UTF-8".into()
                },
                Item::Bad {
                    line: 3,
                    reason: format!("line 3 is longer than {MAX_LINE} bytes")
                },
                Item::Id {
                    line: 4,
                    id: "bob".into()
                },
            ]
        );
    }

    #[test]
    fn an_endless_line_is_bounded() {
        // 64 MiB of zeros with no line end: one bad item, memory bounded.
        let zeros = io::BufReader::new(io::repeat(0).take(64 << 20));
        let got: Vec<_> = Ids::new(zeros, true).map(|i| i.unwrap()).collect();
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], Item::Bad { line: 1, .. }));
    }

    #[test]
    fn counting_skips_what_reading_skips() {
        assert_eq!(count(&b"# h\na\n\nb\r\nc"[..], true).unwrap(), 3);
        assert_eq!(count(&b"# h\na\n\nb\r\nc"[..], false).unwrap(), 4);
    }

    #[test]
    fn unicode_white_space_is_trimmed_and_comments_can_be_ids() {
        assert_eq!(
            ids("\u{a0}alice\u{3000}\n".as_bytes()),
            vec![(1, "alice".to_owned())]
        );
        let got: Vec<_> = Ids::new(&b"#tag\n  # x \n"[..], false)
            .map(|i| i.unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                Item::Id {
                    line: 1,
                    id: "#tag".into()
                },
                Item::Id {
                    line: 2,
                    id: "# x".into()
                },
            ]
        );
    }

    use std::io::Read as _;
}
