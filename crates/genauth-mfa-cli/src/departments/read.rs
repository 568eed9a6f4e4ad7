//! Reading the organisations and their departments through the audit's
//! client (its limiter and retries), before the first user.

use genauth_mfa::{Error, ManagementClient};

use super::Departments;
use crate::exit::say;

/// The most organisations read (each costs one call).
const MAX_ORGANIZATIONS: usize = 100_000;

/// Every organisation's departments, or `None` (said in one warning line)
/// when a read is refused (statusCode 403 or 402) or fails for good: the
/// departments are then unknown, and the audit goes on without them.
pub fn read(client: &ManagementClient) -> Option<Departments> {
    // On a thread of its own, and copied out of it: the answers (an
    // organisation's every department in one) are parsed and dropped in
    // that thread's allocator arena, which then gives its memory back
    // rather than leave it resident beside the audit's own.
    let read = std::thread::scope(|s| {
        let reader = std::thread::Builder::new()
            .name("departments".into())
            .spawn_scoped(s, || read_all(client));
        match reader {
            Ok(reader) => reader.join().ok(),
            Err(_) => None,
        }
    });
    let read = read.unwrap_or_else(|| read_all(client));
    match read.map(|d| d.compact()) {
        Ok(departments) => Some(departments),
        Err(e) => {
            let why = if e.is_access_denied() {
                "the access key may not read them"
            } else {
                "the read failed"
            };
            say(format_args!(
                "genauth-mfa: warning: the departments are unknown ({why}: {}): byDepartment \
                 is null and the departments column empty; the audit goes on",
                crate::row::clean(&e.report().to_string(), 300)
            ));
            None
        }
    }
}

fn read_all(client: &ManagementClient) -> Result<Departments, Error> {
    let mut organizations = Vec::new();
    for organization in client.list_organizations() {
        organizations.push(organization?);
        if organizations.len() >= MAX_ORGANIZATIONS {
            break;
        }
    }
    let mut departments = Departments::default();
    for organization in &organizations {
        let list = client
            .get_all_departments(&organization.organization_code)
            .send()?;
        departments.add(organization, &list);
    }
    Ok(departments)
}
