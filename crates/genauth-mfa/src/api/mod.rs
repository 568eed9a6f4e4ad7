//! One file per endpoint: its entry method on a client, its request builder
//! and its `send`. The answer types are in [`crate::model`].

pub(crate) mod get_all_departments;
pub(crate) mod get_factor;
pub(crate) mod get_global_mfa_settings;
pub(crate) mod get_user_mfa_info;
pub(crate) mod list_enrolled_factors;
pub(crate) mod list_ip_list;
pub(crate) mod list_organizations;
pub(crate) mod list_role_members;
pub(crate) mod list_user_list;
pub(crate) mod list_users;
pub(crate) mod pages;
