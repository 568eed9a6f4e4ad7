//! Prints which MFA factors a user of the pool has bound, as JSON.
//!
//! ```text
//! cargo run --example get_user_mfa_info -- alice@example.com --user-id-type email
//! ```
//!
//! Types: user_id (the server's default), phone, email, username,
//! external_id, identity, sync_relation, custom_field. Reads
//! `GENAUTH_ACCESS_KEY_ID`, `GENAUTH_ACCESS_KEY_SECRET` and the optional
//! `GENAUTH_HOST`, `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`; with
//! no `GENAUTH_*` credentials it runs against a local sandbox server.

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;

use genauth_mfa::UserIdType;

const USAGE: &str = "usage: get_user_mfa_info <user-id> [--user-id-type TYPE]";

fn main() -> ExitCode {
    let args = match support::args() {
        Ok(args) => args,
        Err(message) => return support::fail(message),
    };
    let (user_id, user_id_type) = match args.as_slice() {
        [id] if !id.starts_with("--") => (id, None),
        [id, flag, t] | [flag, t, id] if flag == "--user-id-type" => {
            match t.parse::<UserIdType>() {
                Ok(t) => (id, Some(t)),
                Err(e) => return support::fail(e),
            }
        }
        _ => return support::fail(USAGE),
    };
    let setup = support::Setup::from_env_or_sandbox();
    support::finish(setup.management().and_then(|mgmt| {
        let mut request = mgmt.get_user_mfa_info(user_id);
        if let Some(t) = user_id_type {
            request = request.user_id_type(t);
        }
        request.send()
    }))
}
