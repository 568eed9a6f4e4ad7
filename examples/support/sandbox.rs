//! The examples' sandbox: the crate's own test double,
//! [`FakeGenAuth::demo`](genauth_mfa::testing::FakeGenAuth::demo), served
//! over real HTTP on 127.0.0.1 (a mockito server), so that the examples
//! show the real transport at work. Any user id is known, with MFA statuses
//! derived from its bytes; ids starting with `missing` are "user not found".

use genauth_mfa::Transport;
use genauth_mfa::http;
use genauth_mfa::testing::FakeGenAuth;
use mockito::{Matcher, Server, ServerGuard};

pub const APP_ID: &str = FakeGenAuth::DEMO_APP_ID;
pub const ACCESS_TOKEN: &str = FakeGenAuth::DEMO_ACCESS_TOKEN;
pub const ACCESS_KEY_ID: &str = FakeGenAuth::DEMO_ACCESS_KEY_ID;
pub const ACCESS_KEY_SECRET: &str = FakeGenAuth::DEMO_ACCESS_KEY_SECRET;

/// The running sandbox; it stops when dropped.
pub struct Sandbox {
    server: ServerGuard,
}

impl Sandbox {
    pub fn start() -> Sandbox {
        let fake = FakeGenAuth::demo();
        let mut server = Server::new();
        for method in ["GET", "POST"] {
            let fake = fake.clone();
            server
                .mock(method, Matcher::Any)
                .match_query(Matcher::Any)
                .with_header("content-type", "application/json")
                // The demo fake answers every request with HTTP 200 and the
                // outcome in the envelope, as the service does.
                .with_body_from_request(move |req| forward(&fake, req))
                .create();
        }
        Sandbox { server }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// Hands one HTTP request to the fake and returns its answer's body.
fn forward(fake: &FakeGenAuth, req: &mockito::Request) -> Vec<u8> {
    let mut request = http::Request::new(req.body().cloned().unwrap_or_default());
    *request.method_mut() = req.method().parse().unwrap_or(http::Method::GET);
    *request.uri_mut() = format!("http://sandbox{}", req.path_and_query())
        .parse()
        .unwrap_or_default();
    *request.headers_mut() = req.headers().clone();
    match fake.send(request) {
        Ok(response) => response.into_body(),
        Err(e) => format!(r#"{{"statusCode":500,"message":"sandbox: {e}"}}"#).into_bytes(),
    }
}
