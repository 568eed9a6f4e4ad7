//! The page's table of expired and soon-expiring exemptions, from the
//! rows' `exemptionExpires` (`audit --exemptions`): an exemption that has
//! expired covers nobody, one that expires within [`SOON`] days soon will
//! not. Judged on the audit's day (the summary's `generatedAt`), as the
//! audit judged them. At most [`TOP`] kept (the earliest `expires` first),
//! so memory stays flat however long the output.

use std::collections::BinaryHeap;
use std::fmt::Write as _;

use super::html::{table, text};
use super::tally::TOP;
use crate::exemptions::Day;
use crate::row::Row;

/// Days ahead that count as "soon".
pub const SOON: i64 = 30;

/// One exemption listed, as its row shows it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exemption {
    /// The last day it holds.
    pub expires: Day,
    pub user_id: String,
    pub username: Option<String>,
    pub admin: Option<bool>,
    pub effective_mfa: Option<bool>,
}

/// The expired and soon-expiring exemptions of an output.
#[derive(Debug, Default)]
pub struct Expiring {
    /// The audit's day (`None`: the summary has no readable `generatedAt`,
    /// so nothing is judged).
    pub today: Option<Day>,
    /// Whether a row carried the column (the audit ran with --exemptions).
    pub seen_column: bool,
    /// Rows whose exemption has expired, and those expiring soon.
    pub expired: u64,
    pub soon: u64,
    kept: BinaryHeap<Exemption>,
}

impl Expiring {
    pub fn new(today: Option<Day>) -> Expiring {
        Expiring {
            today,
            ..Expiring::default()
        }
    }

    /// A row about `user_id`: listed when its exemption has expired or
    /// expires within [`SOON`] days.
    pub fn add(&mut self, row: &Row, user_id: &str) {
        let Some(cell) = &row.exemption_expires else {
            return;
        };
        self.seen_column = true;
        let (Some(today), Some(expires)) = (self.today, cell.as_deref().and_then(Day::parse))
        else {
            return;
        };
        match today.days_to(expires) {
            d if d < 0 => self.expired += 1,
            d if d <= SOON => self.soon += 1,
            _ => return,
        }
        self.kept.push(Exemption {
            expires,
            user_id: user_id.to_owned(),
            username: row.username.clone().flatten(),
            admin: row.admin.flatten(),
            effective_mfa: row.effective_mfa.flatten(),
        });
        if self.kept.len() > TOP {
            self.kept.pop();
        }
    }

    /// The section, when the output has the column.
    pub fn section(self, out: &mut String, output_name: &str) {
        let Some(today) = self.today.filter(|_| self.seen_column) else {
            return;
        };
        let (expired, soon) = (self.expired, self.soon);
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"h-expiring\">\n<h2 id=\"h-expiring\">Expired and \
             soon-expiring exemptions ({})</h2>\n<p>{expired} expired (they cover nobody), \
             {soon} expire within {SOON} days of the audit. Earliest first.</p>",
            expired + soon
        );
        let rows: Vec<Vec<String>> = self
            .kept
            .into_sorted_vec()
            .iter()
            .map(|e| cells(e, today))
            .collect();
        if rows.is_empty() {
            out.push_str("<p>None.</p>\n");
        } else {
            let header = [
                "User ID",
                "Username",
                "Admin",
                "Effective MFA",
                "Expires",
                "State",
            ];
            out.push_str(&table(
                "Expired and soon-expiring exemptions",
                &header,
                &rows,
            ));
        }
        let more = (expired + soon).saturating_sub(rows.len() as u64);
        if more > 0 {
            let _ = writeln!(out, "<p>And {more} more: see {}.</p>", text(output_name));
        }
        out.push_str("</section>\n");
    }
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "unknown",
    }
}

fn cells(e: &Exemption, today: Day) -> Vec<String> {
    let state = match today.days_to(e.expires) {
        -1 => "expired yesterday".to_owned(),
        d if d < 0 => format!("expired {} days ago", -d),
        0 => "expires today".to_owned(),
        1 => "expires tomorrow".to_owned(),
        d => format!("expires in {d} days"),
    };
    vec![
        text(&e.user_id),
        e.username.as_deref().map_or_else(String::new, text),
        yes_no(e.admin).to_owned(),
        yes_no(e.effective_mfa).to_owned(),
        e.expires.to_string(),
        state,
    ]
}
