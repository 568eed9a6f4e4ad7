//! `genauth-mfa audit`: input parsing and output formatting around the
//! library's batch engine (`genauth_mfa::batch`), which runs the users on N
//! threads and hands each result here as it completes.
//!
//! The users come from a file of ids (or stdin), or with `--all-users`
//! from the pool's listing, fetched ahead on a thread of its own
//! ([`crate::listing`]) while the workers ask for the users listed so far.
//! Rows go into one buffered output, flushed at least every 50 ms. Each
//! user is asked once per run (duplicates are counted); with `--resume` the
//! users with a final row in the output are skipped. Both take one 128-bit
//! key per distinct id: the only memory that grows with the input (with
//! `--all-users`, only the resumed users' keys: the listing says which
//! users it listed before). The first Ctrl-C (or
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
use genauth_mfa::{CancelToken, Error, ManagementClient, UserIdType, UserStatus};

use crate::exit::{
    EXIT_INTERRUPTED, EXIT_POLICY, EXIT_SETUP, EXIT_SOME_FAILED, fail, say, token_failed,
};
use crate::files;
use crate::input::{self, Ids, Item, MAX_LINE};
use crate::listing::{self, Ended, Listing, StartError};
use crate::policy::Policy;
use crate::progress;
use crate::resume::{Earlier, Key, Keys, Seen};
use crate::row::csv::Header;
use crate::row::{self, Columns, Format, Profile, Row};
use crate::summary::{Counts, Summary};

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
    /// `--all-users`: list the pool instead of reading ids.
    pub all_users: bool,
    /// `--status`: only the listed users with this account status.
    pub status: Option<UserStatus>,
    /// `--summary FILE`.
    pub summary: Option<PathBuf>,
    /// `--require`.
    pub policy: Option<Policy>,
}

/// What comes back with each result: the input line of its id, or the
/// listed user (their place in the listing and their profile).
pub enum Tag {
    Line(u64),
    Listed { index: u64, profile: Box<Profile> },
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
    /// What the earlier run answered for the resumed users.
    pub resumed_answers: Mutex<Counts>,
}

/// Lets each user through once, and not the resumed ones (counting both).
struct Admit {
    keys: Keys,
    /// The users with a final row from an earlier run, and (from a file)
    /// those asked.
    seen: HashMap<Key, Seen>,
    /// Whether to remember the users asked (a file's ids): `--all-users`
    /// does not, as the listing itself says which users it listed before
    /// (its set of ids), so memory does not grow with the pool twice.
    record_asked: bool,
    skips: Arc<Skips>,
    policy: Option<Policy>,
}

impl Admit {
    /// Whether to ask about `id`.
    fn admit(&mut self, id: &str) -> bool {
        let key = self.keys.key(id);
        let skips = &self.skips;
        match self.seen.get(&key) {
            None => {
                if self.record_asked {
                    self.seen.insert(key, Seen::Asked);
                }
                return true;
            }
            Some(Seen::Asked) => skips.duplicates.fetch_add(1, Ordering::Relaxed),
            Some(Seen::Answered(factors, status)) => {
                let status = status
                    .and_then(|i| UserStatus::KNOWN.get(usize::from(i)))
                    .map(UserStatus::as_str);
                skips
                    .resumed_answers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .answer(*factors, status, self.policy.as_ref());
                skips.resumed.fetch_add(1, Ordering::Relaxed)
            }
            Some(Seen::Failed) => {
                skips.resumed_failed.fetch_add(1, Ordering::Relaxed);
                skips.resumed.fetch_add(1, Ordering::Relaxed)
            }
        };
        false
    }
}

/// The input as the engine reads it: ids once each, not the resumed ones.
struct Feed {
    ids: Ids<Box<dyn BufRead + Send>>,
    admit: Admit,
    last_line: u64,
    broken: bool,
}

impl Iterator for Feed {
    type Item = Input<Tag>;

    fn next(&mut self) -> Option<Input<Tag>> {
        loop {
            if self.broken {
                return None;
            }
            let (line, id) = match self.ids.next()? {
                Ok(Item::Id { line, id }) => (line, id),
                Ok(Item::Bad { line, reason }) => {
                    self.last_line = line;
                    let tag = Tag::Line(line);
                    return Some(Input::Unreadable { tag, reason });
                }
                Err(e) => {
                    self.broken = true;
                    let line = self.last_line + 1;
                    let reason = format!("cannot read the input after line {}: {e}", line - 1);
                    let tag = Tag::Line(line);
                    return Some(Input::Unreadable { tag, reason });
                }
            };
            self.last_line = line;
            if self.admit.admit(&id) {
                return Some(Input::Ask(Target::new(id).tag(Tag::Line(line))));
            }
        }
    }
}

/// `--all-users`: the listed users once each, not the resumed ones, each
/// asked by `user_id`.
struct PoolFeed {
    listing: Listing,
    admit: Admit,
}

impl Iterator for PoolFeed {
    type Item = Input<Tag>;

    fn next(&mut self) -> Option<Input<Tag>> {
        loop {
            let (user, repeat) = self.listing.next()?;
            let index = self.listing.listed();
            let profile = Box::new(Profile::of(&user));
            let tag = Tag::Listed { index, profile };
            let len = user.user_id.len();
            if len == 0 || len > MAX_LINE {
                // Nothing to ask by (or an id no input line could hold).
                let reason =
                    format!("user {index} of the listing has a userId of {len} bytes: not asked");
                return Some(Input::Unreadable { tag, reason });
            }
            // Listed before, however long ago: asked (or resumed) once.
            if repeat {
                self.admit.skips.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if self.admit.admit(&user.user_id) {
                let target = Target::new(user.user_id).user_id_type(UserIdType::UserId);
                return Some(Input::Ask(target.tag(tag)));
            }
        }
    }
}

/// The message for a listing that failed, after `listed` users (`None`:
/// its first page, before any row).
fn listing_failed(err: &Error, listed: Option<u64>) -> String {
    if err.fails_every_call() {
        return token_failed(err);
    }
    // The crate's own words and numbers, no server text: nothing to redact.
    if matches!(err, Error::IncompleteListing { .. }) {
        return format!("{err}; each user listed has a row, any other user was not asked");
    }
    let after = match listed {
        Some(n) => format!(" after {n} users"),
        None => String::new(),
    };
    format!(
        "listing the users failed{after}: {}",
        row::clean(&err.report().to_string(), 600)
    )
}

/// Writes `json` to the summary FILE `path`, replacing it whole; whether
/// it was written (if not, a line says why).
fn write_summary(path: &std::path::Path, json: &str) -> bool {
    match files::write_replacing(path, json.as_bytes()) {
        Ok(()) => true,
        Err(e) => {
            say(format_args!(
                "genauth-mfa: cannot write the summary to {}: {e}",
                crate::exit::shown(path)
            ));
            false
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
    let columns = if options.all_users {
        Columns::Pool
    } else {
        Columns::File
    };
    let source = if options.all_users {
        None
    } else {
        match files::open_input(options.input.as_deref(), stderr_terminal, options.comments) {
            Ok(source) => Some(source),
            Err(message) => return fail(EXIT_SETUP, message),
        }
    };
    // A pipe's encoding is told once the output is known not to be that
    // pipe, and before anything is requested, truncated or written.
    let mut source = source;
    let mut undecoded: Option<(Box<dyn BufRead + Send>, String)> =
        source.as_mut().filter(|s| s.undecoded).map(|s| {
            (
                std::mem::replace(&mut s.reader, Box::new(io::empty())),
                s.name.clone(),
            )
        });
    let identity = source.as_ref().and_then(|s| s.identity.as_ref());
    if let Some(path) = &options.summary {
        if let Err(message) = files::check_summary(path, identity, options.output.as_deref()) {
            return fail(EXIT_SETUP, message);
        }
    }
    // The access key (and with --all-users the first page) is checked
    // after every file check and before the output is touched; the engine
    // then finds the token cached.
    let mut started: Option<(Listing, u64)> = None;
    let mut decoded: Option<Box<dyn BufRead + Send>> = None;
    let mut check = || {
        if let Some((reader, name)) = undecoded.take() {
            decoded = Some(input::decoded(reader).map_err(|why| format!("{name} {why}"))?);
        }
        client.authenticate().map_err(|e| token_failed(&e))?;
        if options.all_users {
            match listing::start(client, options.status.clone(), cancel) {
                Ok(listing) => started = Some(listing),
                Err(StartError::Listing(e)) => return Err(listing_failed(&e, None)),
                Err(StartError::Internal(message)) => return Err(message),
            }
        }
        Ok(())
    };
    // The type the ids are asked as, in every row (`--all-users` asks by
    // user_id; without --user-id-type the server takes user_id).
    let id_type = match options.user_id_type {
        Some(t) if !options.all_users => t,
        _ => UserIdType::UserId,
    }
    .as_str();
    let sink = match files::open_output(
        options.output.as_deref(),
        options.format,
        columns,
        options.resume.then_some(id_type),
        identity,
        &mut check,
    ) {
        Ok(sink) => sink,
        Err(message) => return fail(EXIT_SETUP, message),
    };
    if source.as_ref().is_some_and(|s| s.is_terminal) {
        say(
            "reading user ids from the terminal, one a line; end with Ctrl-D \
             (or give a file: genauth-mfa audit ids.txt)",
        );
    }
    let Earlier { keys, done, header } = sink.earlier;
    let header = header.unwrap_or_else(|| Header::of(columns));
    let skips = Arc::new(Skips::default());
    let admit = Admit {
        keys,
        seen: done,
        record_asked: !options.all_users,
        skips: Arc::clone(&skips),
        policy: options.policy.clone(),
    };
    let (feed, total, listed): (Box<dyn Iterator<Item = Input<Tag>> + Send>, _, _) =
        match (source, started) {
            (Some(source), _) => {
                // (`check` runs on every way to an open output.)
                let reader = match (decoded, undecoded) {
                    (Some(reader), _) => reader,
                    (None, Some((reader, name))) => match input::decoded(reader) {
                        Ok(reader) => reader,
                        Err(why) => return fail(EXIT_SETUP, format!("{name} {why}")),
                    },
                    (None, None) => source.reader,
                };
                let feed = Feed {
                    ids: Ids::new(reader, options.comments),
                    admit,
                    last_line: 0,
                    broken: false,
                };
                (Box::new(feed), source.total, None)
            }
            (None, Some((listing, total))) => {
                let outcome = listing.outcome();
                (
                    Box::new(PoolFeed { listing, admit }),
                    Some(total),
                    Some(outcome),
                )
            }
            (None, None) => return fail(EXIT_SETUP, "internal error: no input"),
        };
    let out = Arc::new(Mutex::new(Out {
        writer: io::BufWriter::with_capacity(64 * 1024, sink.out),
        dirty: false,
        last_flush: Instant::now(),
        error: None,
    }));
    let bar = progress::bar(total, stderr_terminal);
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
    let mut summary = Summary::new(options.policy.clone());
    let format = options.format;
    // From here on the first Ctrl-C ends the run with its summary; before,
    // it ends the process at once (during the token request, say).
    crate::AUDITING.store(true, Ordering::SeqCst);
    let batch = batch.on_progress(hook);
    // Read on a thread the run does not wait for: a Ctrl-C ends the run
    // with its summary while stdin (or a listing page) still blocks.
    let feed = batch.detach(feed);
    let result = batch.run(feed, |done: Done<Tag>| {
        let (line, profile) = match &done.tag {
            Tag::Line(line) => (*line, None),
            Tag::Listed { index, profile } => (*index, Some(&**profile)),
        };
        let row = Row::of(
            line,
            done.user_id.as_deref(),
            id_type,
            profile,
            &done.outcome,
        )
        .line(format, &header);
        let mut out = lock(&out);
        if out.error.is_some() {
            return ControlFlow::Break(());
        }
        if let Err(e) = out.writer.write_all(row.as_bytes()) {
            out.error = Some(e);
            return ControlFlow::Break(());
        }
        out.dirty = true;
        summary.add(&done.outcome, profile.map(Profile::status_bucket));
        ControlFlow::Continue(())
    });
    bar.finish_and_clear();
    let mut out = lock(&out);
    out.flush();
    summary.skips(&skips);
    // A run that stops here exits 1; its summary FILE says why rather than
    // leave an earlier run's in place (`complete: true`, say).
    let stopped = |message: String| {
        if let Some(path) = &options.summary {
            write_summary(path, &summary.json(Some(&message)));
        }
        fail(EXIT_SETUP, message)
    };
    if let Some(e) = &out.error {
        return stopped(format!("cannot write to {}: {e}; stopping", sink.name));
    }
    let batch = match result {
        Ok(batch) => batch,
        Err(e @ BatchError::Token { .. }) => {
            return stopped(crate::exit::redact(&e.to_string()).into_owned());
        }
        Err(e) => {
            return stopped(format!(
                "{}; the rows written so far are complete",
                row::clean(&e.to_string(), 300)
            ));
        }
    };
    // How the listing ended: complete (did the pool change?) or failed.
    let mut listing_error = None;
    if let Some(outcome) = listed {
        match outcome.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(Ended::Complete(pool)) => summary.pool(pool),
            // Interrupted: the listing's own call was cancelled too.
            Some(Ended::Failed { .. }) if batch.cancelled => {}
            Some(Ended::Failed {
                error,
                listed,
                pool,
            }) => {
                summary.pool(pool);
                let code = if error.fails_every_call() {
                    EXIT_SETUP
                } else {
                    EXIT_SOME_FAILED
                };
                let mut message = listing_failed(&error, Some(listed));
                if !matches!(error, Error::IncompleteListing { .. }) {
                    message.push_str("; the rows written so far are complete");
                }
                listing_error = Some((code, message));
            }
            None => {}
        }
    }
    summary.print(batch.elapsed, batch.cancelled);
    let incomplete = summary.incomplete(
        batch.cancelled,
        listing_error.as_ref().map(|(_, m)| m.as_str()),
    );
    // A summary that cannot be written (its directory removed during the
    // run, a full disk) is said, and the run's own exit code stays when it
    // is not 0 (2, 3 and 130 say more about the audit, and already fail a
    // job); a run that would exit 0 exits 1: no job passes without the
    // summary it asked for.
    let summary_failed = options
        .summary
        .as_ref()
        .is_some_and(|path| !write_summary(path, &summary.json(incomplete.as_deref())));
    if batch.cancelled {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if let Some((code, message)) = listing_error {
        fail(code, message)
    } else if summary.failed() > 0 || incomplete.is_some() {
        ExitCode::from(EXIT_SOME_FAILED)
    } else if summary.violations() > 0 {
        ExitCode::from(EXIT_POLICY)
    } else if summary_failed {
        ExitCode::from(EXIT_SETUP)
    } else {
        ExitCode::SUCCESS
    }
}
