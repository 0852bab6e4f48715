//! Secret values, marked by type.
//!
//! Every value that would let someone act as the user (a client token, a session JWT, a
//! password, a one-time code, a sign-in ticket, a signature, a nonce) is held in one of the
//! newtypes here. Their `Debug`, `Display` and `Serialize` output is a fixed placeholder, so
//! a secret never reaches a log line, an error message, a transcript or a panic message
//! unless code asks for it by name with [`expose`](ClientToken::expose).
//!
//! A secret leaves in clear only where it must leave the process, on purpose:
//!
//! - **to the server**: an [`HttpRequest`](crate::HttpRequest)'s wire forms (`url`,
//!   `path_and_query`, `query_string`, `body`, `to_http`) carry the values themselves, while
//!   its `Debug`, its `Serialize` and `redacted_body` show the placeholder;
//! - **to the token store**: [`PersistedState`](crate::PersistedState), what
//!   [`Client::export`](crate::Client::export) gives, is the one type whose `Serialize`
//!   writes the secrets it holds (the client token and the dev-browser token) in clear, with
//!   any serializer: [`to_json`](crate::PersistedState::to_json), `serde_json::to_string`,
//!   any other format. A restarted program needs the tokens themselves to act as the same
//!   client. Its `Debug` still redacts them; treat its serialized bytes as the credential
//!   they hold (store them where only this user can read them, never log them).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The text every secret shows instead of its value.
pub const REDACTED: &str = "[redacted]";

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Call this only where the value must leave the
            /// process (a request, the token store).
            #[must_use]
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Whether the value is the empty string.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl Persisted for $name {
            fn persisted(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), REDACTED)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(REDACTED)
            }
        }

        /// Mostly a curated value (a canary, `424242`, empty, a JWT-shaped string), now
        /// and then an arbitrary short string.
        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                crate::fuzz_vocabulary::secret(u).map(Self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self)
            }
        }
    };
}

secret_type!(
    /// The client token of a native client: the value of the `Authorization` header that
    /// identifies the Client to the Frontend API. Opaque; sent back verbatim.
    ClientToken
);
secret_type!(
    /// The dev-browser token of a browser on a development instance (fapi.md §1.8.3): the
    /// `id` of `POST /v1/dev_browser`, sent as the `__clerk_db_jwt` query parameter on every
    /// request, in place of the cookies a development instance does not rely on.
    DevBrowserToken
);
secret_type!(
    /// A session JWT (or a JWT-template token) minted by the Frontend API.
    SessionJwt
);
secret_type!(
    /// A password typed by the user.
    Password
);
secret_type!(
    /// A one-time code (email, SMS, TOTP or backup code).
    VerificationCode
);
secret_type!(
    /// A sign-in or sign-up ticket (invitation, sign-in token, impersonation).
    Ticket
);
secret_type!(
    /// Any other credential: an ID token, an OAuth authorization code, a wallet signature,
    /// a passkey assertion, a rotating-token nonce, a Protect proof.
    Credential
);

/// A secret whose real value may be written to the token store (crate-private, so that no
/// caller outside the crate gets a second way to the value besides `expose`).
pub(crate) trait Persisted {
    /// The real value.
    fn persisted(&self) -> &str;
}

/// Serializes a secret with its real value, for the places that must persist it
/// (`Client::export`: the client token, the dev-browser token). Use as
/// `#[serde(serialize_with = "crate::secret::expose_persisted")]`.
pub(crate) fn expose_persisted<S: Serializer, T: Persisted>(
    secret: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_some(secret.persisted()),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown<T: fmt::Debug + fmt::Display + Serialize>(value: &T) -> [String; 3] {
        [format!("{value:?}"), value.to_string(), serde_json::to_string(value).unwrap_or_default()]
    }

    #[test]
    fn debug_display_and_serialize_never_show_the_value() {
        let canary = "canary-7f3a-secret";
        let outputs = [
            shown(&ClientToken::new(canary)),
            shown(&DevBrowserToken::new(canary)),
            shown(&SessionJwt::new(canary)),
            shown(&Password::new(canary)),
            shown(&VerificationCode::new(canary)),
            shown(&Ticket::new(canary)),
            shown(&Credential::new(canary)),
        ];
        for out in outputs.iter().flatten() {
            assert!(!out.contains(canary), "{out}");
            assert!(out.contains(REDACTED), "{out}");
        }
        assert_eq!(ClientToken::new(canary).expose(), canary);
    }

    #[test]
    fn deserializes_the_real_value() {
        let jwt: SessionJwt = serde_json::from_str("\"a.b.c\"").unwrap_or_else(|_| SessionJwt::new(""));
        assert_eq!(jwt.expose(), "a.b.c");
    }
}
