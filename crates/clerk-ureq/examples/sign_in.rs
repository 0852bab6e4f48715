//! Signs in with a password and an authenticator code, gets a session token and signs out,
//! with the blocking driver, against a local Frontend API started in-process:
//!
//! ```text
//! cargo run -p clerk-ureq --example sign_in
//! ```
//!
//! With `CLERK_PUBLISHABLE_KEY` set it signs in to your own instance instead, as
//! `CLERK_EMAIL` with `CLERK_PASSWORD` (both required then), and asks for an authenticator
//! code on standard input if the instance wants one. The client token is kept in memory
//! only.

use std::io::BufRead;
use std::sync::Arc;

use clerk_mock::{MockServer, Totp, UserSpec};
// The driver, and what it re-exports of clerk-core and clerk-store, in one import.
use clerk_ureq::prelude::*;

/// What Clerk's test mode accepts as a code for the mock's users.
const TEST_CODE: &str = "424242";

fn main() -> Result<(), DriverError> {
    // Your instance when its key is set; otherwise a mock with one user (password + TOTP).
    let mut mock = None;
    let (builder, email, password) = match std::env::var("CLERK_PUBLISHABLE_KEY") {
        Ok(key) => (Clerk::builder_from_publishable_key(&key)?, required("CLERK_EMAIL")?, required("CLERK_PASSWORD")?),
        Err(_) => {
            let server = MockServer::start();
            server.add_user(UserSpec {
                totp: Some(Totp::FixedCode(TEST_CODE.into())),
                ..UserSpec::with_email("ada+clerk_test@example.com").password("correct horse battery")
            });
            let builder = Clerk::builder_for_base_url(&server.base_url())?;
            mock = Some(server);
            (builder, "ada+clerk_test@example.com".to_owned(), "correct horse battery".to_owned())
        }
    };
    // Every state change, as it happens, on the thread that drives the engine (this one).
    let mut clerk = builder
        .store(Arc::new(MemoryStore::new()))
        .on_event(Box::new(|event: &Event| match event {
            Event::SignInStatusChanged { to, .. } => println!("  event: sign-in status → {to:?}"),
            Event::ActiveSessionChanged { session_id } => println!("  event: active session → {session_id:?}"),
            _ => {}
        }))
        .build()?;

    clerk.load()?;
    println!("signing in as {email}");
    let mut attempt = clerk.sign_in(SignInCreate::password(&email, Password::new(password)))?;
    if let Completion::SignIn(sign_in) = &attempt
        && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
    {
        let code = match mock {
            Some(_) => TEST_CODE.to_owned(),
            None => read_line("authenticator code: "),
        };
        attempt = clerk
            .sign_in_step(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(VerificationCode::new(code))))?;
    }
    if let Completion::SignIn(sign_in) = &attempt {
        println!("sign-in {:?}", sign_in.status);
    }

    let token = clerk.get_token(TokenRequest::default())?;
    // The JWT is a secret: its Debug output is redacted; `expose` hands it to your backend.
    println!("session token: {token:?} ({} bytes)", token.expose().len());

    clerk.sign_out(None)?;
    println!("signed out");
    Ok(())
}

/// One line from standard input, without its line break.
fn read_line(prompt: &str) -> String {
    eprint!("{prompt}");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim().to_owned()
}

/// An environment variable the example needs against a real instance.
fn required(name: &str) -> Result<String, DriverError> {
    std::env::var(name).map_err(|_| DriverError::Config(format!("CLERK_PUBLISHABLE_KEY is set, so {name} must be too")))
}
