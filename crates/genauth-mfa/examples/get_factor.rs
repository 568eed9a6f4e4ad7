//! Prints one enrolled MFA factor of the signed-in user as JSON.
//!
//! ```text
//! cargo run --example get_factor -- 6229ffaxxxxxxxxcade3e3d9
//! ```
//!
//! Reads `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`, `GENAUTH_ACCESS_TOKEN` (and the
//! optional `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`); with no
//! `GENAUTH_*` credentials it runs against a local sandbox server.

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match support::args() {
        Ok(args) => args,
        Err(message) => return support::fail(message),
    };
    let [factor_id] = args.as_slice() else {
        return support::fail("usage: get_factor <factor-id>");
    };
    let setup = support::Setup::from_env_or_sandbox();
    support::finish(
        setup
            .authentication()
            .and_then(|auth| auth.get_factor(factor_id).send()),
    )
}
