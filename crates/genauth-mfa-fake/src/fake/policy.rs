//! Setting up the pool's MFA policy: its enabled factors, user and IP
//! lists, roles, organisations and departments; failures that last.

use super::FakeGenAuth;
use crate::policy::{ListEntry, Organization};
use crate::route::{Failure, Route};

impl FakeGenAuth {
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
}
