//! Many users, N threads, one client: [`Batch`] asks
//! `get-user-mfa-info` for every user an iterator gives and hands each
//! result back as soon as it completes.
//!
//! ```
//! use std::ops::ControlFlow;
//! use genauth_mfa::batch::{Batch, Outcome};
//! use genauth_mfa_fake::FakeGenAuth;
//! use genauth_mfa::{ManagementClient, UserIdType, UserMfaInfo};
//!
//! let fake = FakeGenAuth::new()
//!     .with_user("alice@example.com", UserIdType::Email, UserMfaInfo::new().totp(true))
//!     .with_user("bob@example.com", UserIdType::Email, UserMfaInfo::new());
//! let threads = 8;
//! let client = ManagementClient::builder()
//!     .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
//!     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
//!     // Against GenAuth: .transport(UreqTransport::builder()
//!     //     .max_idle_connections(threads).build()?), one kept-alive
//!     // connection per thread.
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
//!   a few threads working through batches. Threads start as the input
//!   needs them, one when a user waits and no thread is free: never more
//!   than N, nor more than the users read (`concurrency(10_000)` over 2 ids
//!   starts 2). When the system refuses a thread (a limit on processes,
//!   `ulimit -u`, a container's `pids.max`), the run goes on with half of
//!   the threads it has, the rest of the room left to the threads the
//!   calls start (the default transport starts one a call to resolve the
//!   host); with none, it ends with [`BatchError::Spawn`].
//! - **Memory is bounded for any input length**: at most N users wait
//!   between the iterator and the threads and at most 2 x N results between
//!   the threads and the callback; a slow callback slows the run down
//!   rather than filling memory. The iterator is read on a thread of its
//!   own, one item at a time, as threads become free. The input may borrow
//!   (`ids.iter()`, tags that are references): that thread is scoped, and
//!   `run` returns once it has finished the item it is reading. Input whose
//!   `next()` can block for long (stdin, a pipe) goes through
//!   [`Batch::detach`], which reads it on a thread the run does not wait for.
//! - **The threads share one client** (clones of it: one token fetch for the
//!   run, one rate limit). Give it a transport built with
//!   [`max_idle_connections(N)`](crate::UreqTransportBuilder::max_idle_connections)
//!   so that each thread keeps its connection alive between users.
//! - **A refused access key stops the run**: the token is fetched before any
//!   user is asked, and a key refused in the middle of the run (its token
//!   request answered with a refusal) ends it too, with one
//!   [`BatchError::Token`], not a failure per remaining user.
//! - **Cancelling** (the crate's [`CancelToken`], from any thread, a Ctrl-C
//!   handler for instance) stops handing out users at once, and wakes the
//!   calls that wait for a rate-limit slot or before a retry (they end as
//!   [`Error::Cancelled`] and hand nothing over);
//!   the requests on the wire get up to [`CANCEL_GRACE`] to finish and hand
//!   their results over, then `run` returns, even if a slow server has not
//!   answered: those users are counted as [`abandoned`](Summary::abandoned).
//!   A token cancelled before `run` (or while it fetches the token) gives a
//!   [`Summary`] with `cancelled` set and nobody asked.
//! - **A panic** in a thread of the run or in your iterator (an
//!   `unwrap` on a read error) ends the run with [`BatchError::Panicked`];
//!   the results handed over before it are complete.

mod detached;
mod item;
mod report;
mod worker;

pub use detached::Detached;
pub use item::{Done, Input, Outcome, Target};
pub use report::{BatchError, Summary, Tally};

use std::collections::HashMap;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::call::cancel::CancelToken;
use crate::client::management::ManagementClient;
use crate::error::Error;
use crate::model::mfa::UserIdType;
use worker::{Crew, Feeder, Msg, Queue, Worker};

/// How long the calls in flight may take to finish once a run is
/// cancelled, before [`Batch::run`] returns without them.
pub const CANCEL_GRACE: Duration = Duration::from_millis(750);

/// How often waiting threads look at the stop flags, and the most time
/// between two calls of the progress hook.
const TICK: Duration = Duration::from_millis(50);

/// What [`Batch::on_progress`] keeps.
type ProgressHook<'a> = Box<dyn FnMut(&Tally) + Send + 'a>;

fn lock<X>(mutex: &Mutex<X>) -> MutexGuard<'_, X> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A run of `get-user-mfa-info` over many users; see the [module
/// docs](self).
#[must_use = "a batch does nothing until .run() is called"]
pub struct Batch<'a> {
    client: ManagementClient,
    concurrency: usize,
    user_id_type: Option<UserIdType>,
    cancel: CancelToken,
    /// The run's own switch, turned by the caller's cancel and by every
    /// other reason to stop; the workers' client observes it.
    stop: CancelToken,
    progress: Option<ProgressHook<'a>>,
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("client", &self.client)
            .field("concurrency", &self.concurrency)
            .field("user_id_type", &self.user_id_type)
            .field("cancel", &self.cancel)
            .finish_non_exhaustive()
    }
}

impl<'a> Batch<'a> {
    /// A batch over clones of `client`, 4 threads, no id type.
    ///
    /// ```
    /// # use genauth_mfa::{ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let batch = Batch::new(&client).concurrency(16);
    /// # let _ = batch;
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn new(client: &ManagementClient) -> Batch<'a> {
        Batch {
            client: client.clone(),
            concurrency: 4,
            user_id_type: None,
            cancel: CancelToken::new(),
            stop: CancelToken::new(),
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
    pub fn concurrency(mut self, threads: usize) -> Batch<'a> {
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
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Batch<'a> {
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
    pub fn cancel_handle(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Cancels this batch's run with `cancel`, a handle made before the
    /// batch (by a signal handler installed at start-up, say) and shared
    /// with other work.
    ///
    /// ```
    /// # use genauth_mfa::{CancelToken, ManagementClient, batch::Batch};
    /// # let client = ManagementClient::builder().access_key_id("AK").access_key_secret("SK").build()?;
    /// let cancel = CancelToken::new();
    /// let batch = Batch::new(&client).with_cancel(&cancel);
    /// cancel.cancel();
    /// assert!(batch.cancel_handle().is_cancelled());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    pub fn with_cancel(mut self, cancel: &CancelToken) -> Batch<'a> {
        self.cancel = cancel.clone();
        self
    }

    /// Calls `hook` with the counts so far, on the thread that called
    /// [`run`](Batch::run): after each result and at least every 50 ms while
    /// the run goes on (draw a progress bar, flush buffered output). The
    /// hook may borrow from the caller for as long as the batch lives.
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
    pub fn on_progress(mut self, hook: impl FnMut(&Tally) + Send + 'a) -> Batch<'a> {
        self.progress = Some(Box::new(hook));
        self
    }

    /// `items`, read on a thread of its own that the run does not wait
    /// for: for input whose `next()` can block for long (stdin on a
    /// terminal, a pipe from a stalled program, a page of a listing from a
    /// slow server), so that a cancelled or stopped run still returns
    /// within [`CANCEL_GRACE`]. [`run`](Batch::run) reads its input on a
    /// scoped thread (the input may borrow) and waits for that `next()`
    /// to return; this needs owned (`'static`) input instead. One item is
    /// read ahead; a panic of `items` ends the run with
    /// [`BatchError::Panicked`] as it would without `detach`; if the system
    /// refuses the thread, `items` is read in the run as without it.
    ///
    /// ```
    /// use std::io::BufRead;
    /// use std::ops::ControlFlow;
    /// use genauth_mfa::batch::Batch;
    /// # use genauth_mfa::{ManagementClient, UserIdType, UserMfaInfo};
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let fake = FakeGenAuth::new().with_user("alice", UserIdType::UserId, UserMfaInfo::new());
    /// # let client = ManagementClient::builder().access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
    /// #     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET).transport(fake).build()?;
    ///
    /// // stdin, say: a Ctrl-C handler's cancel ends the run even while
    /// // nobody types.
    /// let input = std::io::Cursor::new("alice\nbob\n");
    /// let batch = Batch::new(&client);
    /// let ids = batch.detach(input.lines().map_while(Result::ok));
    /// let summary = batch.run(ids, |_| ControlFlow::Continue(()))?;
    /// assert_eq!(summary.tally.done(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn detach<I>(&self, items: I) -> Detached<I::IntoIter>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
    {
        Detached::new(items.into_iter(), &self.stop, &self.cancel)
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
    /// It may borrow (`ids.iter()` over a `Vec<String>`, tags that are
    /// references to your rows): that thread is scoped, so once the run
    /// ends (cancelled, stopped, an error) `run` waits for the item the
    /// iterator is reading. An iterator that can block for long (stdin on a
    /// terminal nobody types into) would hold `run` that long: give such
    /// input through [`detach`](Batch::detach).
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use genauth_mfa::batch::Batch;
    /// # use genauth_mfa::{ManagementClient, UserMfaInfo, UserIdType};
    /// # use genauth_mfa_fake::FakeGenAuth;
    /// # let fake = FakeGenAuth::new().with_user("alice", UserIdType::UserId, UserMfaInfo::new());
    /// # let client = ManagementClient::builder().access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
    /// #     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET).transport(fake).build()?;
    ///
    /// // Borrowed ids, and a progress hook that borrows a local.
    /// let ids: Vec<String> = vec!["alice".into(), "bob".into()];
    /// let mut last = 0;
    /// let summary = Batch::new(&client)
    ///     .on_progress(|tally| last = tally.done())
    ///     .run(ids.iter(), |_| ControlFlow::Continue(()))?;
    /// assert_eq!(summary.tally.done(), 2);
    /// assert_eq!(last, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use genauth_mfa::batch::{Batch, Target};
    /// # use genauth_mfa::{ManagementClient, UserIdType, UserMfaInfo};
    /// # use genauth_mfa_fake::FakeGenAuth;
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
    /// [`BatchError::Panicked`] when a thread of the run or the iterator
    /// panicked; [`BatchError::Spawn`] when not one thread could start. The
    /// results handed to `on_done` before the error are complete.
    pub fn run<I, T, F>(mut self, targets: I, mut on_done: F) -> Result<Summary, BatchError>
    where
        I: IntoIterator,
        I::IntoIter: Send,
        I::Item: Into<Input<T>>,
        T: Send,
        F: FnMut(Done<T>) -> ControlFlow<()>,
    {
        let started = Instant::now();
        let cancelled = |started: Instant| Summary {
            cancelled: true,
            elapsed: started.elapsed(),
            ..Summary::default()
        };
        if self.cancel.is_cancelled() {
            return Ok(cancelled(started));
        }
        match self.client.with_cancel(&self.cancel).authenticate() {
            Ok(()) => {}
            // Cancelled while the token was fetched: nobody was asked.
            Err(Error::Cancelled) if self.cancel.is_cancelled() => return Ok(cancelled(started)),
            Err(e) => return Err(BatchError::token(e)),
        }
        let n = self.concurrency;
        let stop = self.stop.clone();
        let taken = Arc::new(AtomicU64::new(0));
        let queue = Arc::new(Queue::new(n));
        // Room for 2 x N results, but not allocated ahead for a huge N.
        let (results_tx, results) = sync_channel::<Msg>(2 * n.min(1024));
        let tags: Mutex<HashMap<u64, T>> = Mutex::new(HashMap::new());
        let failure: Mutex<Option<BatchError>> = Mutex::new(None);
        let feeder = Feeder {
            queue: Arc::clone(&queue),
            tags: &tags,
            failure: &failure,
            concurrency: n,
            worker: Worker {
                client: self.client.with_cancel(&stop),
                user_id_type: self.user_id_type,
                queue,
                results: results_tx,
                stop: stop.clone(),
                taken: Arc::clone(&taken),
                crew: Arc::new(Crew::new(n)),
            },
        };
        let progress = &mut self.progress;
        let cancel = &self.cancel;
        let mut tally = Tally::default();
        let mut summary = Summary::default();
        // The feeder borrows `targets`: the scope ends when it has (once
        // the stop is turned, after the item its iterator is reading).
        // The workers own what they hold and are not waited for.
        let outcome = std::thread::scope(|scope| {
            // However the run ends (a panic in `on_done` included), the
            // threads stop, and the feeder with them before the scope ends.
            struct StopOnExit(CancelToken);
            impl Drop for StopOnExit {
                fn drop(&mut self) {
                    self.0.cancel();
                }
            }
            let _stop_on_exit = StopOnExit(stop.clone());
            feeder
                .spawn(scope, targets.into_iter())
                .map_err(|e| BatchError::Spawn {
                    reason: e.to_string(),
                })?;
            let mut give_up: Option<Instant> = None;
            let mut last_hook = Instant::now();
            let outcome = loop {
                let msg = results.recv_timeout(TICK);
                tally.started = taken.load(Ordering::SeqCst);
                let handed_over = matches!(msg, Ok(Msg::Done(_)));
                match msg {
                    Ok(Msg::Done(answer)) => {
                        let Some(tag) = lock(&tags).remove(&answer.slot) else {
                            break Err(BatchError::Panicked {
                                message: "internal error: a result for no item".into(),
                            });
                        };
                        let done = Done {
                            tag,
                            user_id: answer.user_id,
                            user_id_type: answer.user_id_type,
                            outcome: answer.outcome,
                        };
                        tally.count(&done.outcome);
                        if on_done(done).is_break() {
                            summary.stopped = true;
                            break Ok(());
                        }
                    }
                    Ok(Msg::Refused(e)) => break Err(BatchError::Token { source: e }),
                    Ok(Msg::Panicked(message)) => break Err(BatchError::Panicked { message }),
                    Ok(Msg::Abandoned) | Err(RecvTimeoutError::Timeout) => {}
                    // The feeder and every worker are done.
                    Err(RecvTimeoutError::Disconnected) => break Ok(()),
                }
                if let Some(e) = lock(&failure).take() {
                    break Err(e);
                }
                if cancel.is_cancelled() {
                    stop.cancel();
                    summary.cancelled = true;
                    let deadline = *give_up.get_or_insert_with(|| Instant::now() + CANCEL_GRACE);
                    if Instant::now() >= deadline {
                        break Ok(());
                    }
                }
                if let Some(hook) = progress.as_mut() {
                    if handed_over || last_hook.elapsed() >= TICK {
                        hook(&tally);
                        last_hook = Instant::now();
                    }
                }
            };
            // Threads still running see this, stop taking users, and end on
            // their own; their results go nowhere.
            stop.cancel();
            drop(results);
            outcome
        });
        // The feeder's failure (a panic in the input, no thread at all)
        // counts even when it came with the end of the input.
        let outcome = outcome.and_then(|()| lock(&failure).take().map_or(Ok(()), Err));
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
