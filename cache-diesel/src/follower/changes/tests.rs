//! The tags row changes bump, checked.

use super::*;
use crate::keys::filter::value_key;
use proptest::prelude::*;

fn key(oid: u32, text: &str) -> Option<String> {
    typed(oid, text).map(|t| value_key(&t))
}

/// The stream's text of a value keys it as the reader's Rust value.
#[test]
fn the_streams_text_keys_values_as_their_rust_types_do() {
    assert_eq!(key(23, "-7").as_deref(), Some(value_key(&-7i32).as_str()));
    assert_eq!(
        key(20, "9007199254740993").as_deref(),
        Some(value_key(&9_007_199_254_740_993i64).as_str())
    );
    assert_eq!(key(16, "t").as_deref(), Some(value_key(&true).as_str()));
    assert_eq!(key(16, "f").as_deref(), Some(value_key(&false).as_str()));
    assert_eq!(
        key(25, "has null in it").as_deref(),
        Some(value_key("has null in it").as_str())
    );
    assert_eq!(
        key(1042, "ab  ").as_deref(),
        Some(value_key("ab  ").as_str())
    );
    assert_eq!(
        key(700, "0.1").as_deref(),
        Some(value_key(&0.1f32).as_str())
    );
    assert_eq!(
        key(701, "1e+20").as_deref(),
        Some(value_key(&1e20f64).as_str())
    );
    assert_eq!(
        key(701, "-0").as_deref(),
        Some(value_key(&-0.0f64).as_str())
    );
    assert_eq!(
        key(3802, r#"{"a": 1, "b": [true, null]}"#).as_deref(),
        Some(value_key(&serde_json::json!({"a": 1, "b": [true, null]})).as_str())
    );
    assert_eq!(value_key(&Typed::Null), value_key(&None::<i32>));
    assert_eq!(key(23, "x"), None, "not an integer: not keyed");
    assert_eq!(key(16, "true"), None);
    assert_eq!(key(1700, "1.50"), None, "numeric: shared");
    assert_eq!(kind(1700), Kind::Shared);
    assert_eq!(kind(790), Kind::Unknown, "money: not known");
}

/// Table `things` (replica identity full) of integers: `id`, its
/// primary key, then `columns`.
fn things(columns: &[&str]) -> Known {
    let column = |name: &str, key: bool| Column {
        key,
        name: name.into(),
        type_oid: 23,
    };
    let mut all = vec![column("id", true)];
    all.extend(columns.iter().map(|c| column(c, false)));
    let relation = Relation {
        id: 1,
        namespace: "public".into(),
        name: "things".into(),
        identity: b'f',
        columns: all,
    };
    Known::new(relation, Vec::new(), vec!["id".into()], vec!["id".into()])
}

/// A bulk write bumps its table's epoch past `ROWS_BEFORE_EPOCH` rows
/// (an outside probe: 100,000 rows made 600,000 bumps, 30 s of lag).
#[test]
fn a_bulk_write_bumps_the_epoch_past_a_bound() {
    let cache = Cache::from_url("memory://").unwrap();
    let known = things(&["grp"]);
    let mut invalidation = Invalidation::default();
    for i in 0..3 * ROWS_BEFORE_EPOCH {
        let row = vec![Value::Text(i.to_string()), Value::Text((i % 3).to_string())];
        invalidation.row_change(&cache, &known, None, Some(&row));
    }
    let epoch = table_tag(&cache, "things", TableTag::Epoch);
    assert!(invalidation.tags.contains(&epoch));
    // (Three tags a row, its id's value, member and row tags, up to
    // the bound; without it, 9,000.)
    assert!(
        (invalidation.tags.len() as u64) < 3 * ROWS_BEFORE_EPOCH + 50,
        "{} tags",
        invalidation.tags.len()
    );
    assert_eq!(invalidation.rows, 3 * ROWS_BEFORE_EPOCH);
}

/// For the id lists: an update bumps the member and changed tags of the
/// columns whose values it changed, and no other's; an insert, a delete
/// and a moved primary key bump the table's `rows` and every column's
/// member tags.
#[test]
fn member_tags_follow_the_values_that_came_or_went() {
    let cache = Cache::from_url("memory://").unwrap();
    let known = things(&["grp", "price"]);
    let row = |values: [i32; 3]| -> Tuple { values.map(|v| Value::Text(v.to_string())).to_vec() };
    let member = |column: &str, v: i32| {
        written_member_tags(&cache, "things", column, Some(&value_key(&v))).remove(0)
    };
    let changed = |column: &str| changed_tag(&cache, "things", column);
    let rows = table_tag(&cache, "things", TableTag::Rows);
    let change = |old: Option<[i32; 3]>, new: Option<[i32; 3]>| {
        let (old, new) = (old.map(row), new.map(row));
        let mut invalidation = Invalidation::default();
        let old = old.as_ref().map(|t| (OldKind::Full, t));
        invalidation.row_change(&cache, &known, old, new.as_ref());
        invalidation.tags
    };
    // A price: its values' member tags and its changed tag only.
    let tags = change(Some([1, 2, 10]), Some([1, 2, 11]));
    for tag in [member("price", 10), member("price", 11), changed("price")] {
        assert!(tags.contains(&tag), "{tag}");
    }
    for tag in [
        member("grp", 2),
        member("id", 1),
        changed("grp"),
        rows.clone(),
    ] {
        assert!(!tags.contains(&tag), "{tag}");
    }
    // A move between groups.
    let tags = change(Some([1, 2, 10]), Some([1, 3, 10]));
    assert!(tags.contains(&member("grp", 2)) && tags.contains(&member("grp", 3)));
    assert!(tags.contains(&changed("grp")) && !tags.contains(&changed("price")));
    // Rows that came or went.
    for (old, new) in [
        (None, Some([1, 2, 10])),
        (Some([1, 2, 10]), None),
        (Some([1, 2, 10]), Some([5, 2, 10])),
    ] {
        let tags = change(old, new);
        assert!(tags.contains(&rows), "{old:?} -> {new:?}");
        assert!(tags.contains(&member("grp", 2)) && tags.contains(&member("price", 10)));
    }
}

proptest! {
    #[test]
    fn integers_text_and_floats_key_as_rust_does(i in any::<i64>(), s in ".{0,20}", f in any::<f64>(), g in any::<f32>()) {
        prop_assert_eq!(key(20, &i.to_string()), Some(value_key(&i)));
        prop_assert_eq!(key(25, &s), Some(value_key(&s)));
        if f.is_finite() {
            // PostgreSQL writes the shortest text that reads back.
            prop_assert_eq!(key(701, &format!("{f:e}")), Some(value_key(&f)));
        }
        if g.is_finite() {
            prop_assert_eq!(key(700, &format!("{g}")), Some(value_key(&g)));
        }
    }
}
