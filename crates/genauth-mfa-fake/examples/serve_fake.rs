//! Serves the crate's fake GenAuth over HTTP on 127.0.0.1 for any client,
//! in any language, until stdin closes (Ctrl-D, or the end of a pipe).
//!
//! ```text
//! cargo run -p genauth-mfa-fake --example serve_fake   # prints the URL and the demo credentials
//! curl -s -X POST "$URL/api/v3/get-management-token" \
//!      -H 'content-type: application/json' \
//!      -d '{"accessKeyId":"demo-access-key-id","accessKeySecret":"demo-access-key-secret"}'
//! GENAUTH_HOST=$URL GENAUTH_ACCESS_KEY_ID=demo-access-key-id \
//! GENAUTH_ACCESS_KEY_SECRET=demo-access-key-secret \
//!     cargo run -p genauth-mfa-cli -- audit ids.txt
//! ```
//!
//! It is `FakeGenAuth::demo()` (a pool of 1,000 users for `list-users`,
//! every user id known to `get-user-mfa-info` but those starting with
//! `missing`), not GenAuth: nothing it answers is real.

use std::io::{Read, Write};
use std::process::ExitCode;

use genauth_mfa_fake::{FakeGenAuth, Route};

fn main() -> ExitCode {
    // A long run: count the requests, but keep none of them.
    let fake = FakeGenAuth::demo().record_requests(false);
    let server = match fake.serve() {
        Ok(server) => server,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: could not start the fake's server: {e}"
            );
            return ExitCode::from(1);
        }
    };
    // The URL on stdout, for a script; a stdout that cannot take it is an
    // error, never a panic.
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "{}", server.url()).and_then(|()| stdout.flush()) {
        let _ = writeln!(
            std::io::stderr(),
            "error: could not write to standard output: {e}"
        );
        return ExitCode::from(1);
    }
    drop(stdout);
    let _ = writeln!(
        std::io::stderr(),
        "note: serving the crate's fake GenAuth (not the real service) at {}\n\
         access key: {} / {}; app id: {}; user access token: {}\n\
         close stdin (Ctrl-D) to stop",
        server.url(),
        FakeGenAuth::DEMO_ACCESS_KEY_ID,
        FakeGenAuth::DEMO_ACCESS_KEY_SECRET,
        FakeGenAuth::DEMO_APP_ID,
        FakeGenAuth::DEMO_ACCESS_TOKEN,
    );
    let mut sink = [0u8; 1024];
    while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
    drop(server);
    let _ = writeln!(
        std::io::stderr(),
        "note: the fake answered {} requests",
        fake.count(Route::Any)
    );
    ExitCode::SUCCESS
}
