//! Publishable keys: `pk_test_`/`pk_live_` + base64 of `<frontend-api-host>$`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Standard base64 (`A–Z a–z 0–9 + /`) that accepts the payload with or without `=`
/// padding and ignores non-zero trailing bits, as browsers' `atob` does.
const PAYLOAD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Which kind of Clerk instance a publishable key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstanceType {
    /// A development instance (`pk_test_` key).
    Development,
    /// A production instance (`pk_live_` key).
    Production,
}

/// Why a string is not a publishable key. The checks run in the order of the variants, and
/// the first that fails is reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishableKeyError {
    /// The key starts with neither `pk_test_` nor `pk_live_`.
    #[error("publishable key must start with `pk_test_` or `pk_live_`")]
    WrongPrefix,
    /// Split on `_`, the key does not have exactly three parts (the payload is plain
    /// base64, which never contains `_`).
    #[error("publishable key must have exactly three `_`-separated parts, found {parts}")]
    WrongPartCount {
        /// How many parts the key has.
        parts: usize,
    },
    /// Nothing follows `pk_test_`/`pk_live_`.
    #[error("publishable key has an empty payload")]
    EmptyPayload,
    /// The payload is not standard base64 (padded or unpadded).
    #[error("publishable key payload is not base64")]
    NotBase64,
    /// The decoded payload is not UTF-8 text.
    #[error("publishable key payload does not decode to UTF-8 text")]
    NotUtf8,
    /// The decoded payload contains no `$` at all.
    #[error("publishable key payload does not end with `$`")]
    MissingDollar,
    /// The decoded payload has text after its first `$`, and does not end with `$`
    /// (for example `host$extra`).
    #[error("publishable key payload has text after `$`")]
    TextAfterDollar,
    /// The decoded payload ends with `$` but contains another `$` (for example `host$$`).
    #[error("publishable key payload contains more than one `$`")]
    MultipleDollars,
    /// The host (the decoded payload before `$`) contains no `.`.
    #[error("publishable key host contains no `.`")]
    NoDotInHost,
    /// The host contains a character no host can contain. Our addition: clerk-js does not
    /// check this.
    #[error("publishable key host contains the character {character:?}")]
    InvalidHostCharacter {
        /// The first offending character.
        character: char,
    },
}

/// Whether `character` cannot appear in a host (with an optional `:port`): a URL delimiter
/// (`/`, `?`, `#`, `@`, `\`), whitespace or a control character.
pub(crate) fn is_forbidden_host_char(character: char) -> bool {
    matches!(character, '/' | '?' | '#' | '@' | '\\') || character.is_whitespace() || character.is_control()
}

/// A parsed publishable key: which instance it is for and that instance's Frontend API
/// host.
///
/// Parsing follows clerk-js's `parsePublishableKey` (see [`parse`](Self::parse)); keys are
/// public, so `Debug` and `Display` show them in full.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishableKey {
    /// The key as given.
    key: String,
    /// Development for `pk_test_`, production for `pk_live_`.
    instance_type: InstanceType,
    /// The decoded payload without its trailing `$`.
    frontend_api_host: String,
}

impl PublishableKey {
    /// Parses a publishable key.
    ///
    /// Accepted: `pk_test_` or `pk_live_`, then a non-empty standard-base64 payload
    /// (padding optional) with no `_`, decoding to UTF-8 text `<host>$` where the host
    /// contains a `.` and no other `$`.
    ///
    /// Our addition to clerk-js's rules: the host must not contain `/`, `?`, `#`, `@`, `\`,
    /// whitespace or control characters, since it is put into URLs as an authority
    /// ([`PublishableKeyError::InvalidHostCharacter`]).
    ///
    /// ```
    /// use clerk_core::config::{InstanceType, PublishableKey};
    /// let key = PublishableKey::parse("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk").unwrap();
    /// assert_eq!(key.instance_type(), InstanceType::Development);
    /// assert_eq!(key.frontend_api_host(), "foo-bar-13.clerk.accounts.dev");
    /// ```
    pub fn parse(key: &str) -> Result<Self, PublishableKeyError> {
        let instance_type = if key.starts_with("pk_test_") {
            InstanceType::Development
        } else if key.starts_with("pk_live_") {
            InstanceType::Production
        } else {
            return Err(PublishableKeyError::WrongPrefix);
        };
        let parts: Vec<&str> = key.split('_').collect();
        let payload = match parts.as_slice() {
            [_, _, payload] => *payload,
            _ => {
                return Err(PublishableKeyError::WrongPartCount { parts: parts.len() });
            }
        };
        if payload.is_empty() {
            return Err(PublishableKeyError::EmptyPayload);
        }
        let bytes = PAYLOAD_BASE64.decode(payload).map_err(|_| PublishableKeyError::NotBase64)?;
        let text = String::from_utf8(bytes).map_err(|_| PublishableKeyError::NotUtf8)?;
        let host = match text.strip_suffix('$') {
            Some(host) => host,
            None if text.contains('$') => return Err(PublishableKeyError::TextAfterDollar),
            None => return Err(PublishableKeyError::MissingDollar),
        };
        if host.contains('$') {
            return Err(PublishableKeyError::MultipleDollars);
        }
        if !host.contains('.') {
            return Err(PublishableKeyError::NoDotInHost);
        }
        if let Some(character) = host.chars().find(|&c| is_forbidden_host_char(c)) {
            return Err(PublishableKeyError::InvalidHostCharacter { character });
        }
        Ok(Self { key: key.to_owned(), instance_type, frontend_api_host: host.to_owned() })
    }

    /// Development for a `pk_test_` key, production for a `pk_live_` key.
    #[must_use]
    pub fn instance_type(&self) -> InstanceType {
        self.instance_type
    }

    /// The instance's Frontend API host (for example `foo-bar-13.clerk.accounts.dev`), as
    /// encoded in the key; it may carry a `:port`.
    #[must_use]
    pub fn frontend_api_host(&self) -> &str {
        &self.frontend_api_host
    }

    /// The key as given to [`parse`](Self::parse).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

impl FromStr for PublishableKey {
    type Err = PublishableKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

    fn key_for(prefix: &str, text: &[u8]) -> String {
        format!("{prefix}{}", STANDARD_NO_PAD.encode(text))
    }

    // fapi.md §1.1, the three valid vectors.
    #[test]
    fn valid_vectors() {
        for (key, instance_type, host) in [
            (
                "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk",
                InstanceType::Development,
                "foo-bar-13.clerk.accounts.dev",
            ),
            (
                "pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ",
                InstanceType::Production,
                "fake-clerk-test.clerk.accounts.dev",
            ),
            (
                "pk_test_Y2xlcmsuYm9yaW5nLnNhd2ZseS05MS5sY2wuZGV2JA",
                InstanceType::Development,
                "clerk.boring.sawfly-91.lcl.dev",
            ),
        ] {
            let parsed = PublishableKey::parse(key).unwrap();
            assert_eq!(parsed.instance_type(), instance_type, "{key}");
            assert_eq!(parsed.frontend_api_host(), host, "{key}");
            assert_eq!(parsed.as_str(), key);
            assert_eq!(parsed.to_string(), key);
            assert_eq!(key.parse::<PublishableKey>().unwrap(), parsed);
        }
    }

    // fapi.md §1.1, the three invalid vectors.
    #[test]
    fn invalid_vectors() {
        assert_eq!(
            PublishableKey::parse("pk_live_ZmFrZS1jbGVyay1tYWxmb3JtZWQuY2xlcmsuYWNjb3VudHMuZGV2JGV4dHJh"),
            Err(PublishableKeyError::TextAfterDollar)
        );
        assert_eq!(
            PublishableKey::parse("pk_live_ZmFrZS1jbGVyay1tdWx0aXBsZS5jbGVyay5hY2NvdW50cy5kZXYkJA=="),
            Err(PublishableKeyError::MultipleDollars)
        );
        assert_eq!(PublishableKey::parse("pk_live_aW52YWxpZGtleSQ="), Err(PublishableKeyError::NoDotInHost));
    }

    #[test]
    fn padded_and_unpadded_payloads_are_equal() {
        // `aW52YWxpZGtleSQ=` style: one `=` of padding; and two.
        for host in ["a.b", "ab.cd", "abc.de", "clerk.example.com"] {
            let text = format!("{host}$");
            let padded = format!("pk_live_{}", STANDARD.encode(&text));
            let unpadded = format!("pk_live_{}", STANDARD_NO_PAD.encode(&text));
            let a = PublishableKey::parse(&padded).unwrap();
            let b = PublishableKey::parse(&unpadded).unwrap();
            assert_eq!(a.frontend_api_host(), host);
            assert_eq!(b.frontend_api_host(), host);
        }
        // The first valid vector, with its (absent) padding restored.
        let padded = PublishableKey::parse("pk_test_Y2xlcmsuYm9yaW5nLnNhd2ZseS05MS5sY2wuZGV2JA==");
        assert_eq!(padded.unwrap().frontend_api_host(), "clerk.boring.sawfly-91.lcl.dev");
    }

    #[test]
    fn every_error_variant() {
        use PublishableKeyError as E;
        let cases: Vec<(String, E)> = vec![
            ("".into(), E::WrongPrefix),
            ("sk_test_abc".into(), E::WrongPrefix),
            ("test_Zm9vLmJhciQ".into(), E::WrongPrefix),
            ("pk_prod_Zm9vLmJhciQ".into(), E::WrongPrefix),
            ("PK_TEST_Zm9vLmJhciQ".into(), E::WrongPrefix),
            ("pk_test".into(), E::WrongPrefix),
            ("pk_test_a_b".into(), E::WrongPartCount { parts: 4 }),
            ("pk_test_Zm9vLmJhciQ_".into(), E::WrongPartCount { parts: 4 }),
            ("pk_test_".into(), E::EmptyPayload),
            ("pk_test_!!!!".into(), E::NotBase64),
            ("pk_test_Zm9v-mJhciQ".into(), E::NotBase64),
            ("pk_test_Zm9vL".into(), E::NotBase64),
            ("pk_test_Zm9v LmJhciQ".into(), E::NotBase64),
            (key_for("pk_test_", b"\xff\xfe.b$"), E::NotUtf8),
            (key_for("pk_test_", b"foo.bar"), E::MissingDollar),
            (key_for("pk_test_", b"foo.bar$x"), E::TextAfterDollar),
            (key_for("pk_test_", b"a$b.c$"), E::MultipleDollars),
            (key_for("pk_test_", b"$"), E::NoDotInHost),
            (key_for("pk_test_", b"localhost$"), E::NoDotInHost),
            (key_for("pk_test_", b"evil.com/x$"), E::InvalidHostCharacter { character: '/' }),
            (key_for("pk_test_", b"user@evil.com$"), E::InvalidHostCharacter { character: '@' }),
            (key_for("pk_test_", b"a.b?x$"), E::InvalidHostCharacter { character: '?' }),
            (key_for("pk_test_", b"a.b#x$"), E::InvalidHostCharacter { character: '#' }),
            (key_for("pk_test_", b"a.b\\x$"), E::InvalidHostCharacter { character: '\\' }),
            (key_for("pk_test_", b"a .b$"), E::InvalidHostCharacter { character: ' ' }),
            (key_for("pk_test_", b"a.b\n$"), E::InvalidHostCharacter { character: '\n' }),
            (key_for("pk_test_", b"a.b\x00$"), E::InvalidHostCharacter { character: '\0' }),
        ];
        for (key, error) in cases {
            assert_eq!(PublishableKey::parse(&key), Err(error), "{key:?}");
        }
    }

    #[test]
    fn host_with_port_is_kept() {
        let key = key_for("pk_test_", b"clerk.example.test:8443$");
        assert_eq!(PublishableKey::parse(&key).unwrap().frontend_api_host(), "clerk.example.test:8443");
    }
}
