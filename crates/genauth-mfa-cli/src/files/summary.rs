//! The `--summary FILE`: checked before anything is opened for writing,
//! written whole or not at all at the end.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use same_file::Handle;

use super::checks::{check_directory, is_std};

/// Checks `--summary FILE` before anything is opened for writing: a path
/// (not `-`: stdout holds the rows), neither the input nor the output
/// (compared by device and inode when they exist, by their absolute paths
/// otherwise), and not a directory.
pub fn check_summary(
    summary: &Path,
    input: Option<&Handle>,
    output: Option<&Path>,
) -> Result<(), String> {
    if summary.as_os_str() == "-" {
        return Err(
            "--summary needs a FILE: standard output holds the rows (the summary is on stderr \
             anyway)"
                .into(),
        );
    }
    check_replaced("--summary", summary, input, output)
}

/// The checks of [`check_summary`] for another file the audit replaces
/// whole at its end (`--metrics FILE`), named `flag` in messages.
pub fn check_replaced(
    flag: &str,
    summary: &Path,
    input: Option<&Handle>,
    output: Option<&Path>,
) -> Result<(), String> {
    let name = crate::exit::shown(summary);
    if summary.as_os_str() == "-" {
        return Err(format!(
            "{flag} needs a FILE: standard output holds the rows"
        ));
    }
    if summary.is_dir() {
        return Err(format!("{flag} {name} is a directory"));
    }
    // Replaced by a rename: what is there must be a regular file (a FIFO
    // or a device such as /dev/null would become one), and a symlink's
    // target is what gets replaced (see `write_replacing`).
    let summary = &resolve_symlinks(summary);
    if std::fs::symlink_metadata(summary).is_ok_and(|m| !m.is_file()) {
        return Err(format!(
            "{flag} {name} is not a regular file: it would be replaced by one; give the \
             summary a file of its own (nothing was changed)"
        ));
    }
    // Written at the end into a new file beside it, renamed over it:
    // its directory must take a new file, found out now rather than
    // after the whole audit.
    check_directory(summary).map_err(|e| format!("{flag} {name} cannot be written: {e}"))?;
    let handle = std::fs::metadata(summary)
        .is_ok_and(|m| m.is_file())
        .then(|| Handle::from_path(summary).ok())
        .flatten();
    if handle.is_some() && handle.as_ref() == input {
        return Err(format!(
            "{flag} {name} is the input file: refusing to replace it (nothing was changed)"
        ));
    }
    if let Some(output) = output.filter(|p| !is_std(Some(p))) {
        let output_handle = std::fs::metadata(output)
            .is_ok_and(|m| m.is_file())
            .then(|| Handle::from_path(output).ok())
            .flatten();
        let same = match (&handle, &output_handle) {
            (Some(a), Some(b)) => a == b,
            _ => absolute(summary) == absolute(output),
        };
        if same {
            let it = if flag == "--summary" {
                "the summary"
            } else {
                flag
            };
            return Err(format!(
                "{flag} {name} is the output file: give {it} a file of its own \
                 (nothing was changed)"
            ));
        }
    }
    Ok(())
}

/// The file a chain of symlinks at `path` ends on (the last link's target
/// when it is dangling), or `path` itself when it is no symlink.
pub(crate) fn resolve_symlinks(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        let Some(target) = is_link.then(|| std::fs::read_link(&path).ok()).flatten() else {
            break;
        };
        path = match path.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    path
}

/// `path` made absolute, its directory resolved when it exists.
pub(crate) fn absolute(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    let dir = path.parent()?.canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}

/// Writes `bytes` to `path` whole or not at all: into a new file beside it
/// first, then renamed over it (a reader sees the old summary or the new
/// one, never half of one).
pub fn write_replacing(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // A symlink stays: its target is replaced.
    let path = &resolve_symlinks(path);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let temp = write_temp(&dir, name, bytes)?;
    let result = std::fs::rename(&temp, path);
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` into a new file in `dir` named after `name` (hidden, with
/// the pid and a random part), synced to disk: its path. Nothing is
/// replaced: the name is new (the pid alone is not enough: in a container
/// every run has the same one, and a run killed while writing leaves its
/// file behind). On an error, nothing of ours is left.
pub fn write_temp(dir: &Path, name: &std::ffi::OsStr, bytes: &[u8]) -> io::Result<PathBuf> {
    let temp_for = || {
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        dir.join(temp_name)
    };
    let mut temp = temp_for();
    let mut tries = 0;
    let mut file = loop {
        match File::create_new(&temp) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 16 => {
                tries += 1;
                temp = temp_for();
            }
            // Not created: nothing of ours to take away (a file that is
            // there is someone else's).
            other => break other?,
        }
    };
    match file.write_all(bytes).and_then(|()| file.sync_all()) {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}
