//! The checks every file the tool opens goes through: standard streams,
//! locks, FIFOs, a directory that can take a new file.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use same_file::Handle;

/// `-` or no path: standard input/output.
pub(super) fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// Whether `path`, or a symlink on the way from it, is a name of this
/// process's standard output: `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`.
pub(super) fn names_stdout(path: &Path) -> bool {
    let names = ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];
    let mut path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    for _ in 0..40 {
        if names.iter().any(|n| path == Path::new(n)) {
            return true;
        }
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        let Some(target) = is_link.then(|| std::fs::read_link(&path).ok()).flatten() else {
            return false;
        };
        path = match path.parent() {
            Some(dir) if target.is_relative() => dir.join(target),
            _ => target,
        };
    }
    false
}

/// Locks the output `file` (named `name`) for this run: an OS advisory
/// lock (`flock` on Unix, `LockFileEx` on Windows) on the open file, held
/// until the process ends, whatever ends it (a kill included: no stale
/// lock to clean up). Another run that finds it locked refuses, naming the
/// process that holds it where the system tells (Linux: /proc/locks). A
/// file system that cannot lock is warned about, not refused.
pub(super) fn lock(file: &File, name: &str) -> Result<(), String> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => {
            let who = holder(file).map_or_else(String::new, |pid| format!(" (pid {pid})"));
            Err(format!(
                "another genauth-mfa run{who} is writing to {name}: refusing to write to it \
                 too (nothing was changed); wait for it to end, or give another --output"
            ))
        }
        // A file system without locks (some network or FUSE mounts):
        // the run goes on, said once, rather than never running there.
        Err(std::fs::TryLockError::Error(e)) => {
            crate::exit::say(format_args!(
                "genauth-mfa: warning: cannot lock {name} ({e}): another run writing to it \
                 would not be noticed"
            ));
            Ok(())
        }
    }
}

/// The process holding a `flock` on `file`, from /proc/locks (Linux).
fn holder(file: &File) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().ok()?;
        let dev = meta.dev();
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
        let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
        let wanted = format!("{major:02x}:{minor:02x}:{}", meta.ino());
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        locks.lines().find_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters
            // have a "->" after the number.
            match fields.as_slice() {
                [_, "FLOCK", _, "WRITE", pid, id, ..] if *id == wanted => pid.parse().ok(),
                _ => None,
            }
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

/// Whether a file can be created beside `path` (its directory exists and
/// may be written): a file of our own is created there and removed.
pub(super) fn check_directory(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let probe = dir.join(format!(
        ".genauth-mfa.{}.{:016x}.check",
        std::process::id(),
        fastrand::u64(..)
    ));
    File::create_new(&probe)?;
    std::fs::remove_file(&probe)
}

/// A named pipe or a pipe.
pub(super) fn is_fifo(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        meta.file_type().is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// The FIFO of `meta` is the input, by device and inode.
pub(super) fn same_fifo(meta: &std::fs::Metadata, input: Option<&Handle>) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        input.is_some_and(|h| h.dev() == meta.dev() && h.ino() == meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (meta, input);
        false
    }
}
