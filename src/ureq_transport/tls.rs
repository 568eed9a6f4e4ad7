//! Which certificate authorities the default transport trusts: the root
//! stores, root certificates from PEM, and what a certificate error says.

use crate::error::Error;
use crate::transport::{TransportError, TransportErrorKind};

/// Which certificate authorities the default transport trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RootStore {
    /// Mozilla's roots, bundled in the binary (the `webpki-roots` set), plus
    /// any root you add. The default: the same on every machine, and works
    /// in minimal containers with no system certificates.
    #[default]
    Bundled,
    /// Only the roots you add (`add_root_certificate_pem`, `GENAUTH_CA_FILE`).
    AddedOnly,
    /// The operating system's trust store and verifier (where a company CA
    /// usually is already installed), through `rustls-platform-verifier`.
    /// Needs the crate feature `platform-verifier`; cannot be combined with
    /// added roots.
    Platform,
}

/// The TLS configuration for `store` plus the `added` PEM roots.
pub(super) fn tls_config(
    store: RootStore,
    added_pem: &[Vec<u8>],
) -> Result<ureq::tls::TlsConfig, Error> {
    let added = root_certificates(added_pem)?;
    let roots = match (store, added.is_empty()) {
        (RootStore::Bundled, true) => ureq::tls::RootCerts::WebPki,
        (RootStore::Bundled, false) => {
            // The bundle as certificates (webpki-root-certs, the DER
            // twin of the webpki-roots set ureq uses) plus the added ones.
            let mut all: Vec<ureq::tls::Certificate<'static>> =
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der.as_ref()))
                    .collect();
            all.extend(added);
            ureq::tls::RootCerts::from(all)
        }
        (RootStore::AddedOnly, false) => ureq::tls::RootCerts::from(added),
        (RootStore::AddedOnly, true) => {
            return Err(Error::config(
                "RootStore::AddedOnly needs at least one root certificate",
            ));
        }
        (RootStore::Platform, true) => platform_roots()?,
        (RootStore::Platform, false) => {
            return Err(Error::config(
                "RootStore::Platform cannot be combined with added root certificates: \
                 add the CA to the system's trust store, or use RootStore::Bundled",
            ));
        }
    };
    Ok(ureq::tls::TlsConfig::builder().root_certs(roots).build())
}

#[cfg(feature = "platform-verifier")]
fn platform_roots() -> Result<ureq::tls::RootCerts, Error> {
    Ok(ureq::tls::RootCerts::PlatformVerifier)
}

#[cfg(not(feature = "platform-verifier"))]
fn platform_roots() -> Result<ureq::tls::RootCerts, Error> {
    Err(Error::config(
        "RootStore::Platform needs the crate feature `platform-verifier`",
    ))
}

/// The certificates in the PEM blocks; a block that is not a certificate, or
/// none at all, is a configuration error.
pub(super) fn root_certificates(
    pems: &[Vec<u8>],
) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    // (Each PEM given must hold at least one certificate.)
    let mut certs = Vec::new();
    for pem in pems {
        let before = certs.len();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
                Ok(_) => {
                    return Err(Error::config(
                        "a root certificate PEM holds something other than certificates",
                    ));
                }
                Err(e) => {
                    return Err(Error::config(format!(
                        "unreadable root certificate PEM: {e}"
                    )));
                }
            }
        }
        if certs.len() == before {
            return Err(Error::config("a root certificate PEM holds no certificate"));
        }
    }
    Ok(certs)
}

/// Checks that `pem` holds readable certificates and nothing else, as
/// `add_root_certificate_pem` needs.
pub(crate) fn check_root_certificate_pem(pem: &[u8]) -> Result<(), Error> {
    root_certificates(&[pem.to_vec()]).map(drop)
}

/// A TLS failure; one about the certificate says how to trust a private CA.
pub(super) fn tls_error(err: ureq::Error) -> TransportError {
    let about_certificate = err.to_string().to_ascii_lowercase().contains("certificate");
    let tls = TransportError::new(TransportErrorKind::Tls, err);
    if about_certificate {
        tls.with_detail(
            "(the server's certificate is not trusted: for a private or company CA, \
             set GENAUTH_CA_FILE to its PEM file or call add_root_certificate_pem)",
        )
    } else {
        tls
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ureq_transport::UreqTransport;

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
        const CA: &[u8] = include_bytes!("../../tests/data/test-ca.pem");
        let bundled = UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .tls_config()
            .unwrap();
        let only = UreqTransport::builder()
            .add_root_certificate_pem(CA)
            .root_store(RootStore::AddedOnly)
            .tls_config()
            .unwrap();
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
}
