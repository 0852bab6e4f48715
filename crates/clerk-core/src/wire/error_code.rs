//! The machine codes of Frontend API errors (`errors[].code`, `fapi.md` §2.5).

use super::string_enum::wire_string_enum;

wire_string_enum! {
    /// The machine code of an error item: the only part of an error to branch on.
    ///
    /// Codes this version does not know are kept in [`ErrorCode::Other`].
    pub enum ErrorCode {
        /// No user with that identifier (not returned under enumeration protection).
        FormIdentifierNotFound = "form_identifier_not_found",
        /// Wrong password.
        FormPasswordIncorrect = "form_password_incorrect",
        /// The password appears in a breach corpus.
        FormPasswordPwned = "form_password_pwned",
        /// The password is known to be compromised.
        FormPasswordCompromised = "form_password_compromised",
        /// The password is not trusted and must be reset.
        FormPasswordUntrusted = "form_password_untrusted",
        /// The password fails the instance's policy.
        FormPasswordValidationFailed = "form_password_validation_failed",
        /// The password is too short.
        FormPasswordLengthTooShort = "form_password_length_too_short",
        /// The password is too weak (see `meta.zxcvbn`).
        FormPasswordNotStrongEnough = "form_password_not_strong_enough",
        /// The password is too long in bytes.
        FormPasswordSizeInBytesExceeded = "form_password_size_in_bytes_exceeded",
        /// The password matches the identifier.
        FormPasswordMatchesIdentifier = "form_password_matches_identifier",
        /// The new password equals the current one.
        FormNewPasswordMatchesCurrent = "form_new_password_matches_current",
        /// The strategy is not available for this user.
        StrategyForUserInvalid = "strategy_for_user_invalid",
        /// Wrong one-time code.
        FormCodeIncorrect = "form_code_incorrect",
        /// Wrong TOTP code (native SDKs).
        TotpIncorrectCode = "totp_incorrect_code",
        /// The prepared verification expired; prepare again.
        VerificationExpired = "verification_expired",
        /// Rate limited (HTTP 429); see `Retry-After`.
        TooManyRequests = "too_many_requests",
        /// Too many codes requested.
        VerificationCodeTooManyRequests = "verification_code_too_many_requests",
        /// Single-session mode: a session already exists on this client.
        SessionExists = "session_exists",
        /// The identifier already has a session on this client (`meta.session_id`).
        IdentifierAlreadySignedIn = "identifier_already_signed_in",
        /// No user is linked to the external account.
        ExternalAccountNotFound = "external_account_not_found",
        /// The external account belongs to an existing user: transfer to sign-in.
        ExternalAccountExists = "external_account_exists",
        /// A correct code on a `sign_up_if_missing` sign-in for an identifier no user has:
        /// the verification is `transferable`, continue with a sign-up transfer.
        SignUpIfMissingTransfer = "sign_up_if_missing_transfer",
        /// An attempt on a factor that was never prepared (no code was sent).
        VerificationMissing = "verification_missing",
        /// Sign-up is not allowed for this identifier.
        NotAllowedToSignUp = "not_allowed_to_sign_up",
        /// The instance is in restricted sign-up mode.
        SignUpModeRestricted = "sign_up_mode_restricted",
        /// The instance is in waitlist sign-up mode.
        SignUpRestrictedWaitlist = "sign_up_restricted_waitlist",
        /// Access is not allowed (allowlist/blocklist).
        NotAllowedAccess = "not_allowed_access",
        /// The user is locked out after too many failed attempts.
        UserLocked = "user_locked",
        /// The user is banned (HTTP 403).
        UserBanned = "user_banned",
        /// The user is deactivated (HTTP 403).
        UserDeactivated = "user_deactivated",
        /// The OAuth provider denied access.
        OauthAccessDenied = "oauth_access_denied",
        /// The email domain is reserved by a SAML connection.
        OauthEmailDomainReservedBySaml = "oauth_email_domain_reserved_by_saml",
        /// A SAML user attribute is missing.
        SamlUserAttributeMissing = "saml_user_attribute_missing",
        /// An enterprise SSO user attribute is missing.
        EnterpriseSsoUserAttributeMissing = "enterprise_sso_user_attribute_missing",
        /// The email domain does not match the enterprise connection.
        EnterpriseSsoEmailAddressDomainMismatch = "enterprise_sso_email_address_domain_mismatch",
        /// The hosted domain does not match the enterprise connection.
        EnterpriseSsoHostedDomainMismatch = "enterprise_sso_hosted_domain_mismatch",
        /// The email domain does not match the SAML connection.
        SamlEmailAddressDomainMismatch = "saml_email_address_domain_mismatch",
        /// The organization's membership quota is exhausted.
        OrganizationMembershipQuotaExceededForSso = "organization_membership_quota_exceeded_for_sso",
        /// The captcha token is invalid.
        CaptchaInvalid = "captcha_invalid",
        /// Captcha is not enabled.
        CaptchaNotEnabled = "captcha_not_enabled",
        /// The captcha token is missing.
        CaptchaMissingToken = "captcha_missing_token",
        /// Too many consecutive captcha failures.
        CaptchaClientAttemptsExceeded = "captcha_client_attempts_exceeded",
        /// Fraud protection wants a captcha (HTTP 401).
        RequiresCaptcha = "requires_captcha",
        /// Fraud protection blocked the device.
        DeviceBlocked = "device_blocked",
        /// Fraud protection blocked the action.
        ActionBlocked = "action_blocked",
        /// Too many sign-ups.
        SignupRateLimitExceeded = "signup_rate_limit_exceeded",
        /// The Protect challenge was already resolved.
        ProtectCheckAlreadyResolved = "protect_check_already_resolved",
        /// The Protect challenge timed out.
        ProtectCheckTimedOut = "protect_check_timed_out",
        /// The Protect challenge cannot run in this environment.
        ProtectCheckUnsupportedEnvironment = "protect_check_unsupported_environment",
        /// The invitation's target has no account.
        InvitationAccountNotExists = "invitation_account_not_exists",
        /// No or an invalid session or client (HTTP 401).
        AuthenticationInvalid = "authentication_invalid",
        /// Not allowed.
        AuthorizationInvalid = "authorization_invalid",
        /// The id is not found on this client (HTTP 404).
        ResourceNotFound = "resource_not_found",
        /// The sign-up is in a terminal state.
        SignUpCannotBeUpdated = "sign_up_cannot_be_updated",
        /// A newer verification was prepared; attempt again.
        SignUpOutdatedVerification = "sign_up_outdated_verification",
        /// Token creation needs the previous, expired JWT.
        MissingExpiredToken = "missing_expired_token",
        /// The dev-browser token is missing or invalid (HTTP 401).
        DevBrowserUnauthenticated = "dev_browser_unauthenticated",
        /// The request origin is not allowed for these keys.
        OriginInvalid = "origin_invalid",
        /// The Native API is disabled for this instance.
        NativeApiDisabled = "native_api_disabled",
        /// URL-based session syncing is disabled.
        UrlBasedSessionSyncingDisabled = "url_based_session_syncing_disabled",
        /// The session is already signed out.
        SignedOut = "signed_out",
        /// The client was not found.
        ClientNotFound = "client_not_found",
        /// The identifier is already taken.
        FormIdentifierExists = "form_identifier_exists",
        /// A parameter has the wrong format (`meta.param_name`).
        FormParamFormatInvalid = "form_param_format_invalid",
        /// A required parameter is missing (`meta.param_name`).
        FormParamNil = "form_param_nil",
        /// A parameter has an invalid value (`meta.param_name`).
        FormParamValueInvalid = "form_param_value_invalid",
        /// A parameter has the wrong type (`meta.param_name`).
        FormParamTypeInvalid = "form_param_type_invalid",
        /// A parameter is too long (`meta.param_name`).
        FormParamMaxLengthExceeded = "form_param_max_length_exceeded",
        /// The username contains an invalid character.
        FormUsernameInvalidCharacter = "form_username_invalid_character",
        /// The username is too short or too long.
        FormUsernameInvalidLength = "form_username_invalid_length",
        /// The username needs a non-numeric character.
        FormUsernameNeedsNonNumberChar = "form_username_needs_non_number_char",
        /// The email address is blocked.
        FormEmailAddressBlocked = "form_email_address_blocked",
    }
    /// A code this version does not know, kept verbatim.
    fallback Other;
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_listed_code_round_trips() {
        assert!(ErrorCode::KNOWN.len() >= 67);
        for wire in ErrorCode::KNOWN {
            let json = format!("\"{wire}\"");
            let code: ErrorCode = serde_json::from_str(&json).expect("decodes");
            assert!(code.is_known(), "{wire} decoded as {code:?}");
            assert_eq!(code.as_str(), *wire);
            assert_eq!(serde_json::to_string(&code).expect("encodes"), json);
        }
        let mut sorted = ErrorCode::KNOWN.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ErrorCode::KNOWN.len(), "a code is listed twice");
    }

    #[test]
    fn unknown_codes_are_kept() {
        let code: ErrorCode = serde_json::from_str("\"quota_exceeded\"").expect("decodes");
        assert_eq!(code, ErrorCode::Other("quota_exceeded".to_owned()));
        assert_eq!(code.as_str(), "quota_exceeded");
        assert_eq!(ErrorCode::from("user_locked"), ErrorCode::UserLocked);
    }
}
