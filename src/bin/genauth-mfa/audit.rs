//! `genauth-mfa audit`: input parsing and output formatting around the
//! library's batch engine (`genauth_mfa::batch`), which runs the users on N
//! threads and hands each result here as it completes.
//!
//! Rows go into one buffered output, flushed at least every 50 ms. Each
//! user is asked once per run (duplicates are counted); with `--resume` the
//! users with a final row in the output are skipped. Both take one 128-bit
//! key per distinct id: the only memory that grows with the input. The first Ctrl-C (or
//! SIGTERM, SIGHUP) stops handing out users, lets the calls in flight
//! finish, and prints the summary (exit 130). A closed stdout or a full
//! disk ends the run with a message (exit 1).

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use genauth_mfa::batch::{Batch, BatchError, Done, Input, Target};
use genauth_mfa::{CancelToken, ManagementClient, UserIdType};

use crate::exit::{EXIT_INTERRUPTED, EXIT_SETUP, EXIT_SOME_FAILED, fail, say, token_failed};
use crate::files;
use crate::input::{Ids, Item};
use crate::output::{self, Format};
use crate::progress;
use crate::resume::{Earlier, Key, Keys, Seen};
use crate::summary::Summary;

/// The most time a row waits in the buffer.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

pub struct Options {
    pub input: Option<PathBuf>,
    pub user_id_type: Option<UserIdType>,
    pub comments: bool,
    pub concurrency: usize,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub resume: bool,
}

/// What the reading side counts, for the summary.
#[derive(Default)]
pub struct Skips {
    /// Ids with a final row from an earlier run (`--resume`).
    pub resumed: AtomicU64,
    /// Of those, the ones whose final row is a failure.
    pub resumed_failed: AtomicU64,
    /// Ids seen earlier in this run's input.
    pub duplicates: AtomicU64,
}

/// The input as the engine reads it: ids once each, not the resumed ones.
struct Feed {
    ids: Ids<Box<dyn BufRead + Send>>,
    keys: Keys,
    /// The users with a final row from an earlier run, and those asked.
    seen: HashMap<Key, Seen>,
    skips: Arc<Skips>,
    last_line: u64,
    broken: bool,
}

impl Iterator for Feed {
    type Item = Input<u64>;

    fn next(&mut self) -> Option<Input<u64>> {
        loop {
            if self.broken {
                return None;
            }
            let (line, id) = match self.ids.next()? {
                Ok(Item::Id { line, id }) => (line, id),
                Ok(Item::Bad { line, reason }) => {
                    self.last_line = line;
                    return Some(Input::Unreadable { tag: line, reason });
                }
                Err(e) => {
                    self.broken = true;
                    let line = self.last_line + 1;
                    let reason = format!("cannot read the input after line {}: {e}", line - 1);
                    return Some(Input::Unreadable { tag: line, reason });
                }
            };
            self.last_line = line;
            let key = self.keys.key(&id);
            match self.seen.get(&key) {
                None => {
                    self.seen.insert(key, Seen::Asked);
                    return Some(Input::Ask(Target::new(id).tag(line)));
                }
                Some(Seen::Asked) => self.skips.duplicates.fetch_add(1, Ordering::Relaxed),
                Some(seen) => {
                    let failed = u64::from(*seen == Seen::Failed);
                    self.skips
                        .resumed_failed
                        .fetch_add(failed, Ordering::Relaxed);
                    self.skips.resumed.fetch_add(1, Ordering::Relaxed)
                }
            };
        }
    }
}

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

fn lock(out: &Mutex<Out>) -> MutexGuard<'_, Out> {
    out.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn run(client: &ManagementClient, options: &Options, cancel: &CancelToken) -> ExitCode {
    let stderr_terminal = io::stderr().is_terminal();
    let source =
        match files::open_input(options.input.as_deref(), stderr_terminal, options.comments) {
            Ok(source) => source,
            Err(message) => return fail(EXIT_SETUP, message),
        };
    // The access key is checked after every file check and before the
    // output is touched; the engine then finds the token cached.
    let mut check_key = || client.authenticate().map_err(|e| token_failed(&e));
    let sink = match files::open_output(
        options.output.as_deref(),
        options.format,
        options.resume,
        source.identity.as_ref(),
        &mut check_key,
    ) {
        Ok(sink) => sink,
        Err(message) => return fail(EXIT_SETUP, message),
    };
    if source.is_terminal {
        say(
            "reading user ids from the terminal, one a line; end with Ctrl-D \
             (or give a file: genauth-mfa audit ids.txt)",
        );
    }
    let Earlier { keys, done } = sink.earlier;
    let skips = Arc::new(Skips::default());
    let feed = Feed {
        ids: Ids::new(source.reader, options.comments),
        keys,
        seen: done,
        skips: Arc::clone(&skips),
        last_line: 0,
        broken: false,
    };
    let out = Arc::new(Mutex::new(Out {
        writer: io::BufWriter::with_capacity(64 * 1024, sink.out),
        dirty: false,
        last_flush: Instant::now(),
        error: None,
    }));
    let bar = progress::bar(source.total, stderr_terminal);
    let mut batch = Batch::new(client)
        .concurrency(options.concurrency)
        .with_cancel(cancel);
    if let Some(t) = options.user_id_type {
        batch = batch.user_id_type(t);
    }
    let hook = {
        let (out, bar, skips, cancel) = (
            Arc::clone(&out),
            bar.clone(),
            Arc::clone(&skips),
            cancel.clone(),
        );
        move |tally: &genauth_mfa::batch::Tally| {
            let skipped =
                skips.resumed.load(Ordering::Relaxed) + skips.duplicates.load(Ordering::Relaxed);
            bar.set_position(tally.done() + skipped);
            let mut out = lock(&out);
            if out.last_flush.elapsed() >= FLUSH_EVERY {
                out.flush();
            }
            if out.error.is_some() {
                cancel.cancel();
            }
        }
    };
    let mut summary = Summary::default();
    let format = options.format;
    // From here on the first Ctrl-C ends the run with its summary; before,
    // it ends the process at once (during the token request, say).
    crate::AUDITING.store(true, Ordering::SeqCst);
    let result = batch.on_progress(hook).run(feed, |done: Done<u64>| {
        let line = output::row(format, done.tag, done.user_id.as_deref(), &done.outcome);
        let mut out = lock(&out);
        if out.error.is_some() {
            return ControlFlow::Break(());
        }
        if let Err(e) = out.writer.write_all(line.as_bytes()) {
            out.error = Some(e);
            return ControlFlow::Break(());
        }
        out.dirty = true;
        summary.add(&done.outcome);
        ControlFlow::Continue(())
    });
    bar.finish_and_clear();
    let mut out = lock(&out);
    out.flush();
    if let Some(e) = &out.error {
        return fail(
            EXIT_SETUP,
            format!("cannot write to {}: {e}; stopping", sink.name),
        );
    }
    let batch = match result {
        Ok(batch) => batch,
        Err(e @ BatchError::Token { .. }) => return fail(EXIT_SETUP, e),
        Err(e) => {
            return fail(
                EXIT_SETUP,
                format!(
                    "{}; the rows written so far are complete",
                    output::clean(&e.to_string(), 300)
                ),
            );
        }
    };
    summary.skips(&skips);
    summary.print(batch.elapsed, batch.cancelled);
    if batch.cancelled {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if summary.failed() > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
