//! The threads of a run: one feeder reading the input, N workers asking.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};

use super::{Done, Input, Outcome, TICK};
use crate::cancel::CancelToken;
use crate::error::Error;
use crate::get_user_mfa_info::UserIdType;
use crate::management::ManagementClient;

pub(super) enum Msg<T> {
    Done(Done<T>),
    /// A call ended by the run's stop: nothing to hand over.
    Abandoned,
    Refused(Error),
    Panicked(String),
    Exited,
}

/// The run's own stop switch: the caller's cancel, a Break from the
/// callback, a refused key or a panic all turn it. The workers' client
/// observes it, so calls waiting for a rate-limit slot or a retry wake.
#[derive(Clone)]
pub(super) struct Flags {
    pub(super) stop: CancelToken,
}

impl Flags {
    fn stopped(&self) -> bool {
        self.stop.is_cancelled()
    }
}

/// Reads `items` one at a time into `jobs`. Never joined: `next()` may
/// block (on a terminal), and then the process ending is what ends it.
pub(super) fn spawn_feeder<I, T>(
    items: I,
    jobs: SyncSender<Input<T>>,
    flags: Flags,
) -> std::io::Result<()>
where
    I: Iterator + Send + 'static,
    I::Item: Into<Input<T>>,
    T: Send + 'static,
{
    // Builder::spawn: a refused thread is an error, not a panic.
    let spawned = std::thread::Builder::new().spawn(move || {
        let mut items = items;
        while !flags.stopped() {
            let Some(item) = items.next() else { return };
            if flags.stopped() || jobs.send(item.into()).is_err() {
                return;
            }
        }
    });
    spawned.map(drop)
}

pub(super) struct Worker<T> {
    pub(super) client: ManagementClient,
    pub(super) user_id_type: Option<UserIdType>,
    pub(super) jobs: Arc<Mutex<Receiver<Input<T>>>>,
    pub(super) results: SyncSender<Msg<T>>,
    pub(super) flags: Flags,
    pub(super) taken: Arc<AtomicU64>,
}

impl<T> Worker<T> {
    pub(super) fn run(self) {
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
            let last = !matches!(msg, Msg::Done(_) | Msg::Abandoned);
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
            // The run stopped while this call waited: no result to hand over.
            Err(Error::Cancelled) => return Msg::Abandoned,
            // The key itself is refused, or may not call this endpoint:
            // every other user would fail the same.
            Err(e @ (Error::Credentials { .. } | Error::NotPermitted { .. })) => {
                return Msg::Refused(e);
            }
            Err(e) => Outcome::Failed(e),
        };
        Msg::Done(Done {
            tag: target.tag,
            user_id: Some(target.user_id),
            user_id_type,
            outcome,
        })
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}
