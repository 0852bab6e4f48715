//! Verification strategies (`fapi.md` §4.4, §4.11).

use super::string_enum::wire_string_enum;

wire_string_enum! {
    /// A verification strategy. The wire types keep strategies as plain strings; this enum is
    /// for code that branches on them. The open families (`oauth_<provider>`,
    /// `oauth_custom_<name>`, `oauth_token_<provider>`, `web3_<provider>_signature`) are kept
    /// in [`Strategy::Other`]; see [`Strategy::is_oauth`] and [`Strategy::is_web3`].
    pub enum Strategy {
        /// Password.
        Password = "password",
        /// Passkey (WebAuthn).
        Passkey = "passkey",
        /// One-time code sent by email.
        EmailCode = "email_code",
        /// Magic link sent by email.
        EmailLink = "email_link",
        /// One-time code sent by SMS or WhatsApp.
        PhoneCode = "phone_code",
        /// Sign-in or invitation ticket.
        Ticket = "ticket",
        /// Authenticator-app code.
        Totp = "totp",
        /// Backup code.
        BackupCode = "backup_code",
        /// Reset-password code sent by email.
        ResetPasswordEmailCode = "reset_password_email_code",
        /// Reset-password code sent by SMS.
        ResetPasswordPhoneCode = "reset_password_phone_code",
        /// Enterprise SSO (SAML or OIDC).
        EnterpriseSso = "enterprise_sso",
        /// Legacy SAML.
        Saml = "saml",
        /// Google One Tap ID token.
        GoogleOneTap = "google_one_tap",
        /// Trusted device (native).
        TrustedDevice = "trusted_device",
    }
    /// Any other strategy, including the OAuth and Web3 families, kept verbatim.
    fallback Other;
}

impl Strategy {
    /// Whether this is an OAuth redirect strategy (`oauth_<provider>` or
    /// `oauth_custom_<name>`, not `oauth_token_<provider>`).
    #[must_use]
    pub fn is_oauth(&self) -> bool {
        let s = self.as_str();
        s.starts_with("oauth_") && !s.starts_with("oauth_token_")
    }

    /// Whether this is a native OAuth ID-token strategy (`oauth_token_<provider>`).
    #[must_use]
    pub fn is_oauth_token(&self) -> bool {
        self.as_str().starts_with("oauth_token_")
    }

    /// Whether this strategy goes through a provider in a browser and back to a redirect
    /// URL: OAuth ([`is_oauth`](Self::is_oauth)), `enterprise_sso` or `saml`.
    #[must_use]
    pub fn is_provider_redirect(&self) -> bool {
        self.is_oauth() || matches!(self, Strategy::EnterpriseSso | Strategy::Saml)
    }

    /// Whether this is a Web3 wallet signature strategy (`web3_<provider>_signature`).
    #[must_use]
    pub fn is_web3(&self) -> bool {
        let s = self.as_str();
        s.starts_with("web3_") && s.ends_with("_signature")
    }
}

#[cfg(test)]
mod tests {
    use super::Strategy;

    #[test]
    fn families_are_recognised() {
        assert_eq!(Strategy::from("email_code"), Strategy::EmailCode);
        let google = Strategy::from("oauth_google");
        assert_eq!(google, Strategy::Other("oauth_google".to_owned()));
        assert!(google.is_oauth());
        assert!(!google.is_oauth_token());
        assert!(Strategy::from("oauth_token_apple").is_oauth_token());
        assert!(!Strategy::from("oauth_token_apple").is_oauth());
        assert!(Strategy::from("web3_metamask_signature").is_web3());
        // What goes on the wire: a known strategy without allocating, any other verbatim.
        assert!(matches!(Strategy::EmailCode.to_wire(), std::borrow::Cow::Borrowed("email_code")));
        assert_eq!(google.to_wire(), "oauth_google");
        assert!(!Strategy::Password.is_web3());
    }
}
