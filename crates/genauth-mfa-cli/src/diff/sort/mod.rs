//! An external merge sort of both files' rows by user, in bounded memory.
//!
//! Entries are held in memory up to a budget (`--sort-buffer`), then
//! sorted and written to a temporary run file; at the end the runs are
//! merged (a heap of one entry per run). Run files are anonymous
//! (`tempfile::tempfile`: unlinked at once, in `TMPDIR`), so nothing is
//! left behind whatever ends the process. When [`FAN_IN`] runs of one
//! level exist they are merged into one run of the next level, so at most
//! `FAN_IN` files a level are open and each entry is rewritten
//! `log_FAN_IN(runs)` times. The disk used is about the size of the
//! entries (a little less than both files). When everything fits in the
//! budget, nothing is written to disk.
//!
//! An entry is ordered by user id (bytes), then side (OLD first), then its
//! place in its file, so that each user's rows come together, in file order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Seek};

use super::rows::{State, Status};

/// Runs merged at once (and open files per level).
pub const FAN_IN: usize = 64;
/// What the allocator takes beside each allocation, about.
const ALLOC: usize = 16;
/// The buffer of each run file read or written.
const IO_BUFFER: usize = 64 * 1024;

/// OLD or NEW.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    Old,
    New,
}

/// One row about a user, from one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub side: Side,
    /// Its row's place in its file.
    pub seq: u64,
    pub state: State,
}

impl Entry {
    fn key(&self) -> (&[u8], Side, u64) {
        (self.id.as_bytes(), self.side, self.seq)
    }

    /// About how much memory the entry's heap parts take (with the
    /// allocator's overhead for each), beside its place in the buffer.
    fn heap_size(&self) -> usize {
        let heap = |s: &str| s.len() + ALLOC;
        let status = |s: &Status| match s {
            Status::Borrowed(_) => 0,
            Status::Owned(s) => heap(s),
        };
        heap(&self.id)
            + match &self.state {
                State::Answered(f) => {
                    status(&f.totp_status)
                        + status(&f.face_mfa_status)
                        + status(&f.sms_mfa_status)
                        + status(&f.email_mfa_status)
                }
                State::Failed { error } => {
                    heap(&error.kind)
                        + heap(&error.message)
                        + error.request_id.as_deref().map_or(0, heap)
                }
            }
    }
}

/// Collects entries; [`Sorter::finish`] gives them back in order.
pub struct Sorter {
    budget: usize,
    buf: Vec<Entry>,
    /// The heap parts of the entries in `buf`.
    used: usize,
    /// Runs by level: `levels[0]` holds the runs written from memory.
    levels: Vec<Vec<File>>,
    /// How many runs were written from memory.
    pub spilled: u64,
}

impl Sorter {
    /// A sorter holding about `budget` bytes of entries in memory.
    pub fn new(budget: usize) -> Sorter {
        Sorter {
            budget,
            buf: Vec::new(),
            used: 0,
            levels: Vec::new(),
            spilled: 0,
        }
    }

    pub fn push(&mut self, entry: Entry) -> io::Result<()> {
        let size = std::mem::size_of::<Entry>();
        if self.buf.len() == self.buf.capacity() {
            // Grown as a Vec grows, but never past what the budget holds
            // (an entry takes at least its size and one allocation).
            let most = self.budget / (size + ALLOC) + 1;
            let target = (self.buf.capacity() * 2).clamp(1024, most.max(1024));
            self.buf
                .reserve_exact(target.saturating_sub(self.buf.len()).max(1));
        }
        self.used += entry.heap_size();
        self.buf.push(entry);
        if self.used + self.buf.len() * size >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the entries in memory as a sorted run.
    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
        let mut out = Run::create()?;
        for entry in self.buf.drain(..) {
            out.write(&entry)?;
        }
        self.used = 0;
        self.spilled += 1;
        self.add(0, out.finish()?)
    }

    /// Adds a run at `level`, merging that level into the next when full.
    fn add(&mut self, level: usize, run: File) -> io::Result<()> {
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        self.levels[level].push(run);
        if self.levels[level].len() >= FAN_IN {
            let runs = std::mem::take(&mut self.levels[level]);
            let mut out = Run::create()?;
            for entry in Merge::new(runs)? {
                out.write(&entry?)?;
            }
            self.add(level + 1, out.finish()?)?;
        }
        Ok(())
    }

    /// Every entry pushed, in order.
    pub fn finish(mut self) -> io::Result<Sorted> {
        if self.spilled == 0 {
            self.buf.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
            return Ok(Sorted::Memory(self.buf.into_iter()));
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let runs = self.levels.into_iter().flatten().collect();
        Ok(Sorted::Merge(Merge::new(runs)?))
    }
}

/// The sorted entries.
pub enum Sorted {
    Memory(std::vec::IntoIter<Entry>),
    Merge(Merge),
}

impl Iterator for Sorted {
    type Item = io::Result<Entry>;

    fn next(&mut self) -> Option<io::Result<Entry>> {
        match self {
            Sorted::Memory(entries) => entries.next().map(Ok),
            Sorted::Merge(merge) => merge.next(),
        }
    }
}

/// The smallest entry of each run, smallest first.
pub struct Merge {
    heap: BinaryHeap<Head>,
    runs: Vec<BufReader<File>>,
    failed: bool,
}

struct Head(Entry, usize);

impl PartialEq for Head {
    fn eq(&self, other: &Head) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Head {}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Head) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    /// Reversed: the heap's greatest is the smallest key.
    fn cmp(&self, other: &Head) -> Ordering {
        other.0.key().cmp(&self.0.key())
    }
}

impl Merge {
    fn new(files: Vec<File>) -> io::Result<Merge> {
        let mut merge = Merge {
            heap: BinaryHeap::with_capacity(files.len()),
            runs: files
                .into_iter()
                .map(|f| BufReader::with_capacity(IO_BUFFER, f))
                .collect(),
            failed: false,
        };
        for i in 0..merge.runs.len() {
            if let Some(entry) = read_entry(&mut merge.runs[i])? {
                merge.heap.push(Head(entry, i));
            }
        }
        Ok(merge)
    }
}

impl Iterator for Merge {
    type Item = io::Result<Entry>;

    fn next(&mut self) -> Option<io::Result<Entry>> {
        if self.failed {
            return None;
        }
        let Head(entry, i) = self.heap.pop()?;
        match read_entry(&mut self.runs[i]) {
            Ok(Some(next)) => self.heap.push(Head(next, i)),
            Ok(None) => {}
            Err(e) => {
                self.failed = true;
                return Some(Err(e));
            }
        }
        Some(Ok(entry))
    }
}

/// A run file being written.
struct Run(BufWriter<File>);

impl Run {
    fn create() -> io::Result<Run> {
        let file = tempfile::tempfile().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot create a temporary file in {} (TMPDIR): {e}",
                    crate::exit::shown(&std::env::temp_dir())
                ),
            )
        })?;
        Ok(Run(BufWriter::with_capacity(IO_BUFFER, file)))
    }

    fn write(&mut self, entry: &Entry) -> io::Result<()> {
        write_entry(&mut self.0, entry)
    }

    /// The file, from its start.
    fn finish(self) -> io::Result<File> {
        let mut file = self
            .0
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        file.rewind()?;
        Ok(file)
    }
}

mod format;

use format::{read_entry, write_entry};

#[cfg(test)]
mod tests;
