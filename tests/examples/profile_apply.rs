//! Profiling aid (not run in CI): decode-and-apply of the recorded sign-in-complete answer
//! in a loop, for `valgrind --tool=callgrind`.
use clerk_core::secret::Password;
use clerk_core::{Client, Command, HttpResponse, Output, SignInCommand, SignInCreate};
use clerk_tests::harness::{START, config};

fn main() {
    let body = clerk_tests::recorded_flows()
        .into_iter()
        .find(|(name, _)| name == "clerk_auth/sign_in_test/sign_in_with_password")
        .and_then(|(_, e)| e.into_iter().find(|e| e.index == 3))
        .map(|e| e.body)
        .unwrap_or_default();
    let mut engine = Client::new(config(), START);
    let _ = engine
        .submit(Command::SignIn(SignInCommand::Create(SignInCreate::password("a@b.co", Password::new("p")))), START);
    let outgoing = loop {
        if let Output::Request(o) = engine.poll_output() {
            break o;
        }
    };
    let mode = std::env::args().nth(1).unwrap_or_default();
    for _ in 0..500 {
        match mode.as_str() {
            "value" => {
                let _ = std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&body));
            }
            "clone" => {
                let copy = engine.clone();
                std::hint::black_box((&copy, HttpResponse::ok_json(body.clone())));
            }
            _ => {
                let mut copy = engine.clone();
                let _ = copy.handle_response(outgoing.id, Ok(HttpResponse::ok_json(body.clone())), START);
                std::hint::black_box(&copy);
            }
        }
    }
}
