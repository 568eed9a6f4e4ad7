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
//!   directly). Return [`ControlFlow::Break`](std::ops::ControlFlow::Break) to stop the run (a full disk,
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
//!   [`Error::Cancelled`](crate::Error::Cancelled) and hand nothing over);
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
mod queue;
mod report;
mod run;
mod worker;

pub use detached::Detached;
pub use item::{Done, Input, Outcome, Target};
pub use report::{BatchError, Summary, Tally};

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::call::cancel::CancelToken;
use crate::client::management::ManagementClient;
use crate::model::mfa::UserIdType;

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
}
