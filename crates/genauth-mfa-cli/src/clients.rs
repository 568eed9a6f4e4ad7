//! Building the clients, once per run: from the `GENAUTH_*` variables, or
//! the sandbox (the crate's fake of the API).

use std::sync::OnceLock;

use genauth_mfa::{
    AuthenticationClient, AuthenticationClientBuilder, ManagementClient, ManagementClientBuilder,
    UreqTransport,
};
use genauth_mfa_fake::{FakeGenAuth, FakeServer};

use crate::args::Cli;
use crate::exit::{say, token_failed};

/// The sandbox's two builders, set up for the fake served on 127.0.0.1:
/// the requests go through the real transport, headers, retries and logs,
/// as a run against the service does. The one place that knows how the
/// sandbox is reached. The server lives until the process ends.
fn sandbox() -> Result<(ManagementClientBuilder, AuthenticationClientBuilder), String> {
    static SERVER: OnceLock<FakeServer> = OnceLock::new();
    let server = match SERVER.get() {
        Some(server) => server,
        None => {
            let server = FakeGenAuth::demo()
                .record_requests(false)
                .serve()
                .map_err(|e| format!("--sandbox: cannot serve the fake on 127.0.0.1: {e}"))?;
            SERVER.get_or_init(|| server)
        }
    };
    let url = server.url();
    say(format_args!(
        "genauth-mfa: --sandbox: talking to the built-in fake GenAuth on {url}, not the real service"
    ));
    let management = ManagementClient::builder()
        .access_key_id(FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .access_key_secret(FakeGenAuth::DEMO_ACCESS_KEY_SECRET)
        .host(&url);
    let authentication = AuthenticationClient::builder()
        .app_id(FakeGenAuth::DEMO_APP_ID)
        .app_host(&url)
        .access_token(FakeGenAuth::DEMO_ACCESS_TOKEN);
    Ok((management, authentication))
}

/// The management client for `threads` threads (one kept-alive connection
/// each), its access key checked: a token that cannot be fetched is the
/// same setup error for every command.
pub fn management(
    cli: &Cli,
    rate: Option<u32>,
    threads: usize,
) -> Result<ManagementClient, String> {
    let client = management_unchecked(cli, rate, threads)?;
    client.authenticate().map_err(|e| token_failed(&e))?;
    Ok(client)
}

/// The management client, its token not fetched yet (the batch engine
/// fetches it first itself).
pub fn management_unchecked(
    cli: &Cli,
    rate: Option<u32>,
    threads: usize,
) -> Result<ManagementClient, String> {
    let mut builder = if cli.sandbox {
        sandbox()?.0
    } else {
        if let Some(message) = missing(&["GENAUTH_ACCESS_KEY_ID", "GENAUTH_ACCESS_KEY_SECRET"]) {
            return Err(message);
        }
        warn_unknown_variables();
        let builder = ManagementClient::builder()
            .read_env()
            .map_err(|e| crate::exit::report(&e))?;
        builder.transport(transport(cli, threads)?)
    };
    if let Some(rate) = rate {
        builder = builder.max_requests_per_second(rate);
    }
    builder.build().map_err(|e| crate::exit::report(&e))
}

/// The client for the signed-in user's calls.
pub fn authentication(cli: &Cli) -> Result<AuthenticationClient, String> {
    let builder = if cli.sandbox {
        sandbox()?.1
    } else {
        if let Some(message) =
            missing(&["GENAUTH_APP_ID", "GENAUTH_APP_HOST", "GENAUTH_ACCESS_TOKEN"])
        {
            return Err(message);
        }
        warn_unknown_variables();
        let builder = AuthenticationClient::builder()
            .read_env()
            .map_err(|e| crate::exit::report(&e))?;
        builder.transport(transport(cli, UreqTransport::DEFAULT_IDLE_CONNECTIONS)?)
    };
    builder.build().map_err(|e| crate::exit::report(&e))
}

/// The transport to the service: `GENAUTH_CA_FILE` and `--ca-file` trusted
/// in addition to the bundled roots, one kept-alive connection for each of
/// `threads` threads; the proxy variables as the library reads them.
fn transport(cli: &Cli, threads: usize) -> Result<UreqTransport, String> {
    let mut builder = UreqTransport::builder()
        .read_env()
        .map_err(|e| crate::exit::report(&e))?
        .max_idle_connections(threads);
    if let Some(path) = &cli.ca_file {
        builder = builder
            .add_root_certificate_file(path)
            .map_err(|e| format!("--ca-file: {}", crate::exit::report(&e)))?;
    }
    builder.build().map_err(|e| crate::exit::report(&e))
}

/// The variables a command needs that are not set, with a hint for an
/// AUTHING_* look-alike.
fn missing(vars: &[&str]) -> Option<String> {
    // Set but not UTF-8 is said as such, never as "not set" (the library
    // reads such a credential as unset).
    let garbled: Vec<&str> = vars
        .iter()
        .copied()
        .filter(|v| matches!(std::env::var(v), Err(std::env::VarError::NotUnicode(_))))
        .collect();
    if !garbled.is_empty() {
        return Some(format!(
            "{} set but not valid UTF-8: set {} to the text of the credential",
            garbled.join(", "),
            garbled.join(" and ")
        ));
    }
    // Set but empty is not "not set": the library names it as empty.
    let set = |v: &str| std::env::var_os(v).is_some();
    let absent: Vec<&str> = vars.iter().copied().filter(|v| !set(v)).collect();
    if absent.is_empty() {
        return None;
    }
    let mut message = format!(
        "{} not set: set {} (or pass --sandbox to try the tool against its built-in fake)",
        absent.join(", "),
        vars.join(" and ")
    );
    for v in &absent {
        let lookalike = v.replacen("GENAUTH_", "AUTHING_", 1);
        if set(&lookalike) {
            message.push_str(&format!("; {lookalike} is set: this tool reads {v}"));
        }
    }
    // A typo in a name (GENAUTH_ACCES_KEY_ID) reads as "not set" otherwise.
    for name in unknown_variables() {
        message.push_str(&format!(
            "; {name} is set, but this tool reads no such variable (a typo?)"
        ));
    }
    Some(message)
}

/// `GENAUTH_*` variables that are set but read by nothing (at most five,
/// escaped): most likely a misspelled one.
fn unknown_variables() -> Vec<String> {
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| {
            name.to_ascii_uppercase().starts_with("GENAUTH_") && !READ.contains(&name.as_str())
        })
        .map(|name| genauth_mfa::Escaped::new(&name, 80).to_string())
        .collect();
    unknown.sort();
    unknown.truncate(5);
    unknown
}

/// One warning line for a misspelled `GENAUTH_*` variable when the
/// credentials were found: a typo in `GENAUTH_HOST` would otherwise send
/// the run to the public service without a word.
fn warn_unknown_variables() {
    for name in unknown_variables() {
        say(format_args!(
            "genauth-mfa: warning: {name} is set, but no such variable is read (a typo?)"
        ));
    }
}

/// Every `GENAUTH_*` variable the library and the tool read.
const READ: [&str; 11] = [
    "GENAUTH_ACCESS_KEY_ID",
    "GENAUTH_ACCESS_KEY_SECRET",
    "GENAUTH_ACCESS_TOKEN",
    "GENAUTH_APP_HOST",
    "GENAUTH_APP_ID",
    "GENAUTH_BRAND",
    "GENAUTH_CA_FILE",
    "GENAUTH_HOST",
    "GENAUTH_LANG",
    "GENAUTH_TENANT_ID",
    "GENAUTH_TIMEOUT",
];
