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

    /// Whether a tag read was [`PENDING`]: a write announced it is about to
    /// commit, so nothing read now may be filled (see `driver/intent.rs`).
    pub(crate) fn is_pending(&self) -> bool {
        self.versions.contains(&PENDING)
    }
}

/// The version of a tag whose bump a writer announced before its commit
/// (`driver/intent.rs`): never a version [`new_version`] makes, so no entry
/// stamped before matches it, and an entry stamped with it never holds.
pub(crate) const PENDING: u64 = i64::MAX as u64;

/// A fresh random tag version (never zero, which stands for an absent tag
/// in a stamp, nor [`PENDING`]; fits an `i64` so that a store can keep it
/// as plain decimal text like any counter).
pub(crate) fn new_version() -> u64 {
    rand::random_range(1..PENDING)
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
            .all(|(s, c)| Some(*s) == *c && *s != PENDING)
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
    }

    #[test]
    fn versions_round_trip_as_text_and_are_never_zero() {
        for _ in 0..1000 {
            let v = new_version();
            assert!(v > 0 && v < PENDING);
            assert_eq!(parse_version(&version_text(v)), Some(v));
        }
        assert_eq!(parse_version(b"x"), None);
        assert_eq!(parse_version(b"-1"), None);
        assert_eq!(parse_version(&version_text(PENDING)), Some(PENDING));
    }
}
