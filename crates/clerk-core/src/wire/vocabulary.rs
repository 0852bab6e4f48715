//! Open-vocabulary words of the wire, decoded without allocating when the word is a common one.
//!
//! Some string fields hold words from a small vocabulary that the server may still extend: the
//! `object` discriminator of every resource, a sign-in's `supported_identifiers`, a sign-up's
//! `required_fields` / `optional_fields` / `missing_fields` / `unverified_fields`. They stay
//! strings (nothing is validated and a new word decodes like a known one), but as
//! [`Word`]s: `Cow<'static, str>`, borrowed from the table below for a word it lists and owned
//! otherwise. A client answer carries a dozen or more of these, so this saves as many
//! allocations per answer; to the reader a `Word` is a `&str` through `Deref`, compares equal
//! to `&str`, and serializes as the string.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, Visitor};

/// A word of an open wire vocabulary: borrowed when it is a common one, owned otherwise.
pub type Word = Cow<'static, str>;

/// Common words: a `match` on them compiles to a comparison of lengths, then of bytes.
macro_rules! common_words {
    ($($word:literal),+ $(,)?) => {
        /// The common words, sorted.
        #[cfg(test)]
        const COMMON: &[&str] = &[$($word),+];

        /// `word` as a `&'static str` when it is a common word.
        fn common(word: &str) -> Option<&'static str> {
            match word {
                $($word => Some($word),)+
                _ => None,
            }
        }
    };
}

common_words!(
    "auth_config",
    "backup_code",
    "client",
    "display_config",
    "email_address",
    "email_code",
    "email_link",
    "enterprise_account",
    "enterprise_sso",
    "environment",
    "external_account",
    "first_name",
    "image",
    "last_name",
    "legal_accepted",
    "oauth_apple",
    "oauth_box",
    "oauth_discord",
    "oauth_facebook",
    "oauth_github",
    "oauth_gitlab",
    "oauth_google",
    "oauth_linkedin_oidc",
    "oauth_microsoft",
    "oauth_notion",
    "oauth_slack",
    "oauth_tiktok",
    "oauth_twitch",
    "oauth_vercel",
    "oauth_x",
    "organization",
    "organization_membership",
    "passkey",
    "password",
    "phone_code",
    "phone_number",
    "saml_account",
    "session",
    "session_reverification",
    "sign_in",
    "sign_in_attempt",
    "sign_up",
    "sign_up_attempt",
    "token",
    "totp",
    "trusted_device_challenge",
    "user",
    "username",
    "verification_admin",
    "verification_backup_code",
    "verification_email_link",
    "verification_from_oauth",
    "verification_google_one_tap",
    "verification_invitation",
    "verification_oauth",
    "verification_otp",
    "verification_passkey",
    "verification_password",
    "verification_saml",
    "verification_scim",
    "verification_ticket",
    "verification_totp",
    "verification_trusted_device",
    "verification_web3",
    "web3_wallet",
);

/// `word` as a [`Word`]: borrowed from the common words when it is one of them.
#[must_use]
pub fn word(word: &str) -> Word {
    common(word).map_or_else(|| Cow::Owned(word.to_owned()), Cow::Borrowed)
}

fn word_from_string(owned: String) -> Word {
    common(&owned).map_or(Cow::Owned(owned), Cow::Borrowed)
}

struct WordVisitor;

impl Visitor<'_> for WordVisitor {
    type Value = Word;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Word, E> {
        Ok(word(value))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Word, E> {
        Ok(word_from_string(value))
    }
}

/// Deserializes one word: a string (`Some`) or `null` (`None`). Use with
/// `#[serde(default, deserialize_with = "…")]`.
pub(crate) fn optional_word<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Word>, D::Error> {
    struct OptionalWord;

    impl<'de> Visitor<'de> for OptionalWord {
        type Value = Option<Word>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("a string or null")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_str(WordVisitor).map(Some)
        }
    }

    deserializer.deserialize_option(OptionalWord)
}

/// Deserializes a list of words; `null` is the empty list. Use with
/// `#[serde(default, deserialize_with = "…")]`.
pub(crate) fn words<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Word>, D::Error> {
    super::lenient::list_of(deserializer, WordSeed)
}

#[derive(Clone, Copy)]
struct WordSeed;

impl<'de> serde::de::DeserializeSeed<'de> for WordSeed {
    type Value = Word;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Word, D::Error> {
        deserializer.deserialize_str(WordVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use std::borrow::Cow;

    use serde::{Deserialize, Serialize};

    use super::{COMMON, Word};

    #[derive(Debug, Deserialize, Serialize)]
    struct Holder {
        #[serde(default, deserialize_with = "super::optional_word")]
        object: Option<Word>,
        #[serde(default, deserialize_with = "super::words")]
        fields: Vec<Word>,
    }

    #[test]
    fn the_table_is_sorted_without_duplicates() {
        assert!(COMMON.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn common_words_are_borrowed_and_others_kept_verbatim() {
        let holder: Holder =
            serde_json::from_str(r#"{"object":"client","fields":["email_address","oauth_new_one","x\"y"]}"#)
                .expect("decodes");
        assert!(matches!(holder.object, Some(Cow::Borrowed("client"))));
        assert!(matches!(holder.fields[0], Cow::Borrowed("email_address")));
        assert_eq!(holder.fields[1], "oauth_new_one");
        assert_eq!(holder.fields[2], "x\"y");
        // An escaped spelling of a common word is still that word.
        let escaped: Holder = serde_json::from_str(r#"{"object":"cli\u0065nt"}"#).expect("decodes");
        assert!(matches!(escaped.object, Some(Cow::Borrowed("client"))));
        assert_eq!(
            serde_json::to_string(&holder).expect("encodes"),
            r#"{"object":"client","fields":["email_address","oauth_new_one","x\"y"]}"#
        );
    }

    #[test]
    fn null_and_absent_are_empty_and_wrong_types_are_errors() {
        let null: Holder = serde_json::from_str(r#"{"object":null,"fields":null}"#).expect("decodes");
        assert!(null.object.is_none() && null.fields.is_empty());
        let absent: Holder = serde_json::from_str("{}").expect("decodes");
        assert!(absent.object.is_none() && absent.fields.is_empty());
        assert!(serde_json::from_str::<Holder>(r#"{"object":1}"#).is_err());
        assert!(serde_json::from_str::<Holder>(r#"{"fields":"email_address"}"#).is_err());
        assert!(serde_json::from_str::<Holder>(r#"{"fields":[null]}"#).is_err());
    }
}
