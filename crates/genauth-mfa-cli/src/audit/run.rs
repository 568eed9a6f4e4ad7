//! The audit's steps, in order: plan its files (checks only), check its
//! access (the key, the listing's first page), open its output, ask.

use std::io::{self, IsTerminal};

use genauth_mfa::ManagementClient;

use super::end::listing_failed;
use super::feed::Users;
use super::options::AuditOptions;
use super::{ask, copies};
use crate::departments::{self, Departments};
use crate::exit::{Ended, Failure, say, token_failed};
use crate::files::{self, Source};
use crate::input;
use crate::interrupt::Interrupt;
use crate::listing::{self, StartError};
use crate::pool_facts::{self, Judge};

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
        options.groups(),
        identity.as_slice(),
    )?;
    let (users, departments, judge) = check_access(client, options, source, interrupt)?;
    let sink = plan.open()?;
    if let Users::File(source) = &users {
        if source.is_terminal {
            say(
                "reading user ids from the terminal, one a line; end with Ctrl-D \
                 (or give a file: genauth-mfa audit ids.txt)",
            );
        }
    }
    ask::ask(
        client,
        options,
        (users, departments),
        sink,
        judge,
        interrupt,
    )
}

/// After every file check and before the output is touched: a pipe's
/// encoding (now that the output is known not to be that pipe), the access
/// key, the pool's facts (an unknown `--admin-role` ends the run here), and
/// with `--all-users` the listing's first page (with `--by department`, the
/// departments before it). The engine then finds the token cached.
fn check_access(
    client: &ManagementClient,
    options: &AuditOptions,
    source: Option<Source>,
    interrupt: &Interrupt,
) -> Result<(Users, Option<Departments>, Judge), Failure> {
    let source = source.map(decode).transpose()?;
    client
        .authenticate()
        .map_err(|e| Failure::setup(token_failed(&e)))?;
    let judge = Judge {
        facts: pool_facts::read(client, &options.admin_roles)?,
        by_user_id: options.by_user_id(),
        require: options.policy.clone(),
        require_admins: options.require_admins.clone(),
        exemptions: options.exemptions.clone(),
        today: options.today,
    };
    if let Some(source) = source {
        return Ok((Users::File(source), None, judge));
    }
    let departments = options
        .by_department
        .then(|| departments::read(client))
        .flatten();
    let status = options.status.clone();
    let with_ids = departments.is_some();
    match listing::start(client, status, with_ids, interrupt.token()) {
        Ok((listing, total)) => Ok((Users::Pool(listing, total), departments, judge)),
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
