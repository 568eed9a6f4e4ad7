//! Asking the users: the batch engine fed with the audit's input, each
//! result written as a row into one buffered output, flushed at least
//! every 50 ms, and counted for the summary.

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use genauth_mfa::ManagementClient;
use genauth_mfa::batch::{Batch, Done, Input, Tally};

use super::end::{self, Asked};
use super::feed::{Admit, Feed, PoolFeed, Tag, Users};
use super::options::AuditOptions;
use crate::departments::{self, Departments};
use crate::exit::Ended;
use crate::files::Sink;
use crate::interrupt::Interrupt;
use crate::listing;
use crate::pool_facts::{Judge, Verdict};
use crate::progress;
use crate::resume::Earlier;
use crate::row::{Profile, Row};
use crate::summary::{Skips, Summary};

/// The most time a row waits in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The rows' destination, shared by the callback and the progress hook.
struct Out {
    writer: io::BufWriter<Box<dyn Write + Send>>,
    dirty: bool,
    last_flush: Instant,
    error: Option<io::Error>,
}

impl Out {
    fn flush(&mut self) {
        if self.dirty && self.error.is_none() {
            if let Err(e) = self.writer.flush() {
                self.error = Some(e);
            }
            self.dirty = false;
            self.last_flush = Instant::now();
        }
    }
}

impl Out {
    fn new(out: Box<dyn Write + Send>) -> Mutex<Out> {
        Mutex::new(Out {
            writer: io::BufWriter::with_capacity(64 * 1024, out),
            dirty: false,
            last_flush: Instant::now(),
            error: None,
        })
    }
}

impl Out {
    /// Writes `row`; false when the output cannot be written (the run
    /// stops).
    fn write(&mut self, row: &str) -> bool {
        if self.error.is_some() {
            return false;
        }
        if let Err(e) = self.writer.write_all(row.as_bytes()) {
            self.error = Some(e);
            return false;
        }
        self.dirty = true;
        true
    }
}

/// Lets each user through once, and not those the earlier output answered.
fn admit(
    options: &AuditOptions,
    earlier: Earlier,
    skips: &Arc<Skips>,
    judge: &Arc<Judge>,
) -> Admit {
    Admit {
        keys: earlier.keys,
        seen: earlier.done,
        statuses: earlier.statuses,
        record_asked: !options.all_users,
        skips: Arc::clone(skips),
        judge: Arc::clone(judge),
    }
}

/// The batch engine, with the audit's concurrency, id type and interrupt.
fn batch<'a>(
    client: &'a ManagementClient,
    options: &AuditOptions,
    interrupt: &Interrupt,
) -> Batch<'a> {
    let batch = Batch::new(client)
        .concurrency(options.concurrency)
        .with_cancel(interrupt.token());
    match options.user_id_type {
        Some(t) => batch.user_id_type(t),
        None => batch,
    }
}

fn lock(out: &Mutex<Out>) -> MutexGuard<'_, Out> {
    out.lock().unwrap_or_else(|p| p.into_inner())
}

/// The engine's input, the number of users when known (a progress bar's
/// length), and with `--all-users` how the listing ends.
type Fed = (
    Box<dyn Iterator<Item = Input<Tag>> + Send>,
    Option<u64>,
    Option<listing::Outcome>,
);

fn feed(users: Users, admit: Admit, comments: bool) -> Fed {
    match users {
        Users::File(source) => (
            Box::new(Feed::new(source.reader, comments, admit)),
            source.total,
            None,
        ),
        Users::Pool(listing, total) => {
            let outcome = listing.outcome();
            (
                Box::new(PoolFeed { listing, admit }),
                Some(total),
                Some(outcome),
            )
        }
    }
}

/// Asks every user of `users` into `sink`, then ends the run.
pub(super) fn ask(
    client: &ManagementClient,
    options: &AuditOptions,
    (users, mut departments): (Users, Option<Departments>),
    sink: Sink,
    judge: Judge,
    interrupt: &Interrupt,
) -> Ended {
    let skips = Arc::new(Skips::default());
    let judge = Arc::new(judge);
    let admit = admit(options, sink.earlier, &skips, &judge);
    let (feed, total, listed) = feed(users, admit, options.comments);
    let out = Arc::new(Out::new(sink.out));
    let bar = progress::bar(total, io::stderr().is_terminal());
    let batch = batch(client, options, interrupt);
    let hook = progress_hook(&out, &bar, &skips, interrupt);
    let mut summary = Summary::new(Arc::clone(&judge));
    let (format, id_type, header) = (options.format, options.id_type(), &sink.header);
    // From here on the first Ctrl-C ends the run with its summary; before,
    // it ends the process at once (during the token request, say).
    interrupt.arm();
    let batch = batch.on_progress(hook);
    // Read on a thread the run does not wait for: a Ctrl-C ends the run
    // with its summary while stdin (or a listing page) still blocks.
    let feed = batch.detach(feed);
    let result = batch.run(feed, |done: Done<Tag>| {
        let (line, profile) = done.tag.place();
        let user_id = done.user_id.as_deref();
        let verdict = judge.verdict(user_id, &done.outcome);
        let mut row = Row::of(line, user_id, id_type, profile, &done.outcome);
        judge.fill(&verdict, &mut row);
        if options.by_department {
            department(departments.as_mut(), profile, &verdict, &mut row);
        }
        if !lock(&out).write(&row.line(format, header)) {
            return ControlFlow::Break(());
        }
        summary.add(&done.outcome, profile.map(|p| p.status_bucket()), &verdict);
        ControlFlow::Continue(())
    });
    bar.finish_and_clear();
    let mut out = lock(&out);
    out.flush();
    summary.skips(&skips);
    pool_facts(&mut summary, options, departments);
    let write_error = out
        .error
        .as_ref()
        .map(|e| format!("cannot write to {}: {e}; stopping", sink.name));
    end::end(
        options,
        Asked {
            summary,
            result,
            write_error,
            listed,
        },
    )
}

/// What `--exemptions` and `--by department` came to, in the summary.
fn pool_facts(summary: &mut Summary, options: &AuditOptions, departments: Option<Departments>) {
    if let Some(exemptions) = &options.exemptions {
        summary.exemptions(exemptions.counts(options.today));
    }
    if let Some(departments) = departments.filter(|_| by_department(summary)) {
        summary.by_department(departments.figures());
    }
}

/// With `--by department`: the user's departments in `row` (`null` when
/// they are unknown), an answered user counted in each.
fn department(
    departments: Option<&mut Departments>,
    profile: Option<&Profile>,
    verdict: &Verdict,
    row: &mut Row,
) {
    let Some(departments) = departments else {
        row.departments = Some(None);
        return;
    };
    let ids = profile.and_then(|p| p.department_ids.as_deref());
    // No department ids sent (a server that ignores withDepartmentIds):
    // unknown, not "in no department".
    row.departments = Some(ids.map(|ids| departments.paths(Some(ids))));
    if let Some(without) = departments::without_effective_mfa(verdict) {
        departments.count(ids, without);
    }
}

/// Whether the departments' figures describe the final state: not when
/// `--resume` skipped users (their rows say no departments to count);
/// said on stderr.
fn by_department(summary: &Summary) -> bool {
    if summary.resumed() == 0 {
        return true;
    }
    crate::exit::say(
        "genauth-mfa: warning: byDepartment is null: the users answered in the earlier run (--resume) are not counted by department; run the audit whole for it",
    );
    false
}

/// After each result: the progress bar, a flush when due, and a cancel
/// when the output cannot be written.
fn progress_hook<'a>(
    out: &Arc<Mutex<Out>>,
    bar: &indicatif::ProgressBar,
    skips: &Arc<Skips>,
    interrupt: &Interrupt,
) -> impl FnMut(&Tally) + Send + 'a {
    let (out, bar, skips, cancel) = (
        Arc::clone(out),
        bar.clone(),
        Arc::clone(skips),
        interrupt.token().clone(),
    );
    move |tally: &Tally| {
        let skipped = skips.resumed.load(std::sync::atomic::Ordering::Relaxed)
            + skips.duplicates.load(std::sync::atomic::Ordering::Relaxed);
        bar.set_position(tally.done() + skipped);
        let mut out = lock(&out);
        if out.last_flush.elapsed() >= FLUSH_EVERY {
            out.flush();
        }
        if out.error.is_some() {
            cancel.cancel();
        }
    }
}
