//! Golden requests of the sign-up flow: for every operation, the exact method, path, query,
//! headers and form body, written by hand from fapi.md §1.3–1.7, §3.4 and Appendix B.2 (not
//! snapshots of what the code emits), each checked against Clerk's OpenAPI spec plus
//! `../shared/fapi/undocumented.json`, with every secret value carrying the secret mark.
//!
//! fapi.md does not fix the order of body fields (clerk-js emits the caller's keys in their
//! order, §1.7). The expectations follow the declaration order of `SignUpFields` (identifiers,
//! password, names, metadata, legal consent, then strategy and its credentials), which is
//! also the order of Appendix B.2 (`first_name`, `unsafe_metadata`, `legal_accepted`).

use clerk_core::secret::{Credential, Password, Ticket, VerificationCode};
use clerk_core::wire::Strategy;
use clerk_core::{
    CommandError, Completion, HttpRequest, Method, SignUpAttempt, SignUpCommand, SignUpFields, SignUpPreparation,
    SignUpRedirect, TransportMode,
};
use clerk_tests::golden::{self, FIRST_POST_HEADERS, Golden, NATIVE_QUERY, POST_HEADERS, plain};
use clerk_tests::harness::{Harness, client_json, config};
use clerk_tests::spec::assert_conforms;
use serde_json::{Value, json};

/// Checks `request` against `golden`, the spec and the secret marks.
fn check(request: &HttpRequest, golden: &Golden<'_>) {
    golden::check(request, golden);
    golden::check_secret_marks(request, &golden::SECRET_NAMES);
}

/// The first sign-up request of a client without a token.
fn first_post(body: &'static str) -> Golden<'static> {
    Golden {
        method: Method::Post,
        path: "/v1/client/sign_ups",
        query: NATIVE_QUERY.to_vec(),
        headers: FIRST_POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

fn post(path: &'static str, body: &'static str) -> Golden<'static> {
    Golden {
        method: Method::Post,
        path,
        query: NATIVE_QUERY.to_vec(),
        headers: POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

/// A native PATCH of `sua_1` (native clients send the real method, fapi.md §1.5).
fn patch(body: &'static str) -> Golden<'static> {
    Golden {
        method: Method::Patch,
        path: "/v1/client/sign_ups/sua_1",
        query: NATIVE_QUERY.to_vec(),
        headers: POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

fn sign_up_json() -> Value {
    json!({
        "object": "sign_up_attempt",
        "id": "sua_1",
        "status": "missing_requirements",
        "required_fields": ["email_address", "password", "legal_accepted"],
        "optional_fields": ["first_name", "last_name", "username", "phone_number"],
        "missing_fields": ["password", "legal_accepted"],
        "unverified_fields": ["email_address"],
        "verifications": { "email_address": { "status": "unverified", "strategy": "email_code",
            "next_action": "needs_prepare", "supported_strategies": ["email_code", "email_link"] },
            "phone_number": null, "web3_wallet": null, "external_account": null },
        "email_address": "ada@example.com",
        "first_name": null,
        "last_name": null,
        "username": null,
        "phone_number": null,
        "unsafe_metadata": { "plan": "pro" },
        "legal_accepted_at": null,
        "created_session_id": null,
        "created_user_id": null,
        "abandon_at": 1_767_225_600_000_i64
    })
}

/// A harness with token `token-1` whose client holds the sign-up `sua_1`.
fn with_sign_up() -> Harness {
    let mut client = client_json(&[], None, 1);
    client["sign_up"] = sign_up_json();
    Harness::signed_in(&client)
}

fn emitted(h: &mut Harness, command: SignUpCommand) -> HttpRequest {
    let _ = h.submit(command);
    h.expect_request().request
}

fn create(fields: SignUpFields) -> HttpRequest {
    let mut h = Harness::new();
    emitted(&mut h, SignUpCommand::Create(fields))
}

// ---------------------------------------------------------------------------------------
// create (fapi.md §3.4.1)
// ---------------------------------------------------------------------------------------

#[test]
fn create_with_form_fields_and_metadata_as_a_json_string() {
    let request = create(SignUpFields {
        email_address: Some("ada@example.com".into()),
        password: Some(Password::new("s3cret pw")),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        unsafe_metadata: Some(json!({ "plan": "pro" })),
        legal_accepted: Some(true),
        ..SignUpFields::default()
    });
    // unsafe_metadata: JSON.stringify of the object, then form-encoded (fapi.md §1.7, B.2).
    check(
        &request,
        &first_post(
            "email_address=ada%40example.com&password=s3cret+pw&first_name=Ada&last_name=Lovelace\
             &unsafe_metadata=%7B%22plan%22%3A%22pro%22%7D&legal_accepted=true",
        ),
    );
    assert!(!format!("{request:?}").contains("s3cret"), "the password reaches Debug");
}

#[test]
fn create_with_an_email_and_a_password_from_the_shortcut() {
    let request = create(SignUpFields {
        legal_accepted: Some(true),
        ..SignUpFields::email_password("ada@example.com", Password::new("pw 1"))
    });
    check(&request, &first_post("email_address=ada%40example.com&password=pw+1&legal_accepted=true"));
}

#[test]
fn create_with_phone_username_and_a_strategy() {
    let request = create(SignUpFields {
        phone_number: Some("+15555550100".into()),
        username: Some("ada_l".into()),
        strategy: Some(Strategy::PhoneCode),
        legal_accepted: Some(false),
        ..SignUpFields::default()
    });
    check(&request, &first_post("phone_number=%2B15555550100&username=ada_l&legal_accepted=false&strategy=phone_code"));
}

#[test]
fn unsafe_metadata_encodings() {
    // An empty object is sent as "{}" (fapi.md §1.7); nested objects stay JSON inside the
    // string, with spaces as '+' after form encoding.
    let request = create(SignUpFields { unsafe_metadata: Some(json!({})), ..SignUpFields::default() });
    check(&request, &first_post("unsafe_metadata=%7B%7D"));
    let request = create(SignUpFields {
        unsafe_metadata: Some(json!({ "prefs": { "theme": "dark mode" }, "tier": 2 })),
        ..SignUpFields::default()
    });
    check(
        &request,
        &first_post("unsafe_metadata=%7B%22prefs%22%3A%7B%22theme%22%3A%22dark+mode%22%7D%2C%22tier%22%3A2%7D"),
    );
    // What the server receives decodes back to the same JSON object.
    let sent = request.form_value("unsafe_metadata").map(|v| v.expose().to_owned()).unwrap_or_default();
    assert_eq!(
        serde_json::from_str::<Value>(&sent).ok(),
        Some(json!({ "prefs": { "theme": "dark mode" }, "tier": 2 }))
    );
}

#[test]
fn unsafe_metadata_that_is_not_an_object_is_refused_before_anything_is_sent() {
    // The spec types unsafe_metadata as "stringified JSON" of the user's metadata object.
    let mut h = Harness::new();
    let refused = h.client.submit(
        SignUpCommand::Create(SignUpFields { unsafe_metadata: Some(json!("plan")), ..SignUpFields::default() }).into(),
        h.now,
    );
    assert!(matches!(refused, Err(CommandError::InvalidArgument { name: "unsafe_metadata", .. })), "{refused:?}");
    assert!(h.poll_request().is_none());
}

#[test]
fn create_with_a_ticket() {
    let request = create(SignUpFields {
        strategy: Some(Strategy::Ticket),
        ticket: Some(Ticket::new("inv_tkt.1")),
        password: Some(Password::new("pw")),
        ..SignUpFields::default()
    });
    check(&request, &first_post("password=pw&strategy=ticket&ticket=inv_tkt.1"));
}

#[test]
fn create_a_transfer_on_the_same_client() {
    let mut h = with_sign_up();
    let request = emitted(
        &mut h,
        SignUpCommand::Create(SignUpFields {
            unsafe_metadata: Some(json!({ "src": "app" })),
            ..SignUpFields::transfer()
        }),
    );
    check(&request, &post("/v1/client/sign_ups", "unsafe_metadata=%7B%22src%22%3A%22app%22%7D&transfer=true"));
}

#[test]
fn create_with_oauth_redirect_urls() {
    let request = create(SignUpFields::redirect(Strategy::from("oauth_github"), "myapp://sso-callback"));
    check(
        &request,
        &first_post(
            "strategy=oauth_github&redirect_url=myapp%3A%2F%2Fsso-callback\
             &action_complete_redirect_url=myapp%3A%2F%2Fsso-callback",
        ),
    );
}

/// fapi.md §3.4.1, §3.4.5: `oidc_prompt` and `oidc_login_hint` ride along with an OAuth
/// sign-up (clerk-js's `authenticateWithRedirect`), so a person already signed in at the
/// provider can pick another account.
#[test]
fn create_with_oauth_and_openid_connect_hints() {
    let request = create(SignUpFields {
        oidc_prompt: Some("select_account".into()),
        oidc_login_hint: Some("ada@example.com".into()),
        ..SignUpFields::redirect(Strategy::from("oauth_google"), "myapp://cb")
    });
    check(
        &request,
        &first_post(
            "strategy=oauth_google&redirect_url=myapp%3A%2F%2Fcb&action_complete_redirect_url=myapp%3A%2F%2Fcb\
             &oidc_prompt=select_account&oidc_login_hint=ada%40example.com",
        ),
    );
}

/// fapi.md §3.4.1, §3.7.7: a wallet the sign-in does not know signs up with `web3_wallet`,
/// then prepares and attempts its verification with the wallet's signature strategy.
#[test]
fn a_web3_wallet_signs_up_with_its_signature() {
    let wallet = "0x0123456789abcdef0123456789abcdef01234567";
    let request = create(SignUpFields { web3_wallet: Some(wallet.into()), ..SignUpFields::default() });
    check(&request, &first_post("web3_wallet=0x0123456789abcdef0123456789abcdef01234567"));

    let mut h = with_sign_up();
    let request = emitted(
        &mut h,
        SignUpCommand::PrepareVerification(SignUpPreparation::Web3 {
            strategy: Strategy::from("web3_metamask_signature"),
        }),
    );
    check(&request, &post(PREPARE, "strategy=web3_metamask_signature"));
    let mut h = with_sign_up();
    let request = emitted(
        &mut h,
        SignUpCommand::AttemptVerification(SignUpAttempt::Web3 {
            strategy: Strategy::from("web3_metamask_signature"),
            signature: Credential::new("0xsigned"),
        }),
    );
    check(&request, &post(ATTEMPT, "strategy=web3_metamask_signature&signature=0xsigned"));
    assert!(!request.redacted_body().contains("0xsigned"), "the signature is a secret");

    // A strategy that is not a wallet's is refused before anything is sent.
    for command in [
        SignUpCommand::PrepareVerification(SignUpPreparation::Web3 { strategy: Strategy::EmailCode }),
        SignUpCommand::AttemptVerification(SignUpAttempt::Web3 {
            strategy: Strategy::from("oauth_google"),
            signature: Credential::new("x"),
        }),
    ] {
        let mut h = with_sign_up();
        let refused = h.client.submit(command.into(), h.now);
        assert!(matches!(refused, Err(CommandError::InvalidArgument { name: "strategy", .. })), "{refused:?}");
        assert!(h.poll_request().is_none());
    }
    // An update sends the wallet only when it differs from the attempt's.
    let mut h = with_sign_up();
    let request = emitted(
        &mut h,
        SignUpCommand::Update(SignUpFields { web3_wallet: Some(wallet.into()), ..SignUpFields::default() }),
    );
    check(&request, &patch("web3_wallet=0x0123456789abcdef0123456789abcdef01234567"));
}

#[test]
fn create_with_native_id_tokens() {
    // fapi.md §3.7.6: Apple sign-up first, with the name Apple sends only once.
    let request = create(SignUpFields {
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        strategy: Some(Strategy::from("oauth_token_apple")),
        token: Some(Credential::new("eyJ.apple.sig")),
        code: Some(Credential::new("c0de")),
        ..SignUpFields::default()
    });
    check(
        &request,
        &first_post("first_name=Ada&last_name=Lovelace&strategy=oauth_token_apple&token=eyJ.apple.sig&code=c0de"),
    );
    let request = create(SignUpFields {
        legal_accepted: Some(true),
        strategy: Some(Strategy::GoogleOneTap),
        token: Some(Credential::new("eyJ.google.sig")),
        ..SignUpFields::default()
    });
    check(&request, &first_post("legal_accepted=true&strategy=google_one_tap&token=eyJ.google.sig"));
}

// ---------------------------------------------------------------------------------------
// update (fapi.md §3.4.2, Appendix B.2)
// ---------------------------------------------------------------------------------------

#[test]
fn update_sends_the_changed_fields_with_the_real_patch_method() {
    let mut h = with_sign_up();
    let request = emitted(
        &mut h,
        SignUpCommand::Update(SignUpFields {
            email_address: Some("ada@example.com".into()), // unchanged: not sent
            phone_number: Some("+15555550100".into()),
            username: Some("ada_l".into()),
            password: Some(Password::new("pw 2")),
            last_name: Some("Lovelace".into()),
            unsafe_metadata: Some(json!({ "plan": "team" })),
            legal_accepted: Some(true),
            ..SignUpFields::default()
        }),
    );
    check(
        &request,
        &patch(
            "phone_number=%2B15555550100&username=ada_l&password=pw+2&last_name=Lovelace\
             &unsafe_metadata=%7B%22plan%22%3A%22team%22%7D&legal_accepted=true",
        ),
    );
}

#[test]
fn update_continuing_with_oauth_sends_the_strategy_and_redirect_urls() {
    // fapi.md §3.4.5: authenticateWithRedirect with continueSignUp updates the existing
    // sign-up with strategy, redirect_url and action_complete_redirect_url; the answer's
    // external_account verification carries the provider URL. Nothing else changes here.
    let mut h = with_sign_up();
    let op = h.submit(SignUpCommand::Update(SignUpFields::redirect(Strategy::from("oauth_google"), "myapp://cb")));
    let request = match h.poll_request() {
        Some(outgoing) => outgoing.request,
        None => panic!("no request; outcome {:?}", h.outcome(op)),
    };
    check(
        &request,
        &patch("strategy=oauth_google&redirect_url=myapp%3A%2F%2Fcb&action_complete_redirect_url=myapp%3A%2F%2Fcb"),
    );
}

#[test]
fn update_with_the_held_metadata_sends_nothing() {
    let mut h = with_sign_up();
    let op = h.submit(SignUpCommand::Update(SignUpFields {
        unsafe_metadata: Some(json!({ "plan": "pro" })),
        ..SignUpFields::default()
    }));
    assert_eq!(h.expect_success(op), Completion::SignUpUnchanged);
    assert!(h.poll_request().is_none());
}

#[test]
fn update_in_browser_mode_is_appendix_b2() {
    // B.2 is clerk-js in a browser on a development instance: the engine keeps a dev-browser
    // token as clerk-js does (fapi.md §1.8.3); it is not clerk-js, so `_clerk_js_version` is
    // absent (§1.4 lets a client other than clerk-js omit it).
    let mut h = Harness::with_config(config().with_mode(TransportMode::Browser));
    let op = h.client.reload(h.now);
    h.answer_dev_browser("dvb_1");
    let load = h.expect_request();
    let mut client = client_json(&[], None, 1);
    let mut sign_up = sign_up_json();
    sign_up["unsafe_metadata"] = json!({});
    client["sign_up"] = sign_up;
    h.respond_json(&load, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(op);
    let request = emitted(
        &mut h,
        SignUpCommand::Update(SignUpFields {
            first_name: Some("Ada".into()),
            unsafe_metadata: Some(json!({ "plan": "pro" })),
            legal_accepted: Some(true),
            ..SignUpFields::default()
        }),
    );
    check(
        &request,
        &Golden {
            method: Method::Post,
            path: "/v1/client/sign_ups/sua_1",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_method", "PATCH"), ("__clerk_db_jwt", "dvb_1")],
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: Some("first_name=Ada&unsafe_metadata=%7B%22plan%22%3A%22pro%22%7D&legal_accepted=true"),
        },
    );
    assert_eq!(
        request.url(&h.client.config().base_url()),
        "https://foo-bar-13.clerk.accounts.dev/v1/client/sign_ups/sua_1?__clerk_api_version=2026-05-12&_method=PATCH&__clerk_db_jwt=dvb_1"
    );
}

#[test]
fn update_cannot_transfer() {
    // fapi.md §3.4.2: update takes the create params except transfer.
    let mut h = with_sign_up();
    let refused = h.client.submit(SignUpCommand::Update(SignUpFields::transfer()).into(), h.now);
    assert!(matches!(refused, Err(CommandError::InvalidArgument { name: "transfer", .. })), "{refused:?}");
    assert!(h.poll_request().is_none());
}

// ---------------------------------------------------------------------------------------
// prepare / attempt verification, reload (fapi.md §3.4.3–3.4.5)
// ---------------------------------------------------------------------------------------

const PREPARE: &str = "/v1/client/sign_ups/sua_1/prepare_verification";
const ATTEMPT: &str = "/v1/client/sign_ups/sua_1/attempt_verification";

#[test]
fn prepare_verification_every_strategy() {
    let cases = [
        (SignUpPreparation::EmailCode, "strategy=email_code"),
        (SignUpPreparation::PhoneCode, "strategy=phone_code"),
        (
            SignUpPreparation::EmailLink { redirect_url: "https://app.example.com/verify".into() },
            "strategy=email_link&redirect_url=https%3A%2F%2Fapp.example.com%2Fverify",
        ),
    ];
    for (preparation, body) in cases {
        let mut h = with_sign_up();
        let request = emitted(&mut h, SignUpCommand::PrepareVerification(preparation));
        check(&request, &post(PREPARE, body));
    }
}

/// fapi.md §3.4.3: an OAuth or enterprise-SSO verification of the sign-up goes through the
/// provider: `redirect_url`, `action_complete_redirect_url` (the same unless given) and the
/// OpenID Connect hints when given.
#[test]
fn prepare_verification_through_a_provider() {
    let cases = [
        (
            SignUpRedirect::new(Strategy::from("oauth_google"), "myapp://cb")
                .with_oidc_prompt("select_account")
                .with_oidc_login_hint("ada@example.com"),
            "strategy=oauth_google&redirect_url=myapp%3A%2F%2Fcb&action_complete_redirect_url=myapp%3A%2F%2Fcb\
             &oidc_prompt=select_account&oidc_login_hint=ada%40example.com",
        ),
        (
            SignUpRedirect::new(Strategy::EnterpriseSso, "myapp://cb")
                .with_action_complete_redirect_url("myapp://home"),
            "strategy=enterprise_sso&redirect_url=myapp%3A%2F%2Fcb&action_complete_redirect_url=myapp%3A%2F%2Fhome",
        ),
    ];
    for (redirect, body) in cases {
        let mut h = with_sign_up();
        let request = emitted(&mut h, SignUpCommand::PrepareVerification(SignUpPreparation::Redirect(redirect)));
        check(&request, &post(PREPARE, body));
    }
    let mut h = with_sign_up();
    let refused = h.client.submit(
        SignUpCommand::PrepareVerification(SignUpPreparation::Redirect(SignUpRedirect::new(Strategy::Password, "x")))
            .into(),
        h.now,
    );
    assert!(matches!(refused, Err(CommandError::InvalidArgument { name: "strategy", .. })), "{refused:?}");
}

#[test]
fn attempt_verification_codes() {
    let cases = [
        (SignUpAttempt::EmailCode(VerificationCode::new("123456")), "strategy=email_code&code=123456"),
        (SignUpAttempt::PhoneCode(VerificationCode::new("654321")), "strategy=phone_code&code=654321"),
    ];
    for (attempt, body) in cases {
        let mut h = with_sign_up();
        let request = emitted(&mut h, SignUpCommand::AttemptVerification(attempt));
        check(&request, &post(ATTEMPT, body));
    }
}

#[test]
fn reload_with_and_without_a_nonce() {
    let mut h = with_sign_up();
    let request = emitted(&mut h, SignUpCommand::Reload { rotating_token_nonce: None });
    check(
        &request,
        &Golden {
            method: Method::Get,
            path: "/v1/client/sign_ups/sua_1",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![("authorization", "token-1"), ("x-mobile", "1")],
            body: None,
        },
    );

    let mut h = with_sign_up();
    let request = emitted(&mut h, SignUpCommand::Reload { rotating_token_nonce: Some(Credential::new("n0nce")) });
    assert_eq!((request.method, request.path.as_str()), (Method::Get, "/v1/client/sign_ups/sua_1"));
    // Order is not significant (fapi.md §1.4); see sign_in_golden for the exact-order note.
    let mut query = plain(&request.query);
    query.sort_unstable();
    assert_eq!(
        query,
        [("__clerk_api_version", "2026-05-12"), ("_is_native", "true"), ("rotating_token_nonce", "n0nce")]
    );
    assert!(request.query_value("rotating_token_nonce").is_some_and(clerk_core::FieldValue::is_secret));
    assert!(!format!("{request:?}").contains("n0nce"));
    golden::check_secret_marks(&request, &golden::SECRET_NAMES);
    assert_conforms(&request);
}

/// `locale` and a bot-protection outcome on create (fapi.md §3.4.1, §1.7): the token is a
/// secret; the update takes neither (§3.4.2).
#[test]
fn create_with_a_locale_and_a_captcha_and_update_refuses_them() {
    use clerk_core::captcha::{Captcha, CaptchaWidgetType};

    let request = create(SignUpFields {
        email_address: Some("ada@example.com".into()),
        locale: Some("fr-FR".into()),
        captcha: Some(Captcha::solved(Credential::new("0.tt-CANARY"), CaptchaWidgetType::Smart)),
        ..SignUpFields::default()
    });
    check(
        &request,
        &first_post("email_address=ada%40example.com&locale=fr-FR&captcha_token=0.tt-CANARY&captcha_widget_type=smart"),
    );
    assert!(!format!("{request:?}").contains("CANARY"), "the captcha token reaches Debug");

    let failed = create(SignUpFields {
        email_address: Some("ada@example.com".into()),
        captcha: Some(Captcha::failed("300030", CaptchaWidgetType::Invisible)),
        ..SignUpFields::default()
    });
    check(&failed, &first_post("email_address=ada%40example.com&captcha_widget_type=invisible&captcha_error=300030"));

    for (fields, name) in [
        (SignUpFields { locale: Some("fr-FR".into()), ..SignUpFields::default() }, "locale"),
        (
            SignUpFields {
                captcha: Some(Captcha::solved(Credential::new("t"), CaptchaWidgetType::Smart)),
                ..SignUpFields::default()
            },
            "captcha",
        ),
    ] {
        let mut h = with_sign_up();
        let refused = h.client.submit(SignUpCommand::Update(fields).into(), h.now);
        assert!(matches!(refused, Err(CommandError::InvalidArgument { name: n, .. }) if n == name), "{refused:?}");
        assert!(h.poll_request().is_none());
    }
}
