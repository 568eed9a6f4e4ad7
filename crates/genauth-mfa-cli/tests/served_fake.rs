//! The tool against the fake served over loopback HTTP (moved from the
//! fake's tests/fake_server.rs: it runs the built tool).

use std::io::{Read, Write};
use std::time::Duration;

use genauth_mfa_fake::{FakeGenAuth, Route};

/// The tool's audit with 256 workers, each on a kept-alive connection,
/// against a served fake: every user answered, once.
#[test]
fn the_tools_audit_with_256_workers_is_served_whole() {
    use std::process::{Command, Stdio};

    let fake = FakeGenAuth::demo().record_requests(false);
    let server = fake.serve().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_genauth-mfa"))
        .env_clear()
        .env("GENAUTH_HOST", server.url())
        .env("GENAUTH_ACCESS_KEY_ID", FakeGenAuth::DEMO_ACCESS_KEY_ID)
        .env(
            "GENAUTH_ACCESS_KEY_SECRET",
            FakeGenAuth::DEMO_ACCESS_KEY_SECRET,
        )
        .args(["audit", "--concurrency", "256"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ids: String = (0..2_000).map(|i| format!("user-{i:06}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = String::new();
            let _ = pipe.read_to_string(&mut out);
            out
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the audit did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    writer.join().unwrap().unwrap();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(stdout.lines().count(), 2_000, "{stderr}");
    assert!(!stdout.contains("\"error\""), "{stderr}");
    assert_eq!(fake.count(Route::GetUserMfaInfo), 2_000);
    assert_eq!(fake.count(Route::Token), 1);
}
