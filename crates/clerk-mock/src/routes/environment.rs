//! `GET /v1/environment`: the instance settings (unwrapped), shaped like the recordings and
//! complete by the spec's `Client.Environment` schema (every property it requires, including
//! those newer than the recordings: `native_settings`, `saml`, `enterprise_sso`, …).

use serde_json::{Value, json};

use super::{Outcome, Reply};
use crate::state::MockState;

/// The environment object.
pub(crate) fn get(state: &MockState) -> Outcome {
    Ok(Reply::ok(environment(state)))
}

fn attribute(enabled: bool, required: bool, first: &[&str], second: &[&str], verifications: &[&str]) -> Value {
    json!({
        "enabled": enabled,
        "required": required,
        "used_for_first_factor": !first.is_empty(),
        "first_factors": first,
        "used_for_second_factor": !second.is_empty(),
        "second_factors": second,
        "verifications": verifications,
        "verify_at_sign_up": !verifications.is_empty(),
        "immutable": false,
    })
}

fn environment(state: &MockState) -> Value {
    let legal = state.settings.legal_consent_required;
    let url = |path: &str| format!("{}{path}", state.base_url);
    json!({
        "auth_config": {
            "object": "auth_config",
            "id": "aac_clerk_mock",
            "first_name": "on",
            "last_name": "on",
            "email_address": "required",
            "phone_number": "on",
            "username": "on",
            "password": "required",
            "identification_requirements": [["email_address", "phone_number"], ["username"]],
            "identification_strategies": ["email_address", "password", "phone_number", "username"],
            "first_factors": ["email_code", "email_link", "google_one_tap", "password", "phone_code",
                "reset_password_email_code", "reset_password_phone_code", "ticket"],
            "second_factors": ["backup_code", "phone_code", "totp"],
            "email_address_verification_strategies": ["email_code", "email_link"],
            "single_session_mode": state.settings.single_session_mode,
            "enhanced_email_deliverability": false,
            "test_mode": true,
            "cookieless_dev": true,
            "url_based_session_syncing": true,
            "claimed_at": null,
            "reverification": false,
            "native_settings": {
                "object": "native_settings",
                "api_enabled": true,
                "trusted_device_sign_in_enabled": false,
                "trusted_device_enrollment_prompt_after_sign_in_enabled": false,
                "trusted_device_enrollment_prompt_after_sign_up_enabled": false,
            },
        },
        "display_config": {
            "object": "display_config",
            "id": "display_config_clerk_mock",
            "instance_environment_type": "development",
            "application_name": "clerk-mock",
            "theme": {
                "general": { "color": "#6c47ff", "background_color": "#ffffff", "font_color": "#151515" },
                "buttons": { "font_color": "#ffffff" },
                "accounts": { "background_color": "#ffffff" },
            },
            "preferred_sign_in_strategy": "password",
            "logo_image_url": null,
            "favicon_image_url": null,
            "home_url": url(""),
            "sign_in_url": url("/sign-in"),
            "sign_up_url": url("/sign-up"),
            "user_profile_url": url("/user"),
            "waitlist_url": url("/waitlist"),
            "oauth_consent_url": url("/oauth-consent"),
            "after_sign_in_url": url(""),
            "after_sign_up_url": url(""),
            "after_sign_out_one_url": url("/sign-in#/choose"),
            "after_sign_out_all_url": url("/sign-in"),
            "after_switch_session_url": url(""),
            "after_join_waitlist_url": url(""),
            "organization_profile_url": url("/organization"),
            "create_organization_url": url("/create-organization"),
            "after_leave_organization_url": url(""),
            "after_create_organization_url": url(""),
            "logo_link_url": url(""),
            "support_email": null,
            "branded": true,
            "experimental_force_oauth_first": false,
            "clerk_js_version": "5",
            "show_devmode_warning": true,
            "google_one_tap_client_id": null,
            "help_url": null,
            "privacy_policy_url": null,
            "terms_url": null,
            "logo_url": null,
            "favicon_url": null,
            "logo_image": null,
            "favicon_image": null,
            "captcha_public_key": null,
            "captcha_widget_type": null,
            "captcha_public_key_invisible": null,
            "captcha_provider": null,
            "captcha_oauth_bypass": [],
            "captcha_heartbeat": false,
        },
        "user_settings": {
            "attributes": {
                "email_address": attribute(true, true, &["email_code", "email_link"], &[], &["email_code", "email_link"]),
                "phone_number": attribute(true, false, &["phone_code"], &["phone_code"], &["phone_code"]),
                "username": attribute(true, false, &[], &[], &[]),
                "web3_wallet": attribute(false, false, &[], &[], &[]),
                "first_name": attribute(true, false, &[], &[], &[]),
                "last_name": attribute(true, false, &[], &[], &[]),
                "password": attribute(true, true, &[], &[], &[]),
                "authenticator_app": attribute(true, false, &[], &["totp"], &["totp"]),
                "ticket": attribute(true, false, &[], &[], &[]),
                "backup_code": attribute(true, false, &[], &["backup_code"], &[]),
                "passkey": attribute(false, false, &[], &[], &[]),
            },
            "saml": { "enabled": false },
            "enterprise_sso": { "enabled": false },
            "sign_in": { "second_factor": { "required": false } },
            "sign_up": {
                "captcha_enabled": false,
                "captcha_widget_type": "smart",
                "custom_action_required": false,
                "progressive": true,
                "mode": "public",
                "legal_consent_enabled": legal,
                "mfa": { "required": false },
            },
            "restrictions": {
                "allowlist": { "enabled": false },
                "blocklist": { "enabled": false },
                "allowlist_blocklist_disabled_on_sign_in": { "enabled": false },
                "block_email_subaddresses": { "enabled": false },
                "block_disposable_email_domains": { "enabled": false },
            },
            "username_settings": {
                "min_length": 4,
                "max_length": 64,
                "allow_extended_special_characters": false,
                "allow_numeric_usernames": false,
            },
            "actions": { "delete_self": true, "create_organization": true, "create_organizations_limit": null },
            "attack_protection": {
                "user_lockout": {
                    "enabled": state.settings.lockout_max_attempts > 0,
                    "max_attempts": state.settings.lockout_max_attempts,
                    "duration_in_minutes": state.settings.lockout_duration.as_secs() / 60,
                },
                "pii": { "enabled": true },
                "email_link": { "require_same_client": false },
                "enumeration_protection": { "enabled": false },
            },
            "passkey_settings": { "allow_autofill": false, "show_sign_in_button": false, "satisfies_second_factor": false },
            "social": {},
            "password_settings": {
                "disable_hibp": true, "disable_password_reverification": false, "min_length": 8, "max_length": 0, "require_special_char": false,
                "require_numbers": false, "require_uppercase": false, "require_lowercase": false,
                "show_zxcvbn": false, "min_zxcvbn_strength": 0, "enforce_hibp_on_sign_in": false,
                "allowed_special_characters": "+$-_",
            },
        },
        "organization_settings": {
            "enabled": true,
            "max_allowed_memberships": 5,
            "actions": { "admin_delete": true },
            "domains": { "enabled": false, "enrollment_modes": [], "default_role": "org:member" },
            "slug": { "disabled": false },
            "creator_role": "org:admin",
            "force_organization_selection": state.settings.force_organization_selection,
        },
        "fraud_settings": { "object": "fraud_settings", "native": { "device_attestation_mode": "disabled" } },
        "commerce_settings": {
            "billing": {
                "enabled": false,
                "has_paid_user_plans": false,
                "has_paid_org_plans": false,
                "free_trial_requires_payment_method": true,
                "user": { "enabled": false, "has_paid_plans": false },
                "organization": { "enabled": false, "has_paid_plans": false },
            },
        },
        "api_keys_settings": { "enabled": false, "user_api_keys_enabled": false, "orgs_api_keys_enabled": false },
        "maintenance_mode": false,
        "client_debug_mode": false,
        "partitioned_cookies": false,
    })
}
