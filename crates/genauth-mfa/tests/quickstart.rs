//! The quickstart example against its sandbox: the fake's loopback server
//! sees every request the example makes, over real HTTP.

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;

use genauth_mfa_fake::Route;

#[test]
fn the_quickstart_talks_to_the_fake_over_http_on_127_0_0_1() {
    let setup = quickstart::support::Setup::sandbox().unwrap();
    let sandbox = setup.as_sandbox().unwrap();
    assert!(
        sandbox.url().starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url()
    );
    let out = quickstart::run(&setup, None, None).unwrap();

    assert_eq!(out["enrolledFactors"].as_array().map(Vec::len), Some(3));
    assert_eq!(out["factor"]["factorId"], "6229ffaxxxxxxxxcade3e3d9");
    let row = &out["userMfaInfo"];
    assert_eq!(row["userId"], "alice@example.com");
    for key in [
        "totpStatus",
        "faceMfaStatus",
        "smsMfaStatus",
        "emailMfaStatus",
        "anyEnabled",
    ] {
        assert!(row.get(key).is_some(), "{key}: {row}");
    }

    let fake = sandbox.fake();
    let routes: Vec<_> = fake.requests().iter().map(|r| r.route()).collect();
    assert_eq!(
        routes,
        [
            Some(Route::ListEnrolledFactors),
            Some(Route::GetFactor),
            Some(Route::Token),
            Some(Route::GetUserMfaInfo),
        ]
    );
    let host = sandbox.url().trim_start_matches("http://").to_owned();
    for request in fake.requests() {
        // The headers of a real HTTP request, as ureq sent it.
        assert_eq!(request.header("host"), Some(host.as_str()), "{request:?}");
        assert!(
            request
                .header("user-agent")
                .is_some_and(|ua| ua.starts_with("genauth-mfa/"))
        );
    }
    assert_eq!(fake.requests()[3].query("userIdType"), Some("email"));
    assert_eq!(sandbox.requests_served(), 4);
}
