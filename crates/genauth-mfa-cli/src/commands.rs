//! The commands other than `audit`: one call printed as JSON, completions,
//! the man page.

use std::io::{self, IsTerminal, Write};

use clap::CommandFactory;
use genauth_mfa::{Error, UserIdType};
use serde::Serialize;

use crate::args::Cli;
use crate::clients;
use crate::exit::{EXIT_SETUP, EXIT_SOME_FAILED, Ended, Failure, Outcome};
use crate::row::{self, Row};

pub fn get_factor(cli: &Cli, factor_id: &str) -> Ended {
    match clients::authentication(cli) {
        Ok(auth) => print_result(auth.get_factor(factor_id).send()),
        Err(message) => Err(Failure::setup(message)),
    }
}

pub fn list_enrolled_factors(cli: &Cli) -> Ended {
    match clients::authentication(cli) {
        Ok(auth) => print_result(auth.list_enrolled_factors().send()),
        Err(message) => Err(Failure::setup(message)),
    }
}

/// Prints the same object as an audit row holds for the user.
pub fn get_user_mfa_info(cli: &Cli, user_id: &str, user_id_type: Option<UserIdType>) -> Ended {
    let mgmt = match clients::management(cli, None, 1) {
        Ok(mgmt) => mgmt,
        Err(message) => return Err(Failure::setup(message)),
    };
    let mut request = mgmt.get_user_mfa_info(user_id);
    if let Some(t) = user_id_type {
        request = request.user_id_type(t);
    }
    match request.send() {
        Ok(info) => {
            let id_type = user_id_type.unwrap_or(UserIdType::UserId).as_str();
            print_json(&Row::answered(user_id, Some(id_type), &info))
        }
        Err(e) => call_failed(&e),
    }
}

/// A failed call's message and exit code: 2, or 1 for what the library
/// refused before any request (an argument, the configuration), which the
/// README's table makes a setup error.
fn call_failed(e: &Error) -> Ended {
    let code = match e {
        Error::InvalidArgument { .. } | Error::Config { .. } => EXIT_SETUP,
        _ => EXIT_SOME_FAILED,
    };
    Err(Failure::new(code, crate::exit::report(e)))
}

/// The result as JSON on stdout (pretty on a terminal), or the error as one
/// line on stderr.
fn print_result<T: Serialize>(result: Result<T, Error>) -> Ended {
    match result {
        Ok(value) => print_json(&value),
        Err(e) => call_failed(&e),
    }
}

/// `value` as JSON on stdout, pretty on a terminal.
fn print_json(value: &impl Serialize) -> Ended {
    let stdout = io::stdout();
    let text = if stdout.is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    match text {
        Ok(text) => {
            let text = row::json_escaped(crate::exit::redact(&text).into_owned());
            write_stdout(format!("{text}\n").as_bytes())
        }
        Err(e) => Err(Failure::setup(format!("cannot encode the result: {e}"))),
    }
}

/// Writes `bytes` to stdout: exit 0, or 1 with a message when it cannot.
pub fn write_stdout(bytes: &[u8]) -> Ended {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(Outcome::success()),
        Err(e) => Err(Failure::setup(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

pub fn completions(shell: clap_complete::Shell) -> Ended {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "genauth-mfa", &mut script);
    if shell == clap_complete::Shell::Bash {
        script = fix_bash(&script);
    }
    write_stdout(&script)
}

/// clap_complete's bash script names the subcommands' states of a binary
/// with a hyphen in its name two ways (`genauth__mfa__subcmd__audit` where
/// it sets the state, `genauth__subcmd__mfa__subcmd__audit` where it reads
/// it), so no option of any subcommand completes: use the first spelling
/// throughout.
fn fix_bash(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("genauth__subcmd__mfa__", "genauth__mfa__")
        .into_bytes()
}

/// The tool's man page, or a subcommand's (`genauth-mfa-audit`).
pub fn man(subcommand: Option<&str>) -> Ended {
    let mut command = Cli::command();
    command.build();
    let command = match subcommand {
        None => command,
        Some(name) => match command.find_subcommand(name) {
            // Built, it is named genauth-mfa-<name> (its display name).
            Some(sub) => sub.clone().version(crate::args::VERSION.as_str()),
            None => {
                return Err(Failure::setup(format!(
                    "no subcommand {name:?}: see genauth-mfa --help"
                )));
            }
        },
    };
    let page = render_man(command)
        .map_err(|e| Failure::setup(format!("cannot render the man page: {e}")))?;
    write_stdout(page.as_bytes())
}

/// The man page of `command` (built): clap_mangen's, with a SYNOPSIS
/// that names each option's value (`--rate <PER_SECOND>`), as `--help`
/// does; clap_mangen 0.2 writes the option alone (`--rate`).
fn render_man(command: clap::Command) -> Result<String, std::io::Error> {
    let ours = synopsis(&command);
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render(&mut page)?;
    let page = String::from_utf8_lossy(&page).into_owned();
    // clap_mangen's SYNOPSIS section as it is in the page: its rendering
    // alone, without roff's preamble.
    let mut theirs = Vec::new();
    man.render_synopsis_section(&mut theirs)?;
    let theirs = String::from_utf8_lossy(&theirs);
    let preamble = roff::Roff::new().render();
    let theirs = theirs.strip_prefix(&preamble).unwrap_or(&theirs);
    Ok(match page.matches(theirs).count() {
        1 => page.replacen(theirs, &ours, 1),
        // Not found once (another clap_mangen): its page as it is.
        _ => page,
    })
}

/// The SYNOPSIS section: the command's name, its options (clap_mangen's
/// order: display order, then short or long name) each with its value
/// (`<NAME>`, `[<NAME>]` when optional) and `...` when repeatable, then its
/// positionals and its subcommand.
fn synopsis(command: &clap::Command) -> String {
    use clap::ArgAction;
    use roff::{Roff, bold, italic, roman};
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    let mut line = vec![bold(name), roman(" ")];
    let mut options: Vec<&clap::Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    options.sort_by_key(|a| {
        let key = match (a.get_short(), a.get_long()) {
            (Some(c), _) => {
                let mut s = c.to_ascii_lowercase().to_string();
                s.push(if c.is_ascii_lowercase() { '0' } else { '1' });
                s
            }
            (None, Some(long)) => long.to_owned(),
            (None, None) => format!("{{{}", a.get_id()),
        };
        (a.get_display_order(), key)
    });
    let markers = |a: &clap::Arg| match a.is_required_set() {
        true => ("<", ">"),
        false => ("[", "]"),
    };
    for a in options {
        let (lhs, rhs) = markers(a);
        line.push(roman(lhs));
        match (a.get_short(), a.get_long()) {
            (Some(short), Some(long)) => {
                line.push(bold(format!("-{short}")));
                line.push(roman("|"));
                line.push(bold(format!("--{long}")));
            }
            (Some(short), None) => line.push(bold(format!("-{short}"))),
            (None, Some(long)) => line.push(bold(format!("--{long}"))),
            (None, None) => continue,
        }
        let range = a.get_num_args().unwrap_or_default();
        if range.takes_values() {
            let value = match a.get_value_names() {
                Some(names) => names
                    .iter()
                    .map(|n| format!("<{n}>"))
                    .collect::<Vec<_>>()
                    .join(" "),
                None => format!("<{}>", a.get_id().as_str().to_uppercase()),
            };
            line.push(roman(" "));
            line.push(italic(match range.min_values() {
                0 => format!("[{value}]"),
                _ => value,
            }));
        }
        line.push(roman(rhs));
        if matches!(a.get_action(), ArgAction::Count | ArgAction::Append) {
            line.push(roman("..."));
        }
        line.push(roman(" "));
    }
    for a in command.get_positionals().filter(|a| !a.is_hide_set()) {
        let (lhs, rhs) = markers(a);
        line.push(roman(lhs));
        line.push(italic(match a.get_value_names() {
            Some(names) => names.join(" "),
            None => a.get_id().as_str().to_owned(),
        }));
        line.push(roman(rhs));
        line.push(roman(" "));
    }
    if command.has_subcommands() {
        let required = command.is_subcommand_required_set();
        let (lhs, rhs) = if required { ("<", ">") } else { ("[", "]") };
        let heading = command
            .get_subcommand_value_name()
            .or_else(|| command.get_subcommand_help_heading())
            .unwrap_or("SUBCOMMANDS");
        line.push(roman(lhs));
        line.push(italic(heading.to_lowercase()));
        line.push(roman(rhs));
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
    roff.to_roff()
}
