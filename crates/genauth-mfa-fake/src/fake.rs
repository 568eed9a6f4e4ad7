//! [`FakeGenAuth`]: what it knows (users, factors, keys, the pool), set up
//! builder-style, and what it saw.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::paging::{Paging, PoolChange};
use super::policy::Policy;
use super::pool::Pool;
use super::route::{Failure, RecordedRequest, Route};
use super::user::PoolUser;
use genauth_mfa::Factor;
use genauth_mfa::{UserIdType, UserMfaInfo};

mod demo;
mod policy;

#[derive(Default)]
pub(super) struct State {
    pub(super) users: HashMap<(String, UserIdType), UserMfaInfo>,
    pub(super) derive_unknown_users: bool,
    pub(super) factors: HashMap<String, Vec<Factor>>,
    pub(super) access_key: Option<(String, String)>,
    pub(super) app_id: Option<String>,
    pub(super) user_pool_id: String,
    pub(super) token_lifetime: Duration,
    pub(super) issued: Vec<String>,
    pub(super) failures: VecDeque<(Route, Failure)>,
    /// Failures kept until cleared, after the one-shot ones.
    pub(super) lasting_failures: Vec<(Route, Failure)>,
    pub(super) policy: Policy,
    pub(super) requests: Vec<RecordedRequest>,
    /// How many requests each endpoint got, recorded or not.
    pub(super) counts: HashMap<Route, usize>,
    pub(super) not_recording: bool,
    pub(super) answered: u64,
    pub(super) pool: Pool,
}

/// A fake of the GenAuth API, in process or over HTTP; see the
/// [module docs](super).
///
/// Cheap to clone: clones share their users, pool, factors, failures and
/// recorded requests, so keep one clone to configure and inspect while a
/// client (or a [`FakeServer`](super::FakeServer)) owns another.
#[derive(Clone)]
pub struct FakeGenAuth {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for FakeGenAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("FakeGenAuth")
            .field("users", &state.users.len())
            .field("pool_users", &state.pool.len())
            .field("access_tokens", &state.factors.len())
            .field("user_pool_id", &state.user_pool_id)
            .field("pending_failures", &state.failures.len())
            .field("requests", &state.requests.len())
            .finish()
    }
}

impl Default for FakeGenAuth {
    fn default() -> Self {
        FakeGenAuth::new()
    }
}

impl FakeGenAuth {
    /// The user pool id of the fake's management tokens unless
    /// [`with_user_pool_id`](Self::with_user_pool_id) says otherwise.
    pub const USER_POOL_ID: &'static str = "62e221f85f5ac5cc47037a0f";
    /// The app id the [`demo`](Self::demo) fake expects.
    pub const DEMO_APP_ID: &'static str = "demo-app";
    /// The user access token the [`demo`](Self::demo) fake knows.
    pub const DEMO_ACCESS_TOKEN: &'static str = "demo-user-access-token";
    /// The access key id the [`demo`](Self::demo) fake accepts.
    pub const DEMO_ACCESS_KEY_ID: &'static str = "demo-access-key-id";
    /// The access key secret the [`demo`](Self::demo) fake accepts.
    pub const DEMO_ACCESS_KEY_SECRET: &'static str = "demo-access-key-secret";
    /// How many users the [`demo`](Self::demo) fake's pool holds.
    pub const DEMO_POOL_SIZE: u32 = 1_000;

    /// A fake with no users, an empty pool and no factors, that accepts any
    /// access key.
    ///
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new();
    /// assert!(fake.requests().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> FakeGenAuth {
        FakeGenAuth {
            state: Arc::new(Mutex::new(State {
                user_pool_id: Self::USER_POOL_ID.to_owned(),
                token_lifetime: Duration::from_secs(7200),
                ..State::default()
            })),
        }
    }

    /// Knows the user `id` read as `id_type`, with these MFA statuses (for
    /// `get-user-mfa-info` only; [`with_pool_user`](Self::with_pool_user)
    /// adds a user that `list-users` lists too). A call that sends no
    /// `userIdType` reads the id as [`UserIdType::UserId`], as the service
    /// does.
    ///
    /// ```
    /// use genauth_mfa::{MfaStatus, UserIdType, UserMfaInfo};
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new().with_user("u1", UserIdType::UserId, UserMfaInfo::new().totp(true));
    /// ```
    #[must_use]
    pub fn with_user(self, id: &str, id_type: UserIdType, info: UserMfaInfo) -> FakeGenAuth {
        self.lock().users.insert((id.to_owned(), id_type), info);
        self
    }

    /// Adds `user` to the pool that `list-users` lists; `get-user-mfa-info`
    /// answers its statuses by `userId` (and by its email, phone, username
    /// or external id, when it has them). A user with the same `userId` is
    /// replaced.
    ///
    /// ```
    /// use genauth_mfa::UserMfaInfo;
    /// use genauth_mfa_fake::{FakeGenAuth, PoolUser};
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_pool_user(PoolUser::new("u1").email("a@example.com"))
    ///     .with_pool_user(PoolUser::new("u2").status("Suspended").mfa(UserMfaInfo::new().sms(true)));
    /// ```
    #[must_use]
    pub fn with_pool_user(self, user: PoolUser) -> FakeGenAuth {
        self.add_pool_user(user);
        self
    }

    /// Puts `n` generated users in the pool instead of the generated users
    /// it had (the ones added by [`with_pool_user`](Self::with_pool_user)
    /// stay). User `i` (from 0) has the `userId` `user-{i:06}`
    /// (`user-000000`, `user-000001`, ...), a `createdAt` `i` minutes after
    /// 2024-01-01T00:00:00Z, status `Suspended` when `i % 20 == 7`,
    /// `Deactivated` when `i % 20 == 13` and `Activated` otherwise, an
    /// email, phone and username made from `i`, and MFA statuses derived
    /// from its id as the [`demo`](Self::demo) fake's. A generated user
    /// costs 16 bytes until a page holds it: a pool of 100,000 is cheap.
    ///
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new().with_generated_pool(100_000);
    /// assert_eq!(fake.pool_len(), 100_000);
    /// ```
    #[must_use]
    pub fn with_generated_pool(self, n: u32) -> FakeGenAuth {
        self.lock().pool.generate(n);
        self
    }

    /// Knows the user access token `access_token`, whose user has enrolled
    /// `factors`.
    ///
    /// ```
    /// use genauth_mfa::{Factor, FactorType};
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new().with_factors("tok", vec![Factor::new("f1", FactorType::Otp)]);
    /// ```
    #[must_use]
    pub fn with_factors(self, access_token: &str, factors: Vec<Factor>) -> FakeGenAuth {
        self.lock().factors.insert(access_token.to_owned(), factors);
        self
    }

    /// Accepts only this access key at the token endpoint (by default any
    /// non-empty key is accepted).
    #[must_use]
    pub fn with_access_key(self, id: &str, secret: &str) -> FakeGenAuth {
        self.lock().access_key = Some((id.to_owned(), secret.to_owned()));
        self
    }

    /// Expects this app id on authentication calls (by default any app id
    /// is accepted, but one must be sent).
    #[must_use]
    pub fn with_app_id(self, app_id: &str) -> FakeGenAuth {
        self.lock().app_id = Some(app_id.to_owned());
        self
    }

    /// Puts this user pool id in the management tokens and expects it back.
    #[must_use]
    pub fn with_user_pool_id(self, id: &str) -> FakeGenAuth {
        self.lock().user_pool_id = id.to_owned();
        self
    }

    /// Gives management tokens this lifetime (`expires_in` and the JWT's
    /// `exp`; default 2 hours).
    #[must_use]
    pub fn with_token_lifetime(self, lifetime: Duration) -> FakeGenAuth {
        self.lock().token_lifetime = lifetime;
        self
    }

    /// Whether to keep every request for [`requests`](Self::requests) (on by
    /// default). Turn it off for a long run, whose requests would otherwise
    /// all stay in memory; [`count`](Self::count) counts them either way.
    #[must_use]
    pub fn record_requests(self, on: bool) -> FakeGenAuth {
        self.lock().not_recording = !on;
        self
    }

    /// The next request for `route` fails with `failure` (each failure is
    /// used once, in the order given).
    ///
    /// ```
    /// use genauth_mfa_fake::{Failure, FakeGenAuth, Route};
    ///
    /// let fake = FakeGenAuth::demo();
    /// fake.fail_next(Route::ListUsers, Failure::Throttled);
    /// ```
    pub fn fail_next(&self, route: Route, failure: Failure) {
        self.lock().failures.push_back((route, failure));
    }

    /// Adds `user` to the pool now, as [`with_pool_user`](Self::with_pool_user)
    /// does: a user who signs up while the pool is being listed.
    pub fn add_pool_user(&self, user: PoolUser) {
        self.lock().pool.add(user);
    }

    /// Removes the pool's user with this `userId` now (a generated one
    /// too); whether there was one. `get-user-mfa-info` no longer finds
    /// them in the pool.
    #[must_use = "false: there was no such user to remove"]
    pub fn remove_pool_user(&self, user_id: &str) -> bool {
        self.lock().pool.remove(user_id)
    }

    /// Once the fake has answered a `list-users` request for page `page`
    /// (its first such answer), it makes `change` to its pool: the pages
    /// after it see the changed pool, as a listing does when users sign up
    /// or are deleted while it runs. Works over a
    /// [`FakeServer`](super::FakeServer) too, where a test cannot step in
    /// between two pages.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, PoolChange, PoolUser};
    ///
    /// let fake = FakeGenAuth::new().with_generated_pool(120);
    /// fake.change_pool_after_page(1, PoolChange::Remove("user-000003".into()));
    /// fake.change_pool_after_page(2, PoolChange::Add(PoolUser::new("newcomer")));
    /// ```
    pub fn change_pool_after_page(&self, page: u64, change: PoolChange) {
        self.lock().pool.change_after_page(page, change);
    }

    /// Pages `list-users` this way from now on (see [`Paging`]; the
    /// default is [`Paging::honest`]).
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Paging};
    ///
    /// // Every page is page 1, with no totalCount.
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(120)
    ///     .with_paging(Paging::honest().ignore_page_number().without_total_count());
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_paging(self, paging: Paging) -> FakeGenAuth {
        self.set_paging(paging);
        self
    }

    /// Pages `list-users` this way from now on, as
    /// [`with_paging`](Self::with_paging) does, on a fake already shared.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Paging};
    ///
    /// let fake = FakeGenAuth::new().with_generated_pool(10);
    /// fake.set_paging(Paging::honest().miscount(-1));
    /// ```
    pub fn set_paging(&self, paging: Paging) {
        self.lock().pool.paging = paging;
    }

    /// How many users the pool holds now.
    #[must_use]
    pub fn pool_len(&self) -> usize {
        self.lock().pool.len()
    }

    /// Every request received so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many of the requests received so far were for `route`
    /// ([`Route::Any`]: for any endpoint the fake plays), whether or not
    /// they are [recorded](Self::record_requests).
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Route};
    ///
    /// assert_eq!(FakeGenAuth::new().count(Route::Any), 0);
    /// ```
    #[must_use]
    pub fn count(&self, route: Route) -> usize {
        let state = self.lock();
        match route {
            Route::Any => state.counts.values().sum(),
            route => state.counts.get(&route).copied().unwrap_or(0),
        }
    }

    /// Forgets the requests received so far (and their counts).
    pub fn clear_requests(&self) {
        let mut state = self.lock();
        state.requests.clear();
        state.counts.clear();
    }

    /// Forgets the management tokens issued so far, as when they expire:
    /// calls made with them are refused as unauthenticated.
    pub fn revoke_tokens(&self) {
        self.lock().issued.clear();
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock leaves usable data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
