//! Arbitrary JSON kept as its text.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON value kept verbatim, for parts of the wire the engine passes through without
/// interpreting them (`public_metadata`, `unsafe_metadata`, `actor`, unknown error meta).
///
/// Decoding copies the text once and parses nothing inside it, which keeps large metadata
/// cheap. Two values are equal when their texts are equal (so `{"a":1}` and `{ "a": 1 }` are
/// not).
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Checks that `json` is one JSON value and keeps it.
    ///
    /// # Errors
    ///
    /// When `json` is not valid JSON.
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(json).map(Self)
    }

    /// The JSON text.
    #[must_use]
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// Whether the value is the JSON literal `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.get() == "null"
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::RawJson;

    #[test]
    fn round_trips_the_exact_text() {
        let json = r#"{"plan":"pro","seats":[1,2,{"x":null}]}"#;
        let raw: RawJson = serde_json::from_str(json).expect("decodes");
        assert_eq!(raw.get(), json);
        assert_eq!(serde_json::to_string(&raw).expect("encodes"), json);
        let copy = raw.clone();
        assert_eq!(copy, raw);
        assert_ne!(RawJson::from_string("{}".to_owned()).expect("valid"), raw);
    }

    #[test]
    fn keeps_nested_raw_values_inside_structs() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct Holder {
            meta: Option<RawJson>,
        }
        let json = r#"{"meta":{"a":[true]}}"#;
        let holder: Holder = serde_json::from_str(json).expect("decodes");
        assert_eq!(holder.meta.as_ref().map(RawJson::get), Some(r#"{"a":[true]}"#));
        assert_eq!(serde_json::to_string(&holder).expect("encodes"), json);
        let null: Holder = serde_json::from_str(r#"{"meta":null}"#).expect("decodes");
        assert!(null.meta.is_none());
    }

    #[test]
    fn rejects_invalid_json() {
        assert!(RawJson::from_string("{".to_owned()).is_err());
    }
}
