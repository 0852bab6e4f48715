//! `/v1/client/sign_ins…`: create, reload, prepare/attempt first and second factors, reset
//! password (fapi.md §3.3, transitions §5.1).

use super::{Call, Outcome, Reply, envelope};
use crate::error::ApiError;
use crate::render::unknown_identification_id;
use crate::state::users::Totp;
use crate::state::{ATTEMPT_ABANDON_MS, EmailLink, Exchange, LinkTarget, MockState, SignIn, Verification};
use crate::totp;

/// Strategies whose `token` is an ID token. In the mock the token is the email address it
/// asserts (`strategy=google_one_tap&token=ada@example.com`).
pub(crate) fn is_id_token_strategy(strategy: &str) -> bool {
    strategy == "google_one_tap" || strategy.starts_with("oauth_token_")
}

/// `POST /v1/client/sign_ins`: creates (replacing) the client's sign-in.
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
    let mut sign_in = SignIn {
        id: state.random.id("sia"),
        client_id: client_id.clone(),
        status: "needs_identifier",
        identifier: None,
        user_id: None,
        first_factor: None,
        second_factor: None,
        created_session_id: None,
        sign_up_if_missing: false,
        abandon_at: now + ATTEMPT_ABANDON_MS,
    };
    let strategy = call.form_nonempty("strategy").unwrap_or("");

    if call.flag("transfer") {
        transfer_from_sign_up(state, &mut sign_in)?;
    } else if strategy == "ticket" {
        let ticket = call.require("ticket")?;
        let user_id = state
            .tickets
            .remove(ticket)
            .ok_or_else(|| ApiError::param_invalid("ticket", "The ticket is invalid or was already used."))?;
        sign_in.identifier = state.user(&user_id).and_then(crate::state::User::main_identifier);
        sign_in.user_id = Some(user_id);
        sign_in.first_factor = Some(Verification::verified("verification_ticket", "ticket"));
    } else if is_id_token_strategy(strategy) {
        let email = call.require("token")?.to_owned();
        sign_in.identifier = Some(email.clone());
        match state.user_by_identifier(&email).map(|u| u.id.clone()) {
            Some(user_id) => {
                sign_in.user_id = Some(user_id);
                sign_in.first_factor = Some(Verification::verified("verification_google_one_tap", strategy));
            }
            None => {
                let mut verification = Verification::verified("verification_google_one_tap", strategy);
                verification.status = "transferable";
                verification.error = Some(
                    ApiError::new(
                        422,
                        "external_account_not_found",
                        "Invalid external account",
                        "The External Account was not found.",
                    )
                    .to_json(),
                );
                sign_in.first_factor = Some(verification);
                sign_in.status = "needs_first_factor";
            }
        }
    } else if let Some(identifier) = call.form_nonempty("identifier") {
        sign_in.identifier = Some(identifier.to_owned());
        sign_in.status = "needs_first_factor";
        match state.user_by_identifier(identifier).map(|u| u.id.clone()) {
            Some(user_id) => {
                if let Some(session_id) = state.signed_in_session_of(&client_id, &user_id) {
                    return Err(identifier_already_signed_in(&session_id));
                }
                sign_in.user_id = Some(user_id);
            }
            None if call.flag("sign_up_if_missing") => sign_in.sign_up_if_missing = true,
            None => {
                return Err(ApiError::form(
                    "form_identifier_not_found",
                    "identifier",
                    "Couldn't find your account.",
                    "Couldn't find your account.",
                ));
            }
        }
        if let Some(password) = call.form("password").filter(|_| matches!(strategy, "" | "password")) {
            check_password(state, &sign_in, password)?;
            sign_in.first_factor = Some(Verification::verified("verification_password", "password"));
        } else if matches!(strategy, "email_code" | "phone_code" | "email_link") {
            prepare_first(state, &mut sign_in, strategy, None)?;
        }
    }

    if sign_in.first_factor.as_ref().is_some_and(|v| v.status == "verified") && sign_in.user_id.is_some() {
        let strategy = sign_in.first_factor.as_ref().map(|v| v.strategy.clone()).unwrap_or_default();
        advance_after_first_factor(state, exchange, &mut sign_in, &strategy);
    }
    let id = sign_in.id.clone();
    let consumed = sign_in.status == "complete";
    state.sign_ins.insert(id.clone(), sign_in);
    if let Some(client) = state.clients.get_mut(&client_id) {
        client.sign_in_id = (!consumed).then(|| id.clone());
    }
    state.touch_client(&client_id);
    Ok(Reply::ok(envelope(state, state.render_sign_in(&id), exchange)))
}

/// `GET /v1/client/sign_ins/{id}`: the sign-in, if it belongs to the request's client.
pub(crate) fn reload(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>, id: &str) -> Outcome {
    own_sign_in(state, exchange, id)?;
    if let (Some(client_id), Some(_)) = (exchange.client_id.clone(), call.query("rotating_token_nonce")) {
        state.rotate_token(&client_id, exchange);
    }
    Ok(Reply::ok(envelope(state, state.render_sign_in(id), exchange)))
}

/// `POST /v1/client/sign_ins/{id}/{action}`.
pub(crate) fn action(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    id: &str,
    action: &str,
) -> Outcome {
    let mut sign_in = own_sign_in(state, exchange, id)?;
    let result = match action {
        "prepare_first_factor" => {
            expect_status(&sign_in, &["needs_first_factor"])?;
            let strategy = call.require("strategy")?.to_owned();
            let identification =
                call.form_nonempty("email_address_id").or_else(|| call.form_nonempty("phone_number_id"));
            prepare_first(state, &mut sign_in, &strategy, identification)
        }
        "attempt_first_factor" => {
            expect_status(&sign_in, &["needs_first_factor"])?;
            attempt_first(state, exchange, call, &mut sign_in)
        }
        "prepare_second_factor" => {
            expect_status(&sign_in, &["needs_second_factor", "needs_client_trust"])?;
            prepare_second(state, call, &mut sign_in)
        }
        "attempt_second_factor" => {
            expect_status(&sign_in, &["needs_second_factor", "needs_client_trust"])?;
            attempt_second(state, exchange, call, &mut sign_in)
        }
        "reset_password" => {
            expect_status(&sign_in, &["needs_new_password"])?;
            reset_password(state, exchange, call, &mut sign_in)
        }
        _ => return Err(ApiError::not_found("sign-in action")),
    };
    let consumed = sign_in.status == "complete";
    let client_id = sign_in.client_id.clone();
    state.sign_ins.insert(id.to_owned(), sign_in);
    if let Some(client) = state.clients.get_mut(&client_id)
        && consumed
        && client.sign_in_id.as_deref() == Some(id)
    {
        client.sign_in_id = None;
    }
    state.touch_client(&client_id);
    result?;
    Ok(Reply::ok(envelope(state, state.render_sign_in(id), exchange)))
}

/// The sign-in `id` of the request's client: its current one, or a completed one (an
/// email-link completion is reloaded after the fact). An abandoned attempt answers
/// `resource_not_found`, as the spec says of `GET /v1/client/sign_ins/{id}` (fapi.md
/// §3.3.8). So does one a newer `create` replaced: fapi.md §3.3.1 and §4.1 give the client a
/// single current sign-in but do not say what the server answers for a replaced one; the
/// mock's strictness is an inference, chosen so a client acting on a stale attempt finds out. Mutations on a
/// request without a live client get a new client first (which has no sign-ins).
fn own_sign_in(state: &mut MockState, exchange: &mut Exchange, id: &str) -> Result<SignIn, ApiError> {
    let client_id = exchange.client_id.clone().ok_or_else(|| ApiError::not_found("sign in"))?;
    let current = state.clients.get(&client_id).and_then(|c| c.sign_in_id.as_deref()) == Some(id);
    state
        .sign_ins
        .get(id)
        .filter(|s| s.client_id == client_id && s.status != "abandoned" && (current || s.status == "complete"))
        .cloned()
        .ok_or_else(|| ApiError::not_found("sign in"))
}

/// `identifier_already_signed_in` (400): the identifier's user already has a signed-in session
/// on this client, which `meta.session_id` names so that the client can activate it instead
/// (fapi.md §2.3, §2.5, §5.1).
fn identifier_already_signed_in(session_id: &str) -> ApiError {
    ApiError {
        meta: serde_json::json!({ "session_id": session_id }),
        ..ApiError::new(400, "identifier_already_signed_in", "You're already signed in", "You're already signed in.")
    }
}

fn expect_status(sign_in: &SignIn, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&sign_in.status) {
        Ok(())
    } else {
        Err(ApiError::new(
            400,
            "sign_in_status_invalid",
            "not allowed in this state",
            &format!("This action is not allowed while the sign-in status is {}.", sign_in.status),
        ))
    }
}

/// Checks a password (a locked-out user gets `user_locked` whatever it is); a wrong one counts
/// towards the lockout, a right one resets the count.
fn check_password(state: &mut MockState, sign_in: &SignIn, password: &str) -> Result<(), ApiError> {
    let Some(user_id) = sign_in.user_id.clone() else { return Err(strategy_invalid()) };
    state.check_not_locked(&user_id)?;
    match state.user(&user_id).and_then(|u| u.password.clone()) {
        Some(expected) if expected == password => {
            state.record_verified(&user_id);
            Ok(())
        }
        Some(_) => {
            state.record_failed_verification(&user_id);
            Err(ApiError::form(
                "form_password_incorrect",
                "password",
                "Password is incorrect. Try again, or use another method.",
                "Password is incorrect. Try again, or use another method.",
            ))
        }
        None => Err(strategy_invalid()),
    }
}

/// The error a correct code on a `sign_up_if_missing` sign-in for an unknown identifier
/// answers. fapi.md does not name its code or status; apps in the wild match this code.
fn sign_up_if_missing_transfer() -> ApiError {
    ApiError::new(
        422,
        "sign_up_if_missing_transfer",
        "Sign up required",
        "No account has this identifier: transfer to a sign-up to create one.",
    )
}

fn strategy_invalid() -> ApiError {
    ApiError::form(
        "strategy_for_user_invalid",
        "strategy",
        "Invalid verification strategy",
        "The verification strategy is not valid for this account.",
    )
}

/// The email or phone a code or link goes to: the user's identification (by id, else the
/// primary of the right kind), or the typed identifier for an unknown user.
fn delivery_target(
    state: &MockState,
    sign_in: &SignIn,
    strategy: &str,
    identification: Option<&str>,
) -> Result<String, ApiError> {
    let wants_email = strategy.contains("email");
    let Some(user) = sign_in.user_id.as_deref().and_then(|id| state.user(id)) else {
        let identifier = sign_in.identifier.clone().unwrap_or_default();
        let ok = sign_in.sign_up_if_missing
            && identifier.contains('@') == wants_email
            && identification.is_none_or(|id| id == unknown_identification_id(sign_in));
        return if ok { Ok(identifier) } else { Err(strategy_invalid()) };
    };
    let by_id = identification.and_then(|id| user.identification(id));
    let chosen = match by_id {
        Some(found) => Some(found),
        None if identification.is_some() => None,
        None if wants_email => user.email.as_ref(),
        None => user.phone.as_ref(),
    };
    match chosen {
        Some(found) if found.value.contains('@') == wants_email => Ok(found.value.clone()),
        _ => Err(ApiError::param_invalid(
            if wants_email { "email_address_id" } else { "phone_number_id" },
            "No such identification for this user.",
        )),
    }
}

fn prepare_first(
    state: &mut MockState,
    sign_in: &mut SignIn,
    strategy: &str,
    identification: Option<&str>,
) -> Result<(), ApiError> {
    let now = state.now();
    if let Some(user_id) = sign_in.user_id.as_deref() {
        state.check_not_locked(user_id)?;
    }
    match strategy {
        "email_code" | "phone_code" | "reset_password_email_code" | "reset_password_phone_code" => {
            if strategy.starts_with("reset_password") && sign_in.user_id.is_none() {
                return Err(strategy_invalid());
            }
            let target = delivery_target(state, sign_in, strategy, identification)?;
            let code = state.issue_code(&target);
            sign_in.first_factor = Some(Verification::code(strategy, &target, code, now));
        }
        "email_link" => {
            let target = delivery_target(state, sign_in, strategy, identification)?;
            sign_in.first_factor = Some(Verification::email_link(&target, now));
            state.email_links.push(EmailLink {
                email: target,
                target: LinkTarget::SignIn { id: sign_in.id.clone(), second_factor: false },
            });
        }
        "password" => {}
        _ => return Err(strategy_invalid()),
    }
    Ok(())
}

fn attempt_first(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    sign_in: &mut SignIn,
) -> Result<(), ApiError> {
    let strategy = call.require("strategy")?.to_owned();
    let now = state.now();
    if let Some(user_id) = sign_in.user_id.clone() {
        state.check_not_locked(&user_id)?;
    }
    if strategy == "password" {
        let password = call.require("password")?;
        check_password(state, sign_in, password)?;
        sign_in.first_factor = Some(Verification::verified("verification_password", "password"));
        advance_after_first_factor(state, exchange, sign_in, "password");
        return Ok(());
    }
    let code = call.require("code")?.to_owned();
    let verification =
        sign_in.first_factor.as_mut().filter(|v| v.strategy == strategy && v.expected_code.is_some()).ok_or_else(
            || {
                ApiError::form(
                    "verification_missing",
                    "strategy",
                    "not prepared",
                    "Prepare this verification strategy first.",
                )
            },
        )?;
    verification.attempt(&code, now)?;
    if sign_in.user_id.is_none() {
        // sign_up_if_missing: the identifier is proven but no user has it. The attempt
        // answers an error; the piggybacked client shows the verification `transferable`
        // (fapi.md §5.1, §5.4: "for codes the attempt itself answers with an error").
        verification.status = "transferable";
        return Err(sign_up_if_missing_transfer());
    }
    if strategy.starts_with("reset_password") {
        match call.form_nonempty("password") {
            Some(password) => {
                set_password(state, sign_in, password, false)?;
                advance_after_first_factor(state, exchange, sign_in, &strategy);
            }
            None => sign_in.status = "needs_new_password",
        }
        return Ok(());
    }
    advance_after_first_factor(state, exchange, sign_in, &strategy);
    Ok(())
}

/// After a verified first factor: second factor (MFA), device trust, or completion.
fn advance_after_first_factor(state: &mut MockState, exchange: &mut Exchange, sign_in: &mut SignIn, strategy: &str) {
    let Some(user) = sign_in.user_id.as_deref().and_then(|id| state.user(id)) else { return };
    let known_client = state.clients.get(&sign_in.client_id).is_some_and(|c| c.known_user_ids.contains(&user.id));
    if user.has_second_factor() {
        sign_in.status = "needs_second_factor";
    } else if strategy == "password" && state.settings.client_trust && !known_client {
        sign_in.status = "needs_client_trust";
    } else {
        complete(state, exchange, sign_in, false);
    }
}

/// Completes the sign-in: a new session, the client's last active session, a rotated token.
/// The client's `last_authentication_strategy` is the first factor's strategy, also after a
/// second factor (recording `clerk_auth/sign_in_test/sign_in_with_client_trust/005.json`:
/// `password` after an `email_code` second factor).
pub(crate) fn complete(state: &mut MockState, exchange: &mut Exchange, sign_in: &mut SignIn, second_factor: bool) {
    let Some(user_id) = sign_in.user_id.clone() else { return };
    let first_factor_strategy = sign_in.first_factor.as_ref().map(|v| v.strategy.clone()).unwrap_or_default();
    let session_id =
        state.create_session(&sign_in.client_id, &user_id, &first_factor_strategy, second_factor, exchange);
    sign_in.status = "complete";
    sign_in.created_session_id = Some(session_id);
}

fn prepare_second(state: &mut MockState, call: &Call<'_>, sign_in: &mut SignIn) -> Result<(), ApiError> {
    let strategy = call.require("strategy")?.to_owned();
    let now = state.now();
    let client_trust = sign_in.status == "needs_client_trust";
    let user = sign_in.user_id.as_deref().and_then(|id| state.user(id)).cloned().ok_or_else(strategy_invalid)?;
    state.check_not_locked(&user.id)?;
    let allowed = match strategy.as_str() {
        "phone_code" => user.phone.is_some() && (user.phone_second_factor || client_trust),
        "email_code" | "email_link" => user.email.is_some() && client_trust,
        _ => false,
    };
    if !allowed {
        return Err(strategy_invalid());
    }
    let identification = call.form_nonempty("email_address_id").or_else(|| call.form_nonempty("phone_number_id"));
    let target = delivery_target(state, sign_in, &strategy, identification)?;
    if strategy == "email_link" {
        sign_in.second_factor = Some(Verification::email_link(&target, now));
        state.email_links.push(EmailLink {
            email: target,
            target: LinkTarget::SignIn { id: sign_in.id.clone(), second_factor: true },
        });
    } else {
        let code = state.issue_code(&target);
        sign_in.second_factor = Some(Verification::code(&strategy, &target, code, now));
    }
    Ok(())
}

fn attempt_second(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    sign_in: &mut SignIn,
) -> Result<(), ApiError> {
    let strategy = call.require("strategy")?.to_owned();
    let code = call.require("code")?.to_owned();
    let now = state.now();
    let user_id = sign_in.user_id.clone().ok_or_else(strategy_invalid)?;
    let user = state.user(&user_id).cloned().ok_or_else(strategy_invalid)?;
    state.check_not_locked(&user_id)?;
    match strategy.as_str() {
        "totp" if sign_in.status == "needs_second_factor" => {
            let setting = user.totp.as_ref().ok_or_else(strategy_invalid)?;
            let ok = match setting {
                Totp::FixedCode(expected) => *expected == code,
                Totp::Secret(secret) => totp::accepts(secret, state.clock.now_secs(), &code),
            };
            let attempts =
                sign_in.second_factor.as_ref().filter(|v| v.strategy == "totp").and_then(|v| v.attempts).unwrap_or(0)
                    + 1;
            let mut verification = Verification::verified("verification_totp", "totp");
            verification.attempts = Some(attempts);
            if !ok {
                verification.status = "unverified";
                sign_in.second_factor = Some(verification);
                state.record_failed_verification(&user_id);
                return Err(ApiError::form("form_code_incorrect", "code", "is incorrect", "Incorrect code"));
            }
            state.record_verified(&user_id);
            sign_in.second_factor = Some(verification);
        }
        "backup_code" if sign_in.status == "needs_second_factor" => {
            let position = user.backup_codes.iter().position(|c| *c == code);
            let Some(position) = position else {
                state.record_failed_verification(&user_id);
                return Err(ApiError::form("form_code_incorrect", "code", "is incorrect", "Incorrect code"));
            };
            state.record_verified(&user_id);
            if let Some(user) = state.user_mut(&user_id) {
                user.backup_codes.remove(position);
            }
            sign_in.second_factor = Some(Verification::verified("verification_backup_code", "backup_code"));
        }
        "phone_code" | "email_code" => {
            let verification = sign_in
                .second_factor
                .as_mut()
                .filter(|v| v.strategy == strategy && v.expected_code.is_some())
                .ok_or_else(|| {
                    ApiError::form(
                        "verification_missing",
                        "strategy",
                        "not prepared",
                        "Prepare this verification strategy first.",
                    )
                })?;
            verification.attempt(&code, now)?;
        }
        _ => return Err(strategy_invalid()),
    }
    complete(state, exchange, sign_in, true);
    Ok(())
}

fn set_password(
    state: &mut MockState,
    sign_in: &SignIn,
    password: &str,
    sign_out_others: bool,
) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::form(
            "form_password_length_too_short",
            "password",
            "Passwords must be 8 characters or more.",
            "Passwords must be 8 characters or more.",
        ));
    }
    let Some(user_id) = sign_in.user_id.clone() else { return Err(strategy_invalid()) };
    let now = state.now();
    if let Some(user) = state.user_mut(&user_id) {
        user.password = Some(password.to_owned());
        user.updated_at = now;
    }
    if sign_out_others {
        for session in state.sessions.values_mut().filter(|s| s.user_id == user_id && s.is_signed_in()) {
            session.status = "revoked";
            session.updated_at = now;
        }
    }
    Ok(())
}

fn reset_password(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    sign_in: &mut SignIn,
) -> Result<(), ApiError> {
    let password = call.require("password")?.to_owned();
    set_password(state, sign_in, &password, call.flag("sign_out_of_other_sessions"))?;
    let has_mfa =
        sign_in.user_id.as_deref().and_then(|id| state.user(id)).is_some_and(crate::state::User::has_second_factor);
    if has_mfa {
        sign_in.status = "needs_second_factor";
    } else {
        complete(state, exchange, sign_in, false);
    }
    Ok(())
}

/// `transfer=true`: a sign-in for the user whose external account the client's sign-up found.
fn transfer_from_sign_up(state: &mut MockState, sign_in: &mut SignIn) -> Result<(), ApiError> {
    let sign_up_id = state.clients.get(&sign_in.client_id).and_then(|c| c.sign_up_id.clone());
    let sign_up = sign_up_id.as_deref().and_then(|id| state.sign_ups.get(id)).cloned();
    let transferable = sign_up.as_ref().and_then(|s| {
        s.external_account
            .as_ref()
            .filter(|v| v.status == "transferable")
            .map(|v| (v.strategy.clone(), s.email_address.clone()))
    });
    let Some((strategy, Some(email))) = transferable else {
        return Err(ApiError::param_invalid("transfer", "There is no transferable sign-up on this client."));
    };
    let user_id = state.user_by_identifier(&email).map(|u| u.id.clone()).ok_or_else(|| ApiError::not_found("user"))?;
    sign_in.identifier = Some(email);
    sign_in.user_id = Some(user_id);
    sign_in.first_factor = Some(Verification::verified("verification_google_one_tap", &strategy));
    if let Some(client) = state.clients.get_mut(&sign_in.client_id) {
        client.sign_up_id = None;
    }
    Ok(())
}

/// Opens an email link: verifies the sign-in's factor and, when nothing else is needed,
/// completes it out of band (the client sees it by polling; its token rotates on its next
/// request). The completed sign-in stays on the client, as the recordings show. An abandoned
/// sign-in is left alone, and so is a locked-out user's (a link sent before the lockout
/// verifies nothing while it lasts).
pub(crate) fn open_email_link(state: &mut MockState, id: &str, second_factor: bool) {
    let Some(mut sign_in) = state.sign_ins.get(id).filter(|s| s.status != "abandoned").cloned() else { return };
    if sign_in.user_id.as_deref().is_some_and(|user| state.check_not_locked(user).is_err()) {
        return;
    }
    let client_id = sign_in.client_id.clone();
    let slot = if second_factor { &mut sign_in.second_factor } else { &mut sign_in.first_factor };
    let Some(verification) = slot.as_mut().filter(|v| v.strategy == "email_link" && v.status == "unverified") else {
        return;
    };
    if verification.expire_at.is_some_and(|at| state.now() >= at) {
        verification.status = "expired";
    } else {
        verification.status = if sign_in.user_id.is_some() { "verified" } else { "transferable" };
        verification.verified_at_client = Some(client_id.clone());
    }
    let verified = verification.status == "verified";
    let mut exchange = Exchange::default();
    if verified {
        if second_factor {
            complete(state, &mut exchange, &mut sign_in, true);
        } else {
            advance_after_first_factor(state, &mut exchange, &mut sign_in, "email_link");
        }
    }
    state.sign_ins.insert(id.to_owned(), sign_in);
    state.touch_client(&client_id);
}
