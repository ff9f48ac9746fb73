//! A positional form written and read by concrete code: what cache-diesel's
//! models are cached as.
//!
//! A model's cached form is the tuple of its fields. Read through serde, it
//! would need a visitor per model, and each visitor is compiled again with
//! rmp-serde's whole decoder for every deserializer it meets: the largest
//! share of what a cached model added to its user's binary. [`FormWriter`]
//! and [`FormReader`] are one concrete writer and reader instead: a model's
//! code calls them field by field, and only a field without a form of its
//! own goes through serde ([`FormWriter::plain`], [`FormReader::plain`]),
//! compiled once per field type, not per model. The bytes are MessagePack
//! (an array of the fields), the plain fields written as
//! [`super::write_named`] writes any value (structs by field name, a `Some`
//! of nil refused) and read back with the strict check
//! (`crate::strict`).

use std::fmt;

/// Why a form could not be written or read: a clear message, never a
/// panic (the driver treats it as a miss, or a fill not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(String);

impl FormError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> FormError {
        FormError(message.into())
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FormError {}

/// Appends a form's MessagePack to a buffer.
pub struct FormWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> FormWriter<'a> {
    /// A writer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> FormWriter<'a> {
        FormWriter { out }
    }

    /// The header of a tuple (or sequence) of `len` elements.
    pub fn tuple(&mut self, len: usize) -> Result<(), FormError> {
        let len = u32::try_from(len).map_err(|_| FormError::new("more than 2^32 elements"))?;
        rmp::encode::write_array_len(self.out, len).map_err(|e| FormError::new(e.to_string()))?;
        Ok(())
    }

    /// Nil (a `None`).
    pub fn nil(&mut self) {
        self.out.push(0xC0);
    }

    /// An integer, in its shortest form.
    pub fn int(&mut self, value: i64) {
        // Writing into a Vec cannot fail.
        let _ = rmp::encode::write_sint(self.out, value);
    }

    /// A boolean.
    pub fn bool(&mut self, value: bool) {
        self.out.push(if value { 0xC3 } else { 0xC2 });
    }

    /// A text.
    pub fn str(&mut self, value: &str) {
        let _ = rmp::encode::write_str(self.out, value);
    }

    /// A value written by `write` that must not be nil: the inside of a
    /// `Some`, which MessagePack could not tell from `None` if it were
    /// (`Some(None)`): refused, as [`super::write_named`] refuses it.
    pub fn some(
        &mut self,
        write: impl FnOnce(&mut FormWriter<'_>) -> Result<(), FormError>,
    ) -> Result<(), FormError> {
        let at = self.out.len();
        write(self)?;
        if self.out[at..] == [0xC0] {
            return Err(FormError::new(super::nil_in_some::REFUSED));
        }
        Ok(())
    }

    /// A value through its own `Serialize` (structs by field name).
    pub fn plain<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), FormError> {
        super::write_named(self.out, value).map_err(FormError)
    }
}

/// Reads a form's MessagePack from a slice.
pub struct FormReader<'de> {
    rest: &'de [u8],
}

impl<'de> FormReader<'de> {
    /// A reader of `bytes`.
    pub fn new(bytes: &'de [u8]) -> FormReader<'de> {
        FormReader { rest: bytes }
    }

    /// Whether every byte was read.
    pub fn is_done(&self) -> bool {
        self.rest.is_empty()
    }

    /// The header of a tuple (or sequence): its length.
    pub fn tuple(&mut self) -> Result<usize, FormError> {
        let len = rmp::decode::read_array_len(&mut self.rest)
            .map_err(|e| FormError::new(format!("not a tuple: {e}")))?;
        Ok(len as usize)
    }

    /// The header of a tuple that must have `len` elements, the cached
    /// form of `what`.
    pub fn tuple_of(&mut self, len: usize, what: &str) -> Result<(), FormError> {
        match self.tuple()? {
            n if n == len => Ok(()),
            n => Err(FormError::new(format!(
                "{n} fields where the cached form of {what} has {len}"
            ))),
        }
    }

    /// Reads a nil if one comes next.
    pub fn nil(&mut self) -> bool {
        match self.rest {
            [0xC0, rest @ ..] => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    /// Whether an array comes next.
    pub fn at_tuple(&self) -> bool {
        matches!(self.rest.first(), Some(0x90..=0x9F | 0xDC | 0xDD))
    }

    /// An integer that fits `i64`.
    pub fn int(&mut self) -> Result<i64, FormError> {
        rmp::decode::read_int(&mut self.rest)
            .map_err(|e| FormError::new(format!("not an integer: {e}")))
    }

    /// A boolean.
    pub fn bool(&mut self) -> Result<bool, FormError> {
        rmp::decode::read_bool(&mut self.rest)
            .map_err(|e| FormError::new(format!("not a boolean: {e}")))
    }

    /// A text.
    pub fn string(&mut self) -> Result<String, FormError> {
        let len = rmp::decode::read_str_len(&mut self.rest)
            .map_err(|e| FormError::new(format!("not a text: {e}")))? as usize;
        let Some((text, rest)) = self.rest.split_at_checked(len) else {
            return Err(FormError::new("a text longer than its bytes"));
        };
        let text = std::str::from_utf8(text).map_err(|e| FormError::new(e.to_string()))?;
        self.rest = rest;
        Ok(text.to_owned())
    }

    /// The next value through its own `Deserialize`, with the strict check
    /// of structs (every field named).
    pub fn plain<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, FormError> {
        let len = value_len(self.rest).ok_or_else(|| FormError::new("a value cut short"))?;
        let (value, rest) = self.rest.split_at(len);
        let value = crate::strict::from_slice(value).map_err(|e| FormError::new(e.to_string()))?;
        self.rest = rest;
        Ok(value)
    }
}

/// The length of the MessagePack value `bytes` starts with, or `None` if
/// they hold no whole value (cut short, or the never-used marker).
pub fn value_len(bytes: &[u8]) -> Option<usize> {
    let (mut at, mut pending) = (0usize, 1u64);
    while pending > 0 {
        pending -= 1;
        let marker = *bytes.get(at)?;
        let be = |from: usize, n: usize| -> Option<usize> {
            let b = bytes.get(at + from..at + from + n)?;
            Some(b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
        };
        // (bytes of this value before its elements, elements to read)
        let (head, elements): (usize, u64) = match marker {
            0x00..=0x7F | 0xE0..=0xFF | 0xC0 | 0xC2 | 0xC3 => (1, 0),
            0x80..=0x8F => (1, 2 * u64::from(marker & 0x0F)),
            0x90..=0x9F => (1, u64::from(marker & 0x0F)),
            0xA0..=0xBF => (1 + usize::from(marker & 0x1F), 0),
            0xC1 => return None,
            0xC4 | 0xD9 => (2 + be(1, 1)?, 0),
            0xC5 | 0xDA => (3 + be(1, 2)?, 0),
            0xC6 | 0xDB => (5 + be(1, 4)?, 0),
            0xC7 => (3 + be(1, 1)?, 0),
            0xC8 => (4 + be(1, 2)?, 0),
            0xC9 => (6 + be(1, 4)?, 0),
            0xCA | 0xCE | 0xD2 => (5, 0),
            0xCB | 0xCF | 0xD3 => (9, 0),
            0xCC | 0xD0 => (2, 0),
            0xCD | 0xD1 => (3, 0),
            0xD4 => (3, 0),
            0xD5 => (4, 0),
            0xD6 => (6, 0),
            0xD7 => (10, 0),
            0xD8 => (18, 0),
            0xDC => (3, be(1, 2)? as u64),
            0xDD => (5, be(1, 4)? as u64),
            0xDE => (3, 2 * be(1, 2)? as u64),
            0xDF => (5, 2 * be(1, 4)? as u64),
        };
        at = at.checked_add(head)?;
        pending += elements;
        // Every element takes a byte at least: more than the bytes left
        // cannot be whole.
        if at > bytes.len() || pending > (bytes.len() - at) as u64 {
            return None;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Unit,
        Pair(i8, String),
        Named { x: f64, tags: Vec<Option<u64>> },
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            Just(Shape::Unit),
            (any::<i8>(), ".{0,40}").prop_map(|(a, b)| Shape::Pair(a, b)),
            (
                any::<f64>(),
                proptest::collection::vec(any::<Option<u64>>(), 0..20)
            )
                .prop_map(|(x, tags)| Shape::Named { x, tags }),
        ]
    }

    type Mixed = (Vec<Shape>, Option<i64>, Vec<u8>, bool, String, i32);

    proptest! {
        /// `value_len` finds exactly the bytes rmp-serde wrote for a value
        /// (what comes after is not read), and a cut never reads as whole.
        #[test]
        fn value_len_is_what_was_written(
            value in (proptest::collection::vec(shape(), 0..8), any::<Option<i64>>(),
                proptest::collection::vec(any::<u8>(), 0..300), any::<bool>(), ".{0,300}", any::<i32>()),
            trailing in proptest::collection::vec(any::<u8>(), 0..8),
        ) {
            let mut bytes = Vec::new();
            super::super::write_named(&mut bytes, &value).unwrap();
            let len = bytes.len();
            bytes.extend_from_slice(&trailing);
            prop_assert_eq!(value_len(&bytes), Some(len));
            for cut in 0..len {
                prop_assert_eq!(value_len(&bytes[..cut]), None);
            }
            let back: Mixed = FormReader::new(&bytes).plain().unwrap();
            prop_assert_eq!(back, value);
        }

        /// Any bytes: an answer or `None`, never a panic, never past the end.
        #[test]
        fn value_len_of_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(n) = value_len(&bytes) {
                prop_assert!(n <= bytes.len());
            }
        }
    }

    #[test]
    fn a_form_round_trips_and_refuses_some_of_nil() {
        let mut out = Vec::new();
        let mut w = FormWriter::new(&mut out);
        w.tuple(5).unwrap();
        w.int(-70_000);
        w.bool(true);
        w.str("tea");
        w.nil();
        w.plain(&Some(vec![1u8, 2])).unwrap();
        assert!(w.some(|w| w.plain(&None::<i32>)).is_err());
        let mut r = FormReader::new(&out);
        r.tuple_of(5, "a test").unwrap();
        assert_eq!(r.int().unwrap(), -70_000);
        assert!(r.bool().unwrap());
        assert_eq!(r.string().unwrap(), "tea");
        assert!(r.nil());
        assert_eq!(r.plain::<Option<Vec<u8>>>().unwrap(), Some(vec![1, 2]));
        // The refused write left its nil behind; the caller drops the buffer.
        assert!(r.nil() && r.is_done());
        let err = FormReader::new(&out).tuple_of(4, "Item").unwrap_err();
        assert_eq!(
            err.to_string(),
            "5 fields where the cached form of Item has 4"
        );
    }
}
