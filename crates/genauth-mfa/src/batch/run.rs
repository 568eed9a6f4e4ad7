//! [`Batch::run`]: signs in, starts the feeder, and collects the results
//! on the caller's thread until the input ends, the callback stops the
//! run, it is cancelled, or something fails.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::queue::{Crew, Queue};
use super::worker::{Answer, Feeder, Msg, Worker};
use super::{
    Batch, BatchError, CANCEL_GRACE, Done, Input, ProgressHook, Summary, TICK, Tally, lock,
};
use crate::call::cancel::CancelToken;
use crate::error::Error;

impl<'a> Batch<'a> {
    /// Asks about every target of `targets` and calls `on_done` with each
    /// result as it completes, until the targets run out, `on_done` returns
    /// [`ControlFlow::Break`], or the run is cancelled.
    ///
    /// `targets` is any iterator of ids (`&str`, `String`), [`Target`](super::Target)s (an
    /// id with its own type and a tag of yours that comes back with the
    /// result) or [`Input`]s (which can also be input that could not be
    /// read, handed back as [`Outcome::Unreadable`](super::Outcome::Unreadable) without a call). It is
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
        if !self.sign_in()? {
            return Ok(Summary {
                cancelled: true,
                elapsed: started.elapsed(),
                ..Summary::default()
            });
        }
        let stop = self.stop.clone();
        let taken = Arc::new(AtomicU64::new(0));
        // Room for 2 x N results, but not allocated ahead for a huge N.
        let (results_tx, results) = sync_channel::<Msg>(2 * self.concurrency.min(1024));
        let tags: Mutex<HashMap<u64, T>> = Mutex::new(HashMap::new());
        let failure: Mutex<Option<BatchError>> = Mutex::new(None);
        let feeder = self.feeder(&tags, &failure, &taken, results_tx);
        let mut collect = Collect {
            tags: &tags,
            failure: &failure,
            taken: &taken,
            cancel: &self.cancel,
            stop: &stop,
            progress: &mut self.progress,
            tally: Tally::default(),
            summary: Summary::default(),
            give_up: None,
            last_hook: Instant::now(),
        };
        let outcome = feed_and_collect(
            feeder,
            targets.into_iter(),
            &mut collect,
            results,
            &mut on_done,
        );
        let Collect {
            mut tally, summary, ..
        } = collect;
        // The feeder's failure (a panic in the input, no thread at all)
        // counts even when it came with the end of the input.
        let outcome = outcome.and_then(|()| lock(&failure).take().map_or(Ok(()), Err));
        tally.started = taken.load(Ordering::SeqCst);
        self.finish(outcome, tally, summary, started)
    }

    /// The feeder of a run, and the first worker it clones.
    fn feeder<'t, T>(
        &self,
        tags: &'t Mutex<HashMap<u64, T>>,
        failure: &'t Mutex<Option<BatchError>>,
        taken: &Arc<AtomicU64>,
        results: SyncSender<Msg>,
    ) -> Feeder<'t, T> {
        let n = self.concurrency;
        let queue = Arc::new(Queue::new(n));
        Feeder {
            queue: Arc::clone(&queue),
            tags,
            failure,
            concurrency: n,
            worker: Worker {
                client: self.client.with_cancel(&self.stop),
                user_id_type: self.user_id_type,
                queue,
                results,
                stop: self.stop.clone(),
                taken: Arc::clone(taken),
                crew: Arc::new(Crew::new(n)),
            },
        }
    }

    /// The run is over: the progress hook's last call, then the summary.
    fn finish(
        &mut self,
        outcome: Result<(), BatchError>,
        tally: Tally,
        mut summary: Summary,
        started: Instant,
    ) -> Result<Summary, BatchError> {
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

    /// Fetches the token before any user is asked: `false` when the run
    /// was cancelled first (nobody is asked), an error when the key is
    /// refused.
    fn sign_in(&self) -> Result<bool, BatchError> {
        if self.cancel.is_cancelled() {
            return Ok(false);
        }
        match self.client.with_cancel(&self.cancel).authenticate() {
            Ok(()) => Ok(true),
            // Cancelled while the token was fetched: nobody was asked.
            Err(Error::Cancelled) if self.cancel.is_cancelled() => Ok(false),
            Err(e) => Err(BatchError::token(e)),
        }
    }
}

/// The caller's side of a run: results in, `on_done` and the progress hook
/// called, the tally kept, the cancel watched.
/// Runs the feeder and its workers while the results are collected on this
/// thread. The feeder borrows `targets`: the scope ends when it has (once the
/// stop is turned, after the item its iterator is reading). The workers own
/// what they hold and are not waited for.
fn feed_and_collect<T, I, F>(
    feeder: Feeder<'_, T>,
    targets: I,
    collect: &mut Collect<'_, '_, T>,
    results: Receiver<Msg>,
    on_done: &mut F,
) -> Result<(), BatchError>
where
    I: Iterator + Send,
    I::Item: Into<Input<T>>,
    T: Send,
    F: FnMut(Done<T>) -> ControlFlow<()>,
{
    let stop = collect.stop;
    std::thread::scope(|scope| {
        // However the run ends (a panic in `on_done` included), the
        // threads stop, and the feeder with them before the scope ends.
        let _stop_on_exit = StopOnExit(stop.clone());
        feeder
            .spawn(scope, targets)
            .map_err(|e| BatchError::Spawn {
                reason: e.to_string(),
            })?;
        let outcome = collect.until_the_end(&results, on_done);
        // Threads still running see this, stop taking users, and end on
        // their own; their results go nowhere.
        stop.cancel();
        drop(results);
        outcome
    })
}

/// Turns the stop when dropped, however the scope it lives in ends.
struct StopOnExit(CancelToken);

impl Drop for StopOnExit {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

struct Collect<'r, 'a, T> {
    tags: &'r Mutex<HashMap<u64, T>>,
    failure: &'r Mutex<Option<BatchError>>,
    taken: &'r AtomicU64,
    cancel: &'r CancelToken,
    stop: &'r CancelToken,
    progress: &'r mut Option<ProgressHook<'a>>,
    tally: Tally,
    summary: Summary,
    /// When a cancelled run stops waiting for the calls in flight.
    give_up: Option<Instant>,
    last_hook: Instant,
}

impl<T> Collect<'_, '_, T> {
    /// Takes results until the run ends: `Ok` when it ended well (the
    /// input done, `on_done` stopped it, cancelled), or why it failed.
    fn until_the_end<F>(
        &mut self,
        results: &Receiver<Msg>,
        on_done: &mut F,
    ) -> Result<(), BatchError>
    where
        F: FnMut(Done<T>) -> ControlFlow<()>,
    {
        self.last_hook = Instant::now();
        loop {
            let msg = results.recv_timeout(TICK);
            self.tally.started = self.taken.load(Ordering::SeqCst);
            let handed_over = matches!(msg, Ok(Msg::Done(_)));
            let end = match msg {
                Ok(Msg::Done(answer)) => self.hand_over(answer, on_done),
                Ok(Msg::Refused(e)) => ControlFlow::Break(Err(BatchError::Token { source: e })),
                Ok(Msg::Panicked(message)) => {
                    ControlFlow::Break(Err(BatchError::Panicked { message }))
                }
                Ok(Msg::Abandoned) | Err(RecvTimeoutError::Timeout) => ControlFlow::Continue(()),
                // The feeder and every worker are done.
                Err(RecvTimeoutError::Disconnected) => ControlFlow::Break(Ok(())),
            };
            if let ControlFlow::Break(end) = end {
                return end;
            }
            if let ControlFlow::Break(end) = self.after(handed_over) {
                return end;
            }
        }
    }

    /// Hands one result to `on_done`, with the tag its item came with.
    fn hand_over<F>(
        &mut self,
        answer: Answer,
        on_done: &mut F,
    ) -> ControlFlow<Result<(), BatchError>>
    where
        F: FnMut(Done<T>) -> ControlFlow<()>,
    {
        let Some(tag) = lock(self.tags).remove(&answer.slot) else {
            return ControlFlow::Break(Err(BatchError::Panicked {
                message: "internal error: a result for no item".into(),
            }));
        };
        let done = Done {
            tag,
            user_id: answer.user_id,
            user_id_type: answer.user_id_type,
            outcome: answer.outcome,
        };
        self.tally.count(&done.outcome);
        if on_done(done).is_break() {
            self.summary.stopped = true;
            return ControlFlow::Break(Ok(()));
        }
        ControlFlow::Continue(())
    }

    /// After each message (or tick): a failure of the feeder, a cancel
    /// whose grace has passed, and the progress hook.
    fn after(&mut self, handed_over: bool) -> ControlFlow<Result<(), BatchError>> {
        if let Some(e) = lock(self.failure).take() {
            return ControlFlow::Break(Err(e));
        }
        if self.cancel.is_cancelled() {
            self.stop.cancel();
            self.summary.cancelled = true;
            let deadline = *self
                .give_up
                .get_or_insert_with(|| Instant::now() + CANCEL_GRACE);
            if Instant::now() >= deadline {
                return ControlFlow::Break(Ok(()));
            }
        }
        if let Some(hook) = self.progress.as_mut() {
            if handed_over || self.last_hook.elapsed() >= TICK {
                hook(&self.tally);
                self.last_hook = Instant::now();
            }
        }
        ControlFlow::Continue(())
    }
}
