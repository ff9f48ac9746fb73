//! The cached form of models: how a row is laid out in the cache.
//!
//! A model's own `Serialize` is for its users (JSON for an API, say), and
//! chrono writes timestamps through it as RFC 3339 text, whose parsing is
//! most of the cost of decoding a cached list. So `#[derive(Cached)]`
//! writes a second form, `CacheForm`: the fields in declaration order (no
//! names), each through its own `Serialize`, except the types that have a
//! form of their own: integers, texts and booleans, chrono's timestamps
//! and dates (as integers, with the `chrono` feature), other cached
//! models, and `Option`s and `Vec`s of those. Every conversion is exact: a
//! value that the integer form cannot hold (a leap second, sub-microsecond
//! precision) takes a longer form rather than losing anything.
//!
//! The form is written and read by concrete code (cache-core's
//! [`FormWriter`] and [`FormReader`]), not through serde: a serde visitor
//! per model compiled rmp-serde's decoder again for every model, the
//! largest share of what a model added to its user's binary
//! (BENCHMARKS.md, `build_cost`).
//! [`Form`] and [`FormRef`] carry a `CacheForm` value through serde as one
//! MessagePack binary holding the form.

pub use cache_core::__engine::{FormError, FormReader, FormWriter};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A type with a cache-only form (written by `#[derive(Cached)]` for
/// models and records; provided for chrono types, integers, texts,
/// booleans, `Option` and `Vec`), written and read by concrete code
/// ([`FormWriter`], [`FormReader`]): no serde visitor per model.
pub trait CacheForm: Sized {
    /// Writes the cached form.
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError>;
    /// Reads what [`CacheForm::write_form`] wrote.
    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError>;
}

/// A borrowed value serialized in its cached form.
#[derive(Debug)]
pub struct FormRef<'a, T>(pub &'a T);

/// The form's bytes, as one MessagePack binary: the serde types around it
/// (the entry's envelope) see bytes, and no serializer or deserializer
/// they bring compiles a model's code again.
fn serialize_form<T: CacheForm, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let bytes = form_bytes(value).map_err(serde::ser::Error::custom)?;
    serializer.serialize_bytes(&bytes)
}

/// The form of `value` (compiled once per type, whatever the serializer).
pub(crate) fn form_bytes<T: CacheForm>(value: &T) -> Result<Vec<u8>, FormError> {
    let mut out = Vec::with_capacity(64);
    value.write_form(&mut FormWriter::new(&mut out))?;
    Ok(out)
}

impl<T: CacheForm> Serialize for FormRef<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_form(self.0, serializer)
    }
}

/// An owned value (de)serialized in its cached form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form<T>(pub T);

impl<T: CacheForm> Serialize for Form<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_form(&self.0, serializer)
    }
}

impl<'de, T: CacheForm> Deserialize<'de> for Form<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A sequence stands for the bytes only where the format has no
        // bytes (JSON): in MessagePack it is another layout's value (an
        // earlier build's array of fields or ids), never a form.
        let seq = deserializer.is_human_readable();
        let bytes = deserializer.deserialize_bytes(FormBytes { seq })?;
        read_whole(&bytes).map(Form).map_err(de::Error::custom)
    }
}

/// Reads a `T` from the whole of `bytes`.
fn read_whole<T: CacheForm>(bytes: &[u8]) -> Result<T, FormError> {
    let mut r = FormReader::new(bytes);
    let value = T::read_form(&mut r)?;
    if !r.is_done() {
        return Err(FormError::new("bytes after the cached form"));
    }
    Ok(value)
}

/// The bytes of a form (borrowed where the deserializer lends them).
struct FormBytes {
    /// Whether a sequence of bytes is accepted (see `Form::deserialize`).
    seq: bool,
}

impl<'de> Visitor<'de> for FormBytes {
    type Value = Cow<'de, [u8]>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bytes of a cached form")
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    /// Formats without bytes (JSON) write them as a sequence.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if !self.seq {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(Cow::Owned(out))
    }
}

/// A count (`Manager::count`), and an integer field.
impl CacheForm for i64 {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.int(*self);
        Ok(())
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        r.int()
    }
}

/// Integer fields narrower than `i64`, read back only when they fit.
macro_rules! narrow_ints {
    ($($t:ty),*) => {$(
        impl CacheForm for $t {
            fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
                w.int(i64::from(*self));
                Ok(())
            }

            fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
                let n = r.int()?;
                <$t>::try_from(n).map_err(|_| {
                    FormError::new(format!("{n} does not fit {}", stringify!($t)))
                })
            }
        }
    )*};
}

narrow_ints!(i16, i32);

impl CacheForm for bool {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.bool(*self);
        Ok(())
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        r.bool()
    }
}

impl CacheForm for String {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.str(self);
        Ok(())
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        r.string()
    }
}

impl<T: CacheForm> CacheForm for Option<T> {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        match self {
            Some(value) => w.some(|w| value.write_form(w)),
            None => {
                w.nil();
                Ok(())
            }
        }
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        if r.nil() {
            return Ok(None);
        }
        T::read_form(r).map(Some)
    }
}

/// `values` as a sequence (a `Vec`'s form, and `Rows`').
pub(crate) fn write_seq<T: CacheForm>(
    values: &[T],
    w: &mut FormWriter<'_>,
) -> Result<(), FormError> {
    w.tuple(values.len())?;
    values.iter().try_for_each(|value| value.write_form(w))
}

impl<T: CacheForm> CacheForm for Vec<T> {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        write_seq(self, w)
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        let len = r.tuple()?;
        // Each element takes a byte at least: no larger reservation than
        // the bytes could fill.
        let mut out = Vec::with_capacity(len.min(4096));
        for _ in 0..len {
            out.push(T::read_form(r)?);
        }
        Ok(out)
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
    fn write(&self, value: &Self::Value, w: &mut FormWriter<'_>) -> Result<(), FormError>;
    /// Reads the next element as the field.
    fn read(&self, r: &mut FormReader<'_>) -> Result<Self::Value, FormError>;
}

impl<T: CacheForm> Packed for Field<T> {
    type Value = T;
    #[inline]
    fn write(&self, value: &T, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        value.write_form(w)
    }
    #[inline]
    fn read(&self, r: &mut FormReader<'_>) -> Result<T, FormError> {
        T::read_form(r)
    }
}

/// Fields stored through their own serde impls.
pub trait Plain {
    /// The field's type.
    type Value;
    /// Writes the field as the next tuple element.
    fn write(&self, value: &Self::Value, w: &mut FormWriter<'_>) -> Result<(), FormError>;
    /// Reads the next element as the field.
    fn read(&self, r: &mut FormReader<'_>) -> Result<Self::Value, FormError>;
}

impl<T: Serialize + de::DeserializeOwned> Plain for &Field<T> {
    type Value = T;
    #[inline]
    fn write(&self, value: &T, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.plain(value)
    }
    #[inline]
    fn read(&self, r: &mut FormReader<'_>) -> Result<T, FormError> {
        r.plain()
    }
}

#[cfg(feature = "chrono")]
mod chrono_forms;

#[cfg(test)]
// The borrows are the dispatch (`Packed` on `Field<T>`, `Plain` on
// `&Field<T>`), not needless.
#[allow(clippy::needless_borrow)]
pub(crate) mod tests {
    use super::*;

    /// A hand-written form, as the derive writes them.
    #[derive(Debug, Clone, PartialEq)]
    struct Pair {
        name: String,
        children: Option<Vec<Pair>>,
        extra: (u8, Option<String>),
    }

    impl CacheForm for Pair {
        fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
            w.tuple(3)?;
            (&Field::<String>::new()).write(&self.name, w)?;
            (&Field::<Option<Vec<Pair>>>::new()).write(&self.children, w)?;
            (&Field::<(u8, Option<String>)>::new()).write(&self.extra, w)
        }
        fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
            r.tuple_of(3, "Pair")?;
            Ok(Pair {
                name: (&Field::<String>::new()).read(r)?,
                children: (&Field::<Option<Vec<Pair>>>::new()).read(r)?,
                extra: (&Field::<(u8, Option<String>)>::new()).read(r)?,
            })
        }
    }

    #[test]
    fn nested_forms_round_trip_and_short_input_is_an_error() {
        let value = Pair {
            name: "a".into(),
            children: Some(vec![Pair {
                name: "b".into(),
                children: None,
                extra: (7, None),
            }]),
            extra: (255, Some("c".into())),
        };
        let bytes = rmp_serde::to_vec(&FormRef(&value)).unwrap();
        let back: Form<Pair> = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back.0, value);
        // Through a format without bytes of its own, too.
        let json = serde_json::to_string(&FormRef(&value)).unwrap();
        assert_eq!(serde_json::from_str::<Form<Pair>>(&json).unwrap().0, value);
        let mut short = Vec::new();
        FormWriter::new(&mut short).tuple(1).unwrap();
        FormWriter::new(&mut short).str("a");
        let short = rmp_serde::to_vec(&serde_bytes_of(&short)).unwrap();
        let err = rmp_serde::from_slice::<Form<Pair>>(&short).unwrap_err();
        assert!(
            err.to_string()
                .contains("1 fields where the cached form of Pair has 3"),
            "{err}"
        );
        // A tuple where the bytes of a form belong (what an older build
        // wrote) does not decode: a miss.
        let old = rmp_serde::to_vec(&("a", (), (1, ()))).unwrap();
        assert!(rmp_serde::from_slice::<Form<Pair>>(&old).is_err());
    }

    /// `inner` as the bytes of a form (a MessagePack binary).
    pub(crate) fn as_form_bytes(inner: &[u8]) -> Vec<u8> {
        rmp_serde::to_vec(&serde_bytes_of(inner)).unwrap()
    }

    /// `bytes` as a MessagePack binary.
    fn serde_bytes_of(bytes: &[u8]) -> impl Serialize + '_ {
        struct B<'a>(&'a [u8]);
        impl Serialize for B<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        B(bytes)
    }

    #[test]
    fn some_of_nil_is_refused_and_narrow_integers_are_checked() {
        let nested: Option<Option<i64>> = Some(None);
        assert!(rmp_serde::to_vec(&FormRef(&nested)).is_err());
        let big = rmp_serde::to_vec(&FormRef(&70_000i64)).unwrap();
        assert!(rmp_serde::from_slice::<Form<i16>>(&big).is_err());
        assert_eq!(rmp_serde::from_slice::<Form<i32>>(&big).unwrap().0, 70_000);
    }
}
