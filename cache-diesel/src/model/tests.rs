//! `record_schema_hash`'s unit tests.

use super::{RelationKind::*, record_schema_hash};

#[test]
fn record_hashes_follow_every_relation_in_order() {
    let base = record_schema_hash("own", &[("a", One, "h1"), ("b", One, "h1")]);
    let others = [
        record_schema_hash("own", &[]),
        record_schema_hash("other", &[("a", One, "h1"), ("b", One, "h1")]),
        record_schema_hash("own", &[("b", One, "h1"), ("a", One, "h1")]),
        record_schema_hash("own", &[("a", One, "h2"), ("b", One, "h1")]),
        record_schema_hash("own", &[("a", Optional, "h1"), ("b", One, "h1")]),
        record_schema_hash("own", &[("a", Many, "h1"), ("b", One, "h1")]),
        // the separator keeps parts from running into each other
        record_schema_hash("own", &[("ab", One, "h1")]),
        record_schema_hash("own", &[("a", One, "h1b"), ("", One, "h1")]),
    ];
    for other in &others {
        assert_ne!(&base, other);
    }
    assert_eq!(
        base,
        record_schema_hash("own", &[("a", One, "h1"), ("b", One, "h1")])
    );
}
