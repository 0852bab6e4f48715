//! Wire strings that share the answer they were decoded from.
//!
//! A client answer carries thirty or so strings (ids, names, addresses, URLs) and the server
//! sends a nearly identical client on every answer, so decoding each into its own `String`
//! was a third of the engine's allocations. A [`Text`] decoded by the engine instead points
//! into the answer's body, which the engine keeps in one shared buffer: decoding a string
//! costs a reference-count increment rather than an allocation and a copy, cloning one costs
//! the same, and dropping a whole client frees one buffer instead of thirty strings.
//!
//! To a reader a `Text` is a `&str` (through [`Deref`]); it compares,
//! hashes, orders, prints and serializes as its string. A `Text` decoded anywhere else (a
//! `serde_json::from_str` of your own, a string the JSON escapes, a restored export) owns its
//! string as before.
//!
//! The price: a shared `Text` keeps the whole body it came from alive for as long as it
//! lives: usually a few kilobytes, at most the engine's `max_response_bytes`, and with it
//! the text of the session token the answer carried (in memory only: `Debug`, `Display`
//! and serialization show nothing but the `Text`'s own range). The ids the engine hands out
//! in events are already detached; call [`Text::detach`] (or `to_string`) on any other
//! string you keep for long. [`Text::is_shared`] tells which kind you hold.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A string of the wire: a range of a shared answer body, or a string of its own.
///
/// Reads as a `&str` through `Deref`; see the [module documentation](self) for why.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// `len` bytes from `start` of a shared answer body.
    Slice { body: Arc<String>, start: u32, len: u32 },
    /// A string of its own.
    Whole(Arc<str>),
    /// A string of the program (the empty default, [`Text::from_static`]).
    Static(&'static str),
}

impl Text {
    /// A text owning a copy of `text`.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self(Repr::Whole(Arc::from(text)))
    }

    /// A text of a string that lives as long as the program, without allocating.
    #[must_use]
    pub const fn from_static(text: &'static str) -> Self {
        Self(Repr::Static(text))
    }

    /// The string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Slice { body, start, len } => {
                let start = *start as usize;
                // Built only from ranges of `body` that are whole strings; `get` keeps a
                // broken range (impossible) from panicking.
                body.get(start..start + *len as usize).unwrap_or_default()
            }
            Repr::Whole(text) => text,
            Repr::Static(text) => text,
        }
    }

    /// Whether this text shares (and keeps alive) the answer body it was decoded from.
    #[must_use]
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Slice { .. })
    }

    /// The same string, not keeping the answer body it came from alive: a copy of its own
    /// when it shares a body, else a (cheap) clone.
    #[must_use]
    pub fn detach(&self) -> Self {
        if self.is_shared() { Self::new(self.as_str()) } else { self.clone() }
    }
}

impl Default for Text {
    fn default() -> Self {
        Self::from_static("")
    }
}

impl std::str::FromStr for Text {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(text))
    }
}

impl From<Box<str>> for Text {
    fn from(text: Box<str>) -> Self {
        Self(Repr::Whole(Arc::from(text)))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(text: std::borrow::Cow<'_, str>) -> Self {
        Self::new(&text)
    }
}

/// For request fields ([`Field::plain`](crate::Field::plain)): a copy of the string.
impl From<Text> for std::borrow::Cow<'static, str> {
    fn from(text: Text) -> Self {
        match text.0 {
            Repr::Static(text) => std::borrow::Cow::Borrowed(text),
            _ => std::borrow::Cow::Owned(text.as_str().to_owned()),
        }
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Self(Repr::Whole(Arc::from(text)))
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Self {
        Self::new(text)
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.as_str().to_owned()
    }
}

impl From<&Text> for String {
    fn from(text: &Text) -> Self {
        text.as_str().to_owned()
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd<str> for Text {
    fn partial_cmp(&self, other: &str) -> Option<std::cmp::Ordering> {
        Some(self.as_str().cmp(other))
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

thread_local! {
    /// The body being decoded on this thread, while [`SharedSource::decode`] runs.
    static SOURCE: RefCell<Option<Arc<String>>> = const { RefCell::new(None) };
}

/// An answer body that [`Text`]s decoded from it share.
pub(crate) struct SharedSource(Arc<String>);

impl SharedSource {
    /// Takes ownership of a body already checked to be text.
    pub(crate) fn new(body: String) -> Self {
        Self(Arc::new(body))
    }

    /// The body.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// Runs `decode` (a deserialization of this very body) with the body registered, so
    /// every [`Text`] decoded as a borrowed slice of it shares it. The registration before
    /// is restored afterwards, also when `decode` unwinds, so decodes may nest and nothing
    /// stays registered. On a thread whose thread-locals are being destroyed nothing is
    /// registered and the texts own their strings.
    pub(crate) fn decode<R>(&self, decode: impl FnOnce(&str) -> R) -> R {
        let previous = SOURCE.try_with(|source| source.replace(Some(Arc::clone(&self.0)))).ok().flatten();
        let _restore = Restore(previous);
        decode(self.as_str())
    }
}

/// Puts back the registration that was there before a [`SharedSource::decode`].
struct Restore(Option<Arc<String>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = SOURCE.try_with(|source| source.replace(previous));
    }
}

/// A `Text` for `text`, a slice of the body being decoded when it is one.
pub(super) fn shared_or_owned(text: &str) -> Text {
    SOURCE
        .try_with(|source| {
            let source = source.borrow();
            let body = source.as_ref()?;
            let offset = (text.as_ptr() as usize).checked_sub(body.as_ptr() as usize)?;
            if offset.checked_add(text.len())? > body.len() {
                return None;
            }
            let start = u32::try_from(offset).ok()?;
            let len = u32::try_from(text.len()).ok()?;
            Some(Text(Repr::Slice { body: Arc::clone(body), start, len }))
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Text::new(text))
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string")
            }

            fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Text, E> {
                Ok(shared_or_owned(text))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Text, E> {
                Ok(Text::new(text))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Text, E> {
                Ok(Text::from(text))
            }

            // Formats that hand strings over as bytes (as `String` accepts them).
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Text, E> {
                std::str::from_utf8(bytes)
                    .map(Text::new)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self))
            }

            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Text, E> {
                String::from_utf8(bytes)
                    .map(Text::from)
                    .map_err(|error| E::invalid_value(serde::de::Unexpected::Bytes(error.as_bytes()), &self))
            }
        }

        deserializer.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn shares(text: &Text, source: &SharedSource) -> bool {
        matches!(&text.0, Repr::Slice { body, .. } if Arc::ptr_eq(body, &source.0))
    }

    #[derive(Deserialize)]
    struct Holder {
        id: Text,
        name: Text,
    }

    #[test]
    fn text_decoded_in_a_shared_source_points_into_it() {
        let source = SharedSource::new(String::from(r#"{"id":"sess_1","name":"caf\u00e9"}"#));
        let holder: Holder = source.decode(|body| serde_json::from_str(body)).expect("decodes");
        assert_eq!(holder.id, "sess_1");
        assert!(shares(&holder.id, &source), "an unescaped string shares the body");
        assert_eq!(holder.name, "café", "an escaped string is decoded into a string of its own");
        assert!(!holder.name.is_shared());
        drop(source);
        assert_eq!(holder.id.as_str(), "sess_1", "the text keeps the body alive");
        assert!(!holder.id.detach().is_shared());
        assert_eq!(holder.id.detach(), holder.id);
    }

    #[test]
    fn text_decoded_outside_a_source_owns_its_string() {
        let holder: Holder = serde_json::from_str(r#"{"id":"sess_1","name":"n"}"#).expect("decodes");
        assert_eq!(holder.id, "sess_1");
        assert!(!holder.id.is_shared());
        // From a reader, as `from_slice` or `from_reader` do, strings are transient.
        let holder: Holder = serde_json::from_reader(&br#"{"id":"a","name":"b"}"#[..]).expect("decodes");
        assert_eq!((holder.id.as_str(), holder.name.as_str()), ("a", "b"));
    }

    #[test]
    fn registration_is_restored_after_a_decode() {
        let outer = SharedSource::new(String::from(r#"{"id":"o","name":"p"}"#));
        let inner = SharedSource::new(String::from(r#"{"id":"i","name":"j"}"#));
        let (outer_holder, inner_holder) = outer.decode(|body| {
            let inner_holder: Holder = inner.decode(|body| serde_json::from_str(body)).expect("inner");
            (serde_json::from_str::<Holder>(body).expect("outer"), inner_holder)
        });
        assert!(shares(&outer_holder.id, &outer));
        assert!(shares(&inner_holder.id, &inner));
        SOURCE.with(|source| assert!(source.borrow().is_none()));
    }

    #[test]
    fn registration_is_restored_when_a_decode_unwinds() {
        let body = SharedSource::new(String::from(r#"{"id":"x","name":"y"}"#));
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            body.decode(|_| panic!("a decoder that fails hard"));
        }));
        assert!(unwound.is_err());
        SOURCE.with(|source| assert!(source.borrow().is_none(), "no body stays registered"));
        assert_eq!(Arc::strong_count(&body.0), 1, "and none is kept alive");
    }

    #[test]
    fn text_decodes_from_bytes_as_string_does() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{BytesDeserializer, Error};
        let text = Text::deserialize(BytesDeserializer::<Error>::new(b"sess_1")).expect("UTF-8 bytes");
        assert_eq!(text, "sess_1");
        assert!(Text::deserialize(BytesDeserializer::<Error>::new(b"\xff")).is_err());
        let owned: Result<Text, Error> = Text::deserialize(String::from("s").into_deserializer());
        assert_eq!(owned.expect("a string"), "s");
    }

    #[test]
    fn text_reads_compares_and_serializes_as_its_string() {
        let text = Text::from("user_1");
        assert_eq!(text, "user_1");
        assert_eq!("user_1", text);
        assert_eq!(text, String::from("user_1"));
        assert_eq!(format!("{text} {text:?}"), "user_1 \"user_1\"");
        assert_eq!(serde_json::to_string(&text).expect("serializes"), "\"user_1\"");
        assert!(text.starts_with("user_"));
        let mut set = std::collections::HashSet::new();
        set.insert(text.clone());
        assert!(set.contains("user_1"));
        assert_eq!(Text::default(), "");
        assert!(matches!(Text::default().0, Repr::Static("")), "the default does not allocate");
        assert!(text < *"user_2");
        assert_eq!(text.cmp(&Text::from("user_2")), std::cmp::Ordering::Less);
        assert_eq!("user_1".parse::<Text>().expect("infallible"), text);
        assert_eq!(std::borrow::Cow::<'static, str>::from(text.clone()), "user_1");
    }
}
