//! Session tokens (`TokenJSON`, `fapi.md` §4.7, §3.5.4).

use std::fmt;

use super::text::Text;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::SessionJwt;

/// A session JWT as the server sends it: the unwrapped body of `…/tokens[/{template}]` and a
/// session's `last_active_token`.
///
/// The JWT is a [`SessionJwt`]: `Debug` never shows it, and serializing a `TokenResource`
/// writes a redacted placeholder (session JWTs are never persisted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct TokenResource {
    /// `"token"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The token id, when the server sends one.
    #[serde(default)]
    pub id: Option<Text>,
    /// The JWT itself.
    pub jwt: SessionJwt,
}

super::map_only::map_only!(TokenResource);

/// Decodes a token riding along in a client (a session's `last_active_token`) leniently:
/// design §7.10 has a malformed token dropped, never failing the update it came with. So
/// `null`, a value that is not an object and an object without a string `jwt` are all no
/// token (`None`); an `id` or `object` of the wrong type is left out of a token whose `jwt`
/// is a string. (A token the server sends as an answer of its own stays strict: see
/// [`TokenResource`].) Use with `#[serde(default, deserialize_with = "…")]`.
pub(crate) fn riding_token<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<TokenResource>, D::Error> {
    deserializer.deserialize_any(RidingToken)
}

/// The visitor of [`riding_token`]: anything but an object with a string `jwt` is `None`.
struct RidingToken;

impl<'de> Visitor<'de> for RidingToken {
    type Value = Option<TokenResource>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a session token or anything else (dropped)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut object, mut id, mut jwt) = (None, None, None);
        while let Some(key) = map.next_key::<TokenField>()? {
            match key {
                TokenField::Object => object = map.next_value::<Loose<Text>>()?.0,
                TokenField::Id => id = map.next_value::<Loose<Text>>()?.0,
                TokenField::Jwt => jwt = map.next_value::<Loose<String>>()?.0,
                TokenField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(jwt.map(|jwt| TokenResource {
            object: object.map(|object| super::vocabulary::word(&object)),
            id,
            jwt: SessionJwt::new(jwt),
        }))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The fields of a token [`riding_token`] reads.
enum TokenField {
    Object,
    Id,
    Jwt,
    Other,
}

impl<'de> Deserialize<'de> for TokenField {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = TokenField;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<TokenField, E> {
                Ok(match name {
                    "object" => TokenField::Object,
                    "id" => TokenField::Id,
                    "jwt" => TokenField::Jwt,
                    _ => TokenField::Other,
                })
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A value kept when it is a string and dropped, as `None`, when it is anything else.
struct Loose<T>(Option<T>);

/// What a [`Loose`] value keeps of a string.
trait FromLooseStr {
    /// From a slice of the body being decoded.
    fn from_body(text: &str) -> Self;
    /// From a string that is not part of the body (one that had escapes).
    fn from_transient(text: &str) -> Self;
}

impl FromLooseStr for Text {
    fn from_body(text: &str) -> Self {
        super::text::shared_or_owned(text)
    }

    fn from_transient(text: &str) -> Self {
        Text::new(text)
    }
}

impl FromLooseStr for String {
    fn from_body(text: &str) -> Self {
        text.to_owned()
    }

    fn from_transient(text: &str) -> Self {
        text.to_owned()
    }
}

impl<'de, T: FromLooseStr> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: FromLooseStr> Visitor<'de> for LooseVisitor<T> {
            type Value = Loose<T>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("any value (kept only when a string)")
            }

            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Loose<T>, E> {
                Ok(Loose(Some(T::from_body(text))))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Loose<T>, E> {
                Ok(Loose(Some(T::from_transient(text))))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<T>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<T>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }

            fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Loose<T>, D::Error> {
                deserializer.deserialize_any(self)
            }

            fn visit_none<E: de::Error>(self) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Loose<T>, E> {
                Ok(Loose(None))
            }
        }

        deserializer.deserialize_any(LooseVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::TokenResource;

    #[test]
    fn jwt_is_required_and_never_shown() {
        let token: TokenResource = serde_json::from_str(r#"{"object":"token","jwt":"aaa.bbb.ccc"}"#).expect("decodes");
        assert_eq!(token.jwt.expose(), "aaa.bbb.ccc");
        assert!(!format!("{token:?}").contains("aaa.bbb.ccc"));
        assert!(!serde_json::to_string(&token).expect("encodes").contains("aaa.bbb.ccc"));
        let bare: TokenResource = serde_json::from_str(r#"{"jwt":"x.y.z"}"#).expect("decodes");
        assert_eq!(bare.object, None);
        assert!(serde_json::from_str::<TokenResource>(r#"{"object":"token"}"#).is_err());
        assert!(serde_json::from_str::<TokenResource>(r#"{"jwt":null}"#).is_err());
    }
}
