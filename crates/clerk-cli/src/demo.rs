//! `clerk demo`: a scripted tour against a local Frontend API started in-process.
//!
//! Text by default; with `--json`, JSON Lines: one object per step, named by its `step`
//! field (see [`crate::narration`]).

use std::path::Path;
use std::sync::Arc;

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::{
    OrganizationChoice, SecondFactorAttempt, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation, TokenRequest,
};
use clerk_mock::{MockServer, Totp, UserSpec};
use clerk_store::{MemoryStore, TranscriptWriter};
use clerk_ureq::Clerk;
use serde_json::json;

use crate::failure::Failure;
use crate::narration::Narration;
use crate::output::Output;
use crate::stdout::outln;
use crate::{describe, transcript_failure};

/// The code Clerk's test mode accepts for `+clerk_test` addresses.
const TEST_CODE: &str = "424242";
const NEWCOMER: &str = "newcomer+clerk_test@example.com";
const DEMO_USER: &str = "demo+clerk_test@example.com";
const DEMO_PASSWORD: &str = "demo-password-42";
const SECOND_USER: &str = "second+clerk_test@example.com";

/// Runs the tour; with `--json`, one JSON object per step (see [`crate::narration`]).
pub(crate) fn run(out: Output, transcript: Option<&Path>) -> Result<(), Failure> {
    let mock = MockServer::start();
    mock.add_user(UserSpec {
        first_name: Some("Demo".into()),
        totp: Some(Totp::FixedCode(TEST_CODE.into())),
        ..UserSpec::with_email(DEMO_USER).password(DEMO_PASSWORD)
    });
    mock.add_user(UserSpec {
        first_name: Some("Second".into()),
        ..UserSpec::with_email(SECOND_USER).password(DEMO_PASSWORD)
    });
    let mut tour = Narration::new(out);
    tour.note(&format!(
        "A local Frontend API is running at {} (publishable key {}).",
        mock.base_url(),
        mock.publishable_key()
    ));
    tour.note("Every request below is real HTTP over loopback; secrets are never printed.");

    let mut builder = Clerk::builder_for_base_url(&mock.base_url())
        .map_err(describe)?
        .store(Arc::new(MemoryStore::new()))
        .user_agent(crate::USER_AGENT)
        .on_event(tour.event_listener())
        .on_exchange(tour.exchange_listener());
    if let Some(path) = transcript {
        builder = builder.transcript(TranscriptWriter::create(path).map_err(transcript_failure)?);
    }
    let mut clerk = builder.build().map_err(describe)?;

    tour.begin(1, "load", "Load the environment");
    tour.record("frontend_api", json!(mock.base_url()));
    tour.record("publishable_key", json!(mock.publishable_key()));
    clerk.load().map_err(describe)?;

    tour.begin(2, "sign-up", &format!("Sign up as {NEWCOMER} and verify the email with a code"));
    let fields = SignUpFields {
        email_address: Some(NEWCOMER.into()),
        password: Some(Password::new("a-fresh-password-77")),
        first_name: Some("Newcomer".into()),
        legal_accepted: Some(true),
        ..SignUpFields::default()
    };
    clerk.sign_up(fields).map_err(describe)?;
    clerk.sign_up_step(SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode)).map_err(describe)?;
    clerk
        .sign_up_step(SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(VerificationCode::new(TEST_CODE))))
        .map_err(describe)?;
    tour.whoami(clerk.engine());

    tour.begin(3, "sign-out", "Sign out");
    let confirmation = clerk.sign_out(None).map_err(describe)?;
    tour.signed_out(&confirmation);

    tour.begin(4, "sign-in", &format!("Sign in as {DEMO_USER} with a password, then an authenticator code"));
    clerk.sign_in(SignInCreate::password(DEMO_USER, Password::new(DEMO_PASSWORD))).map_err(describe)?;
    clerk
        .sign_in_step(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(VerificationCode::new(TEST_CODE))))
        .map_err(describe)?;
    tour.whoami(clerk.engine());
    let first_session = clerk.engine().active_session_id().map(str::to_owned).ok_or("no active session")?;

    tour.begin(5, "token", "Get a session token and check it against the server's published keys (JWKS)");
    let token = clerk.get_token(TokenRequest::default()).map_err(describe)?;
    let claims = verify(&token, &mock.jwks())?;
    if out.is_json() {
        tour.record("verified_claims", claims);
    } else {
        outln!("    signature verified (RS256, key {})", claims.get("kid").and_then(|k| k.as_str()).unwrap_or("?"));
        for name in ["sid", "sub", "iat", "exp", "iss"] {
            if let Some(value) = claims.get("claims").and_then(|c| c.get(name)) {
                outln!("    {name:<4} {value}");
            }
        }
    }

    tour.begin(6, "second-session", &format!("Open a second session as {SECOND_USER}"));
    clerk.sign_in(SignInCreate::password(SECOND_USER, Password::new(DEMO_PASSWORD))).map_err(describe)?;
    tour.sessions(clerk.engine());

    tour.begin(7, "switch", "Switch back to the first session");
    clerk.set_active(&first_session, OrganizationChoice::SessionDefault).map_err(describe)?;
    tour.sessions(clerk.engine());

    tour.begin(8, "sign-out-all", "Sign out of every session");
    let confirmation = clerk.sign_out(None).map_err(describe)?;
    tour.signed_out(&confirmation);
    tour.sessions(clerk.engine());
    tour.finish();
    out.note("\nThat's the tour. Try it against your own instance: CLERK_PUBLISHABLE_KEY=pk_… clerk sign-in");
    Ok(())
}

/// Verifies `token` against `jwks` with an independent JWT library; returns its claims.
fn verify(token: &clerk_core::secret::SessionJwt, jwks: &serde_json::Value) -> Result<serde_json::Value, Failure> {
    let header = jsonwebtoken::decode_header(token.expose()).map_err(|e| format!("token header: {e}"))?;
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| format!("JWKS: {e}"))?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None => set.keys.first(),
    }
    .ok_or("no matching key in the JWKS")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| format!("JWKS key: {e}"))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<serde_json::Value>(token.expose(), &key, &validation)
        .map_err(|e| format!("the session token did not verify: {e}"))?;
    Ok(json!({ "kid": header.kid, "claims": data.claims }))
}
