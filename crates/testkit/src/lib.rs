//! Test-only (not published): the loopback servers and fixtures the
//! workspace's tests share, as a library the other crates' tests take as a
//! dev-dependency. Its own `tests/` hold the library's tests that need
//! mockito or proptest, so that neither is a dev-dependency of `genauth-mfa`.
//!
//! - [`common`]: fixed tokens and keys, sample answers, clients aimed at a
//!   server (the mockito ones with the `mockito` feature, on by default);
//! - [`fault`]: a server that misbehaves on purpose (resets, drips, never answers);
//! - [`quota`]: a server with a quota, as GenAuth throttles;
//! - [`tls_server`]: an HTTPS server with a test CA;
//! - [`cli_support`]: the built tool with a clean environment, and a
//!   scripted keep-alive HTTP/1.1 server.

pub mod cli_support;
pub mod common;
pub mod fault;
pub mod quota;
pub mod tls_server;
