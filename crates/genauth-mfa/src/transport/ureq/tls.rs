//! Which certificate authorities the default transport trusts: the root
//! stores, root certificates from PEM, and what a certificate error says.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use crate::error::Error;
use crate::transport::{TransportError, TransportErrorKind};

type Certificate = ureq::tls::Certificate<'static>;

/// The largest CA file read (`GENAUTH_CA_FILE`, `SSL_CERT_FILE`, each file in
/// `SSL_CERT_DIR`): a PEM bundle of every Mozilla root is about 220 KB.
pub(crate) const MAX_CA_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// At most this many files of each `SSL_CERT_DIR` directory are looked at.
const MAX_CERT_DIR_FILES: usize = 10_000;

/// Which certificate authorities the default transport trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RootStore {
    /// Mozilla's roots, bundled in the binary (the `webpki-roots` set), plus
    /// any root you add. The default: the same on every machine, and works
    /// in minimal containers with no system certificates.
    ///
    /// When `SSL_CERT_FILE` or `SSL_CERT_DIR` is set, as for OpenSSL-based
    /// tools, the certificates they name replace the bundle (the roots you
    /// add still add to them).
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

/// What the transport trusts, for the hints of certificate errors.
#[derive(Debug, Clone, Default)]
pub(super) struct Trust {
    /// Where the roots came from when not from the bundle: `SSL_CERT_FILE`,
    /// `SSL_CERT_DIR`, the operating system.
    chosen_by: Option<&'static str>,
    /// How many root certificates were added.
    added: usize,
}

/// The TLS configuration for `store` plus the `added` PEM roots, and what it
/// trusts.
pub(super) fn tls_config(
    store: RootStore,
    added_pem: &[Vec<u8>],
) -> Result<(ureq::tls::TlsConfig, Trust), Error> {
    let added = root_certificates(added_pem)?;
    let mut trust = Trust {
        chosen_by: None,
        added: added.len(),
    };
    let roots = match (store, added.is_empty()) {
        (RootStore::Bundled, _) => match openssl_env_roots()? {
            Some((mut chosen, by)) => {
                trust.chosen_by = Some(by);
                chosen.extend(added);
                ureq::tls::RootCerts::from(chosen)
            }
            None if added.is_empty() => ureq::tls::RootCerts::WebPki,
            None => {
                // The bundle as certificates (webpki-root-certs, the DER
                // twin of the webpki-roots set ureq uses) plus the added ones.
                let mut all: Vec<Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der.as_ref()))
                    .collect();
                all.extend(added);
                ureq::tls::RootCerts::from(all)
            }
        },
        (RootStore::AddedOnly, false) => ureq::tls::RootCerts::from(added),
        (RootStore::AddedOnly, true) => {
            return Err(Error::config(
                "RootStore::AddedOnly needs at least one root certificate",
            ));
        }
        (RootStore::Platform, true) => {
            trust.chosen_by = Some("the operating system's trust store");
            platform_roots()?
        }
        (RootStore::Platform, false) => {
            return Err(Error::config(
                "RootStore::Platform cannot be combined with added root certificates: \
                 add the CA to the system's trust store, or use RootStore::Bundled",
            ));
        }
    };
    Ok((
        ureq::tls::TlsConfig::builder().root_certs(roots).build(),
        trust,
    ))
}

/// The roots `SSL_CERT_FILE` and `SSL_CERT_DIR` choose, as OpenSSL reads
/// them (the file, and every certificate file in the directories of the
/// `:`-separated list; a directory in the list that does not exist is
/// skipped), or `None` when neither is set. Set but unusable is an error
/// naming the variable, never a silent fall back on the bundle.
fn openssl_env_roots() -> Result<Option<(Vec<Certificate>, &'static str)>, Error> {
    let file = crate::env::env_var("SSL_CERT_FILE");
    let dirs = std::env::var_os("SSL_CERT_DIR").filter(|d| !d.is_empty());
    let mut certs = Vec::new();
    if let Some(path) = &file {
        certs = certificates_in(&read_ca_file("SSL_CERT_FILE", Path::new(path))?)
            .map_err(|reason| Error::config(format!("SSL_CERT_FILE={path:?}: {reason}")))?;
        if certs.is_empty() {
            return Err(Error::config(format!(
                "SSL_CERT_FILE={path:?}: holds no certificate"
            )));
        }
    }
    if let Some(dirs) = &dirs {
        let before = certs.len();
        for dir in std::env::split_paths(dirs) {
            certs_in_dir(&dir, &mut certs)?;
        }
        if certs.len() == before {
            return Err(Error::config(format!(
                "SSL_CERT_DIR={dirs:?}: names no directory holding a certificate"
            )));
        }
    }
    Ok(match (file.is_some(), dirs.is_some()) {
        (false, false) => None,
        (true, false) => Some((certs, "SSL_CERT_FILE")),
        (false, true) => Some((certs, "SSL_CERT_DIR")),
        (true, true) => Some((certs, "SSL_CERT_FILE and SSL_CERT_DIR")),
    })
}

/// Adds the certificates of every regular file in `dir` that holds some
/// (OpenSSL's hashed `<hash>.0` links included); other files are skipped.
fn certs_in_dir(dir: &Path, certs: &mut Vec<Certificate>) -> Result<(), Error> {
    let named = |reason: &str| {
        Error::config(format!(
            "SSL_CERT_DIR names {:?}, which {reason}",
            dir.display()
        ))
    };
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) if !dir.is_dir() => return Err(named("is not a directory")),
        Err(e) => return Err(named(&format!("cannot be read: {e}"))),
        Ok(entries) => entries,
    };
    for entry in entries.take(MAX_CERT_DIR_FILES).flatten() {
        let path = entry.path();
        if let Ok(pem) = read_capped(&path) {
            certs.extend(certificates_in(&pem).unwrap_or_default());
        }
    }
    Ok(())
}

/// Reads the CA file `path` that `var` names (`GENAUTH_CA_FILE`,
/// `SSL_CERT_FILE`): a regular file of at most [`MAX_CA_FILE_BYTES`]. A
/// FIFO, a device such as `/dev/zero` or a directory is refused before it
/// is opened, so nothing blocks or reads without end.
pub(crate) fn read_ca_file(var: &str, path: &Path) -> Result<Vec<u8>, Error> {
    read_capped(path)
        .map_err(|reason| Error::config(format!("{var}={:?}: {reason}", path.display())))
}

/// [`read_ca_file`] for `GENAUTH_CA_FILE` (or any variable naming a file of
/// root certificates to add), checked as `add_root_certificate_pem` needs.
pub(crate) fn read_added_ca_file(var: &str, path: &str) -> Result<Vec<u8>, Error> {
    let pem = read_ca_file(var, Path::new(path))?;
    check_root_certificate_pem(&pem).map_err(|e| match e {
        Error::Config { reason } => Error::config(format!("{var}={path:?}: {reason}")),
        other => other,
    })?;
    Ok(pem)
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let too_large = || {
        format!(
            "larger than {} MiB: not a file of CA certificates",
            MAX_CA_FILE_BYTES / (1024 * 1024)
        )
    };
    // `metadata` follows symbolic links; a FIFO is never opened.
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file (a PEM file of CA certificates is needed)".into());
    }
    if meta.len() > MAX_CA_FILE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    // The file may have grown since: read one byte more than the cap at most.
    let mut pem = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(too_large());
    }
    Ok(pem)
}

/// The certificates in a PEM bundle, skipping blocks of other kinds (as
/// OpenSSL does with a bundle); a malformed block is an error.
fn certificates_in(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("unreadable PEM: {e}")),
        }
    }
    Ok(certs)
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

/// A TLS failure; one about the server's certificate says what to do about
/// its cause: an unknown issuer how to trust a private CA (unless roots were
/// added already), an expired certificate to check the clock, a wrong name
/// to check the host.
pub(super) fn tls_error(err: ureq::Error, trust: &Trust) -> TransportError {
    let hint = certificate_error(&err).and_then(|cause| hint(cause, trust));
    let tls = TransportError::new(TransportErrorKind::Tls, err);
    match hint {
        Some(hint) => tls.with_detail(hint),
        None => tls,
    }
}

/// The certificate error inside a ureq error, if that is what it is.
fn certificate_error(err: &ureq::Error) -> Option<&rustls::CertificateError> {
    let rustls = match err {
        ureq::Error::Rustls(e) => e,
        // rustls's handshake reports its errors through io::Error.
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
        _ => return None,
    };
    match rustls {
        rustls::Error::InvalidCertificate(cause) => Some(cause),
        _ => None,
    }
}

fn hint(cause: &rustls::CertificateError, trust: &Trust) -> Option<String> {
    use rustls::CertificateError as C;
    let roots = match trust.chosen_by {
        Some(by) if by.starts_with("SSL_") => format!("the roots {by} chose"),
        Some(by) => by.to_owned(),
        None => "the bundled Mozilla roots".to_owned(),
    };
    Some(match cause {
        C::UnknownIssuer => {
            let mut text =
                format!("(the server's certificate is not signed by any trusted CA: {roots}");
            if trust.added == 0 {
                text.push_str(
                    "; for a private or company CA, set GENAUTH_CA_FILE to its PEM file \
                     or call add_root_certificate_pem)",
                );
            } else {
                let _ = write!(
                    text,
                    " and the {} added root certificate(s) (GENAUTH_CA_FILE, \
                     add_root_certificate_pem): add the CA that issued the server's \
                     certificate, or the root of its chain)",
                    trust.added
                );
            }
            text
        }
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            "(the server's certificate has expired or is not valid yet: check this \
             machine's clock, then the server's certificate)"
                .to_owned()
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "(the server's certificate is not valid for {} (it names {}): check the \
             host in the URL)",
            expected.to_str(),
            presented.join(", ")
        ),
        C::NotValidForName => "(the server's certificate is not valid for this host name: \
             check the host in the URL)"
            .to_owned(),
        C::Revoked => "(the server's certificate has been revoked)".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
