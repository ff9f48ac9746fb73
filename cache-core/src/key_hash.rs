//! A key as the in-process store (`backend::memory`) holds it: a keyed 128-bit hash of its text, its
//! name's and its head's hashed apart (so that a hit by [`KeyParts`]
//! needs no key text).
//!
//! [`KeyParts`]: crate::key::KeyParts

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// A key as the store holds it: a keyed 128-bit hash of its text (xxh3
/// with secrets drawn at random per process: one for the part after the
/// key's last `:`, one for the part up to it, the two hashes XORed), 16
/// bytes in place of a `String` of ~60 and its allocation. Two keys share
/// an entry only if all 128 bits collide: one chance in 2^128 for any two
/// keys (about 10^-25 among ten million), and not a chance an outside
/// party can raise by choosing keys, as it never sees a secret or a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hashed(pub(crate) u64, pub(crate) u64);

impl Hash for Hashed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0);
    }
}

impl Hashed {
    /// The hash of `key`: that of the part after its last `:` (a key's
    /// name), mixed with that of the part up to it (its scope's head), so
    /// that a caller holding the head's hash ([`key_head_hash`]) hashes a
    /// key by its name alone ([`Hashed::of_parts`]).
    pub(crate) fn of(key: &str) -> Hashed {
        let split = key.rfind(':').map_or(0, |colon| colon + 1);
        Hashed::of_parts(key_head_hash(&key[..split]), &key[split..])
    }

    /// The hash of the key `head` + `name`, `head` ending in its last `:`
    /// and hashed to `head_hash`.
    pub(crate) fn of_parts(head_hash: u128, name: &str) -> Hashed {
        let hash =
            xxhash_rust::xxh3::xxh3_128_with_secret(name.as_bytes(), &secrets()[0]) ^ head_hash;
        Hashed(hash as u64, (hash >> 64) as u64)
    }
}

/// The process's two secrets: names', heads'.
fn secrets() -> &'static [[u8; 192]; 2] {
    static SECRETS: OnceLock<[[u8; 192]; 2]> = OnceLock::new();
    SECRETS.get_or_init(|| {
        let mut secrets = [[0u8; 192]; 2];
        for secret in &mut secrets {
            rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        }
        secrets
    })
}

/// What the in-process store makes of a key's head (the part up to and
/// with its last `:`, as [`KeyParts`] holds it).
pub(crate) fn key_head_hash(head: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_secret(head.as_bytes(), &secrets()[1])
}
