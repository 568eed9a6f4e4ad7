//! `genauth-mfa diff OLD NEW`: what changed between two audits, one JSON
//! Lines row per user whose coverage or factors changed.
//!
//! OLD and NEW are outputs of `genauth-mfa audit`, JSON Lines or CSV
//! (each told from its first line; they may differ), rows in any order.
//! Users are matched by the `userId` of their rows (the id as the audit
//! was given it). A user's row in a file is their answer; when a file holds
//! several rows about one user (an audit resumed after failures appends
//! the new answer), an answer wins over an error and a later row over an
//! earlier one. Then, per user:
//!
//! | OLD | NEW | row |
//! |---|---|---|
//! | absent | a row | `added` |
//! | a row | absent | `removed` |
//! | MFA | no MFA | `lostMfa` |
//! | no MFA | MFA | `gainedMfa` |
//! | factors | other factors, same coverage | `changed` |
//! | an answer | an error, or the other way | `unknown`: an error is not an answer |
//! | an error | an error | no row: counted as "failed in both" (not compared) |
//! | factors | the same factors | no row: counted as "unchanged" |
//!
//! "MFA" is the row's `effectiveMfa` when both rows carry a known one (a
//! factor the pool enables, and not on the SKIP_MFA list), and otherwise
//! its `anyEnabled` without a known `skipMfa: true`: a user newly on the
//! SKIP_MFA list lost MFA either way. `before` and `after` are the user's
//! row in each file without its id (`null` when absent): their statuses,
//! `anyEnabled` and (when known) `effectiveMfa` and `skipMfa`, or
//! `{"error": {...}}`. Rows about no user (an input
//! line the audit could not read) are counted and skipped. Rows come out
//! sorted by user id (bytes).
//!
//! Memory stays bounded whatever the files' sizes: both files' rows go
//! through an external merge sort ([`sort`]) holding at most
//! `--sort-buffer` MiB of them in memory, the rest in anonymous temporary
//! files in TMPDIR. OLD and NEW are only read; an output that is one of
//! them (same device and inode) is refused before anything is written.
//!
//! Exit codes: 0 no one lost MFA and every user in both files was
//! compared; 3 someone lost MFA (a CI job fails on it), whatever else;
//! 2 no one was seen to lose MFA but some users were not compared (an
//! error row in OLD or NEW: `unknown` or "failed in both"), so the diff is
//! incomplete; 1 a setup error (a file that cannot be read or is not an audit output,
//! an output that cannot be written, temporary files); 130 interrupted.

pub mod rows;
mod sort;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use same_file::Handle;
use serde::Serialize;

use crate::exit::{EXIT_INTERRUPTED, EXIT_POLICY, EXIT_SOME_FAILED, Ended, Failure, Outcome};
use crate::files;
use crate::interrupt::Interrupt;
use crate::row::{Columns, Format};
use rows::{Row, Rows, State};
use sort::{Entry, Side, Sorted, Sorter};

/// How often (in rows) a long loop looks at the cancel token.
const CHECK_EVERY: u64 = 4096;

/// A diff's options, resolved from its command line.
pub struct DiffOptions {
    pub old: PathBuf,
    pub new: PathBuf,
    /// `None` or `-`: stdout.
    pub output: Option<PathBuf>,
    /// The most bytes of rows sorted in memory.
    pub sort_buffer: usize,
}

/// A diff stopped by a signal.
fn interrupted() -> Failure {
    Failure::new(EXIT_INTERRUPTED, "interrupted")
}

/// What the summary line counts.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Counts {
    pub before: u64,
    pub after: u64,
    pub lost: u64,
    pub gained: u64,
    pub changed: u64,
    pub added: u64,
    pub removed: u64,
    pub unknown: u64,
    pub failed_both: u64,
    pub unchanged: u64,
    pub no_user: u64,
    /// Rows about users, in both files.
    pub rows: u64,
}

impl Counts {
    fn line(&self) -> String {
        let mut line = format!(
            "{} users before, {} after: {} lost MFA, {} gained MFA, {} changed factors, \
             {} added, {} removed, {} unknown (an error row in one file), {} failed in both, \
             {} unchanged",
            self.before,
            self.after,
            self.lost,
            self.gained,
            self.changed,
            self.added,
            self.removed,
            self.unknown,
            self.failed_both,
            self.unchanged
        );
        if self.no_user > 0 {
            let rows = if self.no_user == 1 { "row" } else { "rows" };
            line += &format!("; {} {rows} without a user skipped", self.no_user);
        }
        line
    }
}

/// One diff row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change<'a> {
    pub user_id: &'a str,
    pub change: &'static str,
    pub before: Option<&'a State>,
    pub after: Option<&'a State>,
}

/// Runs a diff: reads and sorts both files, then writes the changes.
pub fn run(options: &DiffOptions, interrupt: &Interrupt) -> Ended {
    // The first Ctrl-C (SIGTERM, SIGHUP) cancels, as in an audit.
    interrupt.arm();
    let counts = diff(options, interrupt)?;
    let mut lines = vec![counts.line()];
    // Users with an error row in either file were not compared: a diff of
    // them is incomplete (2), never "nobody lost MFA"; a user seen to lose
    // MFA still makes it 3 (a loss found is certain, and is what the job
    // must act on).
    let not_compared = counts.unknown + counts.failed_both;
    if not_compared > 0 {
        lines.push(not_compared_line(&counts, not_compared));
    }
    let code = if counts.lost > 0 {
        EXIT_POLICY
    } else if not_compared > 0 {
        EXIT_SOME_FAILED
    } else {
        0
    };
    Ok(Outcome { code, lines })
}

fn not_compared_line(counts: &Counts, not_compared: u64) -> String {
    let compared = counts.lost + counts.gained + counts.changed + counts.unchanged;
    let users = if not_compared == 1 { "user" } else { "users" };
    let none = if compared == 0 {
        "; no user was compared at all (was the access key refused on every call?)"
    } else {
        ""
    };
    format!(
        "genauth-mfa: {not_compared} {users} not compared (an error row in OLD or NEW instead \
         of an answer): the diff is incomplete{none}; run the audit again with --resume to ask \
         the failed users again (a final answer such as \"user not found\" is not asked again: \
         remove such ids from the input or check --user-id-type)"
    )
}

/// An input file, opened.
struct Input {
    file: File,
    handle: Handle,
    name: String,
}

fn open(path: &Path) -> Result<Input, String> {
    let name = crate::exit::shown(path);
    let cannot = |e: io::Error| format!("cannot read {name}: {e}");
    let file = File::open(path).map_err(cannot)?;
    if file.metadata().map_err(cannot)?.is_dir() {
        return Err(format!("{name} is a directory, not an audit output"));
    }
    let handle = Handle::from_file(file.try_clone().map_err(cannot)?).map_err(cannot)?;
    Ok(Input { file, handle, name })
}

fn diff(options: &DiffOptions, interrupt: &Interrupt) -> Result<Counts, Failure> {
    let old = open(&options.old)?;
    let new = open(&options.new)?;
    let plan = files::plan_output(
        options.output.as_deref(),
        Format::Jsonl,
        Columns::File,
        None,
        Vec::new(),
        &[&old.handle, &new.handle],
    )?;
    // Both files are read and sorted before the output is created: a bad
    // row leaves an existing output as it was.
    let (sorted, spilled, mut counts) = sort_both(&old, &new, options.sort_buffer, interrupt)?;
    let sink = plan.open()?;
    if spilled > 0 {
        log::debug!(
            "diff: {} rows in {spilled} runs of about {} MiB sorted through temporary files in {}",
            counts.rows,
            options.sort_buffer >> 20,
            std::env::temp_dir().display()
        );
    } else {
        log::debug!("diff: {} rows sorted in memory", counts.rows);
    }
    let name = sink.name;
    let mut out = BufWriter::new(sink.out);
    let mut write = |change: &Change<'_>| {
        serde_json::to_writer(&mut out, change)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| Failure::setup(format!("cannot write to {name}: {e}")))
    };
    compare(sorted, &mut counts, interrupt, &mut write)?;
    out.flush()
        .map_err(|e| Failure::setup(format!("cannot write to {name}: {e}")))?;
    Ok(counts)
}

/// The changes from the audit output `old` to `new`, each handed to
/// `write` in user id order, and their counts: what `diff` writes, for
/// another command (`report --previous`). Rows sorted in at most 32 MiB.
pub fn changes(
    old: &Path,
    new: &Path,
    interrupt: &Interrupt,
    write: &mut dyn FnMut(&Change<'_>) -> Result<(), Failure>,
) -> Result<Counts, Failure> {
    let (old, new) = (open(old)?, open(new)?);
    let (sorted, _, mut counts) = sort_both(&old, &new, 32 << 20, interrupt)?;
    compare(sorted, &mut counts, interrupt, write)?;
    Ok(counts)
}

/// Both files' rows read and sorted; how many runs went through temporary
/// files; the rows counted.
fn sort_both(
    old: &Input,
    new: &Input,
    sort_buffer: usize,
    interrupt: &Interrupt,
) -> Result<(Sorted, u64, Counts), Failure> {
    let mut counts = Counts::default();
    let mut sorter = Sorter::new(sort_buffer);
    collect(&mut sorter, old, Side::Old, &mut counts, interrupt)?;
    collect(&mut sorter, new, Side::New, &mut counts, interrupt)?;
    let spilled = sorter.spilled;
    let sorted = sorter
        .finish()
        .map_err(|e| format!("cannot sort the rows: {e}"))?;
    Ok((sorted, spilled, counts))
}

/// Pushes every row of `input` into `sorter`.
fn collect(
    sorter: &mut Sorter,
    input: &Input,
    side: Side,
    counts: &mut Counts,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let mut rows = Rows::new(
        BufReader::with_capacity(64 * 1024, &input.file),
        input.name.clone(),
    );
    for seq in 0u64.. {
        if seq % CHECK_EVERY == 0 && interrupt.is_interrupted() {
            return Err(interrupted());
        }
        match rows.next_row()? {
            None => break,
            Some(Row::NoUser) => counts.no_user += 1,
            Some(Row::User(id, state)) => {
                counts.rows += 1;
                sorter
                    .push(Entry {
                        id,
                        side,
                        seq,
                        state,
                    })
                    .map_err(|e| format!("cannot sort the rows: {e}"))?;
            }
        }
    }
    Ok(())
}

/// The row of an answer that wins among a user's rows in one file.
fn better(best: Option<State>, next: State) -> Option<State> {
    match (&best, &next) {
        (Some(State::Answered(_)), State::Failed { .. }) => best,
        _ => Some(next),
    }
}

/// Walks the sorted entries user by user, counting and writing changes.
fn compare(
    sorted: Sorted,
    counts: &mut Counts,
    interrupt: &Interrupt,
    write: &mut dyn FnMut(&Change<'_>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut user: Option<String> = None;
    let (mut old, mut new) = (None, None);
    let mut entries = sorted;
    for n in 0u64.. {
        if n % CHECK_EVERY == 0 && interrupt.is_interrupted() {
            return Err(interrupted());
        }
        let entry = match entries.next() {
            Some(Ok(entry)) => Some(entry),
            Some(Err(e)) => {
                return Err(Failure::setup(format!(
                    "cannot read back the sorted rows (temporary files): {e}"
                )));
            }
            None => None,
        };
        if user.is_some() && entry.as_ref().is_none_or(|e| Some(&e.id) != user.as_ref()) {
            let id = user.take().unwrap_or_default();
            let (before, after) = (old.take(), new.take());
            let change = classify(counts, before.as_ref(), after.as_ref());
            if let Some((change, before, after)) = change {
                let row = Change {
                    user_id: &id,
                    change,
                    before,
                    after,
                };
                write(&row)?;
            }
        }
        let Some(entry) = entry else { break };
        if user.is_none() {
            user = Some(entry.id);
        }
        match entry.side {
            Side::Old => old = better(old, entry.state),
            Side::New => new = better(new, entry.state),
        }
    }
    Ok(())
}

/// Counts one user; the row to write about them, if any.
fn classify<'a>(
    counts: &mut Counts,
    old: Option<&'a State>,
    new: Option<&'a State>,
) -> Option<(&'static str, Option<&'a State>, Option<&'a State>)> {
    counts.before += u64::from(old.is_some());
    counts.after += u64::from(new.is_some());
    let change = match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => {
            counts.added += 1;
            "added"
        }
        (Some(_), None) => {
            counts.removed += 1;
            "removed"
        }
        (Some(State::Failed { .. }), Some(State::Failed { .. })) => {
            counts.failed_both += 1;
            return None;
        }
        (Some(State::Answered(a)), Some(State::Answered(b))) => {
            let (had, has) = (a.mfa_against(b), b.mfa_against(a));
            if had && !has {
                counts.lost += 1;
                "lostMfa"
            } else if !had && has {
                counts.gained += 1;
                "gainedMfa"
            } else if !a.same_factors(b) {
                counts.changed += 1;
                "changed"
            } else {
                counts.unchanged += 1;
                return None;
            }
        }
        _ => {
            counts.unknown += 1;
            "unknown"
        }
    };
    Some((change, old, new))
}
