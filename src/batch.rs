//! Many users, N threads, one client: [`Batch`] asks
//! `get-user-mfa-info` for every user an iterator gives and hands each
//! result back as soon as it completes.
//!
//! ```
//! use std::ops::ControlFlow;
//! use genauth_mfa::batch::{Batch, Outcome};
//! use genauth_mfa::testing::FakeGenAuth;
//! use genauth_mfa::{ManagementClient, UserIdType, UserMfaInfo};
//!
//! let fake = FakeGenAuth::new()
//!     .with_user("alice@example.com", UserIdType::Email, UserMfaInfo::new().totp(true))
//!     .with_user("bob@example.com", UserIdType::Email, UserMfaInfo::new());
//! let threads = 8;
//! let client = ManagementClient::builder()
//!     .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
//!     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
//!     .max_idle_connections(threads) // one kept-alive connection per thread
//!     .transport(fake)
//!     .build()?;
//! let ids = vec!["alice@example.com", "bob@example.com", "nobody@example.com"];
//! let mut without_mfa = Vec::new();
//! let summary = Batch::new(&client)
//!     .concurrency(threads)
//!     .user_id_type(UserIdType::Email)
//!     .run(ids, |done| {
//!         if let Outcome::Answered(info) = &done.outcome {
//!             if !info.any_enabled() {
//!                 without_mfa.push(done.user_id.clone());
//!             }
//!         }
//!         ControlFlow::Continue(())
//!     })?;
//! assert_eq!(summary.tally.answered, 2);
//! assert_eq!(summary.tally.failed, 1); // nobody@example.com: user not found
//! assert_eq!(without_mfa, [Some("bob@example.com".to_owned())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it runs
//!
//! - **Results come to a callback, on the thread that called
//!   [`run`](Batch::run).** A callback rather than an iterator because it
//!   lets the run own its threads from start to end: `run` returns only when
//!   the run is over (or has been given up), so no thread outlives a result
//!   you have not seen, a worker's panic is reported by `run` itself, and
//!   your callback needs neither `Send` nor locks (write rows to a file
//!   directly). Return [`ControlFlow::Break`] to stop the run (a full disk,
//!   a closed pipe).
//! - **Concurrency is min(N, users left) at every moment.** Each of the N
//!   threads takes one user at a time, so the end of a run is not served by
//!   a few threads working through batches.
//! - **Memory is bounded for any input length**: at most N users wait
//!   between the iterator and the threads and at most 2 x N results between
//!   the threads and the callback; a slow callback slows the run down
//!   rather than filling memory. The iterator is read on a thread of its
//!   own, one item at a time, as threads become free.
//! - **The threads share one client** (clones of it: one token fetch for the
//!   run, one rate limit). Build it with
//!   [`max_idle_connections(N)`](crate::ManagementClientBuilder::max_idle_connections)
//!   so that each thread keeps its connection alive between users.
//! - **A refused access key stops the run**: the token is fetched before any
//!   user is asked, and a key refused in the middle of the run (its token
//!   request answered with a refusal) ends it too, with one
//!   [`BatchError::Token`], not a failure per remaining user.
//! - **Cancelling** ([`Cancel::cancel`], from any thread, a Ctrl-C handler
//!   for instance) stops handing out users at once; the calls in flight get
//!   up to [`CANCEL_GRACE`] to finish and hand their results over, then
//!   `run` returns, even if some threads are still waiting (in the rate
//!   limiter, on a slow server): those users are counted as
//!   [`abandoned`](Summary::abandoned) and their results never come.
//! - **A thread that panics** ends the run with [`BatchError::Panicked`];
//!   the results handed over before it are complete.

use std::fmt;
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::get_user_mfa_info::{UserIdType, UserMfaInfo};
use crate::management::ManagementClient;

/// How long the calls in flight may take to finish once a run is
/// cancelled, before [`Batch::run`] returns without them.
pub const CANCEL_GRACE: Duration = Duration::from_millis(750);

/// How often waiting threads look at the stop flags, and the most time
/// between two calls of the progress hook.
const TICK: Duration = Duration::from_millis(50);

/// A run of `get-user-mfa-info` over many users; see the [module
/// docs](self).
#[must_use = "a batch does nothing until .run() is called"]
pub struct Batch {
    client: ManagementClient,
    concurrency: usize,
    user_id_type: Option<UserIdType>,
    cancel: Cancel,
    progress: Option<Box<dyn FnMut(&Tally) + Send>>,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("client", &self.client)
            .field("concurrency", &self.concurrency)
            .field("user_id_type", &self.user_id_type)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// A batch over clones of `client`, 4 threads, no id type.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client).concurrency(16);
    /// # let _ = batch;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn new(client: &ManagementClient) -> Batch {
        Batch {
            client: client.clone(),
            concurrency: 4,
            user_id_type: None,
            cancel: Cancel::default(),
            progress: None,
        }
    }

    /// How many threads ask at once (at least 1; default 4).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client).concurrency(64);
    /// # let _ = batch;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn concurrency(mut self, threads: usize) -> Batch {
        self.concurrency = threads.max(1);
        self
    }

    /// How the server should read the ids of targets that do not say
    /// (see [`Target::user_id_type`]). Unset, such ids are sent with no
    /// `userIdType` and the server reads them as user ids.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, UserIdType, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client).user_id_type(UserIdType::Email);
    /// # let _ = batch;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Batch {
        self.user_id_type = Some(user_id_type);
        self
    }

    /// A handle that cancels this batch's run from any thread.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client);
    /// let cancel = batch.cancel_handle();
    /// // e.g. ctrlc::set_handler(move || cancel.cancel())
    /// cancel.cancel();
    /// assert!(cancel.is_cancelled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn cancel_handle(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Cancels this batch's run with `cancel`, a handle made before the
    /// batch (by a signal handler installed at start-up, say) and shared
    /// with other work.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::{Batch, Cancel}};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let cancel = Cancel::default();
    /// let batch = Batch::new(&client).with_cancel(&cancel);
    /// cancel.cancel();
    /// assert!(batch.cancel_handle().is_cancelled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn with_cancel(mut self, cancel: &Cancel) -> Batch {
        self.cancel = cancel.clone();
        self
    }

    /// Calls `hook` with the counts so far, on the thread that called
    /// [`run`](Batch::run): after each result and at least every 50 ms while
    /// the run goes on (draw a progress bar, flush buffered output).
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client).on_progress(|tally| {
    ///     eprint!("\r{} done, {} in flight", tally.done(), tally.in_flight());
    /// });
    /// # let _ = batch;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn on_progress(mut self, hook: impl FnMut(&Tally) + Send + 'static) -> Batch {
        self.progress = Some(Box::new(hook));
        self
    }

    /// Asks about every target of `targets` and calls `on_done` with each
    /// result as it completes, until the targets run out, `on_done` returns
    /// [`ControlFlow::Break`], or the run is cancelled.
    ///
    /// `targets` is any iterator of ids (`&str`, `String`), [`Target`]s (an
    /// id with its own type and a tag of yours that comes back with the
    /// result) or [`Input`]s (which can also be input that could not be
    /// read, handed back as [`Outcome::Unreadable`] without a call). It is
    /// read on a thread of its own, one item at a time as threads become
    /// free, so it may be endless or slow (a file, stdin, pages of a list).
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use genauth_mfa::batch::{Batch, Target};
    /// # use genauth_mfa::{ManagementClient, UserIdType, UserMfaInfo, testing::FakeGenAuth};
    /// # let fake = FakeGenAuth::new().with_user("+86 188xxxx8888", UserIdType::Phone, UserMfaInfo::new());
    /// # let client = ManagementClient::builder().access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
    /// #     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET).transport(fake).build()?;
    ///
    /// // Each target with its own type, tagged with its line number.
    /// let targets = vec![
    ///     Target::new("+86 188xxxx8888").user_id_type(UserIdType::Phone).tag(1),
    ///     Target::new("6319a1504f3xxxxf214dd5b7").tag(2),
    /// ];
    /// let mut lines = Vec::new();
    /// let summary = Batch::new(&client).run(targets, |done| {
    ///     lines.push((done.tag, done.outcome.is_answered()));
    ///     ControlFlow::Continue(())
    /// })?;
    /// lines.sort();
    /// assert_eq!(lines, [(1, true), (2, false)]);
    /// assert_eq!(summary.tally.done(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`BatchError::Token`] when the management token cannot be fetched
    /// before the first user, or is refused in the middle of the run;
    /// [`BatchError::Panicked`] when a thread of the run panicked. The
    /// results handed to `on_done` before the error are complete.
    pub fn run<I, T, F>(mut self, targets: I, mut on_done: F) -> Result<Summary, BatchError>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Into<Input<T>>,
        T: Send + 'static,
        F: FnMut(Done<T>) -> ControlFlow<()>,
    {
        let started = Instant::now();
        self.client.authenticate().map_err(BatchError::token)?;
        let n = self.concurrency;
        let stop = Arc::new(AtomicBool::new(false));
        let flags = Flags {
            stop: Arc::clone(&stop),
            cancel: self.cancel.clone(),
        };
        let taken = Arc::new(AtomicU64::new(0));
        let (jobs_tx, jobs_rx) = sync_channel::<Input<T>>(n);
        let (results_tx, results) = sync_channel::<Msg<T>>(2 * n);
        spawn_feeder(targets.into_iter(), jobs_tx, flags.clone());
        let jobs = Arc::new(Mutex::new(jobs_rx));
        for _ in 0..n {
            let worker = Worker {
                client: self.client.clone(),
                user_id_type: self.user_id_type,
                jobs: Arc::clone(&jobs),
                results: results_tx.clone(),
                flags: flags.clone(),
                taken: Arc::clone(&taken),
            };
            std::thread::spawn(move || worker.run());
        }
        drop((jobs, results_tx));

        let mut tally = Tally::default();
        let mut summary = Summary::default();
        let mut exited = 0;
        let mut give_up: Option<Instant> = None;
        let mut last_hook = Instant::now();
        let outcome = loop {
            let msg = results.recv_timeout(TICK);
            tally.started = taken.load(Ordering::SeqCst);
            let handed_over = matches!(msg, Ok(Msg::Done(_)));
            match msg {
                Ok(Msg::Done(done)) => {
                    tally.count(&done.outcome);
                    if on_done(done).is_break() {
                        summary.stopped = true;
                        break Ok(());
                    }
                }
                Ok(Msg::Refused(e)) => break Err(BatchError::Token { source: e }),
                Ok(Msg::Panicked(message)) => break Err(BatchError::Panicked { message }),
                Ok(Msg::Exited) => exited += 1,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break Ok(()),
            }
            if exited == n {
                break Ok(());
            }
            if self.cancel.is_cancelled() {
                summary.cancelled = true;
                let deadline = *give_up.get_or_insert_with(|| Instant::now() + CANCEL_GRACE);
                if Instant::now() >= deadline {
                    break Ok(());
                }
            }
            if let Some(hook) = self.progress.as_mut() {
                if handed_over || last_hook.elapsed() >= TICK {
                    hook(&tally);
                    last_hook = Instant::now();
                }
            }
        };
        // Threads still running see this, stop taking users, and end on
        // their own; their results go nowhere.
        stop.store(true, Ordering::SeqCst);
        tally.started = taken.load(Ordering::SeqCst);
        if let Some(hook) = self.progress.as_mut() {
            hook(&tally);
        }
        outcome?;
        summary.cancelled |= self.cancel.is_cancelled();
        summary.abandoned = tally.in_flight();
        summary.tally = tally;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }
}

/// Cancels a [`Batch`] run from any thread; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Stops the run: no more users are handed out, the calls in flight get
    /// [`CANCEL_GRACE`] to finish.
    ///
    /// ```
    /// # use genauth_mfa::batch::Cancel;
    /// let cancel = Cancel::default();
    /// cancel.cancel();
    /// assert!(cancel.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Cancel::cancel) was called.
    ///
    /// ```
    /// # use genauth_mfa::batch::Cancel;
    /// assert!(!Cancel::default().is_cancelled());
    /// ```
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One user to ask about: an id, how to read it, and a tag of yours that
/// comes back with the result (a line number, a row of a listing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Target<T = ()> {
    /// The user's id.
    pub user_id: String,
    /// How to read it; `None` takes the batch's
    /// [`user_id_type`](Batch::user_id_type).
    pub user_id_type: Option<UserIdType>,
    /// Yours, handed back in [`Done::tag`].
    pub tag: T,
}

impl Target {
    /// A target with no type and no tag.
    ///
    /// ```
    /// use genauth_mfa::{UserIdType, batch::Target};
    ///
    /// let t = Target::new("alice@example.com").user_id_type(UserIdType::Email).tag(7);
    /// assert_eq!((t.user_id.as_str(), t.tag), ("alice@example.com", 7));
    /// ```
    pub fn new(user_id: impl Into<String>) -> Target {
        Target {
            user_id: user_id.into(),
            user_id_type: None,
            tag: (),
        }
    }
}

impl<T> Target<T> {
    /// The same target, read as `user_id_type`.
    ///
    /// ```
    /// use genauth_mfa::{UserIdType, batch::Target};
    ///
    /// let t = Target::new("bob").user_id_type(UserIdType::Username);
    /// assert_eq!(t.user_id_type, Some(UserIdType::Username));
    /// ```
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Target<T> {
        self.user_id_type = Some(user_id_type);
        self
    }

    /// The same target with `tag` instead of its tag.
    ///
    /// ```
    /// use genauth_mfa::batch::Target;
    ///
    /// assert_eq!(Target::new("bob").tag("line 3").tag, "line 3");
    /// ```
    pub fn tag<U>(self, tag: U) -> Target<U> {
        Target {
            user_id: self.user_id,
            user_id_type: self.user_id_type,
            tag,
        }
    }
}

/// One item of a batch's input: a user to ask about, or input that could
/// not be read (handed back in its turn, with no call).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input<T = ()> {
    /// Ask about this user.
    Ask(Target<T>),
    /// This part of the input could not be read (a line that is not UTF-8,
    /// a page of a listing that failed): handed back as
    /// [`Outcome::Unreadable`].
    Unreadable {
        /// Yours, handed back in [`Done::tag`].
        tag: T,
        /// Why, as the callback will see it.
        reason: String,
    },
}

impl From<&str> for Input {
    fn from(user_id: &str) -> Input {
        Input::Ask(Target::new(user_id))
    }
}

impl From<String> for Input {
    fn from(user_id: String) -> Input {
        Input::Ask(Target::new(user_id))
    }
}

impl<T> From<Target<T>> for Input<T> {
    fn from(target: Target<T>) -> Input<T> {
        Input::Ask(target)
    }
}

/// One finished item, handed to [`Batch::run`]'s callback.
#[derive(Debug)]
#[non_exhaustive]
pub struct Done<T = ()> {
    /// The target's (or unreadable input's) tag.
    pub tag: T,
    /// The id asked about (`None` for unreadable input).
    pub user_id: Option<String>,
    /// The type it was read as, if one was sent.
    pub user_id_type: Option<UserIdType>,
    /// What came of it.
    pub outcome: Outcome,
}

/// What came of one item.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered with the user's MFA statuses.
    Answered(UserMfaInfo),
    /// The call failed: an error answer about the user (not found, say),
    /// or a transport error, timeout or undecodable answer that outlasted
    /// the client's retries.
    Failed(Error),
    /// The input could not be read; nothing was sent.
    Unreadable(String),
}

impl Outcome {
    /// Whether the server answered with MFA statuses.
    ///
    /// ```
    /// use genauth_mfa::{UserMfaInfo, batch::Outcome};
    ///
    /// assert!(Outcome::Answered(UserMfaInfo::new()).is_answered());
    /// assert!(!Outcome::Unreadable("line 3 is not UTF-8".into()).is_answered());
    /// ```
    #[must_use]
    pub fn is_answered(&self) -> bool {
        matches!(self, Outcome::Answered(_))
    }
}

/// Counts of a run so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tally {
    /// Items a thread has taken (asked about, or unreadable).
    pub started: u64,
    /// Users the server answered.
    pub answered: u64,
    /// Users whose call failed.
    pub failed: u64,
    /// Unreadable input items.
    pub unreadable: u64,
}

impl Tally {
    /// Items handed back so far.
    ///
    /// ```
    /// # use genauth_mfa::batch::Tally;
    /// assert_eq!(Tally::default().done(), 0);
    /// ```
    #[must_use]
    pub fn done(&self) -> u64 {
        self.answered + self.failed + self.unreadable
    }

    /// Items taken and not handed back yet.
    ///
    /// ```
    /// # use genauth_mfa::batch::Tally;
    /// assert_eq!(Tally::default().in_flight(), 0);
    /// ```
    #[must_use]
    pub fn in_flight(&self) -> u64 {
        self.started.saturating_sub(self.done())
    }

    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Answered(_) => self.answered += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Unreadable(_) => self.unreadable += 1,
        }
    }
}

/// How a [`Batch`] run ended (when it did not end with a [`BatchError`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The counts.
    pub tally: Tally,
    /// The run was cancelled: not every item was read.
    pub cancelled: bool,
    /// The callback returned [`ControlFlow::Break`].
    pub stopped: bool,
    /// Users still in flight when the run returned (cancelled or stopped):
    /// their results never came.
    pub abandoned: u64,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Why a [`Batch`] run ended before its input did.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The management token could not be fetched before the run, or the
    /// access key was refused during it: no user can be asked.
    #[error("the management token request failed: {}", .source.report())]
    #[non_exhaustive]
    Token {
        /// The token request's error.
        source: Error,
    },
    /// A thread of the run panicked (a bug: in this crate, a transport you
    /// plugged in, or the iterator).
    #[error("a thread of the batch panicked: {message}")]
    #[non_exhaustive]
    Panicked {
        /// The panic's message, when it had one.
        message: String,
    },
}

impl BatchError {
    fn token(source: Error) -> BatchError {
        BatchError::Token { source }
    }
}

enum Msg<T> {
    Done(Done<T>),
    Refused(Error),
    Panicked(String),
    Exited,
}

#[derive(Clone)]
struct Flags {
    stop: Arc<AtomicBool>,
    cancel: Cancel,
}

impl Flags {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.cancel.is_cancelled()
    }
}

/// Reads `items` one at a time into `jobs`. Never joined: `next()` may
/// block (on a terminal), and then the process ending is what ends it.
fn spawn_feeder<I, T>(items: I, jobs: SyncSender<Input<T>>, flags: Flags)
where
    I: Iterator + Send + 'static,
    I::Item: Into<Input<T>>,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        let mut items = items;
        while !flags.stopped() {
            let Some(item) = items.next() else { return };
            if flags.stopped() || jobs.send(item.into()).is_err() {
                return;
            }
        }
    });
}

struct Worker<T> {
    client: ManagementClient,
    user_id_type: Option<UserIdType>,
    jobs: Arc<Mutex<Receiver<Input<T>>>>,
    results: SyncSender<Msg<T>>,
    flags: Flags,
    taken: Arc<AtomicU64>,
}

impl<T> Worker<T> {
    fn run(self) {
        // Whatever happens, the run learns that this thread is gone.
        struct Exit<'a, T>(&'a SyncSender<Msg<T>>);
        impl<T> Drop for Exit<'_, T> {
            fn drop(&mut self) {
                let msg = if std::thread::panicking() {
                    Msg::Panicked("a worker thread panicked".into())
                } else {
                    Msg::Exited
                };
                let _ = self.0.send(msg);
            }
        }
        let _exit = Exit(&self.results);
        while let Some(input) = self.next_job() {
            self.taken.fetch_add(1, Ordering::SeqCst);
            let msg = match catch_unwind(AssertUnwindSafe(|| self.ask(input))) {
                Ok(msg) => msg,
                Err(panic) => Msg::Panicked(panic_message(panic.as_ref())),
            };
            let last = !matches!(msg, Msg::Done(_));
            if self.results.send(msg).is_err() || last {
                return;
            }
        }
    }

    /// The next input, or `None` when the run stops or the input is over.
    fn next_job(&self) -> Option<Input<T>> {
        loop {
            if self.flags.stopped() {
                return None;
            }
            let next = match self.jobs.lock() {
                Ok(jobs) => jobs.recv_timeout(TICK),
                Err(_) => return None,
            };
            match next {
                Ok(input) => return Some(input),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn ask(&self, input: Input<T>) -> Msg<T> {
        let target = match input {
            Input::Ask(target) => target,
            Input::Unreadable { tag, reason } => {
                return Msg::Done(Done {
                    tag,
                    user_id: None,
                    user_id_type: None,
                    outcome: Outcome::Unreadable(reason),
                });
            }
        };
        let user_id_type = target.user_id_type.or(self.user_id_type);
        let mut request = self.client.get_user_mfa_info(target.user_id.as_str());
        if let Some(t) = user_id_type {
            request = request.user_id_type(t);
        }
        let outcome = match request.send() {
            Ok(info) => Outcome::Answered(info),
            Err(e) => {
                if let Some(refusal) = self.key_refused(&e) {
                    return Msg::Refused(refusal);
                }
                Outcome::Failed(e)
            }
        };
        Msg::Done(Done {
            tag: target.tag,
            user_id: Some(target.user_id),
            user_id_type,
            outcome,
        })
    }

    /// After a call failed with a server's refusal: whether the access key
    /// itself is refused now (its token request fails with a refusal). A
    /// fresh cached token makes this free; without one, the failed call was
    /// the token's, and one token request tells.
    fn key_refused(&self, err: &Error) -> Option<Error> {
        if !is_refusal(err) {
            return None;
        }
        match self.client.authenticate() {
            Err(e) if is_refusal(&e) => Some(e),
            _ => None,
        }
    }
}

/// A server's answer that no retry will change (not a throttle or a
/// gateway's 5xx).
fn is_refusal(err: &Error) -> bool {
    matches!(err, Error::Api { .. }) && !err.is_retryable_answer()
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
