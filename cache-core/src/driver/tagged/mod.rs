//! Entries stamped with versioned tags: the invalidation protocol
//! (docs/ARCHITECTURE.md, "Tags").
//!
//! Every entry depends on a few tags. A tag's value is a random version,
//! replaced on every invalidation (random, so an evicted and re-created tag
//! never matches an old stamp). A read fetches the entry and the current
//! versions of its tags in one round trip ([`Engine::read_tagged`]); the entry
//! is valid only if the versions it was stamped with equal the current ones.
//! A miss returns the [`Stamp`] to fill with: the versions read *before* the
//! caller queries its source of truth. Writers replace the versions of what
//! they touched *after* their commit ([`Engine::bump_tags`]). A reader that
//! raced a writer can therefore only store an entry that the next reader
//! rejects.
//!
//! An entry may depend on only the first `n` of the tags it is read with
//! (a found row does not depend on the "rows were inserted" tag that a cached
//! "not found" does). An entry may also carry a soft deadline, past which it
//! is still valid but due for a refresh (serve-stale).
//!
//! [`Engine::read_tagged`]: crate::Engine::read_tagged
//! [`Engine::bump_tags`]: crate::Engine::bump_tags

mod bump;
mod fill;
mod read;

use crate::backend::Claim;
pub use crate::driver::lookup::{FillOptions, Lookup};
pub use crate::protocol::stamp::Stamp;
use crate::stats::Stats;

/// How [`Cache::read_tagged_with`](crate::Cache::read_tagged_with) reads.
#[derive(Clone, Copy)]
struct ReadHow<'a> {
    /// A claim made in the same round trip.
    claim: Option<&'a Claim<'a>>,
    /// The caller's first read (counted as a hit or a miss).
    first: bool,
    /// On a miss, create the tags found absent, for a complete stamp.
    create_missing: bool,
    /// Counters to count undecodable entries into besides the cache's own
    /// (a manager's).
    stats: Option<&'a Stats>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::cache::Cache;
    use crate::driver::cache::engine::WithEngine;
    use crate::protocol::envelope::{ENVELOPE, ENVELOPE_LZ4};
    use bytes::Bytes;
    use std::time::Duration;

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| format!("t:{n}")).collect()
    }

    fn miss(lookup: Lookup<String>) -> Stamp {
        match lookup {
            Lookup::Miss(stamp) => stamp,
            Lookup::Hit { value, .. } => panic!("expected a miss, got {value}"),
        }
    }

    fn hit(lookup: Lookup<String>) -> (String, bool) {
        match lookup {
            Lookup::Hit {
                value, refresh_due, ..
            } => (value, refresh_due),
            Lookup::Miss(_) => panic!("expected a hit"),
        }
    }

    fn opts(depends_on: usize) -> FillOptions {
        FillOptions {
            depends_on,
            ttl: None,
            soft: None,
        }
    }

    #[test]
    fn a_fill_stamped_before_a_bump_is_rejected() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row", "list"]);
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        cache.engine().bump_tags(&t[..1], None).unwrap(); // a writer commits meanwhile
        cache
            .engine()
            .fill_tagged("e", &stamp, opts(2), "old row")
            .unwrap();
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        cache
            .engine()
            .fill_tagged("e", &stamp, opts(2), "new row")
            .unwrap();
        assert_eq!(
            hit(cache.engine().read_tagged("e", &t, None).unwrap()),
            ("new row".into(), false)
        );
    }

    #[test]
    fn large_entries_are_stored_compressed_and_damaged_ones_are_misses() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let big: String = (0..5_000).map(|i| format!("row {i};")).collect();
        let stamp = miss(cache.engine().read_tagged("big", &t, None).unwrap());
        let bytes = cache
            .engine()
            .fill_tagged("big", &stamp, opts(1), &big)
            .unwrap();
        assert_eq!(bytes[1], ENVELOPE_LZ4);
        assert!(
            bytes.len() * 2 < big.len(),
            "{} of {}",
            bytes.len(),
            big.len()
        );
        let fresh = Cache::from_url("memory://").unwrap(); // no decoded value kept
        fresh.backend().set("big", bytes.clone(), None).unwrap();
        let tag_keys: Vec<&str> = t.iter().map(String::as_str).collect();
        let versions = cache.backend().read_versions("big", &tag_keys).unwrap();
        let versions: Vec<(&str, u64)> = tag_keys
            .iter()
            .zip(versions)
            .map(|(t, v)| (*t, v.unwrap()))
            .collect();
        fresh.backend().write_versions(&versions, None).unwrap();
        assert_eq!(
            hit(fresh.engine().read_tagged("big", &t, None).unwrap()).0,
            big
        );
        // A flipped byte in the compressed body: the digest catches it.
        let mut damaged = bytes.to_vec();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        fresh.backend().set("big", damaged.into(), None).unwrap();
        assert!(matches!(
            fresh
                .engine()
                .read_tagged::<String>("big", &t, None)
                .unwrap(),
            Lookup::Miss(_)
        ));
        // A small entry stays as it was.
        let small = cache
            .engine()
            .fill_tagged("small", &stamp, opts(1), "tiny")
            .unwrap();
        assert_eq!(small[1], ENVELOPE);
    }

    #[test]
    fn an_evicted_tag_never_validates_an_old_entry() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        cache
            .engine()
            .fill_tagged("e", &stamp, opts(1), "v")
            .unwrap();
        cache.backend().clear("no key starts so").unwrap(); // tags evicted, entries kept
        assert!(matches!(
            cache.engine().read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn entries_depend_only_on_their_first_tags() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row", "absent"]);
        let stamp = miss(cache.engine().read_tagged("found", &t, None).unwrap());
        cache
            .engine()
            .fill_tagged("found", &stamp, opts(1), "row")
            .unwrap();
        cache
            .engine()
            .fill_tagged("gone", &stamp, opts(2), "none")
            .unwrap();
        cache.engine().bump_tags(&t[1..], None).unwrap();
        assert!(matches!(
            cache
                .engine()
                .read_tagged::<String>("found", &t, None)
                .unwrap(),
            Lookup::Hit { .. }
        ));
        assert!(matches!(
            cache
                .engine()
                .read_tagged::<String>("gone", &t, None)
                .unwrap(),
            Lookup::Miss(_)
        ));
    }

    #[test]
    fn a_soft_deadline_marks_a_valid_entry_due() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        let soft = FillOptions {
            soft: Some(Duration::from_millis(300)),
            ..opts(1)
        };
        cache.engine().fill_tagged("e", &stamp, soft, "v").unwrap();
        assert_eq!(
            hit(cache.engine().read_tagged("e", &t, None).unwrap()),
            ("v".into(), false)
        );
        std::thread::sleep(Duration::from_millis(450));
        assert_eq!(
            hit(cache.engine().read_tagged("e", &t, None).unwrap()),
            ("v".into(), true)
        );
    }

    #[test]
    fn every_flipped_byte_and_every_copy_under_another_key_is_a_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        let row = (1i32, "title".to_owned(), 7i64);
        let bytes = cache
            .engine()
            .fill_tagged("e", &stamp, opts(1), &row)
            .unwrap();
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x80] {
                let mut flipped = bytes.to_vec();
                flipped[i] ^= bit;
                cache
                    .backend()
                    .set("e", Bytes::from(flipped), None)
                    .unwrap();
                let read = cache
                    .engine()
                    .read_tagged::<(i32, String, i64)>("e", &t, None);
                assert!(
                    matches!(read, Ok(Lookup::Miss(_))),
                    "byte {i} ^ {bit:#x}: {read:?}"
                );
            }
        }
        // The same bytes under another key whose tags hold: still a miss.
        cache.backend().set("other", bytes.clone(), None).unwrap();
        assert!(matches!(
            cache
                .engine()
                .read_tagged::<(i32, String, i64)>("other", &t, None)
                .unwrap(),
            Lookup::Miss(_)
        ));
        cache.backend().set("e", bytes, None).unwrap();
        assert_eq!(
            match cache
                .engine()
                .read_tagged::<(i32, String, i64)>("e", &t, None)
                .unwrap()
            {
                Lookup::Hit { value, .. } => value,
                Lookup::Miss(_) => panic!("the original bytes are a hit"),
            },
            row
        );
    }

    #[test]
    fn an_entry_held_decoded_as_another_type_is_a_quiet_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        let t = tags(&["row"]);
        let t: Vec<&str> = t.iter().map(String::as_str).collect();
        let stamp = miss(cache.engine().read_tagged("e", &t, None).unwrap());
        cache
            .engine()
            .fill_tagged("e", &stamp, opts(1), "v")
            .unwrap();
        let read = cache
            .engine()
            .read_tagged_shared::<String>("e", &t, None)
            .unwrap();
        assert!(matches!(read, Lookup::Hit { ref value, .. } if value == "v"));
        // Held decoded as a String now: its bytes are gone.
        assert!(matches!(
            cache
                .engine()
                .read_tagged_shared::<i64>("e", &t, None)
                .unwrap(),
            Lookup::Miss(_)
        ));
        assert!(matches!(
            cache.engine().read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        assert_eq!(cache.stats().undecodable, 0, "not damage: a miss");
    }

    #[test]
    fn garbage_under_an_entry_key_is_a_miss() {
        let cache = Cache::from_url("memory://").unwrap();
        cache
            .backend()
            .set("e", Bytes::from_static(b"\xc1\x01\x93"), None)
            .unwrap();
        let t = tags(&["row"]);
        assert!(matches!(
            cache.engine().read_tagged::<String>("e", &t, None).unwrap(),
            Lookup::Miss(_)
        ));
        assert_eq!(cache.stats().undecodable, 1);
    }
}
