//! An audit's options, resolved once from its command line.

use std::path::PathBuf;
use std::sync::Arc;

use genauth_mfa::{UserIdType, UserStatus};

use crate::admins::AdminRole;
use crate::exemptions::{Day, Exemptions};
use crate::policy::Policy;
use crate::row::csv::Group;
use crate::row::{Columns, Format};

/// An audit's options, resolved from its command line.
pub struct AuditOptions {
    pub input: Option<PathBuf>,
    pub user_id_type: Option<UserIdType>,
    pub comments: bool,
    pub concurrency: usize,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub resume: bool,
    /// `--all-users`: list the pool instead of reading ids.
    pub all_users: bool,
    /// `--status`: only the listed users with this account status.
    pub status: Option<UserStatus>,
    /// `--summary FILE`.
    pub summary: Option<PathBuf>,
    /// `--require`.
    pub policy: Option<Policy>,
    /// `--metrics FILE`.
    pub metrics: Option<PathBuf>,
    /// `--history DIR`.
    pub history: Option<PathBuf>,
    /// `--admin-role`, in the order given.
    pub admin_roles: Vec<AdminRole>,
    /// `--require-admins`.
    pub require_admins: Option<Policy>,
    /// `--exemptions FILE`, read.
    pub exemptions: Option<Arc<Exemptions>>,
    /// Today (UTC), read from the clock once: when exemptions expire.
    pub today: Day,
    /// `--by department`.
    pub by_department: bool,
}

impl AuditOptions {
    /// The type the ids are asked as, in every row (`--all-users` asks by
    /// user_id; without --user-id-type the server takes user_id).
    pub fn id_type(&self) -> &'static str {
        match self.user_id_type {
            Some(t) if !self.all_users => t,
            _ => UserIdType::UserId,
        }
        .as_str()
    }

    /// Whether the ids are `user_id`s, which the SKIP_MFA list and the
    /// roles name users by.
    pub fn by_user_id(&self) -> bool {
        self.id_type() == UserIdType::UserId.as_str()
    }

    /// The columns the options add to a new output.
    pub fn groups(&self) -> Vec<Group> {
        let mut groups = Vec::new();
        if self.exemptions.is_some() {
            groups.push(Group::Exemptions);
        }
        if self.by_department {
            groups.push(Group::Departments);
        }
        groups
    }

    pub fn columns(&self) -> Columns {
        if self.all_users {
            Columns::Pool
        } else {
            Columns::File
        }
    }
}
