//! Objects only: the wire structs refuse a JSON array where an object belongs.
//!
//! serde's derived `Deserialize` for a struct also accepts a *sequence* of its fields, so
//! `"response": []` would decode as a client with every field defaulted — an empty,
//! session-less client, which applied to the engine would sign the user out. Every wire
//! struct therefore derives with `#[serde(remote = "Self")]` (which makes the derived code
//! inherent functions) and gets its trait impls from [`map_only!`]: `Deserialize` through
//! `deserialize_map` only, `Serialize` unchanged.

/// Implements `Deserialize` (objects only) and `Serialize` for structs that derive both
/// with `#[serde(remote = "Self")]`.
macro_rules! map_only {
    ($($ty:ident),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        formatter.write_str(concat!("a JSON object (", stringify!($ty), ")"))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        $ty::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $ty::serialize(self, serializer)
            }
        }
    )*};
}

pub(crate) use map_only;
