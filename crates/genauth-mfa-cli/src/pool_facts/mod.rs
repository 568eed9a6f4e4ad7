//! The pool's own MFA policy, read once before the first user through the
//! audit's client (its limiter and retries): the factors the pool enables
//! (`get-global-mfa-settings`), the users and IP ranges its WHITE lists let
//! skip MFA (`user-list`, `ip-list`, every page), and with `--admin-role`
//! the members of those roles ([`crate::admins`]).
//!
//! A part the key may not read (statusCode 403 or 402) or whose read fails
//! for good is unknown: one warning line on stderr names it, the rows show
//! it empty (CSV) or `null` (JSON), and the audit goes on. Nothing is
//! guessed: [`Judge`] computes each user's effective MFA from what is known
//! (see there).
//!
//! Memory: ids are held as 128-bit keys ([`Keys`]) in sorted vectors, 16
//! bytes an id: 100,000 SKIP_MFA users take under 2 MiB; IP entries are
//! kept as text (the summary lists them).

mod judge;
mod read;

pub use judge::{Judge, Verdict};

use crate::policy::Factors;
use crate::resume::{Key, Keys};

/// A set of ids as keys: sorted, each once.
#[derive(Debug, Default)]
pub struct IdKeys(Vec<Key>);

impl IdKeys {
    pub fn new(mut keys: Vec<Key>) -> IdKeys {
        keys.sort_unstable();
        keys.dedup();
        keys.shrink_to_fit();
        IdKeys(keys)
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.0.binary_search(key).is_ok()
    }

    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

/// One admin role as read: its label (`CODE` or `CODE@NAMESPACE`) and its
/// members (`None`: unknown).
pub struct Role {
    pub label: String,
    pub members: Option<IdKeys>,
}

/// What the pool says about MFA, each part `None` when unknown.
#[derive(Default)]
pub struct PoolFacts {
    /// The factors (of the four the tool reads) that the pool enables.
    pub enabled: Option<Factors>,
    /// The users on the WHITE user list with `SKIP_MFA`.
    pub skip_users: Option<IdKeys>,
    /// The WHITE IP list's entries with `SKIP_MFA`, as text (escaped,
    /// bounded).
    pub skip_ips: Option<Vec<String>>,
    /// The `--admin-role` roles, in the order given.
    pub roles: Vec<Role>,
    /// The keys of the ids above.
    pub keys: Keys,
}

pub use read::read;
