//! `/v1/client/sign_ups…`: create, update, reload, prepare and attempt verifications
//! (fapi.md §3.4, transitions §5.2).

use serde_json::{Value, json};

use super::sign_ins::is_id_token_strategy;
use super::{Call, Outcome, Reply, envelope};
use crate::error::ApiError;
use crate::render::unverified_fields;
use crate::state::users::{Identification, User};
use crate::state::{ATTEMPT_ABANDON_MS, EmailLink, Exchange, LinkTarget, MockState, SignUp, Verification};

/// `POST /v1/client/sign_ups`: creates (replacing) the client's sign-up.
pub(crate) fn create(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>) -> Outcome {
    let client_id = state.ensure_client(exchange);
    if state.settings.single_session_mode && state.client_has_signed_in_session(&client_id) {
        return Err(ApiError::new(
            400,
            "session_exists",
            "You're already signed in",
            "You're currently in single session mode. You can only be signed into one account at a time.",
        ));
    }
    let now = state.now();
    let mut sign_up = SignUp {
        id: state.random.id("sua"),
        client_id: client_id.clone(),
        status: "missing_requirements",
        email_address: None,
        phone_number: None,
        username: None,
        first_name: None,
        last_name: None,
        password: None,
        legal_accepted_at: None,
        unsafe_metadata: json!({}),
        email_verification: None,
        phone_verification: None,
        external_account: None,
        created_session_id: None,
        created_user_id: None,
        locale: call.form_nonempty("locale").map(str::to_owned),
        abandon_at: now + ATTEMPT_ABANDON_MS,
    };
    let strategy = call.form_nonempty("strategy").unwrap_or("").to_owned();
    if call.flag("transfer") {
        transfer_from_sign_in(state, &mut sign_up)?;
    } else if is_id_token_strategy(&strategy) {
        let email = call.require("token")?.to_owned();
        let mut verification = Verification::verified("verification_google_one_tap", &strategy);
        sign_up.email_address = Some(email.clone());
        if state.user_by_identifier(&email).is_some() {
            verification.status = "transferable";
            verification.error = Some(
                ApiError::new(
                    422,
                    "external_account_exists",
                    "This account already exists",
                    "This account already exists.",
                )
                .to_json(),
            );
        } else {
            sign_up.email_verification = Some(proven_by_the_external_account());
        }
        sign_up.external_account = Some(verification);
    }
    apply_fields(state, call, &mut sign_up)?;
    prepare_requested(state, &mut sign_up, &strategy)?;
    let id = sign_up.id.clone();
    settle(state, exchange, &mut sign_up, &strategy, true);
    store(state, sign_up, true);
    Ok(Reply::ok(envelope(state, state.render_sign_up(&id), exchange)))
}

/// `GET /v1/client/sign_ups/{id}`.
pub(crate) fn reload(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>, id: &str) -> Outcome {
    own_sign_up(state, exchange, id)?;
    if let (Some(client_id), Some(_)) = (exchange.client_id.clone(), call.query("rotating_token_nonce")) {
        state.rotate_token(&client_id, exchange);
    }
    Ok(Reply::ok(envelope(state, state.render_sign_up(id), exchange)))
}

/// `PATCH /v1/client/sign_ups/{id}`: sets fields; a changed identifier loses its verification.
/// A `strategy` prepares its verification as on create: after correcting a typo in the email
/// with `strategy=email_code`, a new code goes to the new address and the verification is
/// `unverified` with `next_action: needs_attempt` (recording
/// `clerk_auth/sign_up_test/sign_up_with_email_code_and_typo/004.json`).
pub(crate) fn update(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>, id: &str) -> Outcome {
    let mut sign_up = own_sign_up(state, exchange, id)?;
    updatable(&sign_up)?;
    apply_fields(state, call, &mut sign_up)?;
    let strategy = call.form_nonempty("strategy").unwrap_or("").to_owned();
    prepare_requested(state, &mut sign_up, &strategy)?;
    settle(state, exchange, &mut sign_up, &strategy, true);
    store(state, sign_up, true);
    Ok(Reply::ok(envelope(state, state.render_sign_up(id), exchange)))
}

/// `POST /v1/client/sign_ups/{id}/{action}`.
pub(crate) fn action(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    id: &str,
    action: &str,
) -> Outcome {
    let mut sign_up = own_sign_up(state, exchange, id)?;
    updatable(&sign_up)?;
    let strategy = call.require("strategy")?.to_owned();
    let result = match action {
        "prepare_verification" => prepare(state, &mut sign_up, &strategy),
        "attempt_verification" => attempt(state, call, &mut sign_up, &strategy),
        _ => return Err(ApiError::not_found("sign-up action")),
    };
    if result.is_ok() {
        settle(state, exchange, &mut sign_up, &strategy, true);
    }
    store(state, sign_up, true);
    result?;
    Ok(Reply::ok(envelope(state, state.render_sign_up(id), exchange)))
}

fn own_sign_up(state: &MockState, exchange: &Exchange, id: &str) -> Result<SignUp, ApiError> {
    let client_id = exchange.client_id.clone().ok_or_else(|| ApiError::not_found("sign up"))?;
    state.sign_ups.get(id).filter(|s| s.client_id == client_id).cloned().ok_or_else(|| ApiError::not_found("sign up"))
}

fn updatable(sign_up: &SignUp) -> Result<(), ApiError> {
    if sign_up.status == "missing_requirements" {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "sign_up_cannot_be_updated",
            "Sign up cannot be updated",
            "This sign up has reached a terminal state and cannot be updated.",
        ))
    }
}

/// Copies the attribute parameters of a create or update onto the sign-up.
fn apply_fields(state: &MockState, call: &Call<'_>, sign_up: &mut SignUp) -> Result<(), ApiError> {
    let taken = |field: &str, value: &str| -> Result<(), ApiError> {
        if state.user_by_identifier(value).is_some() {
            Err(ApiError::form(
                "form_identifier_exists",
                field,
                "That identifier is taken. Please try another.",
                "That identifier is taken. Please try another.",
            ))
        } else {
            Ok(())
        }
    };
    if let Some(email) = call.form_nonempty("email_address") {
        taken("email_address", email)?;
        if sign_up.email_address.as_deref() != Some(email) {
            sign_up.email_address = Some(email.to_owned());
            sign_up.email_verification = None;
        }
    }
    if let Some(phone) = call.form_nonempty("phone_number") {
        taken("phone_number", phone)?;
        if sign_up.phone_number.as_deref() != Some(phone) {
            sign_up.phone_number = Some(phone.to_owned());
            sign_up.phone_verification = None;
        }
    }
    if let Some(username) = call.form_nonempty("username") {
        taken("username", username)?;
        sign_up.username = Some(username.to_owned());
    }
    if let Some(password) = call.form_nonempty("password") {
        if password.chars().count() < 8 {
            return Err(ApiError::form(
                "form_password_length_too_short",
                "password",
                "Passwords must be 8 characters or more.",
                "Passwords must be 8 characters or more.",
            ));
        }
        sign_up.password = Some(password.to_owned());
    }
    if let Some(first) = call.form_nonempty("first_name") {
        sign_up.first_name = Some(first.to_owned());
    }
    if let Some(last) = call.form_nonempty("last_name") {
        sign_up.last_name = Some(last.to_owned());
    }
    if let Some(accepted) = call.form("legal_accepted") {
        sign_up.legal_accepted_at = (accepted == "true").then(|| state.now());
    }
    if let Some(metadata) = call.form_nonempty("unsafe_metadata") {
        let value: Value = serde_json::from_str(metadata)
            .map_err(|_| ApiError::param_invalid("unsafe_metadata", "unsafe_metadata must be a JSON object."))?;
        if !value.is_object() {
            return Err(ApiError::param_invalid("unsafe_metadata", "unsafe_metadata must be a JSON object."));
        }
        sign_up.unsafe_metadata = value;
    }
    Ok(())
}

/// The `strategy` of a create or update: prepares the verification of the identifier it
/// verifies (`email_code`/`email_link`: the email address, `phone_code`: the phone number)
/// when the sign-up has that identifier and it is not verified yet. Other strategies (ID
/// tokens, none) prepare nothing here.
fn prepare_requested(state: &mut MockState, sign_up: &mut SignUp, strategy: &str) -> Result<(), ApiError> {
    let is_verified =
        |verification: &Option<Verification>| verification.as_ref().is_some_and(|v| v.status == "verified");
    let needs_preparing = match strategy {
        "email_code" | "email_link" => sign_up.email_address.is_some() && !is_verified(&sign_up.email_verification),
        "phone_code" => sign_up.phone_number.is_some() && !is_verified(&sign_up.phone_verification),
        _ => false,
    };
    if needs_preparing { prepare(state, sign_up, strategy) } else { Ok(()) }
}

/// Sends a code or link for `strategy` and makes the field's verification `unverified`.
fn prepare(state: &mut MockState, sign_up: &mut SignUp, strategy: &str) -> Result<(), ApiError> {
    let now = state.now();
    match strategy {
        "email_code" | "email_link" => {
            let email = sign_up.email_address.clone().ok_or_else(|| ApiError::param_missing("email_address"))?;
            let mut verification = if strategy == "email_code" {
                let code = state.issue_code(&email);
                Verification::code("email_code", &email, code, now)
            } else {
                state
                    .email_links
                    .push(EmailLink { email: email.clone(), target: LinkTarget::SignUp { id: sign_up.id.clone() } });
                Verification::email_link(&email, now)
            };
            verification.supported_strategies = Some(vec!["email_code", "email_link"]);
            sign_up.email_verification = Some(verification);
        }
        "phone_code" => {
            let phone = sign_up.phone_number.clone().ok_or_else(|| ApiError::param_missing("phone_number"))?;
            let code = state.issue_code(&phone);
            let mut verification = Verification::code("phone_code", &phone, code, now);
            verification.supported_strategies = Some(vec!["phone_code"]);
            sign_up.phone_verification = Some(verification);
        }
        _ => {
            return Err(ApiError::form(
                "form_param_value_invalid",
                "strategy",
                "is invalid",
                "This verification strategy is not supported for sign-ups.",
            ));
        }
    }
    Ok(())
}

fn attempt(state: &mut MockState, call: &Call<'_>, sign_up: &mut SignUp, strategy: &str) -> Result<(), ApiError> {
    let code = call.require("code")?.to_owned();
    let now = state.now();
    let slot = match strategy {
        "email_code" => &mut sign_up.email_verification,
        "phone_code" => &mut sign_up.phone_verification,
        _ => return Err(ApiError::param_invalid("strategy", "This verification strategy cannot be attempted.")),
    };
    let verification = slot.as_mut().filter(|v| v.strategy == strategy).ok_or_else(|| {
        ApiError::form("verification_missing", "strategy", "not prepared", "Prepare this verification strategy first.")
    })?;
    verification.attempt(&code, now)
}

/// Completes the sign-up when nothing is missing or unverified: creates the user and a
/// session (rotating the token when the request's own client completes it).
fn settle(state: &mut MockState, exchange: &mut Exchange, sign_up: &mut SignUp, strategy: &str, _by_request: bool) {
    let external_pending = sign_up.external_account.as_ref().is_some_and(|v| v.status != "verified");
    let missing = state.missing_fields(sign_up);
    if sign_up.status != "missing_requirements"
        || external_pending
        || !missing.is_empty()
        || !unverified_fields(sign_up).is_empty()
    {
        return;
    }
    let now = state.now();
    let user = User {
        id: state.random.id("user"),
        email: sign_up.email_address.clone().map(|value| Identification { id: state.random.id("idn"), value }),
        phone: sign_up.phone_number.clone().map(|value| Identification { id: state.random.id("idn"), value }),
        username: sign_up.username.clone(),
        password: sign_up.password.clone(),
        first_name: sign_up.first_name.clone(),
        last_name: sign_up.last_name.clone(),
        totp: None,
        backup_codes: Vec::new(),
        phone_second_factor: false,
        unsafe_metadata: sign_up.unsafe_metadata.clone(),
        legal_accepted_at: sign_up.legal_accepted_at,
        last_sign_in_at: None,
        failed_attempts: 0,
        locked_until: None,
        created_at: now,
        updated_at: now,
    };
    let user_id = user.id.clone();
    state.users.push(user);
    let strategy = if strategy.is_empty() { "email_code" } else { strategy };
    let session_id = state.create_session(&sign_up.client_id, &user_id, strategy, false, exchange);
    sign_up.status = "complete";
    sign_up.created_user_id = Some(user_id);
    sign_up.created_session_id = Some(session_id);
}

/// Stores the sign-up; a complete sign-up is consumed from the client when `consume`.
fn store(state: &mut MockState, sign_up: SignUp, consume: bool) {
    let id = sign_up.id.clone();
    let client_id = sign_up.client_id.clone();
    let complete = sign_up.status == "complete";
    state.sign_ups.insert(id.clone(), sign_up);
    if let Some(client) = state.clients.get_mut(&client_id) {
        client.sign_up_id = if complete && consume { None } else { Some(id) };
    }
    state.touch_client(&client_id);
}

/// `transfer=true`: a sign-up from the client's sign-in whose identifier was proven but has no
/// user (`transferable` first factor). The sign-in is consumed.
fn transfer_from_sign_in(state: &mut MockState, sign_up: &mut SignUp) -> Result<(), ApiError> {
    let sign_in_id = state.clients.get(&sign_up.client_id).and_then(|c| c.sign_in_id.clone());
    let sign_in = sign_in_id.as_deref().and_then(|id| state.sign_ins.get(id)).cloned();
    let Some((verification, identifier)) = sign_in.and_then(|s| {
        let verification = s.first_factor.filter(|v| v.status == "transferable")?;
        Some((verification, s.identifier?))
    }) else {
        return Err(ApiError::param_invalid("transfer", "There is no transferable sign-in on this client."));
    };
    let mut proven = verification.clone();
    proven.status = "verified";
    proven.error = None;
    if is_id_token_strategy(&verification.strategy) {
        sign_up.external_account = Some(proven);
        sign_up.email_address = Some(identifier.clone());
        sign_up.email_verification = Some(proven_by_the_external_account());
    } else if identifier.contains('@') {
        proven.supported_strategies = Some(vec!["email_code", "email_link"]);
        sign_up.email_address = Some(identifier);
        sign_up.email_verification = Some(proven);
    } else {
        proven.supported_strategies = Some(vec!["phone_code"]);
        sign_up.phone_number = Some(identifier);
        sign_up.phone_verification = Some(proven);
    }
    if let Some(client) = state.clients.get_mut(&sign_up.client_id) {
        client.sign_in_id = None;
    }
    Ok(())
}

/// The email verification of a sign-up through an external account: verified by the
/// provider, nothing left to prepare (a sign-up verification always carries `next_action`
/// and `supported_strategies`, per the spec's `SignUpVerification`).
fn proven_by_the_external_account() -> Verification {
    Verification {
        supported_strategies: Some(Vec::new()),
        ..Verification::verified("verification_from_oauth", "from_oauth_google")
    }
}

/// Opens a sign-up's email link: verifies the email and, when nothing else is needed, completes
/// the sign-up out of band (it stays on the client so polling sees it). A sign-up that is no
/// longer `missing_requirements` (complete, abandoned) is left alone.
pub(crate) fn open_email_link(state: &mut MockState, id: &str) {
    let Some(mut sign_up) = state.sign_ups.get(id).filter(|s| s.status == "missing_requirements").cloned() else {
        return;
    };
    let Some(verification) =
        sign_up.email_verification.as_mut().filter(|v| v.strategy == "email_link" && v.status == "unverified")
    else {
        return;
    };
    if verification.expire_at.is_some_and(|at| state.now() >= at) {
        verification.status = "expired";
    } else {
        verification.status = "verified";
        verification.verified_at_client = Some(sign_up.client_id.clone());
    }
    let mut exchange = Exchange::default();
    settle(state, &mut exchange, &mut sign_up, "email_link", false);
    store(state, sign_up, false);
}
