//! `--by department`: the pool's organisations and their departments, read
//! before the first user ([`read`]), each row's departments as name paths
//! from the organisation's root (`Acme / Engineering / Platform`), and the
//! coverage per department, each department's figures including its
//! sub-departments (a user in two sub-departments of one department counts
//! once for it), users in no department under `(none)`.
//!
//! Memory holds the departments (their paths and two counters each), never
//! the users: a listed user's department ids live as long as their row.

mod read;

use std::collections::{BTreeMap, HashMap};

use genauth_mfa::{Department, Organization};
use serde::Serialize;

use crate::pool_facts::Verdict;

pub use read::read;

/// The key of the users in no department.
pub const NONE: &str = "(none)";
/// The key of the users whose departments are none of those read.
pub const UNKNOWN: &str = "(unknown department)";

/// The most bytes of one department's path in a row, as written (JSON or
/// CSV: a `\\` or `"` counts twice).
const MAX_PATH: usize = 4 * 1024;
/// The most bytes of a row's departments, as written: with the rest of
/// the longest row (an id of 4 KiB of control characters, every server
/// text at its bound, all escaped) a row stays under 64 KiB.
const MAX_CELL: usize = 12 * 1024;

/// The bytes `path` takes in a row: a `\\` or `"` is escaped (JSON) or
/// doubled (CSV), and a separator and quotes go with it.
fn written(path: &str) -> usize {
    path.len() + path.bytes().filter(|b| matches!(b, b'\\' | b'"')).count() + 4
}

/// Cuts `path` (at a character) so that it is written in at most `max`
/// bytes, `…` marking the cut.
fn cut(path: &mut String, max: usize) {
    if written(path) <= max {
        return;
    }
    let mut end = 0;
    let mut size = 4 + '…'.len_utf8();
    for (i, c) in path.char_indices() {
        size += c.len_utf8() + usize::from(matches!(c, '\\' | '"'));
        if size > max {
            break;
        }
        end = i + c.len_utf8();
    }
    path.truncate(end);
    path.push('…');
}
/// The most levels walked up from a department (a server's parent links
/// that loop end here).
const MAX_DEPTH: usize = 64;
/// No parent.
const ROOT: u32 = u32::MAX;

/// Whether a user counts as without effective MFA in `byDepartment`'s
/// `withoutEffectiveMfa`, by the pool's verdict on them (the same test as
/// the summary's `withoutEffectiveMfa`: no enabled factor the pool
/// enables, or on its SKIP_MFA list); `None` for a user who did not
/// answer (not counted).
pub fn without_effective_mfa(verdict: &Verdict) -> Option<bool> {
    verdict.effective.map(|e| !e.any())
}

/// One department's figures in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// Answered users in it or in one of its sub-departments.
    pub users: u64,
    pub without_effective_mfa: u64,
    /// `null` when no user answered.
    pub coverage: Option<f64>,
}

/// The departments of every organisation, and the users counted in each.
#[derive(Debug, Default)]
pub struct Departments {
    /// Each department's name (organisations' roots included).
    names: Vec<Box<str>>,
    /// Each department's name path.
    paths: Vec<Box<str>>,
    parents: Vec<u32>,
    index: HashMap<Box<str>, u32>,
    /// Users and users without MFA, per department.
    counts: Vec<[u64; 2]>,
    none: [u64; 2],
    unknown: [u64; 2],
    /// The departments of the user being counted (reused).
    scratch: Vec<u32>,
}

impl Departments {
    /// Adds `organization`, its root and its `departments`.
    pub fn add(&mut self, organization: &Organization, departments: &[Department]) {
        let name = organization
            .organization_name
            .as_deref()
            .unwrap_or(&organization.organization_code);
        let root = self.node(organization.department_id.as_deref(), name);
        let first = self.paths.len();
        for d in departments {
            let name = d.name.as_deref().unwrap_or(&d.department_id);
            self.node(Some(&d.department_id), name);
        }
        for (i, d) in (first..).zip(departments) {
            let parent = d.parent_department_id.as_deref();
            let parent = parent.and_then(|p| self.index.get(p).copied());
            self.parents[i] = match parent {
                Some(p) if p as usize != i => p,
                _ => root,
            };
        }
        for i in first..self.paths.len() {
            self.paths[i] = self.path_of(i as u32).into();
        }
        self.counts.resize(self.paths.len(), [0; 2]);
    }

    /// A node named `name` (its path for now), known by `id` when it has one.
    fn node(&mut self, id: Option<&str>, name: &str) -> u32 {
        let i = u32::try_from(self.paths.len()).unwrap_or(ROOT - 1);
        let name: Box<str> = crate::row::clean(name, 120).into();
        self.paths.push(name.clone());
        self.names.push(name);
        self.parents.push(ROOT);
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            self.index.insert(id.into(), i);
        }
        i
    }

    /// `i`'s names from its organisation's root, joined by ` / `.
    fn path_of(&self, i: u32) -> String {
        let mut names = Vec::new();
        let mut at = i;
        while at != ROOT && names.len() < MAX_DEPTH {
            names.push(&*self.names[at as usize]);
            at = self.parents[at as usize];
        }
        names.reverse();
        names.join(" / ")
    }

    /// A copy made of allocations of exactly its size, in the calling
    /// thread.
    fn compact(&self) -> Departments {
        Departments {
            names: self.names.to_vec(),
            paths: self.paths.to_vec(),
            parents: self.parents.to_vec(),
            index: self.index.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            counts: self.counts.to_vec(),
            ..Departments::default()
        }
    }

    /// A user's departments as a row shows them: each one's path, in the
    /// server's order; an id not read shows as itself, marked. Bounded, so
    /// that a row stays one `--resume` and `diff` read back (64 KiB) and a
    /// server cannot flood a file through one user: a path past
    /// [`MAX_PATH`] is cut (`…`), and once the paths reach [`MAX_CELL`] the
    /// rest are counted in a last entry, `(N more departments)`.
    pub fn paths(&self, ids: Option<&[String]>) -> Vec<String> {
        let ids = ids.unwrap_or_default();
        let mut out = Vec::new();
        let mut used = 0;
        for (n, id) in ids.iter().enumerate() {
            let mut path = match self.index.get(id.as_str()) {
                Some(&i) => self.paths[i as usize].to_string(),
                None => format!("{UNKNOWN} {}", crate::row::clean(id, 80)),
            };
            cut(&mut path, MAX_PATH);
            if used + written(&path) > MAX_CELL {
                out.push(format!("({} more departments)", ids.len() - n));
                break;
            }
            used += written(&path);
            out.push(path);
        }
        out
    }

    /// Counts an answered user in each of their departments and each
    /// department above those, once each. `None` (the server sent no
    /// department ids for the user) is not "in no department": the user
    /// counts under `(unknown department)`.
    pub fn count(&mut self, ids: Option<&[String]>, without: bool) {
        let add = |c: &mut [u64; 2]| {
            c[0] += 1;
            c[1] += u64::from(without);
        };
        let Some(ids) = ids else {
            return add(&mut self.unknown);
        };
        if ids.is_empty() {
            return add(&mut self.none);
        }
        self.scratch.clear();
        let mut unknown = false;
        for id in ids {
            let Some(&i) = self.index.get(id.as_str()) else {
                unknown = true;
                continue;
            };
            let mut at = i;
            for _ in 0..MAX_DEPTH {
                if at == ROOT {
                    break;
                }
                self.scratch.push(at);
                at = self.parents[at as usize];
            }
        }
        self.scratch.sort_unstable();
        self.scratch.dedup();
        for &i in &self.scratch {
            add(&mut self.counts[i as usize]);
        }
        if unknown && self.scratch.is_empty() {
            add(&mut self.unknown);
        }
    }

    /// Every department's figures by path (a path two departments share
    /// gets the later one's id in brackets), then `(none)` and, when some
    /// user's departments were none of those read, `(unknown department)`.
    pub fn figures(&self) -> BTreeMap<String, Figures> {
        let mut ids: Vec<&str> = vec![""; self.paths.len()];
        for (id, &i) in &self.index {
            ids[i as usize] = id;
        }
        let mut out = BTreeMap::new();
        for (i, path) in self.paths.iter().enumerate() {
            let mut key = path.to_string();
            if out.contains_key(&key) {
                key = format!("{key} [{}]", crate::row::clean(ids[i], 80));
            }
            out.insert(key, figures(self.counts[i]));
        }
        out.insert(NONE.to_owned(), figures(self.none));
        if self.unknown[0] > 0 {
            out.insert(UNKNOWN.to_owned(), figures(self.unknown));
        }
        out
    }
}

fn figures([users, without]: [u64; 2]) -> Figures {
    Figures {
        users,
        without_effective_mfa: without,
        coverage: (users > 0)
            .then(|| ((users - without) as f64 / users as f64 * 10_000.0).round() / 10_000.0),
    }
}

#[cfg(test)]
mod tests;
