//! `genauth-mfa report --summary SUMMARY.json AUDIT_OUTPUT -o REPORT.html`:
//! one self-contained HTML page for the people who read an audit rather
//! than run it.
//!
//! The summary JSON (`audit --summary FILE`) gives the headline figures
//! and charts; the audit output (JSON Lines or CSV) is read as a stream
//! ([`tally`]) for the table of users without MFA (at most 1,000) and to
//! check that the two belong together. They must: the answer rows, the
//! users without a factor and each factor's count must be the summary's
//! (and the error rows at least its failures). A summary that does not
//! match its output is a setup error (exit 1) and no page is written: a
//! page whose table and headline disagree would tell its reader something
//! nobody checked. Figures the summary does not have (an older audit, a
//! part of the pool the key could not read) show as "unknown", never as 0.
//!
//! Exit codes: 0 the page is written; 1 a setup error (a file missing or
//! not what it should be, a summary that does not match the output, a
//! page that cannot be written); 130 interrupted.

mod admins;
mod changes;
mod charts;
mod expiring;
mod headline;
pub mod history;
mod html;
mod page;
mod svg;
mod tally;

use std::io::Read;
use std::path::{Path, PathBuf};

use same_file::Handle;
use serde_json::Value;

use crate::exit::{Ended, Failure, Outcome, shown};
use crate::interrupt::Interrupt;

/// The largest summary file read (a pool with 10,000 departments writes
/// about 1.5 MB).
const MAX_SUMMARY: u64 = 64 << 20;

/// A report's options, resolved from its command line.
pub struct ReportOptions {
    /// `--summary FILE`.
    pub summary: PathBuf,
    /// The audit output the summary was written with.
    pub audit_output: PathBuf,
    /// `-o FILE`; `None` or `-`: stdout.
    pub out: Option<PathBuf>,
    /// `--previous OLD_OUTPUT`.
    pub previous: Option<PathBuf>,
    /// `--history DIR`.
    pub history: Option<PathBuf>,
}

/// A summary's figure at `pointer` (`/enabled/totp`), when it is a number.
pub fn number(summary: &Value, pointer: &str) -> Option<f64> {
    summary.pointer(pointer).and_then(Value::as_f64)
}

/// A summary's count at `pointer`, when it is one.
pub fn count(summary: &Value, pointer: &str) -> Option<u64> {
    summary.pointer(pointer).and_then(Value::as_u64)
}

/// Reads and checks the summary file: a JSON object with the keys every
/// `audit --summary` has written since 0.3.
fn read_summary(path: &Path) -> Result<Value, Failure> {
    let name = shown(path);
    let cannot = |e: std::io::Error| Failure::setup(format!("cannot read --summary {name}: {e}"));
    let file = std::fs::File::open(path).map_err(cannot)?;
    if file.metadata().map_err(cannot)?.is_dir() {
        return Err(Failure::setup(format!("--summary {name} is a directory")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SUMMARY + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SUMMARY {
        return Err(Failure::setup(format!(
            "--summary {name} is larger than {} MiB: not a summary of genauth-mfa audit",
            MAX_SUMMARY >> 20
        )));
    }
    let not_one = |why: String| {
        Failure::setup(format!(
            "--summary {name} is not a summary of genauth-mfa audit (--summary FILE): {why}"
        ))
    };
    let summary: Value = serde_json::from_slice(&bytes).map_err(|e| not_one(e.to_string()))?;
    for key in [
        "/users",
        "/answered",
        "/failed",
        "/withoutMfa",
        "/enabled/totp",
    ] {
        if count(&summary, key).is_none() {
            return Err(not_one(format!("it has no count at {key}")));
        }
    }
    if summary.get("generatedAt").and_then(Value::as_str).is_none() {
        return Err(not_one("it has no generatedAt".to_owned()));
    }
    Ok(summary)
}

/// The day the audit ran (UTC), from the summary's `generatedAt`.
fn audit_day(summary: &Value) -> Option<crate::exemptions::Day> {
    let at = summary.get("generatedAt").and_then(Value::as_str)?;
    crate::exemptions::Day::parse(at.get(..10)?)
}

/// Checks that the output holds what the summary counted; the first
/// figure that differs, said.
fn check_match(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    let mut figures = vec![
        ("users answered", "/answered", tally.answered),
        ("users without MFA", "/withoutMfa", tally.without_mfa),
    ];
    for (i, factor) in tally::FACTORS.iter().enumerate() {
        figures.push((factor, "", tally.enabled[i]));
    }
    for (what, pointer, rows) in figures {
        let pointer = match pointer {
            "" => format!("/enabled/{what}"),
            p => p.to_owned(),
        };
        let counted = count(summary, &pointer).unwrap_or(u64::MAX);
        if counted != rows {
            let what = if pointer.starts_with("/enabled/") {
                format!("users with {what} enabled")
            } else {
                what.to_owned()
            };
            return Err(mismatch(output, &what, counted, rows));
        }
    }
    // Only when both say it: an older summary, ids other than user_ids or
    // rows without the column leave it unchecked.
    let effective = count(summary, "/withoutEffectiveMfa").filter(|_| tally.effective_known);
    if let Some(counted) = effective.filter(|n| *n != tally.without_effective) {
        let what = "users without effective MFA";
        return Err(mismatch(output, what, counted, tally.without_effective));
    }
    let failed = count(summary, "/failed").unwrap_or(0);
    if tally.failed < failed {
        return Err(mismatch(output, "users failed", failed, tally.failed));
    }
    check_figures(summary, tally, output)
}

/// The summary's own figures that follow from its counts (checked above
/// against the output): its users (answered and failed, each once) and
/// its coverage (rounded to 4 places), which the headline shows.
fn check_figures(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    check_users(summary, tally, output)?;
    check_tables(summary, tally, output)?;
    check_policy(summary, output)?;
    check_admins(summary, tally, output)?;
    check_coverage(summary, tally, output)
}

/// The summary's admins failing `--require-admins` are those the rows
/// show: the page's headline (`adminViolations`, `met`) and its table of
/// admins failing the rule must not disagree. Only for a run that resumed
/// nobody: resumed users are judged by this run's roles and pool, their
/// rows by the earlier run's.
fn check_admins(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    if !tally.admins.judged() || count(summary, "/resumed") != Some(0) {
        return Ok(());
    }
    let rows = tally.admins.count;
    let policy = summary.get("policy");
    let said = policy.and_then(|p| p.get("adminViolations"));
    let met = policy.and_then(|p| p.get("met")).and_then(Value::as_bool);
    match said.and_then(Value::as_u64) {
        Some(n) if n != rows => Err(mismatch(
            output,
            "admins failing --require-admins (policy.adminViolations)",
            n,
            rows,
        )),
        None if met == Some(true) && rows > 0 => Err(Failure::setup(format!(
            "the summary does not match {}: its policy is met but the output has {rows}              admins failing --require-admins; give the --summary FILE written by the audit              that wrote this output (no report was written)",
            shown(output)
        ))),
        _ => Ok(()),
    }
}

/// The summary's users are those the output answered plus those it failed.
fn check_users(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    let failed = count(summary, "/failed").unwrap_or(0);
    let users = count(summary, "/users").unwrap_or(u64::MAX);
    if Some(users) != tally.answered.checked_add(failed) {
        return Err(Failure::setup(format!(
            "the summary does not match {}: it counts {users} users but {} answered and \
             {failed} failed; give the --summary FILE written by the audit that wrote this \
             output (no report was written)",
            shown(output),
            tally.answered
        )));
    }
    Ok(())
}

/// The failures' table and the statuses' chart count no more than the
/// summary's failures and the output's answers.
fn check_tables(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    let failed = count(summary, "/failed").unwrap_or(0);
    // The failures' table and the statuses' chart beside those counts:
    // no more than they counted (no status is counted for a user whose
    // answer had none; resumed failures have no kind).
    let sum = |key: &str| {
        summary.get(key).and_then(Value::as_object).map(|map| {
            map.values()
                .try_fold(0u64, |sum, n| n.as_u64().and_then(|n| sum.checked_add(n)))
        })
    };
    let unreadable = count(summary, "/unreadableLines").unwrap_or(0);
    for (key, what, most) in [
        (
            "errors",
            "failures by kind",
            failed.saturating_add(unreadable),
        ),
        ("byStatus", "users by status", tally.answered),
    ] {
        match sum(key) {
            None => {}
            Some(Some(n)) if n <= most => {}
            Some(n) => {
                return Err(Failure::setup(format!(
                    "the summary does not match {}: its {what} ({key}) count {} where it \
                     has {most}; give the --summary FILE written by the audit that wrote this \
                     output (no report was written)",
                    shown(output),
                    n.map_or_else(|| "other than numbers".to_owned(), |n| n.to_string()),
                )));
            }
        }
    }
    Ok(())
}

/// The policy's `met` agrees with its count of violations.
fn check_policy(summary: &Value, output: &Path) -> Result<(), Failure> {
    let policy = summary.get("policy");
    let met = policy.and_then(|p| p.get("met")).and_then(Value::as_bool);
    let violations = policy
        .and_then(|p| p.get("violations"))
        .and_then(Value::as_u64);
    // `met` is both rules; `adminViolations` is absent before 0.4.
    let admin_violations = policy
        .and_then(|p| p.get("adminViolations"))
        .map_or(Some(0), Value::as_u64);
    let violations = violations
        .zip(admin_violations)
        .and_then(|(v, a)| v.checked_add(a));
    if let (Some(met), Some(violations)) = (met, violations) {
        if met != (violations == 0) {
            return Err(Failure::setup(format!(
                "the summary does not match itself: its policy is {} with {violations} \
                 violations (violations and adminViolations); give the --summary FILE written by \
                 the audit that wrote {} (no \
                 report was written)",
                if met { "met" } else { "not met" },
                shown(output)
            )));
        }
    }
    Ok(())
}

/// The summary's coverage is that of the output's answered users.
fn check_coverage(summary: &Value, tally: &tally::Tally, output: &Path) -> Result<(), Failure> {
    let Some(said) = summary.get("coverage") else {
        return Ok(());
    };
    let answered = tally.answered;
    let expected =
        (answered > 0).then(|| answered.saturating_sub(tally.without_mfa) as f64 / answered as f64);
    let fits = match (said.as_f64(), expected) {
        (Some(said), Some(expected)) => (said - expected).abs() <= 0.000_06,
        (None, None) => said.is_null(),
        _ => false,
    };
    if !fits {
        return Err(Failure::setup(format!(
            "the summary does not match {}: its coverage {} is not that of its {answered} \
             users answered, {} without MFA; give the --summary FILE written by the audit \
             that wrote this output (no report was written)",
            shown(output),
            genauth_mfa::Escaped::new(&said.to_string(), 40),
            tally.without_mfa
        )));
    }
    Ok(())
}

fn mismatch(output: &Path, what: &str, summary: u64, rows: u64) -> Failure {
    Failure::setup(format!(
        "the summary does not match {}: it counts {summary} {what}, the output has {rows}; \
         give the --summary FILE written by the audit that wrote this output (no report \
         was written)",
        shown(output)
    ))
}

/// The files read, by device and inode, so that `-o` is none of them.
fn check_out(options: &ReportOptions) -> Result<(), Failure> {
    let Some(out) = options.out.as_deref().filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    // The page is renamed over -o (a symlink's target): what is there must
    // be a regular file. A FIFO or a device would be replaced by one (and
    // opening a FIFO to compare it would wait for a writer).
    let target = crate::files::resolve_symlinks(out);
    if std::fs::symlink_metadata(&target).is_ok_and(|m| !m.is_file()) {
        return Err(Failure::setup(format!(
            "-o {} is not a regular file: the page would replace it; give a file of its own, \
             or -o - for standard output (nothing was changed)",
            shown(out)
        )));
    }
    let Ok(out_handle) = Handle::from_path(out) else {
        return Ok(());
    };
    let inputs = [
        Some(&options.summary),
        Some(&options.audit_output),
        options.previous.as_ref(),
    ];
    for input in inputs.into_iter().flatten() {
        if Handle::from_path(input).ok().as_ref() == Some(&out_handle) {
            return Err(Failure::setup(format!(
                "-o {} is one of the files the report reads: refusing to replace it (nothing \
                 was changed)",
                shown(out)
            )));
        }
    }
    if let Some(dir) = &options.history {
        if history::holds(dir, &out_handle) {
            return Err(Failure::setup(format!(
                "-o {} is one of the files the report reads (a copy in --history {}): \
                 refusing to replace it (nothing was changed)",
                shown(out),
                shown(dir)
            )));
        }
    }
    Ok(())
}

/// Runs `report`: reads, checks, writes the page.
pub fn run(options: &ReportOptions, interrupt: &Interrupt) -> Ended {
    interrupt.arm();
    check_out(options)?;
    // A closed stdout (`>&-`) is /dev/null by now: the page would go
    // nowhere, said written.
    if options.out.as_deref().is_none_or(|p| p.as_os_str() == "-") {
        crate::files::check_stdout().map_err(|e| {
            Failure::setup(format!(
                "{}: the page would be lost; give -o REPORT.html (nothing was written)",
                e.split(':').next().unwrap_or(&e)
            ))
        })?;
    }
    let summary = read_summary(&options.summary)?;
    let today = audit_day(&summary);
    let admins = admins::AdminsFailing::new(&summary, today);
    let tally = tally::read(&options.audit_output, today, admins, interrupt)?;
    check_match(&summary, &tally, &options.audit_output)?;
    let changes = match &options.previous {
        Some(old) => Some(changes::read(old, &options.audit_output, interrupt)?),
        None => None,
    };
    let history = match &options.history {
        Some(dir) => Some(history::read(dir, &summary).map_err(Failure::setup)?),
        None => None,
    };
    let without = match tally.effective_known {
        true => format!("{} without effective MFA", tally.without_effective),
        false => format!("{} without MFA", tally.without_effective),
    };
    let report = page::Report {
        summary: &summary,
        output_name: shown(&options.audit_output),
        tally,
        changes,
        history,
    };
    let html = page::render(report);
    let target = options.out.as_deref().filter(|p| p.as_os_str() != "-");
    match target {
        None => drop(crate::commands::write_stdout(html.as_bytes())?),
        Some(path) => crate::files::write_replacing(path, html.as_bytes())
            .map_err(|e| Failure::setup(format!("cannot write {}: {e}", shown(path))))?,
    }
    let line = format!(
        "genauth-mfa: report of {} users written to {} ({} KiB); {without}",
        count(&summary, "/users").unwrap_or(0),
        target.map_or_else(|| "standard output".to_owned(), shown),
        html.len().div_ceil(1024),
    );
    Ok(Outcome {
        code: 0,
        lines: vec![line],
    })
}
