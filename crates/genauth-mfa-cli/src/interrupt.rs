//! Ctrl-C, SIGTERM and SIGHUP (ctrlc's `termination` feature), as one
//! [`Interrupt`] handle that `main` creates and passes down.
//!
//! Before a command arms it, a signal exits at once (130). Once armed (an
//! audit asking its users, a diff reading its files), the first signal
//! cancels the run, which then ends as its input running out would, with
//! its summary; a second, a second or more later, exits at once. Signals
//! within a second of the first are that same one: GNU `timeout` sends
//! SIGTERM to the tool and then to its process group, and a terminal's
//! Ctrl-C may reach it twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use genauth_mfa::CancelToken;

use crate::exit::EXIT_INTERRUPTED;

/// How long after the first signal another counts as the same one.
const SAME_SIGNAL: Duration = Duration::from_secs(1);

/// The longest a run goes on after the first signal: the calls in flight
/// get `batch::CANCEL_GRACE` (0.75 s), the rows and the summary the rest.
const SIGNAL_DEADLINE: Duration = Duration::from_secs(2);

/// What a signal does: exit now, or (armed) cancel the run.
#[derive(Clone)]
pub struct Interrupt {
    cancel: CancelToken,
    armed: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the signal handler; a system that refuses it leaves the
    /// default (the process ends).
    pub fn install() -> Interrupt {
        let interrupt = Interrupt {
            cancel: CancelToken::new(),
            armed: Arc::new(AtomicBool::new(false)),
        };
        let on_signal = interrupt.clone();
        let mut first: Option<Instant> = None;
        let _ = ctrlc::set_handler(move || on_signal.signalled(&mut first));
        interrupt
    }

    /// From now on the first signal cancels the run instead of ending the
    /// process.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// The token a signal cancels, for the library's batch engine.
    pub fn token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Whether a signal has cancelled the run.
    pub fn is_interrupted(&self) -> bool {
        self.cancel.is_cancelled()
    }

    fn signalled(&self, first: &mut Option<Instant>) {
        let again = first.is_some_and(|at| at.elapsed() >= SAME_SIGNAL);
        if !self.armed.load(Ordering::SeqCst) || again {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        if first.is_some() {
            return; // the same signal, come again within the second
        }
        *first = Some(Instant::now());
        self.cancel.cancel();
        // The run then ends within CANCEL_GRACE, unless the thread writing
        // rows is stuck (stdout or stderr a pipe nobody reads): end the
        // process anyway, a second signal not needed. A thread refused
        // leaves the second signal as the way out.
        let _ = std::thread::Builder::new().spawn(|| {
            std::thread::sleep(SIGNAL_DEADLINE);
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        });
    }
}
