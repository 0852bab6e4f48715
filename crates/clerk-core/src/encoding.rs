//! Percent-encoding for request bodies, query strings and URL paths, and validated
//! resource ids.
//!
//! Three encoders, each matching what Clerk's JavaScript SDK (clerk-js) puts on the wire:
//!
//! * [`form_urlencode`] and [`form_urlencode_component`]: the WHATWG
//!   `application/x-www-form-urlencoded` serializer, used for every non-GET body.
//! * [`query_string`]: the same escaping for the query string of a request URL.
//! * [`encode_path_segment`]: JavaScript's `encodeURIComponent`, used for every path
//!   segment built from data (resource ids, JWT template names).
//!
//! The two escaping rules differ in exactly these places: the form serializer writes a space
//! as `+` and escapes `!`, `'`, `(`, `)` and `~`; `encodeURIComponent` writes a space as
//! `%20` and leaves those five characters alone. Both escape `+` as `%2B` and `/` as `%2F`.
//!
//! [`ResourceId`] is the one way an id reaches a path: it refuses anything that could change
//! the path's shape (`/`, `..`, a pre-encoded `%2F`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The upper-case hexadecimal digit for the low four bits of `nibble`.
fn hex_digit(nibble: u8) -> char {
    let nibble = nibble & 0x0F;
    if nibble < 10 { char::from(b'0' + nibble) } else { char::from(b'A' + (nibble - 10)) }
}

/// Appends `%XX` (upper-case hex) for one byte.
fn push_percent_escaped(out: &mut String, byte: u8) {
    out.push('%');
    out.push(hex_digit(byte >> 4));
    out.push(hex_digit(byte));
}

/// The bytes the WHATWG form serializer leaves as they are: ASCII letters and digits and
/// `*`, `-`, `.`, `_`. A table, so scanning a value costs one load per byte.
#[allow(clippy::indexing_slicing)] // `byte` < 256 = the table's length
const FORM_UNESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_');
        byte += 1;
    }
    table
};

/// Whether the WHATWG form serializer leaves this byte as it is.
fn is_form_unescaped(byte: u8) -> bool {
    FORM_UNESCAPED.get(usize::from(byte)).copied().unwrap_or(false)
}

/// Whether `encodeURIComponent` leaves this byte as it is.
fn is_uri_component_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

/// Escapes one key or value with the WHATWG `application/x-www-form-urlencoded` byte
/// serializer: ASCII letters and digits and `*`, `-`, `.`, `_` stay as they are, a space
/// becomes `+`, and every other byte of the UTF-8 encoding becomes `%XX` with upper-case
/// hex digits.
///
/// ```
/// use clerk_core::encoding::form_urlencode_component;
/// assert_eq!(form_urlencode_component("nested value"), "nested+value");
/// assert_eq!(form_urlencode_component("a+b/c"), "a%2Bb%2Fc");
/// assert_eq!(form_urlencode_component("é"), "%C3%A9");
/// ```
#[must_use]
pub fn form_urlencode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_form_component(&mut out, text);
    out
}

/// Appends the form escaping of `text` to `out`.
pub(crate) fn push_form_component(out: &mut String, text: &str) {
    // Runs of bytes that need no escaping are copied whole: most values are such a run.
    if text.bytes().all(is_form_unescaped) {
        out.push_str(text);
        return;
    }
    let mut rest = text;
    while !rest.is_empty() {
        let run = rest.bytes().position(|byte| !is_form_unescaped(byte)).unwrap_or(rest.len());
        let (plain, escaped) = rest.split_at(run);
        out.push_str(plain);
        let Some(character) = escaped.chars().next() else {
            break;
        };
        if character == ' ' {
            out.push('+');
        } else {
            let mut utf8 = [0; 4];
            for &byte in character.encode_utf8(&mut utf8).as_bytes() {
                push_percent_escaped(out, byte);
            }
        }
        rest = escaped.get(character.len_utf8()..).unwrap_or_default();
    }
}

/// Serializes pairs as `key=value&key=value`, escaping keys and values with
/// [`form_urlencode_component`]. Pairs keep their order; a repeated key is written once per
/// pair. No pairs give the empty string.
fn serialize_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        push_form_component(&mut out, key.as_ref());
        out.push('=');
        push_form_component(&mut out, value.as_ref());
    }
    out
}

/// Serializes a form body (`application/x-www-form-urlencoded`): `key=value` pairs joined
/// with `&`, in the order given, each key and value escaped with
/// [`form_urlencode_component`]. An empty value is written as `key=`; no pairs give the
/// empty string (an empty body).
///
/// ```
/// use clerk_core::encoding::form_urlencode;
/// assert_eq!(
///     form_urlencode(&[("identifier", "a+b@example.com"), ("strategy", "password")]),
///     "identifier=a%2Bb%40example.com&strategy=password",
/// );
/// ```
#[must_use]
pub fn form_urlencode(pairs: &[(&str, &str)]) -> String {
    serialize_pairs(pairs)
}

/// Serializes a query string (without the leading `?`) with the same escaping as
/// [`form_urlencode`]: what clerk-js emits through `URLSearchParams`.
#[must_use]
pub fn query_string(pairs: &[(String, String)]) -> String {
    serialize_pairs(pairs)
}

/// Escapes one path segment like JavaScript's `encodeURIComponent`: ASCII letters and
/// digits and `-`, `_`, `.`, `!`, `~`, `*`, `'`, `(`, `)` stay as they are; every other byte
/// of the UTF-8 encoding becomes `%XX` with upper-case hex digits (so a space is `%20` and
/// `/` is `%2F`). The output never contains `/`, `?` or `#`.
///
/// This does not refuse `.` or `..`, which stay as they are and would change the path when
/// joined; use [`ResourceId`] for anything that comes from data.
///
/// ```
/// use clerk_core::encoding::encode_path_segment;
/// assert_eq!(encode_path_segment("sia_123"), "sia_123");
/// assert_eq!(encode_path_segment("my template/v2"), "my%20template%2Fv2");
/// ```
#[must_use]
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for &byte in segment.as_bytes() {
        if is_uri_component_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            push_percent_escaped(&mut out, byte);
        }
    }
    out
}

/// Why [`form_decode`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormDecodeError {
    /// A `%` not followed by two hexadecimal digits. (The WHATWG parser keeps such a `%`
    /// literally; we refuse it, because nothing we send or receive produces one.)
    #[error("malformed percent escape at byte {position}")]
    MalformedEscape {
        /// Byte offset of the `%` in the input.
        position: usize,
    },
    /// The decoded bytes of a key or value are not UTF-8. (The WHATWG parser replaces them
    /// with U+FFFD; we refuse them.)
    #[error("decoded text of the pair at byte {position} is not UTF-8")]
    NotUtf8 {
        /// Byte offset in the input where the offending pair starts.
        position: usize,
    },
}

/// The value of one ASCII hex digit.
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes one key or value: `+` is a space, `%XX` is a byte. `start` is the offset of
/// `text` in the whole input, for error positions.
fn decode_component(text: &str, start: usize) -> Result<String, FormDecodeError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            b'%' => {
                let high = bytes.get(index + 1).copied().and_then(hex_value);
                let low = bytes.get(index + 2).copied().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high << 4) | low),
                    _ => {
                        return Err(FormDecodeError::MalformedEscape { position: start.saturating_add(index) });
                    }
                }
                index += 3;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormDecodeError::NotUtf8 { position: start })
}

/// Parses an `application/x-www-form-urlencoded` string (a form body or a query string
/// without its `?`) into its pairs, in order.
///
/// Pairs are separated by `&`; empty pieces (`a=1&&b=2`, a leading or trailing `&`) are
/// skipped, as the WHATWG parser does. A piece without `=` is a key with an empty value. In
/// keys and values `+` decodes to a space and `%XX` to a byte. Unlike the WHATWG parser,
/// this is strict: a malformed escape or decoded bytes that are not UTF-8 are an error.
///
/// For every list of string pairs `p`, `form_decode(&form_urlencode(p))` gives back `p`.
///
/// ```
/// use clerk_core::encoding::form_decode;
/// let pairs = form_decode("top_level=value&nested=%7B%22a%22%3A%22b+c%22%7D").unwrap();
/// assert_eq!(pairs[1], ("nested".to_owned(), r#"{"a":"b c"}"#.to_owned()));
/// ```
pub fn form_decode(input: &str) -> Result<Vec<(String, String)>, FormDecodeError> {
    let mut pairs = Vec::new();
    let mut offset = 0usize;
    for piece in input.split('&') {
        let piece_start = offset;
        offset = offset.saturating_add(piece.len()).saturating_add(1);
        if piece.is_empty() {
            continue;
        }
        let (key, value, value_start) = match piece.split_once('=') {
            Some((key, value)) => (key, value, piece_start.saturating_add(key.len() + 1)),
            None => (piece, "", piece_start.saturating_add(piece.len())),
        };
        pairs.push((decode_component(key, piece_start)?, decode_component(value, value_start)?));
    }
    Ok(pairs)
}

/// The longest [`ResourceId`] accepted, in bytes. Clerk's ids are about 30 bytes; JWT
/// template names are short. The limit keeps hostile input out of URLs and logs.
pub const MAX_RESOURCE_ID_BYTES: usize = 256;

/// Why a string was refused as a [`ResourceId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidIdError {
    /// The id is empty (it would address the collection instead of the resource).
    #[error("it is empty")]
    Empty,
    /// The id is `.` or `..` (it would address another path once joined).
    #[error("it is a dot segment (`.` or `..`)")]
    DotSegment,
    /// The id is longer than [`MAX_RESOURCE_ID_BYTES`].
    #[error("it is {len} bytes long, more than {MAX_RESOURCE_ID_BYTES}")]
    TooLong {
        /// Length of the refused id in bytes.
        len: usize,
    },
    /// The id contains `/`, `\`, `%`, a control character or whitespace.
    #[error("it contains the forbidden character {character:?}")]
    ForbiddenCharacter {
        /// The first forbidden character found.
        character: char,
    },
}

/// An id that is safe to put in a URL path: a resource id (`sia_…`, `sess_…`, `sua_…`) or
/// a JWT template name.
///
/// Refused (each with its [`InvalidIdError`]): the empty string, `.` and `..`, anything
/// longer than [`MAX_RESOURCE_ID_BYTES`] bytes, and anything containing `/`, `\`, `%`, a
/// control character or whitespace. `/` and `..` would change which resource a request
/// addresses; `\` is a separator to some URL parsers; `%` would let a pre-encoded `%2F`
/// through a proxy that decodes once; control characters and whitespace are never part of
/// a legitimate id. Everything else (including non-ASCII) is kept and percent-encoded by
/// [`to_path_segment`](Self::to_path_segment), which is how every id, JWT template names
/// included, goes into a path.
///
/// Deserializing validates in the same way; serializing writes the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceId(String);

impl ResourceId {
    /// Validates `id` (see the type's documentation for what is refused).
    pub fn new(id: &str) -> Result<Self, InvalidIdError> {
        Self::check(id)?;
        Ok(Self(id.to_owned()))
    }

    /// The checks of [`new`](Self::new), without allocating.
    fn check(id: &str) -> Result<(), InvalidIdError> {
        if id.is_empty() {
            return Err(InvalidIdError::Empty);
        }
        if id == "." || id == ".." {
            return Err(InvalidIdError::DotSegment);
        }
        if id.len() > MAX_RESOURCE_ID_BYTES {
            return Err(InvalidIdError::TooLong { len: id.len() });
        }
        if let Some(character) =
            id.chars().find(|&c| matches!(c, '/' | '\\' | '%') || c.is_control() || c.is_whitespace())
        {
            return Err(InvalidIdError::ForbiddenCharacter { character });
        }
        Ok(())
    }

    /// The id as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id escaped for a URL path with [`encode_path_segment`].
    #[must_use]
    pub fn to_path_segment(&self) -> String {
        encode_path_segment(&self.0)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ResourceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for ResourceId {
    type Err = InvalidIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ResourceId {
    type Error = InvalidIdError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::check(&value)?;
        Ok(Self(value))
    }
}

impl TryFrom<&str> for ResourceId {
    type Error = InvalidIdError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ResourceId> for String {
    fn from(id: ResourceId) -> Self {
        id.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    // fapi.md §1.7, verified example 1 (after camelToSnake and dropping `undefined`).
    #[test]
    fn form_example_scalars() {
        let body = form_urlencode(&[
            ("defined_value", "test"),
            ("null_value", ""),
            ("false_value", "false"),
            ("zero_value", "0"),
            ("empty_string", ""),
        ]);
        assert_eq!(body, "defined_value=test&null_value=&false_value=false&zero_value=0&empty_string=");
    }

    // fapi.md §1.7, verified example 2: `{}` is an empty body.
    #[test]
    fn form_example_empty() {
        assert_eq!(form_urlencode(&[]), "");
        assert_eq!(query_string(&[]), "");
        assert_eq!(form_decode("").unwrap(), Vec::<(String, String)>::new());
    }

    // fapi.md §1.7, verified example 3: a nested object is sent as its JSON text.
    #[test]
    fn form_example_nested_json() {
        let body = form_urlencode(&[("top_level", "value"), ("nested", r#"{"nestedDefined":"nested value"}"#)]);
        assert_eq!(body, "top_level=value&nested=%7B%22nestedDefined%22%3A%22nested+value%22%7D");
        assert_eq!(
            form_decode(&body).unwrap(),
            owned(&[("top_level", "value"), ("nested", r#"{"nestedDefined":"nested value"}"#)])
        );
    }

    #[test]
    fn form_unescaped_set_is_exactly_alnum_and_four_marks() {
        for byte in 0u8..=0x7F {
            let text = char::from(byte).to_string();
            let encoded = form_urlencode_component(&text);
            if byte.is_ascii_alphanumeric() || b"*-._".contains(&byte) {
                assert_eq!(encoded, text, "byte {byte:#x}");
            } else if byte == b' ' {
                assert_eq!(encoded, "+");
            } else {
                assert_eq!(encoded, format!("%{byte:02X}"), "byte {byte:#x}");
            }
        }
    }

    #[test]
    fn uri_component_unreserved_set() {
        for byte in 0u8..=0x7F {
            let text = char::from(byte).to_string();
            let encoded = encode_path_segment(&text);
            if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
                assert_eq!(encoded, text, "byte {byte:#x}");
            } else {
                assert_eq!(encoded, format!("%{byte:02X}"), "byte {byte:#x}");
            }
        }
    }

    #[test]
    fn form_and_uri_component_differ_where_javascript_does() {
        let text = "a b+c'd!e(f)g~h*i";
        assert_eq!(form_urlencode_component(text), "a+b%2Bc%27d%21e%28f%29g%7Eh*i");
        assert_eq!(encode_path_segment(text), "a%20b%2Bc'd!e(f)g~h*i");
    }

    #[test]
    fn non_ascii_and_emoji_are_utf8_percent_encoded() {
        assert_eq!(form_urlencode_component("café"), "caf%C3%A9");
        assert_eq!(form_urlencode_component("😀"), "%F0%9F%98%80");
        assert_eq!(form_urlencode_component("日本"), "%E6%97%A5%E6%9C%AC");
        assert_eq!(encode_path_segment("café 😀"), "caf%C3%A9%20%F0%9F%98%80");
        let body = form_urlencode(&[("first_name", "Zoë 😀"), ("k=&", "v&=")]);
        assert_eq!(body, "first_name=Zo%C3%AB+%F0%9F%98%80&k%3D%26=v%26%3D");
        assert_eq!(form_decode(&body).unwrap(), owned(&[("first_name", "Zoë 😀"), ("k=&", "v&=")]));
    }

    #[test]
    fn query_string_matches_form_escaping_and_keeps_order() {
        let pairs = vec![
            ("redirect_url".to_owned(), "https://a.example/cb?x=1 2".to_owned()),
            ("__clerk_api_version".to_owned(), "2026-05-12".to_owned()),
            ("_is_native".to_owned(), "true".to_owned()),
        ];
        assert_eq!(
            query_string(&pairs),
            "redirect_url=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1+2&__clerk_api_version=2026-05-12&_is_native=true"
        );
    }

    #[test]
    fn form_decode_rules() {
        assert_eq!(
            form_decode("a=1&&b&=x&c=%41%62+&").unwrap(),
            owned(&[("a", "1"), ("b", ""), ("", "x"), ("c", "Ab ")])
        );
        assert_eq!(form_decode("a=b=c").unwrap(), owned(&[("a", "b=c")]));
        assert_eq!(form_decode("a=%2b%2B").unwrap(), owned(&[("a", "++")]));
    }

    #[test]
    fn form_decode_refuses_malformed_escapes() {
        assert_eq!(form_decode("a=%"), Err(FormDecodeError::MalformedEscape { position: 2 }));
        assert_eq!(form_decode("ok=1&a=%4"), Err(FormDecodeError::MalformedEscape { position: 7 }));
        assert_eq!(form_decode("x%zz=1"), Err(FormDecodeError::MalformedEscape { position: 1 }));
        assert_eq!(form_decode("a=%C3%28"), Err(FormDecodeError::NotUtf8 { position: 2 }));
        assert_eq!(form_decode("ok=1&%FF=1"), Err(FormDecodeError::NotUtf8 { position: 5 }));
    }

    #[test]
    fn hostile_ids_are_refused() {
        assert_eq!(ResourceId::new(""), Err(InvalidIdError::Empty));
        assert_eq!(ResourceId::new("."), Err(InvalidIdError::DotSegment));
        assert_eq!(ResourceId::new(".."), Err(InvalidIdError::DotSegment));
        for (id, character) in [
            ("a/b", '/'),
            ("/", '/'),
            ("../x", '/'),
            ("a\\b", '\\'),
            ("%2F", '%'),
            ("sia_%2e%2e", '%'),
            ("a b", ' '),
            ("a\tb", '\t'),
            ("a\nb", '\n'),
            ("a\u{0}b", '\u{0}'),
            ("a\u{7f}", '\u{7f}'),
            ("a\u{a0}b", '\u{a0}'),
        ] {
            assert_eq!(ResourceId::new(id), Err(InvalidIdError::ForbiddenCharacter { character }), "{id:?}");
        }
        let long = "a".repeat(MAX_RESOURCE_ID_BYTES + 1);
        assert_eq!(ResourceId::new(&long), Err(InvalidIdError::TooLong { len: MAX_RESOURCE_ID_BYTES + 1 }));
        assert!(ResourceId::new(&"a".repeat(MAX_RESOURCE_ID_BYTES)).is_ok());
    }

    #[test]
    fn ordinary_ids_and_template_names_are_accepted() {
        let id = ResourceId::new("sia_ok").unwrap();
        assert_eq!(id.as_str(), "sia_ok");
        assert_eq!(id.to_string(), "sia_ok");
        assert_eq!(id.to_path_segment(), "sia_ok");
        for ok in ["sess_2abcXYZ", "...", ".a", "a.", "my-template", "supabase"] {
            assert!(ResourceId::new(ok).is_ok(), "{ok:?}");
        }
        // Characters a template name may contain that must still be escaped in a path.
        let template = ResourceId::new("a?b#c&é").unwrap();
        assert_eq!(template.to_path_segment(), "a%3Fb%23c%26%C3%A9");
    }

    #[test]
    fn resource_id_serde_validates() {
        let id: ResourceId = serde_json::from_str("\"sess_123\"").unwrap();
        assert_eq!(id.as_str(), "sess_123");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"sess_123\"");
        assert!(serde_json::from_str::<ResourceId>("\"a/b\"").is_err());
        assert!(serde_json::from_str::<ResourceId>("\"..\"").is_err());
        assert!(serde_json::from_str::<ResourceId>("\"\"").is_err());
        assert_eq!("x_1".parse::<ResourceId>().unwrap().as_str(), "x_1");
        assert_eq!(
            ResourceId::try_from(String::from("a/b")),
            Err(InvalidIdError::ForbiddenCharacter { character: '/' })
        );
    }

    proptest! {
        #[test]
        fn form_round_trip(pairs in proptest::collection::vec((".*", ".*"), 0..6)) {
            let borrowed: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let encoded = form_urlencode(&borrowed);
            prop_assert_eq!(form_decode(&encoded).unwrap(), pairs.clone());
            prop_assert_eq!(query_string(&pairs), encoded);
        }

        #[test]
        fn form_component_output_is_plain_ascii(text in ".*") {
            let encoded = form_urlencode_component(&text);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._+%".contains(&b)));
        }

        #[test]
        fn path_segment_never_contains_separators(text in ".*") {
            let encoded = encode_path_segment(&text);
            prop_assert!(!encoded.contains('/'));
            prop_assert!(!encoded.contains('?'));
            prop_assert!(!encoded.contains('#'));
            prop_assert!(!encoded.contains(' '));
        }

        #[test]
        fn accepted_ids_make_one_safe_segment(text in ".{0,40}") {
            if let Ok(id) = ResourceId::new(&text) {
                let segment = id.to_path_segment();
                prop_assert!(!segment.contains('/'));
                prop_assert!(segment != "." && segment != "..");
                prop_assert!(!segment.is_empty());
            }
        }
    }
}
