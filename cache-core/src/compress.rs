//! Compression of large entry bodies (LZ4, through `lz4_flex`).
//!
//! A body of at least [`COMPRESS_FROM`] bytes is compressed when that saves
//! at least an eighth of it; smaller bodies, and bodies that do not shrink,
//! are stored as they are. The threshold comes from
//! `cargo run --release -p cache-programs --bin compression` (BENCHMARKS.md,
//! "Compression" and `design.compression_threshold`): compressing costs a
//! fraction of the MessagePack encode (once, on the fill) and
//! decompressing a smaller fraction of the decode (on every hit that
//! decodes). From 16 KiB the bytes a hit no longer moves pay for the
//! decompression even on loopback, and Redis holds a fraction of them;
//! below it the saving is a few microseconds either way. The largest
//! lists fit under the default `max_value_size` (1 MiB) compressed.
//!
//! The compressed form is the uncompressed length (4 bytes, little-endian)
//! and the LZ4 block. A length over [`MAX_DECOMPRESSED`] is refused before
//! anything is allocated.

/// Bodies at least this long are tried.
pub(crate) const COMPRESS_FROM: usize = 16 * 1024;

/// The largest body a compressed entry may claim (256 MiB).
pub(crate) const MAX_DECOMPRESSED: usize = 256 * 1024 * 1024;

/// The compressed form of `body`, if compressing pays.
pub(crate) fn compress(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < COMPRESS_FROM || body.len() > MAX_DECOMPRESSED {
        return None;
    }
    let packed = lz4_flex::block::compress_prepend_size(body);
    (packed.len() <= body.len() - body.len() / 8).then_some(packed)
}

/// The body in `packed`, or `None` when it is not a whole compressed body
/// or claims more than [`MAX_DECOMPRESSED`].
pub(crate) fn decompress(packed: &[u8]) -> Option<Vec<u8>> {
    let (len, _) = packed.split_first_chunk::<4>()?;
    if u32::from_le_bytes(*len) as usize > MAX_DECOMPRESSED {
        return None;
    }
    lz4_flex::block::decompress_size_prepended(packed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| {
                format!("{{id:{i},title:\"Title of product {i}\",active:true}}").into_bytes()
            })
            .collect()
    }

    #[test]
    fn large_repetitive_bodies_shrink_and_come_back_whole() {
        let body = rows(1000);
        let packed = compress(&body).expect("a large repetitive body compresses");
        assert!(
            packed.len() * 3 < body.len(),
            "{} of {}",
            packed.len(),
            body.len()
        );
        assert_eq!(decompress(&packed).unwrap(), body);
    }

    #[test]
    fn small_or_incompressible_bodies_stay_as_they_are() {
        assert!(compress(&rows(1000)[..COMPRESS_FROM - 1]).is_none());
        let noise: Vec<u8> = (0..64 * 1024).map(|_| rand::random::<u8>()).collect();
        assert!(compress(&noise).is_none(), "random bytes do not shrink");
    }

    #[test]
    fn truncated_corrupt_or_oversized_bodies_are_refused_without_panicking() {
        let packed = compress(&rows(500)).unwrap();
        for cut in [0, 3, 4, packed.len() / 2, packed.len() - 1] {
            assert_ne!(decompress(&packed[..cut]).as_deref(), Some(&rows(500)[..]));
        }
        let mut huge = packed.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decompress(&huge), None, "no 4 GiB allocation");
        let mut flipped = packed;
        for i in (4..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5a;
        }
        let _ = decompress(&flipped); // any answer but a panic
    }
}
