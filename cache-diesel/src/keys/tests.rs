//! The keys' unit tests: keys and tags are today's strings (a change of
//! layout is a change of every deployment's cache), never collide, and are
//! what the buffers they are written into hold.

use super::*;
use std::collections::HashSet;

/// The `Product` model of the integration tests, as its keys see it.
const HASH: &str = "c56125373413b052";

fn cache() -> Cache {
    Cache::from_url("memory://?prefix=app").unwrap()
}

fn product(cache: &Cache) -> ModelKeys {
    ModelKeys::new(cache, "product", "products", HASH, &["id", "slug"])
}

/// The hit path's keys and tags, written into buffers, are the read's.
#[test]
fn keys_written_into_buffers_are_the_built_ones() {
    let cache = cache();
    // And where another model over the table lacks `slug`: lookups by
    // it depend on its wide tag too.
    for k in [
        product(&cache),
        product(&cache).with_wide(&["slug"], &["sku"]),
    ] {
        let (mut detail, mut tag) = (String::from("old"), String::from("old"));
        // Verbatim values (the tag hashed in parts) and escaped or
        // long ones (the tag built).
        for (column, value) in [
            ("id", "7"),
            ("slug", "\"caf\u{e9}\""),
            ("slug", "\"c:{x}\""),
            ("slug", "\"#1\""),
            ("slug", &"x".repeat(300)),
        ] {
            let (parts, digest) = k
                .kept_detail_key(column, value, &mut detail, &mut tag)
                .expect("a declared column");
            let built = k.detail_key(column, value);
            match parts {
                Some(parts) => assert_eq!(parts.to_string(), built),
                None => assert_eq!(detail, built),
            }
            let plain = !value.contains([':', '{', '}', '%', '#']);
            assert_eq!(parts.is_some(), plain && value.len() < 100);
            let unique_tag = k.unique_tag(column, value);
            let tags = k.unrelated_detail_tags(column, &unique_tag);
            assert_eq!(
                digest,
                cache_core::__engine::tags_digest(&tags),
                "the kept hit's digest is the one its fill checked: {column} {value}"
            );
        }
    }
    // An undeclared column: the whole way.
    let k = product(&cache);
    let (mut detail, mut tag) = (String::new(), String::new());
    assert!(
        k.kept_detail_key("sku", "1", &mut detail, &mut tag)
            .is_none()
    );
}

#[test]
fn keys_are_todays_strings() {
    let cache = cache();
    let k = product(&cache);
    let d = "app:d:1:product:products:c56125373413b052";
    let l = "app:l:1:product:products:c56125373413b052";
    assert_eq!(k.detail_key("id", "7"), format!("{d}:id:7"));
    assert_eq!(
        k.detail_key("slug", "\"c:{x}\""),
        format!("{d}:slug:\"c:%7Bx%7D\"")
    );
    // A column that is not declared unique is keyed the same way.
    assert_eq!(k.detail_key("sku", "1"), format!("{d}:sku:1"));
    assert_eq!(k.list_key(None, ""), format!("{l}::"));
    assert_eq!(
        k.list_key(Some("act"), "is_active.eq=true"),
        format!("{l}:=act:is_active.eq=true")
    );
    assert_eq!(
        k.count_key(None, "category_id.eq=1"),
        format!("{l}::count:category_id.eq=1")
    );
    assert_eq!(k.count_key(Some("c"), ""), format!("{l}:=c:count:"));
    assert_eq!(
        k.where_key(None, "SELECT 1 -- binds: []"),
        format!("{l}::sql:SELECT 1 -- binds: []")
    );
    assert_eq!(query_key(&cache, "slugs", "", "[1]"), "app:q:1:slugs:[1]");
    assert_eq!(
        query_key(&cache, "slugs", "0123abcd", "[1]"),
        "app:q:1:slugs:0123abcd:[1]"
    );
}

#[test]
fn tags_are_todays_strings() {
    let cache = cache();
    let k = product(&cache);
    assert_eq!(all_tag(&cache), "app:t:all");
    for (tag, key) in [
        (TableTag::Epoch, "app:t:products:m:epoch"),
        (TableTag::List, "app:t:products:m:list"),
        (TableTag::Absent, "app:t:products:m:absent"),
    ] {
        assert_eq!(k.table_tag(tag), key);
        assert_eq!(table_tag(&cache, "products", tag), key);
    }
    assert_eq!(k.unique_tag("id", "7"), "app:t:products:u:id:7");
    assert_eq!(
        k.unique_tag("slug", "\"c:{x}\""),
        "app:t:products:u:slug:\"c:%7Bx%7D\""
    );
    assert_eq!(k.unique_tag("sku", "1"), "app:t:products:u:sku:1");
    assert_eq!(query_tag(&cache, "slugs"), "app:t:query:slugs");
    assert_eq!(
        k.dependency_tags(&["categories".into(), "reviews".into()]),
        [
            "app:t:categories:m:epoch",
            "app:t:categories:m:list",
            "app:t:reviews:m:epoch",
            "app:t:reviews:m:list",
        ]
    );
}

/// The tag order is part of the format too (an entry stamps the
/// versions of a prefix of its tags): these are today's lists.
#[test]
fn dependency_sets_are_todays_tag_lists() {
    let cache = cache();
    let k = product(&cache);
    let related = k.related_tags(&["categories".into()], || {}).to_vec();
    let unique = k.unique_tag("id", "7");
    let detail = k.detail_dependencies("id", &unique, &related);
    assert_eq!(
        detail.tags(),
        [
            "app:t:all",
            "app:t:products:m:epoch",
            "app:t:products:u:id:7",
            "app:t:categories:m:epoch",
            "app:t:categories:m:list",
            "app:t:products:m:absent",
        ]
    );
    assert_eq!(
        detail.depends_on(),
        DependsOn {
            found: 5,
            absent: 6
        }
    );
    // Where another model over the table does not declare `slug`, a
    // lookup by it depends on the column's wide tag, after its value's.
    let wide = product(&cache).with_wide(&["slug"], &[]);
    let unique = wide.unique_tag("slug", "\"a\"");
    assert_eq!(
        wide.detail_dependencies("slug", &unique, &related).tags(),
        [
            "app:t:all",
            "app:t:products:m:epoch",
            "app:t:products:u:slug:\"a\"",
            "app:t:products:u:slug:*",
            "app:t:categories:m:epoch",
            "app:t:categories:m:list",
            "app:t:products:m:absent",
        ]
    );
    let by_id = wide.unique_tag("id", "7");
    assert_eq!(wide.detail_dependencies("id", &by_id, &[]).tags().len(), 4);
    let list = k.list_dependencies(&[], &related);
    assert_eq!(
        list.tags(),
        [
            "app:t:all",
            "app:t:products:m:epoch",
            "app:t:products:m:list",
            "app:t:categories:m:epoch",
            "app:t:categories:m:list",
        ]
    );
    assert_eq!(
        list.depends_on(),
        DependsOn {
            found: 5,
            absent: 5
        }
    );
    let values = [
        k.value_tag("db", "category_id", "1").0,
        k.value_tag("db", "category_id", "2").0,
    ];
    let filtered = k.list_dependencies(&values, &related);
    assert_eq!(
        filtered.tags(),
        [
            "app:t:all",
            "app:t:products:m:epoch",
            "app:t:products:m:filtered",
            "app:t:~:products:f:category_id:1",
            "app:t:~:products:f:category_id:2",
            "app:t:categories:m:epoch",
            "app:t:categories:m:list",
        ]
    );
    assert_eq!(filtered.depends_on().found, 7);
    let query = QueryTags::new(&cache, "slugs", ["products"].into_iter());
    assert_eq!(
        query.dependencies().tags(),
        [
            "app:t:query:slugs",
            "app:t:all",
            "app:t:products:m:epoch",
            "app:t:products:m:list",
        ]
    );
    assert_eq!(query.dependencies().depends_on().found, 4);
}

#[test]
fn values_a_comparison_may_match_share_a_tag() {
    let cache = cache();
    let k = product(&cache);
    let tag = |v: &str| k.value_tag("db", "c", v).0;
    // Text under a case-insensitive collation: `Books` = `books`.
    assert_eq!(tag("\"Books\""), tag("\"books\""));
    assert_eq!(tag("\"Books\""), "app:t:~:products:f:c:*");
    assert_eq!(tag("-0.0"), tag("0.0"));
    // Integers, booleans, finite floats and NULL compare as their keys.
    assert_ne!(tag("1"), tag("2"));
    assert_ne!(tag("-1"), tag("1"));
    assert_ne!(tag("true"), tag("false"));
    assert_ne!(tag("1.5"), tag("1.25e-7"));
    assert_ne!(tag("null~c0"), tag("0"));
    // What a database may find equal though the keys differ: NaNs of
    // other bits (PostgreSQL), JSON documents (`jsonb`: 1.0 = 1),
    // ranges (normalized), arrays; and anything unforeseen.
    let coarse = tag("\"x\"");
    for key in [
        crate::keys::filter::value_key(&f64::NAN),
        crate::keys::filter::value_key(&f64::from_bits(0xfff8_0000_0000_0000)),
        crate::keys::filter::value_key(&f64::INFINITY),
        crate::keys::filter::value_key(&serde_json::json!({"a": 1})),
        crate::keys::filter::value_key(&serde_json::json!({"a": 1.0})),
        crate::keys::filter::value_key(&(
            std::ops::Bound::Included(1),
            std::ops::Bound::Included(3),
        )),
        crate::keys::filter::value_key(&[1u8, 2]),
        crate::keys::filter::value_key(&Some("x")),
        "".to_owned(),
        "-".to_owned(),
        "!error".to_owned(),
    ] {
        assert_eq!(tag(&key), coarse, "{key:?}");
    }
    assert_eq!(crate::keys::filter::value_key(&None::<i32>), "null~c0");
    assert_ne!(tag(&crate::keys::filter::value_key(&Some(7))), coarse);
}

#[test]
fn only_not_found_depends_on_absent() {
    let cache = cache();
    let k = product(&cache);
    let absent = k.table_tag(TableTag::Absent);
    let unique = k.unique_tag("slug", "\"a\"");
    for related in [vec![], k.dependency_tags(&["a".into(), "b".into()])] {
        let detail = k.detail_dependencies("slug", &unique, &related);
        assert!(!detail.found().contains(&absent));
        assert!(detail.absent().contains(&absent));
        // Both depend on the rest: the value looked up, its table, its relations.
        for tag in [
            k.table_tag(TableTag::Epoch),
            unique.as_str(),
            &all_tag(&cache),
        ]
        .into_iter()
        .chain(related.iter().map(String::as_str))
        {
            assert!(detail.found().contains(&tag), "{tag}");
            assert!(detail.absent().contains(&tag), "{tag}");
        }
        // cache-core counts a prefix of the tags: the sets must be prefixes.
        let on = detail.depends_on();
        assert_eq!(&detail.tags()[..on.found], detail.found());
        assert_eq!(&detail.tags()[..on.absent], detail.absent());
        let list = k.list_dependencies(&[], &related);
        assert!(!list.tags().contains(&absent));
        assert_eq!(list.found(), list.absent());
    }
}

#[test]
fn keys_never_collide() {
    let cache = cache();
    let k = product(&cache);
    let long = "v".repeat(400);
    let values = ["7", "\"7\"", "", "a:b", "%3A", "#1", "{x}", long.as_str()];
    let mut seen = HashSet::new();
    let mut all = |key: String| assert!(seen.insert(key.clone()), "{key} twice");
    for column in ["id", "slug", "a:b", "sku"] {
        for value in values {
            all(k.detail_key(column, value));
            all(k.unique_tag(column, value));
        }
    }
    let filters = [
        "",
        "is_active.eq=true",
        "order=-title",
        "limit=20",
        "a:b",
        &long,
    ];
    for suffix in [
        None,
        Some(""),
        Some("a"),
        Some("=a"),
        Some("a:b"),
        Some(&*long),
    ] {
        for filter in filters {
            all(k.list_key(suffix, filter));
            all(k.count_key(suffix, filter));
            all(k.where_key(suffix, filter));
        }
    }
    for tag in [TableTag::Epoch, TableTag::List, TableTag::Absent] {
        all(k.table_tag(tag).to_owned());
    }
    all(all_tag(&cache));
    // Another model over the table, another table under the model's key.
    let other = ModelKeys::new(&cache, "product", "items", HASH, &["id"]);
    all(other.detail_key("id", "7"));
    all(other.list_key(None, ""));
    all(other.unique_tag("id", "7"));
    let v2 = ModelKeys::new(&cache, "product", "products", "0123", &["id"]);
    all(v2.detail_key("id", "7"));
    all(v2.list_key(None, ""));
    for label in ["slugs", "products", "all", "query"] {
        all(query_key(&cache, label, "", "[1]"));
        all(query_key(&cache, label, "0123abcd", "[1]"));
        all(query_tag(&cache, label));
    }
}

#[test]
fn the_prefix_separates_caches() {
    let cache = cache();
    let by_hand = ModelKeys::new(&cache, "m", "t", "h", &["id"]);
    let other_prefix = Cache::from_url("memory://?prefix=other").unwrap();
    let elsewhere = ModelKeys::new(&other_prefix, "m", "t", "h", &["id"]);
    assert_ne!(
        by_hand.detail_key("id", "1"),
        elsewhere.detail_key("id", "1")
    );
    assert_ne!(
        by_hand.table_tag(TableTag::Epoch),
        elsewhere.table_tag(TableTag::Epoch)
    );
}
