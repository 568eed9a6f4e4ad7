//! Opening the audit's input and output, with the checks that keep a
//! user's file safe: the input is opened first, and an output that is the
//! input (the same device and inode, however it is named: a symlink, a hard
//! link, `./x`, stdin or stdout redirected) is refused before anything is
//! truncated.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::path::Path;

use same_file::Handle;

use crate::input;
use crate::resume::{self, Earlier};
use crate::row::csv::Header;
use crate::row::{Columns, Format};

/// `-` or no path: standard input/output.
fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

/// The opened input.
pub struct Source {
    pub reader: Box<dyn BufRead + Send>,
    /// Its identity (device and inode) when it is a regular file or a FIFO
    /// (a named pipe, or the pipe of `cmd |`), for refusing it as the
    /// output (a terminal is both stdin and stdout).
    pub identity: Option<Handle>,
    /// The number of ids, for a progress bar: only for a regular file, and
    /// only when `count` was asked (stderr is a terminal).
    pub total: Option<u64>,
    pub is_terminal: bool,
    /// Whether its encoding is still to be told ([`input::decoded`]): a
    /// regular file's is told when it is opened; a pipe's only once the
    /// output is known not to be that pipe (reading it first could wait
    /// for the tool itself); a terminal's never (it would wait for the
    /// user).
    pub undecoded: bool,
    /// How it is named in messages.
    pub name: String,
}

/// Opens the input: FILE, or stdin for `-` or none. A directory or a
/// closed stdin is a setup error.
pub fn open_input(path: Option<&Path>, count: bool, comments: bool) -> Result<Source, String> {
    let file_path = path.filter(|p| !is_std(Some(p)));
    let (handle, shown) = match file_path {
        None => (
            Handle::stdin().map_err(|e| format!("standard input is closed ({e})"))?,
            "standard input".to_owned(),
        ),
        Some(path) => {
            let shown = crate::exit::shown(path);
            let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
            (
                Handle::from_file(file).map_err(|e| format!("cannot read {shown}: {e}"))?,
                shown,
            )
        }
    };
    let meta = handle
        .as_file()
        .metadata()
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown} is a directory, not a file of ids"));
    }
    // A closed stdin (`<&-`) is /dev/null by the time main runs (Rust's
    // start-up opens it there); neither holds ids, however stdin is named
    // (`-`, `/dev/stdin`, `/proc/self/fd/0`; `/dev/null` by its name is
    // an empty FILE, even when stdin is /dev/null too, as under cron).
    let is_stdin = file_path.is_none_or(|p| {
        p != Path::new("/dev/null") && Handle::stdin().is_ok_and(|stdin| stdin == handle)
    });
    if is_stdin && Handle::from_path("/dev/null").is_ok_and(|null| null == handle) {
        return Err(
            "standard input is closed (or /dev/null): give a FILE of ids or pipe them in".into(),
        );
    }
    // Count by reading the file once more: only a regular file can be read
    // twice (a pipe or a FIFO read here would be empty afterwards).
    let total = match file_path {
        Some(path) if count && meta.is_file() => File::open(path)
            .ok()
            .and_then(|f| input::decoded(Box::new(BufReader::new(f))).ok())
            .and_then(|f| input::count(f, comments).ok()),
        _ => None,
    };
    let (reader, is_terminal): (Box<dyn BufRead + Send>, bool) = match file_path {
        None => (
            Box::new(BufReader::new(io::stdin())),
            io::stdin().is_terminal(),
        ),
        Some(_) => {
            let file = handle
                .as_file()
                .try_clone()
                .map_err(|e| format!("cannot read {shown}: {e}"))?;
            let is_terminal = file.is_terminal();
            (Box::new(BufReader::new(file)), is_terminal)
        }
    };
    // A regular file's encoding, from its first block.
    let reader = if meta.is_file() {
        input::decoded(reader).map_err(|why| format!("{shown} {why}"))?
    } else {
        reader
    };
    Ok(Source {
        reader,
        identity: (meta.is_file() || is_fifo(&meta)).then_some(handle),
        total,
        is_terminal,
        undecoded: !meta.is_file() && !is_terminal,
        name: shown,
    })
}

/// Where rows go, and what an earlier run left there (`--resume`).
pub struct Sink {
    pub out: Box<dyn Write + Send>,
    pub earlier: Earlier,
    /// How the output is named in messages.
    pub name: String,
}

/// Opens the output (stdout for `-` or none), refusing the input, and
/// writes the CSV header when the output is new. `ready` runs after every
/// check and before anything is created, truncated or written (the access
/// key is checked there: a refused key leaves an existing output as it was).
pub fn open_output(
    path: Option<&Path>,
    format: Format,
    columns: Columns,
    resume: Option<&str>,
    input: Option<&Handle>,
    ready: &mut dyn FnMut() -> Result<(), String>,
) -> Result<Sink, String> {
    open_output_besides(path, format, columns, resume, input.as_slice(), ready)
}

/// [`open_output`] for a command with several input files (`diff`),
/// refusing each of them. `resume`: `--resume`, with the `--user-id-type`
/// of this run's ids.
///
/// A regular file is locked for the run ([`lock`]) before anything is
/// read from it or written to it, and before `ready`: a second run on the
/// same output refuses at once. Standard output must be open for writing
/// and not /dev/null (a closed stdout is /dev/null by the time `main`
/// runs): the rows would be lost.
pub fn open_output_besides(
    path: Option<&Path>,
    format: Format,
    columns: Columns,
    resume: Option<&str>,
    inputs: &[&Handle],
    ready: &mut dyn FnMut() -> Result<(), String>,
) -> Result<Sink, String> {
    let same = |other: Option<Handle>| other.is_some_and(|o| inputs.iter().any(|i| **i == o));
    let which = if inputs.len() > 1 { "an" } else { "the" };
    let refuse = |name: &str| {
        Err(format!(
            "the output {name} is {which} input file: refusing to overwrite it (nothing was \
             changed)"
        ))
    };
    // `audit ids.txt -v 2>>ids.txt`: every log line would be read back as
    // an id, and asking it would log the next one.
    if same(Handle::stderr().ok()) {
        return Err(
            "standard error is the input file: its messages would be read back as ids; \
             send it elsewhere (nothing else was written)"
                .into(),
        );
    }
    let Some(path) = path.filter(|p| !is_std(Some(p))) else {
        if resume.is_some() {
            return Err(
                "--resume needs --output FILE, a regular file: the rows of the earlier run".into(),
            );
        }
        // `audit ids.txt >> ids.txt`: stdout is the input.
        if same(Handle::stdout().ok()) {
            return refuse("(standard output)");
        }
        check_stdout()?;
        let stdout = io::stdout();
        ready()?;
        let mut out: Box<dyn Write + Send> = Box::new(stdout);
        if format == Format::Csv {
            out.write_all(Header::of(columns).line_of_names().as_bytes())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
        return Ok(Sink {
            out,
            earlier: Earlier::default(),
            name: "standard output".into(),
        });
    };
    // `--output /dev/stdout` (or a symlink to it): standard output under
    // another name, which a closed stdout (`>&-`) turns into /dev/null.
    if names_stdout(path) {
        check_stdout()?;
    }
    let name = crate::exit::shown(path);
    // A regular file is compared by its handle; a FIFO (`/dev/stdin` on a
    // pipe too) by its metadata, as opening it to find out could block.
    // Written to, the input pipe would feed the rows back as ids, or keep
    // the tool waiting for the end of its own input.
    let meta = std::fs::metadata(path).ok();
    if meta.as_ref().is_some_and(|m| m.is_file()) && same(Handle::from_path(path).ok()) {
        return refuse(&name);
    }
    if meta
        .as_ref()
        .is_some_and(|m| is_fifo(m) && inputs.iter().any(|i| same_fifo(m, Some(i))))
    {
        return refuse(&name);
    }
    let (mut file, earlier, empty) = if let Some(id_type) = resume {
        resume::open(path, format, columns, id_type, ready)?
    } else if meta.as_ref().is_some_and(|m| m.is_file()) {
        // Locked before it is emptied.
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {name}: {e}"))?;
        lock(&file, &name)?;
        ready()?;
        file.set_len(0)
            .map_err(|e| format!("cannot empty {name}: {e}"))?;
        (file, Earlier::default(), true)
    } else if meta.is_none() {
        check_directory(path).map_err(|e| format!("cannot create {name}: {e}"))?;
        ready()?;
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("cannot create {name}: {e}"))?;
        lock(&file, &name)?;
        // Another run may have written to it between the two calls.
        file.set_len(0)
            .map_err(|e| format!("cannot empty {name}: {e}"))?;
        (file, Earlier::default(), true)
    } else {
        // A device or a FIFO: nothing to lock (two runs writing to
        // /dev/null do not harm each other).
        ready()?;
        let file = File::create(path).map_err(|e| format!("cannot create {name}: {e}"))?;
        (file, Earlier::default(), true)
    };
    if format == Format::Csv && empty {
        file.write_all(Header::of(columns).line_of_names().as_bytes())
            .map_err(|e| format!("cannot write to {name}: {e}"))?;
    }
    Ok(Sink {
        out: Box::new(file),
        earlier,
        name,
    })
}

/// Whether `path`, or a symlink on the way from it, is a name of this
/// process's standard output: `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1`.
fn names_stdout(path: &Path) -> bool {
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

/// Standard output as the rows' destination: open for writing, and not
/// /dev/null. Rust's start-up points a closed stdout (`>&-`) at /dev/null,
/// where every row would go without an error; a stdout opened read-only
/// (`1<file`) fails every write, which `io::stdout()` would hide (it takes
/// EBADF for a closed stdout and succeeds). Nothing is written: a write of
/// zero bytes through the descriptor itself tells whether it may be
/// written. To throw the rows away on purpose: `--output /dev/null`.
fn check_stdout() -> Result<(), String> {
    let stdout = Handle::stdout().map_err(|e| format!("standard output is closed ({e})"))?;
    if Handle::from_path("/dev/null").is_ok_and(|null| null == stdout) {
        return Err(
            "standard output is closed (or /dev/null): the rows would be lost; give --output \
             FILE (or --output /dev/null to discard them)"
                .into(),
        );
    }
    stdout
        .as_file()
        .write(&[])
        .map_err(|e| format!("standard output cannot be written ({e}); give --output FILE"))?;
    Ok(())
}

/// Locks the output `file` (named `name`) for this run: an OS advisory
/// lock (`flock` on Unix, `LockFileEx` on Windows) on the open file, held
/// until the process ends, whatever ends it (a kill included: no stale
/// lock to clean up). Another run that finds it locked refuses, naming the
/// process that holds it where the system tells (Linux: /proc/locks). A
/// file system that cannot lock is warned about, not refused.
pub fn lock(file: &File, name: &str) -> Result<(), String> {
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
pub fn check_directory(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
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
fn is_fifo(meta: &std::fs::Metadata) -> bool {
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
fn same_fifo(meta: &std::fs::Metadata, input: Option<&Handle>) -> bool {
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

/// Checks `--summary FILE` before anything is opened for writing: a path
/// (not `-`: stdout holds the rows), neither the input nor the output
/// (compared by device and inode when they exist, by their absolute paths
/// otherwise), and not a directory.
pub fn check_summary(
    summary: &Path,
    input: Option<&Handle>,
    output: Option<&Path>,
) -> Result<(), String> {
    let name = crate::exit::shown(summary);
    if summary.as_os_str() == "-" {
        return Err(
            "--summary needs a FILE: standard output holds the rows (the summary is on stderr \
             anyway)"
                .into(),
        );
    }
    if summary.is_dir() {
        return Err(format!("--summary {name} is a directory"));
    }
    // Replaced by a rename: what is there must be a regular file (a FIFO
    // or a device such as /dev/null would become one), and a symlink's
    // target is what gets replaced (see `write_replacing`).
    let summary = &resolve_symlinks(summary);
    if std::fs::symlink_metadata(summary).is_ok_and(|m| !m.is_file()) {
        return Err(format!(
            "--summary {name} is not a regular file: it would be replaced by one; give the \
             summary a file of its own (nothing was changed)"
        ));
    }
    // Written at the end into a new file beside it, renamed over it:
    // its directory must take a new file, found out now rather than
    // after the whole audit.
    check_directory(summary).map_err(|e| format!("--summary {name} cannot be written: {e}"))?;
    let handle = std::fs::metadata(summary)
        .is_ok_and(|m| m.is_file())
        .then(|| Handle::from_path(summary).ok())
        .flatten();
    if handle.is_some() && handle.as_ref() == input {
        return Err(format!(
            "--summary {name} is the input file: refusing to replace it (nothing was changed)"
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
            return Err(format!(
                "--summary {name} is the output file: give the summary a file of its own \
                 (nothing was changed)"
            ));
        }
    }
    Ok(())
}

/// The file a chain of symlinks at `path` ends on (the last link's target
/// when it is dangling), or `path` itself when it is no symlink.
fn resolve_symlinks(path: &Path) -> std::path::PathBuf {
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
fn absolute(path: &Path) -> Option<std::path::PathBuf> {
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
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let result = (|| {
        let mut file = File::create_new(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
