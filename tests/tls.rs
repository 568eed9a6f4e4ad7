//! TLS to a private deployment: a local HTTPS server whose certificate is
//! signed by a test CA is refused by default and trusted once the CA's PEM
//! is added. (The CA and server key in tests/data are test fixtures only.)

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use genauth_mfa::{AuthenticationClient, Error, TransportErrorKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CA: &[u8] = include_bytes!("data/test-ca.pem");
const CERT: &[u8] = include_bytes!("data/server.pem");
const KEY: &[u8] = include_bytes!("data/server.key");

/// An HTTPS server on 127.0.0.1 answering up to `connections` connections
/// with the sample factor; returns its URL.
fn https_server(connections: usize) -> String {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(CERT).unwrap()],
            PrivateKeyDer::from_pem_slice(KEY).unwrap(),
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
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_private_ca_is_trusted_once_its_pem_is_added() {
    let url = https_server(1);
    let client = builder(&url).add_root_certificate_pem(CA).build().unwrap();
    let factor = client
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
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
