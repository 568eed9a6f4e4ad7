//! `genauth-mfa audit`: input parsing and output formatting around the
//! library's batch engine (`genauth_mfa::batch`), which runs the users on N
//! threads and hands each result here as it completes.
//!
//! The users come from a file of ids (or stdin), or with `--all-users`
//! from the pool's listing, fetched ahead on a thread of its own
//! ([`crate::listing`]) while the workers ask for the users listed so far.
//! Rows go into one buffered output, flushed at least every 50 ms. Each
//! user is asked once per run (duplicates are counted); with `--resume` the
//! users with a final row in the output are skipped. Both take one 128-bit
//! key per distinct id: the only memory that grows with the input (with
//! `--all-users`, only the resumed users' keys: the listing says which
//! users it listed before). The first Ctrl-C (or
//! SIGTERM, SIGHUP) stops handing out users, lets the calls in flight
//! finish, and prints the summary (exit 130). A closed stdout or a full
//! disk ends the run with a message (exit 1).

mod ask;
mod copies;
mod end;
mod feed;

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use genauth_mfa::{Error, ManagementClient, UserIdType, UserStatus};

use crate::exit::{Ended, Failure, say, token_failed};
use crate::files::{self, Source};
use crate::input;
use crate::interrupt::Interrupt;
use crate::listing::{self, Listing, StartError};
use crate::policy::Policy;
use crate::row::{self, Columns, Format};

/// An audit's options, resolved from its command line.
pub struct AuditOptions {
    pub input: Option<PathBuf>,
    pub user_id_type: Option<UserIdType>,
    pub comments: bool,
    pub concurrency: usize,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub resume: bool,
    /// `--all-users`: list the pool instead of reading ids.
    pub all_users: bool,
    /// `--status`: only the listed users with this account status.
    pub status: Option<UserStatus>,
    /// `--summary FILE`.
    pub summary: Option<PathBuf>,
    /// `--require`.
    pub policy: Option<Policy>,
    /// `--metrics FILE`.
    pub metrics: Option<PathBuf>,
    /// `--history DIR`.
    pub history: Option<PathBuf>,
}

impl AuditOptions {
    /// The type the ids are asked as, in every row (`--all-users` asks by
    /// user_id; without --user-id-type the server takes user_id).
    fn id_type(&self) -> &'static str {
        match self.user_id_type {
            Some(t) if !self.all_users => t,
            _ => UserIdType::UserId,
        }
        .as_str()
    }

    fn columns(&self) -> Columns {
        if self.all_users {
            Columns::Pool
        } else {
            Columns::File
        }
    }
}

/// Where the users come from, access checked.
enum Users {
    /// A file of ids (or stdin).
    File(Source),
    /// `--all-users`: the listing, its first page read, and the number of
    /// users it counts.
    Pool(Listing, u64),
}

/// Runs an audit: plans its files (checks only), checks its access (the
/// key, the listing's first page), opens its output, asks its users.
pub fn run(client: &ManagementClient, options: &AuditOptions, interrupt: &Interrupt) -> Ended {
    let stderr_terminal = io::stderr().is_terminal();
    let source = match options.all_users {
        true => None,
        false => Some(files::open_input(
            options.input.as_deref(),
            stderr_terminal,
            options.comments,
        )?),
    };
    let identity = source.as_ref().and_then(|s| s.identity.as_ref());
    if let Some(path) = &options.summary {
        files::check_summary(path, identity, options.output.as_deref())?;
    }
    copies::check(options, identity)?;
    let plan = files::plan_output(
        options.output.as_deref(),
        options.format,
        options.columns(),
        options.resume.then_some(options.id_type()),
        identity.as_slice(),
    )?;
    let users = check_access(client, options, source, interrupt)?;
    let sink = plan.open()?;
    if let Users::File(source) = &users {
        if source.is_terminal {
            say(
                "reading user ids from the terminal, one a line; end with Ctrl-D \
                 (or give a file: genauth-mfa audit ids.txt)",
            );
        }
    }
    ask::ask(client, options, users, sink, interrupt)
}

/// After every file check and before the output is touched: a pipe's
/// encoding (now that the output is known not to be that pipe), the access
/// key, and with `--all-users` the listing's first page. The engine then
/// finds the token cached.
fn check_access(
    client: &ManagementClient,
    options: &AuditOptions,
    source: Option<Source>,
    interrupt: &Interrupt,
) -> Result<Users, Failure> {
    let source = source.map(decode).transpose()?;
    client
        .authenticate()
        .map_err(|e| Failure::setup(token_failed(&e)))?;
    if let Some(source) = source {
        return Ok(Users::File(source));
    }
    match listing::start(client, options.status.clone(), interrupt.token()) {
        Ok((listing, total)) => Ok(Users::Pool(listing, total)),
        Err(StartError::Listing(e)) => Err(Failure::setup(listing_failed(&e, None))),
        Err(StartError::Internal(message)) => Err(Failure::setup(message)),
    }
}

/// A pipe's encoding, told once the output is known not to be that pipe.
fn decode(mut source: Source) -> Result<Source, Failure> {
    if source.undecoded {
        let reader = std::mem::replace(&mut source.reader, Box::new(io::empty()));
        source.reader = input::decoded(reader)
            .map_err(|why| Failure::setup(format!("{} {why}", source.name)))?;
        source.undecoded = false;
    }
    Ok(source)
}

/// The message for a listing that failed, after `listed` users (`None`:
/// its first page, before any row).
fn listing_failed(err: &Error, listed: Option<u64>) -> String {
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
