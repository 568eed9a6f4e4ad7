//! What stands between the feeder and the workers: the bounded queue of
//! jobs, and the count of workers running against the most that may.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use super::TICK;
use super::lock;
use crate::call::cancel::CancelToken;
use crate::model::mfa::UserIdType;

/// One item on its way to a worker: what a worker needs, owned. The
/// item's tag stays with the caller's thread, under `slot`.
pub(super) enum Job {
    Ask {
        slot: u64,
        user_id: String,
        user_id_type: Option<UserIdType>,
    },
    Unreadable {
        slot: u64,
        reason: String,
    },
}

/// The jobs between the feeder and the workers: at most `capacity`, and
/// every wait wakes each [`TICK`] to look at the run's stop.
pub(super) struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
    room: Condvar,
    capacity: usize,
}

struct QueueState {
    jobs: VecDeque<Job>,
    /// The feeder is done: no job will come.
    closed: bool,
    /// Workers waiting for a job.
    idle: usize,
}

impl Queue {
    pub(super) fn new(capacity: usize) -> Queue {
        Queue {
            state: Mutex::new(QueueState {
                jobs: VecDeque::new(),
                closed: false,
                idle: 0,
            }),
            ready: Condvar::new(),
            room: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds `job` once there is room; false when the run stopped first.
    pub(super) fn push(&self, job: Job, stop: &CancelToken) -> bool {
        let mut state = lock(&self.state);
        while state.jobs.len() >= self.capacity && !stop.is_cancelled() {
            state = self
                .room
                .wait_timeout(state, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if stop.is_cancelled() {
            return false;
        }
        state.jobs.push_back(job);
        self.ready.notify_one();
        true
    }

    /// Whether more jobs wait than workers wait for them.
    pub(super) fn needs_worker(&self) -> bool {
        let state = lock(&self.state);
        state.jobs.len() > state.idle
    }

    pub(super) fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_all();
    }

    /// The next job, or `None` when the run stops or the input is over.
    pub(super) fn pop(&self, stop: &CancelToken) -> Option<Job> {
        let mut state = lock(&self.state);
        loop {
            if stop.is_cancelled() {
                return None;
            }
            if let Some(job) = state.jobs.pop_front() {
                self.room.notify_one();
                return Some(job);
            }
            if state.closed {
                return None;
            }
            state.idle += 1;
            state = self
                .ready
                .wait_timeout(state, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.idle -= 1;
        }
    }
}

/// How many workers run, and how many may.
pub(super) struct Crew {
    pub(super) alive: AtomicUsize,
    pub(super) most: AtomicUsize,
}

impl Crew {
    pub(super) fn new(most: usize) -> Crew {
        Crew {
            alive: AtomicUsize::new(0),
            most: AtomicUsize::new(most),
        }
    }

    /// Counts one more worker, if one more may run.
    pub(super) fn enlist(&self) -> bool {
        let most = self.most.load(Ordering::SeqCst);
        self.alive
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |a| {
                (a < most).then_some(a + 1)
            })
            .is_ok()
    }

    pub(super) fn leave(&self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }

    /// Leaves if more workers run than may: true for the one that left.
    pub(super) fn retire(&self) -> bool {
        let most = self.most.load(Ordering::SeqCst);
        self.alive
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |a| {
                (a > most).then(|| a - 1)
            })
            .is_ok()
    }
}
