//! Signs in with a password and an authenticator code, gets a session token and signs out,
//! with the async driver, against a local Frontend API started in-process:
//!
//! ```text
//! cargo run -p clerk-reqwest --example async_sign_in
//! ```
//!
//! With `CLERK_PUBLISHABLE_KEY` set it signs in to your own instance instead, as
//! `CLERK_EMAIL` with `CLERK_PASSWORD` (both required then), and asks for an authenticator
//! code on standard input if the instance wants one. The client token is kept in memory
//! only.
//!
//! A sign-in call that returns `Ok` made its step, not always the whole flow: after the
//! password, a user with multi-factor authentication is in `needs_second_factor`, not signed
//! in. The example looks at the status of the attempt each step returns.

use std::io::BufRead;
use std::sync::Arc;

use clerk_mock::{MockServer, Totp, UserSpec};
// The driver, and what it re-exports of clerk-core and clerk-store, in one import.
use clerk_reqwest::prelude::*;

/// The mock's user: an email address, a password and an authenticator app (TOTP).
const MOCK_EMAIL: &str = "ada+clerk_test@example.com";
const MOCK_PASSWORD: &str = "correct horse battery";
const MOCK_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Your instance when its key is set; otherwise a mock with one user (password + TOTP).
    let mut mock = None;
    let (builder, email, password) = match std::env::var("CLERK_PUBLISHABLE_KEY") {
        Ok(key) => (Clerk::builder_from_publishable_key(&key)?, required("CLERK_EMAIL")?, required("CLERK_PASSWORD")?),
        Err(_) => {
            // Kept in `mock` until the end of `main`: dropping it stops the server.
            let server = mock.insert(MockServer::start());
            server.add_user(
                UserSpec::with_email(MOCK_EMAIL)
                    .password(MOCK_PASSWORD)
                    .mfa_totp(Totp::Secret(MOCK_TOTP_SECRET.into())),
            );
            (Clerk::builder_for_base_url(&server.base_url())?, MOCK_EMAIL.to_owned(), MOCK_PASSWORD.to_owned())
        }
    };
    let clerk = builder.store(Arc::new(MemoryStore::new())).build()?;

    // Every state change, as it happens, from the driver's background task.
    let mut events = clerk.subscribe();
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(Event::SignInStatusChanged { to, .. }) => println!("  event: sign-in status → {to:?}"),
                Ok(Event::ActiveSessionChanged { session_id }) => println!("  event: active session → {session_id:?}"),
                Ok(_) => {}
                // This receiver fell behind and the channel dropped events it had not read:
                // go on with the next one (the engine holds the state they changed).
                Err(RecvError::Lagged(missed)) => println!("  ({missed} events missed)"),
                // The driver's task ended: no more events will come.
                Err(RecvError::Closed) => break,
            }
        }
    });

    clerk.load().await?;
    println!("signing in as {email}");
    let mut step = clerk.sign_in(SignInCreate::password(&email, Password::new(password))).await?;
    // `Ok` says the password was right, not that the user is signed in: look at the attempt.
    if let Some(sign_in) = step.sign_in()
        && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
    {
        let offered: Vec<&str> = sign_in.supported_second_factors.iter().map(|factor| &*factor.strategy).collect();
        println!("second factor needed; the server takes: {}", offered.join(", "));
        // The mock knows what the user's authenticator app shows now; a person types it.
        let code = match &mock {
            Some(server) => server.totp_code(&email).ok_or("the mock's user has no TOTP")?,
            None => read_line("authenticator code: "),
        };
        step = clerk
            .sign_in_step(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(VerificationCode::new(code))))
            .await?;
    }
    match step.sign_in() {
        Some(sign_in) if sign_in.is_complete() => println!("signed in: session {:?}", sign_in.created_session_id),
        // Another status (`needs_client_trust`, `needs_new_password`, …) is a step this
        // example does not take.
        Some(sign_in) => return Err(format!("not signed in: status {:?}", sign_in.status).into()),
        None => return Err(format!("not a sign-in: {step:?}").into()),
    }

    let token = clerk.get_token(TokenRequest::default()).await?;
    // The JWT is a secret: its Debug output is redacted; `expose` hands it to your backend.
    println!("session token: {token:?} ({} bytes)", token.expose().len());

    clerk.sign_out(None).await?;
    println!("signed out");
    drop(clerk);
    // The task ends once the last handle is gone; the subscriber then sees the channel close.
    let _ = printer.await;
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
