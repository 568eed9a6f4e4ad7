//! Opening the audit's input and output, with the checks that keep a
//! user's file safe: the input is opened first, and an output that is the
//! input (the same device and inode, however it is named: a symlink, a hard
//! link, `./x`, stdin or stdout redirected) is refused before anything is
//! truncated.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::input;
use crate::output::{self, CSV_HEADER, Format};
use crate::resume::{self, Earlier};

/// A file's identity: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity(u64, u64);

impl Identity {
    fn of(meta: &Metadata) -> Identity {
        Identity(meta.dev(), meta.ino())
    }
}

/// `-` or no path: standard input/output.
fn is_std(path: Option<&Path>) -> bool {
    path.is_none_or(|p| p.as_os_str() == "-")
}

fn is_dev_null(meta: &Metadata) -> bool {
    std::fs::metadata("/dev/null").is_ok_and(|null| Identity::of(&null) == Identity::of(meta))
}

/// The opened input.
pub struct Source {
    pub reader: Box<dyn BufRead + Send>,
    pub identity: Identity,
    /// The number of ids, for a progress bar: only for a regular file, and
    /// only when `count` was asked (stderr is a terminal).
    pub total: Option<u64>,
    pub is_terminal: bool,
}

/// Opens the input: FILE, or stdin for `-` or none. A directory or a
/// closed stdin is a setup error.
pub fn open_input(path: Option<&Path>, count: bool, comments: bool) -> Result<Source, String> {
    let (file, shown) = if is_std(path) {
        // A duplicate of fd 0: fails when stdin is closed (`<&-`), where
        // reading io::stdin() would look like an empty input.
        let fd = io::stdin().as_fd().try_clone_to_owned().map_err(|e| {
            format!("standard input is closed ({e}): give a FILE of ids or pipe them in")
        })?;
        (File::from(fd), "standard input".to_owned())
    } else {
        let path = path.unwrap_or(Path::new("-"));
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        (file, shown)
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown} is a directory, not a file of ids"));
    }
    // A closed stdin (`<&-`) is /dev/null by the time main runs (Rust's
    // start-up opens it there); neither holds ids.
    if is_std(path) && is_dev_null(&meta) {
        return Err(
            "standard input is closed (or /dev/null): give a FILE of ids or pipe them in".into(),
        );
    }
    // Count by reading the file once more: only a regular file can be read
    // twice (a pipe or a FIFO read here would be empty afterwards).
    let total = match path {
        Some(path) if count && meta.is_file() && !is_std(Some(path)) => File::open(path)
            .ok()
            .and_then(|f| input::count(BufReader::new(f), comments).ok()),
        _ => None,
    };
    let is_terminal = file.is_terminal();
    Ok(Source {
        reader: Box::new(BufReader::new(file)),
        identity: Identity::of(&meta),
        total,
        is_terminal,
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
    resume: bool,
    input: Identity,
    ready: &mut dyn FnMut() -> Result<(), String>,
) -> Result<Sink, String> {
    let same = |meta: &Metadata| Identity::of(meta) == input;
    let refuse = |name: &str| {
        Err(format!(
            "the output {name} is the input file: refusing to overwrite it (nothing was changed)"
        ))
    };
    let Some(path) = path.filter(|p| !is_std(Some(p))) else {
        if resume {
            return Err(
                "--resume needs --output FILE, a regular file: the rows of the earlier run".into(),
            );
        }
        let stdout = io::stdout();
        // `audit ids.txt >> ids.txt`: stdout is the input.
        if let Ok(meta) = stdout
            .as_fd()
            .try_clone_to_owned()
            .map(File::from)
            .and_then(|f| f.metadata())
        {
            if meta.is_file() && same(&meta) {
                return refuse("(standard output)");
            }
        }
        ready()?;
        let mut out: Box<dyn Write + Send> = Box::new(stdout);
        if format == Format::Csv {
            out.write_all(output::csv_line(&CSV_HEADER).as_bytes())
                .map_err(|e| format!("cannot write to standard output: {e}"))?;
        }
        return Ok(Sink {
            out,
            earlier: Earlier::default(),
            name: "standard output".into(),
        });
    };
    let name = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(meta) if same(&meta) => return refuse(&name),
        _ => {}
    }
    let (mut file, earlier, empty) = if resume {
        resume::open(path, format, ready)?
    } else {
        ready()?;
        let file = File::create(path).map_err(|e| format!("cannot create {name}: {e}"))?;
        (file, Earlier::default(), true)
    };
    if format == Format::Csv && empty {
        file.write_all(output::csv_line(&CSV_HEADER).as_bytes())
            .map_err(|e| format!("cannot write to {name}: {e}"))?;
    }
    Ok(Sink {
        out: Box::new(file),
        earlier,
        name,
    })
}

/// Opens `path` to append to it.
pub fn append(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).open(path)
}
