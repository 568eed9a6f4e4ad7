//! The threads of a run: the feeder reading the input (a scoped thread,
//! since the input may borrow from the caller) and the workers asking (up
//! to N threads of their own, started one at a time as the input needs
//! them; they hold only owned data, so that a run can return while a slow
//! server still keeps one of them).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

use super::queue::{Crew, Job, Queue};
use super::{BatchError, Input, Outcome, lock};
use crate::call::cancel::CancelToken;
use crate::client::management::ManagementClient;
use crate::error::Error;
use crate::model::mfa::UserIdType;

/// The name of the run's threads (as `ps -L` and a debugger show them).
const WORKER_NAME: &str = "genauth-batch";
const FEEDER_NAME: &str = "genauth-feed";

/// A finished job; [`Batch::run`](super::Batch::run) puts the tag back.
pub(super) struct Answer {
    pub(super) slot: u64,
    pub(super) user_id: Option<String>,
    pub(super) user_id_type: Option<UserIdType>,
    pub(super) outcome: Outcome,
}

pub(super) enum Msg {
    Done(Answer),
    /// A call ended by the run's stop: nothing to hand over.
    Abandoned,
    Refused(Error),
    Panicked(String),
}

/// Reads the input into the queue, starting a worker whenever a job
/// waits and no worker is free (at most `concurrency`).
pub(super) struct Feeder<'t, T> {
    pub(super) queue: Arc<Queue>,
    /// The tags of the jobs not handed back yet, by slot.
    pub(super) tags: &'t Mutex<HashMap<u64, T>>,
    /// Why the feeder ended the run, if it did.
    pub(super) failure: &'t Mutex<Option<BatchError>>,
    pub(super) concurrency: usize,
    pub(super) worker: Worker,
}

impl<T> Feeder<'_, T> {
    /// Starts the feeder on a thread of `scope`.
    pub(super) fn spawn<'scope, I>(
        self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        items: I,
    ) -> std::io::Result<()>
    where
        Self: 'scope,
        I: Iterator + Send + 'scope,
        I::Item: Into<Input<T>>,
        T: Send,
    {
        // Builder: a refused thread is an error, not a panic.
        std::thread::Builder::new()
            .name(FEEDER_NAME.into())
            .spawn_scoped(scope, move || self.feed(items))
            .map(drop)
    }

    fn feed<I>(self, mut items: I)
    where
        I: Iterator,
        I::Item: Into<Input<T>>,
    {
        // However the feeder ends, the workers learn that no job will come.
        struct CloseOnExit<'q>(&'q Queue);
        impl Drop for CloseOnExit<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _close = CloseOnExit(&self.queue);
        let stop = &self.worker.stop;
        let mut started = 0;
        for slot in 0u64.. {
            if stop.is_cancelled() {
                return;
            }
            let Some(job) = self.read(&mut items, slot) else {
                return;
            };
            if !self.queue.push(job, stop) {
                return;
            }
            if self.queue.needs_worker()
                && self.worker.crew.enlist()
                && !self.start_worker(&mut started)
            {
                return;
            }
        }
    }

    /// The next item as a job, its tag kept under `slot`; `None` at the
    /// end of the input, or when the iterator panicked (the run then fails).
    fn read<I>(&self, items: &mut I, slot: u64) -> Option<Job>
    where
        I: Iterator,
        I::Item: Into<Input<T>>,
    {
        // The iterator is the caller's code: its panic (an unwrap on a
        // read error) ends the run with an error, never silently.
        let next = catch_unwind(AssertUnwindSafe(|| items.next().map(Into::into)));
        let input = match next {
            Ok(Some(input)) => input,
            Ok(None) => return None,
            Err(panic) => {
                let message = panic_message(panic.as_ref());
                self.fail(BatchError::Panicked {
                    message: format!("the input iterator panicked: {message}"),
                });
                return None;
            }
        };
        let (tag, job) = match input {
            Input::Ask(target) => (
                target.tag,
                Job::Ask {
                    slot,
                    user_id: target.user_id,
                    user_id_type: target.user_id_type,
                },
            ),
            Input::Unreadable { tag, reason } => (tag, Job::Unreadable { slot, reason }),
        };
        lock(self.tags).insert(slot, tag);
        Some(job)
    }

    /// Starts one more worker (enlisted in the crew already); false when
    /// not one could start and the run fails.
    fn start_worker(&self, started: &mut usize) -> bool {
        let crew = &self.worker.crew;
        let worker = self.worker.clone();
        let spawned = std::thread::Builder::new()
            .name(WORKER_NAME.into())
            .spawn(move || worker.run());
        match spawned {
            Ok(_) => *started += 1,
            // At a limit on threads (`ulimit -u`, a container's
            // `pids.max`): the run goes on with half of those
            // running, their room left to the calls (the default
            // transport starts a thread for each call, to resolve
            // the host, and would fail users instead).
            Err(e) if *started > 0 => {
                crew.leave();
                let alive = crew.alive.load(Ordering::SeqCst);
                let keep = (alive / 2).max(1);
                crew.most.store(keep, Ordering::SeqCst);
                log::warn!(
                    target: "genauth_mfa",
                    "batch: the system refused a thread with {alive} of {} running ({e}); going on with {keep}, leaving room for the calls' own threads",
                    self.concurrency
                );
            }
            Err(e) => {
                crew.leave();
                self.fail(BatchError::Spawn {
                    reason: e.to_string(),
                });
                return false;
            }
        }
        true
    }

    fn fail(&self, error: BatchError) {
        lock(self.failure).get_or_insert(error);
        self.worker.stop.cancel();
    }
}

/// One worker, and the prototype the feeder clones for each.
#[derive(Clone)]
pub(super) struct Worker {
    pub(super) client: ManagementClient,
    pub(super) user_id_type: Option<UserIdType>,
    pub(super) queue: Arc<Queue>,
    pub(super) results: SyncSender<Msg>,
    /// The run's own stop switch: the caller's cancel, a Break from the
    /// callback, a refused key or a panic all turn it. `client` observes
    /// it too, so calls waiting for a rate-limit slot or a retry wake.
    pub(super) stop: CancelToken,
    pub(super) taken: Arc<AtomicU64>,
    pub(super) crew: Arc<Crew>,
}

impl Worker {
    fn run(self) {
        struct Exit<'a> {
            results: &'a SyncSender<Msg>,
            crew: &'a Crew,
            counted: bool,
        }
        impl Drop for Exit<'_> {
            fn drop(&mut self) {
                if self.counted {
                    self.crew.leave();
                }
                // A panic outside `ask` (none expected) still reaches the run.
                if std::thread::panicking() {
                    let _ = self
                        .results
                        .send(Msg::Panicked("a worker thread panicked".into()));
                }
            }
        }
        let mut exit = Exit {
            results: &self.results,
            crew: &self.crew,
            counted: true,
        };
        loop {
            // More workers than may run (a limit on threads was met): leave.
            if self.crew.retire() {
                exit.counted = false;
                return;
            }
            let Some(job) = self.queue.pop(&self.stop) else {
                return;
            };
            self.taken.fetch_add(1, Ordering::SeqCst);
            let msg = match catch_unwind(AssertUnwindSafe(|| self.ask(job))) {
                Ok(msg) => msg,
                Err(panic) => Msg::Panicked(panic_message(panic.as_ref())),
            };
            let last = !matches!(msg, Msg::Done(_) | Msg::Abandoned);
            if self.results.send(msg).is_err() || last {
                return;
            }
        }
    }

    fn ask(&self, job: Job) -> Msg {
        let (slot, user_id, user_id_type) = match job {
            Job::Ask {
                slot,
                user_id,
                user_id_type,
            } => (slot, user_id, user_id_type.or(self.user_id_type)),
            Job::Unreadable { slot, reason } => {
                return Msg::Done(Answer {
                    slot,
                    user_id: None,
                    user_id_type: None,
                    outcome: Outcome::Unreadable(reason),
                });
            }
        };
        let mut request = self.client.get_user_mfa_info(user_id.as_str());
        if let Some(t) = user_id_type {
            request = request.user_id_type(t);
        }
        let outcome = match request.send() {
            Ok(info) => Outcome::Answered(info),
            // The run stopped while this call waited: no result to hand over.
            Err(Error::Cancelled) => return Msg::Abandoned,
            // The key itself is refused, or may not call this endpoint:
            // every other user would fail the same.
            Err(e) if e.fails_every_call() => return Msg::Refused(e),
            Err(e) => Outcome::Failed(e),
        };
        Msg::Done(Answer {
            slot,
            user_id: Some(user_id),
            user_id_type,
            outcome,
        })
    }
}

pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
