//! `genauth-mfa audit`: get-user-mfa-info for every id of a file or stdin,
//! one row per user as each completes.
//!
//! A reader thread feeds ids, in batches, through a bounded queue to N
//! worker threads sharing one client; each worker writes its rows into one
//! shared buffered output (whole lines only), which the main thread flushes
//! every 50 ms while it watches for the end, an output error or Ctrl-C.
//! Memory stays flat however long the input. Ctrl-C stops the reading, lets
//! the calls in flight finish and write their rows, then prints the summary
//! (exit 130). A closed stdout or a full disk ends the run at once with a
//! message (exit 1).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use genauth_mfa::{ManagementClient, UserIdType};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::input::{self, Ids, Item};
use crate::output::{self, CSV_HEADER, Format, Outcome};
use crate::{EXIT_INTERRUPTED, EXIT_SETUP, EXIT_SOME_FAILED, fail};

/// How often a waiting thread looks at the interrupt flag, and how often
/// the output is flushed.
const TICK: Duration = Duration::from_millis(50);

/// Ids go to the workers in batches of at most this many (fewer when the
/// workers are waiting), so that the reader is not woken once per id.
const BATCH: usize = 32;

/// The rows' destination, shared by the workers.
struct Sink {
    out: io::BufWriter<Box<dyn Write + Send>>,
    dirty: bool,
    error: Option<io::Error>,
    summary: Summary,
}

struct Shared {
    sink: Mutex<Sink>,
    format: Format,
    progress: ProgressBar,
    /// Batches in the queue, so the reader knows when workers wait.
    queued: AtomicUsize,
    skipped: AtomicU64,
}

impl Shared {
    fn sink(&self) -> MutexGuard<'_, Sink> {
        self.sink.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `done`'s row; `false` when the output has failed.
    fn write(&self, done: &Done) -> bool {
        let line = output::row(self.format, done.id.as_deref(), done.line, &done.outcome);
        let mut sink = self.sink();
        if sink.error.is_some() {
            return false;
        }
        // A BufWriter passes whole lines on: it writes out what it holds
        // before a line that does not fit, and a line over its size whole.
        if let Err(e) = sink.out.write_all(line.as_bytes()) {
            sink.error = Some(e);
            return false;
        }
        sink.dirty = true;
        sink.summary.add(done);
        drop(sink);
        self.progress.inc(1);
        true
    }
}

pub struct Options {
    pub input: Option<PathBuf>,
    pub user_id_type: Option<UserIdType>,
    pub concurrency: usize,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub resume: bool,
}

/// One finished item, on its way to the output.
struct Done {
    line: u64,
    id: Option<String>,
    outcome: Outcome,
}

#[derive(Default)]
struct Summary {
    users: u64,
    totp: u64,
    face: u64,
    sms: u64,
    email: u64,
    none: u64,
    skipped: u64,
    errors: BTreeMap<&'static str, u64>,
}

impl Summary {
    fn add(&mut self, done: &Done) {
        match &done.outcome {
            Outcome::Answered(info) => {
                self.users += 1;
                self.totp += u64::from(info.totp.is_enabled());
                self.face += u64::from(info.face.is_enabled());
                self.sms += u64::from(info.sms.is_enabled());
                self.email += u64::from(info.email.is_enabled());
                self.none += u64::from(!info.any_enabled());
            }
            Outcome::Failed(e) => {
                self.users += 1;
                *self.errors.entry(e.kind()).or_default() += 1;
            }
            Outcome::BadInput(_) => *self.errors.entry("input").or_default() += 1,
        }
    }

    fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    fn print(&self, elapsed: Duration, interrupted: bool) {
        let rate = self.users as f64 / elapsed.as_secs_f64().max(1e-9);
        let head = if interrupted { "interrupted: " } else { "" };
        eprintln!(
            "{head}{} users in {:.1?} ({rate:.0}/s): totp {}, face {}, sms {}, email {} enabled; \
             {} with no MFA factor; {} failed",
            self.users,
            elapsed,
            self.totp,
            self.face,
            self.sms,
            self.email,
            self.none,
            self.failed()
        );
        if self.skipped > 0 {
            eprintln!(
                "{} ids skipped: already in the output (--resume)",
                self.skipped
            );
        }
        for (kind, n) in &self.errors {
            eprintln!("errors of kind {kind}: {n}");
        }
    }
}

pub fn run(
    client: &ManagementClient,
    options: &Options,
    interrupted: &'static AtomicBool,
) -> ExitCode {
    let started = Instant::now();
    let (out, done_ids) = match open_output(options) {
        Ok(opened) => opened,
        Err(message) => return fail(EXIT_SETUP, message),
    };
    let (reader, total): (Box<dyn BufRead + Send>, Option<u64>) = match &options.input {
        Some(path) if path.as_os_str() != "-" => {
            let open =
                || File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()));
            let file = match open() {
                Ok(f) => f,
                Err(message) => return fail(EXIT_SETUP, message),
            };
            let total = if io::stderr().is_terminal() {
                open()
                    .ok()
                    .and_then(|f| input::count(BufReader::new(f)).ok())
            } else {
                None
            };
            (Box::new(BufReader::new(file)), total)
        }
        _ => {
            if io::stdin().is_terminal() {
                eprintln!(
                    "reading user ids from the terminal, one a line; end with Ctrl-D \
                     (or give a file: genauth-mfa audit ids.txt)"
                );
            }
            (Box::new(BufReader::new(io::stdin())), None)
        }
    };
    // A refused access key stops the run here: one token request, no user queried.
    if let Err(e) = client.authenticate() {
        return fail(
            EXIT_SETUP,
            format!("the management token request failed: {}", e.report()),
        );
    }

    let shared = Arc::new(Shared {
        sink: Mutex::new(Sink {
            out: io::BufWriter::with_capacity(64 * 1024, out),
            dirty: false,
            error: None,
            summary: Summary::default(),
        }),
        format: options.format,
        progress: progress_bar(total),
        queued: AtomicUsize::new(0),
        skipped: AtomicU64::new(0),
    });
    let (ids_tx, ids_rx) = sync_channel::<Vec<Item>>(options.concurrency * 2);
    let ids_rx = Arc::new(Mutex::new(ids_rx));

    // The reader is never joined: it may be blocked on a terminal or a pipe
    // when the run ends, and the process exiting is what ends it.
    {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || read_ids(reader, &ids_tx, &done_ids, &shared, interrupted));
    }
    let live = Arc::new(AtomicUsize::new(options.concurrency));
    for _ in 0..options.concurrency {
        let (client, ids, shared, live) = (
            client.clone(),
            Arc::clone(&ids_rx),
            Arc::clone(&shared),
            Arc::clone(&live),
        );
        let user_id_type = options.user_id_type;
        std::thread::spawn(move || {
            work(&client, &ids, &shared, user_id_type, interrupted);
            live.fetch_sub(1, Ordering::SeqCst);
        });
    }
    drop(ids_rx);

    // Flush every tick; stop at the end, or at once on an output error.
    loop {
        let finished = live.load(Ordering::SeqCst) == 0;
        let mut sink = shared.sink();
        if sink.dirty && sink.error.is_none() {
            if let Err(e) = sink.out.flush() {
                sink.error = Some(e);
            }
            sink.dirty = false;
        }
        if let Some(e) = &sink.error {
            shared.progress.finish_and_clear();
            let what = options
                .output
                .as_ref()
                .map_or("standard output".to_owned(), |p| p.display().to_string());
            // The threads still running end with the process.
            return fail(EXIT_SETUP, format!("cannot write to {what}: {e}; stopping"));
        }
        if finished {
            break;
        }
        drop(sink);
        std::thread::sleep(TICK);
    }
    shared.progress.finish_and_clear();
    let mut sink = shared.sink();
    sink.summary.skipped = shared.skipped.load(Ordering::Relaxed);
    let was_interrupted = interrupted.load(Ordering::SeqCst);
    sink.summary.print(started.elapsed(), was_interrupted);
    if was_interrupted {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if sink.summary.failed() > 0 {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where rows go: stdout, or `--output` (appended to with `--resume`, after
/// reading which ids it already holds).
fn open_output(
    options: &Options,
) -> Result<(Box<dyn Write + Send>, std::collections::HashSet<String>), String> {
    let mut done = std::collections::HashSet::new();
    let Some(path) = &options.output else {
        if options.resume {
            return Err("--resume needs --output FILE: the rows of the earlier run".into());
        }
        let mut out: Box<dyn Write + Send> = Box::new(io::stdout());
        if options.format == Format::Csv {
            out.write_all(output::csv_line(&CSV_HEADER).as_bytes())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
        return Ok((out, done));
    };
    let shown = path.display();
    let mut file = if options.resume {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| format!("cannot open {shown}: {e}"))?;
        // A row cut short by the interruption is dropped: its user is asked again.
        let mut text = Vec::new();
        file.read_to_end(&mut text)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete < text.len() {
            file.set_len(complete as u64)
                .and_then(|()| file.seek(SeekFrom::End(0)).map(drop))
                .map_err(|e| format!("cannot mend {shown}: {e}"))?;
        }
        done = output::done_ids(options.format, &text[..complete])
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
        file
    } else {
        File::create(path).map_err(|e| format!("cannot create {shown}: {e}"))?
    };
    if options.format == Format::Csv && file.metadata().map(|m| m.len() == 0).unwrap_or(true) {
        file.write_all(output::csv_line(&CSV_HEADER).as_bytes())
            .map_err(|e| format!("cannot write to {shown}: {e}"))?;
    }
    Ok((Box::new(file), done))
}

fn progress_bar(total: Option<u64>) -> ProgressBar {
    if !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(n) => (
            ProgressBar::new(n),
            "{bar:30} {pos}/{len} users, {rate}, ETA {eta}",
        ),
        None => (ProgressBar::no_length(), "{spinner} {pos} users, {rate}"),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        ));
    }
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

fn read_ids(
    reader: Box<dyn BufRead + Send>,
    ids: &SyncSender<Vec<Item>>,
    done: &std::collections::HashSet<String>,
    shared: &Shared,
    interrupted: &AtomicBool,
) {
    let mut last_line = 0;
    let mut batch = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Item>| {
        shared.queued.fetch_add(1, Ordering::SeqCst);
        ids.send(std::mem::replace(batch, Vec::with_capacity(BATCH)))
            .is_ok()
    };
    for item in Ids::new(reader) {
        if interrupted.load(Ordering::SeqCst) {
            return;
        }
        let item = match item {
            Ok(item) => item,
            Err(e) => Item::Bad {
                line: last_line + 1,
                reason: format!("cannot read the input after line {last_line}: {e}"),
            },
        };
        last_line = match &item {
            Item::Id { line, .. } | Item::Bad { line, .. } => *line,
        };
        if output::is_done(done, &item) {
            shared.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let broken = matches!(&item, Item::Bad { reason, .. } if reason.starts_with("cannot read"));
        batch.push(item);
        // A full batch, or workers with nothing to do: send what there is.
        let starving = shared.queued.load(Ordering::SeqCst) == 0;
        if (batch.len() >= BATCH || starving || broken) && !send(&mut batch) {
            return; // the workers are gone
        }
        if broken {
            return;
        }
    }
    if !batch.is_empty() {
        send(&mut batch);
    }
}

fn work(
    client: &ManagementClient,
    ids: &Mutex<Receiver<Vec<Item>>>,
    shared: &Shared,
    user_id_type: Option<UserIdType>,
    interrupted: &AtomicBool,
) {
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return;
        }
        let next = match ids.lock() {
            Ok(rx) => rx.recv_timeout(TICK),
            Err(_) => return,
        };
        let batch = match next {
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        shared.queued.fetch_sub(1, Ordering::SeqCst);
        for item in batch {
            if interrupted.load(Ordering::SeqCst) {
                return;
            }
            let done = match item {
                Item::Id { line, id } => {
                    let mut request = client.get_user_mfa_info(id.as_str());
                    if let Some(t) = user_id_type {
                        request = request.user_id_type(t);
                    }
                    let outcome = match request.send() {
                        Ok(info) => Outcome::Answered(info),
                        Err(e) => Outcome::Failed(e),
                    };
                    Done {
                        line,
                        id: Some(id),
                        outcome,
                    }
                }
                Item::Bad { line, reason } => Done {
                    line,
                    id: None,
                    outcome: Outcome::BadInput(reason),
                },
            };
            if !shared.write(&done) {
                return;
            }
        }
    }
}
