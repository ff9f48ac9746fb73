//! The catalogue's unit tests: how a text value is named by its column's
//! comparison, read or not.

use super::*;

#[test]
fn text_is_named_as_its_column_compares_it() {
    let key = "\"draft \"";
    assert_eq!(text_name(TextCompare::Bytes, key).unwrap(), key);
    assert_eq!(text_name(TextCompare::Padded, key).unwrap(), "~\"draft\"");
    assert_eq!(text_name(TextCompare::Shared, key).unwrap(), "*");
    assert_eq!(text_name(TextCompare::Bytes, "7"), None, "not text");
    // A writer bumps every name a reader may use.
    assert_eq!(
        text_name(TextCompare::Folded, "\"Draft \"").unwrap(),
        "^\"draft\""
    );
    assert_eq!(text_name(TextCompare::Folded, "\"dráft\"").unwrap(), "*");
    assert!(is_fold(
        &text_name(TextCompare::Folded, "\"in-review_2.0\"").unwrap()
    ));
    assert!(!is_fold(
        &text_name(TextCompare::Folded, "\"Ｄraft\"").unwrap()
    ));
    assert!(!is_fold(
        &text_name(TextCompare::Padded, "\"draft\"").unwrap()
    ));
    assert!(!is_fold(UNFOLDED));
    let names = text_names(key).unwrap();
    let compares = [
        TextCompare::Bytes,
        TextCompare::Padded,
        TextCompare::Shared,
        TextCompare::Folded,
    ];
    for compare in compares {
        assert!(names.contains(&text_name(compare, key).unwrap()));
    }
    // A text without a fold bumps the lists named by folds.
    assert!(
        text_names("\"dráft\"")
            .unwrap()
            .contains(&UNFOLDED.to_owned())
    );
    assert_eq!(text_names("true"), None);
    let nullable = crate::keys::filter::value_key("nullable");
    assert_eq!(
        text_name(TextCompare::Padded, &nullable).unwrap(),
        "~\"nullable\""
    );
}

#[test]
fn an_unread_catalogue_leaves_text_shared() {
    assert_eq!(compare("a", "p", "never_read", "c"), TextCompare::Shared);
    let row = CatalogueRow {
        name: "Status".into(),
        kind: "bytes".into(),
    };
    record::<&str>(("a", "p", "read_once"), Ok(vec![row]));
    let read = |db, cache, column| compare(db, cache, "read_once", column);
    assert_eq!(read("a", "p", "status"), TextCompare::Bytes);
    assert_eq!(read("a", "p", "other"), TextCompare::Shared);
    assert_eq!(
        read("b", "p", "status"),
        TextCompare::Shared,
        "another database"
    );
    assert_eq!(
        read("a", "q", "status"),
        TextCompare::Shared,
        "another cache"
    );
    record(("a", "p", "failed"), Err::<Vec<CatalogueRow>, _>("denied"));
    assert!(learned("a", "p", "failed"));
    assert_eq!(compare("a", "p", "failed", "status"), TextCompare::Shared);
    // Past its trust, what was read counts for nothing.
    let mut map = LEARNED.write().unwrap();
    let at = &mut map.get_mut(&entry("a", "p", "read_once")).unwrap().at;
    let Some(earlier) = at.checked_sub(TRUSTED) else {
        return; // (a clock that started less than a minute ago)
    };
    *at = earlier;
    drop(map);
    assert!(!learned("a", "p", "read_once"));
    assert_eq!(read("a", "p", "status"), TextCompare::Shared);
}
