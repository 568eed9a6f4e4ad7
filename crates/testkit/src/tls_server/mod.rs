//! An HTTPS server on 127.0.0.1 whose certificate is signed by a test CA
//! (tests/data; fixtures only), answering the sample factor.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::common::SAMPLE_FACTOR;

pub const CA: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/test-ca.pem");
pub const CERT: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/server.pem");
pub const KEY: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/server.key");

/// A second test CA (`transport-ca.pem`) and the certificates it signed:
/// `genauth.internal.example` and 10.255.0.1 (for hosts reached through a
/// proxy), and one for localhost/127.0.0.1 that expired on 2021-01-01.
/// Made with `openssl req`/`openssl ca` (P-256); fixtures only.
pub const TRANSPORT_CA: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/transport-ca.pem");
pub const INTERNAL_CERT: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/internal.pem");
pub const INTERNAL_KEY: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/internal.key");
pub const EXPIRED_CERT: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/expired.pem");
pub const EXPIRED_KEY: &[u8] = include_bytes!("../../../genauth-mfa/tests/data/expired.key");

/// An HTTPS server on 127.0.0.1 answering up to `connections` connections
/// with the sample factor; returns its URL.
pub fn https_server(connections: usize) -> String {
    https_server_with(CERT, KEY, connections)
}

/// [`https_server`] with this certificate (PEM) and key.
pub fn https_server_with(cert: &[u8], key: &[u8], connections: usize) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(cert).unwrap()],
            PrivateKeyDer::from_pem_slice(key).unwrap(),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(tcp) = stream else { return };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
            let conn = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut head = String::new();
            let mut reader = BufReader::new(&mut tls);
            // Read the request head; a refused handshake ends here with an error.
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => head.push_str(&line),
                }
            }
            if head.is_empty() {
                continue;
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                SAMPLE_FACTOR.len(),
                SAMPLE_FACTOR
            );
            let _ = tls.write_all(response.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    url
}
