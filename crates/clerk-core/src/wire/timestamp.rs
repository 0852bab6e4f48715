//! Millisecond timestamps.
//!
//! Every timestamp of the Frontend API (`created_at`, `expire_at`, `abandon_at`, …) is an
//! integer number of milliseconds since the Unix epoch (`fapi.md` §6.1). The wire types hold
//! them as `Option<time::OffsetDateTime>` (UTC) through the serde helpers here:
//!
//! ```ignore
//! #[serde(default, with = "crate::wire::timestamp")]
//! pub created_at: Option<OffsetDateTime>,
//! ```
//!
//! `null` and an absent field are `None`; a missing value is never replaced by "now". Anything
//! but an integer (a string, a float, a boolean) is a decode error, and so is an integer
//! outside the range `time` can represent; nothing here panics.

use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
use time::OffsetDateTime;

/// The instant `millis` milliseconds after the Unix epoch, or `None` when it lies outside the
/// range `time::OffsetDateTime` can represent.
#[must_use]
pub fn from_millis(millis: i64) -> Option<OffsetDateTime> {
    // Whole seconds and a millisecond remainder in 0..1000, so no 128-bit arithmetic.
    let seconds = millis.div_euclid(1000);
    let nanos = u32::try_from(millis.rem_euclid(1000)).ok()? * 1_000_000;
    OffsetDateTime::from_unix_timestamp(seconds).ok()?.replace_nanosecond(nanos).ok()
}

/// Whole milliseconds since the Unix epoch (rounded towards negative infinity).
#[must_use]
pub fn to_millis(instant: OffsetDateTime) -> i64 {
    // |unix_timestamp| < 2^48 for every representable instant, so this cannot overflow;
    // saturate anyway rather than trust that.
    instant.unix_timestamp().saturating_mul(1000).saturating_add(i64::from(instant.millisecond()))
}

/// Deserializes an optional millisecond timestamp: an integer or `null`.
///
/// # Errors
///
/// A value that is not an integer or `null`, or an integer outside the representable range.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<OffsetDateTime>, D::Error> {
    match Option::<i64>::deserialize(deserializer)? {
        None => Ok(None),
        Some(millis) => from_millis(millis)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format_args!("timestamp out of range: {millis} ms"))),
    }
}

/// Serializes an optional timestamp as integer milliseconds, or `null`.
///
/// # Errors
///
/// Only those of the serializer.
#[allow(clippy::ref_option)] // the signature serde's `with` expects
pub fn serialize<S: Serializer>(value: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(instant) => serializer.serialize_some(&to_millis(*instant)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use serde::{Deserialize, Serialize};
    use time::OffsetDateTime;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(default, with = "super")]
        at: Option<OffsetDateTime>,
    }

    #[test]
    fn milliseconds_decode_to_the_instant_and_encode_back() {
        let json = r#"{"at":1767139200123}"#;
        let stamped: Stamped = serde_json::from_str(json).expect("decodes");
        let at = stamped.at.expect("present");
        assert_eq!(at.unix_timestamp(), 1_767_139_200);
        assert_eq!(at.millisecond(), 123);
        assert_eq!(serde_json::to_string(&stamped).expect("encodes"), json);
    }

    #[test]
    fn null_and_absent_are_none() {
        let absent: Stamped = serde_json::from_str("{}").expect("decodes");
        let null: Stamped = serde_json::from_str(r#"{"at":null}"#).expect("decodes");
        assert_eq!(absent.at, None);
        assert_eq!(null.at, None);
        assert_eq!(serde_json::to_string(&null).expect("encodes"), r#"{"at":null}"#);
    }

    #[test]
    fn a_string_timestamp_is_rejected() {
        assert!(serde_json::from_str::<Stamped>(r#"{"at":"1767139200000"}"#).is_err());
        assert!(serde_json::from_str::<Stamped>(r#"{"at":"%%DATETIME 1%%"}"#).is_err());
        assert!(serde_json::from_str::<Stamped>(r#"{"at":1767139200000.5}"#).is_err());
    }

    #[test]
    fn huge_timestamps_are_errors_not_panics() {
        for huge in [i64::MAX.to_string(), i64::MIN.to_string(), u64::MAX.to_string()] {
            let json = format!(r#"{{"at":{huge}}}"#);
            assert!(serde_json::from_str::<Stamped>(&json).is_err(), "{huge}");
        }
        assert_eq!(super::from_millis(i64::MAX), None);
    }

    #[test]
    fn negative_milliseconds_round_down() {
        let before_epoch = super::from_millis(-1).expect("in range");
        assert_eq!(super::to_millis(before_epoch), -1);
    }
}
