//! Golden requests of the sign-in flow: for every operation and strategy, the exact method,
//! path, query, headers and form body, written by hand from fapi.md §1.3–1.7, §3.3 and
//! Appendix B (not snapshots of what the code emits). Every emitted request is also checked
//! against Clerk's OpenAPI spec plus `../shared/fapi/undocumented.json`, and every secret
//! value (password, code, ticket, token, signature, passkey assertion, nonce, client token)
//! must carry the secret mark so that nothing that shows a request can leak it.
//!
//! fapi.md does not fix the order of body fields (clerk-js emits the caller's object keys
//! in their order, §1.7); the expectations follow the order of the parameter tables of
//! §3.3.1–3.3.6 (`strategy` first, then the strategy's own parameters), which is also the
//! declaration order of `SignInCreate`.

use clerk_core::secret::{Credential, Password, Ticket, VerificationCode};
use clerk_core::wire::Strategy;
use clerk_core::{
    CommandError, FirstFactorAttempt, FirstFactorPreparation, HttpRequest, Method, SecondFactorAttempt,
    SecondFactorPreparation, SignInCommand, SignInCreate,
};
use clerk_tests::golden::{self, FIRST_POST_HEADERS, GET_HEADERS, Golden, NATIVE_QUERY, POST_HEADERS, plain};
use clerk_tests::harness::{Harness, client_json, sign_in_json};
use clerk_tests::spec::assert_conforms;
use serde_json::{Value, json};

/// Checks `request` against `golden`, the spec and the secret marks.
fn check(request: &HttpRequest, golden: &Golden<'_>) {
    golden::check(request, golden);
    golden::check_secret_marks(request, &golden::SECRET_NAMES);
}

/// A POST with the stored token to `path` with `body`.
fn post(path: &'static str, body: &'static str) -> Golden<'static> {
    Golden {
        method: Method::Post,
        path,
        query: NATIVE_QUERY.to_vec(),
        headers: POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

/// The first mutating request of a client that has no token yet.
fn first_post(body: &'static str) -> Golden<'static> {
    Golden {
        method: Method::Post,
        path: "/v1/client/sign_ins",
        query: NATIVE_QUERY.to_vec(),
        headers: FIRST_POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

/// Every first factor fapi.md §4.4 lists, with made-up ids.
fn all_first_factors() -> Value {
    json!([
        { "strategy": "password" },
        { "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com", "primary": true },
        { "strategy": "email_link", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" },
        { "strategy": "phone_code", "phone_number_id": "idn_2", "safe_identifier": "+1*******00" },
        { "strategy": "reset_password_email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" },
        { "strategy": "reset_password_phone_code", "phone_number_id": "idn_2", "safe_identifier": "+1*******00" },
        { "strategy": "passkey" },
        { "strategy": "web3_metamask_signature", "web3_wallet_id": "idn_w" },
        { "strategy": "oauth_google" },
        { "strategy": "enterprise_sso", "enterprise_connection_id": "ec_1", "enterprise_connection_name": "Corp" }
    ])
}

/// A harness with token `token-1` whose client holds the sign-in `sia_1` in `status`.
fn with_sign_in(status: &str, first: Value, second: Value) -> Harness {
    let mut sign_in = sign_in_json("sia_1", status);
    sign_in["supported_first_factors"] = first;
    sign_in["supported_second_factors"] = second;
    let mut client = client_json(&[], None, 1);
    client["sign_in"] = sign_in;
    Harness::signed_in(&client)
}

fn needs_first_factor() -> Harness {
    with_sign_in("needs_first_factor", all_first_factors(), json!(null))
}

fn needs_second_factor() -> Harness {
    with_sign_in(
        "needs_second_factor",
        json!(null),
        json!([
            { "strategy": "phone_code", "phone_number_id": "idn_2", "safe_identifier": "+1*******00", "default": true },
            { "strategy": "totp" },
            { "strategy": "backup_code" }
        ]),
    )
}

fn needs_client_trust() -> Harness {
    with_sign_in(
        "needs_client_trust",
        json!(null),
        json!([
            { "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" },
            { "strategy": "email_link", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" }
        ]),
    )
}

/// Submits `command` and returns the request it put on the wire.
fn emitted(h: &mut Harness, command: SignInCommand) -> HttpRequest {
    let _ = h.submit(command);
    h.expect_request().request
}

fn create(h: &mut Harness, params: SignInCreate) -> HttpRequest {
    emitted(h, SignInCommand::Create(params))
}

fn code(value: &str) -> VerificationCode {
    VerificationCode::new(value)
}

// ---------------------------------------------------------------------------------------
// create (fapi.md §3.3.1, §3.7)
// ---------------------------------------------------------------------------------------

#[test]
fn create_with_an_identifier_is_appendix_b1() {
    let mut h = Harness::new();
    let request = create(&mut h, SignInCreate::identifier("user@example.com"));
    check(&request, &first_post("identifier=user%40example.com"));
    assert_eq!(
        request.url(&h.client.config().base_url()),
        "https://foo-bar-13.clerk.accounts.dev/v1/client/sign_ins?__clerk_api_version=2026-05-12&_is_native=true"
    );
}

#[test]
fn create_with_identifier_and_password() {
    let mut h = Harness::new();
    // fapi.md §3.7.1: the strategy may be left out (the server infers it); the one-call
    // constructor does, as the native recordings and clerk-js's password() do.
    let request = create(&mut h, SignInCreate::password("ada@example.com", Password::new("correct horse&1")));
    check(&request, &first_post("identifier=ada%40example.com&password=correct+horse%261"));
    assert!(!format!("{request:?}").contains("correct horse"), "the password reaches Debug");
}

#[test]
fn create_with_a_strategy_and_an_identifier() {
    let cases = [
        (Strategy::EmailCode, "ada@example.com", "strategy=email_code&identifier=ada%40example.com"),
        (Strategy::PhoneCode, "+15555550100", "strategy=phone_code&identifier=%2B15555550100"),
        (Strategy::EmailLink, "ada@example.com", "strategy=email_link&identifier=ada%40example.com"),
    ];
    for (strategy, identifier, body) in cases {
        let mut h = Harness::new();
        let request = create(&mut h, SignInCreate::with_strategy(strategy, identifier));
        check(&request, &first_post(body));
    }
}

#[test]
fn create_with_a_ticket() {
    let mut h = Harness::new();
    let request = create(&mut h, SignInCreate::ticket(Ticket::new("tkt_abc.def")));
    check(&request, &first_post("strategy=ticket&ticket=tkt_abc.def"));
}

#[test]
fn create_a_transfer_carries_no_identifier_and_the_same_client_token() {
    // fapi.md §5.4: a transfer must happen on the same client, so it carries the token.
    let mut h = with_sign_in("needs_first_factor", all_first_factors(), json!(null));
    let request = create(&mut h, SignInCreate::transfer());
    check(&request, &post("/v1/client/sign_ins", "transfer=true"));
}

#[test]
fn create_with_oauth_sends_both_redirect_urls() {
    // fapi.md §3.7.5 step 1: native clerk-js sets action_complete_redirect_url to redirect_url.
    let mut h = Harness::new();
    let request = create(&mut h, SignInCreate::redirect(Strategy::from("oauth_google"), "myapp://sso-callback"));
    check(
        &request,
        &first_post(
            "strategy=oauth_google&redirect_url=myapp%3A%2F%2Fsso-callback\
             &action_complete_redirect_url=myapp%3A%2F%2Fsso-callback",
        ),
    );
}

#[test]
fn create_with_enterprise_sso_and_an_identifier_for_domain_discovery() {
    let mut h = Harness::new();
    let params = SignInCreate {
        identifier: Some("ada@corp.example.com".into()),
        ..SignInCreate::redirect(Strategy::EnterpriseSso, "https://app.example.com/sso-callback")
    };
    let request = create(&mut h, params);
    check(
        &request,
        &first_post(
            "strategy=enterprise_sso&identifier=ada%40corp.example.com\
             &redirect_url=https%3A%2F%2Fapp.example.com%2Fsso-callback\
             &action_complete_redirect_url=https%3A%2F%2Fapp.example.com%2Fsso-callback",
        ),
    );
}

#[test]
fn create_with_saml_and_distinct_complete_url() {
    let mut h = Harness::new();
    let params = SignInCreate {
        action_complete_redirect_url: Some("myapp://done".into()),
        ..SignInCreate::redirect(Strategy::Saml, "myapp://sso-callback")
    };
    let request = create(&mut h, params);
    check(
        &request,
        &first_post(
            "strategy=saml&redirect_url=myapp%3A%2F%2Fsso-callback&action_complete_redirect_url=myapp%3A%2F%2Fdone",
        ),
    );
}

#[test]
fn create_with_a_native_apple_id_token_and_authorization_code() {
    let mut h = Harness::new();
    let request = create(
        &mut h,
        SignInCreate::id_token(
            Strategy::from("oauth_token_apple"),
            Credential::new("eyJhbGciOiJSUzI1NiJ9.apple.sig"),
            Some(Credential::new("c0de.apple")),
        ),
    );
    check(&request, &first_post("strategy=oauth_token_apple&token=eyJhbGciOiJSUzI1NiJ9.apple.sig&code=c0de.apple"));
}

#[test]
fn create_with_a_google_one_tap_token() {
    let mut h = Harness::new();
    let request =
        create(&mut h, SignInCreate::id_token(Strategy::GoogleOneTap, Credential::new("eyJ.google.sig"), None));
    check(&request, &first_post("strategy=google_one_tap&token=eyJ.google.sig"));
}

#[test]
fn an_empty_identifier_is_refused_before_anything_is_sent() {
    // The server would take it as no identifier and drop the password sent beside it.
    for identifier in ["", "  ", "\t"] {
        let mut h = Harness::new();
        let before = h.client.export();
        let refused = h
            .client
            .submit(SignInCommand::Create(SignInCreate::password(identifier, Password::new("pw"))).into(), h.now);
        assert!(
            matches!(&refused, Err(CommandError::InvalidArgument { name: "identifier", .. })),
            "{identifier:?}: {refused:?}"
        );
        assert_eq!(h.client.export(), before);
        assert!(h.poll_request().is_none(), "nothing is sent for a refused command");
    }
    // Without an identifier at all (a ticket, a discoverable passkey) nothing is refused.
    let mut h = Harness::new();
    let _ = create(&mut h, SignInCreate::passkey());
}

#[test]
fn create_with_a_discoverable_passkey_sends_only_the_strategy() {
    let mut h = Harness::new();
    let request = create(&mut h, SignInCreate::passkey());
    check(&request, &first_post("strategy=passkey"));
}

#[test]
fn create_with_sign_up_if_missing() {
    let mut h = Harness::new();
    let request =
        create(&mut h, SignInCreate::with_strategy(Strategy::EmailCode, "new@example.com").sign_up_if_missing(true));
    check(&request, &first_post("strategy=email_code&identifier=new%40example.com&sign_up_if_missing=true"));
    let mut h = Harness::new();
    let request = create(&mut h, SignInCreate::identifier("new@example.com").sign_up_if_missing(false));
    check(&request, &first_post("identifier=new%40example.com"));
}

/// `locale` and a bot-protection outcome (clerk-js sends them with `sign_up_if_missing` in
/// browsers, fapi.md §1.7, §3.3.1); the captcha token is a secret.
#[test]
fn create_with_a_locale_and_a_captcha() {
    use clerk_core::captcha::{Captcha, CaptchaWidgetType};

    let mut h = Harness::new();
    let command = SignInCreate::with_strategy(Strategy::EmailCode, "new@example.com")
        .sign_up_if_missing(true)
        .locale("de-CH")
        .captcha(Captcha::solved(Credential::new("0.tt-CANARY"), CaptchaWidgetType::Invisible));
    let request = create(&mut h, command);
    check(
        &request,
        &first_post(
            "strategy=email_code&identifier=new%40example.com&sign_up_if_missing=true&locale=de-CH\
             &captcha_token=0.tt-CANARY&captcha_widget_type=invisible",
        ),
    );
    assert!(!format!("{request:?}").contains("CANARY"), "the captcha token reaches Debug");
}

// ---------------------------------------------------------------------------------------
// prepare_first_factor (fapi.md §3.3.2)
// ---------------------------------------------------------------------------------------

const PREPARE_FIRST: &str = "/v1/client/sign_ins/sia_1/prepare_first_factor";

fn prepare_first(preparation: FirstFactorPreparation) -> HttpRequest {
    let mut h = needs_first_factor();
    emitted(&mut h, SignInCommand::PrepareFirstFactor(preparation))
}

#[test]
fn prepare_email_code_is_appendix_b1() {
    let request = prepare_first(FirstFactorPreparation::EmailCode { email_address_id: None });
    check(&request, &post(PREPARE_FIRST, "strategy=email_code&email_address_id=idn_1"));
    let request = prepare_first(FirstFactorPreparation::EmailCode { email_address_id: Some("idn_1".into()) });
    check(&request, &post(PREPARE_FIRST, "strategy=email_code&email_address_id=idn_1"));
}

#[test]
fn prepare_phone_code() {
    let request = prepare_first(FirstFactorPreparation::PhoneCode { phone_number_id: None });
    check(&request, &post(PREPARE_FIRST, "strategy=phone_code&phone_number_id=idn_2"));
}

#[test]
fn prepare_email_link() {
    let request = prepare_first(FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify?x=1".into(),
    });
    check(
        &request,
        &post(
            PREPARE_FIRST,
            "strategy=email_link&email_address_id=idn_1&redirect_url=https%3A%2F%2Fapp.example.com%2Fverify%3Fx%3D1",
        ),
    );
}

#[test]
fn prepare_reset_password_codes() {
    let request = prepare_first(FirstFactorPreparation::ResetPasswordEmailCode { email_address_id: None });
    check(&request, &post(PREPARE_FIRST, "strategy=reset_password_email_code&email_address_id=idn_1"));
    let request = prepare_first(FirstFactorPreparation::ResetPasswordPhoneCode { phone_number_id: None });
    check(&request, &post(PREPARE_FIRST, "strategy=reset_password_phone_code&phone_number_id=idn_2"));
}

#[test]
fn prepare_passkey_sends_only_the_strategy() {
    let request = prepare_first(FirstFactorPreparation::Passkey);
    check(&request, &post(PREPARE_FIRST, "strategy=passkey"));
}

#[test]
fn prepare_web3() {
    let request = prepare_first(FirstFactorPreparation::Web3 {
        strategy: Strategy::from("web3_metamask_signature"),
        web3_wallet_id: None,
    });
    check(&request, &post(PREPARE_FIRST, "strategy=web3_metamask_signature&web3_wallet_id=idn_w"));
}

#[test]
fn prepare_oauth_and_enterprise_sso_redirects() {
    let request = prepare_first(FirstFactorPreparation::Redirect {
        strategy: Strategy::from("oauth_google"),
        redirect_url: "myapp://sso-callback".into(),
        action_complete_redirect_url: None,
        oidc_prompt: None,
        oidc_login_hint: None,
    });
    check(
        &request,
        &post(
            PREPARE_FIRST,
            "strategy=oauth_google&redirect_url=myapp%3A%2F%2Fsso-callback\
             &action_complete_redirect_url=myapp%3A%2F%2Fsso-callback",
        ),
    );
    let request = prepare_first(FirstFactorPreparation::Redirect {
        strategy: Strategy::EnterpriseSso,
        redirect_url: "myapp://sso-callback".into(),
        action_complete_redirect_url: Some("myapp://home".into()),
        oidc_prompt: Some("login".into()),
        oidc_login_hint: Some("ada@corp.example".into()),
    });
    check(
        &request,
        &post(
            PREPARE_FIRST,
            "strategy=enterprise_sso&redirect_url=myapp%3A%2F%2Fsso-callback\
             &action_complete_redirect_url=myapp%3A%2F%2Fhome&oidc_prompt=login\
             &oidc_login_hint=ada%40corp.example",
        ),
    );
}

#[test]
fn prepare_picks_the_factor_whose_safe_identifier_is_the_identifier() {
    // fapi.md §3.3.2 factor selection: (2) before (3).
    let mut h = with_sign_in(
        "needs_first_factor",
        json!([
            { "strategy": "email_code", "email_address_id": "idn_other", "safe_identifier": "o***@example.com" },
            { "strategy": "email_code", "email_address_id": "idn_mine", "safe_identifier": "ada@example.com" }
        ]),
        json!(null),
    );
    let request = emitted(
        &mut h,
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }),
    );
    check(&request, &post(PREPARE_FIRST, "strategy=email_code&email_address_id=idn_mine"));
}

#[test]
fn prepare_refuses_an_id_the_server_did_not_offer() {
    let mut h = needs_first_factor();
    let refused = h.client.submit(
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: Some("idn_9".into()) })
            .into(),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::FactorNotOffered { strategy: "email_code".into() }));
    assert!(h.poll_request().is_none(), "nothing is sent for a refused command");
}

// ---------------------------------------------------------------------------------------
// attempt_first_factor (fapi.md §3.3.3)
// ---------------------------------------------------------------------------------------

const ATTEMPT_FIRST: &str = "/v1/client/sign_ins/sia_1/attempt_first_factor";

fn attempt_first(attempt: FirstFactorAttempt) -> HttpRequest {
    let mut h = needs_first_factor();
    emitted(&mut h, SignInCommand::AttemptFirstFactor(attempt))
}

#[test]
fn attempt_password() {
    let request = attempt_first(FirstFactorAttempt::Password(Password::new("pa ss+word")));
    check(&request, &post(ATTEMPT_FIRST, "strategy=password&password=pa+ss%2Bword"));
}

#[test]
fn attempt_codes_are_appendix_b1() {
    let request = attempt_first(FirstFactorAttempt::EmailCode(code("000000")));
    check(&request, &post(ATTEMPT_FIRST, "strategy=email_code&code=000000"));
    let request = attempt_first(FirstFactorAttempt::PhoneCode(code("424242")));
    check(&request, &post(ATTEMPT_FIRST, "strategy=phone_code&code=424242"));
}

#[test]
fn attempt_reset_password_codes_with_and_without_a_new_password() {
    let request = attempt_first(FirstFactorAttempt::ResetPasswordEmailCode { code: code("111111"), password: None });
    check(&request, &post(ATTEMPT_FIRST, "strategy=reset_password_email_code&code=111111"));
    let request = attempt_first(FirstFactorAttempt::ResetPasswordEmailCode {
        code: code("111111"),
        password: Some(Password::new("n3w pass")),
    });
    check(&request, &post(ATTEMPT_FIRST, "strategy=reset_password_email_code&code=111111&password=n3w+pass"));
    let request = attempt_first(FirstFactorAttempt::ResetPasswordPhoneCode { code: code("222222"), password: None });
    check(&request, &post(ATTEMPT_FIRST, "strategy=reset_password_phone_code&code=222222"));
    let request = attempt_first(FirstFactorAttempt::ResetPasswordPhoneCode {
        code: code("222222"),
        password: Some(Password::new("n3w pass")),
    });
    check(&request, &post(ATTEMPT_FIRST, "strategy=reset_password_phone_code&code=222222&password=n3w+pass"));
}

#[test]
fn attempt_passkey_sends_the_assertion_as_a_json_string() {
    // fapi.md §1.7 and §3.7.8: public_key_credential is a JSON string in the form.
    let request = attempt_first(FirstFactorAttempt::Passkey {
        public_key_credential: Credential::new(r#"{"id":"cred_1","type":"public-key"}"#),
    });
    check(
        &request,
        &post(
            ATTEMPT_FIRST,
            "strategy=passkey&public_key_credential=%7B%22id%22%3A%22cred_1%22%2C%22type%22%3A%22public-key%22%7D",
        ),
    );
}

#[test]
fn a_discoverable_passkey_is_attempted_without_an_offered_factor() {
    // fapi.md §3.7.8: after `POST /sign_ins {strategy: passkey}` (no identifier) the options
    // come back at once in `first_factor_verification.nonce`, the server offers no first
    // factor (it does not know the user yet), and the assertion is attempted directly.
    let mut h = with_sign_in("needs_first_factor", json!([]), Value::Null);
    let request = emitted(
        &mut h,
        SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Passkey {
            public_key_credential: Credential::new(r#"{"id":"cred_1"}"#),
        }),
    );
    check(&request, &post(ATTEMPT_FIRST, "strategy=passkey&public_key_credential=%7B%22id%22%3A%22cred_1%22%7D"));
}

#[test]
fn attempt_web3_signature() {
    let request = attempt_first(FirstFactorAttempt::Web3 {
        strategy: Strategy::from("web3_metamask_signature"),
        signature: Credential::new("0x5f3a9c"),
    });
    check(&request, &post(ATTEMPT_FIRST, "strategy=web3_metamask_signature&signature=0x5f3a9c"));
}

// ---------------------------------------------------------------------------------------
// second factor (fapi.md §3.3.4–3.3.5, §3.7.11)
// ---------------------------------------------------------------------------------------

const PREPARE_SECOND: &str = "/v1/client/sign_ins/sia_1/prepare_second_factor";
const ATTEMPT_SECOND: &str = "/v1/client/sign_ins/sia_1/attempt_second_factor";

#[test]
fn prepare_second_factor_phone_code() {
    let mut h = needs_second_factor();
    let request = emitted(
        &mut h,
        SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None }),
    );
    check(&request, &post(PREPARE_SECOND, "strategy=phone_code&phone_number_id=idn_2"));
}

#[test]
fn prepare_second_factor_phone_code_without_an_offer_list_goes_to_the_default_phone() {
    // fapi.md §3.3.4: phone_number_id is optional; the default phone is used without it.
    let mut h = with_sign_in("needs_second_factor", json!(null), json!(null));
    let request = emitted(
        &mut h,
        SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None }),
    );
    check(&request, &post(PREPARE_SECOND, "strategy=phone_code"));
}

#[test]
fn prepare_second_factor_email_code_for_client_trust() {
    let mut h = needs_client_trust();
    let request = emitted(
        &mut h,
        SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode { email_address_id: None }),
    );
    check(&request, &post(PREPARE_SECOND, "strategy=email_code&email_address_id=idn_1"));
}

#[test]
fn prepare_second_factor_email_link_for_client_trust() {
    let mut h = needs_client_trust();
    let request = emitted(
        &mut h,
        SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailLink {
            email_address_id: None,
            redirect_url: "https://app.example.com/verify".into(),
        }),
    );
    check(
        &request,
        &post(
            PREPARE_SECOND,
            "strategy=email_link&email_address_id=idn_1&redirect_url=https%3A%2F%2Fapp.example.com%2Fverify",
        ),
    );
}

#[test]
fn attempt_second_factor_every_strategy() {
    let cases = [
        (SecondFactorAttempt::PhoneCode(code("123456")), "strategy=phone_code&code=123456"),
        (SecondFactorAttempt::Totp(code("654321")), "strategy=totp&code=654321"),
        (SecondFactorAttempt::BackupCode(code("abcd-efgh")), "strategy=backup_code&code=abcd-efgh"),
    ];
    for (attempt, body) in cases {
        let mut h = needs_second_factor();
        let request = emitted(&mut h, SignInCommand::AttemptSecondFactor(attempt));
        check(&request, &post(ATTEMPT_SECOND, body));
    }
    let mut h = needs_client_trust();
    let request = emitted(&mut h, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::EmailCode(code("777777"))));
    check(&request, &post(ATTEMPT_SECOND, "strategy=email_code&code=777777"));
}

// ---------------------------------------------------------------------------------------
// reset_password and reload (fapi.md §3.3.6, §3.3.8, Appendix B.3)
// ---------------------------------------------------------------------------------------

#[test]
fn reset_password() {
    for (sign_out, body) in [
        (true, "password=n3w+pass%21&sign_out_of_other_sessions=true"),
        (false, "password=n3w+pass%21&sign_out_of_other_sessions=false"),
    ] {
        let mut h = with_sign_in("needs_new_password", all_first_factors(), json!(null));
        let request = emitted(
            &mut h,
            SignInCommand::ResetPassword { password: Password::new("n3w pass!"), sign_out_of_other_sessions: sign_out },
        );
        check(&request, &post("/v1/client/sign_ins/sia_1/reset_password", body));
    }
}

#[test]
fn reload_is_a_get_of_the_attempt() {
    let mut h = needs_first_factor();
    let request = emitted(&mut h, SignInCommand::Reload { rotating_token_nonce: None });
    check(
        &request,
        &Golden {
            method: Method::Get,
            path: "/v1/client/sign_ins/sia_1",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![("authorization", "token-1"), ("x-mobile", "1")],
            body: None,
        },
    );
}

#[test]
fn reload_with_a_rotating_token_nonce_carries_it_as_a_secret() {
    let mut h = needs_first_factor();
    let request = emitted(&mut h, SignInCommand::Reload { rotating_token_nonce: Some(Credential::new("abc123")) });
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.path, "/v1/client/sign_ins/sia_1");
    assert!(request.form.is_none());
    assert_eq!(plain(&request.headers), GET_HEADERS);
    // fapi.md §1.4 calls the order of query parameters not semantically significant: compare
    // as a set here; the exact order of Appendix B.3 is held by the next test.
    let mut query = plain(&request.query);
    query.sort_unstable();
    assert_eq!(
        query,
        [("__clerk_api_version", "2026-05-12"), ("_is_native", "true"), ("rotating_token_nonce", "abc123")]
    );
    assert!(request.query_value("rotating_token_nonce").is_some_and(clerk_core::FieldValue::is_secret));
    assert!(!format!("{request:?}").contains("abc123"), "the nonce reaches Debug");
    golden::check_secret_marks(&request, &golden::SECRET_NAMES);
    assert_conforms(&request);
}

#[test]
fn reload_with_a_nonce_has_the_query_order_of_appendix_b3() {
    let mut h = needs_first_factor();
    let request = emitted(&mut h, SignInCommand::Reload { rotating_token_nonce: Some(Credential::new("abc123")) });
    assert_eq!(
        request.path_and_query(),
        "/v1/client/sign_ins/sia_1?__clerk_api_version=2026-05-12&rotating_token_nonce=abc123&_is_native=true"
    );
}
