//! Signs a new user up with an email code, gets a session token and signs out, with the
//! async driver, against a local Frontend API started in-process:
//!
//! ```text
//! cargo run -p clerk-reqwest --example async_sign_up
//! ```
//!
//! With `CLERK_PUBLISHABLE_KEY` set it signs up on your own instance instead, as
//! `CLERK_EMAIL` with `CLERK_PASSWORD` (both required then). A `+clerk_test` address (such
//! as `you+clerk_test@example.com`) takes the code `424242` on a development instance, as
//! on the mock; for another address it asks for the code it sent on standard input.
//!
//! The steps: create the sign-up with what the app has (email address and password); send
//! what the instance says is still missing (`missing_fields`: on the mock, legal acceptance);
//! send a code to the email address and attempt it. Each call that returns `Ok` made its
//! step; only the status `complete` says the user and a session were made.

use std::io::BufRead;
use std::sync::Arc;

use clerk_mock::MockServer;
// The driver, and what it re-exports of clerk-core and clerk-store, in one import.
use clerk_reqwest::clerk_core::wire::SignUpResource;
use clerk_reqwest::prelude::*;

/// The new user on the mock: a `+clerk_test` address, so the code is [`TEST_CODE`].
const MOCK_EMAIL: &str = "grace+clerk_test@example.com";
const MOCK_PASSWORD: &str = "a long enough password";
/// The code Clerk's test mode accepts for `+clerk_test` addresses.
const TEST_CODE: &str = "424242";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Your instance when its key is set; otherwise a mock (it requires an email address, a
    // password and legal acceptance, and verifies the address with a code).
    let mut mock = None;
    let (builder, email, password) = match std::env::var("CLERK_PUBLISHABLE_KEY") {
        Ok(key) => (Clerk::builder_from_publishable_key(&key)?, required("CLERK_EMAIL")?, required("CLERK_PASSWORD")?),
        Err(_) => {
            // Kept in `mock` until the end of `main`: dropping it stops the server.
            let server = mock.insert(MockServer::start());
            (Clerk::builder_for_base_url(&server.base_url())?, MOCK_EMAIL.to_owned(), MOCK_PASSWORD.to_owned())
        }
    };
    let clerk = builder.store(Arc::new(MemoryStore::new())).build()?;

    // The sign-up's status changes, as they happen, from the driver's background task.
    let mut events = clerk.subscribe();
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(Event::SignUpStatusChanged { to, .. }) => println!("  event: sign-up status → {to:?}"),
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

    println!("signing up as {email}");
    let mut step = clerk.sign_up(SignUpFields::email_password(&email, Password::new(password))).await?;

    // The instance may require more than the app sent: the attempt lists what is missing.
    if let Some(sign_up) = step.sign_up()
        && !sign_up.missing_fields.is_empty()
    {
        println!("missing: {:?}", sign_up.missing_fields);
        let update = values_for_missing_fields(sign_up)?;
        step = clerk.sign_up_step(SignUpCommand::Update(update)).await?;
    }

    // The email address is verified with a code sent to it.
    if step.sign_up().is_some_and(|sign_up| sign_up.unverified_fields.iter().any(|field| field == "email_address")) {
        clerk.sign_up_step(SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode)).await?;
        let code =
            if email.contains("+clerk_test@") { TEST_CODE.to_owned() } else { read_line("code sent by email: ") };
        let attempt = SignUpAttempt::EmailCode(VerificationCode::new(code));
        step = clerk.sign_up_step(SignUpCommand::AttemptVerification(attempt)).await?;
    }

    // `Ok` from each call says its step was taken; only a complete attempt made the user.
    match step.sign_up() {
        Some(sign_up) if sign_up.is_complete() => {
            println!("signed up: user {:?}, session {:?}", sign_up.created_user_id, sign_up.created_session_id);
        }
        Some(sign_up) => {
            let (status, missing, unverified) = (&sign_up.status, &sign_up.missing_fields, &sign_up.unverified_fields);
            return Err(
                format!("not signed up: status {status:?}, missing {missing:?}, unverified {unverified:?}").into()
            );
        }
        None => return Err(format!("not a sign-up: {step:?}").into()),
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

/// The values for the fields the sign-up lists as missing: legal acceptance, which an app
/// asks for when the instance requires it. The email address and the password went with
/// the create; any other field is one this example has no value for.
fn values_for_missing_fields(sign_up: &SignUpResource) -> Result<SignUpFields, String> {
    let mut update = SignUpFields::default();
    for field in &sign_up.missing_fields {
        match field.as_ref() {
            // An app shows its terms of service and privacy policy and asks first.
            "legal_accepted" => update.legal_accepted = Some(true),
            other => return Err(format!("the instance requires {other}, which this example does not ask for")),
        }
    }
    Ok(update)
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
