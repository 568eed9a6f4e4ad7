//! `--history DIR`: one copy of each run's summary JSON in DIR (written by
//! `audit --history DIR`, [`keep`]), and the coverage over time that
//! `report --history DIR` draws from them ([`read`]).
//!
//! A copy is named by its run's `generatedAt`:
//! `genauth-mfa-summary-20261201T102225Z.json` (no `:`, so any file system
//! takes it; names sort as times do); a second run in the same second gets
//! `-2`, and so on. It is written into a new file in DIR first, then linked
//! to its name, which never replaces an earlier run's copy.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::html::{table, text};
use super::page::percent;
use super::svg::{self, Point};

const PREFIX: &str = "genauth-mfa-summary-";
/// The most copies read (the most recent by name).
const MAX_FILES: usize = 1000;
/// The largest copy read.
const MAX_COPY: u64 = 64 << 20;
/// The most runs drawn and listed (the most recent).
const MAX_POINTS: usize = 120;

/// Checks `--history DIR` before the audit: a directory that takes a new
/// file.
pub fn check(dir: &Path) -> Result<(), String> {
    let name = crate::exit::shown(dir);
    if !dir.is_dir() {
        return Err(format!(
            "--history {name} is not a directory: create it (mkdir -p) or give another"
        ));
    }
    let probe = dir.join(format!(".genauth-mfa.{}.check", std::process::id()));
    File::create_new(&probe)
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("--history {name} cannot be written: {e}"))
}

/// The copy's name for a run that ended at `generated_at`
/// (`2026-12-01T10:22:25Z`): its digits, `T` and `Z` only.
fn file_name(generated_at: &str, n: u32) -> String {
    let stamp: String = generated_at
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, 'T' | 'Z'))
        .take(32)
        .collect();
    match n {
        1 => format!("{PREFIX}{stamp}.json"),
        n => format!("{PREFIX}{stamp}-{n}.json"),
    }
}

/// Keeps a copy of the summary `json` in `dir`; its path.
pub fn keep(dir: &Path, json: &str) -> Result<PathBuf, String> {
    let summary: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let at = summary["generatedAt"].as_str().unwrap_or("unknown");
    let temp = crate::files::write_temp(dir, std::ffi::OsStr::new(PREFIX), json.as_bytes())
        .map_err(|e| e.to_string())?;
    let result = (|| {
        for n in 1..=1000 {
            let path = dir.join(file_name(at, n));
            match std::fs::hard_link(&temp, &path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // No hard links here: a rename, when the name is free.
                Err(_) if !path.exists() => return std::fs::rename(&temp, &path).map(|()| path),
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other("a thousand copies of the same second"))
    })();
    let _ = std::fs::remove_file(&temp);
    result.map_err(|e| e.to_string())
}

/// One run of the trend.
pub struct Run {
    pub generated_at: String,
    pub users: Option<u64>,
    pub coverage: Option<f64>,
    pub effective: Option<f64>,
    pub complete: Option<bool>,
}

/// The runs found in DIR, oldest first, and what could not be read.
pub struct Trend {
    pub runs: Vec<Run>,
    pub unreadable: usize,
    pub left_out: usize,
}

fn run_of(summary: &Value) -> Option<Run> {
    Some(Run {
        generated_at: summary.get("generatedAt")?.as_str()?.to_owned(),
        users: summary.get("users").and_then(Value::as_u64),
        coverage: summary.get("coverage").and_then(Value::as_f64),
        effective: summary.get("effectiveCoverage").and_then(Value::as_f64),
        complete: summary.get("complete").and_then(Value::as_bool),
    })
}

fn read_copy(path: &Path) -> Option<Run> {
    // Only a regular file (a symlink to one too): a FIFO would block the
    // open for ever, a device would be read to the limit.
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    let file = File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    file.take(MAX_COPY).read_to_end(&mut bytes).ok()?;
    run_of(&serde_json::from_slice(&bytes).ok()?)
}

/// Whether `out` is one of the copies in `dir` that [`read`] reads (by
/// device and inode).
pub fn holds(dir: &Path, out: &same_file::Handle) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".json"))
        })
        .any(|e| same_file::Handle::from_path(e.path()).ok().as_ref() == Some(out))
}

/// The trend from the copies in `dir`, with `current` (the report's own
/// summary) added when no copy of it is there.
pub fn read(dir: &Path, current: &Value) -> Result<Trend, String> {
    let name = crate::exit::shown(dir);
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read --history {name}: {e}"))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(PREFIX) && n.ends_with(".json"))
        .collect();
    names.sort();
    let left_out = names.len().saturating_sub(MAX_FILES);
    let mut trend = Trend {
        runs: Vec::new(),
        unreadable: 0,
        left_out,
    };
    for name in &names[left_out..] {
        match read_copy(&dir.join(name)) {
            Some(run) => trend.runs.push(run),
            None => trend.unreadable += 1,
        }
    }
    if let Some(run) = run_of(current) {
        if !trend
            .runs
            .iter()
            .any(|r| r.generated_at == run.generated_at)
        {
            trend.runs.push(run);
        }
    }
    trend
        .runs
        .sort_by(|a, b| a.generated_at.cmp(&b.generated_at));
    Ok(trend)
}

/// A run's cells in the table, escaped.
fn run_cells(r: &Run) -> Vec<String> {
    let complete = match r.complete {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    };
    let users = r
        .users
        .map_or_else(|| "unknown".to_owned(), |n| n.to_string());
    vec![
        text(&r.generated_at),
        users,
        text(&percent(r.coverage)),
        text(&percent(r.effective)),
        complete.to_owned(),
    ]
}

/// Each run's label on the chart, distinct: its day (`2026-12-01`) when
/// no other run shown is of that day, else the day and the time
/// (`2026-12-01 10:22:25`), and runs of the same second numbered after the
/// first (`2026-12-01 10:22:25 (2)`). `runs` are oldest first.
fn labels(runs: &[Run]) -> Vec<String> {
    use std::collections::HashMap;
    let day = |r: &Run| {
        r.generated_at
            .get(..10)
            .unwrap_or(&r.generated_at)
            .to_owned()
    };
    let mut per_day: HashMap<String, usize> = HashMap::new();
    for r in runs {
        *per_day.entry(day(r)).or_default() += 1;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    runs.iter()
        .map(|r| {
            let day = day(r);
            let label = if per_day[&day] > 1 {
                // The time to the second; the whole value when it is not
                // RFC 3339 (then it is its own label).
                match (r.generated_at.get(10..11), r.generated_at.get(11..19)) {
                    (Some("T"), Some(time)) => format!("{day} {time}"),
                    _ => r.generated_at.clone(),
                }
            } else {
                day
            };
            let n = seen.entry(label.clone()).or_default();
            *n += 1;
            match *n {
                1 => label,
                n => format!("{label} ({n})"),
            }
        })
        .collect()
}

/// The page's section: the chart and the numbers beside it.
pub fn section(out: &mut String, trend: &Trend) {
    out.push_str(
        "<section aria-labelledby=\"h-history\">\n<h2 id=\"h-history\">Coverage over time</h2>\n",
    );
    let skip = trend.runs.len().saturating_sub(MAX_POINTS);
    let runs = &trend.runs[skip..];
    let points: Vec<Point> = labels(runs)
        .into_iter()
        .zip(runs)
        .map(|(label, r)| Point {
            label,
            coverage: r.coverage,
            effective: r.effective,
        })
        .collect();
    out.push_str(&svg::trend(
        "c-history",
        "Coverage (solid) and effective coverage (dashed) per run",
        &points,
    ));
    let rows: Vec<Vec<String>> = runs.iter().rev().map(run_cells).collect();
    out.push_str(&table(
        "Runs, most recent first",
        &[
            "Run ended",
            "#Users",
            "#Coverage",
            "#Effective coverage",
            "Complete",
        ],
        &rows,
    ));
    let mut notes = Vec::new();
    if skip + trend.left_out > 0 {
        notes.push(format!(
            "{} earlier runs are not shown",
            skip + trend.left_out
        ));
    }
    if trend.unreadable > 0 {
        notes.push(format!(
            "{} files in the history could not be read as summaries",
            trend.unreadable
        ));
    }
    if !notes.is_empty() {
        let _ = writeln!(out, "<p class=\"muted\">{}.</p>", text(&notes.join("; ")));
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_the_same_second_keep_a_copy_each_and_names_are_safe() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"generatedAt":"2026-12-01T10:22:25Z","users":1}"#;
        let first = keep(dir.path(), json).unwrap();
        let second = keep(dir.path(), json).unwrap();
        assert!(first.ends_with("genauth-mfa-summary-20261201T102225Z.json"));
        assert!(second.ends_with("genauth-mfa-summary-20261201T102225Z-2.json"));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no temp file left"
        );
        assert_eq!(file_name("../../etc/x:y", 1), "genauth-mfa-summary-.json");
    }
}
