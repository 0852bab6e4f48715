//! clerk-mock: a local, stateful stand-in for Clerk's Frontend API (FAPI), for tests.
//!
//! It is the other side of the protocol, written from Clerk's OpenAPI spec, `fapi.md` and
//! recorded traffic, not from the engine (it does not depend on `clerk-core`): an oracle that
//! shared the engine's types would agree with its mistakes.
//!
//! What it does:
//!
//! - **Clients and native identity.** A mutation without a live client creates one and answers
//!   its token in the `Authorization` response header (and a `__client` cookie outside native
//!   mode). A request presents its token in `Authorization` with `_is_native` (true or `1`),
//!   in the `__client` cookie without it; the other carrier is ignored. The token rotates when a sign-in or sign-up completes and on
//!   `rotating_token_nonce`; an old token is stale, and a stale or unknown token gets a
//!   brand-new session-less client (mutations) or `{"response": null, "client": null}`
//!   (`GET /v1/client`).
//! - **Dev browsers.** `POST /v1/dev_browser` answers `{"object": "dev_browser", "id":
//!   "dvb_…"}`, what a browser on a development instance asks for first (fapi.md §1.8.3).
//!   The `__clerk_db_jwt` requests then carry is accepted and not checked.
//! - **Attempts.** Signing in with an identifier whose user is already signed in on the client
//!   answers `identifier_already_signed_in` (400, `meta.session_id`). Sign-ins and sign-ups
//!   past `abandon_at` (24 h, see [`MockServer::advance_clock`]) are `abandoned`: they leave
//!   the client, a sign-in is then not found (404) and a sign-up answers
//!   `sign_up_cannot_be_updated`. A sign-in a newer `create` replaced is not found either
//!   (the client has one current sign-in; a completed one stays readable; what the real
//!   server answers here is not documented, so this strictness is the mock's inference). A pending code or
//!   link past its `expire_at` (10 minutes) reads `expired`. Account lockout ([`MockServer::set_user_lockout`], default
//!   100 attempts and one hour as the environment advertises): failed passwords, TOTP and
//!   backup codes count, and a locked user's sign-in verifications (codes and links too)
//!   answer 403 `user_locked`
//!   with `meta.lockout_expires_in_seconds`; the user object's `locked`,
//!   `lockout_expires_in_seconds` and `verification_attempts_remaining` follow. One-time
//!   email and phone codes have their own attempt limit instead (the verification turns
//!   `failed`).
//! - **Flows.** Sign-in by password, email code, phone code, email link (opened with
//!   [`MockServer::click_email_link`] or `POST /__mock/email_links/click`), TOTP, backup
//!   codes, phone second factor, device trust, password reset, tickets, ID tokens
//!   (`google_one_tap`/`oauth_token_*`, whose token is the asserted email address); sign-up
//!   with create, update, email/phone codes, email links, missing requirements and legal
//!   acceptance; transfers both ways (a correct code on a `sign_up_if_missing` sign-in for
//!   an unknown identifier answers 422 `sign_up_if_missing_transfer`, its `meta.client`
//!   showing the verification `transferable`, fapi.md §5.4); sessions (touch with organizations, end, remove, tokens
//!   and template tokens: any template name, or only those given to
//!   [`MockServer::set_jwt_templates`], others answering 404 `resource_not_found`;
//!   with [`MockServer::set_force_organization_selection`], new sessions are `pending` with
//!   the task `choose-organization` until a touch chooses an organization);
//!   `DELETE /v1/client` and `DELETE /v1/client/sessions`. A sign-up verification that
//!   `failed` or `expired` says `next_action: needs_prepare`.
//! - **Not implemented.** Reverification (`POST /v1/client/sessions/{id}/verify` and its
//!   steps), passkeys, and every other operation the spec documents but no flow above
//!   uses: they answer 501 `mock_operation_not_implemented` naming the operation. The
//!   engine's reverification flow is tested against canned answers instead.
//! - **Passwords.** Any password of 8 characters or more is accepted (no breach or
//!   strength check, no upper limit); a shorter one is 422
//!   `form_password_length_too_short`.
//! - **Clerk's test mode.** Emails with `+clerk_test` and phones `+1 555 555 01xx` accept
//!   `424242`; other identifiers get random codes, readable with [`MockServer::latest_code`]
//!   or `GET /__mock/codes?to=ADDRESS` (`{"code": …}`, 404 when none was sent). The TOTP
//!   code a user's authenticator would show now: [`MockServer::totp_code`], or
//!   `GET /__mock/totp?email=ADDRESS` (percent-encoded: a `+` in a query reads as a space, so
//!   `ada%2Bclerk_test%40example.com`; a 404 in Clerk's error envelope names the address it
//!   looked up).
//! - **Sign-up requirements.** The instance the mock serves (`GET /v1/environment`) requires
//!   an email address, a password and legal acceptance (`legal_accepted=true`; see
//!   [`MockServer::set_legal_consent_required`]); first and last name, phone number and
//!   username are optional. A sign-up without one of the required fields is
//!   `missing_requirements` with it in `missing_fields` (send it with an update), and with
//!   the email address in `unverified_fields` until a code (or a link) verifies it. The
//!   README's `clerk sign-up --email you+clerk_test@example.com --legal-accepted --code
//!   424242` supplies them all: `--legal-accepted` the acceptance, a hidden prompt (or
//!   `--password-stdin`) the password, `--code` the email code. The drivers' `sign_up`
//!   examples (`cargo run -p clerk-ureq --example blocking_sign_up`, and `async_sign_up` with
//!   `clerk-reqwest`) do it in code.
//! - **Shapes.** Envelopes as fapi.md §2.1–2.3, objects shaped like the recordings, timestamps
//!   in milliseconds, session tokens as RS256 JWTs with fapi.md §6.4's v2 claims and header
//!   `oiat` (committed test-only key; JWKS at `/.well-known/jwks.json`). Answers follow the
//!   spec's response schemas: with [`MockServer::set_answer_recording`] on, the mock keeps
//!   every answer ([`MockServer::answers`]), and its own tests and the drivers' tests check
//!   each one with `clerk_spec::responses`. They may depart from the spec only where the
//!   recorded server or fapi.md does (`clerk_tests::response_schemas::SPEC_DEVIATIONS`, each
//!   entry with its evidence); where the spec requires what the older recordings lack
//!   (`native_settings`, `saml`, …), the mock follows the spec.
//! - **Spec validation.** Every request is checked with `clerk_spec::SpecTable::validate`; a
//!   violation answers Clerk's error envelope naming the parameter and is kept in
//!   [`MockServer::violations`]. So is a body whose `Content-Type` is not a media type the
//!   operation takes (400, `meta.param_name: "content-type"`). The `Cookie` header is the
//!   mock's own transport and is not checked. Other headers pass when the spec, clerk-spec's
//!   transport headers or `undocumented.json` name them; SDK-identifying headers that fapi.md
//!   §1.6 mentions but `undocumented.json` does not list (`Accept-Language`,
//!   `x-flutter-sdk-version`, `x-expo-sdk-version`, `x-ios-sdk-version`, …) are violations
//!   (400 `form_param_unknown`) until that file lists them.
//! - **Faults** per route ([`MockServer::set_fault`]): 429 with `Retry-After`, 5xx, slow
//!   answers, truncated bodies (status, headers and half the body, then a broken connection),
//!   HTML bodies, dropped connections.
//!
//! ```
//! use clerk_mock::{MockServer, UserSpec};
//!
//! let mock = MockServer::start();
//! mock.add_user(UserSpec::with_email("ada+clerk_test@example.com").password("correct horse"));
//! assert!(mock.publishable_key().starts_with("pk_test_"));
//! assert!(mock.base_url().starts_with("http://127.0.0.1:"));
//! ```
#![forbid(unsafe_code)]
#![recursion_limit = "256"]

mod clock;
mod error;
mod faults;
mod handle;
mod random;
mod render;
mod request;
mod routes;
mod server;
mod state;
mod tokens;
mod totp;
mod validation;

pub use faults::{Fault, Route};
pub use handle::MockServer;
pub use request::{RecordedAnswer, RecordedRequest};
pub use state::users::{Totp, UserSpec};
pub use validation::SpecViolation;
