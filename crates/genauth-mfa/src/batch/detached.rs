//! Input read on a thread of its own, so that a run can end while its
//! `next()` blocks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};

use super::TICK;
use super::worker::panic_message;
use crate::call::cancel::CancelToken;

/// What [`Batch::detach`](super::Batch::detach) returns: an iterator over
/// the items of another, read ahead on a thread of its own that the run
/// does not wait for. Its `next()` ends (`None`) as soon as the batch's
/// run stops or is cancelled, even while the other iterator's `next()`
/// blocks; a panic of the other iterator comes out of this one's `next()`.
#[must_use = "an iterator does nothing until read (give it to Batch::run)"]
pub struct Detached<I: Iterator> {
    state: State<I>,
    stop: CancelToken,
    cancel: CancelToken,
}

enum State<I: Iterator> {
    /// Not read yet: the thread starts at the first `next()`.
    Idle(Arc<Mutex<Option<I>>>),
    Reading(Receiver<Result<I::Item, String>>),
    /// The system refused the thread: read here, as without `detach`.
    Inline(I),
    Done,
}

impl<I: Iterator> std::fmt::Debug for Detached<I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Idle(_) => "idle",
            State::Reading(_) => "reading",
            State::Inline(_) => "inline",
            State::Done => "done",
        };
        f.debug_struct("Detached").field("state", &state).finish()
    }
}

impl<I> Detached<I>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    pub(super) fn new(items: I, stop: &CancelToken, cancel: &CancelToken) -> Detached<I> {
        Detached {
            state: State::Idle(Arc::new(Mutex::new(Some(items)))),
            stop: stop.clone(),
            cancel: cancel.clone(),
        }
    }

    fn start(shared: &Arc<Mutex<Option<I>>>) -> State<I> {
        // One item read ahead at most.
        let (tx, rx) = sync_channel(1);
        let theirs = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("genauth-input".into())
            .spawn(move || {
                let Some(mut items) = theirs.lock().ok().and_then(|mut i| i.take()) else {
                    return;
                };
                loop {
                    let item = match catch_unwind(AssertUnwindSafe(|| items.next())) {
                        Ok(Some(item)) => Ok(item),
                        Ok(None) => return,
                        Err(panic) => Err(panic_message(panic.as_ref())),
                    };
                    let last = item.is_err();
                    if tx.send(item).is_err() || last {
                        return;
                    }
                }
            });
        let taken = || shared.lock().ok().and_then(|mut i| i.take());
        match spawned {
            Ok(_) => State::Reading(rx),
            Err(e) => match taken() {
                Some(items) => {
                    log::warn!(target: "genauth_mfa", "batch: no thread to read the input ({e}); reading it in the run");
                    State::Inline(items)
                }
                None => State::Done,
            },
        }
    }
}

impl<I> Iterator for Detached<I>
where
    I: Iterator + Send + 'static,
    I::Item: Send + 'static,
{
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        loop {
            match &mut self.state {
                State::Idle(shared) => self.state = Self::start(shared),
                State::Inline(items) => return items.next(),
                State::Done => return None,
                State::Reading(rx) => match rx.recv_timeout(TICK) {
                    Ok(Ok(item)) => return Some(item),
                    Ok(Err(message)) => {
                        self.state = State::Done;
                        // Already reported by the panic hook on its thread.
                        std::panic::resume_unwind(Box::new(message));
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        self.state = State::Done;
                        return None;
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if self.stop.is_cancelled() || self.cancel.is_cancelled() {
                            self.state = State::Done;
                            return None;
                        }
                    }
                },
            }
        }
    }
}
