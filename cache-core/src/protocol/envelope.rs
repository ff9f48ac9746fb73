//! An entry's bytes: the envelope of DESIGN.md section 4, sealed and
//! opened without any I/O.
//!
//! Magic byte, format byte, an 8-byte xxh3 digest seeded by the key the
//! bytes belong under, then the MessagePack of (stamped versions, soft
//! deadline, value); from 16 KiB the MessagePack is LZ4-compressed (format
//! 3, `compress.rs`; the digest covers the stored bytes). Bytes that fail
//! the digest, do not decompress or do not decode are an error, which the
//! driver treats as a miss, never as a value.

use crate::codec;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an entry holds: the tag versions it was stamped with, its soft
/// deadline (ms since the epoch, 0 for none), the value.
pub(crate) type Envelope<T> = (Vec<u64>, u64, T);

/// The second byte of an entry's bytes, after [`codec::MAGIC`]: the
/// envelope's format (the codec's own values use 1).
pub(crate) const ENVELOPE: u8 = 2;
/// The same envelope with its body compressed (`compress.rs`).
pub(crate) const ENVELOPE_LZ4: u8 = 3;
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
/// stamps, soft deadline and value, compressed when large (format 3; the
/// digest is of the stored, compressed, body).
pub(crate) fn seal<T: Serialize + ?Sized>(
    key: &str,
    stamps: &[u64],
    soft_deadline: u64,
    value: &T,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&[codec::MAGIC, ENVELOPE]);
    out.extend_from_slice(&[0; HEAD - 2]);
    rmp_serde::encode::write(&mut out, &(stamps, soft_deadline, value))
        .map_err(|e| e.to_string())?;
    if let Some(packed) = crate::compress::compress(&out[HEAD..]) {
        out.truncate(HEAD);
        out[1] = ENVELOPE_LZ4;
        out.extend_from_slice(&packed);
    }
    let sum = digest(key, &out[HEAD..]);
    out[2..HEAD].copy_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// The envelope in an entry's bytes, if they are one, whole, written under `key`.
pub(crate) fn unseal<T: DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> std::result::Result<Envelope<T>, codec::DecodeError> {
    let foreign = || codec::DecodeError::Foreign(bytes.iter().take(8).copied().collect());
    let [codec::MAGIC, format @ (ENVELOPE | ENVELOPE_LZ4), rest @ ..] = bytes else {
        return Err(foreign());
    };
    let (sum, body) = rest.split_first_chunk::<8>().ok_or_else(foreign)?;
    if u64::from_le_bytes(*sum) != digest(key, body) {
        return Err(codec::DecodeError::Corrupt);
    }
    let unpacked;
    let body = if *format == ENVELOPE_LZ4 {
        unpacked = crate::compress::decompress(body).ok_or(codec::DecodeError::Corrupt)?;
        &unpacked[..]
    } else {
        body
    };
    rmp_serde::from_slice(body).map_err(|e| codec::DecodeError::WrongType(e.to_string()))
}

/// Decodes an entry's bytes: its value and soft deadline if its stamps hold.
pub(crate) fn open_bytes<T: DeserializeOwned>(
    key: &str,
    bytes: &[u8],
    holds: &dyn Fn(&[u64]) -> bool,
) -> std::result::Result<Option<(T, u64)>, codec::DecodeError> {
    let (stamps, soft_deadline, value) = unseal::<T>(key, bytes)?;
    Ok(holds(&stamps).then_some((value, soft_deadline)))
}

/// Whether an entry with this soft deadline (0: none) is due for a refresh.
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
