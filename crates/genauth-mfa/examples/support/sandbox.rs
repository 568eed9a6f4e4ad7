//! The examples' sandbox: the crate's own test double,
//! [`FakeGenAuth::demo`](genauth_mfa_fake::FakeGenAuth::demo), served
//! over real HTTP on 127.0.0.1 by its own loopback server
//! ([`FakeGenAuth::serve`](genauth_mfa_fake::FakeGenAuth::serve)), so
//! that the examples show the real transport at work. Any user id is known,
//! with MFA statuses derived from its bytes; ids starting with `missing` are
//! "user not found".

use genauth_mfa_fake::{FakeGenAuth, FakeServer, Route};

pub const APP_ID: &str = FakeGenAuth::DEMO_APP_ID;
pub const ACCESS_TOKEN: &str = FakeGenAuth::DEMO_ACCESS_TOKEN;
pub const ACCESS_KEY_ID: &str = FakeGenAuth::DEMO_ACCESS_KEY_ID;
pub const ACCESS_KEY_SECRET: &str = FakeGenAuth::DEMO_ACCESS_KEY_SECRET;

/// The running sandbox; it stops when dropped.
pub struct Sandbox {
    server: FakeServer,
}

impl Sandbox {
    /// Serves a new demo fake on a free port of 127.0.0.1.
    pub fn start() -> std::io::Result<Sandbox> {
        let server = FakeGenAuth::demo().serve()?;
        Ok(Sandbox { server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The fake behind the server: what it received, what it should fail.
    pub fn fake(&self) -> &FakeGenAuth {
        self.server.fake()
    }

    /// How many requests the server has answered so far.
    pub fn requests_served(&self) -> usize {
        self.fake().count(Route::Any)
    }
}
