//! Values MessagePack cannot give back: a `Some` whose value is written as
//! nil.
//!
//! rmp-serde writes `Some(x)` as `x` and `None` as nil, so `Some(None)`,
//! `Some(())` and `Some(serde_json::Value::Null)` are written as `None` is,
//! and read back as `None`: a hit that answers another value than the
//! miss did (an outside probe read `Some(None)` back as `None` from a
//! cached query returning `Option<Option<String>>`, Diesel's `optional()`
//! of a nullable column). [`find`] walks a value before it is written (no
//! allocation; a fill pays it beside its query) and names the first such
//! `Some`; [`super::write_named`] refuses the value then: the low-level
//! `set` answers [`crate::Error::Encode`], a manager's fill is not stored
//! and the read answers what the database said. A tagged encoding of every
//! `Option` would cache these too, at a byte more per `Some` and a new
//! format; refusing costs nothing where the case does not arise.

use serde::ser::{self, Impossible, Serialize, Serializer};
use std::fmt;

/// Where the walk stopped.
#[derive(Debug)]
pub(super) enum Stop {
    /// A `Some` whose value is written as nil: the value cannot be cached.
    NilInSome,
    /// (For [`IsNil`]) the value is not nil; or a `Serialize` impl failed
    /// (the real write reports it).
    Other,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::NilInSome => "a Some whose value is written as nil",
            Stop::Other => "not nil",
        })
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop::Other
    }
}

/// Whether `value` holds, at any depth, a `Some` whose value MessagePack
/// writes as nil (`Some(None)`, `Some(())`, `Some(Value::Null)`).
pub(super) fn find<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(Finder), Err(Stop::NilInSome))
}

/// The message of a value [`find`] refuses.
pub(super) const REFUSED: &str = "holds Some(x) where x is written as nil (Some(None), \
    Some(()), Some(Value::Null)), which MessagePack reads back as None: not cached (wrap \
    the inner value in a struct or a 1-tuple to cache it)";

/// Walks a value; stops at a `Some` of nil.
struct Finder;

macro_rules! nothing_to_see {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, _: $ty) -> Result<(), Stop> { Ok(()) })*
    };
}

impl Serializer for Finder {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Finder;
    type SerializeTuple = Finder;
    type SerializeTupleStruct = Finder;
    type SerializeTupleVariant = Finder;
    type SerializeMap = Finder;
    type SerializeStruct = Finder;
    type SerializeStructVariant = Finder;

    nothing_to_see! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
    }

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        if matches!(value.serialize(IsNil), Ok(true)) {
            return Err(Stop::NilInSome);
        }
        value.serialize(Finder)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(Finder)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(Finder)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_tuple(self, _: usize) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Finder, Stop> {
        Ok(Finder)
    }

    fn is_human_readable(&self) -> bool {
        // As rmp-serde's default: types that write themselves otherwise
        // when human-readable are walked as they are written.
        false
    }
}

/// The compound parts of [`Finder`]: each element walked in turn.
macro_rules! walk_elements {
    ($($trait:ident::$method:ident;)*) => {
        $(
            impl ser::$trait for Finder {
                type Ok = ();
                type Error = Stop;
                fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
                    value.serialize(Finder)
                }
                fn end(self) -> Result<(), Stop> {
                    Ok(())
                }
            }
        )*
    };
}

walk_elements! {
    SerializeSeq::serialize_element;
    SerializeTuple::serialize_element;
    SerializeTupleStruct::serialize_field;
    SerializeTupleVariant::serialize_field;
}

impl ser::SerializeMap for Finder {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        key.serialize(Finder)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        value.serialize(Finder)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStruct for Finder {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(Finder)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Finder {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(Finder)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

/// Whether a value is written as nil: `None`, `()`, or a newtype of one
/// (rmp-serde writes a newtype struct as its value). A `Some` is not: the
/// walk refuses a `Some` of nil, and any other `Some(x)` is written as `x`.
struct IsNil;

type NotNil = Impossible<bool, Stop>;

macro_rules! not_nil {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, _: $ty) -> Result<bool, Stop> { Ok(false) })*
    };
}

impl Serializer for IsNil {
    type Ok = bool;
    type Error = Stop;
    type SerializeSeq = NotNil;
    type SerializeTuple = NotNil;
    type SerializeTupleStruct = NotNil;
    type SerializeTupleVariant = NotNil;
    type SerializeMap = NotNil;
    type SerializeStruct = NotNil;
    type SerializeStructVariant = NotNil;

    not_nil! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_unit_struct(&'static str);
    }

    fn serialize_none(self) -> Result<bool, Stop> {
        Ok(true)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<bool, Stop> {
        Ok(false)
    }

    fn serialize_unit(self) -> Result<bool, Stop> {
        Ok(true)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<bool, Stop> {
        Ok(false)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool, Stop> {
        value.serialize(IsNil)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<bool, Stop> {
        Ok(false)
    }

    // Compounds are never nil: the `Err` ends the look (read as `false`).
    fn serialize_seq(self, _: Option<usize>) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_tuple(self, _: usize) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NotNil, Stop> {
        Err(Stop::Other)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}
