//! The audit's summary on stderr: users, each factor, failures by kind,
//! what was skipped.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use genauth_mfa::batch::Outcome;

use crate::audit::Skips;
use crate::exit::say;

#[derive(Default)]
pub struct Summary {
    users: u64,
    totp: u64,
    face: u64,
    sms: u64,
    email: u64,
    none: u64,
    errors: BTreeMap<&'static str, u64>,
    resumed: u64,
    resumed_failed: u64,
    duplicates: u64,
}

impl Summary {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Answered(info) => {
                self.users += 1;
                self.totp += u64::from(info.totp.is_enabled());
                self.face += u64::from(info.face.is_enabled());
                self.sms += u64::from(info.sms.is_enabled());
                self.email += u64::from(info.email.is_enabled());
                self.none += u64::from(!info.any_enabled());
            }
            Outcome::Failed(e) => {
                self.users += 1;
                *self.errors.entry(e.kind()).or_default() += 1;
            }
            _ => *self.errors.entry("input").or_default() += 1,
        }
    }

    pub fn skips(&mut self, skips: &Skips) {
        self.resumed = skips.resumed.load(Ordering::Relaxed);
        self.resumed_failed = skips.resumed_failed.load(Ordering::Relaxed);
        self.duplicates = skips.duplicates.load(Ordering::Relaxed);
    }

    /// Failures in the final state: this run's, and the final failure rows
    /// of an earlier run that this one resumed.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.resumed_failed
    }

    pub fn print(&self, elapsed: Duration, interrupted: bool) {
        let rate = self.users as f64 / elapsed.as_secs_f64().max(1e-9);
        let head = if interrupted { "interrupted: " } else { "" };
        say(format_args!(
            "{head}{} users in {:.1?} ({rate:.0}/s): totp {}, face {}, sms {}, email {} enabled; \
             {} with no MFA factor; {} failed",
            self.users,
            elapsed,
            self.totp,
            self.face,
            self.sms,
            self.email,
            self.none,
            self.errors.values().sum::<u64>()
        ));
        if self.resumed > 0 {
            say(format_args!(
                "{} skipped: already answered in the output (--resume), {} of them with a \
                 final error",
                ids(self.resumed),
                self.resumed_failed
            ));
        }
        if self.duplicates > 0 {
            say(format_args!(
                "{} skipped: each user is asked once per run",
                ids_of("duplicate id", self.duplicates)
            ));
        }
        for (kind, n) in &self.errors {
            say(format_args!("errors of kind {kind}: {n}"));
        }
    }
}

/// `1 id`, `2 ids`.
fn ids(n: u64) -> String {
    ids_of("id", n)
}

fn ids_of(what: &str, n: u64) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}
