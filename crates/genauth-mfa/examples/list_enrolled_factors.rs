//! Prints every MFA factor the signed-in user has enrolled, as JSON.
//!
//! ```text
//! cargo run --example list_enrolled_factors
//! ```
//!
//! Reads `GENAUTH_APP_ID`, `GENAUTH_APP_HOST`, `GENAUTH_ACCESS_TOKEN` (and the
//! optional `GENAUTH_BRAND`, `GENAUTH_LANG`, `GENAUTH_TENANT_ID`); with no
//! `GENAUTH_*` credentials it runs against a local sandbox server.

#[path = "support/mod.rs"]
mod support;

use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().len() > 1 {
        return support::fail("usage: list_enrolled_factors (no arguments)");
    }
    let setup = support::Setup::from_env_or_sandbox();
    support::finish(
        setup
            .authentication()
            .and_then(|auth| auth.list_enrolled_factors().send()),
    )
}
