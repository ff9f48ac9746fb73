//! The value codec: MessagePack behind a two-byte header, with integers
//! stored as plain decimal text.
//!
//! MessagePack is compact, fast, and self-describing, so it can decode
//! `serde_json::Value` (which non-self-describing formats such as postcard
//! cannot). Integers are stored as decimal ASCII with no header so Redis
//! `INCRBY` works on them atomically and other clients can read them, as
//! django-redis does. Everything else starts with [`MAGIC`], a byte that
//! neither MessagePack nor a decimal number can start with, then the format
//! version. Bytes in any other shape are foreign: decoding them is an error,
//! which the cache turns into a logged miss.
//!
//! Structs are written as maps, with their field names ([`write_named`]):
//! two builds of a program that order a struct's fields differently decode
//! each other's values by name, and a renamed or retyped field does not
//! decode at all, never into the wrong field. Tuples (and so the models'
//! positional cache form, `cache-diesel`'s `form.rs`) stay arrays, and
//! enums are written by variant name (rmp-serde's default).

use serde::Serialize;
use serde::de::DeserializeOwned;

mod form;
mod nil_in_some;

pub use form::{FormError, FormReader, FormWriter, value_len};

/// First byte of every encoded non-integer value (MessagePack's one
/// never-used marker).
pub const MAGIC: u8 = 0xC1;
/// The format version written after [`MAGIC`]. 1 was the same MessagePack
/// with structs as arrays (positional): no longer read, so a value written
/// by a build of that format is foreign (a miss). The envelope's formats
/// (`protocol/envelope.rs`) are other values: 2 and 3 before, 5 and 6 now.
pub const FORMAT: u8 = 4;

/// Why bytes could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes were not written by this codec (or by another format version).
    #[error("not written by this codec (first bytes {0:02x?})")]
    Foreign(Vec<u8>),
    /// The bytes fail their digest: changed after they were written, or
    /// written under another key.
    #[error("corrupt: the digest does not match the key and contents")]
    Corrupt,
    /// The bytes were written by this codec for another type.
    #[error("does not decode as the requested type: {0}")]
    WrongType(String),
}

/// Encodes a value.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(64);
    out.push(MAGIC);
    out.push(FORMAT);
    write_named(&mut out, value)?;
    if let Some(text) = integer_text(&out[2..]) {
        return Ok(text.into_bytes());
    }
    Ok(out)
}

/// Appends the MessagePack of `value` to `out`, structs as maps keyed by
/// their field names (everything else as rmp-serde's default writes it);
/// refuses a value it could not give back ([`nil_in_some`]).
pub(crate) fn write_named<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), String> {
    if nil_in_some::find(value) {
        return Err(nil_in_some::REFUSED.to_owned());
    }
    let mut serializer = rmp_serde::Serializer::new(out).with_struct_map();
    value.serialize(&mut serializer).map_err(|e| e.to_string())
}

/// Decodes bytes written by [`encode`] (or a plain decimal integer, such as a
/// counter written by `INCRBY`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match bytes {
        [MAGIC, FORMAT, body @ ..] => {
            crate::strict::from_slice(body).map_err(|e| DecodeError::WrongType(e.to_string()))
        }
        [b'-' | b'0'..=b'9', ..] => {
            let packed = parse_integer(bytes).ok_or_else(|| foreign(bytes))?;
            crate::strict::from_slice(&packed).map_err(|e| DecodeError::WrongType(e.to_string()))
        }
        _ => Err(foreign(bytes)),
    }
}

/// Parses a stored counter (decimal text) as an `i64`.
pub fn decode_counter(bytes: &[u8]) -> Option<i64> {
    // By hand: tag versions are parsed on every read, and this is several
    // times cheaper than `str::parse` (same results; tested below).
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &b in digits {
        let digit = i64::from(b.wrapping_sub(b'0'));
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(digit)?
        } else {
            n.checked_add(digit)?
        };
    }
    Some(n)
}

fn foreign(bytes: &[u8]) -> DecodeError {
    DecodeError::Foreign(bytes.iter().take(8).copied().collect())
}

/// If `packed` is exactly one MessagePack integer, its decimal text.
fn integer_text(packed: &[u8]) -> Option<String> {
    let marker = *packed.first()?;
    let is_int = marker <= 0x7f || marker >= 0xe0 || (0xcc..=0xd3).contains(&marker);
    if !is_int {
        return None;
    }
    let mut rd = packed;
    let n: i128 = if (0xcc..=0xcf).contains(&marker) || marker <= 0x7f {
        rmp::decode::read_int::<u64, _>(&mut rd).ok()? as i128
    } else {
        rmp::decode::read_int::<i64, _>(&mut rd).ok()? as i128
    };
    rd.is_empty().then(|| n.to_string())
}

/// Decimal text to a packed MessagePack integer, if it is one (canonical: no
/// `+`, no leading zeros, no `-0`, so foreign text is not mistaken for ours).
fn parse_integer(text: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(text).ok()?;
    let mut out = Vec::with_capacity(9);
    if let Ok(n) = s.parse::<i64>() {
        (n.to_string() == s).then_some(())?;
        rmp::encode::write_sint(&mut out, n).ok()?;
    } else {
        let n = s.parse::<u64>().ok()?;
        (n.to_string() == s).then_some(())?;
        rmp::encode::write_uint(&mut out, n).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Id(i64);

    #[test]
    fn integers_are_decimal_text() {
        assert_eq!(encode(&42u8).unwrap(), b"42");
        assert_eq!(encode(&-7i64).unwrap(), b"-7");
        assert_eq!(encode(&u64::MAX).unwrap(), u64::MAX.to_string().as_bytes());
        assert_eq!(encode(&Id(5)).unwrap(), b"5");
        assert_eq!(encode(&Some(5)).unwrap(), b"5");
        assert_eq!(decode::<i64>(b"-7").unwrap(), -7);
        assert_eq!(
            decode::<u64>(u64::MAX.to_string().as_bytes()).unwrap(),
            u64::MAX
        );
        assert_eq!(decode::<Id>(b"5").unwrap(), Id(5));
        assert_eq!(decode::<Option<i32>>(b"5").unwrap(), Some(5));
        assert_eq!(decode::<f64>(b"3").unwrap(), 3.0);
    }

    #[test]
    fn non_integers_carry_the_header() {
        let bytes = encode("12").unwrap();
        assert_eq!(&bytes[..2], &[MAGIC, FORMAT]);
        assert_eq!(decode::<String>(&bytes).unwrap(), "12");
        let none = encode(&None::<i32>).unwrap();
        assert_eq!(decode::<Option<i32>>(&none).unwrap(), None);
        assert!(encode(&1.5f64).unwrap().starts_with(&[MAGIC]));
    }

    #[test]
    fn foreign_and_mistyped_bytes_are_errors() {
        for bad in [
            &b""[..],
            b"hello",
            b"12abc",
            b"007",
            b"-0",
            b"+1",
            &[MAGIC, 9, 1],
            &[0xff, 0],
        ] {
            assert!(decode::<i64>(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            decode::<String>(b"5"),
            Err(DecodeError::WrongType(_))
        ));
        let s = encode("text").unwrap();
        assert!(matches!(decode::<i32>(&s), Err(DecodeError::WrongType(_))));
        assert!(matches!(
            decode::<i32>(&s[..3]),
            Err(DecodeError::WrongType(_))
        ));
        assert!(decode::<u8>(b"300").is_err());
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CardA {
        first: String,
        last: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CardB {
        last: String,
        first: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CardC {
        first: String,
        surname: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CardD {
        first: String,
        last: String,
        title: String,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct CardE {
        first: String,
        last: String,
        title: Option<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum RoleA {
        Admin,
        Guest(String),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum RoleB {
        Guest(String),
        Admin,
    }

    fn ada() -> CardA {
        CardA {
            first: "Ada".into(),
            last: "Lovelace".into(),
        }
    }

    #[test]
    fn structs_are_read_by_field_name() {
        let bytes = encode(&ada()).unwrap();
        let b: CardB = decode(&bytes).unwrap();
        assert_eq!((b.first.as_str(), b.last.as_str()), ("Ada", "Lovelace"));
        let nested = encode(&vec![(1, Some(ada()))]).unwrap();
        let back: Vec<(i32, Option<CardB>)> = decode(&nested).unwrap();
        assert_eq!(back[0].1.as_ref().unwrap().first, "Ada");
        for bad in [
            decode::<CardC>(&bytes).map(|_| ()),
            decode::<CardD>(&bytes).map(|_| ()),
        ] {
            assert!(
                matches!(bad, Err(DecodeError::WrongType(_))),
                "a renamed or added field does not decode: {bad:?}"
            );
        }
        // Nor an added field serde would leave out (an `Option`, or
        // `#[serde(default)]`): decoding is strict (`strict/`).
        assert!(matches!(
            decode::<CardE>(&bytes),
            Err(DecodeError::WrongType(_))
        ));
        // Enums by variant name, whatever the order of the variants.
        for (a, b) in [
            (RoleA::Admin, RoleB::Admin),
            (RoleA::Guest("x".into()), RoleB::Guest("x".into())),
        ] {
            assert_eq!(decode::<RoleB>(&encode(&a).unwrap()).unwrap(), b);
        }
    }

    #[test]
    fn the_positional_format_is_foreign() {
        // What builds before names wrote: format 1, structs as arrays.
        let mut old = vec![MAGIC, 1];
        old.extend(rmp_serde::to_vec(&ada()).unwrap());
        assert!(matches!(
            decode::<CardA>(&old),
            Err(DecodeError::Foreign(_))
        ));
        assert!(matches!(
            decode::<CardB>(&old),
            Err(DecodeError::Foreign(_))
        ));
        let mut text = vec![MAGIC, 1];
        text.extend(rmp_serde::to_vec("text").unwrap());
        assert!(matches!(
            decode::<String>(&text),
            Err(DecodeError::Foreign(_))
        ));
        // Nor are the envelope's formats, old or new, values of the codec.
        for format in [2, 3, 5, 6] {
            let mut bytes = vec![MAGIC, format];
            bytes.extend(rmp_serde::to_vec("text").unwrap());
            assert!(decode::<String>(&bytes).is_err(), "{format}");
        }
    }

    /// Encoded then decoded: the same value, or refused; never another.
    fn same_or_refused<T>(value: T) -> bool
    where
        T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        match encode(&value) {
            Ok(bytes) => {
                assert_eq!(decode::<T>(&bytes).unwrap(), value);
                false
            }
            Err(reason) => {
                assert!(reason.contains("Some(None)"), "{reason}");
                true
            }
        }
    }

    #[test]
    fn a_some_written_as_nil_is_refused_and_every_other_option_reads_back() {
        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        struct Unit;
        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        struct Newtype(Option<i32>);
        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        struct Row {
            nickname: Option<Option<String>>,
        }
        // Read back as None before: refused.
        assert!(same_or_refused(Some(None::<String>)));
        assert!(same_or_refused(Some(())));
        assert!(same_or_refused(Some(Some(None::<i32>))));
        assert!(same_or_refused(Some(serde_json::Value::Null)));
        assert!(same_or_refused(Some(Newtype(None))));
        assert!(same_or_refused(vec![Some(None::<u8>)]));
        assert!(same_or_refused((1, Some(None::<u8>))));
        assert!(same_or_refused(Row {
            nickname: Some(None)
        }));
        // Stored, and read back as written.
        assert!(!same_or_refused(None::<Option<String>>));
        assert!(!same_or_refused(Some(Some("x".to_owned()))));
        assert!(!same_or_refused(Some(Some(Some(5)))));
        assert!(!same_or_refused(Some(Unit)));
        assert!(!same_or_refused(Some(Newtype(Some(1)))));
        assert!(!same_or_refused(Some((None::<i32>,))));
        assert!(!same_or_refused(Some(vec![None::<i32>])));
        assert!(!same_or_refused(vec![None::<u8>, Some(1)]));
        assert!(!same_or_refused(Some(serde_json::json!({"a": null}))));
        assert!(!same_or_refused(Row { nickname: None }));
        assert!(!same_or_refused(Row {
            nickname: Some(Some("n".into()))
        }));
        assert!(!same_or_refused(()));
    }

    #[test]
    fn counters_parse() {
        assert_eq!(decode_counter(b"-12"), Some(-12));
        assert_eq!(decode_counter(&encode("x").unwrap()), None);
        let max = i64::MAX.to_string();
        let min = i64::MIN.to_string();
        let over = "9223372036854775808";
        let under = "-9223372036854775809";
        for text in [
            "0", "7", "-0", "+5", "007", "", "-", "+", "1a", " 1", "1 ", "--1", "+-1", "\u{663}",
            &max, &min, over, under,
        ] {
            assert_eq!(
                decode_counter(text.as_bytes()),
                text.parse::<i64>().ok(),
                "{text:?}"
            );
        }
    }
}
