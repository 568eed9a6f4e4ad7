//! SOCKS proxies (`ALL_PROXY=socks5://127.0.0.1:7890` is common on developer
//! machines): through a SOCKS4/4a/5/5h server this test runs on 127.0.0.1 to
//! an HTTPS server of a private CA, from the builder and from each variable.
//! One test in its own binary, because it changes the process environment.

use genauth_mfa_testkit::common;
use genauth_mfa_testkit::tls_server;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use genauth_mfa::{
    AuthenticationClient, Error, RetryPolicy, TransportErrorKind, UreqTransport,
    UreqTransportBuilder,
};
use tls_server::{INTERNAL_CERT, INTERNAL_KEY, TRANSPORT_CA, https_server_with};

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        // SAFETY: this binary has one test and no other thread reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
}

fn unset(vars: &[&str]) {
    for k in vars {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(k) };
    }
}

/// What a SOCKS client asked for: the version, the credentials it sent,
/// and where to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    version: u8,
    credentials: Option<(String, String)>,
    target: String,
}

/// A SOCKS4/4a/5 server on 127.0.0.1 for `connections` connections: it
/// records each CONNECT, grants it and joins the client to `upstream` (the
/// local HTTPS server) whatever the target was. With `password`, a SOCKS5
/// client must log in with it.
fn socks_server(
    upstream: String,
    connections: usize,
    password: Option<(&'static str, &'static str)>,
) -> (String, Arc<Mutex<Vec<Asked>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&asked);
    let upstream = upstream.trim_start_matches("https://").to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut client) = stream else { return };
            client
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let Some(request) = handshake(&mut client, password) else {
                continue;
            };
            record.lock().unwrap().push(request);
            let server = TcpStream::connect(&upstream).unwrap();
            pipe(client, server);
        }
    });
    (addr.to_string(), asked)
}

fn read_n(s: &mut TcpStream, n: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn read_until_nul(s: &mut TcpStream) -> Option<String> {
    let mut out = Vec::new();
    while out.len() < 300 {
        match read_n(s, 1)?[0] {
            0 => return String::from_utf8(out).ok(),
            b => out.push(b),
        }
    }
    None
}

/// The server side of a SOCKS handshake, granted; `None` if it broke off.
fn handshake(s: &mut TcpStream, password: Option<(&str, &str)>) -> Option<Asked> {
    let version = read_n(s, 1)?[0];
    if version == 4 {
        // VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOST NUL when DSTIP is 0.0.0.x]
        let head = read_n(s, 7)?;
        let port = u16::from_be_bytes([head[1], head[2]]);
        let ip = &head[3..7];
        let _user = read_until_nul(s)?;
        let host = if ip[..3] == [0, 0, 0] && ip[3] != 0 {
            read_until_nul(s)?
        } else {
            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
        };
        s.write_all(&[0, 90, 0, 0, 0, 0, 0, 0]).ok()?;
        return Some(Asked {
            version,
            credentials: None,
            target: format!("{host}:{port}"),
        });
    }
    let n = read_n(s, 1)?[0] as usize;
    let methods = read_n(s, n)?;
    let mut credentials = None;
    if let Some((user, pw)) = password {
        if !methods.contains(&2) {
            s.write_all(&[5, 0xff]).ok()?;
            return None;
        }
        s.write_all(&[5, 2]).ok()?;
        let _v = read_n(s, 1)?;
        let ulen = read_n(s, 1)?[0] as usize;
        let u = String::from_utf8(read_n(s, ulen)?).ok()?;
        let plen = read_n(s, 1)?[0] as usize;
        let p = String::from_utf8(read_n(s, plen)?).ok()?;
        let ok = u == user && p == pw;
        s.write_all(&[1, if ok { 0 } else { 1 }]).ok()?;
        credentials = Some((u, p));
        if !ok {
            return None;
        }
    } else {
        s.write_all(&[5, 0]).ok()?;
    }
    let head = read_n(s, 4)?; // VER CMD RSV ATYP
    let host = match head[3] {
        1 => {
            let ip = read_n(s, 4)?;
            format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
        }
        3 => {
            let len = read_n(s, 1)?[0] as usize;
            String::from_utf8(read_n(s, len)?).ok()?
        }
        4 => {
            let ip: [u8; 16] = read_n(s, 16)?.try_into().ok()?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        _ => return None,
    };
    let port = read_n(s, 2)?;
    s.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).ok()?;
    Some(Asked {
        version,
        credentials,
        target: format!("{host}:{}", u16::from_be_bytes([port[0], port[1]])),
    })
}

/// Copies bytes both ways until either side closes.
fn pipe(client: TcpStream, server: TcpStream) {
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    let up = std::thread::spawn(move || {
        let mut client = client;
        let mut server = server;
        let _ = std::io::copy(&mut client, &mut server);
        let _ = server.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut s2, &mut c2);
    let _ = c2.shutdown(Shutdown::Write);
    let _ = up.join();
}

/// The transport of these tests: trusts the test CA, reads the proxy
/// variables unless told otherwise.
fn transport() -> UreqTransportBuilder {
    UreqTransport::builder().add_root_certificate_pem(TRANSPORT_CA)
}

/// A client of `host` through `transport`, or the error of building either.
fn client(host: &str, transport: UreqTransportBuilder) -> Result<AuthenticationClient, Error> {
    AuthenticationClient::builder()
        .app_id("app-1")
        .app_host(host)
        .access_token(ACCESS_TOKEN)
        .transport(transport.build()?)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(5))
        .build()
}

const VARS: [&str; 6] = [
    "ALL_PROXY",
    "all_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
];

#[test]
fn socks_proxies_from_the_builder_and_every_variable_reach_the_server_and_bad_ports_are_refused() {
    unset(&VARS);
    let host = "https://genauth.internal.example";
    let ip_host = "https://10.255.0.1";

    // 1. The builder, socks5h: the proxy resolves the name; no DNS here.
    let upstream = https_server_with(INTERNAL_CERT, INTERNAL_KEY, 1);
    let (proxy, asked) = socks_server(upstream, 1, None);
    let factor = client(host, transport().proxy(format!("socks5h://{proxy}")))
        .unwrap()
        .get_factor("6229ffaxxxxxxxxcade3e3d9")
        .send()
        .unwrap();
    assert_eq!(factor.factor_id, "6229ffaxxxxxxxxcade3e3d9");
    let expected = Asked {
        version: 5,
        credentials: None,
        target: "genauth.internal.example:443".into(),
    };
    assert_eq!(asked.lock().unwrap().as_slice(), &[expected]);

    // 2. Each variable, each protocol, any case; credentials from the URL.
    // (variable, scheme, host, SOCKS5 login, SOCKS version, CONNECT target)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        Option<(&'a str, &'a str)>,
        u8,
        &'a str,
    );
    let cases: [Case; 6] = [
        ("ALL_PROXY", "socks5", ip_host, None, 5, "10.255.0.1:443"),
        (
            "all_proxy",
            "SOCKS5H",
            host,
            None,
            5,
            "genauth.internal.example:443",
        ),
        (
            "HTTPS_PROXY",
            "socks5h",
            host,
            Some(("corp", "s3cret-pw")),
            5,
            "genauth.internal.example:443",
        ),
        (
            "https_proxy",
            "socks4a",
            host,
            None,
            4,
            "genauth.internal.example:443",
        ),
        ("HTTP_PROXY", "Socks4", ip_host, None, 4, "10.255.0.1:443"),
        ("http_proxy", "socks", ip_host, None, 5, "10.255.0.1:443"),
    ];
    for (var, scheme, target_host, password, version, target) in cases {
        unset(&VARS);
        let upstream = https_server_with(INTERNAL_CERT, INTERNAL_KEY, 1);
        let (proxy, asked) = socks_server(upstream, 1, password);
        let userinfo = password.map_or(String::new(), |(u, p)| format!("{u}:{p}@"));
        set(&[(var, &format!("{scheme}://{userinfo}{proxy}"))]);
        let result = client(target_host, transport())
            .unwrap()
            .get_factor("6229ffaxxxxxxxxcade3e3d9")
            .send();
        assert!(result.is_ok(), "{var}={scheme}://..: {result:?}");
        let expected = Asked {
            version,
            credentials: password.map(|(u, p)| (u.to_owned(), p.to_owned())),
            target: target.into(),
        };
        assert_eq!(asked.lock().unwrap().as_slice(), &[expected], "{var}");
    }

    // 3. A SOCKS proxy that is not there: a proxy error naming it and the
    //    variable, never its password.
    unset(&VARS);
    let dead = closed_port_url().replace("http://", "socks5h://u:hunter2@");
    set(&[("ALL_PROXY", &dead)]);
    let err = client(host, transport())
        .unwrap()
        .get_factor("f")
        .send()
        .unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Proxy),
        "{err:?}"
    );
    let shown = err.report().to_string();
    let port = dead.rsplit(':').next().unwrap();
    assert!(
        shown.contains(&format!("socks5h://127.0.0.1:{port} (from ALL_PROXY)")),
        "{shown}"
    );
    assert!(!shown.contains("hunter2") && !format!("{err:?}").contains("hunter2"));
    assert!(!matches!(err, Error::Config { .. }));

    // 4. A proxy URL whose port is out of range or mistyped is refused when
    //    the client is built, naming where it came from; never the default port.
    unset(&VARS);
    for (var, value) in [
        ("HTTPS_PROXY", "http://127.0.0.1:99999"),
        ("ALL_PROXY", "socks5h://127.0.0.1:80a"),
        ("http_proxy", "http://u:hunter2@[::1]:0"),
    ] {
        unset(&VARS);
        set(&[(var, value)]);
        let err = client(host, transport()).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{var}: {err:?}");
        let shown = err.to_string();
        assert!(shown.contains(var) && shown.contains("port"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
    unset(&VARS);
    let err = client(host, transport().proxy("socks5://127.0.0.1:1080x")).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("the proxy setting"), "{err}");
}

#[test]
fn a_socks_proxy_that_refuses_is_a_proxy_error_naming_it() {
    // Wrong password: the SOCKS5 server refuses the login. The builder's
    // proxy, so that the environment (which the other test changes) is not read.
    let upstream = https_server_with(INTERNAL_CERT, INTERNAL_KEY, 1);
    let (proxy, asked) = socks_server(upstream, 1, Some(("corp", "right")));
    let err = client(
        "https://genauth.internal.example",
        transport().proxy(format!("socks5h://corp:wrong@{proxy}")),
    )
    .unwrap()
    .get_factor("f")
    .send()
    .unwrap_err();
    assert_eq!(
        transport_kind(&err),
        Some(TransportErrorKind::Proxy),
        "{err:?}"
    );
    let shown = err.report().to_string();
    assert!(
        shown.contains(&format!("socks5h://{proxy} (from the proxy setting)")),
        "{shown}"
    );
    assert!(!shown.contains("wrong"), "{shown}");
    assert!(asked.lock().unwrap().is_empty());

    // A user name or password SOCKS5 cannot carry (over 255 bytes) is
    // refused when the client is built.
    let long = "u".repeat(256);
    let err = client(
        "https://genauth.internal.example",
        transport().proxy(format!("socks5://{long}:pw@127.0.0.1:1080")),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
}

/// A SOCKS proxy that drops the connection (at once, after its greeting,
/// or after granting the CONNECT) is named, as an HTTP proxy is: through a
/// proxy, nothing else tells which machine to look at.
#[test]
fn a_socks_proxy_that_drops_the_connection_is_named() {
    // How many bytes of its part the proxy sends before it closes.
    let granted = &[5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0, 80][..];
    for reply in [&[][..], &[5, 0][..], granted] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            // Each attempt, then stop: bounded.
            for stream in listener.incoming().take(3) {
                let Ok(mut s) = stream else { return };
                let mut greeting = [0u8; 3];
                let _ = s.read_exact(&mut greeting);
                if reply.len() > 2 {
                    let _ = s.write_all(&reply[..2]);
                    let mut connect = [0u8; 10];
                    let _ = s.read_exact(&mut connect);
                    let _ = s.write_all(&reply[2..]);
                } else {
                    let _ = s.write_all(reply);
                }
                let _ = s.shutdown(Shutdown::Both);
            }
        });
        let err = client(
            "https://genauth.internal.example",
            transport().proxy(format!("socks5h://{proxy}")),
        )
        .unwrap()
        .get_factor("f")
        .send()
        .unwrap_err();
        let shown = err.report().to_string();
        assert!(
            shown.contains(&format!("socks5h://{proxy} (from the proxy setting)")),
            "after {} bytes: {shown}",
            reply.len()
        );
    }
}
