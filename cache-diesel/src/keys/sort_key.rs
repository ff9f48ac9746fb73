//! A generated sort key's `Deserialize`, written once here for every
//! model: the same forms serde's derive reads for a struct (a map of its
//! field names, or a sequence in field order), without a visitor and a
//! field enum generated per model. (Its `Serialize` is generated: a few
//! `serialize_field` calls.)

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// The fields of a sort key, as a tuple of their types in order.
pub trait SortKeyFields<'de>: Sized {
    /// How many.
    const LEN: usize;

    /// Reads them from a sequence, in order.
    fn from_seq<A: SeqAccess<'de>>(seq: A, expected: &dyn de::Expected) -> Result<Self, A::Error>;

    /// Reads them from a map of `names` (each once; other keys ignored).
    fn from_map<A: MapAccess<'de>>(
        map: A,
        names: &'static [&'static str],
    ) -> Result<Self, A::Error>;
}

/// A struct `name` of fields `names` (a generated sort key) read as
/// serde's derive reads it, into the tuple `T` of its fields' values.
pub fn deserialize_sort_key<'de, D, T>(
    deserializer: D,
    name: &'static str,
    names: &'static [&'static str],
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: SortKeyFields<'de>,
{
    deserializer.deserialize_struct(
        name,
        names,
        FieldsVisitor {
            name,
            names,
            fields: PhantomData,
        },
    )
}

struct FieldsVisitor<T> {
    name: &'static str,
    names: &'static [&'static str],
    fields: PhantomData<T>,
}

impl<'de, T: SortKeyFields<'de>> Visitor<'de> for FieldsVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq, &Elements(self.name, T::LEN))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map, self.names)
    }
}

/// What a short sequence was expected to be, in serde's derive's words.
struct Elements(&'static str, usize);

impl de::Expected for Elements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {} with {} elements", self.0, self.1)
    }
}

/// A map's key: the index of one of `names` (by name, as bytes, or by
/// index, as serde's derive takes them), `None` for another.
struct FieldIndex(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldIndex {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<usize>, E> {
        Ok(usize::try_from(v).ok().filter(|&i| i < self.0.len()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| *n == v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|n| n.as_bytes() == v))
    }
}

/// The next key of `map` among `names`, skipping the values of others.
fn next_field<'de, A: MapAccess<'de>>(
    map: &mut A,
    names: &'static [&'static str],
) -> Result<Option<usize>, A::Error> {
    loop {
        match map.next_key_seed(FieldIndex(names))? {
            None => return Ok(None),
            Some(Some(i)) => return Ok(Some(i)),
            Some(None) => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
}

/// A field the map did not have: `None` for an `Option` (as serde's
/// derive reads it), `missing field` for any other type, even one that
/// would read a unit (`()`, `serde_json::Value`).
fn missing<'de, V: de::Deserialize<'de>, E: de::Error>(name: &'static str) -> Result<V, E> {
    V::deserialize(Missing(name, std::marker::PhantomData))
}

/// The deserializer of an absent field: it answers an `Option` with
/// `None` and every other request with `missing field` (what serde's
/// derive hands the field's type).
struct Missing<E>(&'static str, std::marker::PhantomData<E>);

impl<'de, E: de::Error> de::Deserializer<'de> for Missing<E> {
    type Error = E;

    fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, E> {
        Err(E::missing_field(self.0))
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

macro_rules! sort_key_fields {
    ($len:expr; $($t:ident $v:ident $i:tt),+) => {
        impl<'de, $($t: de::Deserialize<'de>),+> SortKeyFields<'de> for ($($t,)+) {
            const LEN: usize = $len;

            fn from_seq<Sq: SeqAccess<'de>>(mut seq: Sq, expected: &dyn de::Expected) -> Result<Self, Sq::Error> {
                Ok(($(
                    seq.next_element::<$t>()?
                        .ok_or_else(|| de::Error::invalid_length($i, expected))?,
                )+))
            }

            fn from_map<Mp: MapAccess<'de>>(mut map: Mp, names: &'static [&'static str]) -> Result<Self, Mp::Error> {
                $( let mut $v: Option<$t> = None; )+
                while let Some(i) = next_field(&mut map, names)? {
                    match i {
                        $( $i => {
                            if $v.is_some() {
                                return Err(de::Error::duplicate_field(names[$i]));
                            }
                            $v = Some(map.next_value()?);
                        } )+
                        _ => unreachable!("FieldIndex is within names"),
                    }
                }
                Ok(($(
                    match $v {
                        Some(v) => v,
                        None => missing(names[$i])?,
                    },
                )+))
            }
        }
    };
}

/// No fields: what the stubs of a model with errors have.
impl<'de> SortKeyFields<'de> for () {
    const LEN: usize = 0;

    fn from_seq<Sq: SeqAccess<'de>>(_: Sq, _: &dyn de::Expected) -> Result<(), Sq::Error> {
        Ok(())
    }

    fn from_map<Mp: MapAccess<'de>>(
        mut map: Mp,
        names: &'static [&'static str],
    ) -> Result<(), Mp::Error> {
        while next_field(&mut map, names)?.is_some() {}
        Ok(())
    }
}

sort_key_fields!(1; A a 0);
sort_key_fields!(2; A a 0, B b 1);
sort_key_fields!(3; A a 0, B b 1, C c 2);
sort_key_fields!(4; A a 0, B b 1, C c 2, D d 3);
sort_key_fields!(5; A a 0, B b 1, C c 2, D d 3, E e 4);
sort_key_fields!(6; A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
sort_key_fields!(7; A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6);
sort_key_fields!(8; A a 0, B b 1, C c 2, D d 3, E e 4, F f 5, G g 6, H h 7);

#[cfg(test)]
mod tests {
    use super::deserialize_sort_key;
    use serde::{Deserialize, Deserializer, Serialize};

    /// What serde's derive makes of the same struct: the reference.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Derived {
        id: i64,
        title: String,
        at: Option<i32>,
    }

    #[derive(Debug, PartialEq)]
    struct ByHand {
        id: i64,
        title: String,
        at: Option<i32>,
    }

    const NAMES: &[&str] = &["id", "title", "at"];

    impl<'de> Deserialize<'de> for ByHand {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let (id, title, at) = deserialize_sort_key(d, "Derived", NAMES)?;
            Ok(ByHand { id, title, at })
        }
    }

    fn same(json: &str) {
        let derived = serde_json::from_str::<Derived>(json)
            .map(|d| (d.id, d.title, d.at))
            .map_err(|e| e.to_string());
        let by_hand = serde_json::from_str::<ByHand>(json)
            .map(|d| (d.id, d.title, d.at))
            .map_err(|e| e.to_string());
        assert_eq!(by_hand, derived, "{json}");
    }

    #[test]
    fn reads_what_the_derive_reads_and_fails_where_it_fails() {
        for json in [
            r#"{"id": 1, "title": "a", "at": 3}"#,
            r#"{"title": "a", "id": 1, "at": null}"#,
            r#"{"id": 1, "title": "a"}"#,
            r#"{"id": 1, "title": "a", "other": [1, {"x": 2}]}"#,
            r#"{"id": 1}"#,
            r#"{"id": 1, "id": 2, "title": "a"}"#,
            r#"{"id": "x", "title": "a"}"#,
            r#"[1, "a", 3]"#,
            r#"[1, "a"]"#,
            r#"[1]"#,
            r#"7"#,
            r#"{}"#,
        ] {
            same(json);
        }
        // A type that reads a unit is still a missing field.
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct DerivedUnit {
            id: i64,
            extra: serde_json::Value,
        }
        struct ByHandUnit(serde_json::Value);
        impl<'de> Deserialize<'de> for ByHandUnit {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let (_, extra): (i64, _) =
                    deserialize_sort_key(d, "DerivedUnit", &["id", "extra"])?;
                Ok(ByHandUnit(extra))
            }
        }
        for json in [r#"{"id": 1}"#, r#"{"id": 1, "extra": null}"#] {
            let derived = serde_json::from_str::<DerivedUnit>(json).map(|d| d.extra);
            let by_hand = serde_json::from_str::<ByHandUnit>(json).map(|d| d.0);
            assert_eq!(
                by_hand.map_err(|e| e.to_string()),
                derived.map_err(|e| e.to_string()),
                "{json}"
            );
        }
        let bytes = rmp_serde::to_vec(&Derived {
            id: 5,
            title: "b".into(),
            at: None,
        })
        .unwrap();
        let by_hand: ByHand = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(
            (by_hand.id, by_hand.title, by_hand.at),
            (5, "b".into(), None)
        );
    }
}
