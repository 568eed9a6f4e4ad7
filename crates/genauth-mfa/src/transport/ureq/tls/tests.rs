use super::*;
use crate::transport::UreqTransport;

#[test]
fn bad_root_certificates_are_configuration_errors() {
    for pem in [
        &b""[..],
        b"not a pem",
        b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
    ] {
        let err = UreqTransport::builder()
            .add_root_certificate_pem(pem)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
    }
}

#[test]
fn added_roots_are_trusted_in_addition_to_the_bundle_unless_told_otherwise() {
    const CA: &[u8] = include_bytes!("../../../../tests/data/test-ca.pem");
    let bundled = UreqTransport::builder()
        .add_root_certificate_pem(CA)
        .tls_config()
        .unwrap()
        .0;
    let only = UreqTransport::builder()
        .add_root_certificate_pem(CA)
        .root_store(RootStore::AddedOnly)
        .tls_config()
        .unwrap()
        .0;
    let count = |tls: &ureq::tls::TlsConfig| match tls.root_certs() {
        ureq::tls::RootCerts::Specific(certs) => certs.len(),
        _ => 0,
    };
    assert!(count(&bundled) > 100, "{}", count(&bundled));
    assert_eq!(count(&only), 1);
    assert!(
        UreqTransport::builder()
            .root_store(RootStore::AddedOnly)
            .build()
            .is_err()
    );
    assert!(
        UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .root_store(RootStore::Platform)
            .build()
            .is_err()
    );
}
