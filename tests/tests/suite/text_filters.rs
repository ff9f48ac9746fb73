//! Lists filtered on a text column: precise where the database compares
//! the column's text byte for byte (PostgreSQL's `text` and `varchar` under
//! a deterministic collation, SQLite's `BINARY`), a tag shared by every
//! value where it may not (MySQL's `_ci` collations, which find `draft`,
//! `DRAFT`, `dráft` and `draft ` equal). Each case reads every list
//! through the cache and through no cache, after writes of values that
//! differ only in case, accents and trailing spaces: no stale read, on
//! every database and store, sync and async.

use crate::precise_invalidation::{is_mysql, is_postgres, precise, tracked};
use cache_diesel::{Cache, Cached};
use cache_tests::api::{Api, Products, Reads, Updates};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { text_filter_items (id) { id -> Integer, status -> Text, title -> Text } }

/// A row with a text status that lists filter on.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = text_filter_items)]
#[cache(filter(status))]
pub struct TextFilterItem {
    pub id: i32,
    pub status: String,
    pub title: String,
}

/// Spellings a collation may find equal.
const STATUSES: [&str; 7] = [
    "draft",
    "published",
    "Published",
    "PUBLISHED",
    "publishéd",
    "published ",
    "published  ",
];

fn of(status: &str) -> TextFilterItemFilter {
    TextFilterItemFilter::default().status(status.to_owned())
}

/// The ids of every status's list and its count, as `m` reads them.
fn lists<D: Api>(api: &mut D, m: &TextFilterItemCache) -> Vec<(Vec<i32>, i64)>
where
    TextFilterItem: Reads<D>,
{
    STATUSES
        .iter()
        .map(|s| {
            let rows = api.all(m, None, of(s)).unwrap();
            let ids = rows.iter().map(|r| r.id).collect();
            (ids, api.count(m, None, of(s)).unwrap())
        })
        .collect()
}

fn text_values_are_never_read_stale<D: Api>(t: &mut Products<D>)
where
    TextFilterItem: Reads<D>
        + Updates<D, diesel::dsl::Eq<text_filter_items::status, String>>
        + Updates<D, diesel::dsl::Eq<text_filter_items::title, String>>,
{
    let precise = precise(t).tracked;
    let (postgres, mysql) = (is_postgres::<D::Sync>(), is_mysql::<D::Sync>());
    let Products { api, cache, .. } = tracked(t);
    let status = if mysql {
        "VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
    } else {
        "VARCHAR(32)"
    };
    api.raw_sql(&format!(
        "CREATE TABLE text_filter_items (id INTEGER PRIMARY KEY, status {status} NOT NULL,
           title VARCHAR(64) NOT NULL)"
    ));
    api.raw_sql(
        "INSERT INTO text_filter_items VALUES (1, 'draft', 'a'), (2, 'published', 'b'),
           (3, 'Published', 'c'), (4, 'publishéd', 'd'), (5, 'published ', 'e')",
    );
    let items = TextFilterItemCache::new(cache.clone());
    let truth = TextFilterItemCache::new(Cache::from_url("dummy://").unwrap());
    let check = |api: &mut D, when: &str| {
        assert_eq!(lists(api, &items), lists(api, &truth), "{when}");
    };
    check(api, "cold");
    check(api, "warm");
    assert_eq!(
        api.counted(|api| lists(api, &items)).1,
        0,
        "every list cached"
    );

    let set = |api: &mut D, id: i32, status: &str| {
        let changes = text_filter_items::status.eq(status.to_owned());
        api.update(&items, id, changes).unwrap();
    };
    set(api, 2, "PUBLISHED");
    check(api, "case");
    set(api, 5, "published");
    check(api, "trailing spaces");
    set(api, 3, "publishéd");
    check(api, "accents");
    set(api, 1, "published  ");
    check(api, "into the others");
    set(api, 1, "draft");
    check(api, "back");

    // A write to a draft leaves the published lists cached where the
    // database compares bytes and hooks are precise; under MySQL's
    // `_ci` collation every text value shares a tag.
    lists(api, &items);
    let title = text_filter_items::title.eq(String::from("retitled"));
    api.update(&items, 1, title).unwrap();
    let published = api.counted(|api| api.all(&items, None, of("published")).unwrap());
    let byte_wise = postgres || !mysql;
    assert_eq!(published.1, usize::from(!(precise && byte_wise)));
    check(api, "a draft retitled");
}

cache_tests::matrix!(
    api Products; both_apis;
    text_values_are_never_read_stale,
);
