//! Reading the pool's facts, part by part; each part the key may not read
//! or that fails for good is unknown, said in one warning line.

use genauth_mfa::{Error, FactorType, IpListType, ManagementClient, UserListType};

use super::{IdKeys, PoolFacts, Role};
use crate::admins::{self, AdminRole};
use crate::exit::{Failure, say, token_failed};
use crate::policy::Factors;
use crate::resume::Keys;
use crate::row::clean;

/// The most characters of one IP entry kept (an IPv6 dash range is under 80).
const IP_MAX: usize = 100;

/// Reads every part through `client`, before the first user; an unknown
/// `--admin-role` is a setup error naming it.
pub fn read(client: &ManagementClient, roles: &[AdminRole]) -> Result<PoolFacts, Failure> {
    let keys = Keys::default();
    let enabled = known(
        "the pool's enabled factors (get-global-mfa-settings)",
        "every factor a user has enabled counts as one the pool enables",
        enabled_factors(client),
    )?;
    let skip_users = known(
        "the users allowed to skip MFA (user-list WHITE, SKIP_MFA)",
        "nobody is taken to skip MFA: skipMfa is empty",
        skip_users(client, &keys),
    )?;
    let skip_ips = known(
        "the IP ranges allowed to skip MFA (ip-list WHITE, SKIP_MFA)",
        "the summary's bypass.ips is null",
        skip_ips(client),
    )?;
    let mut read_roles = Vec::with_capacity(roles.len());
    for role in roles {
        let read = admins::read_role(client, role, &keys)?;
        if let Some(why) = &read.why_unknown {
            warn(
                &format!(
                    "the members of role {} (list-role-members)",
                    clean(&read.label, 200)
                ),
                why,
                "its members are not known to be admins: admin is empty unless another role \
                 names them",
            );
        }
        read_roles.push(Role {
            label: read.label,
            members: read.members.map(IdKeys::new),
        });
    }
    Ok(PoolFacts {
        enabled,
        skip_users,
        skip_ips,
        roles: read_roles,
        keys,
    })
}

/// The part's value, or `None` with one warning line naming it; a key
/// refused on every call (its token, or a fresh token refused too) stops
/// the audit before any user, as the listing's first page does.
fn known<T>(part: &str, meaning: &str, read: Result<T, Error>) -> Result<Option<T>, Failure> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.fails_every_call() => Err(Failure::setup(token_failed(&e))),
        Err(e) => {
            warn(part, &clean(&e.report().to_string(), 300), meaning);
            Ok(None)
        }
    }
}

fn warn(part: &str, why: &str, meaning: &str) {
    say(format_args!(
        "genauth-mfa: warning: {part} unknown ({why}): {meaning}; the audit goes on"
    ));
}

fn enabled_factors(client: &ManagementClient) -> Result<Factors, Error> {
    let settings = client.get_global_mfa_settings().send()?;
    let mut enabled = Factors::default();
    for factor in &settings.enabled_factors {
        enabled = enabled.with(match factor {
            FactorType::Otp => Factors::TOTP,
            FactorType::Sms => Factors::SMS,
            FactorType::Email => Factors::EMAIL,
            FactorType::Face => Factors::FACE,
            _ => Factors::default(),
        });
    }
    Ok(enabled)
}

fn skip_users(client: &ManagementClient, keys: &Keys) -> Result<IdKeys, Error> {
    let mut skip = Vec::new();
    for entry in client.list_user_list(UserListType::White) {
        let entry = entry?;
        if entry.skips_mfa() {
            skip.push(keys.key(&entry.user_id));
        }
    }
    Ok(IdKeys::new(skip))
}

fn skip_ips(client: &ManagementClient) -> Result<Vec<String>, Error> {
    let mut ips = Vec::new();
    for entry in client.list_ip_list(IpListType::White) {
        let entry = entry?;
        if entry.skips_mfa() {
            ips.push(clean(&entry.ip, IP_MAX));
        }
    }
    ips.sort();
    ips.dedup();
    Ok(ips)
}
