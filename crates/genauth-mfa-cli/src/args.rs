//! The command line: what `--help`, the man page and the shell completions
//! are generated from.

use std::path::PathBuf;
use std::sync::Arc;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Parser, Subcommand};
use genauth_mfa::{UserIdType, UserStatus};

use crate::admins::{self, AdminRole};
use crate::audit::AuditOptions;
use crate::diff::DiffOptions;
use crate::exemptions::Exemptions;
use crate::exit::Failure;
use crate::policy::{self, Policy};
use crate::report::ReportOptions;
use crate::row::Format;

#[cfg(feature = "platform-verifier")]
macro_rules! platform_verifier {
    () => {
        ", platform-verifier"
    };
}
#[cfg(not(feature = "platform-verifier"))]
macro_rules! platform_verifier {
    () => {
        ""
    };
}

/// `--version`: the tool's version, the library's it was built with, and
/// its features.
pub static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (genauth-mfa-cli; library {}; features: cli, sandbox{})",
        env!("CARGO_PKG_VERSION"),
        genauth_mfa::USER_AGENT,
        platform_verifier!(),
    )
});

/// Ask GenAuth (formerly Authing) which MFA factors users have.
///
/// Reads the same GENAUTH_* variables as the library: GENAUTH_ACCESS_KEY_ID
/// and GENAUTH_ACCESS_KEY_SECRET (and GENAUTH_HOST for a private deployment)
/// for get-user-mfa-info and audit; GENAUTH_APP_ID, GENAUTH_APP_HOST and
/// GENAUTH_ACCESS_TOKEN for get-factor and list-enrolled-factors. No log
/// lines unless -v or RUST_LOG asks.
///
/// Exit codes: 0 success; 2 a call failed (audit: some users failed, or
/// the listing of --all-users failed after its first page or could not be
/// proven whole: the audit is incomplete); 3 audit
/// --require or --require-admins: the policy is not met; 1 a setup error
/// (arguments, an unknown --admin-role,
/// configuration, files, the management token, output that cannot be
/// written); 130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
#[derive(Parser)]
#[command(name = "genauth-mfa", version = VERSION.as_str(), max_term_width = 100)]
pub struct Cli {
    /// Talk to the crate's built-in fake of the API instead of GenAuth
    /// (announced on stderr); for trying the tool out.
    #[arg(long, global = true)]
    pub sandbox: bool,

    /// Trust the CA certificates in this PEM file too (as GENAUTH_CA_FILE).
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Log the crate's requests (method, path, status, retries) on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// One enrolled factor of the signed-in user, as JSON.
    GetFactor {
        /// The factor's id.
        factor_id: String,
    },
    /// Every factor the signed-in user has enrolled, as JSON.
    ListEnrolledFactors,
    /// Which MFA factors a user of the pool has bound, as JSON (the same
    /// object as an audit row).
    GetUserMfaInfo {
        /// The user's id (read as --user-id-type says).
        user_id: String,
        /// How to read the id (default: user_id).
        #[arg(long, value_name = "TYPE", value_parser = UserIdTypeParser)]
        user_id_type: Option<UserIdType>,
    },
    /// get-user-mfa-info for every id of a file (or stdin), or for every
    /// user of the pool (--all-users), one row per user.
    Audit(AuditArgs),
    /// What changed between two audit outputs: one JSON Lines row per
    /// user who lost or gained MFA, changed factors, was added or removed.
    /// Exit 3 when someone lost MFA.
    Diff(DiffArgs),
    /// One self-contained HTML page from an audit's --summary FILE and its
    /// output: coverage, the policy, charts, the users without MFA, changes
    /// since --previous, the trend from --history. Exit 1 when the summary
    /// does not match the output (no page is written).
    Report(ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): genauth-mfa man > genauth-mfa.1, or a
    /// subcommand's: genauth-mfa man audit > genauth-mfa-audit.1
    Man {
        /// The subcommand whose page to print (its options in full).
        subcommand: Option<String>,
    },
}

#[derive(clap::Args)]
pub struct AuditArgs {
    /// The file of user ids, one a line; `-` or nothing for stdin. Ids are
    /// trimmed of white space; blank lines are skipped, and so are lines
    /// starting with `#` (unless --no-comments).
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// Audit every user of the pool instead of a FILE: the users are
    /// listed (oldest first, 50 a page, fetched ahead) while they are
    /// asked, by user_id; rows also carry username, email, phone, status,
    /// lastLogin and lastMfaTime.
    #[arg(long, conflicts_with_all = ["input", "user_id_type", "no_comments"])]
    pub all_users: bool,
    /// With --all-users: only the users with this account status.
    #[arg(long, value_name = "STATUS", ignore_case = true,
          value_parser = clap::builder::PossibleValuesParser::new(
              ["Activated", "Suspended", "Deactivated", "Resigned", "Archived"]
          ).map(|s| s.parse::<UserStatus>().unwrap_or(UserStatus::Other(s))))]
    pub status: Option<UserStatus>,
    /// How to read every id (default: user_id).
    #[arg(long, value_name = "TYPE", value_parser = UserIdTypeParser)]
    pub user_id_type: Option<UserIdType>,
    /// Every non-blank line is an id, those starting with `#` too.
    #[arg(long)]
    pub no_comments: bool,
    /// Threads sharing one client, each with one kept-alive connection.
    #[arg(short, long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Row format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// At most this many requests a second, for the whole run.
    #[arg(long, value_name = "PER_SECOND",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// Write the rows to FILE (`-`: stdout, the default). Never the input.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Continue an earlier run: keep the rows already in --output FILE (a
    /// regular file this tool wrote, in this --format), ask only the users
    /// without a final answer there, and append.
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Also write the summary as JSON to FILE (users, failed, withoutMfa,
    /// enabled by factor, coverage, byStatus, generatedAt, poolChanged,
    /// policy, poolEnabledFactors, effectiveCoverage, withoutEffectiveMfa,
    /// bypass, admins), replaced whole at the end; never the input or the
    /// output.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// The policy gate: every answered user must have at least one of
    /// these factors effective (`any`, or a list such as `totp,face`):
    /// enabled, enabled by the pool, and not on its SKIP_MFA list (or an
    /// --exemptions entry that holds); exit 3 when one does not (2, some
    /// users failed, wins over 3).
    #[arg(long, value_name = "any|totp,sms,email,face", value_parser = policy::parse)]
    pub require: Option<Policy>,
    /// Also write the summary as Prometheus text to FILE, for
    /// node_exporter's textfile collector (name it *.prom in its
    /// directory): genauth_mfa_users, _coverage_ratio, ... with HELP and
    /// TYPE; a figure the audit does not know is left out. Replaced whole
    /// at the end, as --summary.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// Also keep a copy of the summary JSON in the directory DIR, one file
    /// per run named by its generatedAt (never replacing another run's),
    /// for genauth-mfa report --history DIR.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Members of this role are admins (repeatable; CODE@NAMESPACE for a
    /// role in another permission namespace). Read before the first user:
    /// a role the pool does not have is a setup error (exit 1). Needs
    /// user_id ids (--all-users, or a FILE without another --user-id-type).
    #[arg(long = "admin-role", value_name = "CODE[@NAMESPACE]", value_parser = admins::parse_role)]
    pub admin_role: Vec<AdminRole>,
    /// The stricter rule admins (--admin-role) must meet as well, judged
    /// on effective MFA as --require is; exit 3 when one does not.
    #[arg(long, value_name = "any|totp,sms,email,face", value_parser = policy::parse,
          requires = "admin_role")]
    pub require_admins: Option<Policy>,
    /// Users who meet --require and --require-admins without effective MFA
    /// until a date: a CSV file with the header userId,reason,owner,expires
    /// (expires: YYYY-MM-DD, UTC, the last day it holds; `#` comments
    /// allowed). Rows gain exemptionExpires; expired and stale entries are
    /// named on stderr.
    #[arg(long, value_name = "FILE")]
    pub exemptions: Option<PathBuf>,
    /// With --all-users: the coverage per department (each including its
    /// sub-departments; users in none under `(none)`), and each row's
    /// departments.
    #[arg(long, value_enum, value_name = "department")]
    pub by: Option<By>,
}

/// `--by`: how the summary slices the coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// The organisations' departments.
    Department,
}

/// `genauth-mfa diff`'s command line .
#[derive(clap::Args)]
pub struct DiffArgs {
    /// The earlier output of `genauth-mfa audit` (JSON Lines or CSV).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later one (either format).
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Write the rows to FILE (`-`: stdout, the default). Never OLD or NEW.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// At most this many MiB of rows in memory; the rest is sorted through
    /// temporary files in TMPDIR (about as large as OLD and NEW together).
    #[arg(long, value_name = "MIB", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub sort_buffer: u32,
}

/// `genauth-mfa report`'s command line.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The audit's output (JSON Lines or CSV), read as a stream.
    #[arg(value_name = "AUDIT_OUTPUT")]
    pub audit_output: PathBuf,
    /// The summary the same audit wrote (audit --summary FILE).
    #[arg(long, value_name = "SUMMARY.json")]
    pub summary: PathBuf,
    /// Write the page to FILE (`-`: stdout, the default), replaced whole.
    #[arg(short, long, value_name = "REPORT.html")]
    pub output: Option<PathBuf>,
    /// An earlier audit's output: the page shows the changes since then
    /// (as genauth-mfa diff finds them), lost MFA first.
    #[arg(long, value_name = "OLD_OUTPUT")]
    pub previous: Option<PathBuf>,
    /// A directory of summaries kept by audit --history DIR: the page
    /// draws the coverage over time.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
}

impl ReportArgs {
    pub fn resolve(&self) -> ReportOptions {
        ReportOptions {
            summary: self.summary.clone(),
            audit_output: self.audit_output.clone(),
            out: self.output.clone(),
            previous: self.previous.clone(),
            history: self.history.clone(),
        }
    }
}

impl AuditArgs {
    /// The audit's options (the client is built from `--rate` and
    /// `--concurrency` beside them). "--status and --by need --all-users"
    /// is checked here, not with clap's `requires = "all_users"`: clap
    /// counts a required argument as satisfied when an argument that
    /// conflicts with it is present, so `--status S FILE` (or beside
    /// `--user-id-type`, `--no-comments`) would pass it and run a file
    /// audit that ignores the option. Saying so in clap would mean
    /// repeating --all-users' conflicts on each, with clap's messages.
    pub fn resolve(&self) -> Result<AuditOptions, Failure> {
        if self.status.is_some() && !self.all_users {
            return Err(Failure::setup(
                "--status lists the pool's users with that status: it needs --all-users",
            ));
        }
        if self.by.is_some() && !self.all_users {
            return Err(Failure::setup(
                "--by department lists the pool's users with their departments: it needs \
                 --all-users",
            ));
        }
        let by_user_id =
            self.all_users || matches!(self.user_id_type, None | Some(UserIdType::UserId));
        if !self.admin_role.is_empty() && !by_user_id {
            return Err(Failure::setup(
                "--admin-role finds admins by user_id: audit with --all-users or a FILE of \
                 user_ids (without --user-id-type, or --user-id-type user_id)",
            ));
        }
        Ok(AuditOptions {
            input: self.input.clone(),
            user_id_type: self.user_id_type,
            comments: !self.no_comments,
            concurrency: usize::from(self.concurrency),
            format: self.format,
            output: self.output.clone(),
            resume: self.resume,
            all_users: self.all_users,
            status: self.status.clone(),
            summary: self.summary.clone(),
            policy: self.require.clone(),
            metrics: self.metrics.clone(),
            history: self.history.clone(),
            admin_roles: self.admin_role.clone(),
            require_admins: self.require_admins.clone(),
            exemptions: self.exemptions_file()?,
            today: crate::exemptions::Day::today(),
            by_department: self.by == Some(By::Department),
        })
    }
}

impl AuditArgs {
    /// `--exemptions FILE`, read whole (before any request); `None`
    /// without it, or (said on stderr) when the ids are not user ids.
    fn exemptions_file(&self) -> Result<Option<Arc<Exemptions>>, Failure> {
        let Some(path) = &self.exemptions else {
            return Ok(None);
        };
        let exemptions = Exemptions::read(path).map_err(Failure::setup)?;
        self.exemptions_kept(path)?;
        match self.user_id_type {
            Some(t) if t != UserIdType::UserId => {
                crate::exit::say(format_args!(
                    "genauth-mfa: warning: --exemptions names users by userId, these ids are --user-id-type {}: no exemption applies (the summary's exemptions is null)",
                    t.as_str()
                ));
                Ok(None)
            }
            _ => Ok(Some(Arc::new(exemptions))),
        }
    }
}

impl AuditArgs {
    /// Refuses an `--output`, `--summary` or `--metrics` that is the
    /// `--exemptions` file `path` (by device and inode, so through a
    /// symlink or another name too): it would be replaced at the end; and
    /// rows to a standard output that is that file (`>> ex.csv`).
    fn exemptions_kept(&self, path: &std::path::Path) -> Result<(), Failure> {
        self.kept(path, "the --exemptions file")
    }

    /// As for the `--exemptions` file, for the CA certificates the client
    /// trusts (`--ca-file`, `GENAUTH_CA_FILE`): replaced by rows or a
    /// summary, the next run could not trust its server.
    pub fn ca_files_kept(&self, ca_file: Option<&std::path::Path>) -> Result<(), Failure> {
        if let Some(path) = ca_file {
            self.kept(path, "the CA file (--ca-file)")?;
        }
        match std::env::var_os("GENAUTH_CA_FILE").filter(|p| !p.is_empty()) {
            Some(path) => self.kept(path.as_ref(), "the CA file (GENAUTH_CA_FILE)"),
            None => Ok(()),
        }
    }

    /// Refuses an `--output`, `--summary` or `--metrics` that is `path`
    /// (`what`, a file this run reads), and rows to a standard output that
    /// is it.
    fn kept(&self, path: &std::path::Path, what: &str) -> Result<(), Failure> {
        let Ok(kept) = same_file::Handle::from_path(path) else {
            return Ok(());
        };
        let written = [
            ("--output", self.output.as_deref()),
            ("--summary", self.summary.as_deref()),
            ("--metrics", self.metrics.as_deref()),
        ];
        // Rows to standard output (`>> ex.csv`) would be appended to it.
        let to_stdout = self.output.as_deref().is_none_or(|o| o.as_os_str() == "-");
        if to_stdout && same_file::Handle::stdout().is_ok_and(|h| h == kept) {
            return Err(Failure::setup(format!(
                "standard output is {what}: the rows would be written into it; send them \
                 elsewhere, or give --output a file of its own (nothing was changed)"
            )));
        }
        for (flag, target) in written {
            let Some(target) = target.filter(|t| t.as_os_str() != "-") else {
                continue;
            };
            if same_file::Handle::from_path(target).is_ok_and(|h| h == kept) {
                return Err(Failure::setup(format!(
                    "{flag} {} is {what}: refusing to replace it (nothing was \
                     changed); give {flag} a file of its own",
                    crate::exit::shown(target)
                )));
            }
        }
        Ok(())
    }
}

impl DiffArgs {
    pub fn resolve(&self) -> DiffOptions {
        DiffOptions {
            old: self.old.clone(),
            new: self.new.clone(),
            output: self.output.clone(),
            sort_buffer: usize::try_from(self.sort_buffer)
                .unwrap_or(usize::MAX)
                .saturating_mul(1 << 20),
        }
    }
}

/// `--user-id-type`: the wire names (case-insensitive, `-` for `_`), listed
/// as possible values so that help and shell completions show them.
#[derive(Clone)]
pub struct UserIdTypeParser;

impl TypedValueParser for UserIdTypeParser {
    type Value = UserIdType;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<UserIdType, clap::Error> {
        let text = value.to_string_lossy();
        text.parse::<UserIdType>().map_err(|e| {
            let name = arg.map_or_else(|| "--user-id-type".to_owned(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "invalid value {:?} for {name}: {}\n",
                    crate::exit::redact(&text),
                    crate::exit::report(&e)
                ),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            UserIdType::ALL
                .into_iter()
                .map(|t| PossibleValue::new(t.as_str())),
        ))
    }
}
