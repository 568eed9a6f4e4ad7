//! `report --previous OLD_OUTPUT`: the changes since an earlier audit, as
//! `genauth-mfa diff OLD_OUTPUT AUDIT_OUTPUT` finds them (its own code,
//! [`crate::diff::changes`]): its counts, and at most [`TOP`] rows, those
//! who lost MFA first.

use std::path::Path;

use crate::diff::rows::State;
use crate::diff::{self, Counts};
use crate::exit::Failure;
use crate::interrupt::Interrupt;

use super::tally::TOP;

/// One changed user, as the page shows them.
pub struct Item {
    pub user_id: String,
    pub change: &'static str,
    pub before: String,
    pub after: String,
}

/// The changes, counted, and the rows kept for the table.
pub struct Changes {
    pub counts: Counts,
    /// Users who lost MFA (at most [`TOP`]).
    pub lost: Vec<Item>,
    /// Other changes (at most [`TOP`]).
    pub other: Vec<Item>,
}

impl Changes {
    /// The rows of the table, lost MFA first, at most [`TOP`]; how many
    /// changes are not in it.
    pub fn shown(&self) -> (impl Iterator<Item = &Item>, u64) {
        let total = self.counts.lost
            + self.counts.gained
            + self.counts.changed
            + self.counts.added
            + self.counts.removed
            + self.counts.unknown;
        let rows = self.lost.iter().chain(&self.other).take(TOP);
        let shown = (self.lost.len() + self.other.len()).min(TOP) as u64;
        (rows, total.saturating_sub(shown))
    }
}

/// A row's state as a cell: the factors enabled, or the error's kind.
fn describe(state: Option<&State>) -> String {
    match state {
        None => "absent".to_owned(),
        Some(State::Failed { error }) => format!("error: {}", error.kind),
        Some(State::Answered(f)) => {
            let factors: Vec<&str> = [
                ("totp", &f.totp_status),
                ("sms", &f.sms_mfa_status),
                ("email", &f.email_mfa_status),
                ("face", &f.face_mfa_status),
            ]
            .into_iter()
            .filter(|(_, s)| *s == "enabled")
            .map(|(name, _)| name)
            .collect();
            if factors.is_empty() {
                "no factor".to_owned()
            } else {
                factors.join(", ")
            }
        }
    }
}

/// The changes from `old` to `new` (audit outputs).
pub fn read(old: &Path, new: &Path, interrupt: &Interrupt) -> Result<Changes, Failure> {
    let (mut lost, mut other) = (Vec::new(), Vec::new());
    let mut keep = |change: &diff::Change<'_>| {
        let list = if change.change == "lostMfa" {
            &mut lost
        } else {
            &mut other
        };
        if list.len() < TOP {
            list.push(Item {
                user_id: change.user_id.to_owned(),
                change: change.change,
                before: describe(change.before),
                after: describe(change.after),
            });
        }
        Ok(())
    };
    let counts = diff::changes(old, new, interrupt, &mut keep)?;
    Ok(Changes {
        counts,
        lost,
        other,
    })
}
