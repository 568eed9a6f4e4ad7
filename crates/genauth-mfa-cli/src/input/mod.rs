//! The audit's input: one user id a line, as operators' files really are.
//!
//! The reading rules (the README states them too):
//! - LF, CRLF and CR-only line ends; a UTF-8 byte-order mark at the start
//!   is dropped. A UTF-16 file with its byte-order mark (PowerShell 5's
//!   `>` and `Out-File`, Notepad's "Unicode") is decoded ([`decoded`]); a
//!   UTF-32 file, or UTF-16 without a byte-order mark (NUL bytes between
//!   the letters), is refused naming its encoding: read as UTF-8, every id
//!   would be sent with NULs in it and come back "not found".
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

use std::io::{self, BufRead, BufReader, Read};

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

/// What the first bytes of an input say about its encoding.
#[derive(Debug, PartialEq, Eq)]
enum Encoding {
    /// UTF-8 (or anything else: each line is checked as it is read).
    Utf8,
    /// UTF-16 with a byte-order mark (2 bytes, to be skipped).
    Utf16 { big_endian: bool },
    /// Refused: why.
    Refused(&'static str),
}

/// Tells the encoding from the first bytes read (`head`).
fn sniff(head: &[u8]) -> Encoding {
    match head {
        [0xFF, 0xFE, 0, 0, ..] => return Encoding::Refused("is UTF-32 LE (its byte-order mark)"),
        [0, 0, 0xFE, 0xFF, ..] => return Encoding::Refused("is UTF-32 BE (its byte-order mark)"),
        [0xFF, 0xFE, ..] => return Encoding::Utf16 { big_endian: false },
        [0xFE, 0xFF, ..] => return Encoding::Utf16 { big_endian: true },
        _ => {}
    }
    // Without a mark: NUL bytes in a regular place, as UTF-16 or UTF-32
    // puts them between ASCII letters, in the first 512 bytes.
    let head = &head[..head.len().min(512)];
    if head.len() < 4 || !head.contains(&0) {
        return Encoding::Utf8;
    }
    // Whether the bytes at `at`, `at + step`, ... are mostly NUL (`true`)
    // or mostly not (`false`): 3 in 4 or more either way.
    let nuls = |step: usize, at: usize, nul: bool| {
        let cells: Vec<u8> = head.iter().skip(at).step_by(step).copied().collect();
        let n = cells.iter().filter(|&&b| (b == 0) == nul).count();
        n * 4 >= cells.len() * 3
    };
    // Letters where the text has them, NULs between: all NULs (/dev/zero)
    // is no text at all, and is left to the line reader.
    let pattern = |step: usize, letters: usize| {
        nuls(step, letters, false)
            && (0..step)
                .filter(|&at| at != letters)
                .all(|at| nuls(step, at, true))
    };
    if pattern(4, 0) {
        Encoding::Refused("is UTF-32 LE (NUL bytes between the letters)")
    } else if pattern(4, 3) {
        Encoding::Refused("is UTF-32 BE (NUL bytes between the letters)")
    } else if pattern(2, 0) {
        Encoding::Refused("is UTF-16 LE without a byte-order mark (NUL bytes between the letters)")
    } else if pattern(2, 1) {
        Encoding::Refused("is UTF-16 BE without a byte-order mark (NUL bytes between the letters)")
    } else {
        Encoding::Utf8
    }
}

/// `input` as UTF-8: as it is, or decoded from UTF-16 with a byte-order
/// mark; or why it is refused (the encoding it is in, then what to do).
/// Reads the first block of `input` (do not call it on a terminal: that
/// would wait for the user to type before anything else happens).
pub fn decoded(mut input: Box<dyn BufRead + Send>) -> Result<Box<dyn BufRead + Send>, String> {
    let head = input
        .fill_buf()
        .map_err(|e| format!("cannot be read ({e})"))?;
    match sniff(head) {
        Encoding::Utf8 => Ok(input),
        Encoding::Utf16 { big_endian } => {
            input.consume(2);
            Ok(Box::new(BufReader::new(Utf16 {
                input,
                big_endian,
                odd: None,
                high: None,
                out: Vec::new(),
                at: 0,
                ended: false,
            })))
        }
        Encoding::Refused(why) => Err(format!(
            "{why}: save it as UTF-8 (or as UTF-16 with its byte-order mark) and run again; \
             nothing was asked"
        )),
    }
}

/// UTF-16 read as UTF-8. A lone surrogate becomes a byte that is never
/// UTF-8 (0xFF): its line is then reported as not valid UTF-8, as in a
/// UTF-8 file, rather than asked with a replacement character.
struct Utf16<R> {
    input: R,
    big_endian: bool,
    /// The first byte of a code unit split between two reads.
    odd: Option<u8>,
    /// A high surrogate waiting for its low one.
    high: Option<u16>,
    out: Vec<u8>,
    at: usize,
    ended: bool,
}

impl<R: BufRead> Utf16<R> {
    fn unit(&mut self, unit: u16) {
        const NOT_UTF8: u8 = 0xFF;
        if let Some(high) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&unit) {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                if let Some(c) = char::from_u32(c) {
                    let mut b = [0; 4];
                    self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
                return;
            }
            self.out.push(NOT_UTF8);
        }
        match unit {
            0xD800..=0xDBFF => self.high = Some(unit),
            0xDC00..=0xDFFF => self.out.push(NOT_UTF8),
            _ => {
                if let Some(c) = char::from_u32(u32::from(unit)) {
                    let mut b = [0; 4];
                    self.out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
            }
        }
    }

    /// Decodes the next block of input into `out`.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.at = 0;
        let block = self.input.fill_buf()?.to_vec();
        if block.is_empty() {
            self.ended = true;
            if self.odd.take().is_some() || self.high.take().is_some() {
                self.out.push(0xFF);
            }
            return Ok(());
        }
        self.input.consume(block.len());
        let mut bytes = block.as_slice();
        if let Some(first) = self.odd.take() {
            let pair = [first, bytes[0]];
            self.unit(self.decode(pair));
            bytes = &bytes[1..];
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.unit(self.decode([pair[0], pair[1]]));
        }
        self.odd = pairs.remainder().first().copied();
        Ok(())
    }

    fn decode(&self, pair: [u8; 2]) -> u16 {
        if self.big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    }
}

impl<R: BufRead> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.out.len() {
            if self.ended {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
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
mod tests;
