//! Checking answers (recorded ones and the mock's) against the response schemas of Clerk's
//! published spec, through `clerk_spec::responses`, with the spec's known inaccuracies listed
//! in [`SPEC_DEVIATIONS`].
//!
//! The spec is not exact: Clerk's real server, in the recordings, sends `null` where the spec
//! does not say nullable, leaves out properties the spec calls required and sends ones a
//! closed schema does not list. Each such place is one entry of [`SPEC_DEVIATIONS`] with the
//! evidence for it. A recording may depart from the spec only where an entry backed by
//! recordings says so, and every such entry must be seen in some recording (so the list is
//! exactly what the real server does); the mock may depart only where an entry says so.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use clerk_spec::SpecTable;
use clerk_spec::responses::{ResponseSchemas, ResponseViolation};
use serde_json::Value;

/// Why an answer may depart from the spec at one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Clerk's real server does it: some recording shows it (checked by a test).
    Recorded,
    /// The same departure as the recorded entry named, where the spec gives the same object
    /// another schema name (the real server sends one sign-in object from every route).
    Like(&'static str),
    /// `fapi.md` documents it (the section named).
    Fapi(&'static str),
}

/// One known place where answers depart from the spec: a [`ResponseViolation::key`], the
/// evidence, and what it means.
#[derive(Debug, Clone, Copy)]
pub struct SpecDeviation {
    /// The finding's key (`Client.SignIn-2: unexpected locale`).
    pub key: &'static str,
    /// Why it is allowed.
    pub evidence: Evidence,
    /// What the real answers do, in a few words.
    pub note: &'static str,
}

/// The spec's known inaccuracies: where real answers (recorded, API version 2025-11-10) or
/// `fapi.md` contradict the spec (2026-05-12; its resource schemas are the same in both
/// versions, `fapi.md` §7).
pub const SPEC_DEVIATIONS: &[SpecDeviation] = &[
    // The environment. Properties the spec requires that the recorded server did not send
    // yet: the mock sends them (it follows the newer spec where the recordings are silent).
    deviation("Client.AuthConfig: missing native_settings", Evidence::Recorded, "not sent by the recorded server"),
    deviation("Client.DisplayConfig: missing oauth_consent_url", Evidence::Recorded, "not sent by the recorded server"),
    deviation("Client.UserSettings: missing enterprise_sso", Evidence::Recorded, "not sent by the recorded server"),
    deviation("Client.UserSettings: missing saml", Evidence::Recorded, "not sent by the recorded server"),
    deviation(
        "UserSettings.PasskeySettings: missing satisfies_second_factor",
        Evidence::Recorded,
        "not sent by the recorded server",
    ),
    deviation(
        "UserSettings.PasswordSettings: missing disable_password_reverification",
        Evidence::Recorded,
        "not sent by the recorded server",
    ),
    deviation(
        "UserSettings.UsernameSettings: missing allow_numeric_usernames",
        Evidence::Recorded,
        "not sent by the recorded server",
    ),
    deviation(
        "Client.ApiKeysSettings: missing user_api_keys_enabled",
        Evidence::Recorded,
        "the recorder's anonymiser replaced this key's name with USER_ID",
    ),
    deviation(
        "Client.ApiKeysSettings: unexpected USER_ID",
        Evidence::Recorded,
        "the recorder's anonymiser replaced the key `user_api_keys_enabled` with USER_ID",
    ),
    // Properties the server sends that the spec's closed schemas do not list.
    deviation("Client.CommerceSettings/billing: unexpected enabled", Evidence::Recorded, "billing summary flags"),
    deviation("Client.CommerceSettings/billing: unexpected has_paid_org_plans", Evidence::Recorded, "billing summary"),
    deviation("Client.CommerceSettings/billing: unexpected has_paid_user_plans", Evidence::Recorded, "billing summary"),
    deviation("UserSettings.SignUp: unexpected mfa", Evidence::Recorded, "`mfa: {required}` (fapi.md §4.9 too)"),
    deviation("UserSettings.Socials: unexpected oauth_custom_spung", Evidence::Recorded, "a custom OAuth provider"),
    deviation("UserSettings.Socials: unexpected oauth_vercel", Evidence::Recorded, "a provider the spec does not list"),
    deviation(
        "Client.OrganizationSettings: unexpected force_organization_selection",
        Evidence::Fapi("§4.9"),
        "personal account disallowed; the engine reads it",
    ),
    // The sign-in object.
    deviation("Client.SignIn-2: unexpected locale", Evidence::Recorded, "the sign-in's locale (fapi.md §4.3)"),
    deviation(
        "Client.SignIn: unexpected locale",
        Evidence::Like("Client.SignIn-2: unexpected locale"),
        "the same sign-in object under the spec's other sign-in schema",
    ),
    deviation(
        "Client.SignIn-2/supported_identifiers[]: not in enum \"password\"",
        Evidence::Recorded,
        "`password` listed as an identifier strategy",
    ),
    deviation(
        "Client.SignIn-2/first_factor_verification: no alternative \
         (closest: Stubs.Verification.OTP/status: not in enum \"transferable\")",
        Evidence::Fapi("§4.5"),
        "an OTP verification of a sign-in for a user who does not exist (`sign_up_if_missing`) is transferable",
    ),
    // The sign-up object.
    deviation(
        "Client.SignUp.Verifications/external_account: no alternative \
         (closest: Stubs.Verification.GoogleOneTap: unexpected error; \
         Stubs.Verification.GoogleOneTap/status: not in enum \"transferable\")",
        Evidence::Fapi("§2.5"),
        "an ID-token sign-up for an existing account: the external account is transferable with \
         `external_account_exists` in its `error`, whatever the strategy",
    ),
    // The dev browser.
    deviation(
        "POST /v1/dev_browser: unexpected body",
        Evidence::Fapi("§2.1"),
        "the spec documents no body; clerk-js reads the token from the answer's `id` (§1.8.3)",
    ),
];

const fn deviation(key: &'static str, evidence: Evidence, note: &'static str) -> SpecDeviation {
    SpecDeviation { key, evidence, note }
}

/// The spec's response schemas, read once per test process.
///
/// # Panics
///
/// When the spec cannot be read (the caller has checked that the shared data is there).
#[must_use]
pub fn schemas(shared: &std::path::Path) -> &'static ResponseSchemas {
    static SCHEMAS: OnceLock<ResponseSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| ResponseSchemas::load_from_dir(shared).unwrap_or_else(|e| panic!("spec unreadable: {e}")))
}

fn table() -> &'static SpecTable {
    static TABLE: OnceLock<SpecTable> = OnceLock::new();
    TABLE.get_or_init(|| SpecTable::load().unwrap_or_else(|e| panic!("embedded spec table unreadable: {e}")))
}

/// The findings of one answer to `method` (the effective one) on the concrete `path`; an
/// operation the spec does not have is one finding.
#[must_use]
pub fn answer_violations(
    schemas: &ResponseSchemas,
    method: &str,
    path: &str,
    status: u16,
    body: Option<&Value>,
) -> Vec<ResponseViolation> {
    let template = table().operation(method, path).map_or(path, |operation| operation.path.as_str());
    schemas.check(method, template, status, body).err().unwrap_or_default()
}

/// Findings grouped by key, each with where it was first seen.
#[derive(Debug, Default)]
pub struct Findings {
    /// Key → (how many, the first one, described, with the answer it came from).
    pub by_key: BTreeMap<String, (usize, String)>,
}

impl Findings {
    /// Adds the findings of one answer, `origin` naming it (a file, a request).
    pub fn add(&mut self, origin: &str, violations: Vec<ResponseViolation>) {
        for violation in violations {
            let entry = self.by_key.entry(violation.key()).or_insert_with(|| (0, format!("{origin}: {violation}")));
            entry.0 += 1;
        }
    }

    /// The findings [`SPEC_DEVIATIONS`] does not list, described one a line.
    #[must_use]
    pub fn unlisted(&self) -> Vec<String> {
        self.by_key
            .iter()
            .filter(|(key, _)| !SPEC_DEVIATIONS.iter().any(|d| d.key == key.as_str()))
            .map(|(key, (count, first))| format!("{key} (×{count}; first: {first})"))
            .collect()
    }
}
