//! Helpers the tool's tests share: paths as text, temporary input files, a
//! mockito server that must not be asked, `which`, dates from today.
#![allow(dead_code)]

use cli_support::*;
use genauth_mfa_testkit::cli_support;
use mockito::{Matcher, Server};
use std::path::{Path, PathBuf};

pub fn write(name: &str, bytes: &[u8]) -> TempPath {
    let path = temp_path(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

pub fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or(())
}

pub fn write_in(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A mockito server that must see no request at all.
pub fn untouchable() -> (mockito::ServerGuard, mockito::Mock, mockito::Mock) {
    let mut server = Server::new();
    let get = server.mock("GET", Matcher::Any).expect(0).create();
    let post = server.mock("POST", Matcher::Any).expect(0).create();
    (server, get, post)
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `YYYY-MM-DD` of today (UTC) plus `days` (negative: before today).
pub fn day(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let secs = now.checked_add_signed(days * 86_400).unwrap();
    genauth_mfa::iso8601_utc(secs, None)[..10].to_owned()
}
