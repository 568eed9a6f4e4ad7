//! The batch engine (`genauth_mfa::batch`): concurrency over real HTTP on
//! 127.0.0.1, cancellation, a panicking transport, a key refused mid-run,
//! lazy reading of endless input.

mod support;

use cli_support::*;
use common::*;
use genauth_mfa::batch::{Batch, BatchError, Input, Outcome, Target};
use genauth_mfa::{ManagementClient, http};
use genauth_mfa_testkit::{cli_support, common};
use std::io::Write;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};
use support::*;

/// A transport closure: the token, then users by id.
fn fake(
    user: impl Fn(&str) -> String + Send + Sync + 'static,
    token: impl Fn() -> String + Send + Sync + 'static,
) -> ManagementClient {
    let transport = move |req: http::Request<Vec<u8>>| {
        let body = if req.uri().path() == "/api/v3/get-management-token" {
            token()
        } else {
            user(req.uri().query().unwrap_or(""))
        };
        Ok(http::Response::new(body.into_bytes()))
    };
    ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .transport(transport)
        .build()
        .unwrap()
}

fn run_bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT).expect("the run hung")
}

/// Three ids, then an input that blocks (bounded) until `release` is sent
/// to or dropped: a terminal nobody types into.
fn three_then_blocked(release: mpsc::Receiver<()>) -> impl Iterator<Item = String> + Send {
    (0..3)
        .map(|i| format!("user-{i}"))
        .chain(std::iter::from_fn(move || {
            let _ = release.recv_timeout(Duration::from_secs(60));
            None
        }))
}

#[test]
fn held_64_threads_through_dropped_connections_and_a_revoked_token_lose_no_call() {
    use std::sync::Mutex;
    // Every 11th request is read and then dropped unanswered, and at the
    // 300th request the server revokes the token it issued: calls with it
    // get an HTTP 401 until a new one is fetched.
    let seq = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(Mutex::new(String::new()));
    let (seq2, tokens2, current2) = (Arc::clone(&seq), Arc::clone(&tokens), Arc::clone(&current));
    let server = scripted(move |mut s, _| {
        while let Some(req) = read_request(&mut s) {
            let n = seq2.fetch_add(1, Ordering::SeqCst) + 1;
            if req.contains("get-management-token") {
                let t = tokens2.fetch_add(1, Ordering::SeqCst);
                let token = jwt(&format!("t{t}"));
                *current2.lock().unwrap() = token.clone();
                if s.write_all(http_ok(&token_json(&token, "7200")).as_bytes())
                    .is_err()
                {
                    return;
                }
                continue;
            }
            if n % 11 == 0 {
                return; // dropped with the request unanswered
            }
            if n == 300 {
                *current2.lock().unwrap() = "revoked".into();
            }
            let valid = req.contains(&format!("Bearer {}", current2.lock().unwrap()));
            let answer = if valid {
                http_ok(MFA_OK)
            } else {
                let body = r#"{"statusCode":401,"apiCode":2020,"message":"not logged in"}"#;
                format!(
                    "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            if s.write_all(answer.as_bytes()).is_err() {
                return;
            }
        }
    });
    let url = server.url.clone();
    let failures = within(120, move || {
        let client = mgmt(&url).timeout(Duration::from_secs(30)).build().unwrap();
        let handles: Vec<_> = (0..64)
            .map(|t| {
                let c = client.clone();
                thread::spawn(move || {
                    (0..10)
                        .filter_map(|i| {
                            c.get_user_mfa_info(format!("u-{t}-{i}"))
                                .send()
                                .err()
                                .map(|e| e.report().to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let token_requests = tokens.load(Ordering::SeqCst);
    assert!(
        failures.is_empty(),
        "{} calls lost: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        (2..=4).contains(&token_requests),
        "{token_requests} token requests"
    );
}

#[test]
fn concurrency_is_min_of_threads_and_users_left_to_the_end() {
    // 4 threads, 10 users: 4, 4, then the last 2 together. The 0.2 audit
    // handed ids out in batches of up to 32, so a few threads served the
    // tail one user at a time.
    let (threads, users) = (4, 10);
    let gate = Arc::new(Gate::new(threads, users));
    let g = Arc::clone(&gate);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            g.pass();
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let client = server.client(threads);
    let ids: Vec<String> = (0..users).map(|i| format!("user-{i}")).collect();
    let mut seen = Vec::new();
    let summary = Batch::new(&client)
        .concurrency(threads)
        .run(ids, |done| {
            assert!(done.outcome.is_answered(), "{:?}", done.outcome);
            seen.push(done.user_id.unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        gate.starved.load(Ordering::SeqCst),
        0,
        "some calls waited alone"
    );
    seen.sort();
    let mut expected: Vec<String> = (0..users).map(|i| format!("user-{i}")).collect();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(summary.tally.answered, users as u64);
    assert!(!summary.cancelled && !summary.stopped);
    // One kept-alive connection per thread (and none per user).
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(connections <= threads + 1, "{connections} connections");
}

#[test]
fn cancel_returns_promptly_while_calls_hang() {
    let release = Arc::new(AtomicBool::new(false));
    let r = Arc::clone(&release);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            // Hang (bounded) until the test is over.
            let born = Instant::now();
            while !r.load(Ordering::SeqCst) && born.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(10));
            }
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let client = server.client(8);
    let batch = Batch::new(&client).concurrency(8);
    let cancel = batch.cancel_handle();
    let ids = (0..).map(|i| format!("user-{i}")); // endless
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(batch.run(ids, |_| ControlFlow::Continue(())));
    });
    std::thread::sleep(Duration::from_millis(300));
    cancel.cancel();
    // Returns well before the hanging calls would end (no timing is
    // measured: this only shows that it does not wait for them).
    let summary = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the run did not return after cancel")
        .unwrap();
    release.store(true, Ordering::SeqCst);
    assert!(summary.cancelled);
    assert_eq!(summary.tally.done(), 0);
    assert_eq!(summary.abandoned, 8);
}

#[test]
fn a_panicking_worker_ends_the_run_with_an_error() {
    let client = fake(
        |query| {
            assert!(!query.contains("userId=boom"), "a bug in a transport");
            SAMPLE_MFA_INFO.to_owned()
        },
        || token_body(T1, 7200),
    );
    let (answered, result) = run_bounded(move || {
        let ids: Vec<String> = (0..50)
            .map(|i| {
                if i == 20 {
                    "boom".into()
                } else {
                    format!("user-{i}")
                }
            })
            .collect();
        let mut answered = 0;
        let result = Batch::new(&client).concurrency(4).run(ids, |done| {
            assert!(done.outcome.is_answered());
            answered += 1;
            ControlFlow::Continue(())
        });
        (answered, result)
    });
    match result {
        Err(BatchError::Panicked { message, .. }) => {
            assert!(message.contains("a bug in a transport"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(answered < 50, "{answered}");
}

#[test]
fn a_key_refused_mid_run_stops_it_with_one_error_and_no_failure_rows() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let users = Arc::new(AtomicUsize::new(0));
    let (t, u) = (Arc::clone(&tokens), Arc::clone(&users));
    let client = fake(
        move |_| {
            // After 10 users the token is revoked: 401, and the key with it.
            if u.fetch_add(1, Ordering::SeqCst) < 10 {
                SAMPLE_MFA_INFO.to_owned()
            } else {
                r#"{"statusCode":401,"apiCode":2020,"message":"token revoked"}"#.to_owned()
            }
        },
        move || {
            if t.fetch_add(1, Ordering::SeqCst) == 0 {
                token_body(T1, 7200)
            } else {
                r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid","requestId":"r-key"}"#.to_owned()
            }
        },
    );
    let (rows, result) = run_bounded(move || {
        let ids = (0..5000).map(|i| format!("user-{i}"));
        let mut rows = Vec::new();
        let result = Batch::new(&client).concurrency(1).run(ids, |done| {
            rows.push(done.outcome);
            ControlFlow::Continue(())
        });
        (rows, result)
    });
    let text = result.as_ref().map_err(ToString::to_string).err();
    match result {
        Err(BatchError::Token { source, .. }) => {
            assert_eq!(source.request_id(), Some("r-key"));
            let text = text.unwrap_or_default();
            assert!(text.contains("accessKeySecret is invalid"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(Outcome::is_answered), "{rows:?}");
    assert!(users.load(Ordering::SeqCst) <= 12);
}

#[test]
fn a_refused_key_at_the_start_asks_nobody() {
    let users = Arc::new(AtomicUsize::new(0));
    let u = Arc::clone(&users);
    let client = fake(
        move |_| {
            u.fetch_add(1, Ordering::SeqCst);
            SAMPLE_MFA_INFO.to_owned()
        },
        || r#"{"statusCode":400,"apiCode":1001,"message":"accessKeySecret is invalid"}"#.to_owned(),
    );
    let result = Batch::new(&client).run(vec!["alice"], |_| ControlFlow::Continue(()));
    assert!(
        matches!(result, Err(BatchError::Token { .. })),
        "{result:?}"
    );
    assert_eq!(users.load(Ordering::SeqCst), 0);
}

#[test]
fn endless_input_is_read_lazily_and_break_stops_the_run() {
    let client = fake(|_| SAMPLE_MFA_INFO.to_owned(), || token_body(T1, 7200));
    let summary = run_bounded(move || {
        let ids = (0u64..).map(|i| Target::new(format!("user-{i}")).tag(i));
        let mut n = 0;
        Batch::new(&client)
            .concurrency(8)
            .run(ids, |_| {
                n += 1;
                if n == 1000 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .unwrap()
    });
    assert!(summary.stopped);
    assert_eq!(summary.tally.answered, 1000);
    // At most the queue, the threads and the result channel ahead.
    assert!(summary.tally.started <= 1000 + 8 * 4, "{:?}", summary.tally);
}

#[test]
fn unreadable_input_comes_back_without_a_call_and_progress_is_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let client = fake(
        move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            SAMPLE_MFA_INFO.to_owned()
        },
        || token_body(T1, 7200),
    );
    let items = vec![
        Input::from(Target::new("alice").tag(1)),
        Input::Unreadable {
            tag: 2,
            reason: "line 2 is not valid UTF-8".into(),
        },
    ];
    let last = Arc::new(Mutex::new(None));
    let l = Arc::clone(&last);
    let mut tags = Vec::new();
    let summary = Batch::new(&client)
        .on_progress(move |tally| *l.lock().unwrap() = Some(*tally))
        .run(items, |done| {
            tags.push((done.tag, done.user_id.is_some()));
            ControlFlow::Continue(())
        })
        .unwrap();
    tags.sort();
    assert_eq!(tags, [(1, true), (2, false)]);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(summary.tally.unreadable, 1);
    let last = last.lock().unwrap().unwrap();
    assert_eq!(last.done(), 2);
}

#[test]
fn cancel_wakes_the_threads_waiting_for_a_rate_limit_slot() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let transport = move |req: http::Request<Vec<u8>>| {
        let body = if req.uri().path() == "/api/v3/get-management-token" {
            token_body(T1, 7200)
        } else {
            c.fetch_add(1, Ordering::SeqCst);
            SAMPLE_MFA_INFO.to_owned()
        };
        Ok(http::Response::new(body.into_bytes()))
    };
    let client = ManagementClient::builder()
        .access_key_id(KEY_ID)
        .access_key_secret(KEY_SECRET)
        .max_requests_per_second(2)
        .transport(transport)
        .build()
        .unwrap();
    let batch = Batch::new(&client).concurrency(16);
    let cancel = batch.cancel_handle();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(batch.run((0..1000).map(|i| format!("user-{i}")), |_| {
            ControlFlow::Continue(())
        }));
    });
    std::thread::sleep(Duration::from_millis(1200));
    cancel.cancel();
    let before = calls.load(Ordering::SeqCst);
    let summary = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the run did not return after cancel")
        .unwrap();
    assert!(summary.cancelled);
    // The 13 or so threads waiting for a slot woke and sent nothing more.
    std::thread::sleep(Duration::from_millis(1500));
    let after = calls.load(Ordering::SeqCst);
    assert!(
        after <= before + 1,
        "{before} calls before cancel, {after} after"
    );
    assert!(summary.abandoned >= 10, "{summary:?}");
}

#[test]
fn a_panic_in_the_input_iterator_ends_the_run_with_panicked() {
    // `lines().map(Result::unwrap)` on a read error: the iterator panics
    // after 30 ids. 0.3 ended the feeder thread and returned Ok with 70
    // users never asked.
    let asked = Arc::new(AtomicUsize::new(0));
    let a = Arc::clone(&asked);
    let server = HttpServer::start(move |target| {
        token_or_user(target, |_| {
            a.fetch_add(1, Ordering::SeqCst);
            SAMPLE_MFA_INFO.to_owned()
        })
    });
    let client = server.client(4);
    let (answered, result) = run_bounded(move || {
        let ids = (0..100).map(|i| {
            if i == 30 {
                panic!("reading the ids failed: Input/output error (os error 5)");
            }
            format!("user-{i}")
        });
        let mut answered = 0;
        let result = Batch::new(&client).concurrency(4).run(ids, |done| {
            assert!(done.outcome.is_answered(), "{:?}", done.outcome);
            answered += 1;
            ControlFlow::Continue(())
        });
        (answered, result)
    });
    match result {
        Err(BatchError::Panicked { message, .. }) => {
            assert!(message.contains("Input/output error"), "{message}");
            assert!(message.contains("input"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(answered <= 30, "{answered}");
    assert!(asked.load(Ordering::SeqCst) <= 30);
}

#[test]
fn a_cancel_before_run_is_a_cancelled_run_that_asks_nobody() {
    let requests = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&requests);
    let server = HttpServer::start(move |target| {
        r.fetch_add(1, Ordering::SeqCst);
        token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned())
    });
    let client = server.client(4);
    let batch = Batch::new(&client).concurrency(4);
    batch.cancel_handle().cancel();
    let mut handed = 0;
    let summary = batch
        .run(vec!["alice", "bob"], |_| {
            handed += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(summary.cancelled, "{summary:?}");
    assert_eq!(summary.tally.started, 0);
    assert_eq!(summary.abandoned, 0);
    assert_eq!(handed, 0);
    // Not even the token was asked for.
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[test]
fn borrowed_ids_and_tags_and_a_borrowing_progress_hook_are_accepted() {
    // 0.3 took only owned 'static input: `ids.iter()` did not compile.
    let server = HttpServer::start(|target| {
        token_or_user(target, |target| {
            if target.contains("userId=missing") {
                r#"{"statusCode":404,"apiCode":2004,"message":"user not found"}"#.to_owned()
            } else {
                SAMPLE_MFA_INFO.to_owned()
            }
        })
    });
    let client = server.client(4);
    let owned: Vec<String> = (0..20).map(|i| format!("user-{i}")).collect();
    let mut ticks = 0;
    let mut seen = Vec::new();
    let summary = Batch::new(&client)
        .concurrency(4)
        .on_progress(|tally| ticks = tally.done())
        .run(owned.iter(), |done| {
            seen.push(done.user_id.unwrap());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(summary.tally.answered, 20);
    assert_eq!(ticks, 20);
    seen.sort();
    let mut expected = owned.clone();
    expected.sort();
    assert_eq!(seen, expected);

    // `&&str` items, and tags that borrow from the caller's rows.
    let names = ["alice", "missing-bob"];
    let rows: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
    let mut answers = Vec::new();
    Batch::new(&client)
        .run(names.iter(), |done| {
            answers.push((done.user_id.unwrap(), done.outcome.is_answered()));
            ControlFlow::Continue(())
        })
        .unwrap();
    answers.sort();
    assert_eq!(
        answers,
        [
            ("alice".to_owned(), true),
            ("missing-bob".to_owned(), false)
        ]
    );
    let targets = rows.iter().map(|row| Target::new(row.1).tag(row));
    let mut tagged = Vec::new();
    Batch::new(&client)
        .run(targets, |done| {
            tagged.push(*done.tag);
            ControlFlow::Continue(())
        })
        .unwrap();
    tagged.sort();
    assert_eq!(tagged, rows);
}

#[test]
fn a_detached_input_blocked_in_next_does_not_hold_a_cancelled_or_stopped_run() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    for stop_by_cancel in [true, false] {
        let client = server.client(4);
        let (keep, release) = mpsc::channel::<()>();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let batch = Batch::new(&client).concurrency(4);
            let cancel = batch.cancel_handle();
            let ids = batch.detach(three_then_blocked(release));
            let mut handed = 0;
            let result = batch.run(ids, |done| {
                assert!(done.outcome.is_answered(), "{:?}", done.outcome);
                handed += 1;
                if handed < 3 {
                    ControlFlow::Continue(())
                } else if stop_by_cancel {
                    cancel.cancel();
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(())
                }
            });
            let _ = tx.send(result);
        });
        // The input blocks for a minute; the run returns well before.
        let summary = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the run waited for the blocked input")
            .unwrap();
        drop(keep);
        assert_eq!(summary.tally.answered, 3);
        assert_eq!(summary.cancelled, stop_by_cancel, "{summary:?}");
        assert_eq!(summary.stopped, !stop_by_cancel, "{summary:?}");
    }
}

#[test]
fn a_panic_in_a_detached_input_ends_the_run_with_panicked() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let client = server.client(4);
    let result = run_bounded(move || {
        let batch = Batch::new(&client).concurrency(4);
        let ids = batch.detach((0..100).map(|i| {
            assert!(i != 10, "reading the ids failed at line {i}");
            format!("user-{i}")
        }));
        batch.run(ids, |_| ControlFlow::Continue(()))
    });
    match result {
        Err(BatchError::Panicked { message, .. }) => {
            assert!(message.contains("failed at line 10"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_panic_in_the_callback_reaches_the_caller_and_ends_the_run() {
    let server = HttpServer::start(|target| token_or_user(target, |_| SAMPLE_MFA_INFO.to_owned()));
    let client = server.client(4);
    let caught = run_bounded(move || {
        let ids = (0..).map(|i| format!("user-{i}")); // endless
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Batch::new(&client)
                .concurrency(4)
                .run(ids, |_| -> ControlFlow<()> {
                    panic!("a bug in the callback")
                })
        }))
    });
    let panic = caught.expect_err("the callback's panic was swallowed");
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default();
    assert!(message.contains("a bug in the callback"), "{message}");
}
