//! The demo pool `--sandbox` and the quickstart talk to.

use genauth_mfa::{Factor, FactorProfile, FactorType, MfaStatus, UserIdType, UserMfaInfo};

use super::FakeGenAuth;
use crate::policy::{ListEntry, Organization};

impl FakeGenAuth {
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
}
