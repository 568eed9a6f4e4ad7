//! The main job: which MFA factors does a user have?
//!
//! ```text
//! cargo run --example quickstart                      # local sandbox, no credentials needed
//! GENAUTH_APP_ID=.. GENAUTH_APP_HOST=.. GENAUTH_ACCESS_TOKEN=.. \
//! GENAUTH_ACCESS_KEY_ID=.. GENAUTH_ACCESS_KEY_SECRET=.. \
//!     cargo run --example quickstart -- alice@example.com --user-id-type email
//! ```
//!
//! With no `GENAUTH_*` variables it serves the crate's fake GenAuth
//! (`genauth_mfa_fake::FakeGenAuth::demo()`) on 127.0.0.1, says so on
//! stderr, and makes all three calls to it through the real HTTP transport;
//! at the end it says how many requests that server answered. With
//! variables set, it talks to the real service: the authentication calls
//! when `GENAUTH_ACCESS_TOKEN` is set and the management call when
//! `GENAUTH_ACCESS_KEY_ID` is set and a user id is given. Prints the results
//! as JSON (the user's MFA info in the same shape as a `genauth-mfa audit`
//! row); on error, one line on stderr and exit 1.

#[path = "support/mod.rs"]
pub mod support;

use std::process::ExitCode;

use genauth_mfa::{Error, UserIdType};
use serde_json::{Map, Value, json};

fn main() -> ExitCode {
    let args = match support::args() {
        Ok(args) => args,
        Err(message) => return support::fail(message),
    };
    let (user_id, user_id_type) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => return support::fail(message),
    };
    let setup = support::Setup::from_env_or_sandbox();
    let result = run(&setup, user_id, user_id_type);
    if let Some(sandbox) = setup.as_sandbox() {
        support::note(format_args!(
            "note: the sandbox server at {} answered {} requests",
            sandbox.url(),
            sandbox.requests_served()
        ));
    }
    support::finish(result)
}

/// The three calls, against the sandbox or the service `setup` points at.
pub fn run(
    setup: &support::Setup,
    user_id: Option<String>,
    user_id_type: Option<UserIdType>,
) -> Result<Value, Error> {
    // Set but empty counts as set: the client then says it is empty.
    let set = |v: &str| std::env::var_os(v).is_some();
    let mut out = Map::new();

    if setup.is_sandbox() || set("GENAUTH_ACCESS_TOKEN") {
        let auth = setup.authentication()?;
        let factors = auth.list_enrolled_factors().send()?;
        if let Some(first) = factors.first() {
            let factor = auth.get_factor(&first.factor_id).send()?;
            out.insert("factor".into(), json!(factor));
        }
        out.insert("enrolledFactors".into(), json!(factors));
    } else {
        support::note(format_args!(
            "note: GENAUTH_ACCESS_TOKEN is not set: skipping get-factor and list-enrolled-factors"
        ));
    }

    if setup.is_sandbox() || set("GENAUTH_ACCESS_KEY_ID") {
        let (user_id, user_id_type) = match (user_id, setup.is_sandbox()) {
            (Some(id), _) => (id, user_id_type),
            (None, true) => ("alice@example.com".to_owned(), Some(UserIdType::Email)),
            (None, false) => {
                support::note(format_args!(
                    "note: no user id given: skipping get-user-mfa-info (pass one as the first argument)"
                ));
                return Ok(Value::Object(out));
            }
        };
        let mgmt = setup.management()?;
        let mut request = mgmt.get_user_mfa_info(&user_id);
        if let Some(t) = user_id_type {
            request = request.user_id_type(t);
        }
        let info = request.send()?;
        let mut row = json!(info);
        row["userId"] = json!(user_id);
        row["anyEnabled"] = json!(info.any_enabled());
        out.insert("userMfaInfo".into(), row);
    } else {
        support::note(format_args!(
            "note: GENAUTH_ACCESS_KEY_ID is not set: skipping get-user-mfa-info"
        ));
    }
    Ok(Value::Object(out))
}

fn parse_args(args: &[String]) -> Result<(Option<String>, Option<UserIdType>), String> {
    let mut user_id = None;
    let mut user_id_type = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--user-id-type" => {
                let t = it.next().ok_or("--user-id-type needs a value")?;
                user_id_type = Some(t.parse::<UserIdType>().map_err(|e| e.to_string())?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            id if user_id.is_none() => user_id = Some(id.to_owned()),
            extra => return Err(format!("unexpected argument {extra:?}")),
        }
    }
    Ok((user_id, user_id_type))
}
