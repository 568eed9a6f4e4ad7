//! The summary on stderr.

use std::time::Duration;

use super::{Summary, ids, ids_of};
use crate::exit::say;

impl Summary {
    pub fn print(&self, elapsed: Duration, interrupted: bool) {
        let run = &self.run;
        // Each user once: answered or failed; unreadable lines apart.
        let failed = self.errors.values().sum::<u64>() - self.unreadable();
        let users = run.answered + failed;
        let rate = users as f64 / elapsed.as_secs_f64().max(1e-9);
        let head = if interrupted { "interrupted: " } else { "" };
        let unreadable = match self.unreadable() {
            0 => String::new(),
            n => format!("; {} unreadable", ids_of("input line", n)),
        };
        say(format_args!(
            "{head}{users} users in {elapsed:.1?} ({rate:.0}/s): totp {}, face {}, sms {}, email {} \
             enabled; {} with no MFA factor; {failed} failed{unreadable}",
            run.totp, run.face, run.sms, run.email, run.none,
        ));
        let total = self.total();
        let resumed = if self.resumed_count > 0 {
            " (with the users answered in the earlier run)"
        } else {
            ""
        };
        match total.coverage() {
            Some(c) => say(format_args!(
                "coverage {:.1} %: {} of {} users answered have at least one factor enabled{resumed}",
                c * 100.0,
                total.answered - total.none,
                total.answered
            )),
            None => say("coverage: no user answered"),
        }
        self.print_truth();
        self.print_policy();
        self.print_exemptions();
        self.print_departments();
        self.print_skips();
    }

    fn print_policy(&self) {
        if let Some(policy) = &self.policy {
            let wanted = policy.names.join(",");
            match self.require_violations() {
                0 if self.require_unjudged() > 0 => say(format_args!(
                    "policy unknown: {} answered meet it only if the part of the pool's \
                     policy that could not be read is kind to them (--require {wanted})",
                    ids_of("user", self.require_unjudged())
                )),
                0 if self.failed() > 0 => say(format_args!(
                    "policy unknown: every user answered meets it, but {} could not be \
                     asked (failed; any may not meet it) (--require {wanted})",
                    ids_of("user", self.failed())
                )),
                0 => match self.exempted() {
                    0 => say(format_args!(
                        "policy met: every user answered has {wanted} enabled, effective \
                         (--require {wanted})"
                    )),
                    n => say(format_args!(
                        "policy met: every user answered has {wanted} enabled or an exemption \
                         that holds: {} by an exemption, the others by effective MFA \
                         (--require {wanted})",
                        ids_of("user", n)
                    )),
                },
                n => {
                    let what = if wanted == "any" {
                        "no factor".to_owned()
                    } else {
                        format!("none of {wanted}")
                    };
                    let unless = match self.exemptions {
                        Some(_) => " and no exemption that holds",
                        None => "",
                    };
                    say(format_args!(
                        "policy not met: {n} users answered have {what} enabled and effective \
                         (a factor the pool enables, without SKIP_MFA){unless} (--require {wanted})"
                    ));
                }
            }
        }
    }

    fn print_exemptions(&self) {
        if let Some(e) = &self.exemptions {
            let admins = self
                .judge
                .as_deref()
                .and_then(|j| j.require_admins.as_ref());
            let rule = match (&self.policy, admins) {
                (Some(_), Some(_)) => "--require or --require-admins",
                (Some(_), None) => "--require",
                (None, Some(_)) => "--require-admins",
                (None, None) => "",
            };
            let exempted = match rule {
                "" => String::new(),
                rule => match self.exempted() {
                    1 => format!("; 1 user meets {rule} by an exemption"),
                    n => format!("; {n} users meet {rule} by an exemption"),
                },
            };
            say(format_args!(
                "exemptions: {} active, {} expired, {} for users this audit did not see{exempted}",
                e.active, e.expired, e.unknown_users
            ));
        }
    }

    /// The department with the lowest coverage (the first by path of
    /// those), and how many have users.
    fn print_departments(&self) {
        let Some(figures) = &self.by_department else {
            return;
        };
        let with_users = figures.values().filter(|f| f.users > 0).count();
        let lowest = figures
            .iter()
            .filter_map(|(path, f)| Some((f.coverage?, path, f)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let lowest = match lowest {
            Some((c, path, f)) => format!(
                "; lowest coverage {:.1} % in {path} ({} of {} users without effective MFA)",
                c * 100.0,
                f.without_effective_mfa,
                f.users
            ),
            None => String::new(),
        };
        say(format_args!(
            "by department: {with_users} of {} departments have users (each counts its sub-departments' users; --summary FILE has each){lowest}",
            figures.len()
        ));
    }

    fn print_skips(&self) {
        if let Some(pool) = &self.pool {
            if pool.changed {
                say(format_args!(
                    "the pool changed while it was listed ({} users at the start, {} at the end, \
                     {} listed, {} distinct): users may have been missed or listed twice; run the \
                     audit again (with --resume to ask only the missing ones)",
                    count(pool.first_total),
                    count(pool.last_total),
                    pool.listed,
                    pool.distinct
                ));
            }
        }
        if self.resumed_count > 0 {
            say(format_args!(
                "{} skipped: already answered in the output (--resume), {} of them with a \
                 final error",
                ids(self.resumed_count),
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
        if self.out_of_descriptors > 0 {
            say(format_args!(
                "{} failed for want of file descriptors (the open-files limit, ulimit -n): lower --concurrency, or raise the limit",
                ids_of("user", self.out_of_descriptors),
            ));
        }
    }
}

fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "?".to_owned(), |n| n.to_string())
}
