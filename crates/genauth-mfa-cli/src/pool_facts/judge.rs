//! Each user judged against the pool's facts: effective MFA, SKIP_MFA,
//! admin, their `--exemptions` entry, and the `--require` /
//! `--require-admins` gates.
//!
//! The one rule: a user meets `--require` (and, an admin,
//! `--require-admins`) when they have effective MFA that meets it OR an
//! exemption that holds today; an expired exemption covers nobody. This
//! run's users and those an earlier run answered (`--resume`) are judged
//! here alike.

use genauth_mfa::batch::Outcome;

use std::sync::Arc;

use super::PoolFacts;
use crate::exemptions::{Day, ExemptionState, Exemptions};
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
    /// `--exemptions` (`None` without it, or with ids other than
    /// `user_id`s), and the day they are judged on.
    pub exemptions: Option<Arc<Exemptions>>,
    pub today: Day,
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
    /// The user's `--exemptions` entry, active or expired (`None`: none).
    pub exemption: Option<ExemptionState>,
    /// Answered, not meeting `--require` by effective MFA, and no
    /// exemption that holds.
    pub violates: bool,
    /// An admin, answered, not meeting `--require-admins` by effective
    /// MFA, and no exemption that holds.
    pub admin_violates: bool,
    /// Answered, meeting `--require` and `--require-admins` only by an
    /// exemption that holds (short of one of them by effective MFA).
    pub exempted: bool,
    /// Answered, not meeting `--require-admins` (and no exemption that
    /// holds), and not known to be an admin or not (a role could not be
    /// read): the admin rule cannot be judged for them, which makes the
    /// audit incomplete.
    pub admin_unjudged: bool,
    /// Answered, meeting `--require` only if a part of the pool's policy
    /// that could not be read is kind to them (the pool enables their
    /// factor, they are not on the SKIP_MFA list), and no exemption holds:
    /// the rule is not judged for them, which makes the audit incomplete.
    pub require_unjudged: bool,
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
        let effective = factors.map(|f| f.effective(skip, facts.enabled));
        let short = match (&self.require, effective) {
            (Some(policy), Some(effective)) => !policy.met(effective),
            _ => false,
        };
        let admin_short = match (&self.require_admins, effective, admin) {
            (Some(policy), Some(effective), Some(true)) => !policy.met(effective),
            _ => false,
        };
        let exemption = self.exemption(id);
        let holds = exemption.is_some_and(ExemptionState::is_active);
        let admin_unjudged = match (&self.require_admins, effective, admin) {
            (Some(policy), Some(effective), None) => {
                self.by_user_id && !policy.met(effective) && !holds
            }
            _ => false,
        };
        // Met only if what could not be read is kind: not judged.
        let guessed = facts.enabled.is_none() || (self.by_user_id && skip.is_none());
        let require_unjudged =
            self.require.is_some() && effective.is_some() && !short && !holds && guessed;
        Verdict {
            about_user: true,
            effective,
            skip,
            admin,
            exemption,
            violates: short && !holds,
            admin_violates: admin_short && !holds,
            exempted: (short || admin_short) && holds,
            admin_unjudged,
            require_unjudged,
        }
    }

    /// User `id`'s exemption today (`None`: none, or no `--exemptions`),
    /// and the user counted as seen (an entry never seen is stale).
    pub fn exemption(&self, id: &str) -> Option<ExemptionState> {
        self.exemptions.as_ref()?.saw(id, self.today)
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

impl Judge {
    /// The row's effectiveMfa, skipMfa and admin cells (`null`, empty,
    /// when unknown) and with `--exemptions` its exemptionExpires (`null`
    /// for a user without one); all absent in a row about no user.
    pub fn fill(&self, verdict: &Verdict, row: &mut Row) {
        if !verdict.about_user {
            return;
        }
        let effective = verdict.effective.filter(|_| self.by_user_id);
        row.effective_mfa = Some(effective.map(Factors::any));
        row.skip_mfa = Some(verdict.skip);
        row.admin = Some(verdict.admin);
        if self.exemptions.is_some() {
            let expires = verdict.exemption.map(|e| e.expires().to_string());
            row.exemption_expires = Some(expires);
        }
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
            exemptions: None,
            today: Day::parse("2026-12-01").unwrap(),
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

    #[test]
    fn an_exemption_that_holds_meets_both_gates_and_an_expired_one_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exemptions.csv");
        let text = "userId,reason,owner,expires\nboss,r,o,2026-12-01\nold,r,o,2026-11-30\n";
        std::fs::write(&path, text).unwrap();
        let mut j = judge(Some(Factors::TOTP), &[], vec![Some(&["boss", "old"])]);
        j.exemptions = Some(Arc::new(Exemptions::read(&path).unwrap()));
        let boss = j.judge("boss", Some(Factors::EMAIL));
        assert_eq!(boss.effective, Some(Factors::default()), "no fact changes");
        assert!(!boss.violates && !boss.admin_violates && boss.exempted);
        let old = j.judge("old", Some(Factors::EMAIL));
        assert!(old.violates && old.admin_violates && !old.exempted);
        assert!(old.exemption.is_some_and(|e| !e.is_active()));
        let covered = j.judge("boss", Some(Factors::TOTP));
        assert!(
            !covered.violates && !covered.exempted,
            "met by effective MFA"
        );
        let failed = j.judge("boss", None);
        assert!(!failed.violates && !failed.exempted);
    }
}
