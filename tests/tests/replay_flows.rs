//! Replays of every recorded sign-in and sign-up flow in `../shared/fixtures/recorded/`.
//!
//! Each test submits the commands a user would; before each recorded answer is fed, the
//! request the engine emitted is checked against the recording's key (method, path, the set
//! of parameter names, the values the key shows) and against the spec; after each answer,
//! the operation's outcome and the engine's sign-in/sign-up status, sessions and active
//! session are checked against what the recorded body says (see `clerk_tests::replay`).
//!
//! Values the recorder withheld from the keys (identifier, password, names) are free: the
//! tests use the loader's `EMAIL`/`PHONE` for sign-ins, whose bodies were anonymised to
//! them, and the values the recorded sign-up bodies carry for sign-ups.
//!
//! The `user_details*` flows start with a sign-up: only that part is replayed. Their
//! `/v1/me…` exchanges (and everything after the first one) are user endpoints, not engine
//! operations, and out of scope here; `Replay::start` stops before them. The same holds for
//! the `DELETE /v1/me` (and the following `GET /v1/client`) that end the sign-up flows.

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::wire::{SignInStatus, SignUpStatus, Strategy};
use clerk_core::{
    ClientCommand, Completion, EmailLinkOutcome, Event, FirstFactorAttempt, FirstFactorPreparation, Flow,
    OperationError, SecondFactorAttempt, SecondFactorPreparation, SignInCommand, SignInCreate, SignUpAttempt,
    SignUpCommand, SignUpFields, SignUpPreparation,
};
use clerk_tests::replay::{EMAIL_LINK_POLL_INTERVAL, Expect, Replay};
use clerk_tests::{EMAIL, PHONE, RecordedExchange};
use serde_json::Value;

/// The code every recorded verification used (the test instance's magic code).
const CODE: &str = "424242";
/// The redirect URL the recorded email-link preparations sent.
const REDIRECT_URL: &str = "https://redirect.to.somewhere";
/// A password for the flows that send one (the recorder withheld the value).
const PASSWORD: &str = "correct-horse-battery-staple";

/// Every recorded flow with a sign-in or sign-up to replay, each with a test below.
const COVERED_FLOWS: [&str; 24] = [
    "clerk_api/sign_in_test/email_and_password",
    "clerk_api/sign_in_test/email_code",
    "clerk_api/sign_in_test/email_link",
    "clerk_api/sign_in_test/phone_code",
    "clerk_api/sign_up_test/email_code",
    "clerk_api/sign_up_test/phone_code",
    "clerk_api/user_details/additional_email",
    "clerk_api/user_details/additional_phone_number",
    "clerk_api/user_details/new_name",
    "clerk_api/user_details/set_primary_email",
    "clerk_api/user_details/set_primary_phone",
    "clerk_auth/sign_in_test/sign_in_with_client_trust",
    "clerk_auth/sign_in_test/sign_in_with_email_code",
    "clerk_auth/sign_in_test/sign_in_with_email_link",
    "clerk_auth/sign_in_test/sign_in_with_password",
    "clerk_auth/sign_in_test/sign_in_with_phone_code",
    "clerk_auth/sign_up_test/does_not_update_unchanged_values",
    "clerk_auth/sign_up_test/does_update_changed_values",
    "clerk_auth/sign_up_test/sign_up_with_email_and_phone_code",
    "clerk_auth/sign_up_test/sign_up_with_email_code_and_typo",
    "clerk_auth/user_details_test/delete_email",
    "clerk_auth/user_details_test/delete_phone",
    "clerk_auth/user_details_test/set_primary_email",
    "clerk_auth/user_details_test/set_primary_phone",
];

fn code() -> VerificationCode {
    VerificationCode::new(CODE)
}

fn plain<'a>(outgoing: &'a clerk_core::Outgoing, name: &str) -> Option<&'a str> {
    outgoing.request.form_value(name).map(|value| value.expose())
}

/// The sign-up values the recorded answer to exchange `index` (1-based) carries, so the
/// user's input is consistent with what the server echoed.
struct RecordedPerson {
    email_address: String,
    phone_number: Option<String>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

fn recorded_person(replay: &Replay, index: u32) -> RecordedPerson {
    let exchange: &RecordedExchange = replay
        .exchanges()
        .iter()
        .find(|exchange| exchange.index == index)
        .unwrap_or_else(|| panic!("no exchange {index}"));
    let body: Value = serde_json::from_slice(&exchange.body).unwrap_or_else(|err| panic!("{err}"));
    let text = |name: &str| body["response"][name].as_str().map(str::to_owned);
    RecordedPerson {
        email_address: text("email_address").unwrap_or_else(|| panic!("{}: no email_address", exchange.file_name())),
        phone_number: text("phone_number"),
        username: text("username"),
        first_name: text("first_name"),
        last_name: text("last_name"),
    }
}

/// `POST /v1/client` then `GET /v1/environment`, as the clerk_auth flows begin.
fn create_client_and_load_environment(replay: &mut Replay) {
    replay.submit(ClientCommand::Create, Expect::ClientCreated);
    replay.submit(ClientCommand::LoadEnvironment, Expect::EnvironmentLoaded);
}

fn assert_signed_in(replay: &Replay) {
    let client = &replay.harness.client;
    assert_eq!(client.active_session_id(), Some("SESSION_ID"));
    assert_eq!(client.sessions().len(), 1);
    assert!(
        replay.harness.events.contains(&Event::ActiveSessionChanged { session_id: Some("SESSION_ID".into()) }),
        "the new session must be announced active; events: {:?}",
        replay.harness.events
    );
}

// ----------------------------------------------------------------------------------------
// Sign-in flows
// ----------------------------------------------------------------------------------------

fn sign_in_by_email_code(replay: &mut Replay) {
    let create = replay
        .submit(SignInCommand::Create(SignInCreate::identifier(EMAIL)), Expect::SignIn(SignInStatus::NeedsFirstFactor));
    assert_eq!(plain(&create, "identifier"), Some(EMAIL));
    // The engine picks the email_address_id from the offered factors; the recording's key
    // shows IDENTIFIER_ID, which the runner compares.
    replay.submit(
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }),
        Expect::SignIn(SignInStatus::NeedsFirstFactor),
    );
    replay.submit(
        SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code())),
        Expect::SignIn(SignInStatus::Complete),
    );
    assert!(replay.harness.client.sign_in().is_none(), "the completed attempt is consumed");
    assert_signed_in(replay);
}

fn sign_in_by_phone_code(replay: &mut Replay) {
    let create = replay
        .submit(SignInCommand::Create(SignInCreate::identifier(PHONE)), Expect::SignIn(SignInStatus::NeedsFirstFactor));
    assert_eq!(plain(&create, "identifier"), Some(PHONE));
    replay.submit(
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::PhoneCode { phone_number_id: None }),
        Expect::SignIn(SignInStatus::NeedsFirstFactor),
    );
    replay.submit(
        SignInCommand::AttemptFirstFactor(FirstFactorAttempt::PhoneCode(code())),
        Expect::SignIn(SignInStatus::Complete),
    );
    assert!(replay.harness.client.sign_in().is_none(), "the completed attempt is consumed");
    assert_signed_in(replay);
}

/// Create with the identifier, prepare an email link; the engine then waits for the link.
fn sign_in_by_email_link_until_sent(replay: &mut Replay) {
    replay
        .submit(SignInCommand::Create(SignInCreate::identifier(EMAIL)), Expect::SignIn(SignInStatus::NeedsFirstFactor));
    replay.submit(
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
            email_address_id: None,
            redirect_url: REDIRECT_URL.into(),
        }),
        Expect::Pending,
    );
    assert!(
        replay.harness.events.contains(&Event::EmailLinkSent { flow: Flow::SignIn }),
        "the sent link must be announced; events: {:?}",
        replay.harness.events
    );
    assert_eq!(replay.harness.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
}

#[test]
fn clerk_api_sign_in_email_and_password() {
    let Some(mut replay) = Replay::start("clerk_api/sign_in_test/email_and_password") else { return };
    let create = replay
        .submit(SignInCommand::Create(SignInCreate::identifier(EMAIL)), Expect::SignIn(SignInStatus::NeedsFirstFactor));
    assert_eq!(plain(&create, "identifier"), Some(EMAIL));
    let attempt = replay.submit(
        SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(Password::new(PASSWORD))),
        Expect::SignIn(SignInStatus::Complete),
    );
    assert_eq!(plain(&attempt, "password"), Some(PASSWORD));
    assert_signed_in(&replay);
    replay.finish();
}

#[test]
fn clerk_api_sign_in_email_code() {
    let Some(mut replay) = Replay::start("clerk_api/sign_in_test/email_code") else { return };
    sign_in_by_email_code(&mut replay);
    replay.finish();
}

#[test]
fn clerk_api_sign_in_phone_code() {
    let Some(mut replay) = Replay::start("clerk_api/sign_in_test/phone_code") else { return };
    sign_in_by_phone_code(&mut replay);
    replay.finish();
}

/// The recording ends once the link is sent: the engine must then announce its first poll
/// one interval later; the user gives up (cancel), which ends the wait and the polling.
#[test]
fn clerk_api_sign_in_email_link() {
    let Some(mut replay) = Replay::start("clerk_api/sign_in_test/email_link") else { return };
    sign_in_by_email_link_until_sent(&mut replay);
    let now = replay.harness.now;
    assert_eq!(replay.harness.client.poll_timeout(), Some(now + EMAIL_LINK_POLL_INTERVAL));
    assert!(replay.harness.poll_request().is_none(), "no poll before its deadline");
    let op = replay.op();
    replay.harness.client.cancel(op).unwrap_or_else(|err| panic!("cancel refused: {err}"));
    assert_eq!(replay.harness.outcome(op), Some(Err(OperationError::Cancelled)));
    assert_eq!(replay.harness.client.poll_timeout(), None, "polling stopped");
    replay.harness.advance(EMAIL_LINK_POLL_INTERVAL);
    assert!(replay.harness.poll_request().is_none(), "no poll after cancel");
    replay.finish();
}

/// Identifier and password in one create, as the recorded native SDK sent them: no
/// `strategy` (FAPI infers it, fapi.md §3.7.1).
fn password_create(identifier: &str) -> SignInCreate {
    SignInCreate {
        identifier: Some(identifier.to_owned()),
        password: Some(Password::new(PASSWORD)),
        ..SignInCreate::default()
    }
}

fn clerk_auth_sign_in_with_password_using(create: SignInCreate) {
    let Some(mut replay) = Replay::start("clerk_auth/sign_in_test/sign_in_with_password") else { return };
    create_client_and_load_environment(&mut replay);
    let create = replay.submit(SignInCommand::Create(create), Expect::SignIn(SignInStatus::Complete));
    assert_eq!(plain(&create, "identifier"), Some(EMAIL));
    assert_eq!(plain(&create, "password"), Some(PASSWORD));
    assert_eq!(replay.harness.client.sign_in(), None, "the completed attempt is consumed");
    assert_signed_in(&replay);
    replay.finish();
}

#[test]
fn clerk_auth_sign_in_with_password() {
    clerk_auth_sign_in_with_password_using(password_create(EMAIL));
}

/// The one-call constructor the API offers for this flow sends what the recording shows
/// (`identifier&password`, no strategy).
#[test]
fn clerk_auth_sign_in_with_password_constructor() {
    clerk_auth_sign_in_with_password_using(SignInCreate::password(EMAIL, Password::new(PASSWORD)));
}

#[test]
fn clerk_auth_sign_in_with_email_code() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_in_test/sign_in_with_email_code") else { return };
    create_client_and_load_environment(&mut replay);
    sign_in_by_email_code(&mut replay);
    replay.finish();
}

#[test]
fn clerk_auth_sign_in_with_phone_code() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_in_test/sign_in_with_phone_code") else { return };
    create_client_and_load_environment(&mut replay);
    sign_in_by_phone_code(&mut replay);
    replay.finish();
}

/// A correct password on an unrecognised device: `needs_client_trust`, then an email code
/// as second factor (fapi.md §3.7.11).
#[test]
fn clerk_auth_sign_in_with_client_trust() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_in_test/sign_in_with_client_trust") else { return };
    create_client_and_load_environment(&mut replay);
    let create =
        replay.submit(SignInCommand::Create(password_create(EMAIL)), Expect::SignIn(SignInStatus::NeedsClientTrust));
    assert_eq!(plain(&create, "password"), Some(PASSWORD));
    replay.submit(
        SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode { email_address_id: None }),
        Expect::SignIn(SignInStatus::NeedsClientTrust),
    );
    replay.submit(
        SignInCommand::AttemptSecondFactor(SecondFactorAttempt::EmailCode(code())),
        Expect::SignIn(SignInStatus::Complete),
    );
    assert_signed_in(&replay);
    replay.finish();
}

/// The link is sent, the engine polls `GET /v1/client` once a second by itself, and the
/// third answer shows the sign-in complete with a new active session.
#[test]
fn clerk_auth_sign_in_with_email_link() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_in_test/sign_in_with_email_link") else { return };
    create_client_and_load_environment(&mut replay);
    sign_in_by_email_link_until_sent(&mut replay);
    replay.poll(Expect::Pending);
    replay.poll(Expect::Pending);
    replay.poll(Expect::EmailLink(EmailLinkOutcome::Completed { created_session_id: Some("SESSION_ID".into()) }));
    assert_signed_in(&replay);
    assert_eq!(replay.harness.client.poll_timeout(), None, "polling stopped");
    replay.finish();
}

// ----------------------------------------------------------------------------------------
// Sign-up flows
// ----------------------------------------------------------------------------------------

/// The full sign-up form, with the values the recorded answer to the create carries.
fn full_form(person: &RecordedPerson, strategy: Strategy, with_username: bool) -> SignUpFields {
    SignUpFields {
        email_address: Some(person.email_address.clone()),
        phone_number: person.phone_number.clone(),
        username: if with_username { person.username.clone() } else { None },
        password: Some(Password::new(PASSWORD)),
        first_name: person.first_name.clone(),
        last_name: person.last_name.clone(),
        legal_accepted: Some(true),
        strategy: Some(strategy),
        ..SignUpFields::default()
    }
}

fn create_sign_up(replay: &mut Replay, create_index: u32, strategy: Strategy, with_username: bool) {
    let person = recorded_person(replay, create_index);
    let form = full_form(&person, strategy, with_username);
    let create = replay.submit(SignUpCommand::Create(form), Expect::SignUp(SignUpStatus::MissingRequirements));
    assert_eq!(plain(&create, "email_address"), Some(person.email_address.as_str()));
    assert_eq!(plain(&create, "password"), Some(PASSWORD));
}

fn verify_email(replay: &mut Replay, prepare: bool) {
    if prepare {
        replay.submit(
            SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode),
            Expect::SignUp(SignUpStatus::MissingRequirements),
        );
    }
    replay.submit(
        SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code())),
        Expect::SignUp(SignUpStatus::MissingRequirements),
    );
}

fn verify_phone(replay: &mut Replay, prepare: bool, completes: bool) {
    let status = if completes { SignUpStatus::Complete } else { SignUpStatus::MissingRequirements };
    if prepare {
        replay.submit(
            SignUpCommand::PrepareVerification(SignUpPreparation::PhoneCode),
            Expect::SignUp(SignUpStatus::MissingRequirements),
        );
    }
    replay.submit(SignUpCommand::AttemptVerification(SignUpAttempt::PhoneCode(code())), Expect::SignUp(status));
}

fn verify_phone_then_email_completing(replay: &mut Replay) {
    replay.submit(
        SignUpCommand::PrepareVerification(SignUpPreparation::PhoneCode),
        Expect::SignUp(SignUpStatus::MissingRequirements),
    );
    replay.submit(
        SignUpCommand::AttemptVerification(SignUpAttempt::PhoneCode(code())),
        Expect::SignUp(SignUpStatus::MissingRequirements),
    );
    replay.submit(
        SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode),
        Expect::SignUp(SignUpStatus::MissingRequirements),
    );
    replay.submit(
        SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code())),
        Expect::SignUp(SignUpStatus::Complete),
    );
}

fn assert_signed_up(replay: &Replay) {
    assert_eq!(replay.harness.client.sign_up(), None, "the completed attempt is consumed");
    assert_signed_in(replay);
}

/// clerk_api sign-up (and the start of the clerk_api user-details flows): create with the
/// full form, verify the email, then the phone, which completes it.
fn clerk_api_sign_up_email_then_phone(flow: &str, with_username: bool) {
    let Some(mut replay) = Replay::start(flow) else { return };
    create_sign_up(&mut replay, 1, Strategy::EmailCode, with_username);
    verify_email(&mut replay, true);
    verify_phone(&mut replay, true, true);
    assert_signed_up(&replay);
    replay.finish();
}

/// clerk_auth user-details flows: client, environment, create with `strategy=password`,
/// then verify email and phone.
fn clerk_auth_sign_up_with_password_strategy(flow: &str) {
    let Some(mut replay) = Replay::start(flow) else { return };
    create_client_and_load_environment(&mut replay);
    create_sign_up(&mut replay, 3, Strategy::Password, false);
    verify_email(&mut replay, true);
    verify_phone(&mut replay, true, true);
    assert_signed_up(&replay);
    replay.finish();
}

#[test]
fn clerk_api_sign_up_email_code() {
    clerk_api_sign_up_email_then_phone("clerk_api/sign_up_test/email_code", true);
}

#[test]
fn clerk_api_sign_up_phone_code() {
    let Some(mut replay) = Replay::start("clerk_api/sign_up_test/phone_code") else { return };
    create_sign_up(&mut replay, 1, Strategy::PhoneCode, true);
    verify_phone_then_email_completing(&mut replay);
    assert_signed_up(&replay);
    replay.finish();
}

#[test]
fn clerk_api_user_details_additional_email_sign_up() {
    clerk_api_sign_up_email_then_phone("clerk_api/user_details/additional_email", false);
}

#[test]
fn clerk_api_user_details_additional_phone_number_sign_up() {
    clerk_api_sign_up_email_then_phone("clerk_api/user_details/additional_phone_number", false);
}

#[test]
fn clerk_api_user_details_new_name_sign_up() {
    clerk_api_sign_up_email_then_phone("clerk_api/user_details/new_name", false);
}

#[test]
fn clerk_api_user_details_set_primary_email_sign_up() {
    clerk_api_sign_up_email_then_phone("clerk_api/user_details/set_primary_email", false);
}

#[test]
fn clerk_api_user_details_set_primary_phone_sign_up() {
    clerk_api_sign_up_email_then_phone("clerk_api/user_details/set_primary_phone", false);
}

#[test]
fn clerk_auth_user_details_delete_email_sign_up() {
    clerk_auth_sign_up_with_password_strategy("clerk_auth/user_details_test/delete_email");
}

#[test]
fn clerk_auth_user_details_delete_phone_sign_up() {
    clerk_auth_sign_up_with_password_strategy("clerk_auth/user_details_test/delete_phone");
}

#[test]
fn clerk_auth_user_details_set_primary_email_sign_up() {
    clerk_auth_sign_up_with_password_strategy("clerk_auth/user_details_test/set_primary_email");
}

#[test]
fn clerk_auth_user_details_set_primary_phone_sign_up() {
    clerk_auth_sign_up_with_password_strategy("clerk_auth/user_details_test/set_primary_phone");
}

/// The create with `strategy=email_code` already sent the email code: the user attempts it
/// without a prepare, then prepares and attempts the phone code.
#[test]
fn clerk_auth_sign_up_with_email_and_phone_code() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_up_test/sign_up_with_email_and_phone_code") else { return };
    create_client_and_load_environment(&mut replay);
    create_sign_up(&mut replay, 3, Strategy::EmailCode, false);
    verify_email(&mut replay, false);
    verify_phone(&mut replay, true, true);
    assert_signed_up(&replay);
    replay.finish();
}

/// The user submits the form again with the email corrected (password not re-entered):
/// only the changed email goes out, with the strategy; then the flow goes on.
#[test]
fn clerk_auth_sign_up_with_email_code_and_typo() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_up_test/sign_up_with_email_code_and_typo") else { return };
    create_client_and_load_environment(&mut replay);
    create_sign_up(&mut replay, 3, Strategy::EmailCode, false);
    let typo = recorded_person(&replay, 3);
    let corrected = recorded_person(&replay, 4);
    assert_ne!(typo.email_address, corrected.email_address, "the recording corrects the email");
    let update = SignUpFields {
        password: None,
        email_address: Some(corrected.email_address.clone()),
        ..full_form(&typo, Strategy::EmailCode, false)
    };
    let patch = replay.submit(SignUpCommand::Update(update), Expect::SignUp(SignUpStatus::MissingRequirements));
    assert_eq!(plain(&patch, "email_address"), Some(corrected.email_address.as_str()));
    assert_eq!(
        replay.harness.client.sign_up().and_then(|sign_up| sign_up.email_address.as_deref()),
        Some(corrected.email_address.as_str())
    );
    verify_email(&mut replay, false);
    verify_phone(&mut replay, true, true);
    assert_signed_up(&replay);
    replay.finish();
}

/// Sign-up with only an email (and legal acceptance), then an update with a different
/// email: a PATCH with just `email_address` and `strategy`.
#[test]
fn clerk_auth_sign_up_does_update_changed_values() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_up_test/does_update_changed_values") else { return };
    create_client_and_load_environment(&mut replay);
    let first = recorded_person(&replay, 3);
    let second = recorded_person(&replay, 4);
    assert_ne!(first.email_address, second.email_address, "the recording changes the email");
    let fields = |email: &str| SignUpFields {
        email_address: Some(email.to_owned()),
        legal_accepted: Some(true),
        strategy: Some(Strategy::EmailCode),
        ..SignUpFields::default()
    };
    replay
        .submit(SignUpCommand::Create(fields(&first.email_address)), Expect::SignUp(SignUpStatus::MissingRequirements));
    let patch = replay.submit(
        SignUpCommand::Update(fields(&second.email_address)),
        Expect::SignUp(SignUpStatus::MissingRequirements),
    );
    assert_eq!(plain(&patch, "email_address"), Some(second.email_address.as_str()));
    assert_eq!(
        replay.harness.client.sign_up().and_then(|sign_up| sign_up.email_address.as_deref()),
        Some(second.email_address.as_str())
    );
    replay.finish();
}

/// An update with exactly what the create sent: nothing to send (the recording has no
/// PATCH), the operation completes as unchanged and the attempt stays as it was.
#[test]
fn clerk_auth_sign_up_does_not_update_unchanged_values() {
    let Some(mut replay) = Replay::start("clerk_auth/sign_up_test/does_not_update_unchanged_values") else { return };
    create_client_and_load_environment(&mut replay);
    let person = recorded_person(&replay, 3);
    let fields = SignUpFields {
        email_address: Some(person.email_address.clone()),
        legal_accepted: Some(true),
        strategy: Some(Strategy::EmailCode),
        ..SignUpFields::default()
    };
    replay.submit(SignUpCommand::Create(fields.clone()), Expect::SignUp(SignUpStatus::MissingRequirements));
    let before = replay.harness.client.sign_up().cloned();
    assert_eq!(replay.submit_without_request(SignUpCommand::Update(fields)), Completion::SignUpUnchanged);
    assert_eq!(replay.harness.client.sign_up().cloned(), before, "the attempt is untouched");
    assert_eq!(replay.harness.client.sign_up_status(), Some(&SignUpStatus::MissingRequirements));
    replay.finish();
}

// ----------------------------------------------------------------------------------------
// Coverage
// ----------------------------------------------------------------------------------------

/// Every recorded sign-in, sign-up and user-details flow has a replay above, and every
/// replayed flow is recorded.
#[test]
fn every_sign_in_and_sign_up_flow_is_replayed() {
    let flows = clerk_tests::recorded_flows();
    if flows.is_empty() {
        return;
    }
    let covered: Vec<&str> = COVERED_FLOWS.to_vec();
    let recorded: Vec<&str> = flows
        .iter()
        .map(|(flow, _)| flow.as_str())
        .filter(|flow| {
            flow.contains("/sign_in_test/") || flow.contains("/sign_up_test/") || flow.contains("/user_details")
        })
        .collect();
    for flow in &recorded {
        assert!(covered.contains(flow), "{flow} has no replay");
    }
    for flow in &covered {
        assert!(recorded.contains(flow), "{flow} is replayed but not recorded");
    }
}
