//! Decoding helpers for the leniency the wire needs.

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
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

/// Decodes a pair of integers (`factor_verification_age`); a list of another length, which
/// the spec's "array of integer" allows, is no pair (`None`) rather than an answer that
/// cannot be decoded at all. `null` is `None`; elements that are not integers are errors.
/// Use with `#[serde(default, deserialize_with = "…")]`.
pub(crate) fn optional_pair<'de, D>(deserializer: D) -> Result<Option<[i64; 2]>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Vec<i64>>::deserialize(deserializer)?.as_deref() {
        Some(&[first, second]) => Some([first, second]),
        _ => None,
    })
}

/// Decodes a list, `null` as the empty list. The server's lists are short (a session or
/// two, an email address, a few factors or identifiers), so a list of large elements grows
/// one element at a time for its first eight (then doubles): `Vec`'s usual first growth to
/// four elements would make a list of one 300-byte session a 1.3 KB allocation, which
/// glibc serves from its slow path after consolidating every small free chunk. A list of
/// small elements (words, numbers) starts at four, as `Vec` does, rather than reallocating
/// for each. Use with `#[serde(default, deserialize_with = "…")]`.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    list_of(deserializer, std::marker::PhantomData::<T>)
}

/// [`list`] with each element decoded by `element` (a seed that is cheap to copy), e.g. to
/// intern strings.
pub(crate) fn list_of<'de, D, S>(deserializer: D, element: S) -> Result<Vec<S::Value>, D::Error>
where
    D: Deserializer<'de>,
    S: DeserializeSeed<'de> + Copy,
{
    struct ListVisitor<S>(S);

    impl<'de, S: DeserializeSeed<'de> + Copy> Visitor<'de> for ListVisitor<S> {
        type Value = Vec<S::Value>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a list or null")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_seq(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            // Elements up to this size grow as `Vec` does: four at once is at most 128 bytes.
            const SMALL: usize = 32;
            let mut list = Vec::new();
            while let Some(element) = seq.next_element_seed(self.0)? {
                if list.len() == list.capacity() {
                    let small = std::mem::size_of::<S::Value>() <= SMALL;
                    let more = match list.len() {
                        0 if small => 4,
                        length if length < 8 && !small => 1,
                        length => length,
                    };
                    list.reserve_exact(more);
                }
                list.push(element);
            }
            Ok(list)
        }
    }

    deserializer.deserialize_option(ListVisitor(element))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "super::list")]
        items: Vec<u32>,
    }

    #[test]
    fn lists_decode_with_null_and_absent_as_empty() {
        let holder: Holder = serde_json::from_str(r#"{"items":[1,2,3]}"#).expect("decodes");
        assert_eq!(holder.items, [1, 2, 3]);
        assert_eq!(holder.items.capacity(), 4, "small elements: one allocation of four");
        let many: Holder =
            serde_json::from_str(&format!("{{\"items\":{:?}}}", (0..100).collect::<Vec<u32>>())).expect("decodes");
        assert_eq!(many.items, (0..100).collect::<Vec<u32>>());
        assert!(serde_json::from_str::<Holder>(r#"{"items":null}"#).expect("decodes").items.is_empty());
        assert!(serde_json::from_str::<Holder>("{}").expect("decodes").items.is_empty());
        assert!(serde_json::from_str::<Holder>(r#"{"items":{}}"#).is_err());
        assert!(serde_json::from_str::<Holder>(r#"{"items":[null]}"#).is_err());
    }

    #[test]
    fn lists_of_large_elements_grow_exactly_at_first() {
        #[derive(Debug, Deserialize)]
        struct Large {
            #[serde(default, deserialize_with = "super::list")]
            items: Vec<[u64; 8]>,
        }
        let one: Large = serde_json::from_str(r#"{"items":[[1,2,3,4,5,6,7,8]]}"#).expect("decodes");
        assert_eq!(one.items.capacity(), 1, "one 64-byte element: no room for three more");
        let three: Large = serde_json::from_str(&format!("{{\"items\":{:?}}}", [[0u64; 8]; 3])).expect("decodes");
        assert_eq!((three.items.len(), three.items.capacity()), (3, 3));
    }
}
