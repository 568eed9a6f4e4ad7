//! The output, in two steps: [`plan_output`] makes every check and changes
//! nothing (an output that is the input, a foreign or locked file, an
//! earlier output `--resume` cannot take are refused there); the command
//! then checks its access (the key, the listing's first page), and only
//! then [`OutputPlan::open`] creates, empties or mends the file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};

use same_file::Handle;

use super::checks::{check_directory, is_fifo, is_std, lock, names_stdout, same_fifo};
use crate::resume::{self, Earlier};
use crate::row::csv::{Group, Header};
use crate::row::{Columns, Format};

/// Where rows go, and what an earlier run left there (`--resume`).
pub struct Sink {
    pub out: Box<dyn Write + Send>,
    pub earlier: Earlier,
    /// The CSV columns the rows are written in: the earlier output's own,
    /// or those of a new output.
    pub header: Header,
    /// How the output is named in messages.
    pub name: String,
}

/// What opening the output will do, every check made.
pub struct OutputPlan {
    target: Target,
    format: Format,
    columns: Columns,
    name: String,
    /// The columns of the options that add some (a new output's header).
    groups: Vec<Group>,
}

enum Target {
    Stdout,
    /// A regular file, locked: emptied when opened.
    Existing(File),
    /// No file there yet: created when opened.
    New(PathBuf),
    /// A device or a FIFO: nothing to lock (two runs writing to /dev/null
    /// do not harm each other).
    Device(PathBuf),
    /// `--resume`: the earlier output, locked and read; what follows its
    /// `complete` bytes (a row cut short) is taken off when opened.
    Resumed {
        file: File,
        earlier: Earlier,
        complete: u64,
    },
    /// `--resume` of a file not there yet: created when opened.
    ResumedNew(PathBuf),
}

/// Checks the output (stdout for `-` or none) and what is there, refusing
/// each of `inputs`; `resume`: `--resume`, with the `--user-id-type` of
/// this run's ids. Nothing is created, emptied or written.
///
/// A new output also has the columns of `groups` (`--exemptions`,
/// `--by department`); a resumed CSV output keeps its own, and is refused
/// from its header, before its rows are read (nothing sent, the file
/// untouched), when the rows this run appends would lose a column or say
/// what it did not check (see [`resume::check_columns`]).
///
/// A regular file is locked for the run ([`lock`]) before anything is
/// read from it: a second run on the same output refuses at once.
/// Standard output must be open for writing and not /dev/null (a closed
/// stdout is /dev/null by the time `main` runs): the rows would be lost.
pub fn plan_output(
    path: Option<&Path>,
    format: Format,
    columns: Columns,
    resume: Option<&str>,
    groups: Vec<Group>,
    inputs: &[&Handle],
) -> Result<OutputPlan, String> {
    let same = |other: Option<Handle>| other.is_some_and(|o| inputs.iter().any(|i| **i == o));
    let refuse = |name: &str| Err(is_input(name, inputs.len()));
    // `audit ids.txt -v 2>>ids.txt`: every log line would be read back as
    // an id, and asking it would log the next one.
    if same(Handle::stderr().ok()) {
        return Err(
            "standard error is the input file: its messages would be read back as ids; \
             send it elsewhere (nothing else was written)"
                .into(),
        );
    }
    let plan = |target, name: String, groups: Vec<Group>| OutputPlan {
        target,
        format,
        columns,
        name,
        groups,
    };
    let Some(path) = path.filter(|p| !is_std(Some(p))) else {
        plan_stdout(resume.is_some(), same(Handle::stdout().ok()), inputs.len())?;
        return Ok(plan(Target::Stdout, "standard output".into(), groups));
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
    let target = match resume {
        Some(id_type) => plan_resumed(path, &name, format, (columns, &groups), id_type)?,
        None => plan_file(path, &name, meta.as_ref())?,
    };
    Ok(plan(target, name, groups))
}

/// Why an output named `name` that is one of `inputs` inputs is refused.
fn is_input(name: &str, inputs: usize) -> String {
    let which = if inputs > 1 { "an" } else { "the" };
    format!(
        "the output {name} is {which} input file: refusing to overwrite it (nothing was changed)"
    )
}

/// Standard output as the output: not with `--resume`, not the input
/// (`same`, one of `inputs`), open for writing and not /dev/null.
fn plan_stdout(resume: bool, same: bool, inputs: usize) -> Result<(), String> {
    if resume {
        return Err(
            "--resume needs --output FILE, a regular file: the rows of the earlier run".into(),
        );
    }
    // `audit ids.txt >> ids.txt`: stdout is the input.
    if same {
        return Err(is_input("(standard output)", inputs));
    }
    check_stdout()
}

/// A file written anew: locked (an existing one) or its directory checked.
fn plan_file(path: &Path, name: &str, meta: Option<&std::fs::Metadata>) -> Result<Target, String> {
    match meta {
        Some(m) if m.is_file() => {
            // Locked before it is emptied.
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| format!("cannot open {name}: {e}"))?;
            lock(&file, name)?;
            Ok(Target::Existing(file))
        }
        None => {
            check_directory(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            Ok(Target::New(path.to_path_buf()))
        }
        Some(_) => Ok(Target::Device(path.to_path_buf())),
    }
}

/// `--resume`: the earlier output read and checked, left as it is; a CSV
/// one's header against the columns this run writes (`columns` with those
/// of the groups) before its rows.
fn plan_resumed(
    path: &Path,
    name: &str,
    format: Format,
    (columns, groups): (Columns, &[Group]),
    id_type: &str,
) -> Result<Target, String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            check_directory(path).map_err(|e| format!("cannot create {name}: {e}"))?;
            return Ok(Target::ResumedNew(path.to_path_buf()));
        }
        Err(e) => return Err(format!("cannot read {name}: {e}")),
    };
    if !meta.is_file() {
        return Err(format!(
            "--resume needs a regular file as --output: {name} is not one (a pipe, a device, \
             a terminal or a directory cannot hold the earlier run's rows)"
        ));
    }
    // Locked before it is read (another run may be appending to it), and
    // read through the locked handle: on Windows a lock keeps out every
    // other handle, this process's own included.
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {name}: {e}"))?;
    lock(&file, name)?;
    let (earlier, complete) =
        resume::read(BufReader::new(&file), format, (columns, groups), id_type)
            .map_err(|why| format!("cannot resume {name}: {why}; the file is left untouched"))?;
    Ok(Target::Resumed {
        file,
        earlier,
        complete,
    })
}

impl OutputPlan {
    /// Opens the output as planned: creates, empties or mends it, and
    /// writes the CSV header when it is new (or empty).
    pub fn open(self) -> Result<Sink, String> {
        let name = self.name;
        let create = |e: io::Error| format!("cannot create {name}: {e}");
        let empty = |e: io::Error| format!("cannot empty {name}: {e}");
        let (mut out, earlier, fresh): (Box<dyn Write + Send>, _, _) = match self.target {
            Target::Stdout => (Box::new(io::stdout()), Earlier::default(), true),
            Target::Existing(file) => {
                file.set_len(0).map_err(empty)?;
                (Box::new(file), Earlier::default(), true)
            }
            Target::New(path) => {
                let file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(path)
                    .map_err(create)?;
                lock(&file, &name)?;
                // Another run may have written to it between the two calls.
                file.set_len(0).map_err(empty)?;
                (Box::new(file), Earlier::default(), true)
            }
            Target::Device(path) => (
                Box::new(File::create(path).map_err(create)?),
                Earlier::default(),
                true,
            ),
            Target::Resumed {
                file,
                earlier,
                complete,
            } => {
                mend(&file, complete, &name)?;
                (Box::new(file), earlier, complete == 0)
            }
            Target::ResumedNew(path) => {
                let file = File::create_new(path).map_err(create)?;
                lock(&file, &name)?;
                (Box::new(file), Earlier::default(), true)
            }
        };
        let header = earlier.header.clone().unwrap_or_else(|| {
            let header = Header::of(self.columns);
            self.groups.iter().fold(header, |h, g| h.with(*g))
        });
        if self.format == Format::Csv && fresh {
            out.write_all(header.line_of_names().as_bytes())
                .map_err(|e| format!("cannot write to {name}: {e}"))?;
        }
        Ok(Sink {
            out,
            earlier,
            header,
            name,
        })
    }
}

/// Takes off what follows the `complete` rows of a resumed output: a row
/// cut short by a kill (its user is asked again).
fn mend(file: &File, complete: u64, name: &str) -> Result<(), String> {
    let len = file
        .metadata()
        .map_err(|e| format!("cannot read {name}: {e}"))?
        .len();
    if complete < len {
        file.set_len(complete)
            .map_err(|e| format!("cannot mend {name}: {e}"))?;
    }
    Ok(())
}

/// Standard output as the rows' destination: open for writing, and not
/// /dev/null. Rust's start-up points a closed stdout (`>&-`) at /dev/null,
/// where every row would go without an error; a stdout opened read-only
/// (`1<file`) fails every write, which `io::stdout()` would hide (it takes
/// EBADF for a closed stdout and succeeds). Nothing is written: a write of
/// zero bytes through the descriptor itself tells whether it may be
/// written. To throw the rows away on purpose: `--output /dev/null`.
pub(crate) fn check_stdout() -> Result<(), String> {
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
