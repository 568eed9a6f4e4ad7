//! How the fake pages `list-users`: honestly, or as a lying server does
//! ([`Paging`]), and the changes it makes to its pool while listed
//! ([`PoolChange`]).

use std::collections::HashSet;

use super::user::PoolUser;

/// A change the fake makes to its pool by itself, for
/// [`FakeGenAuth::change_pool_after_page`](crate::FakeGenAuth::change_pool_after_page).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PoolChange {
    /// Adds this user (with no `createdAt` set, it lists last; see
    /// [`PoolUser::new`]).
    Add(PoolUser),
    /// Removes the user with this `userId`.
    Remove(String),
}

/// How the fake's `list-users` pages lie, for
/// [`FakeGenAuth::with_paging`](crate::FakeGenAuth::with_paging): the
/// ways a server (or a proxy, or a buggy deployment) can page so that a
/// client that trusts it lists only part of the pool. The default,
/// [`Paging::honest`], pages as the service does. Each option can be
/// combined with the others and with a pool that changes while it is listed
/// ([`FakeGenAuth::change_pool_after_page`](crate::FakeGenAuth::change_pool_after_page)).
///
/// ```
/// use genauth_mfa::ManagementClient;
/// use genauth_mfa_fake::{FakeGenAuth, Paging};
///
/// // A server that pages by 10 whatever `limit` asks: every page is short.
/// let fake = FakeGenAuth::new()
///     .with_generated_pool(100)
///     .with_paging(Paging::honest().page_size(10));
/// let mgmt = ManagementClient::builder()
///     .access_key_id("ak")
///     .access_key_secret("sk")
///     .transport(fake.clone())
///     .build()?;
/// // A short page is not the end: all 100 users, in 10 pages and an empty one at most.
/// let users: Vec<_> = mgmt.list_users().into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(users.len(), 100);
/// # Ok::<(), genauth_mfa::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct Paging {
    pub(crate) page_size: Option<u64>,
    pub(crate) ignore_page: bool,
    pub(crate) without_total_count: bool,
    pub(crate) overlap: u64,
    pub(crate) hidden: HashSet<String>,
    pub(crate) miscount: i64,
}

impl Paging {
    /// Pages as the service does: `limit` users from `(page - 1) * limit`,
    /// and the `totalCount` of the users that match.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// assert_eq!(Paging::honest(), Paging::default());
    /// ```
    pub fn honest() -> Paging {
        Paging::default()
    }

    /// Pages by at most `size` users whatever `limit` asks (0 reads as 1):
    /// page `p` holds the users from `(p - 1) * size`, so every page is
    /// shorter than a client asking for more expects, and a client that
    /// stops at the first short page lists only the first.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Paging};
    ///
    /// let fake = FakeGenAuth::new().with_generated_pool(100).with_paging(Paging::honest().page_size(10));
    /// # let _ = fake;
    /// ```
    pub fn page_size(mut self, size: u64) -> Paging {
        self.page_size = Some(size.max(1));
        self
    }

    /// Answers page 1 whatever page is asked for: every page repeats the
    /// same users.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let lying = Paging::honest().ignore_page_number();
    /// # let _ = lying;
    /// ```
    pub fn ignore_page_number(mut self) -> Paging {
        self.ignore_page = true;
        self
    }

    /// Sends no `totalCount` in any page.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let uncounted = Paging::honest().without_total_count();
    /// # let _ = uncounted;
    /// ```
    pub fn without_total_count(mut self) -> Paging {
        self.without_total_count = true;
        self
    }

    /// Starts every page after the first `n` users early: its first `n`
    /// users are the last `n` of the page before (repeated users; none is
    /// missed). With `n` at least the page size every page is the first.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let overlapping = Paging::honest().overlap(5);
    /// # let _ = overlapping;
    /// ```
    pub fn overlap(mut self, n: u64) -> Paging {
        self.overlap = n;
        self
    }

    /// Counts the user with this `userId` in `totalCount` but leaves them
    /// out of every page (their page is one user shorter): a user the
    /// listing misses. `get-user-mfa-info` still finds them.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let missing = Paging::honest().hide_user("user-000042");
    /// # let _ = missing;
    /// ```
    pub fn hide_user(mut self, user_id: &str) -> Paging {
        self.hidden.insert(user_id.to_owned());
        self
    }

    /// Adds `delta` (which may be negative; the sum is at least 0) to every
    /// `totalCount` sent: a count that does not match the users listed.
    ///
    /// ```
    /// use genauth_mfa_fake::Paging;
    ///
    /// let overcounted = Paging::honest().miscount(5);
    /// # let _ = overcounted;
    /// ```
    pub fn miscount(mut self, delta: i64) -> Paging {
        self.miscount = delta;
        self
    }
}
