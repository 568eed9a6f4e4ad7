//! How many threads a batch starts, counted in /proc/self/task: a test
//! binary of its own, so that no other test's threads are counted.

#![cfg(target_os = "linux")]

use genauth_mfa_testkit::cli_support;
use genauth_mfa_testkit::common;

use std::ops::ControlFlow;
use std::sync::mpsc;

use cli_support::*;
use common::*;
use genauth_mfa::batch::Batch;

fn threads_now() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn threads_start_as_the_input_needs_them_never_more_than_the_ids() {
    // concurrency(100_000) for 2 ids: 0.3 started 100,000 threads (or as
    // many as the system allowed) before asking about the first user.
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let client = server.client(4);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let before = threads_now();
        // Two ids, then an input that waits (as a slow file would) until
        // both results are in: the run cannot end before they are counted.
        let (release, wait) = mpsc::channel::<()>();
        let ids = ["alice", "bob"]
            .map(String::from)
            .into_iter()
            .chain(std::iter::from_fn(move || {
                let _ = wait.recv_timeout(LIMIT);
                None
            }));
        let mut during = Vec::new();
        let summary = Batch::new(&client)
            .concurrency(100_000)
            .run(ids, |done| {
                assert!(done.outcome.is_answered(), "{:?}", done.outcome);
                during.push(threads_now());
                if during.len() == 2 {
                    let _ = release.send(());
                }
                ControlFlow::Continue(())
            })
            .unwrap();
        let _ = tx.send((before, during, summary));
    });
    let (before, during, summary) = rx.recv_timeout(LIMIT).expect("the run hung");
    assert_eq!(summary.tally.answered, 2);
    // 2 workers and the thread reading the ids; the server's connection
    // threads (one a connection: the token's and at most one a worker).
    let most = during.iter().max().copied().unwrap_or(0);
    assert!(
        most <= before + 3 + 3,
        "{before} threads before the run, {during:?} during it"
    );
}
