//! `audit --all-users`: the pool's users listed on a thread of their own,
//! pages fetched ahead into a bounded channel while the batch engine's
//! workers ask for the users already listed.
//!
//! The listing shares the audit's client (its token, connections, rate
//! limit and adaptive throttle), so its pages count against the same quota
//! as the MFA calls: N users cost N / 50 + N requests. At most
//! [`AHEAD`] users (and the page being read) wait in memory, whatever the
//! pool's size. The first page is fetched before the output is touched,
//! so that a refused listing is a setup error that changes nothing.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use genauth_mfa::{CancelToken, Error, ManagementClient, User, UserStatus};

use crate::exit::say;
use crate::summary::PoolListing;

/// The most listed users waiting for a worker: two pages.
pub const AHEAD: usize = 2 * genauth_mfa::MAX_PAGE_SIZE as usize;

enum Msg {
    /// `totalCount` of the first page, before its first user.
    Total(u64),
    /// A user, and whether the listing gave them before (a repeat).
    User(Box<User>, bool),
    Failed(Error, PoolListing),
    End(PoolListing),
}

/// How the listing ended, once it has.
pub enum Ended {
    /// Every page was listed, and the users listed are those the server
    /// counted (or differ by no more than the pool changed meanwhile).
    Complete(PoolListing),
    /// A page failed after `listed` users (the retries used up, or an
    /// error that is not retried), or the listing could not be proven
    /// complete ([`Error::IncompleteListing`]).
    Failed {
        error: Error,
        listed: u64,
        pool: PoolListing,
    },
}

/// Why the listing did not start.
pub enum StartError {
    /// The first page was refused.
    Listing(Error),
    /// No thread for it, say.
    Internal(String),
}

/// How the listing ended, shared with the audit (the [`Listing`] itself
/// is read on the batch engine's feeder thread).
pub type Outcome = Arc<Mutex<Option<Ended>>>;

/// The listing's receiving end: the listed users, in order, each with
/// whether the listing gave them before (its 64-bit hashes of every id
/// listed know it, however far apart the two are).
pub struct Listing {
    rx: Receiver<Msg>,
    peeked: Option<(Box<User>, bool)>,
    listed: u64,
    done: bool,
    outcome: Outcome,
}

/// Starts listing the pool's users (those with `status`, if given) with a
/// clone of `client` that stops when `cancel` is cancelled, and waits for
/// the first page: its `totalCount`, or the error that refused it.
/// `departments`: ask for each user's department ids too.
pub fn start(
    client: &ManagementClient,
    status: Option<UserStatus>,
    departments: bool,
    cancel: &CancelToken,
) -> Result<(Listing, u64), StartError> {
    let (tx, rx) = sync_channel(AHEAD);
    let client = client.with_cancel(cancel);
    std::thread::Builder::new()
        .name("list-users".into())
        .spawn(move || list(&client, status, departments, &tx))
        .map_err(|e| StartError::Internal(format!("cannot start listing the users: {e}")))?;
    let mut listing = Listing {
        rx,
        peeked: None,
        listed: 0,
        done: false,
        outcome: Outcome::default(),
    };
    match listing.rx.recv() {
        Ok(Msg::Total(total)) => Ok((listing, total)),
        Ok(Msg::End(end)) => {
            listing.end(Ended::Complete(end));
            Ok((listing, 0))
        }
        // Nothing listed, and nothing proves that is the pool (an empty
        // page where the count says there are users, or no count at all):
        // an incomplete audit, not a refused listing.
        Ok(Msg::Failed(error @ Error::IncompleteListing { .. }, pool)) => {
            listing.end(Ended::Failed {
                error,
                listed: 0,
                pool,
            });
            Ok((listing, 0))
        }
        Ok(Msg::Failed(error, _)) => Err(StartError::Listing(error)),
        Ok(Msg::User(user, repeat)) => {
            listing.peeked = Some((user, repeat));
            Ok((listing, 0))
        }
        Err(_) => Err(StartError::Internal(
            "the listing ended before its first page".into(),
        )),
    }
}

fn list(
    client: &ManagementClient,
    status: Option<UserStatus>,
    departments: bool,
    tx: &SyncSender<Msg>,
) {
    let mut listing = client.list_users().with_department_ids(departments);
    if let Some(status) = status {
        listing = listing.status(status);
    }
    let mut users = listing.into_iter();
    let mut first = true;
    let mut warned = false;
    let mut distinct = 0;
    while let Some(item) = users.next() {
        let msg = match item {
            Ok(user) => {
                let repeat = users.distinct() == distinct;
                distinct = users.distinct();
                if !warned {
                    warned = warn_coerced(&user);
                }
                if first {
                    first = false;
                    let total = users.first_total_count().unwrap_or(0);
                    if tx.send(Msg::Total(total)).is_err() {
                        return;
                    }
                }
                Msg::User(Box::new(user), repeat)
            }
            Err(error) => {
                let _ = tx.send(Msg::Failed(error, pool_listing(&users)));
                return;
            }
        };
        // The audit stopped (interrupted, or a row it could not write).
        if tx.send(msg).is_err() {
            return;
        }
    }
    let _ = tx.send(Msg::End(pool_listing(&users)));
}

fn pool_listing(users: &genauth_mfa::Users<'_>) -> PoolListing {
    PoolListing {
        first_total: users.first_total_count(),
        last_total: users.last_total_count(),
        listed: users.seen(),
        distinct: users.distinct(),
        changed: users.pool_changed(),
    }
}

/// One warning line for the first listed user with a field the server
/// sent with another type than text (kept as text in the rows); whether
/// it was said. The users after it are not reported again.
fn warn_coerced(user: &User) -> bool {
    let fields = user.coerced_fields();
    if fields.is_empty() {
        return false;
    }
    say(format_args!(
        "genauth-mfa: warning: the server sent {} of user {} as another type than text: \
         kept as text (epoch milliseconds as ISO 8601); other users' odd fields are kept \
         the same way without another warning",
        fields.join(", "),
        crate::row::clean(&user.user_id, 80),
    ));
    true
}

impl Listing {
    /// How many users have been taken from the listing.
    pub fn listed(&self) -> u64 {
        self.listed
    }

    /// Where the listing's end is told, once it has ended.
    pub fn outcome(&self) -> Outcome {
        Arc::clone(&self.outcome)
    }

    fn end(&mut self, ended: Ended) {
        self.done = true;
        *self.outcome.lock().unwrap_or_else(|p| p.into_inner()) = Some(ended);
    }
}

impl Iterator for Listing {
    type Item = (Box<User>, bool);

    fn next(&mut self) -> Option<(Box<User>, bool)> {
        if let Some(user) = self.peeked.take() {
            self.listed += 1;
            return Some(user);
        }
        if self.done {
            return None;
        }
        loop {
            match self.rx.recv() {
                Ok(Msg::User(user, repeat)) => {
                    self.listed += 1;
                    return Some((user, repeat));
                }
                Ok(Msg::Total(_)) => {}
                Ok(Msg::End(end)) => {
                    self.end(Ended::Complete(end));
                    return None;
                }
                Ok(Msg::Failed(error, pool)) => {
                    let listed = self.listed;
                    self.end(Ended::Failed {
                        error,
                        listed,
                        pool,
                    });
                    return None;
                }
                Err(_) => {
                    self.done = true;
                    return None;
                }
            }
        }
    }
}
