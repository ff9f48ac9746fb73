//! Tag versions and stamps: what an entry was filled under, and whether it
//! still holds.

use serde::Serialize;

/// The tag versions current when a miss was read: what a fill is stamped with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Stamp {
    pub(crate) versions: Vec<u64>,
}

impl Stamp {
    /// The versions, in the order of the tags read.
    pub fn versions(&self) -> &[u64] {
        &self.versions
    }

    /// Whether a tag read was pending ([`is_pending`]): a write announced
    /// it is about to commit, so nothing read now may be filled (see
    /// `driver/intent.rs`).
    pub(crate) fn is_pending(&self) -> bool {
        self.versions.iter().any(|v| is_pending(*v))
    }
}

/// The version of a tag whose bump a writer announced before its commit
/// (`driver/intent.rs`): never a version [`new_version`] makes, so no entry
/// stamped before matches it, and an entry stamped with it never holds.
pub(crate) const PENDING: u64 = i64::MAX as u64;

/// The lowest of the versions that say "pending": [`PENDING`] and the
/// writer tokens ([`writer_token`]) below it. [`new_version`] makes none
/// of them.
pub(crate) const PENDING_FLOOR: u64 = PENDING - (1 << 40);

/// Whether `version` says that a write is about to commit: [`PENDING`] or
/// a writer's token. (A binary from before tokens takes a token for a
/// settled version; see `driver/write_through.rs` for what that costs.)
pub(crate) fn is_pending(version: u64) -> bool {
    (PENDING_FLOOR..=PENDING).contains(&version)
}

/// A fresh random tag version (never zero, which stands for an absent tag
/// in a stamp, nor pending; fits an `i64` so that a store can keep it
/// as plain decimal text like any counter).
pub(crate) fn new_version() -> u64 {
    rand::random_range(1..PENDING_FLOOR)
}

/// A pending version that names its writer: what a write that may put its
/// row announces under the row's own tag, so that its swap can tell its
/// own announcement from another writer's (`driver/write_through.rs`).
/// Pending to every reader, as [`PENDING`] is; never [`PENDING`] itself.
pub(crate) fn writer_token() -> u64 {
    rand::random_range(PENDING_FLOOR..PENDING)
}

/// Set in a version handed to `TagStore::write_versions` (above every
/// version [`new_version`] makes, and [`PENDING`]): write it only where the
/// tag exists, keeping the tag's lifetime (Redis's `SET .. XX KEEPTTL`).
/// A bump of a *sparse* tag (see `KeyBuilder::sparse_tag`): an absent tag
/// has no entry that validates against it (a reader creates a new random
/// version before its query), so it need not be created, and a table does
/// not keep a tag for every value ever written.
pub(crate) const IF_PRESENT: u64 = 1 << 63;

/// A version to write, and whether only where the tag exists (see
/// [`IF_PRESENT`]).
pub(crate) fn version_to_write(version: u64) -> (u64, bool) {
    (version & !IF_PRESENT, version & IF_PRESENT != 0)
}

/// A version from its stored text (`None`: not a version).
pub(crate) fn parse_version(bytes: &[u8]) -> Option<u64> {
    crate::codec::decode_counter(bytes).and_then(|v| u64::try_from(v).ok())
}

/// A version as a store keeps it: decimal text.
pub(crate) fn version_text(version: u64) -> bytes::Bytes {
    bytes::Bytes::from(version.to_string())
}

/// Whether an entry stamped with `stamps` is valid against the `current`
/// versions of the tags it was read with (it may depend on only the first
/// of them).
pub(crate) fn stamps_hold(stamps: &[u64], current: &[Option<u64>]) -> bool {
    stamps.len() <= current.len()
        && stamps
            .iter()
            .zip(current)
            .all(|(s, c)| Some(*s) == *c && !is_pending(*s))
}

/// An entry's stamps as an in-process store keeps them once decoded: a
/// keyed 63-bit digest in 8 bytes instead of a `Vec` (24 bytes, and an
/// allocation of 32) beside every kept value.
///
/// A chain over the versions in order (`h0` = a secret drawn at random per
/// process, `h(i+1)` = xxh3 of version `i` seeded with `h(i)`), so that
/// [`StampDigest::holds`] checks a prefix of the current versions as
/// [`stamps_hold`] does, trying each length. Versions are random and the
/// secret never leaves the process, so stamps that differ from the current
/// versions pass only by a coincidence of 63 bits per length tried (about
/// 10^-18 a hit checked after a bump).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StampDigest(u64);

/// Never equal to a chain's value (every one has its low bit set).
const NEVER_HOLDS: u64 = 0;

fn chain_start() -> u64 {
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SEED.get_or_init(rand::random::<u64>)
}

fn chain_next(h: u64, version: u64) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(&version.to_le_bytes(), h)
}

impl StampDigest {
    /// The digest of `stamps` (a stamp holding a pending version never
    /// holds).
    pub(crate) fn of(stamps: &[u64]) -> StampDigest {
        if stamps.iter().any(|v| is_pending(*v)) {
            return StampDigest(NEVER_HOLDS);
        }
        StampDigest(stamps.iter().fold(chain_start(), |h, v| chain_next(h, *v)) | 1)
    }

    /// [`stamps_hold`] for the stamps this digest was made of.
    pub(crate) fn holds(self, current: &[Option<u64>]) -> bool {
        if self.0 == NEVER_HOLDS {
            return false;
        }
        let mut h = chain_start();
        if h | 1 == self.0 {
            return true;
        }
        for version in current {
            match *version {
                Some(v) if !is_pending(v) => h = chain_next(h, v),
                _ => return false,
            }
            if h | 1 == self.0 {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_hold_only_against_the_same_versions() {
        assert!(stamps_hold(&[1, 2], &[Some(1), Some(2), Some(3)]));
        assert!(!stamps_hold(&[1, 2], &[Some(1), Some(4)]));
        assert!(!stamps_hold(&[1, 2], &[Some(1), None]));
        assert!(!stamps_hold(&[1, 2, 3], &[Some(1), Some(2)]));
        assert!(stamps_hold(&[], &[]));
        assert!(
            !stamps_hold(&[PENDING], &[Some(PENDING)]),
            "pending never holds"
        );
        let token = writer_token();
        assert!(
            !stamps_hold(&[token], &[Some(token)]),
            "a writer's token never holds"
        );
    }

    #[test]
    fn a_digest_of_stamps_holds_as_the_stamps_do() {
        let token = writer_token();
        let cases: [(&[u64], &[Option<u64>]); 9] = [
            (&[1, 2], &[Some(1), Some(2), Some(3)]),
            (&[1, 2], &[Some(1), Some(4)]),
            (&[1, 2], &[Some(1), None]),
            (&[1, 2, 3], &[Some(1), Some(2)]),
            (&[], &[]),
            (&[], &[Some(5)]),
            (&[PENDING], &[Some(PENDING)]),
            (&[1, token], &[Some(1), Some(token)]),
            (&[2, 1], &[Some(1), Some(2)]),
        ];
        for (stamps, current) in cases {
            assert_eq!(
                StampDigest::of(stamps).holds(current),
                stamps_hold(stamps, current),
                "{stamps:?} against {current:?}"
            );
        }
        let current: Vec<Option<u64>> = (0..5).map(|_| Some(new_version())).collect();
        let stamps: Vec<u64> = current.iter().map(|v| v.unwrap()).collect();
        assert!(StampDigest::of(&stamps).holds(&current));
        for i in 0..5 {
            let mut moved = current.clone();
            moved[i] = Some(new_version());
            assert!(!StampDigest::of(&stamps).holds(&moved), "tag {i} moved on");
        }
    }

    #[test]
    fn versions_round_trip_as_text_and_are_never_zero() {
        for _ in 0..1000 {
            let v = new_version();
            assert!(v > 0 && !is_pending(v));
            assert_eq!(parse_version(&version_text(v)), Some(v));
            let token = writer_token();
            assert!(is_pending(token) && token != PENDING);
            assert_eq!(parse_version(&version_text(token)), Some(token));
        }
        assert_eq!(parse_version(b"x"), None);
        assert_eq!(parse_version(b"-1"), None);
        assert_eq!(parse_version(&version_text(PENDING)), Some(PENDING));
    }
}
