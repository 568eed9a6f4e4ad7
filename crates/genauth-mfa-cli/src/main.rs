//! `genauth-mfa`: the command-line tool built on the genauth-mfa crate
//! (crate `genauth-mfa-cli`).
//!
//! ```text
//! cargo install genauth-mfa-cli
//! genauth-mfa get-user-mfa-info alice@example.com --user-id-type email
//! genauth-mfa audit users.txt --user-id-type email --concurrency 8 --format csv --output audit.csv
//! ```
//!
//! `main` parses the command line ([`args`]), installs the signal
//! handler ([`interrupt`]), runs the command with its resolved options,
//! and alone turns how it ended into an exit code and a last line
//! ([`exit`]).

mod admins;
mod args;
mod audit;
mod clients;
mod commands;
mod departments;
mod diff;
mod exemptions;
mod exit;
mod files;
mod input;
mod interrupt;
mod listing;
mod logging;
mod metrics;
mod policy;
mod pool_facts;
mod progress;
mod report;
mod resume;
mod row;
mod summary;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use exit::{EXIT_SETUP, Ended, fail};
use interrupt::Interrupt;

fn main() -> ExitCode {
    ignore_file_size_signal();
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

/// A write past the file-size limit (`ulimit -f`) raises SIGXFSZ, whose
/// default action kills the process: no message, no summary, an exit code
/// the README does not name. Ignored, the write fails with EFBIG instead
/// ("File too large"), which ends the run as a full disk does (exit 1).
fn ignore_file_size_signal() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_IGN installs no handler code; it is called
    // once, first thing in `main`, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
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
    let interrupt = Interrupt::install();
    exit::exit_code(command(&cli, &interrupt))
}

/// Runs the command: options resolved, its end returned to `main`.
fn command(cli: &Cli, interrupt: &Interrupt) -> Ended {
    match &cli.command {
        Command::Completions { shell } => commands::completions(*shell),
        Command::Man { subcommand } => commands::man(subcommand.as_deref()),
        Command::GetFactor { factor_id } => commands::get_factor(cli, factor_id),
        Command::ListEnrolledFactors => commands::list_enrolled_factors(cli),
        Command::GetUserMfaInfo {
            user_id,
            user_id_type,
        } => commands::get_user_mfa_info(cli, user_id, *user_id_type),
        Command::Diff(args) => diff::run(&args.resolve(), interrupt),
        Command::Report(args) => report::run(&args.resolve(), interrupt),
        Command::Audit(args) => {
            let options = args.resolve()?;
            args.ca_files_kept(cli.ca_file.as_deref())?;
            let client = clients::management_unchecked(cli, args.rate, options.concurrency)?;
            audit::run(&client, &options, interrupt)
        }
    }
}
