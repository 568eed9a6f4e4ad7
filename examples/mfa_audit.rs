//! Which of our users have no MFA factor at all? Asks get-user-mfa-info for
//! every user id in a file (or stdin) and streams one row per user.
//!
//! ```text
//! cargo run --release --example mfa_audit -- users.txt --user-id-type email --concurrency 8 --format csv
//! printf 'alice@example.com\nbob@example.com\n' | cargo run --example mfa_audit -- --user-id-type email
//! ```
//!
//! - Input: one user id per line; blank lines and lines starting with `#`
//!   are skipped; surrounding white space is trimmed.
//! - `--concurrency N` (default 4) threads share one `ManagementClient`
//!   (one token fetch, one kept-alive connection per thread).
//! - `--format jsonl` (default) or `csv`: user id, the four statuses and, for
//!   a failed user, the error kind, apiCode and message. Rows come as users
//!   complete. A failed user never stops the run.
//! - Memory stays flat: ids flow through bounded queues; no row is kept.
//! - stderr: a progress line when it is a terminal, then a summary.
//! - Exit code: 0 when every user succeeded, 2 when some failed, 1 on a setup
//!   error (bad arguments, unreadable file, incomplete configuration).
//! - Ctrl-C: each row is written with one `write` of a whole line, so the
//!   rows already written are complete lines.
//!
//! Reads `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET` and the
//! optional `GENAUTH_HOST`, `GENAUTH_BRAND`, `GENAUTH_LANG`,
//! `GENAUTH_TENANT_ID`, `GENAUTH_TIMEOUT`; with no `GENAUTH_*` credentials it
//! runs against a local sandbox server.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genauth_mfa::{Error, ManagementClient, UserIdType, UserMfaInfo};
use serde::Serialize;

const USAGE: &str =
    "usage: mfa_audit [FILE|-] [--user-id-type TYPE] [--concurrency N] [--format jsonl|csv]";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug)]
struct Options {
    input: Option<String>,
    user_id_type: Option<UserIdType>,
    concurrency: usize,
    format: Format,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        input: None,
        user_id_type: None,
        concurrency: 4,
        format: Format::Jsonl,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--user-id-type" => {
                options.user_id_type = Some(value(arg)?.parse().map_err(|e: Error| e.to_string())?);
            }
            "--concurrency" => {
                let v = value(arg)?;
                options.concurrency =
                    v.parse()
                        .ok()
                        .filter(|n| (1..=256).contains(n))
                        .ok_or(format!(
                            "--concurrency takes a number from 1 to 256, not {v:?}"
                        ))?;
            }
            "--format" => {
                options.format = match value(arg)?.as_str() {
                    "jsonl" => Format::Jsonl,
                    "csv" => Format::Csv,
                    other => return Err(format!("--format is jsonl or csv, not {other:?}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}; {USAGE}"));
            }
            path if options.input.is_none() => options.input = Some(path.to_owned()),
            extra => return Err(format!("unexpected argument {extra:?}; {USAGE}")),
        }
    }
    Ok(options)
}

/// A user id from one input line, or `None` for a blank or comment line.
fn user_id(line: &str) -> Option<&str> {
    let id = line.trim();
    (!id.is_empty() && !id.starts_with('#')).then_some(id)
}

/// One result, formatted as soon as it is known.
struct Row {
    line: String,
    outcome: Outcome,
}

enum Outcome {
    Ok(UserMfaInfo),
    Failed(&'static str),
}

/// A JSON Lines row of a user who was answered.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OkRow<'a> {
    user_id: &'a str,
    totp_status: &'a str,
    face_mfa_status: &'a str,
    sms_mfa_status: &'a str,
    email_mfa_status: &'a str,
    any_enabled: bool,
}

/// A JSON Lines row of a user whose call failed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrRow<'a> {
    user_id: &'a str,
    error: ErrDetail<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrDetail<'a> {
    kind: &'static str,
    api_code: Option<i64>,
    message: String,
    request_id: Option<&'a str>,
}

fn format_row(format: Format, user_id: &str, result: &Result<UserMfaInfo, Error>) -> String {
    match result {
        Ok(info) => {
            let row = OkRow {
                user_id,
                totp_status: info.totp.as_str(),
                face_mfa_status: info.face.as_str(),
                sms_mfa_status: info.sms.as_str(),
                email_mfa_status: info.email.as_str(),
                any_enabled: info.any_enabled(),
            };
            match format {
                Format::Jsonl => json_line(&row),
                Format::Csv => csv_line(&[
                    row.user_id,
                    row.totp_status,
                    row.face_mfa_status,
                    row.sms_mfa_status,
                    row.email_mfa_status,
                    "",
                    "",
                    "",
                ]),
            }
        }
        Err(e) => {
            let (api_code, message) = match e {
                Error::Api {
                    api_code, message, ..
                } => (*api_code, message.clone()),
                other => (None, other.report().to_string()),
            };
            let detail = ErrDetail {
                kind: e.kind(),
                api_code,
                message,
                request_id: e.request_id(),
            };
            match format {
                Format::Jsonl => json_line(&ErrRow {
                    user_id,
                    error: detail,
                }),
                Format::Csv => {
                    let code = detail.api_code.map(|c| c.to_string()).unwrap_or_default();
                    csv_line(&[user_id, "", "", "", "", detail.kind, &code, &detail.message])
                }
            }
        }
    }
}

fn json_line(row: &impl Serialize) -> String {
    let mut line = serde_json::to_string(row).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    line.push('\n');
    line
}

const CSV_HEADER: &str = "user_id,totp,face,sms,email,error_kind,api_code,message\n";

/// One CSV record (RFC 4180): fields quoted when they hold `,` `"` CR or LF.
fn csv_line(fields: &[&str]) -> String {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&field.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(field);
        }
    }
    line.push('\n');
    line
}

#[derive(Default)]
struct Summary {
    users: u64,
    totp: u64,
    face: u64,
    sms: u64,
    email: u64,
    none: u64,
    errors: BTreeMap<&'static str, u64>,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.users += 1;
        match outcome {
            Outcome::Ok(info) => {
                self.totp += u64::from(info.totp.is_enabled());
                self.face += u64::from(info.face.is_enabled());
                self.sms += u64::from(info.sms.is_enabled());
                self.email += u64::from(info.email.is_enabled());
                self.none += u64::from(!info.any_enabled());
            }
            Outcome::Failed(kind) => *self.errors.entry(kind).or_default() += 1,
        }
    }

    fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    fn print(&self, elapsed: Duration) {
        let rate = self.users as f64 / elapsed.as_secs_f64().max(1e-9);
        eprintln!(
            "summary: {} users in {:.2?} ({rate:.0}/s): totp {}, face {}, sms {}, email {} enabled; {} with no MFA factor; {} failed",
            self.users,
            elapsed,
            self.totp,
            self.face,
            self.sms,
            self.email,
            self.none,
            self.failed()
        );
        for (kind, n) in &self.errors {
            eprintln!("summary: errors of kind {kind}: {n}");
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(o) => o,
        Err(message) => return support::fail(message),
    };
    let input: Box<dyn BufRead + Send> = match options.input.as_deref() {
        None | Some("-") => Box::new(BufReader::new(io::stdin())),
        Some(path) => match File::open(path) {
            Ok(f) => Box::new(BufReader::new(f)),
            Err(e) => return support::fail(format!("cannot read {path}: {e}")),
        },
    };
    let setup = support::Setup::from_env_or_sandbox();
    let client = match setup.management() {
        Ok(c) => c,
        Err(e) => return support::fail(e.report()),
    };
    match run(&client, input, &options) {
        Ok(summary) if summary.failed() == 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(2),
        Err(e) => support::fail(e),
    }
}

fn run(
    client: &ManagementClient,
    input: Box<dyn BufRead + Send>,
    options: &Options,
) -> io::Result<Summary> {
    let started = Instant::now();
    // Bounded queues: memory stays flat however long the input is.
    let (ids_tx, ids_rx) = sync_channel::<String>(options.concurrency * 4);
    let (rows_tx, rows_rx) = sync_channel::<Row>(options.concurrency * 4);
    let ids_rx = Arc::new(Mutex::new(ids_rx));

    let reader = std::thread::spawn(move || read_ids(input, ids_tx));
    let workers: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let (client, ids, rows) = (client.clone(), Arc::clone(&ids_rx), rows_tx.clone());
            let (format, user_id_type) = (options.format, options.user_id_type);
            std::thread::spawn(move || work(&client, &ids, &rows, format, user_id_type))
        })
        .collect();
    drop(rows_tx);

    let summary = write_rows(rows_rx, options.format, started);
    let read_result = reader
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the reader thread panicked")));
    for w in workers {
        let _ = w.join();
    }
    let summary = summary?;
    read_result?;
    summary.print(started.elapsed());
    Ok(summary)
}

fn read_ids(input: Box<dyn BufRead + Send>, ids: SyncSender<String>) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if let Some(id) = user_id(&line) {
            if ids.send(id.to_owned()).is_err() {
                break; // the writer stopped (stdout closed)
            }
        }
    }
    Ok(())
}

fn work(
    client: &ManagementClient,
    ids: &Mutex<Receiver<String>>,
    rows: &SyncSender<Row>,
    format: Format,
    user_id_type: Option<UserIdType>,
) {
    loop {
        let next = ids.lock().map(|rx| rx.recv());
        let Ok(Ok(id)) = next else { return };
        let mut request = client.get_user_mfa_info(id.as_str());
        if let Some(t) = user_id_type {
            request = request.user_id_type(t);
        }
        let result = request.send();
        let row = Row {
            line: format_row(format, &id, &result),
            outcome: match result {
                Ok(info) => Outcome::Ok(info),
                Err(e) => Outcome::Failed(e.kind()),
            },
        };
        if rows.send(row).is_err() {
            return;
        }
    }
}

fn write_rows(rows: Receiver<Row>, format: Format, started: Instant) -> io::Result<Summary> {
    let mut out = io::stdout().lock();
    if format == Format::Csv {
        out.write_all(CSV_HEADER.as_bytes())?;
    }
    let progress = io::stderr().is_terminal();
    let mut last_progress = Instant::now();
    let mut summary = Summary::default();
    for row in rows {
        // One write of one whole line (stdout is line-buffered).
        out.write_all(row.line.as_bytes())?;
        summary.add(&row.outcome);
        if progress && last_progress.elapsed() > Duration::from_millis(200) {
            last_progress = Instant::now();
            let rate = summary.users as f64 / started.elapsed().as_secs_f64();
            eprint!(
                "\r{} done, {} failed, {rate:.0}/s ",
                summary.users,
                summary.failed()
            );
        }
    }
    out.flush()?;
    if progress {
        eprint!("\r\x1b[K");
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(
            csv_line(&["a", "b,c", "say \"hi\"", "x\ny"]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n"
        );
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        assert_eq!(user_id("  alice  "), Some("alice"));
        assert_eq!(user_id(""), None);
        assert_eq!(user_id("   "), None);
        assert_eq!(user_id("# header"), None);
        assert_eq!(user_id("  # indented"), None);
    }
}
