//! `GENAUTH_CA_FILE`, as a program built on `from_env()` meets a private
//! deployment. One test in its own binary: it changes the environment.

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::tls_server;

use std::time::Duration;

use common::*;
use genauth_mfa::{AuthenticationClient, Error, ManagementClient, UreqTransport};

fn unset(vars: &[&str]) {
    for k in vars {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(k) };
    }
}

/// `ManagementClient::from_env()` on another thread, so that a file that
/// blocks (a FIFO) or never ends (/dev/zero) fails the test instead of
/// hanging it.
fn from_env_within(limit: Duration) -> Result<ManagementClient, Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(ManagementClient::from_env());
    });
    rx.recv_timeout(limit)
        .expect("building the client did not return in time")
}

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

    // A transport built by the program reads it with its own `read_env`
    // (how a tuned transport keeps the company CA), and GENAUTH_TIMEOUT too.
    let tuned = || {
        UreqTransport::builder()
            .read_env()?
            .max_idle_connections(4)
            .build()
    };
    let url = tls_server::https_server(1);
    set(&[("GENAUTH_APP_HOST", &url), ("GENAUTH_TIMEOUT", "7.5")]);
    let shown = format!("{:?}", tuned().unwrap());
    assert!(shown.contains("timeout: 7.5s"), "{shown}");
    let factor = AuthenticationClient::builder()
        .read_env()
        .unwrap()
        .transport(tuned().unwrap())
        .build()
        .unwrap()
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    set(&[("GENAUTH_TIMEOUT", "0")]);
    let err = tuned().unwrap_err();
    assert!(err.to_string().contains("GENAUTH_TIMEOUT"), "{err}");
    unset(&["GENAUTH_TIMEOUT"]);

    for bad in [
        "/nonexistent/ca.pem",
        concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
    ] {
        set(&[("GENAUTH_CA_FILE", bad)]);
        let err = ManagementClient::from_env().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("GENAUTH_CA_FILE"), "{err}");
        let err = tuned().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(err.to_string().contains("GENAUTH_CA_FILE"), "{err}");
    }

    // Not a regular file, or too large: refused before anything is read in
    // full, and a FIFO is never opened (it would block until a writer came).
    // Removed with what is in it when the test ends, or fails.
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let fifo = dir.join("fifo.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let big = dir.join("big.pem");
    std::fs::write(&big, vec![b'A'; 4 * 1024 * 1024 + 1]).unwrap();
    let mut refused = vec![
        ("/dev/zero".to_owned(), "not a regular file"),
        (dir.display().to_string(), "not a regular file"),
        (big.display().to_string(), "larger than 4 MiB"),
    ];
    if made.is_ok_and(|s| s.success()) {
        refused.push((fifo.display().to_string(), "not a regular file"));
    }
    for (path, why) in &refused {
        set(&[("GENAUTH_CA_FILE", path)]);
        let err = from_env_within(Duration::from_secs(10)).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{path}: {err:?}");
        let shown = err.to_string();
        assert!(
            shown.contains("GENAUTH_CA_FILE") && shown.contains(why),
            "{shown}"
        );
    }
    unset(&["GENAUTH_CA_FILE"]);

    // SSL_CERT_FILE and SSL_CERT_DIR choose the trusted roots as OpenSSL
    // tools read them; GENAUTH_CA_FILE still adds to them.
    let trusted = |vars: &[(&str, &str)]| {
        unset(&["SSL_CERT_FILE", "SSL_CERT_DIR", "GENAUTH_CA_FILE"]);
        set(vars);
        let url = tls_server::https_server(1);
        set(&[("GENAUTH_APP_HOST", &url)]);
        AuthenticationClient::from_env()
            .and_then(|c| c.get_factor("6229ffaxxxxxxxxcade3e3d9").send())
            .map(|f| f.factor_id)
    };
    let other_ca = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/transport-ca.pem");
    assert!(trusted(&[("SSL_CERT_FILE", ca)]).is_ok());
    assert!(trusted(&[("SSL_CERT_FILE", other_ca), ("GENAUTH_CA_FILE", ca)]).is_ok());
    let err = trusted(&[("SSL_CERT_FILE", other_ca)]).unwrap_err();
    assert!(
        err.report().to_string().contains("SSL_CERT_FILE"),
        "{}",
        err.report()
    );
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(ca, certs.join("5a3f9e21.0")).unwrap();
    std::fs::write(certs.join("README"), "not a certificate").unwrap();
    assert!(trusted(&[("SSL_CERT_DIR", certs.to_str().unwrap())]).is_ok());
    let multi = format!("{}:{}", dir.join("nothing-here").display(), certs.display());
    assert!(trusted(&[("SSL_CERT_DIR", &multi)]).is_ok());

    // Set but unusable: an error naming the variable, not silently the bundle.
    for (var, value) in [
        ("SSL_CERT_FILE", "/nonexistent/ca.pem"),
        ("SSL_CERT_FILE", "/dev/zero"),
        ("SSL_CERT_DIR", "/dev/zero"),
        ("SSL_CERT_DIR", dir.join("fifo.pem").to_str().unwrap()),
    ] {
        unset(&["SSL_CERT_FILE", "SSL_CERT_DIR"]);
        set(&[(var, value)]);
        let err = from_env_within(Duration::from_secs(10)).unwrap_err();
        assert!(
            matches!(err, Error::Config { .. }),
            "{var}={value}: {err:?}"
        );
        assert!(err.to_string().contains(var), "{err}");
    }
    unset(&["SSL_CERT_FILE", "SSL_CERT_DIR"]);
}
