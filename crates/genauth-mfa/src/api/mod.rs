//! One file per endpoint: its entry method on a client, its request builder
//! and its `send`. The answer types are in [`crate::model`].

pub(crate) mod get_factor;
pub(crate) mod get_user_mfa_info;
pub(crate) mod list_enrolled_factors;
pub(crate) mod list_users;
