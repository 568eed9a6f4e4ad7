//! TLS to a private deployment: a local HTTPS server whose certificate is
//! signed by a test CA is refused by default and trusted once the CA's PEM
//! is added. (The CA and server key in tests/data are test fixtures only.)

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::tls_server;

use std::time::Duration;

use common::*;
use genauth_mfa::{AuthenticationClient, Error, RootStore, TransportErrorKind, UreqTransport};
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
}

#[test]
fn a_private_ca_is_trusted_once_its_pem_is_added() {
    for store in [RootStore::Bundled, RootStore::AddedOnly] {
        let url = https_server(1);
        let transport = UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .root_store(store)
            .build()
            .unwrap();
        let client = builder(&url).transport(transport).build().unwrap();
        let factor = client
            .get_factor("6229ffaxxxxxxxxcade3e3d9")
            .send()
            .unwrap();
        assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    }
}

#[test]
fn the_transport_takes_root_certificates_for_either_client_and_refuses_garbage() {
    let transport = UreqTransport::builder()
        .add_root_certificate_pem(CA)
        .build()
        .unwrap();
    let ok = genauth_mfa::ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .host("https://genauth.internal.example")
        .transport(transport)
        .build();
    assert!(ok.is_ok());
    let bad = UreqTransport::builder()
        .add_root_certificate_pem(b"garbage")
        .build();
    assert!(matches!(bad, Err(Error::Config { .. })), "{bad:?}");
}

/// The report of a get-factor call to `url` through a client trusting `ca`.
fn refused(url: &str, ca: Option<&[u8]>) -> String {
    let mut transport = UreqTransport::builder();
    if let Some(ca) = ca {
        transport = transport.add_root_certificate_pem(ca);
    }
    let err = builder(url)
        .transport(transport.build().unwrap())
        .build()
        .unwrap()
        .get_factor("f")
        .send()
        .unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Tls),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 1, "a refused certificate is not retried");
    err.report().to_string()
}

#[test]
fn a_certificate_error_says_what_to_do_about_its_own_cause() {
    use tls_server::*;

    // Expired: the CA is trusted, the certificate ran out in 2021.
    let url = https_server_with(EXPIRED_CERT, EXPIRED_KEY, 1);
    let shown = refused(&url, Some(TRANSPORT_CA));
    assert!(shown.contains("expired"), "{shown}");
    assert!(shown.contains("clock"), "{shown}");
    assert!(!shown.contains("GENAUTH_CA_FILE"), "{shown}");

    // Wrong name: trusted and current, but for genauth.internal.example.
    let url = https_server_with(INTERNAL_CERT, INTERNAL_KEY, 1);
    let shown = refused(&url, Some(TRANSPORT_CA));
    assert!(shown.contains("not valid for 127.0.0.1"), "{shown}");
    assert!(!shown.contains("GENAUTH_CA_FILE to"), "{shown}");

    // Unknown issuer although a CA was added: the added CA is not the one.
    let url = https_server(1);
    let shown = refused(&url, Some(TRANSPORT_CA));
    assert!(shown.contains("not signed by any trusted"), "{shown}");
    assert!(shown.contains("1 added root certificate"), "{shown}");
    assert!(!shown.contains("set GENAUTH_CA_FILE"), "{shown}");

    // Unknown issuer and nothing added: how to add the private CA.
    let url = https_server(1);
    let shown = refused(&url, None);
    assert!(shown.contains("set GENAUTH_CA_FILE"), "{shown}");
}
