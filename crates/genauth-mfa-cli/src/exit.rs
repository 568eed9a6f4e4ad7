//! Exit codes, and messages on stderr that never panic: an unwritable
//! stderr (`2>/dev/full`, a closed pipe) changes nothing about the exit code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: every user answered (for `audit`, by this run or an earlier one it resumes) |
//! | 1 | a setup error: arguments, configuration, an `--admin-role` the pool does not have, input or output files (an ids file in UTF-32 or unmarked UTF-16, an output another run holds, a closed or /dev/null stdout for rows, an `--output` or `--summary` whose directory cannot take a file), the management token (a refused access key, at the start or mid-run), output that cannot be written, a summary that cannot be written at the end of a run that would exit 0 (any other code stays), a bug (a panic) |
//! | 2 | a call failed: for `audit`, some users failed, some input lines could not be read, or the listing failed after its first page or could not be proven whole (`--all-users`); for `diff`, some users were not compared (an error row in either file) and nobody was seen to lose MFA |
//! | 3 | `audit --require` / `--require-admins`: the policy is not met (some answered user, or admin, has none of the required factors effective: enabled, enabled by the pool, and not on the SKIP_MFA list) and nothing failed; `diff`: someone lost MFA (even with users not compared) |
//! | 130 | interrupted: Ctrl-C, SIGTERM or SIGHUP (after the summary) |

use std::borrow::Cow;
use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::OnceLock;

pub const EXIT_SETUP: u8 = 1;
pub const EXIT_SOME_FAILED: u8 = 2;
/// A policy not met: `audit --require`, or `diff` when someone lost MFA.
pub const EXIT_POLICY: u8 = 3;
pub const EXIT_INTERRUPTED: u8 = 130;

/// One line on stderr; a failure to write it is ignored. The tool's own
/// words are written as they are: text from outside (a server's answer,
/// a path or value the user gave) reaches a message only through
/// [`redact`], [`report`] or [`shown`], which hide this run's secrets.
pub fn say(message: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{message}");
}

/// A library error as one line, its secrets hidden: the server's text in
/// it is outside text.
pub fn report(err: &genauth_mfa::Error) -> String {
    redact(&err.report().to_string()).into_owned()
}

/// A path (or another value the user gave) for a message: its secrets
/// hidden, escaped and bounded, so that one line stays one line.
pub fn shown(path: &std::path::Path) -> String {
    genauth_mfa::Escaped::new(&redact(&path.display().to_string()), 1000).to_string()
}

/// The secrets this run was given (the access key secret, a user access
/// token), as their variables hold them and trimmed, longest first.
fn secrets() -> &'static [String] {
    static SECRETS: OnceLock<Vec<String>> = OnceLock::new();
    SECRETS.get_or_init(|| {
        let mut all: Vec<String> = Vec::new();
        for var in ["GENAUTH_ACCESS_KEY_SECRET", "GENAUTH_ACCESS_TOKEN"] {
            if let Ok(value) = std::env::var(var) {
                for v in [value.as_str(), value.trim()] {
                    // As given, and as a server quoting a JSON body (the
                    // token request's) or the crate's escaping shows it.
                    let json = serde_json::to_string(v).unwrap_or_default();
                    let json = json
                        .strip_prefix('"')
                        .and_then(|j| j.strip_suffix('"'))
                        .unwrap_or_default()
                        .to_owned();
                    let escaped = genauth_mfa::Escaped::new(v, usize::MAX).to_string();
                    let escaped_json = genauth_mfa::Escaped::new(&json, usize::MAX).to_string();
                    for form in [v.to_owned(), json, escaped, escaped_json] {
                        if !form.is_empty() && !all.contains(&form) {
                            all.push(form);
                        }
                    }
                }
            }
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
        all
    })
}

/// `text` with every secret of this run written `***`: a server that
/// repeats the request in its refusal (a debug message, a WAF page) must
/// not put the access key secret on stderr or in a row.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), "***"));
        }
        if out.contains(CUT) {
            out = Cow::Owned(redact_cut(&out, secret));
        }
    }
    out
}

/// Where the library cut server text at its bound ("… (12 more
/// characters)").
const CUT: char = '…';

/// `text` with the start of `secret` that a cut left just before [`CUT`]
/// written `***`.
fn redact_cut(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(CUT) {
        let before = &rest[..at];
        let start = (1..secret.len())
            .rev()
            .filter(|&k| secret.is_char_boundary(k))
            .find(|&k| before.ends_with(&secret[..k]));
        match start {
            Some(k) => {
                out.push_str(&before[..before.len() - k]);
                out.push_str("***");
            }
            None => out.push_str(before),
        }
        out.push(CUT);
        rest = &rest[at + CUT.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// How a command ended that ran to its end: the exit code, and the lines
/// `main` says last on stderr (a diff's counts, say).
#[derive(Debug)]
#[must_use]
pub struct Outcome {
    pub code: u8,
    pub lines: Vec<String>,
}

impl Outcome {
    /// Exit `code`, nothing more to say.
    pub fn code(code: u8) -> Outcome {
        Outcome {
            code,
            lines: Vec::new(),
        }
    }

    /// Exit 0.
    pub fn success() -> Outcome {
        Outcome::code(0)
    }
}

/// How a command ended that could not run to its end: the exit code and
/// why, said by `main` as `genauth-mfa: <message>`.
#[derive(Debug)]
#[must_use]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Display) -> Failure {
        Failure {
            code,
            message: message.to_string(),
        }
    }

    /// A setup error (exit 1).
    pub fn setup(message: impl Display) -> Failure {
        Failure::new(EXIT_SETUP, message)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::setup(message)
    }
}

/// What a command returns.
pub type Ended = Result<Outcome, Failure>;

/// The exit code of a command's end, its last lines said.
pub fn exit_code(ended: Ended) -> ExitCode {
    match ended {
        Ok(outcome) => {
            for line in &outcome.lines {
                say(line);
            }
            ExitCode::from(outcome.code)
        }
        Err(failure) => fail(failure.code, failure.message),
    }
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
        // The token was fine: the key may not make this call.
        not_permitted @ genauth_mfa::Error::NotPermitted { .. } => {
            return report(not_permitted);
        }
        other => other,
    };
    format!("the management token request failed: {}", report(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_of_a_secret_at_a_cut_is_hidden() {
        assert_eq!(
            redact_cut("x: aask-TO… (9 more)", "sk-TOPSECRET"),
            "x: aa***… (9 more)"
        );
        assert_eq!(redact_cut("a… b…", "zz"), "a… b…");
        assert_eq!(redact_cut("no cut", "sk"), "no cut");
        assert_eq!(redact_cut("é…", "éa"), "***…");
    }
}
