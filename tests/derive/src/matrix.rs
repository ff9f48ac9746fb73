//! Every combination of `#[derive(Cached)]` options compiles without a
//! warning (the crate denies warnings and missing docs), and works: for each, on SQLite
//! with the in-process cache, `get`, `find`, `get_by_slug` / `find_by_slug`
//! (with `unique(slug)`), `all` (and with `filter(flag)` a filtered `all`)
//! return the right records, relations included, and hit on the second read;
//! `insert`, `update` and `delete` return the rows they wrote.
//!
//! The cases: no relation, `select_related` on a non-null and on a nullable
//! foreign key, `prefetch`, and `select_related` + `prefetch` (both foreign
//! key kinds); each without options, with `unique`, with `filter`, with
//! both; and with both plus `order_by` (ordered pages, keyset, count).

use cache_diesel::{Cache, Cached, CachedModel, Manager, ModelQueries};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    /// Parents of items (`select_related(parent)`).
    mx_parents (id) {
        /// Primary key.
        id -> Integer,
        /// Name.
        name -> Text,
    }
}
diesel::table! {
    /// Items whose parent is required.
    mx_items (id) {
        /// Primary key.
        id -> Integer,
        /// Unique.
        slug -> Text,
        /// Filtered on.
        flag -> Bool,
        /// The parent.
        parent_id -> Integer,
    }
}
diesel::table! {
    /// Items whose parent may be NULL.
    mx_opt_items (id) {
        /// Primary key.
        id -> Integer,
        /// Unique.
        slug -> Text,
        /// Filtered on.
        flag -> Bool,
        /// The parent, if any.
        parent_id -> Nullable<Integer>,
    }
}
diesel::table! {
    /// Children of items of either table (`prefetch(children(Child))`).
    mx_children (id) {
        /// Primary key.
        id -> Integer,
        /// The item.
        item_id -> Integer,
        /// Label.
        label -> Text,
    }
}
diesel::joinable!(mx_items -> mx_parents (parent_id));
diesel::joinable!(mx_opt_items -> mx_parents (parent_id));
diesel::allow_tables_to_appear_in_same_query!(mx_items, mx_opt_items, mx_parents, mx_children);

/// A parent.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = mx_parents)]
pub struct Parent {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// A child of every case that prefetches `children`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(
    table_name = mx_children,
    belongs_to(Pre, foreign_key = item_id),
    belongs_to(PreU, foreign_key = item_id),
    belongs_to(PreF, foreign_key = item_id),
    belongs_to(PreUF, foreign_key = item_id),
    belongs_to(JoinedPre, foreign_key = item_id),
    belongs_to(JoinedPreU, foreign_key = item_id),
    belongs_to(JoinedPreF, foreign_key = item_id),
    belongs_to(JoinedPreUF, foreign_key = item_id),
    belongs_to(OptJoinedPre, foreign_key = item_id),
    belongs_to(OptJoinedPreU, foreign_key = item_id),
    belongs_to(OptJoinedPreF, foreign_key = item_id),
    belongs_to(OptJoinedPreUF, foreign_key = item_id)
)]
pub struct Child {
    /// Primary key.
    pub id: i32,
    /// The item.
    pub item_id: i32,
    /// Label.
    pub label: String,
}

/// One related field of a record, as text (`name`, `none`, `[labels]`).
trait Part {
    fn part(&self) -> String;
}

impl Part for Parent {
    fn part(&self) -> String {
        self.name.clone()
    }
}

impl Part for Option<Parent> {
    fn part(&self) -> String {
        self.as_ref().map_or_else(|| "none".to_owned(), Part::part)
    }
}

impl Part for Option<Vec<Child>> {
    fn part(&self) -> String {
        let labels: Vec<&str> = self.iter().flatten().map(|c| c.label.as_str()).collect();
        format!("[{}]", labels.join(","))
    }
}

/// A case: its record as text (the slug, then each related field).
trait Case: ModelQueries<SqliteConnection> + CachedModel<Id = i32> {
    /// Whether the parent key is nullable (row 2 has none).
    const NULLABLE: bool;
    /// The record's related fields, in order.
    const RELATIONS: &'static [&'static str];
    fn describe(record: &Self::Record) -> String;
}

/// What [`Case::describe`] must say of row `id`.
fn expected<M: Case>(id: i32) -> String {
    let mut parts = vec![format!("s{id}")];
    for relation in M::RELATIONS {
        parts.push(match (*relation, id) {
            ("parent", 2) if M::NULLABLE => "none".to_owned(),
            ("parent", _) => format!("p{id}"),
            (_, 1) => "[c1,c2]".to_owned(),
            _ => "[c3]".to_owned(),
        });
    }
    parts.join(" ")
}

/// Reads twice through `manager` (a key not read before): both right, the
/// first a miss, the second a hit.
fn twice<M: Case, T>(
    manager: &Manager<M>,
    read: &mut dyn FnMut() -> T,
    check: &dyn Fn(&T),
    what: &str,
) {
    let before = manager.stats();
    check(&read());
    let middle = manager.stats();
    check(&read());
    let after = manager.stats();
    let name = M::INFO.name;
    assert_eq!(
        middle.misses,
        before.misses + 1,
        "{name}: {what} first read misses"
    );
    assert_eq!(
        (after.hits, after.misses),
        (middle.hits + 1, middle.misses),
        "{name}: {what} second read hits"
    );
}

/// `get`, `find` and `all` of a case.
fn common<M: Case>(conn: &mut SqliteConnection, manager: &Manager<M>) {
    for id in [1, 2] {
        twice(
            manager,
            &mut || manager.get(conn, id).unwrap(),
            &|r| assert_eq!(M::describe(r), expected::<M>(id)),
            "get",
        );
    }
    twice(
        manager,
        &mut || manager.find(conn, 3).unwrap(),
        &|r| assert!(r.is_none()),
        "find of a missing row",
    );
    twice(
        manager,
        &mut || manager.all(conn, None, Default::default()).unwrap(),
        &|rs| {
            let all: Vec<String> = rs.iter().map(M::describe).collect();
            assert_eq!(all, [expected::<M>(1), expected::<M>(2)]);
        },
        "all",
    );
}

/// `get_by_slug` and `find_by_slug` of a case with `unique(slug)`: they
/// return the record (`<M as CachedModel>::Record`), and hit.
fn by_slug<M: Case>(
    conn: &mut SqliteConnection,
    manager: &Manager<M>,
    get: &dyn Fn(&mut SqliteConnection, String) -> M::Record,
    find: &dyn Fn(&mut SqliteConnection, String) -> Option<M::Record>,
) {
    twice(
        manager,
        &mut || get(conn, "s1".to_owned()),
        &|r| assert_eq!(M::describe(r), expected::<M>(1)),
        "get_by_slug",
    );
    twice(
        manager,
        &mut || find(conn, "s2".to_owned()),
        &|r| assert_eq!(r.as_ref().map(M::describe), Some(expected::<M>(2))),
        "find_by_slug",
    );
    twice(
        manager,
        &mut || find(conn, "s9".to_owned()),
        &|r| assert!(r.is_none()),
        "find_by_slug of a missing slug",
    );
}

/// A filtered `all` of a case with `filter(flag)`: row 1 only.
fn filtered<M: Case>(conn: &mut SqliteConnection, manager: &Manager<M>, flagged: M::Filter) {
    twice(
        manager,
        &mut || manager.all(conn, Some("flagged"), flagged.clone()).unwrap(),
        &|rs| {
            let all: Vec<String> = rs.iter().map(M::describe).collect();
            assert_eq!(all, [expected::<M>(1)]);
        },
        "filtered all",
    );
}

macro_rules! matrix {
    ($($name:ident / $cache_ty:ident ($table:ident, $fk:ty, $nullable:expr) [$($cache:tt)*] relations($($rel:ident),*) $($opt:ident)*;)*) => {
        $(
            #[doc = concat!("The `", stringify!($name), "` case: `#[cache(", stringify!($($cache)*), ")]`.")]
            #[derive(
                Debug,
                Clone,
                PartialEq,
                Queryable,
                Selectable,
                Identifiable,
                Associations,
                Serialize,
                Deserialize,
                Cached,
            )]
            #[diesel(table_name = $table, belongs_to(Parent))]
            #[cache($($cache)*)]
            pub struct $name {
                /// Primary key.
                pub id: i32,
                /// A unique slug.
                pub slug: String,
                /// A flag to filter on.
                pub flag: bool,
                /// The parent.
                pub parent_id: $fk,
            }

            impl Case for $name {
                const NULLABLE: bool = $nullable;
                const RELATIONS: &'static [&'static str] = &[$(stringify!($rel)),*];
                fn describe(record: &Self::Record) -> String {
                    let parts: Vec<String> = vec![record.slug.clone() $(, Part::part(&record.$rel))*];
                    parts.join(" ")
                }
            }
        )*

        /// Runs every case against `conn`, each with a manager of its own
        /// over `cache`.
        fn run_all(conn: &mut SqliteConnection, cache: &Cache) {
            $({
                let manager = $cache_ty::new(cache.clone());
                common::<$name>(conn, &manager);
                $( matrix!(@$opt $name, manager, conn); )*
                matrix!(@writes $name, $table, manager, conn);
            })*
        }
    };
    (@unique $name:ident, $manager:ident, $conn:ident) => {
        by_slug::<$name>(
            $conn,
            &$manager,
            &|conn, slug| -> <$name as CachedModel>::Record { $manager.get_by_slug(conn, slug).unwrap() },
            &|conn, slug| -> Option<<$name as CachedModel>::Record> { $manager.find_by_slug(conn, slug).unwrap() },
        )
    };
    (@writes $name:ident, $table:ident, $manager:ident, $conn:ident) => {{
        // The hooks return the rows they wrote; row 3 is gone again after.
        let new = ($table::id.eq(3), $table::slug.eq("s3"), $table::flag.eq(false), $table::parent_id.eq(1));
        let row: $name = $manager.insert($conn, new).unwrap();
        assert_eq!((row.id, row.slug.as_str()), (3, "s3"), "{}: insert", stringify!($name));
        let row = $manager.update($conn, 3, $table::slug.eq("s4")).unwrap();
        assert_eq!(row.as_ref().map(|r| r.slug.as_str()), Some("s4"), "{}: update", stringify!($name));
        assert_eq!($manager.update($conn, 4, $table::slug.eq("s5")).unwrap(), None);
        assert_eq!($manager.delete($conn, 3).unwrap(), row, "{}: delete", stringify!($name));
        assert_eq!($manager.delete($conn, 3).unwrap(), None);
    }};
    (@order $name:ident, $manager:ident, $conn:ident) => {{
        // Ordered by slug descending, one row a page, then the keyset's next page.
        let first = <<$name as CachedModel>::Filter>::default().order_by("-slug".parse().unwrap()).limit(1);
        let page = $manager.all($conn, None, first.clone()).unwrap();
        assert_eq!(page.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(), ["s2"], "{}: first page", stringify!($name));
        let next = first.clone().after(<$name as CachedModel>::record_model(&page[0]).into());
        let page = $manager.all($conn, None, next).unwrap();
        assert_eq!(page.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(), ["s1"], "{}: next page", stringify!($name));
        assert_eq!($manager.count($conn, None, first).unwrap(), 2, "{}: count", stringify!($name));
    }};
    (@filter $name:ident, $manager:ident, $conn:ident) => {
        filtered::<$name>($conn, &$manager, <<$name as CachedModel>::Filter>::default().flag(true))
    };
}

matrix! {
    Plain / PlainCache (mx_items, i32, false) [] relations();
    PlainU / PlainUCache (mx_items, i32, false) [unique(slug)] relations() unique;
    PlainF / PlainFCache (mx_items, i32, false) [filter(flag)] relations() filter;
    PlainUF / PlainUFCache (mx_items, i32, false) [unique(slug), filter(flag), order_by(slug)] relations() unique filter order;
    Joined / JoinedCache (mx_items, i32, false) [select_related(parent)] relations(parent);
    JoinedU / JoinedUCache (mx_items, i32, false) [select_related(parent), unique(slug)] relations(parent) unique;
    JoinedF / JoinedFCache (mx_items, i32, false) [select_related(parent), filter(flag)] relations(parent) filter;
    JoinedUF / JoinedUFCache (mx_items, i32, false) [select_related(parent), unique(slug), filter(flag), order_by(slug)] relations(parent) unique filter order;
    OptJoined / OptJoinedCache (mx_opt_items, Option<i32>, true) [select_related(parent)] relations(parent);
    OptJoinedU / OptJoinedUCache (mx_opt_items, Option<i32>, true) [select_related(parent), unique(slug)] relations(parent) unique;
    OptJoinedF / OptJoinedFCache (mx_opt_items, Option<i32>, true) [select_related(parent), filter(flag)] relations(parent) filter;
    OptJoinedUF / OptJoinedUFCache (mx_opt_items, Option<i32>, true) [select_related(parent), unique(slug), filter(flag), order_by(slug)] relations(parent) unique filter order;
    Pre / PreCache (mx_items, i32, false) [prefetch(children(Child))] relations(children);
    PreU / PreUCache (mx_items, i32, false) [prefetch(children(Child)), unique(slug)] relations(children) unique;
    PreF / PreFCache (mx_items, i32, false) [prefetch(children(Child)), filter(flag)] relations(children) filter;
    PreUF / PreUFCache (mx_items, i32, false) [prefetch(children(Child)), unique(slug), filter(flag), order_by(slug)] relations(children) unique filter order;
    JoinedPre / JoinedPreCache (mx_items, i32, false) [select_related(parent), prefetch(children(Child))] relations(parent, children);
    JoinedPreU / JoinedPreUCache (mx_items, i32, false) [select_related(parent), prefetch(children(Child)), unique(slug)] relations(parent, children) unique;
    JoinedPreF / JoinedPreFCache (mx_items, i32, false) [select_related(parent), prefetch(children(Child)), filter(flag)] relations(parent, children) filter;
    JoinedPreUF / JoinedPreUFCache (mx_items, i32, false) [select_related(parent), prefetch(children(Child)), unique(slug), filter(flag), order_by(slug)] relations(parent, children) unique filter order;
    OptJoinedPre / OptJoinedPreCache (mx_opt_items, Option<i32>, true) [select_related(parent), prefetch(children(Child))] relations(parent, children);
    OptJoinedPreU / OptJoinedPreUCache (mx_opt_items, Option<i32>, true) [select_related(parent), prefetch(children(Child)), unique(slug)] relations(parent, children) unique;
    OptJoinedPreF / OptJoinedPreFCache (mx_opt_items, Option<i32>, true) [select_related(parent), prefetch(children(Child)), filter(flag)] relations(parent, children) filter;
    OptJoinedPreUF / OptJoinedPreUFCache (mx_opt_items, Option<i32>, true) [select_related(parent), prefetch(children(Child)), unique(slug), filter(flag), order_by(slug)] relations(parent, children) unique filter order;
}

/// Runs every case on a new in-memory SQLite database with the in-process
/// cache (panics on the first wrong answer).
pub fn run() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE mx_parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE mx_items (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, flag BOOLEAN NOT NULL, parent_id INTEGER NOT NULL);
         CREATE TABLE mx_opt_items (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, flag BOOLEAN NOT NULL, parent_id INTEGER);
         CREATE TABLE mx_children (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, label TEXT NOT NULL);
         INSERT INTO mx_parents VALUES (1, 'p1'), (2, 'p2');
         INSERT INTO mx_items VALUES (1, 's1', 1, 1), (2, 's2', 0, 2);
         INSERT INTO mx_opt_items VALUES (1, 's1', 1, 1), (2, 's2', 0, NULL);
         INSERT INTO mx_children VALUES (1, 1, 'c1'), (2, 1, 'c2'), (3, 2, 'c3');",
    )
    .unwrap();
    run_all(&mut conn, &Cache::from_url("memory://").unwrap());
}
