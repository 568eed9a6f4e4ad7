//! Exit codes, and messages on stderr that never panic: an unwritable
//! stderr (`2>/dev/full`, a closed pipe) changes nothing about the exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: every user answered (for `audit`, by this run or an earlier one it resumes) |
//! | 1 | a setup error: arguments, configuration, input or output files, the management token (a refused access key, at the start or mid-run), output that cannot be written, a bug (a panic) |
//! | 2 | a call failed: for `audit`, some users failed, some input lines could not be read, or the listing failed after its first page (`--all-users`) |
//! | 3 | `audit --require`: the policy is not met (some answered user has none of the required factors) and nothing failed |
//! | 130 | interrupted: Ctrl-C, SIGTERM or SIGHUP (after the summary) |

use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;

pub const EXIT_SETUP: u8 = 1;
pub const EXIT_SOME_FAILED: u8 = 2;
/// A policy not met: `audit --require`, or `diff` when someone lost MFA.
pub const EXIT_POLICY: u8 = 3;
pub const EXIT_INTERRUPTED: u8 = 130;

/// One line on stderr; a failure to write it is ignored.
pub fn say(message: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{message}");
}

/// Prints `genauth-mfa: <message>` on stderr and returns `code`.
pub fn fail(code: u8, message: impl Display) -> ExitCode {
    say(format_args!("genauth-mfa: {message}"));
    ExitCode::from(code)
}

/// The message for a management token that could not be fetched, the same
/// for every command and the same as the batch engine's
/// `BatchError::Token`: for a refused key, the server's answer.
pub fn token_failed(err: &genauth_mfa::Error) -> String {
    let err = match err {
        genauth_mfa::Error::Credentials { source, .. } => source,
        other => other,
    };
    format!("the management token request failed: {}", err.report())
}
