//! The value key of the commonest values, written without serde_json: an
//! integer, a bool, or a string that JSON writes unescaped, through a
//! wrapper, an `Option`'s `Some` or a newtype. The bytes are exactly
//! serde_json's (`value_key_into` falls back to it for anything else), so
//! no key changes. Counted by callgrind over a loop of hot in-process
//! detail hits by integer id: the value key cost ~180 instructions through
//! serde_json (its writer, the buffer's UTF-8 check, the `null` search)
//! and ~100 here; the hit went from ~1,625 instructions to ~1,543.

use serde::Serialize;
use serde::ser::{self, Impossible};
use std::fmt;

/// Writes `value`'s JSON at the end of `out` if it is one of the plain
/// values above (`true`); else leaves `out` as it was (`false`).
pub(crate) fn write_plain<T: Serialize + ?Sized>(value: &T, out: &mut String) -> bool {
    let start = out.len();
    match value.serialize(Plain(out)) {
        Ok(()) => true,
        Err(NotPlain) => {
            out.truncate(start);
            false
        }
    }
}

/// Not a plain value: serde_json writes it.
#[derive(Debug)]
struct NotPlain;

impl fmt::Display for NotPlain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a plain value")
    }
}

impl std::error::Error for NotPlain {}

impl ser::Error for NotPlain {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotPlain
    }
}

struct Plain<'a>(&'a mut String);

impl Plain<'_> {
    fn integer(self, v: impl itoa::Integer) -> Result<(), NotPlain> {
        self.0.push_str(itoa::Buffer::new().format(v));
        Ok(())
    }
}

/// Whether serde_json writes `s` as itself between quotes: no quote,
/// backslash or control character (JSON escapes those), and no `null`,
/// which `value_key_into` follows with the value's MessagePack.
fn unescaped(s: &str) -> bool {
    !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) && !s.contains("null")
}

macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), NotPlain> {
            self.integer(v)
        })*
    };
}

/// Serializer methods that refuse their value: nothing but the scalars
/// above is plain (no float, char, bytes, unit, sequence, map, struct or
/// enum).
macro_rules! refused {
    ($($method:ident($($arg:ty),* $(,)?) -> $out:ty),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$out, NotPlain> {
            Err(NotPlain)
        })*
    };
}

impl ser::Serializer for Plain<'_> {
    type Ok = ();
    type Error = NotPlain;
    type SerializeSeq = Impossible<(), NotPlain>;
    type SerializeTuple = Impossible<(), NotPlain>;
    type SerializeTupleStruct = Impossible<(), NotPlain>;
    type SerializeTupleVariant = Impossible<(), NotPlain>;
    type SerializeMap = Impossible<(), NotPlain>;
    type SerializeStruct = Impossible<(), NotPlain>;
    type SerializeStructVariant = Impossible<(), NotPlain>;

    integers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128
    );

    fn serialize_bool(self, v: bool) -> Result<(), NotPlain> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), NotPlain> {
        if !unescaped(v) {
            return Err(NotPlain);
        }
        self.0.reserve(v.len() + 2);
        self.0.push('"');
        self.0.push_str(v);
        self.0.push('"');
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotPlain> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotPlain> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotPlain> {
        Err(NotPlain)
    }

    refused!(
        serialize_f32(f32) -> (),
        serialize_f64(f64) -> (),
        serialize_char(char) -> (),
        serialize_bytes(&[u8]) -> (),
        serialize_none() -> (),
        serialize_unit() -> (),
        serialize_unit_struct(&'static str) -> (),
        serialize_seq(Option<usize>) -> Self::SerializeSeq,
        serialize_tuple(usize) -> Self::SerializeTuple,
        serialize_map(Option<usize>) -> Self::SerializeMap,
        serialize_unit_variant(&'static str, u32, &'static str) -> (),
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct,
        serialize_tuple_variant(
            &'static str,
            u32,
            &'static str,
            usize,
        ) -> Self::SerializeTupleVariant,
        serialize_struct(&'static str, usize) -> Self::SerializeStruct,
        serialize_struct_variant(
            &'static str,
            u32,
            &'static str,
            usize,
        ) -> Self::SerializeStructVariant
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde_json's text, the slow path's first half.
    fn json<T: Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string(value).expect("JSON")
    }

    fn plain<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut out = "held:".to_owned();
        write_plain(value, &mut out).then(|| out["held:".len()..].to_owned())
    }

    #[derive(Serialize)]
    struct Wrapper(i64);

    #[test]
    fn what_is_not_plain_leaves_the_buffer_as_it_was() {
        let mut out = "held:".to_owned();
        for refused in [
            write_plain(&None::<i32>, &mut out),
            write_plain(&1.5f64, &mut out),
            write_plain(&(1, 2), &mut out),
            write_plain(&"a\"b", &mut out),
            write_plain(&"nullable", &mut out),
            write_plain(&vec![1], &mut out),
            write_plain(&'c', &mut out),
            write_plain(&(), &mut out),
        ] {
            assert!(!refused);
            assert_eq!(out, "held:");
        }
        assert_eq!(plain(&Some(Wrapper(-3))).as_deref(), Some("-3"));
        assert_eq!(plain(&true).as_deref(), Some("true"));
        assert_eq!(plain(&"tea é").as_deref(), Some("\"tea é\""));
    }

    proptest! {
        #[test]
        fn plain_integers_are_their_json(a in any::<i64>(), b in any::<u64>(), c in any::<i128>(), d in any::<i16>()) {
            prop_assert_eq!(plain(&a), Some(json(&a)));
            prop_assert_eq!(plain(&b), Some(json(&b)));
            prop_assert_eq!(plain(&c), Some(json(&c)));
            prop_assert_eq!(plain(&d), Some(json(&d)));
            prop_assert_eq!(plain(&Wrapper(a)), Some(json(&Wrapper(a))));
        }

        #[test]
        fn a_string_written_plain_is_its_json(s in "\\PC*|[a-z\"\\\\\u{0}-\u{1f}]{0,8}|.*null.*") {
            match plain(&s) {
                Some(written) => {
                    prop_assert_eq!(&written, &json(&s));
                    prop_assert!(!written.contains("null"));
                }
                None => prop_assert!(!unescaped(&s)),
            }
        }
    }
}
