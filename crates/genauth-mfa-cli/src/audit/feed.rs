//! The audit's input as the batch engine reads it: the ids of a file (or
//! stdin) or the listed users, each once, not those an earlier run
//! answered (`--resume`), counting both for the summary.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use genauth_mfa::UserIdType;
use genauth_mfa::batch::{Input, Target};

use crate::files::Source;
use crate::input::{Ids, Item, MAX_LINE};
use crate::listing::Listing;
use crate::pool_facts::Judge;
use crate::resume::{Key, Keys, Seen};
use crate::row::Profile;
use crate::summary::Skips;

/// Where the users come from, access checked.
pub enum Users {
    /// A file of ids (or stdin).
    File(Source),
    /// `--all-users`: the listing, its first page read, and the number of
    /// users it counts.
    Pool(Listing, u64),
}

/// What comes back with each result: the input line of its id, or the
/// listed user (their place in the listing and their profile).
pub enum Tag {
    Line(u64),
    Listed { index: u64, profile: Box<Profile> },
}

impl Tag {
    /// The row's line (or place in the listing), and the listed profile.
    pub fn place(&self) -> (u64, Option<&Profile>) {
        match self {
            Tag::Line(line) => (*line, None),
            Tag::Listed { index, profile } => (*index, Some(&**profile)),
        }
    }
}

/// Lets each user through once, and not the resumed ones (counting both).
pub struct Admit {
    pub keys: Keys,
    /// The users with a final row from an earlier run, and (from a file)
    /// those asked.
    pub seen: HashMap<Key, Seen>,
    /// The account statuses [`Seen::Answered`] points to.
    pub statuses: Vec<String>,
    /// Whether to remember the users asked (a file's ids): `--all-users`
    /// does not, as the listing itself says which users it listed before
    /// (its set of ids), so memory does not grow with the pool twice.
    pub record_asked: bool,
    pub skips: Arc<Skips>,
    /// Judges the resumed users by this run's pool facts.
    pub judge: Arc<Judge>,
}

impl Admit {
    /// Whether to ask about `id`; `listed`: the account status this run's
    /// listing gave (`--all-users`), which a resumed user is counted by
    /// (before the status of their row, which a file audit's has not).
    fn admit(&mut self, id: &str, listed: Option<&str>) -> bool {
        let key = self.keys.key(id);
        let skips = &self.skips;
        match self.seen.get(&key) {
            None => {
                if self.record_asked {
                    self.seen.insert(key, Seen::Asked);
                }
                return true;
            }
            Some(Seen::Asked) => skips.duplicates.fetch_add(1, Ordering::Relaxed),
            Some(Seen::Answered(factors, status)) => {
                let status = listed.or_else(|| {
                    status
                        .and_then(|i| self.statuses.get(usize::from(i)))
                        .map(String::as_str)
                });
                let verdict = self.judge.judge(id, Some(*factors));
                skips
                    .resumed_answers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .answer(*factors, &verdict, status);
                skips.resumed.fetch_add(1, Ordering::Relaxed)
            }
            Some(Seen::Failed) => {
                // The user was seen: their exemption is not stale.
                self.judge.exemption(id);
                skips.resumed_failed.fetch_add(1, Ordering::Relaxed);
                skips.resumed.fetch_add(1, Ordering::Relaxed)
            }
        };
        false
    }
}

/// The input as the engine reads it: ids once each, not the resumed ones.
pub struct Feed {
    ids: Ids<Box<dyn BufRead + Send>>,
    admit: Admit,
    last_line: u64,
    broken: bool,
}

impl Feed {
    pub fn new(reader: Box<dyn BufRead + Send>, comments: bool, admit: Admit) -> Feed {
        Feed {
            ids: Ids::new(reader, comments),
            admit,
            last_line: 0,
            broken: false,
        }
    }
}

impl Iterator for Feed {
    type Item = Input<Tag>;

    fn next(&mut self) -> Option<Input<Tag>> {
        loop {
            if self.broken {
                return None;
            }
            let (line, id) = match self.ids.next()? {
                Ok(Item::Id { line, id }) => (line, id),
                Ok(Item::Bad { line, reason }) => {
                    self.last_line = line;
                    let tag = Tag::Line(line);
                    return Some(Input::Unreadable { tag, reason });
                }
                Err(e) => {
                    self.broken = true;
                    let line = self.last_line + 1;
                    let reason = format!("cannot read the input after line {}: {e}", line - 1);
                    let tag = Tag::Line(line);
                    return Some(Input::Unreadable { tag, reason });
                }
            };
            self.last_line = line;
            if self.admit.admit(&id, None) {
                return Some(Input::Ask(Target::new(id).tag(Tag::Line(line))));
            }
        }
    }
}

/// `--all-users`: the listed users once each, not the resumed ones, each
/// asked by `user_id`.
pub struct PoolFeed {
    pub listing: Listing,
    pub admit: Admit,
}

impl Iterator for PoolFeed {
    type Item = Input<Tag>;

    fn next(&mut self) -> Option<Input<Tag>> {
        loop {
            let (user, repeat) = self.listing.next()?;
            let index = self.listing.listed();
            let profile = Box::new(Profile::of(&user));
            let tag = Tag::Listed { index, profile };
            let len = user.user_id.len();
            if len == 0 || len > MAX_LINE {
                // Nothing to ask by (or an id no input line could hold).
                let reason =
                    format!("user {index} of the listing has a userId of {len} bytes: not asked");
                return Some(Input::Unreadable { tag, reason });
            }
            // Listed before, however long ago: asked (or resumed) once.
            if repeat {
                self.admit.skips.duplicates.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let status = match &tag {
                Tag::Listed { profile, .. } => Some(profile.status_bucket()),
                Tag::Line(_) => None,
            };
            if self.admit.admit(&user.user_id, status) {
                let target = Target::new(user.user_id).user_id_type(UserIdType::UserId);
                return Some(Input::Ask(target.tag(tag)));
            }
        }
    }
}
