//! TLS to a private deployment: a local HTTPS server whose certificate is
//! signed by a test CA is refused by default and trusted once the CA's PEM
//! is added. (The CA and server key in tests/data are test fixtures only.)

mod common;
mod tls_server;

use std::time::{Duration, Instant};

use common::*;
use genauth_mfa::{AuthenticationClient, Error, RootStore, TransportErrorKind};
use tls_server::{CA, https_server};

fn builder(url: &str) -> genauth_mfa::AuthenticationClientBuilder {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(url)
        .access_token(ACCESS_TOKEN)
        .timeout(Duration::from_secs(5))
}

#[test]
fn a_private_ca_is_refused_by_default_without_retrying() {
    let url = https_server(1);
    let started = Instant::now();
    let err = builder(&url)
        .build()
        .unwrap()
        .get_factor("f")
        .send()
        .unwrap_err();
    match &err {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::Tls, "{source}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.attempts(), 1);
    // The message says how to trust a private CA.
    let shown = err.report().to_string();
    assert!(shown.contains("GENAUTH_CA_FILE"), "{shown}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_private_ca_is_trusted_once_its_pem_is_added() {
    for store in [RootStore::Bundled, RootStore::AddedOnly] {
        let url = https_server(1);
        let client = builder(&url)
            .add_root_certificate_pem(CA)
            .root_store(store)
            .build()
            .unwrap();
        let factor = client
            .get_factor("6229ffaxxxxxxxxcade3e3d9")
            .send()
            .unwrap();
        assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    }
}

#[test]
fn the_management_client_takes_root_certificates_too() {
    let ok = genauth_mfa::ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host("https://genauth.internal.example")
        .add_root_certificate_pem(CA)
        .build();
    assert!(ok.is_ok());
    let bad = builder("https://h.example")
        .add_root_certificate_pem(b"garbage")
        .build();
    assert!(matches!(bad, Err(Error::Config { .. })), "{bad:?}");
}
