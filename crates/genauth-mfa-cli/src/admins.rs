//! `--admin-role CODE[@NAMESPACE]`: the roles whose members are admins, and
//! reading their members (ids only) before the first user is asked.
//!
//! GenAuth has no `isAdmin`: an administrator names the roles that make
//! someone an admin in their pool. A role the pool does not have (the
//! service answers statusCode 404 or 400) is a setup error naming it; a role
//! the key may not read (403, or 402: the plan lacks the feature) or whose
//! listing fails for good is unknown (one warning line), never a reason to
//! stop the audit.

use genauth_mfa::{Error, ManagementClient};

use crate::exit::{Failure, token_failed};
use crate::resume::{Key, Keys};
use crate::row::clean;

/// One `--admin-role`: a role code, in a permission namespace (`None`: the
/// server's `default`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRole {
    pub code: String,
    pub namespace: Option<String>,
}

impl AdminRole {
    /// As given: `admin`, `billing-admin@billing`.
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}@{ns}", self.code),
            None => self.code.clone(),
        }
    }
}

/// The `--admin-role` value parser: `CODE` or `CODE@NAMESPACE`, neither
/// part blank.
pub fn parse_role(text: &str) -> Result<AdminRole, String> {
    let (code, namespace) = match text.rsplit_once('@') {
        Some((code, ns)) => (code.trim(), Some(ns.trim())),
        None => (text.trim(), None),
    };
    if code.is_empty() || namespace.is_some_and(str::is_empty) {
        return Err(format!(
            "{:?} is no role: give CODE or CODE@NAMESPACE (e.g. admin, billing-admin@billing)",
            clean(text, 80)
        ));
    }
    Ok(AdminRole {
        code: code.to_owned(),
        namespace: namespace.map(str::to_owned),
    })
}

/// The members of one role, as keys of their user ids (`None`: unknown).
pub struct RoleMembers {
    pub label: String,
    pub members: Option<Vec<Key>>,
    /// Why they are unknown (one line, server text bounded and escaped).
    pub why_unknown: Option<String>,
}

/// Reads the members of `role` through `client` (its limiter and
/// retries). An unknown role is a setup error naming it.
pub fn read_role(
    client: &ManagementClient,
    role: &AdminRole,
    keys: &Keys,
) -> Result<RoleMembers, Failure> {
    let mut listing = client.list_role_members(role.code.clone());
    if let Some(ns) = &role.namespace {
        listing = listing.namespace(ns.clone());
    }
    let label = role.label();
    let mut members = Vec::new();
    for user in listing {
        match user {
            Ok(user) => members.push(keys.key(&user.user_id)),
            Err(e) if e.fails_every_call() => return Err(Failure::setup(token_failed(&e))),
            Err(e) if members.is_empty() && is_unknown_role(&e) => {
                return Err(Failure::setup(format!(
                    "--admin-role {}: the pool has no such role ({})",
                    clean(&label, 200),
                    clean(&e.report().to_string(), 300)
                )));
            }
            Err(e) => {
                return Ok(RoleMembers {
                    label,
                    members: None,
                    why_unknown: Some(clean(&e.report().to_string(), 300)),
                });
            }
        }
    }
    Ok(RoleMembers {
        label,
        members: Some(members),
        why_unknown: None,
    })
}

/// The service's answer for a role code it does not have: an error
/// envelope with statusCode 404 or 400 (its apiCode is not relied on).
fn is_unknown_role(e: &Error) -> bool {
    matches!(e, Error::Api { .. }) && matches!(e.status_code(), Some(404 | 400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_is_a_code_and_maybe_a_namespace() {
        let role = parse_role("billing-admin@billing").unwrap();
        assert_eq!(role.code, "billing-admin");
        assert_eq!(role.namespace.as_deref(), Some("billing"));
        assert_eq!(role.label(), "billing-admin@billing");
        assert_eq!(parse_role(" admin ").unwrap().label(), "admin");
        for bad in ["", "@ns", "admin@", " @ "] {
            assert!(parse_role(bad).is_err(), "{bad:?}");
        }
    }
}
