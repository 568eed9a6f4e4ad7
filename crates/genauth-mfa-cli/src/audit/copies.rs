//! The run's summary in other forms, written with the summary at the end:
//! `--metrics FILE` (Prometheus text, [`crate::metrics`]) and `--history
//! DIR` (a copy per run, [`crate::report::history`]).

use same_file::Handle;

use super::AuditOptions;
use crate::exit::{Failure, say, shown};
use crate::files;

/// Checks the copies' paths before anything is opened for writing, as
/// `--summary FILE`'s: a regular file (or none yet) that its directory can
/// take, neither the input nor the output nor the summary.
pub(super) fn check(options: &AuditOptions, input: Option<&Handle>) -> Result<(), Failure> {
    if let Some(metrics) = &options.metrics {
        files::check_replaced("--metrics", metrics, input, options.output.as_deref())?;
        // The files replaced: a symlink's target, named by its directory
        // (`sub/../s.json` is `s.json`, though neither exists yet).
        let same = |a: &std::path::Path, b: &std::path::Path| {
            let (a, b) = (files::resolve_symlinks(a), files::resolve_symlinks(b));
            files::absolute(&a).is_some_and(|p| Some(p) == files::absolute(&b))
                || std::path::absolute(&a).ok() == std::path::absolute(&b).ok()
                || Handle::from_path(&a)
                    .ok()
                    .is_some_and(|h| Handle::from_path(&b).ok() == Some(h))
        };
        if options.summary.as_deref().is_some_and(|s| same(s, metrics)) {
            return Err(Failure::setup(format!(
                "--metrics {} is the --summary file: give each a file of its own (nothing was \
                 changed)",
                shown(metrics)
            )));
        }
    }
    if let Some(dir) = &options.history {
        crate::report::history::check(dir)?;
    }
    Ok(())
}

/// Writes every copy asked for of the summary `json`; whether all were
/// written (each one that was not is said on stderr).
pub(super) fn write(options: &AuditOptions, json: &str) -> bool {
    let mut written = true;
    if let Some(path) = &options.metrics {
        if let Err(e) = crate::metrics::write(path, json) {
            say(format_args!(
                "genauth-mfa: cannot write the metrics to {}: {e}",
                shown(path)
            ));
            written = false;
        }
    }
    if let Some(dir) = &options.history {
        if let Err(e) = crate::report::history::keep(dir, json) {
            say(format_args!(
                "genauth-mfa: cannot keep the summary in --history {}: {e}",
                shown(dir)
            ));
            written = false;
        }
    }
    written
}
