//! How a batch run is going and how it ended, and how to stop it.

use std::fmt;
use std::time::Duration;

use super::Outcome;
use crate::error::Error;

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

    pub(super) fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Answered(_) => self.answered += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Unreadable(_) => self.unreadable += 1,
        }
    }
}

/// How a [`Batch`](super::Batch) run ended (when it did not end with a [`BatchError`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The counts.
    pub tally: Tally,
    /// The run was cancelled: not every item was read.
    pub cancelled: bool,
    /// The callback returned [`ControlFlow::Break`](std::ops::ControlFlow::Break).
    pub stopped: bool,
    /// Users still in flight when the run returned (cancelled or stopped):
    /// their results never came.
    pub abandoned: u64,
    /// How long the run took.
    pub elapsed: Duration,
}

/// Why a [`Batch`](super::Batch) run ended before its input did.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The management token could not be fetched before the run, the
    /// access key was refused during it ([`Error::Credentials`]), or the
    /// key may not call get-user-mfa-info ([`Error::NotPermitted`]): no
    /// user can be asked.
    #[error("{}", TokenFailed(.source))]
    #[non_exhaustive]
    Token {
        /// The token request's error.
        source: Error,
    },
    /// The system refused to start the run's threads (a process or thread
    /// limit: `ulimit -u`, a container's `pids.max`, memory). With some of
    /// the workers started the run goes on with half of them (room for the
    /// threads their calls start); this is the error when not even one
    /// could start.
    #[error(
        "could not start a thread for the batch: {reason}; the system's limit on \
         processes or threads (ulimit -u, a container's pids.max) or its memory is \
         used up: raise the limit or run fewer threads"
    )]
    #[non_exhaustive]
    Spawn {
        /// What the system said.
        reason: String,
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
    pub(super) fn token(source: Error) -> BatchError {
        BatchError::Token { source }
    }
}

/// "the management token request failed: " and the token request's own
/// error (for a refused key, the server's answer inside
/// [`Error::Credentials`]).
struct TokenFailed<'a>(&'a Error);

impl fmt::Display for TokenFailed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let err = match self.0 {
            Error::Credentials { source } => source,
            // Its own words say what failed: the token was fine.
            not_permitted @ Error::NotPermitted { .. } => return not_permitted.report().fmt(f),
            other => other,
        };
        write!(f, "the management token request failed: {}", err.report())
    }
}
