//! A struct's keys read through [`KeyDe`]: the field each key names (or
//! its index) is noted in the [`Check`] before the key goes on to serde.

use super::{Check, Record};
use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// The seed of a struct's key: the key is deserialized through [`KeyDe`],
/// which notes the field it names.
pub(super) struct KeySeed<'a, S> {
    pub(super) seed: S,
    pub(super) check: &'a mut Check,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, S> {
    type Value = S::Value;

    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeyDe(d, self.check))
    }
}

/// The deserializer of a struct's key: forwards, and the value it offers
/// the visitor (a name, as bytes or text, or a field index) is noted.
pub(super) struct KeyDe<'a, D>(D, &'a mut Check);

impl<'a, D> KeyDe<'a, D> {
    #[inline]
    pub(super) fn wrap<V>(self, visitor: V) -> (D, Capture<'a, V>) {
        (
            self.0,
            Capture {
                inner: visitor,
                check: self.1,
            },
        )
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDe<'_, D> {
    type Error = D::Error;

    forward_all!();

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let (de, visitor) = self.wrap(visitor);
        de.deserialize_struct(name, fields, visitor)
    }
}

/// A key's visitor: notes the field the key names, then passes it on.
pub(super) struct Capture<'a, V> {
    inner: V,
    check: &'a mut Check,
}

macro_rules! record_none {
    ($($ty:ty),*) => {
        $(impl<V> Record<$ty> for Capture<'_, V> {})*
    };
}

record_none!(bool, i8, i16, i32, i128, u128, f32, f64, char);

macro_rules! record_index {
    ($($ty:ty),*) => {
        $(
            impl<V> Record<$ty> for Capture<'_, V> {
                #[inline]
                fn record(&mut self, v: &$ty) {
                    self.check.index(u64::from(*v));
                }
            }
        )*
    };
}

record_index!(u8, u16, u32, u64);

impl<V> Record<i64> for Capture<'_, V> {
    #[inline]
    fn record(&mut self, v: &i64) {
        if let Ok(index) = u64::try_from(*v) {
            self.check.index(index);
        }
    }
}

macro_rules! record_name {
    ($($ty:ty),*) => {
        $(
            impl<V> Record<$ty> for Capture<'_, V> {
                #[inline]
                fn record(&mut self, v: &$ty) {
                    self.check.name(AsRef::<[u8]>::as_ref(v));
                }
            }
        )*
    };
}

record_name!(&str, String, &[u8], Vec<u8>);

impl<'de, V: Visitor<'de>> Visitor<'de> for Capture<'_, V> {
    type Value = V::Value;

    plain_visits!();

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(d)
    }

    #[inline]
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(d)
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_seq(seq)
    }

    #[inline]
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(map)
    }

    #[inline]
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}
