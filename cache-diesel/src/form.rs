//! The cached form of models: how a row is laid out in the cache.
//!
//! A model's own `Serialize` is for its users (JSON for an API, say), and
//! chrono writes timestamps through it as RFC 3339 text, whose parsing is
//! most of the cost of decoding a cached list. So `#[derive(Cached)]`
//! writes a second form, `CacheForm`: the fields in declaration order (no
//! names), each through its own `Serialize`, except the types that have a
//! cheaper form of their own: chrono's timestamps and dates (as integers,
//! with the `chrono` feature), other cached models, and `Option`s and
//! `Vec`s of those. Every conversion is exact: a value that the integer
//! form cannot hold (a leap second, sub-microsecond precision) takes a
//! longer form rather than losing anything.
//!
//! [`Form`] and [`FormRef`] carry a `CacheForm` value through serde.

use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// A type with a cache-only serde form (written by `#[derive(Cached)]` for
/// models and records; provided for chrono types, `Option` and `Vec`).
pub trait CacheForm: Sized {
    /// Writes the cached form.
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
    /// Reads what `CacheForm::serialize_form` wrote.
    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

/// A borrowed value serialized in its cached form.
#[derive(Debug)]
pub struct FormRef<'a, T>(pub &'a T);

impl<T: CacheForm> Serialize for FormRef<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_form(serializer)
    }
}

/// An owned value (de)serialized in its cached form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form<T>(pub T);

impl<T: CacheForm> Serialize for Form<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_form(serializer)
    }
}

impl<'de, T: CacheForm> Deserialize<'de> for Form<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize_form(deserializer).map(Form)
    }
}

/// A count (`Manager::count`): the integer itself.
impl CacheForm for i64 {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(*self)
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer)
    }
}

impl<T: CacheForm> CacheForm for Option<T> {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => serializer.serialize_some(&FormRef(value)),
            None => serializer.serialize_none(),
        }
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<Form<T>>::deserialize(deserializer)?.map(|f| f.0))
    }
}

impl<T: CacheForm> CacheForm for Vec<T> {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(FormRef))
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Elements<T>(PhantomData<T>);
        impl<'de, T: CacheForm> Visitor<'de> for Elements<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(Form(value)) = seq.next_element::<Form<T>>()? {
                    out.push(value);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_seq(Elements(PhantomData))
    }
}

/// One field of a generated form, typed `T`: generated code calls
/// `(&Field::<T>::new()).write(..)` / `.read(..)`, which resolves to
/// [`Packed`] when `T: CacheForm` and to [`Plain`] (the type's own serde)
/// otherwise (autoref dispatch: no guessing from type names).
pub struct Field<T>(PhantomData<fn() -> T>);

impl<T> Field<T> {
    /// The marker for a field of type `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Field(PhantomData)
    }
}

/// Fields with a cached form of their own.
pub trait Packed {
    /// The field's type.
    type Value;
    /// Writes the field as the next tuple element.
    fn write<S: SerializeTuple>(&self, value: &Self::Value, tuple: &mut S) -> Result<(), S::Error>;
    /// Reads the next element as the field.
    fn read<'de, A: SeqAccess<'de>>(&self, seq: &mut A) -> Result<Option<Self::Value>, A::Error>;
}

impl<T: CacheForm> Packed for Field<T> {
    type Value = T;
    fn write<S: SerializeTuple>(&self, value: &T, tuple: &mut S) -> Result<(), S::Error> {
        tuple.serialize_element(&FormRef(value))
    }
    fn read<'de, A: SeqAccess<'de>>(&self, seq: &mut A) -> Result<Option<T>, A::Error> {
        Ok(seq.next_element::<Form<T>>()?.map(|f| f.0))
    }
}

/// Fields stored through their own serde impls.
pub trait Plain {
    /// The field's type.
    type Value;
    /// Writes the field as the next tuple element.
    fn write<S: SerializeTuple>(&self, value: &Self::Value, tuple: &mut S) -> Result<(), S::Error>;
    /// Reads the next element as the field.
    fn read<'de, A: SeqAccess<'de>>(&self, seq: &mut A) -> Result<Option<Self::Value>, A::Error>;
}

impl<T: Serialize + DeserializeOwned> Plain for &Field<T> {
    type Value = T;
    fn write<S: SerializeTuple>(&self, value: &T, tuple: &mut S) -> Result<(), S::Error> {
        tuple.serialize_element(value)
    }
    fn read<'de, A: SeqAccess<'de>>(&self, seq: &mut A) -> Result<Option<T>, A::Error> {
        seq.next_element::<T>()
    }
}

/// The error for a form that ended after `read` of its `len` fields.
pub fn too_short<E: de::Error>(read: usize, len: usize, what: &'static str) -> E {
    E::invalid_length(read, &ExpectedFields(len, what))
}

struct ExpectedFields(usize, &'static str);

impl de::Expected for ExpectedFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {} fields of the cached form of {}", self.0, self.1)
    }
}

#[cfg(feature = "chrono")]
mod chrono_forms;

#[cfg(test)]
// The borrows are the dispatch (`Packed` on `Field<T>`, `Plain` on
// `&Field<T>`), not needless.
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    /// A hand-written form, as the derive writes them.
    #[derive(Debug, Clone, PartialEq)]
    struct Pair {
        name: String,
        children: Option<Vec<Pair>>,
    }

    impl CacheForm for Pair {
        fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut t = serializer.serialize_tuple(2)?;
            (&Field::<String>::new()).write(&self.name, &mut t)?;
            (&Field::<Option<Vec<Pair>>>::new()).write(&self.children, &mut t)?;
            t.end()
        }
        fn deserialize_form<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Pair;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a pair")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pair, A::Error> {
                    Ok(Pair {
                        name: (&Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| too_short(0, 2, "Pair"))?,
                        children: (&Field::<Option<Vec<Pair>>>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| too_short(1, 2, "Pair"))?,
                    })
                }
            }
            d.deserialize_tuple(2, V)
        }
    }

    #[test]
    fn nested_forms_round_trip_and_short_input_is_an_error() {
        let value = Pair {
            name: "a".into(),
            children: Some(vec![Pair {
                name: "b".into(),
                children: None,
            }]),
        };
        let bytes = rmp_serde::to_vec(&FormRef(&value)).unwrap();
        let back: Form<Pair> = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back.0, value);
        let short = rmp_serde::to_vec(&("a",)).unwrap();
        let err = rmp_serde::from_slice::<Form<Pair>>(&short).unwrap_err();
        assert!(err.to_string().contains("2 fields"), "{err}");
    }
}
