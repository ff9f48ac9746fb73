//! What a kept value records of the tags it was validated against: a
//! digest of their keys, in-process only (never stored, never sent).
//!
//! A tag key's hash is streamed (a word at a time, the state a few
//! integers), so that a caller holding the state after a fixed head (a
//! model's unique tag scope) hashes a key by writing only its last part:
//! the in-process hit names its row's tag without building it.

use std::sync::OnceLock;

/// The multiplier of the word mix (the golden ratio's, odd).
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// [`tag_hash`] in parts: `write` the key's bytes in any pieces, then
/// `finish`; the same bytes, the same hash, however they were split.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagHasher {
    /// The words so far, mixed.
    state: u64,
    /// The bytes after the last whole word, little-endian.
    tail: u64,
    /// How many bytes `tail` holds (0-7).
    tail_len: u32,
    /// Every byte written.
    len: u64,
}

impl Default for TagHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl TagHasher {
    /// Nothing written. The state starts from a seed drawn at random per
    /// process: the word mix is invertible, and without a secret a tag
    /// with a chosen hash could be computed.
    pub fn new() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        TagHasher {
            state: *SEED.get_or_init(|| rand::Rng::random(&mut rand::rng())),
            tail: 0,
            tail_len: 0,
            len: 0,
        }
    }

    #[inline]
    fn word(&mut self, word: u64) {
        self.state = (self.state.rotate_left(29) ^ word).wrapping_mul(K);
    }

    /// `bytes` next.
    #[inline]
    pub fn write(&mut self, bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        let mut rest = bytes;
        if self.tail_len > 0 {
            while self.tail_len < 8 {
                let Some((&byte, after)) = rest.split_first() else {
                    return;
                };
                self.tail |= u64::from(byte) << (8 * self.tail_len);
                self.tail_len += 1;
                rest = after;
            }
            let tail = std::mem::take(&mut self.tail);
            self.tail_len = 0;
            self.word(tail);
        }
        let mut words = rest.chunks_exact(8);
        for word in &mut words {
            self.word(u64::from_le_bytes(word.try_into().expect("8 bytes")));
        }
        for (i, &byte) in words.remainder().iter().enumerate() {
            self.tail |= u64::from(byte) << (8 * i);
        }
        self.tail_len = words.remainder().len() as u32;
    }

    /// The hash of every byte written, in order.
    #[inline]
    pub fn finish(&self) -> u64 {
        let mut h = (self.state.rotate_left(29) ^ self.tail).wrapping_mul(K) ^ self.len;
        // murmur3's finalizer: every bit of the input moves every bit out.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// What [`tags_digest`] makes of one tag key: a caller reading under the
/// same tags again keeps these (or a [`TagHasher`] of a key's fixed head).
#[doc(hidden)]
pub fn tag_hash(tag: &str) -> u64 {
    let mut hasher = TagHasher::new();
    hasher.write(tag.as_bytes());
    hasher.finish()
}

/// A digest of the tag keys in order: each key's [`tag_hash`], folded with
/// the count and the position (never 0: that means none). (Cheaper than a
/// streaming xxh3 over them, whose state's setup dominated: BENCHMARKS.md,
/// `design.tags_digest`.)
#[doc(hidden)]
pub fn tags_digest(tags: &[&str]) -> u64 {
    digest_of_hashes(tags.iter().map(|tag| tag_hash(tag)))
}

/// [`tags_digest`] of the tags whose [`tag_hash`]es are `hashes`.
#[doc(hidden)]
pub fn digest_of_hashes(hashes: impl ExactSizeIterator<Item = u64>) -> u64 {
    let digest = hashes.len() as u64;
    let digest = hashes.fold(digest, |digest, tag| {
        (digest.rotate_left(23) ^ tag).wrapping_mul(K)
    });
    digest.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tag_lists_that_differ_have_different_digests() {
        let lists: [&[&str]; 7] = [
            &[],
            &[""],
            &["", ""],
            &["ab", "c"],
            &["a", "bc"],
            &["c", "ab"],
            &["ab", "c", ""],
        ];
        for (i, a) in lists.iter().enumerate() {
            assert_eq!(tags_digest(a), tags_digest(a));
            for b in &lists[i + 1..] {
                assert_ne!(tags_digest(a), tags_digest(b), "{a:?} {b:?}");
            }
        }
    }

    /// Every split of a key into two, three or byte-sized writes hashes as
    /// the key written whole (a model's tag head, then the value).
    #[test]
    fn a_key_written_in_pieces_hashes_as_written_whole() {
        let keys = [
            String::new(),
            "a".to_owned(),
            "app:t:products:id:7".to_owned(),
            "app:t:products:slug:\"caf\u{e9}\"".to_owned(),
            "x".repeat(70),
        ];
        for key in &keys {
            let whole = tag_hash(key);
            let bytes = key.as_bytes();
            for i in 0..=bytes.len() {
                for j in i..=bytes.len() {
                    let mut h = TagHasher::new();
                    h.write(&bytes[..i]);
                    h.write(&bytes[i..j]);
                    h.write(&bytes[j..]);
                    assert_eq!(h.finish(), whole, "{key:?} split at {i} and {j}");
                }
            }
            let mut h = TagHasher::new();
            bytes.iter().for_each(|b| h.write(std::slice::from_ref(b)));
            assert_eq!(h.finish(), whole, "{key:?} a byte at a time");
        }
    }

    /// The keys of one family (a head and 200,000 values, a prefix of
    /// another, zero bytes at the end) hash apart.
    #[test]
    fn keys_of_one_family_hash_apart() {
        let mut seen = HashSet::new();
        for n in 0..200_000u32 {
            assert!(seen.insert(tag_hash(&format!("app:t:products:id:{n}"))));
        }
        for n in 0..16 {
            let zeros = "\0".repeat(n);
            assert!(seen.insert(tag_hash(&zeros)), "{n} zero bytes");
            if n > 0 {
                assert!(seen.insert(tag_hash(&format!("app:t:products:id:1{zeros}"))));
            }
        }
    }
}
