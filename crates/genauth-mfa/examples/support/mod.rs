//! What the examples share: clients from `GENAUTH_*` variables or, with none
//! set, from a local sandbox server; and printing results or errors.
#![allow(dead_code)]

pub mod sandbox;

use std::io::Write;
use std::process::ExitCode;

use genauth_mfa::{AuthenticationClient, Error, ManagementClient};
use serde::Serialize;

/// The variables that mean "talk to the real service".
const CREDENTIAL_VARS: [&str; 6] = [
    "GENAUTH_APP_ID",
    "GENAUTH_APP_HOST",
    "GENAUTH_ACCESS_TOKEN",
    "GENAUTH_ACCESS_KEY_ID",
    "GENAUTH_ACCESS_KEY_SECRET",
    "GENAUTH_HOST",
];

/// Where the examples' clients point: the service named by the environment,
/// or a sandbox server on 127.0.0.1 that lives as long as this value.
pub enum Setup {
    Env,
    Sandbox(sandbox::Sandbox),
}

impl Setup {
    /// The environment's service if any credential variable is set (set
    /// but empty too: the client then names it, never a silent sandbox),
    /// else a new sandbox (announced on stderr). Exits with code 1 if the sandbox
    /// server cannot start.
    pub fn from_env_or_sandbox() -> Setup {
        let configured = CREDENTIAL_VARS
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if configured {
            return Setup::Env;
        }
        match Setup::sandbox() {
            Ok(setup) => setup,
            Err(e) => {
                note(format_args!(
                    "error: could not start the local sandbox server: {e}"
                ));
                std::process::exit(1);
            }
        }
    }

    /// A new sandbox, announced on stderr.
    pub fn sandbox() -> std::io::Result<Setup> {
        let sandbox = sandbox::Sandbox::start()?;
        note(format_args!(
            "note: no GENAUTH_* credentials set, so this runs against the crate's fake GenAuth \
             served over HTTP at {} (set GENAUTH_* variables to talk to GenAuth)",
            sandbox.url()
        ));
        Ok(Setup::Sandbox(sandbox))
    }

    pub fn is_sandbox(&self) -> bool {
        matches!(self, Setup::Sandbox(_))
    }

    /// The sandbox, if this runs against one.
    pub fn as_sandbox(&self) -> Option<&sandbox::Sandbox> {
        match self {
            Setup::Sandbox(s) => Some(s),
            Setup::Env => None,
        }
    }

    pub fn authentication(&self) -> Result<AuthenticationClient, Error> {
        match self {
            Setup::Env => AuthenticationClient::from_env(),
            Setup::Sandbox(s) => AuthenticationClient::builder()
                .read_env()?
                .app_id(sandbox::APP_ID)
                .app_host(s.url())
                .access_token(sandbox::ACCESS_TOKEN)
                .build(),
        }
    }

    pub fn management(&self) -> Result<ManagementClient, Error> {
        match self {
            Setup::Env => ManagementClient::from_env(),
            Setup::Sandbox(s) => ManagementClient::builder()
                .read_env()?
                .access_key_id(sandbox::ACCESS_KEY_ID)
                .access_key_secret(sandbox::ACCESS_KEY_SECRET)
                .host(s.url())
                .build(),
        }
    }
}

/// Prints `value` as pretty JSON on stdout, or the error as one line on
/// stderr; the exit code says which. A stdout that cannot be written (a
/// full disk, a closed pipe) is an error too, never a panic.
pub fn finish<T: Serialize>(result: Result<T, Error>) -> ExitCode {
    match result {
        Ok(value) => match serde_json::to_string_pretty(&value) {
            Ok(json) => print(format_args!("{json}")),
            Err(e) => fail(format!("could not print the result: {e}")),
        },
        // The error and its causes, each once, on one line.
        Err(e) => fail(e.report()),
    }
}

/// Prints one line on stdout: exit code 0, or 1 with the write error on
/// stderr (`println!` would panic).
pub fn print(line: std::fmt::Arguments<'_>) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("could not write to standard output: {e}")),
    }
}

/// Prints one line on stderr, ignoring a stderr that cannot be written
/// (`eprintln!` would panic).
pub fn note(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The arguments after the program's name, or the error for one that is
/// not UTF-8 (`std::env::args()` would panic on it).
#[allow(dead_code)]
pub fn args() -> Result<Vec<String>, String> {
    std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string().map_err(|arg| {
                format!(
                    "the argument {:?} is not UTF-8: give ids and names as UTF-8",
                    arg.to_string_lossy()
                )
            })
        })
        .collect()
}

/// Prints `message` as one line on stderr and returns exit code 1.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    note(format_args!("error: {message}"));
    ExitCode::from(1)
}
