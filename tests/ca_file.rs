//! `GENAUTH_CA_FILE`, as a program built on `from_env()` meets a private
//! deployment. One test in its own binary: it changes the environment.

mod common;
mod tls_server;

use common::*;
use genauth_mfa::{AuthenticationClient, Error, ManagementClient};

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this binary has one test and no other thread reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
}

#[test]
fn genauth_ca_file_is_trusted_by_from_env_and_a_bad_one_is_named() {
    let ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-ca.pem");
    let url = tls_server::https_server(1);
    set(&[
        ("GENAUTH_APP_ID", "app"),
        ("GENAUTH_APP_HOST", &url),
        ("GENAUTH_ACCESS_TOKEN", ACCESS_TOKEN),
        ("GENAUTH_ACCESS_KEY_ID", KEY_ID),
        ("GENAUTH_ACCESS_KEY_SECRET", KEY_SECRET),
        ("GENAUTH_CA_FILE", ca),
    ]);
    let factor = AuthenticationClient::from_env()
        .unwrap()
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");

    for bad in [
        "/nonexistent/ca.pem",
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
    ] {
        set(&[("GENAUTH_CA_FILE", bad)]);
        let err = ManagementClient::from_env().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("GENAUTH_CA_FILE"), "{err}");
    }
}
