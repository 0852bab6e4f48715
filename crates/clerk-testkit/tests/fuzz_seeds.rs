//! The committed seeds of the `client_actions` and `restore` fuzz targets, replayed on
//! stable as ordinary tests (same checks as the fuzzer: `clerk_testkit::fuzzing`).
//!
//! `cargo test -p clerk-testkit --test fuzz_seeds -- --ignored write_seeds` regenerates
//! them (deterministically).

use std::path::{Path, PathBuf};

use clerk_testkit::fuzzing::{client_actions, decode_case, restore};
use clerk_testkit::transition::{Answer, CommandChoice as C, ServerChange, SignInTarget};
use clerk_testkit::{EngineMode, Runner, Transition as T};

fn mode_name(mode: EngineMode) -> &'static str {
    match mode {
        EngineMode::BrowserProduction => "browser-production",
        EngineMode::BrowserDevelopment => "browser-development",
        _ => "native",
    }
}

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds").join(target)
}

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = seed_dir(target);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path, bytes));
    }
    out
}

#[test]
fn client_actions_seeds_replay_and_reach_deep_states() {
    let seeds = seeds("client_actions");
    assert!(seeds.len() >= 5, "expected the committed seeds, found {}", seeds.len());
    let mut deep = 0;
    for (_, bytes) in &seeds {
        client_actions(bytes);
        let (mode, steps) = decode_case(bytes);
        let runner = Runner::run_in(mode, &steps);
        let client = runner.client();
        deep += usize::from(client.active_session_id().is_some() || client.sign_in().is_some());
    }
    assert!(deep >= 5, "only {deep} seeds end in a sign-in or signed in: they no longer reach deep states");
}

#[test]
fn restore_seeds_replay() {
    let seeds = seeds("restore");
    assert!(seeds.len() >= 3, "expected the committed seeds, found {}", seeds.len());
    for (_, bytes) in &seeds {
        restore(bytes);
    }
}

/// A small deterministic generator (xorshift) for seed search.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
#[ignore = "writes fuzz/seeds/; run by hand to regenerate them"]
fn write_seeds() {
    // client_actions: random inputs that decode to long runs ending signed in or in a
    // sign-in, a few in each engine mode (the first bytes choose it).
    let dir = seed_dir("client_actions");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut written = [0usize; 3];
    for attempt in 0..400_000 {
        let len = 32 + (next(&mut state) % 160) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
        let (mode, steps) = decode_case(&bytes);
        let index = EngineMode::ALL.iter().position(|m| *m == mode).unwrap_or(0);
        if steps.len() < 12 || written[index] == 4 {
            continue;
        }
        let runner = Runner::run_in(mode, &steps);
        let deep = runner.client().active_session_id().is_some() || runner.client().sign_in().is_some();
        if deep {
            let name = format!("deep-{}-{attempt}", mode_name(mode));
            std::fs::write(dir.join(name), &bytes).unwrap_or_else(|e| panic!("{e}"));
            written[index] += 1;
            if written.iter().all(|n| *n == 4) {
                break;
            }
        }
    }
    assert!(written.iter().all(|n| *n >= 2), "found only {written:?} deep seeds per mode");

    // restore: exported states after hand-written runs, and a few near-misses.
    let dir = seed_dir("restore");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let ok = |change| T::respond(Answer::Success(change));
    let signed_in = Runner::run(&[T::Submit(C::SignInPassword), ok(ServerChange::SignIn(SignInTarget::Complete))]);
    let mid_sign_in = Runner::run(&[
        T::Submit(C::SignInIdentifier),
        ok(ServerChange::Nothing),
        T::Reset(clerk_testkit::ResetTarget::SignUp),
    ]);
    let fresh = Runner::new();
    // The native states in the format of the builds before decision 0014, without
    // `dev_browser_token`: they must still read back (as none).
    let native_json = |runner: &Runner| {
        let json = String::from_utf8(runner.client().export().to_json()).unwrap_or_default();
        json.replacen("\"dev_browser_token\":null,", "", 1)
    };
    for (name, runner) in [("signed-in", &signed_in), ("mid-sign-in", &mid_sign_in), ("fresh", &fresh)] {
        std::fs::write(dir.join(format!("{name}.json")), native_json(runner)).unwrap_or_else(|e| panic!("{e}"));
    }
    // A browser on a development instance, signed in with a dev-browser token; and a native
    // state that also holds one (each mode must keep only what it sends).
    let browser_signed_in = Runner::run_in(
        EngineMode::BrowserDevelopment,
        &[T::Submit(C::SignInPassword), ok(ServerChange::Nothing), ok(ServerChange::SignIn(SignInTarget::Complete))],
    );
    let client = browser_signed_in.client();
    assert!(client.dev_browser_token().is_some() && client.active_session_id().is_some());
    std::fs::write(dir.join("browser-dev-signed-in.json"), client.export().to_json()).unwrap_or_else(|e| panic!("{e}"));
    let json = native_json(&signed_in);
    let both_tokens = json.replacen("\"client\":", "\"dev_browser_token\":\"dvb_SECRETnative7\",\"client\":", 1);
    assert_ne!(both_tokens, json, "the native state has no client");
    std::fs::write(dir.join("native-with-dev-token.json"), both_tokens).unwrap_or_else(|e| panic!("{e}"));
    let wrong_host = json.replace("foo-bar-13.clerk.accounts.dev", "evil.example.com");
    std::fs::write(dir.join("wrong-host.json"), wrong_host).unwrap_or_else(|e| panic!("{e}"));
    let wrong_version = json.replacen("\"version\":1", "\"version\":2", 1);
    std::fs::write(dir.join("wrong-version.json"), wrong_version).unwrap_or_else(|e| panic!("{e}"));
    let huge_ids = json.replace("\"next_request_id\":", "\"next_request_id\":18446744073709551615,\"x\":");
    std::fs::write(dir.join("max-request-id.json"), huge_ids).unwrap_or_else(|e| panic!("{e}"));
}
