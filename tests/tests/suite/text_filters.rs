//! Lists filtered on a text column: precise where the database compares
//! the column's text byte for byte (PostgreSQL's `text` and `varchar` under
//! a deterministic collation, SQLite's `BINARY`), folded under MySQL's
//! `general_ci` and `unicode_ci` collations (which find `draft`, `DRAFT`,
//! `dráft` and `draft ` equal: a text of ASCII letters and digits is named
//! by its lower case, every other one reaches all those lists). Each case reads every list
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
    let postgres_or_sqlite = postgres || !mysql;
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

    // A write to a draft leaves the published lists cached where hooks
    // are precise: the database compares bytes, or, under MySQL's `_ci`
    // collation, both texts have a fold (see `catalogue`); a text without
    // one reaches every list named by a fold.
    lists(api, &items);
    let title = text_filter_items::title.eq(String::from("retitled"));
    api.update(&items, 1, title).unwrap();
    let published = api.counted(|api| api.all(&items, None, of("published")).unwrap());
    assert_eq!(published.1, usize::from(!precise));
    set(api, 4, "publishéd");
    let published = api.counted(|api| api.all(&items, None, of("published")).unwrap());
    assert_eq!(published.1, usize::from(!(precise && postgres_or_sqlite)));
    check(api, "a draft retitled");
}

diesel::table! {
    collated_items (id) {
        id -> Integer,
        bin_value -> Text,
        general_value -> Text,
        unicode_value -> Text,
    }
}

/// A value under three MariaDB collations, each a list filter of its own.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = collated_items)]
#[cache(filter(bin_value, general_value, unicode_value))]
pub struct CollatedItem {
    pub id: i32,
    pub bin_value: String,
    pub general_value: String,
    pub unicode_value: String,
}

/// Strings these collations find equal though their bytes differ: case,
/// accents, trailing spaces (`PAD SPACE`, `_bin` included), `ß` (`s` under
/// `general_ci`, `ss` under `unicode_ci`), a ligature, an ignorable.
const SPELLINGS: [&str; 12] = [
    "ss",
    "ß",
    "SS",
    "s",
    "a",
    "A",
    "á",
    "a ",
    "a  ",
    "æ",
    "ae",
    "a\u{200B}",
];

type SetAll = (
    diesel::dsl::Eq<collated_items::bin_value, String>,
    diesel::dsl::Eq<collated_items::general_value, String>,
    diesel::dsl::Eq<collated_items::unicode_value, String>,
);

/// Every spelling's list under each collation, through `m`.
fn collated_lists<D: Api>(api: &mut D, m: &CollatedItemCache) -> Vec<Vec<i32>>
where
    CollatedItem: Reads<D>,
{
    let mut lists = Vec::new();
    for s in SPELLINGS {
        let s = s.to_owned();
        for filter in [
            CollatedItemFilter::default().bin_value(s.clone()),
            CollatedItemFilter::default().general_value(s.clone()),
            CollatedItemFilter::default().unicode_value(s.clone()),
        ] {
            let rows = api.all(m, None, filter).unwrap();
            lists.push(rows.iter().map(|r| r.id).collect());
        }
    }
    lists
}

/// On MariaDB, under `utf8mb4_bin` (a name per value without its trailing
/// spaces), `utf8mb4_general_ci` and `utf8mb4_unicode_ci` (a name per
/// fold, and one for every text without one): every row moved through every spelling, and after each
/// move every spelling's list under each collation, read through the
/// cache, is what the server answers. The spellings' pairs the server finds
/// equal are what a name must not tell apart.
fn mariadb_collations_never_read_stale<D: Api>(t: &mut Products<D>)
where
    CollatedItem: Reads<D> + Updates<D, SetAll>,
{
    if !is_mysql::<D::Sync>() {
        return;
    }
    let Products { api, cache, .. } = tracked(t);
    api.raw_sql(
        "CREATE TABLE collated_items (id INTEGER PRIMARY KEY,
           bin_value VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
           general_value VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
           unicode_value VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL)",
    );
    for (i, s) in SPELLINGS.iter().enumerate() {
        api.raw_sql(&format!(
            "INSERT INTO collated_items VALUES ({i}, '{s}', '{s}', '{s}')"
        ));
    }
    let items = CollatedItemCache::new(cache.clone());
    let truth = CollatedItemCache::new(Cache::from_url("dummy://").unwrap());
    collated_lists(api, &items);
    for (i, _) in SPELLINGS.iter().enumerate() {
        let to = SPELLINGS[(i * 5 + 1) % SPELLINGS.len()].to_owned();
        let set: SetAll = (
            collated_items::bin_value.eq(to.clone()),
            collated_items::general_value.eq(to.clone()),
            collated_items::unicode_value.eq(to.clone()),
        );
        api.update(&items, i as i32, set).unwrap();
        assert_eq!(
            collated_lists(api, &items),
            collated_lists(api, &truth),
            "row {i} set to {to:?}"
        );
    }
}

/// The characters of the texts sampled against the server: those a fold
/// names (ASCII letters of both cases, digits, space, `-`, `_`, `.`) and
/// others the collations may find equal to some of them.
const FOLD_ALPHABET: [char; 22] = [
    'a', 'A', 'b', 'S', 's', 'z', '0', '9', ' ', '-', '_', '.', 'á', 'ß', 'æ', 'Ａ', '\u{200B}',
    '\u{00A0}', 'ſ', 'ı', 'ǅ', 'ª',
];

/// A pair of texts the server finds equal.
#[derive(QueryableByName)]
struct EqualPair {
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    b: String,
}

/// Every pair of texts MariaDB's `general_ci` and `unicode_ci` collations
/// (of `utf8mb4` and `utf8mb3`) find equal, among random texts over
/// [`FOLD_ALPHABET`], is one where a write of either bumps a tag a list
/// of the other depends on (`catalogue`'s folds: the same fold, or one of
/// them has none); and some of those pairs are of two folded texts.
#[test]
fn every_pair_mariadb_finds_equal_reaches_the_others_lists() {
    use proptest::prelude::*;
    let columns = ["g4", "u4", "g3", "u3"];
    let ddl = "CREATE TABLE folds (id INTEGER PRIMARY KEY,
        g4 VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
        u4 VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
        g3 VARCHAR(16) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci NOT NULL,
        u3 VARCHAR(16) CHARACTER SET utf8mb3 COLLATE utf8mb3_unicode_ci NOT NULL)";
    let Some(db) = cache_tests::db::mysql_with("text_folds", &[ddl]) else {
        return;
    };
    // (The runner takes a `Fn`.)
    let db = std::cell::RefCell::new(db);
    let folded_pairs = std::cell::Cell::new(0);
    let texts =
        proptest::collection::vec(proptest::collection::vec(0..FOLD_ALPHABET.len(), 0..5), 150);
    let config = ProptestConfig {
        cases: 6,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let ran = runner.run(&texts, |texts| {
        let texts: Vec<String> = texts
            .iter()
            .map(|t| t.iter().map(|&i| FOLD_ALPHABET[i]).collect())
            .collect();
        let conn = &mut db.borrow_mut().conn;
        diesel::sql_query("DELETE FROM folds")
            .execute(conn)
            .unwrap();
        // (No quote nor backslash in the alphabet: inlined as they are.)
        let rows: Vec<String> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| format!("({i}, '{t}', '{t}', '{t}', '{t}')"))
            .collect();
        let insert = format!("INSERT INTO folds VALUES {}", rows.join(", "));
        diesel::sql_query(insert).execute(conn).unwrap();
        for column in columns {
            let pairs: Vec<EqualPair> = diesel::sql_query(format!(
                "SELECT x.{column} AS a, y.{column} AS b FROM folds x
                   JOIN folds y ON x.{column} = y.{column} AND x.id < y.id"
            ))
            .load(conn)
            .unwrap();
            for EqualPair { a, b } in pairs {
                let reaches = cache_diesel::__private::folded_write_reaches;
                prop_assert!(
                    reaches(&a, &b),
                    "{column}: a write of {b:?} misses {a:?}'s lists"
                );
                prop_assert!(
                    reaches(&b, &a),
                    "{column}: a write of {a:?} misses {b:?}'s lists"
                );
                let plain = |t: &str| t.chars().all(|c| c.is_ascii() && c != '\u{200B}');
                let both = plain(&a) && plain(&b) && a != b;
                folded_pairs.set(folded_pairs.get() + usize::from(both));
            }
        }
        Ok(())
    });
    ran.unwrap();
    assert!(
        folded_pairs.get() > 0,
        "no pair of folded texts was sampled"
    );
}

diesel::table! { int_named_items (id) { id -> Integer, name -> Text } }

/// A text field over a SQLite column whose type name holds `INT` (integer
/// affinity, whatever else it holds: `'01'` is stored as `1`).
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = int_named_items)]
#[cache(filter(name))]
pub struct IntNamedItem {
    pub id: i32,
    pub name: String,
}

/// A row of [`IntNamedItem`] to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = int_named_items)]
pub struct NewIntNamedItem {
    pub name: String,
}

/// On SQLite, a column of type `TEXT_INT` has integer affinity (SQLite
/// looks for `INT` first): `'01'`, `'1.0'` and `' 1'` all select a row
/// inserted as `'01'`, so such a column's text shares one tag (an outside
/// probe found the lists of the other spellings stale when it was taken
/// for a byte-wise one).
fn a_sqlite_column_of_integer_affinity_shares_its_tag<D: Api>(t: &mut Products<D>)
where
    IntNamedItem: Reads<D> + cache_tests::api::Inserts<D, NewIntNamedItem>,
{
    if is_postgres::<D::Sync>() || is_mysql::<D::Sync>() {
        return;
    }
    let Products { api, cache, .. } = tracked(t);
    api.raw_sql("CREATE TABLE int_named_items (id INTEGER PRIMARY KEY, name TEXT_INT NOT NULL)");
    let items = IntNamedItemCache::new(cache.clone());
    let spellings = ["01", "1.0", " 1", "1"];
    let read = |api: &mut D| -> Vec<usize> {
        let of = |s: &str| IntNamedItemFilter::default().name(s.to_owned());
        spellings
            .iter()
            .map(|s| api.all(&items, None, of(s)).unwrap().len())
            .collect()
    };
    read(api);
    read(api);
    let new = NewIntNamedItem { name: "01".into() };
    api.insert(&items, new).unwrap();
    assert_eq!(read(api), [1, 1, 1, 1]);
}

cache_tests::matrix!(
    api Products; both_apis;
    text_values_are_never_read_stale,
    mariadb_collations_never_read_stale,
    a_sqlite_column_of_integer_affinity_shares_its_tag,
);
