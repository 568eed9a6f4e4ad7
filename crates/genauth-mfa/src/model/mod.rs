//! The answer types: factors, MFA statuses, users and their pages, the
//! pool's MFA settings, its user and IP lists, organisations and
//! departments, and the lenient serde
//! helpers that read them from what the server sends.
//!
//! Everything here is also at the crate root (`genauth_mfa::Factor` is
//! `genauth_mfa::model::Factor`).
//!
//! ```
//! use genauth_mfa::model::{FactorType, MfaStatus, UserStatus};
//!
//! assert_eq!(FactorType::from("OTP"), FactorType::Otp);
//! assert!(MfaStatus::Enabled.is_enabled());
//! assert_eq!(UserStatus::Activated.as_str(), "Activated");
//! ```

mod factor;
pub(crate) mod lenient;
pub(crate) mod mfa;
mod mfa_settings;
mod organization;
pub(crate) mod page;
mod risk_list;
mod time;
pub(crate) mod user;

pub use factor::{Factor, FactorProfile, FactorType};
pub use mfa::{MfaStatus, UserIdType, UserMfaInfo};
pub use mfa_settings::MfaSettings;
pub use organization::{Department, Organization};
pub use page::UserPage;
pub use risk_list::{IpListEntry, IpListType, LimitKind, UserListEntry, UserListType};
pub use time::{civil_from_days, iso8601_utc};
pub use user::{User, UserStatus};
