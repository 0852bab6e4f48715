//! Decoding helpers for the leniency the wire needs.

use serde::{Deserialize, Deserializer};

/// Decodes `null` as the type's default (an empty list, `false`, an empty map), for fields the
/// server sends as `null` or omits where a value of the type means the same thing. Use with
/// `#[serde(default, deserialize_with = "…")]` so an absent field is the default as well.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}
