//! An entry's bytes (docs/ARCHITECTURE.md, "Entry bytes"), sealed and
//! opened without any I/O.
//!
//! Magic byte, format byte, an 8-byte xxh3 digest seeded by the key the
//! bytes belong under, then the MessagePack of (stamped versions, soft
//! deadline, fill time, value); from 16 KiB the MessagePack is LZ4-compressed (format
//! 6, `compress.rs`; the digest covers the stored bytes). Bytes that fail
//! the digest, do not decompress or do not decode are an error, which the
//! driver treats as a miss, never as a value. Since format 7 the soft
//! deadline is followed by the time the entry was filled (ms since the
//! epoch), from which a hit's served age is measured.
//!
//! Structs inside the value are written with their field names
//! (`codec::write_named`), so a build whose nested type orders its fields
//! differently reads them by name, and one that renamed a field cannot
//! decode them (a miss). Formats 2 and 3 were the same envelope with
//! structs as arrays: their bytes are foreign now (a miss), never read
//! positionally into a reordered struct.

use crate::codec;
use crate::protocol::stamp::{StampDigest, stamps_hold};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an entry holds: the tag versions it was stamped with, its
/// [`Times`], the value.
pub(crate) type Envelope<T> = (Vec<u64>, Times, T);

/// An entry's times, in ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Times {
    /// Past it the entry is refreshed by one caller (0: no soft timeout).
    pub(crate) soft_deadline: u64,
    /// When it was filled: a hit's served age is measured from it (the
    /// read metrics' `cache_served_age_seconds`).
    pub(crate) filled: u64,
}

/// An [`Envelope`] as an in-process store keeps it decoded: the stamps as
/// their digest ([`StampDigest`]: 8 bytes, no allocation of their own);
/// the fill time only where the metrics that read it are built.
#[repr(C)]
pub(crate) struct Opened<T> {
    pub(crate) soft_deadline: u64,
    #[cfg(feature = "metrics")]
    pub(crate) filled: u64,
    pub(crate) value: T,
    pub(crate) stamps: StampDigest,
}

impl<T> Opened<T> {
    pub(crate) fn of((stamps, times, value): Envelope<T>) -> Opened<T> {
        Opened {
            stamps: StampDigest::of(&stamps),
            soft_deadline: times.soft_deadline,
            #[cfg(feature = "metrics")]
            filled: times.filled,
            value,
        }
    }

    /// Its times (a fill time of 0, unknown, without the metrics).
    pub(crate) fn times(&self) -> Times {
        Times {
            soft_deadline: self.soft_deadline,
            #[cfg(feature = "metrics")]
            filled: self.filled,
            #[cfg(not(feature = "metrics"))]
            filled: 0,
        }
    }
}

/// The second byte of an entry's bytes, after [`codec::MAGIC`]: the
/// envelope's format (the codec's own values use [`codec::FORMAT`], 4).
/// Never a value an older build wrote (1, 2 and 3: structs as arrays; 5
/// and 6: without the fill time).
pub(crate) const ENVELOPE: u8 = 7;
/// The same envelope with its body compressed (`compress.rs`).
pub(crate) const ENVELOPE_LZ4: u8 = 8;
/// Magic, format, then the digest (8 bytes, little-endian).
const HEAD: usize = 10;

/// The digest of an entry: xxh3 of its body, seeded with the xxh3 of the
/// backend key it belongs under. Bytes that decode but are not what was
/// written under this key (a flipped byte, an entry copied under another
/// key) fail it and are a miss.
fn digest(key: &str, body: &[u8]) -> u64 {
    let seed = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
    xxhash_rust::xxh3::xxh3_64_with_seed(body, seed)
}

/// An entry's bytes: magic, format, digest, then the MessagePack of its
/// stamps, soft deadline, fill time (now) and value (structs by field
/// name), compressed
/// when large ([`ENVELOPE_LZ4`]; the digest is of the stored, compressed,
/// body).
pub(crate) fn seal<T: Serialize + ?Sized>(
    key: &str,
    stamps: &[u64],
    soft_deadline: u64,
    value: &T,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = open_seal(stamps, soft_deadline);
    codec::write_named(&mut out, value)?;
    Ok(close_seal(key, out))
}

/// What [`seal`] writes before the value (compiled once, not per value
/// type): the head, then the MessagePack array of 4 and its first three
/// elements (the stamps, the soft deadline, the fill time), as rmp-serde
/// writes the tuple.
fn open_seal(stamps: &[u64], soft_deadline: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&[codec::MAGIC, ENVELOPE]);
    out.extend_from_slice(&[0; HEAD - 2]);
    // Writing into a Vec cannot fail.
    let _ = rmp::encode::write_array_len(&mut out, 4);
    let _ = rmp::encode::write_array_len(&mut out, stamps.len() as u32);
    for &stamp in stamps {
        let _ = rmp::encode::write_uint(&mut out, stamp);
    }
    let _ = rmp::encode::write_uint(&mut out, soft_deadline);
    let _ = rmp::encode::write_uint(&mut out, now_ms());
    out
}

/// What [`seal`] does after the value: compresses a large body, writes
/// the digest.
fn close_seal(key: &str, mut out: Vec<u8>) -> Vec<u8> {
    if let Some(packed) = crate::compress::compress(&out[HEAD..]) {
        out.truncate(HEAD);
        out[1] = ENVELOPE_LZ4;
        out.extend_from_slice(&packed);
    }
    let sum = digest(key, &out[HEAD..]);
    out[2..HEAD].copy_from_slice(&sum.to_le_bytes());
    out
}

/// The envelope in an entry's bytes, if they are one, whole, written under `key`.
pub(crate) fn unseal<T: DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> std::result::Result<Envelope<T>, codec::DecodeError> {
    let (stamps, times, body, at) = open_head(key, bytes)?;
    let value = crate::strict::from_slice(&body[at..])
        .map_err(|e| codec::DecodeError::WrongType(e.to_string()))?;
    Ok((stamps, times, value))
}

/// An envelope opened up to its value: the stamps, the times, the body
/// and where the value starts in it.
type Head<'b> = (Vec<u64>, Times, Cow<'b, [u8]>, usize);

/// What [`unseal`] does before the value (compiled once): checks the
/// magic, the format and the digest, decompresses, reads the stamps and
/// the times; returns them, the body and where its value starts.
fn open_head<'b>(key: &str, bytes: &'b [u8]) -> std::result::Result<Head<'b>, codec::DecodeError> {
    let foreign = || codec::DecodeError::Foreign(bytes.iter().take(8).copied().collect());
    let [codec::MAGIC, format @ (ENVELOPE | ENVELOPE_LZ4), rest @ ..] = bytes else {
        return Err(foreign());
    };
    let (sum, body) = rest.split_first_chunk::<8>().ok_or_else(foreign)?;
    if u64::from_le_bytes(*sum) != digest(key, body) {
        return Err(codec::DecodeError::Corrupt);
    }
    let body = if *format == ENVELOPE_LZ4 {
        Cow::Owned(crate::compress::decompress(body).ok_or(codec::DecodeError::Corrupt)?)
    } else {
        Cow::Borrowed(body)
    };
    let (stamps, times, value) = split_head(&body).map_err(codec::DecodeError::WrongType)?;
    let at = body.len() - value.len();
    Ok((stamps, times, body, at))
}

/// An envelope's stamps and times, read by hand, and the bytes of
/// its value after them: only the value's decoding is compiled per type
/// (serde's visitor of the whole tuple would be, for each type cached).
fn split_head(body: &[u8]) -> std::result::Result<(Vec<u64>, Times, &[u8]), String> {
    use rmp::decode::{read_array_len, read_int};
    let mut rd = body;
    let items = read_array_len(&mut rd).map_err(|e| e.to_string())?;
    if items != 4 {
        return Err(format!("an envelope of {items} items, not 4"));
    }
    let count = read_array_len(&mut rd).map_err(|e| e.to_string())?;
    let mut stamps = Vec::with_capacity((count as usize).min(64));
    for _ in 0..count {
        stamps.push(read_int::<u64, _>(&mut rd).map_err(|e| e.to_string())?);
    }
    let soft_deadline = read_int::<u64, _>(&mut rd).map_err(|e| e.to_string())?;
    let filled = read_int::<u64, _>(&mut rd).map_err(|e| e.to_string())?;
    let times = Times {
        soft_deadline,
        filled,
    };
    Ok((stamps, times, rd))
}

/// When the entry in `bytes` (stored under `key`) was filled, if they are
/// one (its value is not decoded): what `cache-admin verify` reports as
/// a stale entry's age. `None` for bytes that are no entry of this key,
/// or an entry whose writer did not know (0).
pub fn filled_at(key: &str, bytes: &[u8]) -> Option<SystemTime> {
    let (_, times, ..) = open_head(key, bytes).ok()?;
    (times.filled != 0).then(|| UNIX_EPOCH + Duration::from_millis(times.filled))
}

/// Decodes an entry's bytes: its value and times if its stamps hold
/// against the `current` versions of the tags read.
pub(crate) fn open_bytes<T: DeserializeOwned>(
    key: &str,
    bytes: &[u8],
    current: &[Option<u64>],
) -> std::result::Result<Option<(T, Times)>, codec::DecodeError> {
    let (stamps, times, value) = unseal::<T>(key, bytes)?;
    Ok(stamps_hold(&stamps, current).then_some((value, times)))
}

/// Whether an entry with this soft deadline (0: none) is due for a refresh.
#[inline]
pub(crate) fn refresh_due(soft_deadline: u64) -> bool {
    soft_deadline != 0 && now_ms() >= soft_deadline
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The soft deadline of an entry filled now with soft lifetime `soft` (0: none).
pub(crate) fn soft_deadline(soft: Option<Duration>) -> u64 {
    soft.map_or(0, |d| {
        now_ms().saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// A nested type as one build has it.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressA {
        street: String,
        city: String,
    }

    /// The same type in the next build: its fields in the other order.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressB {
        city: String,
        street: String,
    }

    /// A build that renamed a field.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct AddressC {
        street: String,
        town: String,
    }

    fn address(i: usize) -> AddressA {
        AddressA {
            street: format!("{i} Main St"),
            city: format!("Springfield {i}"),
        }
    }

    /// A row as the derive writes it: a positional tuple, a nested struct.
    type Row<A> = (i64, A);

    #[test]
    fn a_reordered_struct_is_read_by_name_small_and_compressed() {
        for n in [1, 2_000] {
            let rows: Vec<Row<AddressA>> = (0..n).map(|i| (i as i64, address(i))).collect();
            let bytes = seal("k", &[7], 0, &rows).unwrap();
            let format = if n == 1 { ENVELOPE } else { ENVELOPE_LZ4 };
            assert_eq!(&bytes[..2], &[codec::MAGIC, format]);
            let (stamps, _, back) = unseal::<Vec<Row<AddressB>>>("k", &bytes).unwrap();
            assert_eq!(stamps, [7]);
            for ((id, a), (id_b, b)) in rows.iter().zip(&back) {
                assert_eq!(id, id_b);
                assert_eq!((&a.street, &a.city), (&b.street, &b.city), "never swapped");
            }
            assert!(
                matches!(
                    unseal::<Vec<Row<AddressC>>>("k", &bytes),
                    Err(codec::DecodeError::WrongType(_))
                ),
                "a renamed field does not decode"
            );
        }
    }

    #[test]
    fn tuples_stay_positional() {
        // The derive's top-level form is a tuple: an array, no names.
        let bytes = seal("k", &[], 0, &(1u8, "a")).unwrap();
        let body = &bytes[HEAD..];
        // [[], 0, <now: a u64>, [1, "a"]]: the envelope and the value are
        // arrays.
        assert_eq!(&body[..4], &[0x94, 0x90, 0x00, 0xcf]);
        assert_eq!(&body[12..], &[0x92, 0x01, 0xa1, b'a']);
    }

    #[test]
    fn an_entry_holds_when_it_was_filled() {
        let before = now_ms();
        let bytes = seal("k", &[3], 9, &"v").unwrap();
        let (stamps, times, value) = unseal::<String>("k", &bytes).unwrap();
        assert_eq!(
            (stamps, times.soft_deadline, value.as_str()),
            (vec![3], 9, "v")
        );
        assert!((before..=now_ms()).contains(&times.filled), "{times:?}");
    }

    /// Bytes in the envelope of formats 2 (plain) and 3 (compressed), as
    /// builds before names wrote them (structs as arrays), or of formats 5
    /// and 6 (by name, without the fill time), with a right digest.
    fn old_envelope<T: Serialize>(key: &str, value: &T, compressed: bool, named: bool) -> Vec<u8> {
        let body = if named {
            let mut body = Vec::new();
            codec::write_named(&mut body, &(&[1u64][..], 0u64, value)).unwrap();
            body
        } else {
            rmp_serde::to_vec(&(&[1u64][..], 0u64, value)).unwrap()
        };
        let (format, body) = match (compressed, named) {
            (true, false) => (3, crate::compress::compress(&body).expect("large enough")),
            (false, false) => (2, body),
            (true, true) => (6, crate::compress::compress(&body).expect("large enough")),
            (false, true) => (5, body),
        };
        let mut out = vec![codec::MAGIC, format];
        out.extend_from_slice(&digest(key, &body).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn old_formats_are_foreign() {
        let small = vec![(1i64, address(1))];
        let large: Vec<Row<AddressA>> = (0..2_000).map(|i| (i as i64, address(i))).collect();
        for bytes in [
            old_envelope("k", &small, false, false),
            old_envelope("k", &large, true, false),
            old_envelope("k", &small, false, true),
            old_envelope("k", &large, true, true),
        ] {
            for result in [
                unseal::<Vec<Row<AddressA>>>("k", &bytes).map(|_| ()),
                unseal::<Vec<Row<AddressB>>>("k", &bytes).map(|_| ()),
            ] {
                assert!(
                    matches!(result, Err(codec::DecodeError::Foreign(_))),
                    "format {}: {result:?}",
                    bytes[1]
                );
            }
        }
    }

    /// Encoded size and decode time of a list of 1,000 rows with and
    /// without a nested struct, structs by name (now) and by position
    /// (formats 1 to 3). `cargo test --release -p cache-core --lib
    /// nested_struct_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: run in release with --nocapture"]
    fn nested_struct_cost() {
        type Flat = (i64, String, String, bool, i64, i64);
        type Nested = (i64, String, String, bool, i64, i64, AddressA);
        fn median_ns(mut f: impl FnMut()) -> f64 {
            let mut samples: Vec<f64> = (0..300)
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
            let value = (&[1u64, 2, 3][..], 0u64, 0u64, rows);
            let positional = rmp_serde::to_vec(&value).unwrap();
            let mut named = Vec::new();
            codec::write_named(&mut named, &value).unwrap();
            let decode = |bytes: &[u8]| {
                median_ns(|| {
                    let v: (Vec<u64>, u64, u64, T) = rmp_serde::from_slice(bytes).unwrap();
                    std::hint::black_box(v);
                })
            };
            let (p, n) = (decode(&positional), decode(&named));
            let packed = |bytes: &[u8]| crate::compress::compress(bytes).map_or(0, |c| c.len());
            println!(
                "{name:<24} stored compressed (0: not compressed): positional {} B, named {} B",
                packed(&positional),
                packed(&named)
            );
            println!(
                "{name:<24} positional {:>7} B {:>9.0} ns   named {:>7} B {:>9.0} ns   (size x{:.2}, decode x{:.2})",
                positional.len(),
                p,
                named.len(),
                n,
                named.len() as f64 / positional.len() as f64,
                n / p
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
            .map(|(a, b, c, d, e, f)| (a, b, c, d, e, f, address(a as usize)))
            .collect();
        measure("1,000 rows, flat", &flat);
        measure("1,000 rows, nested", &nested);
        measure("1 row, nested", &nested[..1].to_vec());
    }

    /// The body with its digest, as `seal` would have written it.
    fn sealed_body(key: &str, body: &[u8]) -> Vec<u8> {
        let mut out = vec![codec::MAGIC, ENVELOPE];
        out.extend_from_slice(&digest(key, body).to_le_bytes());
        out.extend_from_slice(body);
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]

        /// The head read by hand decodes what serde's tuple did: every
        /// envelope alike, and any bytes (a body cut or changed, each with
        /// a valid digest) an error exactly where serde's was.
        #[test]
        fn the_head_read_by_hand_is_serdes_tuple(
            stamps in proptest::collection::vec(proptest::num::u64::ANY, 0..6),
            soft in proptest::num::u64::ANY,
            value in proptest::option::of(".{0,12}"),
            cut in 0usize..64,
            flip in proptest::option::of((0usize..64, proptest::num::u8::ANY)),
        ) {
            let key = "k";
            let good = seal(key, &stamps, soft, &value).unwrap();
            let (read_stamps, times, read) = unseal::<Option<String>>(key, &good).unwrap();
            proptest::prop_assert_eq!(
                (read_stamps, times.soft_deadline, read),
                (stamps.clone(), soft, value.clone())
            );
            let mut body = good[HEAD..].to_vec();
            body.truncate(body.len().saturating_sub(cut));
            if let Some((at, byte)) = flip.filter(|(at, _)| *at < body.len()) {
                body[at] = byte;
            }
            let by_serde =
                crate::strict::from_slice::<(Vec<u64>, u64, u64, Option<String>)>(&body).ok();
            let by_hand = unseal::<Option<String>>(key, &sealed_body(key, &body))
                .ok()
                .map(|(stamps, t, value)| (stamps, t.soft_deadline, t.filled, value));
            proptest::prop_assert_eq!(by_hand, by_serde);
        }
    }
}
