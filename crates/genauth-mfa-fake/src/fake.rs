//! [`FakeGenAuth`]: what it knows (users, factors, keys, the pool), set up
//! builder-style, and what it saw.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::policy::{ListEntry, Organization, Policy};
use super::pool::{Paging, Pool, PoolChange};
use super::route::{Failure, RecordedRequest, Route};
use super::user::PoolUser;
use genauth_mfa::{Factor, FactorProfile, FactorType};
use genauth_mfa::{MfaStatus, UserIdType, UserMfaInfo};

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

    /// The fake the examples' sandbox and `genauth-mfa --sandbox` use: app
    /// [`DEMO_APP_ID`](Self::DEMO_APP_ID), one user access token
    /// ([`DEMO_ACCESS_TOKEN`](Self::DEMO_ACCESS_TOKEN)) with an SMS, an
    /// EMAIL and an OTP factor, the access key
    /// [`DEMO_ACCESS_KEY_ID`](Self::DEMO_ACCESS_KEY_ID) /
    /// [`DEMO_ACCESS_KEY_SECRET`](Self::DEMO_ACCESS_KEY_SECRET), a pool of
    /// [`DEMO_POOL_SIZE`](Self::DEMO_POOL_SIZE) generated users (see
    /// [`with_generated_pool`](Self::with_generated_pool)), and every user
    /// id known, with MFA statuses derived from the id's bytes (the same
    /// every run), except ids starting with `missing`: not found.
    ///
    /// Its policy shows every part of an audit that tells the truth:
    /// - the pool enables `OTP`, `SMS` and `FACE`, not `EMAIL`
    ///   ([`with_enabled_factors`](Self::with_enabled_factors)), and
    ///   `user-000004` and `user-000044` have only EMAIL enabled (a factor
    ///   the pool never asks for);
    /// - the WHITE user list lets `user-000005`, `user-000042`,
    ///   `user-000123` and `user-000777` skip MFA (`SKIP_MFA`) and
    ///   `user-000300` skip nothing (`FORBID_REGISTER`); the BLACK one
    ///   forbids `user-000666` to log in; the WHITE IP list lets
    ///   `10.0.0.0/8` skip MFA and the BLACK one forbids `203.0.113.7`;
    /// - the role `admin` (namespace `default`) holds `user-000001`,
    ///   `user-000002`, `user-000005` and `user-000013`; the role
    ///   `billing-admin` in namespace `billing` holds `user-000003` and
    ///   `user-000100`;
    /// - the organisation `acme` (Acme) has Engineering > Platform > SRE,
    ///   Engineering > Mobile, Sales > EMEA, and `labs` (Acme Labs) has
    ///   Research; generated user `i` is, by `i % 6`: 0 in Platform, 1 in
    ///   SRE, 2 in Mobile, 3 in EMEA, 4 in Sales and Research (two
    ///   departments, in two organisations), 5 in none.
    ///
    /// ```
    /// use genauth_mfa::ManagementClient;
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let mgmt = ManagementClient::builder()
    ///     .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
    ///     .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
    ///     .transport(FakeGenAuth::demo())
    ///     .build()?;
    /// assert!(mgmt.get_user_mfa_info("missing-carol").send().is_err());
    /// # Ok::<(), genauth_mfa::Error>(())
    /// ```
    #[must_use]
    pub fn demo() -> FakeGenAuth {
        let mut fake = FakeGenAuth::demo_users();
        for user in ["user-000005", "user-000042", "user-000123", "user-000777"] {
            fake = fake.with_list_entry(ListEntry::white_user(user).limit("SKIP_MFA"));
        }
        for user in ["user-000004", "user-000044"] {
            let email_only = UserMfaInfo::new().email(MfaStatus::Enabled);
            fake = fake.with_user(user, UserIdType::UserId, email_only);
        }
        fake = fake
            .with_enabled_factors(["OTP", "SMS", "FACE"])
            .with_list_entry(ListEntry::white_user("user-000300").limit("FORBID_REGISTER"))
            .with_list_entry(ListEntry::black_user("user-000666").limit("FORBID_LOGIN"))
            .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"))
            .with_list_entry(ListEntry::black_ip("203.0.113.7").limit("FORBID_LOGIN"))
            .with_role(
                "admin",
                "default",
                ["user-000001", "user-000002", "user-000005", "user-000013"],
            )
            .with_role("billing-admin", "billing", ["user-000003", "user-000100"])
            .with_organization(
                Organization::new("acme", "Acme")
                    .department("eng", "Engineering", None)
                    .department("platform", "Platform", Some("eng"))
                    .department("sre", "SRE", Some("platform"))
                    .department("mobile", "Mobile", Some("eng"))
                    .department("sales", "Sales", None)
                    .department("sales-emea", "EMEA", Some("sales")),
            )
            .with_organization(
                Organization::new("labs", "Acme Labs").department("research", "Research", None),
            );
        {
            let mut state = fake.lock();
            for i in 0..Self::DEMO_POOL_SIZE {
                let departments: &[&str] = match i % 6 {
                    0 => &["platform"],
                    1 => &["sre"],
                    2 => &["mobile"],
                    3 => &["sales-emea"],
                    4 => &["sales", "research"],
                    _ => &[],
                };
                let departments = departments.iter().map(|d| (*d).to_owned()).collect();
                state
                    .pool
                    .set_departments(&format!("user-{i:06}"), departments);
            }
        }
        fake
    }

    /// The demo's users, factors and keys, without its policy.
    fn demo_users() -> FakeGenAuth {
        let fake = FakeGenAuth::new()
            .with_app_id(Self::DEMO_APP_ID)
            .with_access_key(Self::DEMO_ACCESS_KEY_ID, Self::DEMO_ACCESS_KEY_SECRET)
            .with_generated_pool(Self::DEMO_POOL_SIZE)
            .with_factors(
                Self::DEMO_ACCESS_TOKEN,
                vec![
                    Factor::new("6229ffaxxxxxxxxcade3e3d9", FactorType::Sms)
                        .with_profile(FactorProfile::new().with_phone("188xxxx8888", "+86")),
                    Factor::new("635391f4xxxxxx6bba26ed4|email", FactorType::Email)
                        .with_profile(FactorProfile::new().with_email("alice@example.com")),
                    Factor::new("635391f4xxxxxx6bba26ed5", FactorType::Otp),
                ],
            );
        fake.lock().derive_unknown_users = true;
        fake
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

    /// The factors the pool enables, as `get-global-mfa-settings` answers
    /// them (`enabledFactors`): `OTP`, `SMS`, `EMAIL`, `FACE` or any other
    /// text, in the order given. A new fake enables all four.
    ///
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// // A pool that has switched EMAIL off, and enables a factor no client knows yet.
    /// let fake = FakeGenAuth::new().with_enabled_factors(["OTP", "SMS", "FACE", "WEBAUTHN"]);
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_enabled_factors<I>(self, factors: I) -> FakeGenAuth
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.lock().policy.enabled_factors = factors.into_iter().map(Into::into).collect();
        self
    }

    /// Adds `entry` to the pool's user list (`user-list`) or IP list
    /// (`ip-list`), after the entries added before it. Both list pages as
    /// `list-users` does: `page` from 1, `limit` 1 to 50 (default 10; more
    /// is refused, 400), a page past the end is an empty `list`, and
    /// `userListType` / `ipType` must be `WHITE` or `BLACK` (else 400).
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, ListEntry};
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_list_entry(ListEntry::white_user("break-glass").limit("SKIP_MFA"))
    ///     .with_list_entry(ListEntry::white_ip("10.0.0.0/8").limit("SKIP_MFA"));
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_list_entry(self, entry: ListEntry) -> FakeGenAuth {
        self.lock().policy.entries.push(entry);
        self
    }

    /// Gives the pool the role `code` in the permission namespace
    /// `namespace` (`"default"` for the one `list-role-members` reads when
    /// the call names none), held by the users with these `userId`s, in
    /// this order (it replaces a role with the same code and namespace).
    /// `list-role-members` pages them as `list-users` does and answers each
    /// one's `UserDto` from the pool (with `departmentIds` when asked); a
    /// member the pool does not hold is a bare `UserDto` (`userId`,
    /// `createdAt`, `status`). A role the fake does not know is
    /// `statusCode` 404.
    ///
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(10)
    ///     .with_role("admin", "default", ["user-000001", "user-000002"])
    ///     .with_role("billing-admin", "billing", ["user-000003"]);
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_role<I>(self, code: &str, namespace: &str, members: I) -> FakeGenAuth
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let members = members.into_iter().map(Into::into).collect();
        self.lock()
            .policy
            .roles
            .insert((namespace.to_owned(), code.to_owned()), members);
        self
    }

    /// Adds the organisation `organization` and its departments (it
    /// replaces one with the same code). `list-organizations` pages the
    /// organisations as `list-users` does (`fetchAll=true`: all in one
    /// page); `get-all-departments` answers one organisation's departments
    /// in one answer; an unknown organisation or department is 404.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Organization};
    ///
    /// let fake = FakeGenAuth::new().with_organization(
    ///     Organization::new("acme", "Acme").department("eng", "Engineering", None),
    /// );
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_organization(self, organization: Organization) -> FakeGenAuth {
        self.lock().policy.add_organization(organization);
        self
    }

    /// Puts the pool's user `user_id` (a generated one too) in these
    /// departments, the first its main one (none: in no department). Their
    /// `UserDto` then has `mainDepartmentId`, and `departmentIds` when
    /// `list-users` is asked `options.withDepartmentIds: true` (or
    /// `list-role-members` `withDepartmentIds=true`); a user in no
    /// department has `"departmentIds": []`. The departments'
    /// `membersCount` counts them.
    ///
    /// ```
    /// use genauth_mfa_fake::{FakeGenAuth, Organization};
    ///
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(3)
    ///     .with_organization(
    ///         Organization::new("acme", "Acme")
    ///             .department("eng", "Engineering", None)
    ///             .department("sales", "Sales", None),
    ///     )
    ///     .with_user_departments("user-000000", ["eng"])
    ///     .with_user_departments("user-000001", ["eng", "sales"]);
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_user_departments<I>(self, user_id: &str, departments: I) -> FakeGenAuth
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let departments = departments.into_iter().map(Into::into).collect();
        self.lock().pool.set_departments(user_id, departments);
        self
    }

    /// A generated organisation for large pools: `code` named `name`,
    /// with `departments` departments `<code>-d<j>` named `D<j>` in a tree
    /// ten wide (`d0`..`d9` under the root, `d<j>` under `d<j/10 - 1>`),
    /// and the generated users put in them by a rule on their index, with
    /// no memory per user: every eleventh user (`i % 11 == 10`) in none;
    /// user `i` in `d<i % departments>`, and every seventh also in
    /// `d<(i / 7) % departments>`. Users set with
    /// [`with_user_departments`](Self::with_user_departments) keep theirs.
    /// ```
    /// use genauth_mfa_fake::FakeGenAuth;
    /// let fake = FakeGenAuth::new()
    ///     .with_generated_pool(1_000)
    ///     .with_generated_departments("big", "Big Corp", 100);
    /// # let _ = fake;
    /// ```
    #[must_use]
    pub fn with_generated_departments(
        self,
        code: &str,
        name: &str,
        departments: u32,
    ) -> FakeGenAuth {
        let mut organization = Organization::new(code, name);
        for j in 0..departments {
            let parent = (j >= 10).then(|| format!("{code}-d{}", j / 10 - 1));
            organization =
                organization.push_department(&format!("{code}-d{j}"), &format!("D{j}"), parent);
        }
        {
            let mut state = self.lock();
            state.policy.add_organization(organization);
            state.pool.generate_departments(code, departments);
        }
        self
    }

    /// Every request for `route` fails with `failure` from now on (after
    /// the failures [`fail_next`](Self::fail_next) queued), until
    /// [`clear_failures`](Self::clear_failures): a key that may not read a
    /// part of the pool, say (statusCode 403; 402 when the plan lacks the
    /// feature). With [`Route::Any`] every request fails, the token
    /// request too.
    ///
    /// ```
    /// use genauth_mfa_fake::{Failure, FakeGenAuth, Route};
    ///
    /// let fake = FakeGenAuth::demo();
    /// fake.fail_always(Route::UserList, Failure::api(403, None, "no permission"));
    /// fake.fail_always(Route::GetGlobalMfaSettings, Failure::api(402, None, "upgrade your plan"));
    /// ```
    pub fn fail_always(&self, route: Route, failure: Failure) {
        self.lock().lasting_failures.push((route, failure));
    }

    /// Forgets every failure [`fail_next`](Self::fail_next) queued and
    /// every one [`fail_always`](Self::fail_always) set.
    ///
    /// ```
    /// use genauth_mfa_fake::{Failure, FakeGenAuth, Route};
    ///
    /// let fake = FakeGenAuth::demo();
    /// fake.fail_always(Route::IpList, Failure::Throttled);
    /// fake.clear_failures();
    /// ```
    pub fn clear_failures(&self) {
        let mut state = self.lock();
        state.failures.clear();
        state.lasting_failures.clear();
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
