//! `genauth-mfa`: the command-line tool of the genauth-mfa crate.
//!
//! ```text
//! cargo install genauth-mfa --features cli
//! genauth-mfa get-user-mfa-info alice@example.com --user-id-type email
//! genauth-mfa audit users.txt --user-id-type email --concurrency 8 --format csv --output audit.csv
//! ```
//!
//! Exit codes: 0 success (every user answered); 2 a call failed (some users
//! failed, for `audit`); 1 a setup error (arguments, configuration, a
//! refused access key, unwritable output); 130 interrupted.

mod audit;
mod input;
mod output;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{CommandFactory, Parser, Subcommand};
use genauth_mfa::testing::FakeGenAuth;
use genauth_mfa::{AuthenticationClient, Error, ManagementClient, UserIdType};
use serde::Serialize;

pub const EXIT_SETUP: u8 = 1;
pub const EXIT_SOME_FAILED: u8 = 2;
pub const EXIT_INTERRUPTED: u8 = 130;

/// Ask GenAuth (formerly Authing) which MFA factors users have.
///
/// Reads the same GENAUTH_* variables as the library: GENAUTH_ACCESS_KEY_ID
/// and GENAUTH_ACCESS_KEY_SECRET (and GENAUTH_HOST for a private deployment)
/// for get-user-mfa-info and audit; GENAUTH_APP_ID, GENAUTH_APP_HOST and
/// GENAUTH_ACCESS_TOKEN for get-factor and list-enrolled-factors.
///
/// Exit codes: 0 success; 2 a call failed (audit: some users failed);
/// 1 a setup error (arguments, configuration, refused access key, output
/// that cannot be written); 130 interrupted.
#[derive(Parser)]
#[command(name = "genauth-mfa", version, max_term_width = 100)]
struct Cli {
    /// Talk to the crate's built-in fake of the API instead of GenAuth
    /// (announced on stderr); for trying the tool out.
    #[arg(long, global = true)]
    sandbox: bool,

    /// Trust the CA certificates in this PEM file too (as GENAUTH_CA_FILE).
    #[arg(long, global = true, value_name = "PEM")]
    ca_file: Option<PathBuf>,

    /// Log the crate's requests (method, path, status, retries) on stderr.
    #[arg(short, long, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One enrolled factor of the signed-in user, as JSON.
    GetFactor {
        /// The factor's id.
        factor_id: String,
    },
    /// Every factor the signed-in user has enrolled, as JSON.
    ListEnrolledFactors,
    /// Which MFA factors a user of the pool has bound, as JSON.
    GetUserMfaInfo {
        /// The user's id (read as --user-id-type says).
        user_id: String,
        /// How to read the id: user_id (default), phone, email, username,
        /// external_id, identity, sync_relation, custom_field.
        #[arg(long, value_name = "TYPE", value_parser = parse_user_id_type)]
        user_id_type: Option<UserIdType>,
    },
    /// get-user-mfa-info for every id of a file (or stdin), one row per user.
    Audit(AuditArgs),
    /// Print a shell completion script.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args)]
struct AuditArgs {
    /// The file of user ids, one a line; `-` or nothing for stdin.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// How to read every id (see get-user-mfa-info).
    #[arg(long, value_name = "TYPE", value_parser = parse_user_id_type)]
    user_id_type: Option<UserIdType>,
    /// Threads sharing one client.
    #[arg(short, long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// jsonl (one JSON object a line) or csv.
    #[arg(long, value_enum, default_value_t = output::Format::Jsonl)]
    format: output::Format,
    /// At most this many requests a second, for the whole run.
    #[arg(long, value_name = "PER_SECOND",
          value_parser = clap::value_parser!(u32).range(1..))]
    rate: Option<u32>,
    /// Write the rows to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Skip the ids already in --output FILE and append to it.
    #[arg(long, requires = "output")]
    resume: bool,
}

fn parse_user_id_type(s: &str) -> Result<UserIdType, String> {
    s.parse::<UserIdType>().map_err(|e| e.report().to_string())
}

/// Set by Ctrl-C: stop reading ids, finish what is in flight.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_SETUP } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose);
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: stop now.
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    match &cli.command {
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(*shell, &mut command, "genauth-mfa", &mut io::stdout());
            ExitCode::SUCCESS
        }
        Command::GetFactor { factor_id } => {
            with_auth(&cli, |auth| auth.get_factor(factor_id).send())
        }
        Command::ListEnrolledFactors => with_auth(&cli, |auth| auth.list_enrolled_factors().send()),
        Command::GetUserMfaInfo {
            user_id,
            user_id_type,
        } => match management(&cli, None, 1) {
            Ok(mgmt) => {
                let mut request = mgmt.get_user_mfa_info(user_id);
                if let Some(t) = user_id_type {
                    request = request.user_id_type(*t);
                }
                print_result(request.send())
            }
            Err(message) => fail(EXIT_SETUP, message),
        },
        Command::Audit(args) => {
            let concurrency = usize::from(args.concurrency);
            match management(&cli, args.rate, concurrency) {
                Ok(mgmt) => audit::run(
                    &mgmt,
                    &audit::Options {
                        input: args.input.clone(),
                        user_id_type: args.user_id_type,
                        concurrency,
                        format: args.format,
                        output: args.output.clone(),
                        resume: args.resume,
                    },
                    &INTERRUPTED,
                ),
                Err(message) => fail(EXIT_SETUP, message),
            }
        }
    }
}

/// `-v`: the crate's debug log on stderr. Whatever `RUST_LOG` says,
/// `ureq_proto` stays below TRACE, where it dumps tokens on the wire.
fn init_logging(verbose: bool) {
    let mut builder = env_logger::Builder::new();
    builder.parse_default_env();
    if verbose {
        builder.filter_module("genauth_mfa", log::LevelFilter::Debug);
    }
    builder.filter_module("ureq_proto", log::LevelFilter::Debug);
    builder.target(env_logger::Target::Stderr);
    let _ = builder.try_init();
}

/// Prints `message` as one line on stderr and returns `code`.
pub fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("genauth-mfa: {message}");
    ExitCode::from(code)
}

fn announce_sandbox() {
    eprintln!("genauth-mfa: --sandbox: talking to the built-in fake GenAuth, not the real service");
}

/// The variables a command needs that are not set, with a hint for an
/// AUTHING_* look-alike.
fn missing(vars: &[&str]) -> Option<String> {
    let set = |v: &str| std::env::var(v).is_ok_and(|s| !s.trim().is_empty());
    let absent: Vec<&str> = vars.iter().copied().filter(|v| !set(v)).collect();
    if absent.is_empty() {
        return None;
    }
    let mut message = format!(
        "{} not set: set {} (or pass --sandbox to try the tool against its built-in fake)",
        absent.join(", "),
        vars.join(" and ")
    );
    for v in &absent {
        let lookalike = v.replacen("GENAUTH_", "AUTHING_", 1);
        if set(&lookalike) {
            message.push_str(&format!("; {lookalike} is set: this tool reads {v}"));
        }
    }
    Some(message)
}

fn ca_pem(cli: &Cli) -> Result<Option<Vec<u8>>, String> {
    cli.ca_file
        .as_ref()
        .map(|path| std::fs::read(path).map_err(|e| format!("--ca-file {}: {e}", path.display())))
        .transpose()
}

fn management(cli: &Cli, rate: Option<u32>, threads: usize) -> Result<ManagementClient, String> {
    let mut builder = if cli.sandbox {
        announce_sandbox();
        ManagementClient::builder()
            .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
            .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
            .transport(FakeGenAuth::demo().record_requests(false))
    } else {
        if let Some(message) = missing(&["GENAUTH_ACCESS_KEY_ID", "GENAUTH_ACCESS_KEY_SECRET"]) {
            return Err(message);
        }
        let mut builder = ManagementClient::builder()
            .read_env()
            .map_err(|e| e.report().to_string())?
            .max_idle_connections(threads);
        if let Some(pem) = ca_pem(cli)? {
            builder = builder.add_root_certificate_pem(pem);
        }
        builder
    };
    if let Some(rate) = rate {
        builder = builder.max_requests_per_second(rate);
    }
    builder.build().map_err(|e| e.report().to_string())
}

fn with_auth<T: Serialize>(
    cli: &Cli,
    call: impl FnOnce(&AuthenticationClient) -> Result<T, Error>,
) -> ExitCode {
    let client = if cli.sandbox {
        announce_sandbox();
        AuthenticationClient::builder()
            .app_id(FakeGenAuth::DEMO_APP_ID)
            .app_host("https://sandbox.genauth.invalid")
            .access_token(FakeGenAuth::DEMO_ACCESS_TOKEN)
            .transport(FakeGenAuth::demo().record_requests(false))
            .build()
            .map_err(|e| e.report().to_string())
    } else if let Some(message) =
        missing(&["GENAUTH_APP_ID", "GENAUTH_APP_HOST", "GENAUTH_ACCESS_TOKEN"])
    {
        Err(message)
    } else {
        (|| {
            let mut builder = AuthenticationClient::builder()
                .read_env()
                .map_err(|e| e.report().to_string())?;
            if let Some(pem) = ca_pem(cli)? {
                builder = builder.add_root_certificate_pem(pem);
            }
            builder.build().map_err(|e| e.report().to_string())
        })()
    };
    match client {
        Ok(client) => print_result(call(&client)),
        Err(message) => fail(EXIT_SETUP, message),
    }
}

/// The result as JSON on stdout (pretty on a terminal), or the error as one
/// line on stderr.
fn print_result<T: Serialize>(result: Result<T, Error>) -> ExitCode {
    let value = match result {
        Ok(value) => value,
        Err(e) => return fail(EXIT_SOME_FAILED, e.report()),
    };
    let stdout = io::stdout();
    let text = if stdout.is_terminal() {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => return fail(EXIT_SETUP, format!("cannot encode the result: {e}")),
    };
    let mut out = stdout.lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(EXIT_SETUP, format!("cannot write to standard output: {e}")),
    }
}
