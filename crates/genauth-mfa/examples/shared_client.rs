//! One client shared by several threads: the token is fetched once, each
//! thread keeps its own kept-alive connection.
//!
//! ```text
//! cargo run --example shared_client -- alice@example.com bob@example.com carol@example.com
//! ```
//!
//! For a real batch, use the command-line tool: `genauth-mfa audit`.

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;

use genauth_mfa::UserIdType;

fn main() -> ExitCode {
    let ids = match support::args() {
        Ok(ids) => ids,
        Err(message) => return support::fail(message),
    };
    if ids.is_empty() {
        return support::fail("usage: shared_client EMAIL...");
    }
    let setup = support::Setup::from_env_or_sandbox();
    let mgmt = match setup.management() {
        Ok(mgmt) => mgmt,
        Err(e) => return support::fail(e.report()),
    };
    // Scoped threads borrow the client; `mgmt.clone()` (one Arc) works too.
    let answers: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| {
                let mgmt = &mgmt;
                s.spawn(move || {
                    let info = mgmt
                        .get_user_mfa_info(id)
                        .user_id_type(UserIdType::Email)
                        .send();
                    (id, info)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut code = ExitCode::SUCCESS;
    for (id, info) in answers {
        match info {
            Ok(info) => {
                let printed = support::print(format_args!(
                    "{id}: any MFA enabled: {}",
                    info.any_enabled()
                ));
                if printed != ExitCode::SUCCESS {
                    return printed;
                }
            }
            Err(e) => code = support::fail(format!("{id}: {}", e.report())),
        }
    }
    code
}
