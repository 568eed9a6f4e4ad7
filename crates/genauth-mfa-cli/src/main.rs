//! `genauth-mfa`: the command-line tool built on the genauth-mfa crate
//! (crate `genauth-mfa-cli`).
//!
//! ```text
//! cargo install genauth-mfa-cli
//! genauth-mfa get-user-mfa-info alice@example.com --user-id-type email
//! genauth-mfa audit users.txt --user-id-type email --concurrency 8 --format csv --output audit.csv
//! ```
//!
//! Files by concern: `args` (the command line), `clients` (building the
//! clients once), `exit` (exit codes, stderr), `logging`, `commands` (the
//! single calls, completions, man page), `audit` around the library's batch
//! engine, with `input` (reading ids), `listing` (the pool's users, for
//! `--all-users`), `files` (opening input and output), `resume`, `output`
//! (rows), `summary`, `policy` (`--require`) and `progress`; `diff`
//! compares two audits' outputs.

mod args;
mod audit;
mod clients;
mod commands;
mod diff;
mod exit;
mod files;
mod input;
mod listing;
mod logging;
mod policy;
mod progress;
mod resume;
mod row;
mod summary;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use genauth_mfa::CancelToken;

use args::{Cli, Command};
use exit::{EXIT_INTERRUPTED, EXIT_SETUP, fail};

/// Set once an audit's users are being asked: the first signal then
/// cancels the run (a summary follows) instead of ending the process.
pub static AUDITING: AtomicBool = AtomicBool::new(false);

/// How long after the first signal another counts as the same one.
const SAME_SIGNAL: Duration = Duration::from_secs(1);

/// The longest an audit runs on after the first signal: the calls in
/// flight get `batch::CANCEL_GRACE` (0.75 s), the rows and the summary
/// the rest.
const SIGNAL_DEADLINE: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    // No panic text on stderr: a thread the system refuses (ureq starts
    // one per call; the transport catches that panic and the call fails
    // as a transport error, saying so) is said by its call's error; any
    // other panic is a bug, said in one line, no backtrace.
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if what.starts_with("failed to spawn thread") {
            return;
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        exit::say(format_args!(
            "genauth-mfa: internal error{at}: {}",
            genauth_mfa::Escaped::new(&exit::redact(&what), 300)
        ));
    }));
    // A panic is a bug; it still exits with a documented code (1), never 101.
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        fail(
            EXIT_SETUP,
            "internal error (a bug in genauth-mfa; please report it)",
        )
    })
}

fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_SETUP } else { 0 };
            // --help or --version to an unwritable stdout: exit 1.
            return match e.print() {
                Ok(()) => ExitCode::from(code),
                Err(_) => ExitCode::from(EXIT_SETUP),
            };
        }
    };
    logging::init(cli.verbose);
    let cancel = CancelToken::new();
    let on_signal = cancel.clone();
    // Ctrl-C, SIGTERM and SIGHUP (ctrlc's `termination` feature): the first
    // ends an audit as its input running out would; a second, or one
    // outside an audit, exits at once. Signals within a second of the first
    // are that same one: GNU `timeout` sends SIGTERM to the tool and then
    // to its process group, and a terminal's Ctrl-C may reach it twice.
    let mut first: Option<Instant> = None;
    let _ = ctrlc::set_handler(move || {
        let again = first.is_some_and(|at| at.elapsed() >= SAME_SIGNAL);
        if !AUDITING.load(Ordering::SeqCst) || again {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        if first.is_some() {
            return; // the same signal, come again within the second
        }
        first = Some(Instant::now());
        on_signal.cancel();
        // The run then ends within CANCEL_GRACE, unless the thread writing
        // rows is stuck (stdout or stderr a pipe nobody reads): end the
        // process anyway, a second signal not needed. A thread refused
        // leaves the second signal as the way out.
        let _ = std::thread::Builder::new().spawn(|| {
            std::thread::sleep(SIGNAL_DEADLINE);
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        });
    });
    match &cli.command {
        Command::Completions { shell } => commands::completions(*shell),
        Command::Man { subcommand } => commands::man(subcommand.as_deref()),
        Command::GetFactor { factor_id } => commands::get_factor(&cli, factor_id),
        Command::ListEnrolledFactors => commands::list_enrolled_factors(&cli),
        Command::GetUserMfaInfo {
            user_id,
            user_id_type,
        } => commands::get_user_mfa_info(&cli, user_id, *user_id_type),
        Command::Diff(args) => diff::run(args, &cancel),
        Command::Audit(args) => {
            if args.status.is_some() && !args.all_users {
                return fail(
                    EXIT_SETUP,
                    "--status lists the pool's users with that status: it needs --all-users",
                );
            }
            let concurrency = usize::from(args.concurrency);
            let client = match clients::management_unchecked(&cli, args.rate, concurrency) {
                Ok(client) => client,
                Err(message) => return fail(EXIT_SETUP, message),
            };
            let options = audit::Options {
                input: args.input.clone(),
                user_id_type: args.user_id_type,
                comments: !args.no_comments,
                concurrency,
                format: args.format,
                output: args.output.clone(),
                resume: args.resume,
                all_users: args.all_users,
                status: args.status.clone(),
                summary: args.summary.clone(),
                policy: args.require.clone(),
            };
            audit::run(&client, &options, &cancel)
        }
    }
}
