//! The JSON of every object the mock sends, shaped like Clerk's recorded responses
//! (`../shared/fixtures/recorded/`) and fapi.md §4.

use serde_json::{Value, json};

use crate::clock::millis;
use crate::state::users::Organization;
use crate::state::{MockState, Session, SignIn, SignUp, User, Verification};

impl MockState {
    /// `{object: "client", …}` for a client id, or `null`.
    pub(crate) fn render_client(&self, client_id: &str) -> Value {
        let Some(client) = self.clients.get(client_id) else { return Value::Null };
        let sessions: Vec<Value> = client.session_ids.iter().map(|sid| self.render_session(sid)).collect();
        json!({
            "object": "client",
            "id": client.id,
            "sessions": sessions,
            "sign_in": client.sign_in_id.as_deref().map_or(Value::Null, |id| self.render_sign_in(id)),
            "sign_up": client.sign_up_id.as_deref().map_or(Value::Null, |id| self.render_sign_up(id)),
            "last_active_session_id": client.last_active_session_id,
            "last_authentication_strategy": client.last_authentication_strategy,
            "cookie_expires_at": null,
            "captcha_bypass": false,
            "created_at": client.created_at,
            "updated_at": client.updated_at,
        })
    }

    /// `{object: "sign_in_attempt", …}`, or `null`.
    pub(crate) fn render_sign_in(&self, id: &str) -> Value {
        let Some(sign_in) = self.sign_ins.get(id) else { return Value::Null };
        let user = sign_in.user_id.as_deref().and_then(|uid| self.user(uid));
        let open = !matches!(sign_in.status, "complete");
        let first_factors = match (open, user) {
            (true, Some(user)) => json!(first_factors(user)),
            (true, None) if sign_in.sign_up_if_missing => json!(unknown_user_first_factors(sign_in)),
            _ => Value::Null,
        };
        let second_factors = match (sign_in.status, user) {
            ("needs_second_factor", Some(user)) => json!(second_factors(user)),
            ("needs_client_trust", Some(user)) => json!(client_trust_factors(user)),
            _ => Value::Null,
        };
        json!({
            "object": "sign_in_attempt",
            "id": sign_in.id,
            "status": sign_in.status,
            "supported_identifiers": ["email_address", "phone_number", "username"],
            "supported_first_factors": first_factors,
            "supported_second_factors": second_factors,
            "first_factor_verification": sign_in.first_factor.as_ref().map(Verification::to_json),
            "second_factor_verification": sign_in.second_factor.as_ref().map(Verification::to_json),
            "identifier": sign_in.identifier,
            "user_data": user.map(user_data),
            "created_session_id": sign_in.created_session_id,
            "abandon_at": sign_in.abandon_at,
            "client_trust_state": client_trust_state(self, sign_in),
            "locale": null,
        })
    }

    /// `{object: "sign_up_attempt", …}`, or `null`.
    pub(crate) fn render_sign_up(&self, id: &str) -> Value {
        let Some(sign_up) = self.sign_ups.get(id) else { return Value::Null };
        let (required, optional) = self.sign_up_fields();
        json!({
            "object": "sign_up_attempt",
            "id": sign_up.id,
            "status": sign_up.status,
            "required_fields": required,
            "optional_fields": optional,
            "missing_fields": self.missing_fields(sign_up),
            "unverified_fields": unverified_fields(sign_up),
            "verifications": {
                "email_address": sign_up.email_verification.as_ref().map(Verification::to_json),
                "phone_number": sign_up.phone_verification.as_ref().map(Verification::to_json),
                "web3_wallet": null,
                "external_account": sign_up.external_account.as_ref().map(Verification::to_json),
            },
            "username": sign_up.username,
            "email_address": sign_up.email_address,
            "phone_number": sign_up.phone_number,
            "web3_wallet": null,
            "password_enabled": sign_up.password.is_some(),
            "first_name": sign_up.first_name,
            "last_name": sign_up.last_name,
            "unsafe_metadata": sign_up.unsafe_metadata,
            "public_metadata": {},
            "custom_action": false,
            "external_id": null,
            "created_session_id": sign_up.created_session_id,
            "created_user_id": sign_up.created_user_id,
            "abandon_at": sign_up.abandon_at,
            "legal_accepted_at": sign_up.legal_accepted_at,
            "locale": sign_up.locale,
        })
    }

    /// Required and optional sign-up fields of the instance.
    pub(crate) fn sign_up_fields(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut required = vec!["email_address", "password"];
        if self.settings.legal_consent_required {
            required.insert(1, "legal_accepted");
        }
        (required, vec!["first_name", "last_name", "phone_number", "username"])
    }

    /// Required fields the sign-up has no value for.
    pub(crate) fn missing_fields(&self, sign_up: &SignUp) -> Vec<&'static str> {
        let (required, _) = self.sign_up_fields();
        required
            .into_iter()
            .filter(|field| match *field {
                "email_address" => sign_up.email_address.is_none(),
                // A sign-up through an external account needs no password.
                "password" => sign_up.password.is_none() && sign_up.external_account.is_none(),
                "legal_accepted" => sign_up.legal_accepted_at.is_none(),
                _ => false,
            })
            .collect()
    }

    /// `{object: "session", …}` with `user`, `public_user_data` and a fresh
    /// `last_active_token` for signed-in sessions.
    pub(crate) fn render_session(&self, id: &str) -> Value {
        let Some(session) = self.sessions.get(id) else { return Value::Null };
        let user = self.user(&session.user_id);
        let now = self.now();
        let age = |at: i64| (now - at) / 60_000;
        let second_age = match (session.second_factor_at, user) {
            (Some(at), _) => age(at),
            (None, Some(user)) if user.has_second_factor() => age(session.first_factor_at),
            _ => -1,
        };
        let token = session.is_signed_in().then(|| {
            json!({ "object": "token", "jwt": self.session_jwt(session, session.last_active_organization_id.as_deref(), None) })
        });
        with_session_base(
            session,
            json!({
                "last_active_organization_id": session.last_active_organization_id,
                "user": user.map(|u| self.render_user(u)),
                "public_user_data": user.map(public_user_data),
                "factor_verification_age": [age(session.first_factor_at), second_age],
                "created_at": session.created_at,
                "updated_at": session.updated_at,
                "last_active_token": token,
            }),
        )
    }

    /// One entry of `GET /v1/me/sessions/active` (the spec's `Client.ActiveSession`): the
    /// session's own fields and its client's latest activity, never a token.
    pub(crate) fn render_active_session(&self, session: &Session) -> Value {
        let activity = self.clients.get(&session.client_id).map(|client| client.activity.clone()).unwrap_or_default();
        let (browser_name, browser_version) = activity.browser.unwrap_or_else(|| ("Safari".into(), "17.1".into()));
        with_session_base(
            session,
            json!({
                "latest_activity": {
                    "object": "session_activity",
                    "id": format!("sess_activity_{}", session.id.trim_start_matches("sess_")),
                    "device_type": if activity.mobile { "iPhone" } else { "Macintosh" },
                    "is_mobile": activity.mobile,
                    "browser_name": browser_name,
                    "browser_version": browser_version,
                    "ip_address": "127.0.0.1",
                    "city": "Berlin",
                    "country": "DE",
                },
            }),
        )
    }

    /// `{object: "user", …}` as sessions carry it.
    pub(crate) fn render_user(&self, user: &User) -> Value {
        let verified_admin = json!({
            "object": "verification_admin", "status": "verified", "strategy": "admin",
            "attempts": null, "expire_at": null,
        });
        let emails: Vec<Value> = user
            .email
            .iter()
            .map(|e| {
                json!({
                    "id": e.id, "object": "email_address", "email_address": e.value, "reserved": false,
                    "verification": verified_admin, "linked_to": [], "matches_sso_connection": false,
                    "created_at": user.created_at, "updated_at": user.updated_at,
                })
            })
            .collect();
        let phones: Vec<Value> = user
            .phone
            .iter()
            .map(|p| {
                json!({
                    "id": p.id, "object": "phone_number", "phone_number": p.value,
                    "reserved_for_second_factor": false, "default_second_factor": user.phone_second_factor,
                    "reserved": false, "verification": verified_admin, "linked_to": [], "backup_codes": null,
                    "created_at": user.created_at, "updated_at": user.updated_at,
                })
            })
            .collect();
        let memberships: Vec<Value> =
            self.organizations.iter().filter(|o| o.user_id == user.id).map(render_membership).collect();
        json!({
            "id": user.id,
            "object": "user",
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "locale": null,
            "image_url": "https://img.clerk.com/mock",
            "has_image": false,
            "primary_email_address_id": user.email.as_ref().map(|e| &e.id),
            "primary_phone_number_id": user.phone.as_ref().map(|p| &p.id),
            "primary_web3_wallet_id": null,
            "password_enabled": user.password.is_some(),
            "two_factor_enabled": user.has_second_factor(),
            "totp_enabled": user.totp.is_some(),
            "backup_code_enabled": !user.backup_codes.is_empty(),
            "email_addresses": emails,
            "phone_numbers": phones,
            "web3_wallets": [],
            "passkeys": [],
            "external_accounts": [],
            "saml_accounts": [],
            "enterprise_accounts": [],
            "password_last_updated_at": user.password.as_ref().map(|_| user.updated_at),
            "public_metadata": {},
            "unsafe_metadata": user.unsafe_metadata,
            "external_id": null,
            "last_sign_in_at": user.last_sign_in_at,
            "banned": false,
            "locked": self.lockout_left_secs(user).is_some(),
            "lockout_expires_in_seconds": self.lockout_left_secs(user),
            "verification_attempts_remaining": self.verification_attempts_remaining(user),
            "created_at": user.created_at,
            "updated_at": user.updated_at,
            "delete_self_enabled": true,
            "bypass_client_trust": false,
            "create_organization_enabled": true,
            "create_organizations_limit": 0,
            "last_active_at": user.last_sign_in_at,
            "mfa_enabled_at": null,
            "mfa_disabled_at": null,
            "legal_accepted_at": user.legal_accepted_at,
            "profile_image_url": "https://img.clerk.com/mock",
            "organization_memberships": memberships,
        })
    }

    /// A session JWT (or, with `template`, a template JWT carrying `tmpl`), for the given
    /// organization (`None`: personal account). Claims as fapi.md §6.4 lists them for v2
    /// tokens: `sid`, `sub`, `iss`, `iat`, `nbf`, `exp`, `azp`, `sts`, `fva`, `v: 2` and, in an
    /// organization, `o: {id, slg, rol}`; the header's `oiat` is `iat`, the mock being the
    /// origin that mints every token. `o.per`/`o.fpm` are left out: fapi.md names them without
    /// their encoding, and the mock's memberships carry no permissions.
    pub(crate) fn session_jwt(
        &self,
        session: &Session,
        organization_id: Option<&str>,
        template: Option<&str>,
    ) -> String {
        let iat = self.clock.now_secs();
        let exp = iat + millis(self.settings.token_lifetime) / 1000;
        let now = self.now();
        let mut claims = json!({
            "azp": self.base_url,
            "exp": exp,
            "iat": iat,
            "iss": self.base_url,
            "nbf": iat - 10,
            "sid": session.id,
            "sub": session.user_id,
            "sts": session.status,
            "v": 2,
            "fva": [(now - session.first_factor_at) / 60_000, session.second_factor_at.map_or(-1, |at| (now - at) / 60_000)],
        });
        if let Some(map) = claims.as_object_mut() {
            if let Some(org) = organization_id.and_then(|id| self.organization_of(&session.user_id, id)) {
                map.insert(
                    "o".into(),
                    json!({ "id": org.id, "slg": org.slug, "rol": org.role.trim_start_matches("org:") }),
                );
            }
            if let Some(template) = template {
                map.insert("tmpl".into(), json!(template));
            }
        }
        self.signer.sign(&claims, iat)
    }

    /// The organization `id_or_slug` names among the user's memberships.
    pub(crate) fn organization_of(&self, user_id: &str, id_or_slug: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.user_id == user_id && (o.id == id_or_slug || o.slug == id_or_slug))
    }
}

fn render_membership(org: &Organization) -> Value {
    json!({
        "object": "organization_membership",
        "id": org.membership_id,
        "organization": {
            "object": "organization", "id": org.id, "name": org.slug, "slug": org.slug,
            "image_url": "https://img.clerk.com/mock", "has_image": false, "members_count": 1,
            "pending_invitations_count": 0, "max_allowed_memberships": 5, "admin_delete_enabled": true,
            "public_metadata": {}, "created_at": org.created_at, "updated_at": org.created_at,
        },
        "role": org.role,
        "role_name": if org.role == "org:admin" { "Admin" } else { "Member" },
        "permissions": [],
        "public_metadata": {},
        "created_at": org.created_at,
        "updated_at": org.created_at,
    })
}

/// First factors of an identified user, in the order the recordings show.
pub(crate) fn first_factors(user: &User) -> Vec<Value> {
    let mut factors = Vec::new();
    if user.password.is_some() {
        factors.push(json!({ "strategy": "password" }));
    }
    if let Some(phone) = &user.phone {
        factors.push(json!({ "strategy": "phone_code", "safe_identifier": phone.value, "phone_number_id": phone.id, "primary": true }));
    }
    if let Some(email) = &user.email {
        for strategy in ["email_code", "email_link"] {
            factors.push(json!({ "strategy": strategy, "safe_identifier": email.value, "email_address_id": email.id, "primary": true }));
        }
        factors.push(json!({ "strategy": "reset_password_email_code", "safe_identifier": email.value, "email_address_id": email.id, "primary": true }));
    }
    if let Some(phone) = &user.phone {
        factors.push(json!({ "strategy": "reset_password_phone_code", "safe_identifier": phone.value, "phone_number_id": phone.id, "primary": true }));
    }
    factors
}

/// First factors offered for an identifier no user has (`sign_up_if_missing`).
fn unknown_user_first_factors(sign_in: &SignIn) -> Vec<Value> {
    let Some(identifier) = &sign_in.identifier else { return Vec::new() };
    if identifier.contains('@') {
        vec![
            json!({ "strategy": "email_code", "safe_identifier": identifier, "email_address_id": unknown_identification_id(sign_in), "primary": true }),
            json!({ "strategy": "email_link", "safe_identifier": identifier, "email_address_id": unknown_identification_id(sign_in), "primary": true }),
        ]
    } else {
        vec![
            json!({ "strategy": "phone_code", "safe_identifier": identifier, "phone_number_id": unknown_identification_id(sign_in), "primary": true }),
        ]
    }
}

/// The identification id the mock invents for an unknown identifier (stable per sign-in).
pub(crate) fn unknown_identification_id(sign_in: &SignIn) -> String {
    format!("idn_unknown_{}", sign_in.id.trim_start_matches("sia_"))
}

/// Second factors of a user with MFA.
fn second_factors(user: &User) -> Vec<Value> {
    let mut factors = Vec::new();
    if user.totp.is_some() {
        factors.push(json!({ "strategy": "totp" }));
    }
    if let (Some(phone), true) = (&user.phone, user.phone_second_factor) {
        factors.push(json!({ "strategy": "phone_code", "safe_identifier": phone.value, "phone_number_id": phone.id, "primary": true, "default": true }));
    }
    if !user.backup_codes.is_empty() {
        factors.push(json!({ "strategy": "backup_code" }));
    }
    factors
}

/// Second factors for device trust: a code to the user's email (else phone).
fn client_trust_factors(user: &User) -> Vec<Value> {
    match (&user.email, &user.phone) {
        (Some(email), _) => {
            vec![
                json!({ "strategy": "email_code", "safe_identifier": email.value, "email_address_id": email.id, "primary": true }),
            ]
        }
        (None, Some(phone)) => {
            vec![
                json!({ "strategy": "phone_code", "safe_identifier": phone.value, "phone_number_id": phone.id, "primary": true }),
            ]
        }
        (None, None) => Vec::new(),
    }
}

fn client_trust_state(state: &MockState, sign_in: &SignIn) -> &'static str {
    match &sign_in.user_id {
        None => "pending",
        Some(user_id) => {
            let known =
                state.clients.get(&sign_in.client_id).is_some_and(|c| c.known_user_ids.iter().any(|u| u == user_id));
            if known { "known" } else { "new" }
        }
    }
}

fn user_data(user: &User) -> Value {
    json!({
        "first_name": user.first_name,
        "last_name": user.last_name,
        "image_url": "https://img.clerk.com/mock",
        "has_image": false,
    })
}

fn public_user_data(user: &User) -> Value {
    json!({
        "first_name": user.first_name,
        "last_name": user.last_name,
        "image_url": "https://img.clerk.com/mock",
        "has_image": false,
        "identifier": user.main_identifier(),
        "user_id": user.id,
        "username": user.username,
        "profile_image_url": "https://img.clerk.com/mock",
    })
}

/// Supplied identifiers whose verification is not `verified`.
pub(crate) fn unverified_fields(sign_up: &SignUp) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let verified = |v: &Option<Verification>| v.as_ref().is_some_and(|v| v.status == "verified");
    if sign_up.email_address.is_some() && !verified(&sign_up.email_verification) {
        fields.push("email_address");
    }
    if sign_up.phone_number.is_some() && !verified(&sign_up.phone_verification) {
        fields.push("phone_number");
    }
    fields
}

/// `fields` after the ones every rendering of a session starts with (the spec's
/// `SessionBase`: id, status, the lifetimes, actor, tasks).
fn with_session_base(session: &Session, fields: Value) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("object".into(), json!("session"));
    object.insert("id".into(), json!(session.id));
    object.insert("status".into(), json!(session.status));
    object.insert("expire_at".into(), json!(session.expire_at));
    object.insert("abandon_at".into(), json!(session.last_active_at + crate::state::SESSION_ABANDON_MS));
    object.insert("last_active_at".into(), json!(session.last_active_at));
    object.insert("actor".into(), Value::Null);
    let tasks = if session.status == "pending" { json!([{ "key": "choose-organization" }]) } else { Value::Null };
    object.insert("tasks".into(), tasks);
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object)
}
