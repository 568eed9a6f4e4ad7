//! Opening the input: a FILE of ids, or stdin.

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal};
use std::path::Path;

use same_file::Handle;

use super::checks::{is_fifo, is_std};
use crate::input;

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

/// The input's handle (stdin for `None`) and how messages name it.
fn handle(file_path: Option<&Path>) -> Result<(Handle, String), String> {
    match file_path {
        None => Ok((
            Handle::stdin().map_err(|e| format!("standard input is closed ({e})"))?,
            "standard input".to_owned(),
        )),
        Some(path) => {
            let shown = crate::exit::shown(path);
            let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
            let handle =
                Handle::from_file(file).map_err(|e| format!("cannot read {shown}: {e}"))?;
            Ok((handle, shown))
        }
    }
}

/// The number of ids in the regular file at `path`, if it can be read.
fn count_ids(path: &Path, comments: bool) -> Option<u64> {
    let file = File::open(path).ok()?;
    let reader = input::decoded(Box::new(BufReader::new(file))).ok()?;
    input::count(reader, comments).ok()
}

/// Opens the input: FILE, or stdin for `-` or none. A directory or a
/// closed stdin is a setup error.
pub fn open_input(path: Option<&Path>, count: bool, comments: bool) -> Result<Source, String> {
    let file_path = path.filter(|p| !is_std(Some(p)));
    let (handle, shown) = handle(file_path)?;
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
        Some(path) if count && meta.is_file() => count_ids(path, comments),
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
