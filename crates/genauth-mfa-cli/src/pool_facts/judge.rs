//! Each user judged against the pool's facts: effective MFA, SKIP_MFA,
//! admin, and the `--require` / `--require-admins` gates.

use genauth_mfa::batch::Outcome;

use super::PoolFacts;
use crate::policy::{Factors, Policy};
use crate::row::Row;

/// The pool's facts and the policy gates, shared by the run.
pub struct Judge {
    pub facts: PoolFacts,
    /// Whether the ids are `user_id`s (`--all-users`, or a file without
    /// another `--user-id-type`): the SKIP_MFA list and the roles name
    /// users by `user_id`, so only then are rows judged by them.
    pub by_user_id: bool,
    pub require: Option<Policy>,
    pub require_admins: Option<Policy>,
}

/// What the pool's facts say about one user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the row is about a user at all (not an input line).
    pub about_user: bool,
    /// The enabled factors that protect the account (`None`: no answer):
    /// those the pool enables (all of them when that is unknown), none
    /// when the user may skip MFA.
    pub effective: Option<Factors>,
    /// On the WHITE user list with `SKIP_MFA` (`None`: unknown).
    pub skip: Option<bool>,
    /// A member of an `--admin-role` (`None`: unknown, or no `--admin-role`).
    pub admin: Option<bool>,
    /// Answered and not meeting `--require`.
    pub violates: bool,
    /// An admin, answered, and not meeting `--require-admins`.
    pub admin_violates: bool,
    /// Answered, not meeting `--require-admins`, and not known to be an
    /// admin or not (a role could not be read): the admin rule cannot be
    /// judged for them, which makes the audit incomplete.
    pub admin_unjudged: bool,
}

impl Judge {
    /// The verdict on one finished item.
    pub fn verdict(&self, user_id: Option<&str>, outcome: &Outcome) -> Verdict {
        let Some(id) = user_id else {
            return Verdict::default();
        };
        let factors = match outcome {
            Outcome::Answered(info) => Some(Factors::of(info)),
            _ => None,
        };
        self.judge(id, factors)
    }

    /// The verdict on user `id`, who answered `factors` (`None`: failed).
    ///
    /// Effective MFA is computed from what is known: an unknown list of
    /// the pool's factors counts every enabled factor, an unknown SKIP_MFA
    /// list lets nobody skip; with ids other than `user_id`s the SKIP_MFA
    /// list and the roles are not applied (the row shows them `null`).
    pub fn judge(&self, id: &str, factors: Option<Factors>) -> Verdict {
        let facts = &self.facts;
        let key = facts.keys.key(id);
        let (skip, admin) = if self.by_user_id {
            let skip = facts.skip_users.as_ref().map(|s| s.contains(&key));
            (skip, self.admin(&key))
        } else {
            (None, None)
        };
        let effective = factors.map(|f| match (skip, facts.enabled) {
            (Some(true), _) => Factors::default(),
            (_, Some(enabled)) => f.and(enabled),
            (_, None) => f,
        });
        let violates = match (&self.require, effective) {
            (Some(policy), Some(effective)) => !policy.met(effective),
            _ => false,
        };
        let admin_violates = match (&self.require_admins, effective, admin) {
            (Some(policy), Some(effective), Some(true)) => !policy.met(effective),
            _ => false,
        };
        let admin_unjudged = match (&self.require_admins, effective, admin) {
            (Some(policy), Some(effective), None) => self.by_user_id && !policy.met(effective),
            _ => false,
        };
        Verdict {
            about_user: true,
            effective,
            skip,
            admin,
            violates,
            admin_violates,
            admin_unjudged,
        }
    }

    /// In a known role: true; in none, every role known: false; else
    /// unknown (and unknown without `--admin-role`).
    fn admin(&self, key: &crate::resume::Key) -> Option<bool> {
        let roles = &self.facts.roles;
        if roles.is_empty() {
            return None;
        }
        let mut all_known = true;
        for role in roles {
            match &role.members {
                Some(members) if members.contains(key) => return Some(true),
                Some(_) => {}
                None => all_known = false,
            }
        }
        all_known.then_some(false)
    }
}

impl Verdict {
    /// The row's effectiveMfa, skipMfa and admin cells: `null` (empty)
    /// when unknown, absent in a row about no user.
    pub fn fill(&self, row: &mut Row, by_user_id: bool) {
        if !self.about_user {
            return;
        }
        let effective = self.effective.filter(|_| by_user_id).map(Factors::any);
        row.effective_mfa = Some(effective);
        row.skip_mfa = Some(self.skip);
        row.admin = Some(self.admin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool_facts::{IdKeys, Role};

    fn judge(enabled: Option<Factors>, skip: &[&str], roles: Vec<Option<&[&str]>>) -> Judge {
        let facts = PoolFacts {
            enabled,
            ..PoolFacts::default()
        };
        let keys = |ids: &[&str]| IdKeys::new(ids.iter().map(|id| facts.keys.key(id)).collect());
        let skip_users = Some(keys(skip));
        let roles = roles
            .into_iter()
            .map(|members| Role {
                label: "r".into(),
                members: members.map(keys),
            })
            .collect();
        Judge {
            facts: PoolFacts {
                skip_users,
                roles,
                ..facts
            },
            by_user_id: true,
            require: Some(crate::policy::parse("any").unwrap()),
            require_admins: Some(crate::policy::parse("totp").unwrap()),
        }
    }

    #[test]
    fn effective_mfa_needs_a_factor_the_pool_enables_and_no_skip() {
        let no_email = Factors::TOTP.with(Factors::SMS);
        let j = judge(Some(no_email), &["skipper"], vec![Some(&["boss"])]);
        let email_only = j.judge("u", Some(Factors::EMAIL));
        assert_eq!(email_only.effective, Some(Factors::default()));
        assert!(email_only.violates);
        assert_eq!(
            (email_only.skip, email_only.admin),
            (Some(false), Some(false))
        );
        let skipper = j.judge("skipper", Some(Factors::TOTP));
        assert_eq!(
            (skipper.effective, skipper.skip),
            (Some(Factors::default()), Some(true))
        );
        let boss = j.judge("boss", Some(Factors::SMS));
        assert!(!boss.violates && boss.admin_violates && boss.admin == Some(true));
        let failed = j.judge("boss", None);
        assert!(!failed.violates && !failed.admin_violates && failed.effective.is_none());
    }

    #[test]
    fn unknown_parts_count_for_nothing_and_are_not_guessed() {
        let mut j = judge(None, &[], vec![Some(&["a"]), None]);
        j.facts.skip_users = None;
        let v = j.judge("b", Some(Factors::EMAIL));
        assert_eq!(v.effective, Some(Factors::EMAIL));
        assert_eq!((v.skip, v.admin), (None, None));
        assert_eq!(j.judge("a", None).admin, Some(true));
        j.by_user_id = false;
        assert_eq!(j.judge("a", None).admin, None);
    }
}
