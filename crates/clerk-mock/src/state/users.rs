//! Users the mock knows, and how tests describe them ([`UserSpec`]).

use std::fmt;

use serde_json::Value;

/// What `Debug` shows instead of a password, a TOTP secret or code, or a backup code.
const REDACTED: &str = "[redacted]";

/// Shows [`REDACTED`] in `Debug` output, in place of a secret.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A user to seed into the mock with [`crate::MockServer::add_user`].
///
/// Build one with [`UserSpec::with_email`] (or `Default`, for a user known by phone or
/// username only) and the builder methods [`password`](Self::password),
/// [`phone`](Self::phone), [`username`](Self::username), [`name`](Self::name) and the
/// `mfa_*` ones. Multi-factor authentication is on when the user has a TOTP setting, backup
/// codes or `phone_second_factor`; a password sign-in then needs a second factor.
///
/// `Debug` shows whether the user has a password, a TOTP setting and how many backup codes,
/// never their values, so a spec can be logged without its credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UserSpec {
    /// Primary email address.
    pub email: Option<String>,
    /// Primary phone number (E.164, e.g. `+15555550100`).
    pub phone: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Password (`None`: the user has no password; password sign-in fails).
    pub password: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Authenticator app (TOTP) second factor.
    pub totp: Option<Totp>,
    /// Backup codes, each usable once as a second factor.
    pub backup_codes: Vec<String>,
    /// The phone number is also a second factor (SMS code).
    pub phone_second_factor: bool,
}

impl UserSpec {
    /// A user with this email address.
    #[must_use]
    pub fn with_email(email: &str) -> Self {
        Self { email: Some(email.to_owned()), ..Self::default() }
    }

    /// Sets the password.
    #[must_use]
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Sets the phone number.
    #[must_use]
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.to_owned());
        self
    }

    /// Sets the username.
    #[must_use]
    pub fn username(mut self, username: &str) -> Self {
        self.username = Some(username.to_owned());
        self
    }

    /// Sets first and last name.
    #[must_use]
    pub fn name(mut self, first: &str, last: &str) -> Self {
        self.first_name = Some(first.to_owned());
        self.last_name = Some(last.to_owned());
        self
    }

    /// Turns on the TOTP second factor.
    #[must_use]
    pub fn mfa_totp(mut self, totp: Totp) -> Self {
        self.totp = Some(totp);
        self
    }

    /// Adds backup codes (a second factor).
    #[must_use]
    pub fn mfa_backup_codes(mut self, codes: &[&str]) -> Self {
        self.backup_codes = codes.iter().map(|c| (*c).to_owned()).collect();
        self
    }

    /// Makes the phone number a second factor.
    #[must_use]
    pub fn mfa_phone(mut self) -> Self {
        self.phone_second_factor = true;
        self
    }
}

impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { email, phone, username, password, first_name, last_name, totp, backup_codes, phone_second_factor } =
            self;
        f.debug_struct("UserSpec")
            .field("email", email)
            .field("phone", phone)
            .field("username", username)
            .field("password", &password.as_ref().map(|_| Redacted))
            .field("first_name", first_name)
            .field("last_name", last_name)
            .field("totp", totp)
            .field("backup_codes", &backup_codes.iter().map(|_| Redacted).collect::<Vec<_>>())
            .field("phone_second_factor", phone_second_factor)
            .finish()
    }
}

/// How the mock checks a TOTP code.
///
/// `Debug` shows which kind it is, never the secret or the code.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Totp {
    /// RFC 6238 with this base32 secret (SHA-1, 6 digits, 30 s steps, ±1 step of drift).
    Secret(String),
    /// Exactly this code, always.
    FixedCode(String),
}

impl Totp {
    /// The code an authenticator app shows at `unix_secs` (`None` for a secret that is not
    /// base32).
    pub(crate) fn code_at(&self, unix_secs: i64) -> Option<String> {
        match self {
            Totp::Secret(secret) => crate::totp::code_at(secret, unix_secs),
            Totp::FixedCode(code) => Some(code.clone()),
        }
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Totp::Secret(_) => f.debug_tuple("Secret").field(&Redacted).finish(),
            Totp::FixedCode(_) => f.debug_tuple("FixedCode").field(&Redacted).finish(),
        }
    }
}

/// An email address or phone number of a user, with its identification id (`idn_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identification {
    pub(crate) id: String,
    pub(crate) value: String,
}

/// A user in the mock's store.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) email: Option<Identification>,
    pub(crate) phone: Option<Identification>,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) totp: Option<Totp>,
    pub(crate) backup_codes: Vec<String>,
    pub(crate) phone_second_factor: bool,
    pub(crate) unsafe_metadata: Value,
    pub(crate) legal_accepted_at: Option<i64>,
    pub(crate) last_sign_in_at: Option<i64>,
    /// Failed sign-in verifications of static credentials (password, TOTP, backup code)
    /// since the last success or lockout.
    pub(crate) failed_attempts: u32,
    /// Locked out of signing in until then (ms epoch).
    pub(crate) locked_until: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl User {
    /// Whether the user has any second factor (MFA on).
    pub(crate) fn has_second_factor(&self) -> bool {
        self.totp.is_some() || !self.backup_codes.is_empty() || (self.phone_second_factor && self.phone.is_some())
    }

    /// Whether `identifier` (email, phone or username, as typed) names this user.
    pub(crate) fn is_identified_by(&self, identifier: &str) -> bool {
        let email = self.email.as_ref().is_some_and(|e| e.value.eq_ignore_ascii_case(identifier.trim()));
        let phone = self.phone.as_ref().is_some_and(|p| normalize_phone(&p.value) == normalize_phone(identifier));
        let username = self.username.as_ref().is_some_and(|u| u.eq_ignore_ascii_case(identifier.trim()));
        email || phone || username
    }

    /// The user's main identifier (email, else phone, else username).
    pub(crate) fn main_identifier(&self) -> Option<String> {
        self.email
            .as_ref()
            .map(|e| e.value.clone())
            .or_else(|| self.phone.as_ref().map(|p| p.value.clone()))
            .or_else(|| self.username.clone())
    }

    /// The email or phone identification with this id.
    pub(crate) fn identification(&self, id: &str) -> Option<&Identification> {
        self.email.iter().chain(self.phone.iter()).find(|i| i.id == id)
    }
}

/// A phone number reduced to `+` and digits.
pub(crate) fn normalize_phone(phone: &str) -> String {
    phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// Clerk's test-mode identifiers, which accept the code `424242` and get no real message:
/// emails with `+clerk_test` in the local part, and phones `+1 555 555 01xx`.
pub(crate) fn is_test_identifier(identifier: &str) -> bool {
    if let Some((local, _domain)) = identifier.split_once('@') {
        return local.contains("+clerk_test");
    }
    let phone = normalize_phone(identifier);
    phone.len() == 12 && phone.starts_with("+155555501")
}

/// The code Clerk's test mode accepts for test identifiers.
pub(crate) const TEST_CODE: &str = "424242";

/// An organization a user belongs to ([`crate::MockServer::add_organization`]).
#[derive(Debug, Clone)]
pub(crate) struct Organization {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) user_id: String,
    pub(crate) membership_id: String,
    pub(crate) role: String,
    pub(crate) created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_identifiers_follow_clerk_test_mode() {
        assert!(is_test_identifier("ada+clerk_test@example.com"));
        assert!(!is_test_identifier("ada@example.com"));
        assert!(is_test_identifier("+15555550100"));
        assert!(is_test_identifier("+1 555 555 0199"));
        assert!(!is_test_identifier("+15555550200"));
        assert!(!is_test_identifier("+447700900123"));
    }

    /// A spec is printed in test logs and panic messages: its credentials must not be.
    #[test]
    fn debug_output_shows_no_password_totp_secret_or_backup_code() {
        let canaries = ["canary-password-5f3a", "CANARYTOTPSECRETQ", "canary-backup-1", "canary-backup-2"];
        let spec = UserSpec::with_email("ada@example.com")
            .password(canaries[0])
            .username("ada")
            .mfa_totp(Totp::Secret(canaries[1].to_owned()))
            .mfa_backup_codes(&[canaries[2], canaries[3]]);
        let fixed = UserSpec::with_email("bob@example.com").mfa_totp(Totp::FixedCode("987654".to_owned()));
        for shown in [format!("{spec:?}"), format!("{spec:#?}"), format!("{fixed:?}")] {
            for canary in canaries.iter().chain(&["987654"]) {
                assert!(!shown.contains(canary), "{canary} in {shown}");
            }
        }
        // What is not secret still shows, and so does which credentials the user has.
        let shown = format!("{spec:?}");
        assert!(shown.contains("ada@example.com") && shown.contains(r#"Some("ada")"#), "{shown}");
        assert!(shown.contains("password: Some([redacted])"), "{shown}");
        assert!(shown.contains("totp: Some(Secret([redacted]))"), "{shown}");
        assert!(shown.contains("backup_codes: [[redacted], [redacted]]"), "{shown}");
        assert!(format!("{fixed:?}").contains("totp: Some(FixedCode([redacted]))"));
        assert!(format!("{:?}", UserSpec::default()).contains("password: None"));
    }
}
