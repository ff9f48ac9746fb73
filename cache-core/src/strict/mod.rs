//! Strict decoding: a struct read from a map must find every field serde
//! asks for.
//!
//! Structs are written with their field names (`codec::write_named`), so a
//! renamed or retyped field does not decode. But serde's derived visitor
//! fills a missing field that is an `Option` (with `None`) or has
//! `#[serde(default)]` (with its default): a build that adds such a field
//! would read an older build's entry as a value whose new field is absent,
//! when the database has it. [`Strict`] wraps the deserializer so that such
//! an entry does not decode (a miss): every `deserialize_struct` (and every
//! struct variant) read from a map records the keys the map yields, and
//! when the map is exhausted any name of `fields` not seen is an error
//! (`missing field`). Everything else is forwarded: every nested value
//! (sequence elements, map values, `Some`, newtypes, enum variants) goes
//! through the wrapper too, so a struct at any depth is checked.
//!
//! What it cannot see: a struct read from an array (positional; serde
//! checks its length itself), fields serde skips (`#[serde(skip)]`, not in
//! `fields`), and values serde buffers before deserializing them (a
//! `#[serde(flatten)]` struct's fields, untagged and internally or
//! adjacently tagged enums: serde reads those through `deserialize_map` or
//! `deserialize_any` into its own buffer, and the structs inside are
//! deserialized from that buffer, not from this wrapper). A field read
//! under a `#[serde(alias)]` is not recognised as its field (the wrapper
//! sees the key, not serde's alias table), so such an entry is a miss: a
//! miss is safe.

// The macros first: `#[macro_use]` makes them visible in the modules
// declared after it.
#[macro_use]
mod macros;
mod key;
mod wrap;

use serde::de;

/// Decodes MessagePack with the strict check (`rmp_serde::from_slice`,
/// wrapped).
pub(crate) fn from_slice<T: de::DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, rmp_serde::decode::Error> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    T::deserialize(Strict(&mut de))
}

/// A deserializer whose structs must find all their fields.
pub(crate) struct Strict<D>(pub(crate) D);

/// What a visitor does with a plain value before passing it on: nothing
/// for [`Wrap`](wrap::Wrap), note the field for [`Capture`](key::Capture).
trait Record<T: ?Sized> {
    #[inline]
    fn record(&mut self, _: &T) {}
}

/// Which of a struct's fields its map has named so far.
enum Seen {
    /// Up to 64 fields: a bit each.
    Mask(u64),
    /// More.
    Many(Vec<bool>),
}

/// The field check of one struct read from a map.
struct Check {
    fields: &'static [&'static str],
    seen: Seen,
    /// How many keys were noted: where the next is likeliest to be in
    /// `fields` (a build writes its fields in their declared order).
    next: usize,
}

impl Check {
    fn new(fields: &'static [&'static str]) -> Self {
        let seen = if fields.len() <= 64 {
            Seen::Mask(0)
        } else {
            Seen::Many(vec![false; fields.len()])
        };
        Check {
            fields,
            seen,
            next: 0,
        }
    }

    fn mark(&mut self, index: usize) {
        match &mut self.seen {
            Seen::Mask(mask) if index < 64 => *mask |= 1 << index,
            Seen::Mask(_) => {}
            Seen::Many(seen) => {
                if let Some(slot) = seen.get_mut(index) {
                    *slot = true;
                }
            }
        }
    }

    fn name(&mut self, name: &[u8]) {
        let guess = self.next;
        self.next += 1;
        let index = if self.fields.get(guess).is_some_and(|f| f.as_bytes() == name) {
            Some(guess)
        } else {
            self.fields.iter().position(|f| f.as_bytes() == name)
        };
        if let Some(index) = index {
            self.mark(index);
        }
    }

    fn index(&mut self, index: u64) {
        if let Ok(index) = usize::try_from(index) {
            self.mark(index);
        }
    }

    /// The first field not seen, if any.
    fn missing(&self) -> Option<&'static str> {
        let n = self.fields.len();
        let first = match &self.seen {
            Seen::Mask(mask) => {
                let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
                let unseen = !mask & all;
                (unseen != 0).then(|| unseen.trailing_zeros() as usize)
            }
            Seen::Many(seen) => seen.iter().position(|s| !s),
        };
        first.map(|i| self.fields[i])
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{DecodeError, decode, encode};
    use crate::protocol::envelope::{seal, unseal};
    use serde::{Deserialize, Serialize};
    use std::collections::{BTreeMap, HashMap};

    /// The nested type as the old build has it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Address {
        street: String,
        city: String,
    }

    /// The next build: an added `Option`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressZip {
        street: String,
        city: String,
        zip: Option<String>,
    }

    /// The next build: an added field with a default.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressDefault {
        street: String,
        city: String,
        #[serde(default)]
        zip: String,
    }

    /// The old build's fields in the other order.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressReordered {
        city: String,
        street: String,
    }

    /// A field serde skips is not asked for.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressSkip {
        street: String,
        city: String,
        #[serde(skip)]
        note: String,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Person<A> {
        name: String,
        home: A,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Place<A> {
        Nowhere,
        At(A),
        Pair(i32, A),
        Named { label: String, at: A },
    }

    fn old() -> Address {
        Address {
            street: "1 Main St".into(),
            city: "Springfield".into(),
        }
    }

    /// Decodes `value`, encoded as the old build wrote it, as the type the
    /// new build has, through the codec and the envelope: both results.
    fn both<T, N>(value: &T) -> [Result<N, DecodeError>; 2]
    where
        T: Serialize,
        N: serde::de::DeserializeOwned,
    {
        let bytes = encode(value).unwrap();
        let sealed = seal("k", &[1], 0, value).unwrap();
        [
            decode::<N>(&bytes),
            unseal::<N>("k", &sealed).map(|(_, _, v)| v),
        ]
    }

    fn fails<T: Serialize, N: serde::de::DeserializeOwned + std::fmt::Debug>(what: &str, v: &T) {
        for result in both::<T, N>(v) {
            match result {
                Err(DecodeError::WrongType(e)) => {
                    assert!(e.contains("missing field"), "{what}: {e}")
                }
                other => panic!("{what}: an added field read as absent: {other:?}"),
            }
        }
    }

    fn reads<T: Serialize, N: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        what: &str,
        v: &T,
        expected: &N,
    ) {
        for result in both::<T, N>(v) {
            assert_eq!(result.as_ref().ok(), Some(expected), "{what}: {result:?}");
        }
    }

    #[test]
    fn an_added_optional_or_default_field_does_not_decode() {
        fails::<_, AddressZip>("Option", &old());
        fails::<_, AddressDefault>("default", &old());
    }

    #[test]
    fn nested_structs_are_checked_at_any_depth() {
        let person = Person {
            name: "Ada".into(),
            home: old(),
        };
        fails::<_, Person<AddressZip>>("one level", &person);
        fails::<_, Person<Person<AddressZip>>>(
            "two levels",
            &Person {
                name: "x".into(),
                home: person.clone(),
            },
        );
        fails::<_, Vec<(i64, AddressZip)>>("in a Vec", &vec![(1i64, old()), (2, old())]);
        fails::<_, Option<AddressZip>>("in an Option", &Some(old()));
        fails::<_, (i64, Option<Person<AddressDefault>>)>("Option of struct", &(1, Some(person)));
        fails::<_, Place<AddressZip>>("newtype variant", &Place::At(old()));
        fails::<_, Place<AddressZip>>("tuple variant", &Place::Pair(1, old()));
        fails::<_, Place<AddressZip>>(
            "struct variant",
            &Place::Named {
                label: "l".into(),
                at: old(),
            },
        );
        fails::<_, HashMap<String, AddressZip>>(
            "a map's value",
            &HashMap::from([("a".to_string(), old())]),
        );
        fails::<_, Box<AddressZip>>("a box", &Box::new(old()));
    }

    /// A struct variant whose own fields grew.
    #[test]
    fn a_struct_variant_is_checked() {
        #[derive(Serialize)]
        enum Old {
            V { a: i32 },
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum New {
            V { a: i32, b: Option<i32> },
        }
        fails::<_, New>("struct variant fields", &Old::V { a: 1 });
    }

    #[test]
    fn unchanged_reordered_and_free_form_values_still_decode() {
        reads("unchanged", &old(), &old());
        reads(
            "reordered",
            &old(),
            &AddressReordered {
                street: "1 Main St".into(),
                city: "Springfield".into(),
            },
        );
        reads(
            "skip",
            &old(),
            &AddressSkip {
                street: "1 Main St".into(),
                city: "Springfield".into(),
                note: String::new(),
            },
        );
        let zip = AddressZip {
            street: "s".into(),
            city: "c".into(),
            zip: None,
        };
        reads("None written, None read", &zip, &zip);
        let nested = vec![
            (
                1i64,
                Some(Person {
                    name: "a".into(),
                    home: Place::Named {
                        label: "l".into(),
                        at: old(),
                    },
                }),
            ),
            (2, None),
        ];
        reads("nested, unchanged", &nested, &nested);
        for place in [Place::Nowhere, Place::At(old()), Place::Pair(3, old())] {
            reads("variants", &place, &place);
        }
        let json = serde_json::json!({"a": [1, {"b": null, "c": "d"}], "e": {}});
        reads("json", &json, &json);
        let map = BTreeMap::from([("x".to_string(), 1i64), ("y".to_string(), 2)]);
        reads("map", &map, &map);
        let empty: BTreeMap<String, Address> = BTreeMap::new();
        reads("empty map", &empty, &empty);
        reads("text", &"text".to_string(), &"text".to_string());
        reads("bytes", &serde_bytes_like(), &serde_bytes_like());
        reads("unit", &(), &());
    }

    fn serde_bytes_like() -> Vec<u8> {
        vec![0, 1, 2, 255]
    }

    /// A struct with more fields than the bit mask holds.
    #[test]
    fn many_fields() {
        let names: Vec<String> = (0..70).map(|i| format!("f{i}")).collect();
        let full: BTreeMap<String, i32> = names.iter().map(|n| (n.clone(), 1)).collect();
        let mut short = full.clone();
        short.remove("f69");
        let fields: &'static [&'static str] = Box::leak(
            names
                .iter()
                .map(|n| &*Box::leak(n.clone().into_boxed_str()))
                .collect::<Vec<&'static str>>()
                .into_boxed_slice(),
        );
        struct Count(&'static [&'static str]);
        impl<'de> serde::de::DeserializeSeed<'de> for Count {
            type Value = usize;
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = usize;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a map")
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<usize, A::Error> {
                        let mut n = 0;
                        while map.next_entry::<String, i32>()?.is_some() {
                            n += 1;
                        }
                        Ok(n)
                    }
                }
                d.deserialize_struct("Many", self.0, V)
            }
        }
        let run = |m: &BTreeMap<String, i32>| {
            let bytes = rmp_serde::to_vec(m).unwrap();
            let mut de = rmp_serde::Deserializer::from_read_ref(&bytes);
            serde::de::DeserializeSeed::deserialize(Count(fields), super::Strict(&mut de))
        };
        assert_eq!(run(&full).unwrap(), 70);
        let err = run(&short).unwrap_err().to_string();
        assert!(err.contains("f69"), "{err}");
    }
}

#[cfg(test)]
mod cost {
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// Decode time of 1,000 rows (the envelope's `(stamps, deadline,
    /// rows)`, structs by name) with and without the strict check, flat and
    /// with a nested struct. `cargo test --release -p cache-core --lib
    /// strict_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: run in release with --nocapture"]
    fn strict_cost() {
        #[derive(Clone, Serialize, serde::Deserialize)]
        struct Address {
            street: String,
            city: String,
        }
        type Flat = (i64, String, String, bool, i64, i64);
        type Nested = (i64, String, String, bool, i64, i64, Address);
        fn median_ns(mut f: impl FnMut()) -> f64 {
            let mut samples: Vec<f64> = (0..500)
                .map(|_| {
                    let start = std::time::Instant::now();
                    f();
                    start.elapsed().as_nanos() as f64
                })
                .collect();
            samples.sort_by(f64::total_cmp);
            samples[samples.len() / 2]
        }
        fn measure<T: Serialize + DeserializeOwned>(name: &str, rows: &T) {
            let value = (&[1u64, 2, 3][..], 0u64, rows);
            let mut named = Vec::new();
            crate::codec::write_named(&mut named, &value).unwrap();
            let plain = median_ns(|| {
                let v: (Vec<u64>, u64, T) = rmp_serde::from_slice(&named).unwrap();
                std::hint::black_box(v);
            });
            let strict = median_ns(|| {
                let v: (Vec<u64>, u64, T) = super::from_slice(&named).unwrap();
                std::hint::black_box(v);
            });
            println!(
                "{name:<20} {:>7} B   plain {plain:>9.0} ns   strict {strict:>9.0} ns   (x{:.3})",
                named.len(),
                strict / plain
            );
        }
        let flat: Vec<Flat> = (0..1_000)
            .map(|i| {
                (
                    i,
                    format!("product-{i}"),
                    format!("Title of product number {i}"),
                    i % 3 != 0,
                    i % 4,
                    1_700_000_000_000_000 + i,
                )
            })
            .collect();
        let nested: Vec<Nested> = flat
            .iter()
            .cloned()
            .map(|(a, b, c, d, e, f)| {
                let address = Address {
                    street: format!("{a} Main St"),
                    city: format!("Springfield {a}"),
                };
                (a, b, c, d, e, f, address)
            })
            .collect();
        for _ in 0..2 {
            measure("1,000 rows, flat", &flat);
            measure("1,000 rows, nested", &nested);
            measure("1 row, nested", &nested[..1].to_vec());
        }
    }
}
