//! One definition for the string-valued enumerations of the wire (statuses, strategies,
//! error codes): known values as variants, anything else kept verbatim in a fallback variant.

/// Defines a `#[non_exhaustive]` enum whose values travel as JSON strings.
///
/// Each known variant names its wire string; the fallback variant keeps any other string
/// unchanged so that a value added by the server later survives a decode/encode round trip.
/// Deserializing matches on the borrowed `&str` and allocates only for unknown values.
macro_rules! wire_string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
        $(#[$fmeta:meta])*
        fallback $fallback:ident;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            $(#[$fmeta])*
            $fallback(String),
        }

        impl $name {
            /// The wire strings of every known variant, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The string this value has on the wire.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::$fallback(other) => other.as_str(),
                }
            }

            /// The wire string as a value to send: borrowed, without allocating, for a
            /// known variant.
            #[must_use]
            pub fn to_wire(&self) -> ::std::borrow::Cow<'static, str> {
                match self {
                    $( Self::$variant => ::std::borrow::Cow::Borrowed($wire), )+
                    Self::$fallback(other) => ::std::borrow::Cow::Owned(other.clone()),
                }
            }

            /// Whether this is one of the known variants (not the fallback).
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::$fallback(_))
            }

            fn from_known(value: &str) -> Option<Self> {
                match value {
                    $( $wire => Some(Self::$variant), )+
                    _ => None,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::from_known(value).unwrap_or_else(|| Self::$fallback(value.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::from_known(&value).unwrap_or(Self::$fallback(value))
            }
        }

        /// Mostly one of the known values; one time in eight a value outside them (an
        /// open-family or unknown wire string, or an arbitrary short one), decoded as the
        /// server's would be (so a known string never lands in the fallback).
        #[cfg(feature = "arbitrary")]
        impl<'a> ::arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut ::arbitrary::Unstructured<'a>) -> ::arbitrary::Result<Self> {
                if u.ratio(7u8, 8u8)? {
                    u.choose(Self::KNOWN).map(|wire| Self::from(*wire))
                } else {
                    crate::fuzz_vocabulary::other_wire_word(u).map(Self::from)
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct WireVisitor;

                impl ::serde::de::Visitor<'_> for WireVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }

                    fn visit_str<E: ::serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: ::serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(WireVisitor)
            }
        }
    };
}

pub(crate) use wire_string_enum;
