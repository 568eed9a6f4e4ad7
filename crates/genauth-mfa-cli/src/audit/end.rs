//! How an audit ends: how the listing ended, the summary (on stderr and
//! in its FILE), and the exit code.

use genauth_mfa::Error;
use genauth_mfa::batch::{self, BatchError};

use super::copies;
use super::options::AuditOptions;
use crate::exit::token_failed;
use crate::exit::{
    EXIT_INTERRUPTED, EXIT_POLICY, EXIT_SETUP, EXIT_SOME_FAILED, Ended, Failure, Outcome, say,
};
use crate::files;
use crate::listing;
use crate::row;
use crate::summary::Summary;

/// What asking the users left.
pub(super) struct Asked {
    pub summary: Summary,
    pub result: Result<batch::Summary, BatchError>,
    /// Why the output could not be written, if it could not.
    pub write_error: Option<String>,
    /// With `--all-users`: how the listing ended.
    pub listed: Option<listing::Outcome>,
}

/// Writes `json` to the summary FILE `path`, replacing it whole; whether
/// it was written (if not, a line says why).
fn write_summary(path: &std::path::Path, json: &str) -> bool {
    match files::write_replacing(path, json.as_bytes()) {
        Ok(()) => true,
        Err(e) => {
            say(format_args!(
                "genauth-mfa: cannot write the summary to {}: {e}",
                crate::exit::shown(path)
            ));
            false
        }
    }
}

/// A run that stops early exits 1; its summary FILE says why rather than
/// leave an earlier run's in place (`complete: true`, say).
fn stopped(options: &AuditOptions, summary: &Summary, message: String) -> Ended {
    let json = summary.json(Some(&message));
    if let Some(path) = &options.summary {
        write_summary(path, &json);
    }
    copies::write(options, &json);
    Err(Failure::setup(message))
}

/// Ends the run: its summary said and written, its exit code.
pub(super) fn end(options: &AuditOptions, asked: Asked) -> Ended {
    let Asked {
        mut summary,
        result,
        write_error,
        listed,
    } = asked;
    if let Some(message) = write_error {
        return stopped(options, &summary, message);
    }
    let batch = match result {
        Ok(batch) => batch,
        Err(e @ BatchError::Token { .. }) => {
            let message = crate::exit::redact(&e.to_string()).into_owned();
            return stopped(options, &summary, message);
        }
        Err(e) => {
            let message = format!(
                "{}; the rows written so far are complete",
                row::clean(&e.to_string(), 300)
            );
            return stopped(options, &summary, message);
        }
    };
    let listing_error = listed.and_then(|l| listing_end(&mut summary, &l, batch.cancelled));
    summary.print(batch.elapsed, batch.cancelled);
    if let Some(exemptions) = &options.exemptions {
        exemptions.report(options.today);
    }
    let incomplete = summary.incomplete(
        batch.cancelled,
        listing_error.as_ref().map(|f| f.message.as_str()),
    );
    // A summary that cannot be written (its directory removed during the
    // run, a full disk) is said, and the run's own exit code stays when it
    // is not 0 (2, 3 and 130 say more about the audit, and already fail a
    // job); a run that would exit 0 exits 1: no job passes without the
    // summary it asked for.
    let json = summary.json(incomplete.as_deref());
    let summary_failed = options
        .summary
        .as_ref()
        .is_some_and(|path| !write_summary(path, &json));
    // The copies (--metrics) count as the summary does.
    let summary_failed = !copies::write(options, &json) || summary_failed;
    if batch.cancelled {
        Ok(Outcome::code(EXIT_INTERRUPTED))
    } else if let Some(failure) = listing_error {
        Err(failure)
    } else if summary.failed() > 0 || incomplete.is_some() {
        Ok(Outcome::code(EXIT_SOME_FAILED))
    } else if summary.violations() > 0 {
        Ok(Outcome::code(EXIT_POLICY))
    } else if summary_failed {
        Ok(Outcome::code(EXIT_SETUP))
    } else {
        Ok(Outcome::success())
    }
}

/// How the listing ended: complete (did the pool change?) or failed (the
/// exit code and message, unless the run was interrupted, which cancels
/// the listing's own call too).
fn listing_end(
    summary: &mut Summary,
    listed: &listing::Outcome,
    cancelled: bool,
) -> Option<Failure> {
    match listed.lock().unwrap_or_else(|p| p.into_inner()).take()? {
        listing::Ended::Complete(pool) => {
            summary.pool(pool);
            None
        }
        listing::Ended::Failed { .. } if cancelled => None,
        listing::Ended::Failed {
            error,
            listed,
            pool,
        } => {
            summary.pool(pool);
            let code = if error.fails_every_call() {
                EXIT_SETUP
            } else {
                EXIT_SOME_FAILED
            };
            let mut message = listing_failed(&error, Some(listed));
            if !matches!(error, Error::IncompleteListing { .. }) {
                message.push_str("; the rows written so far are complete");
            }
            Some(Failure::new(code, message))
        }
    }
}

/// The message for a listing that failed, after `listed` users (`None`:
/// its first page, before any row).
pub(super) fn listing_failed(err: &Error, listed: Option<u64>) -> String {
    if err.fails_every_call() {
        return token_failed(err);
    }
    // The crate's own words and numbers, no server text: nothing to redact.
    if matches!(err, Error::IncompleteListing { .. }) {
        return format!("{err}; each user listed has a row, any other user was not asked");
    }
    let after = match listed {
        Some(n) => format!(" after {n} users"),
        None => String::new(),
    };
    format!(
        "listing the users failed{after}: {}",
        row::clean(&err.report().to_string(), 600)
    )
}
