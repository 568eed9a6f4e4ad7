//! The pool-policy reads (user and IP lists, organisations, role
//! members) against a hostile server on 127.0.0.1: each ends in a typed
//! answer or a clear error, never a hang or a listing claimed whole that
//! was not.

use genauth_mfa::UserListType;
use genauth_mfa_testkit::cli_support::{HttpServer, token_or_user};

/// The page number a request asks for.
fn page_of(target: &str) -> u64 {
    target
        .split_once('?')
        .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("page=")))
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
}

#[test]
fn a_listing_whose_count_no_pool_could_hold_is_not_followed_for_ever() {
    // A server that counts 9e18 entries and invents 50 new ones a page:
    // the runaway bound (twice the first count) never comes, so the
    // listing paged for ever, its ids growing 8 bytes each. This one gives
    // up after 22,000 pages (1.1 million entries) with an empty page.
    const GIVE_UP: u64 = 22_000;
    // The list is answered here, before `token_or_user`, whose pool
    // answers an empty WHITE list for the tool's tests.
    // Some 20,000 requests: longer than the usual server lifetime on a
    // loaded machine.
    let server = HttpServer::start_for(std::time::Duration::from_secs(600), |target, _| {
        if !target.starts_with("/api/v3/user-list") {
            return token_or_user(target, |_| String::new());
        }
        {
            let page = page_of(target);
            let list: Vec<String> = if page > GIVE_UP {
                Vec::new()
            } else {
                (0..50)
                    .map(|i| format!(r#"{{"id":"e{page}-{i}","userId":"u{page}-{i}"}}"#))
                    .collect()
            };
            format!(
                r#"{{"statusCode":200,"message":"ok","data":{{"totalCount":9000000000000000000,"list":[{}]}}}}"#,
                list.join(",")
            )
        }
    });
    let client = server.client(1);
    let mut entries = client.list_user_list(UserListType::White).into_iter();
    let last = entries.by_ref().last().expect("an item");
    let err = last.expect_err("not whole");
    assert!(
        matches!(err, genauth_mfa::Error::IncompleteListing { .. }),
        "{err}"
    );
    assert!(
        entries.pages() < GIVE_UP as u32,
        "paged on to the server's own end ({} pages): {err}",
        entries.pages()
    );
    assert!(err.to_string().contains("kept listing"), "{err}");
}
