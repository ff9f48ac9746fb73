//! What separates two models' entries in the cache: models that share a
//! `key = ".."` and their fields but not their table (the table's SQL name
//! is in every key), and records whose related models or relation order
//! differ (the record's schema hash folds in its relations' names, in
//! order, and the related models' own schema hashes). On SQLite + memory
//! and on PostgreSQL + Redis (where bytes under a shared key would decode
//! as the other layout).

use cache_diesel::{Cache, CachedModel, Manager};
use cache_tests::db::TestDb;
use diesel::prelude::*;

/// Two models with one cache key and one set of fields, over two tables.
mod twins {
    use cache_diesel::Cached;
    use diesel::prelude::*;
    use serde::{Deserialize, Serialize};

    diesel::table! { twins_a (id) { id -> Integer, name -> Text, } }
    diesel::table! { twins_b (id) { id -> Integer, name -> Text, } }

    /// A row of `twins_a`.
    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
    #[diesel(table_name = twins_a)]
    #[cache(key = "twin")]
    pub struct TwinA {
        pub id: i32,
        pub name: String,
    }

    /// A row of `twins_b`: the same key and fields as [`TwinA`].
    #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
    #[diesel(table_name = twins_b)]
    #[cache(key = "twin")]
    pub struct TwinB {
        pub id: i32,
        pub name: String,
    }

    pub const DDL: &str = "CREATE TABLE twins_a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE twins_b (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO twins_a VALUES (1, 'from a');
        INSERT INTO twins_b VALUES (1, 'from b');";
}

/// Two records of one table and key that join the same two same-shaped
/// models, in opposite orders.
mod order {
    use cache_diesel::Cached;
    use diesel::prelude::*;
    use serde::{Deserialize, Serialize};

    diesel::table! { ord_posts (id) { id -> Integer, author_id -> Integer, editor_id -> Integer, } }
    diesel::table! { ord_authors (id) { id -> Integer, name -> Text, } }
    diesel::table! { ord_editors (id) { id -> Integer, name -> Text, } }
    diesel::joinable!(ord_posts -> ord_authors (author_id));
    diesel::joinable!(ord_posts -> ord_editors (editor_id));
    diesel::allow_tables_to_appear_in_same_query!(ord_posts, ord_authors, ord_editors);

    /// An author.
    #[derive(
        Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
    )]
    #[diesel(table_name = ord_authors)]
    pub struct Author {
        pub id: i32,
        pub name: String,
    }

    /// An editor: the same fields as [`Author`], so the same schema hash.
    #[derive(
        Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
    )]
    #[diesel(table_name = ord_editors)]
    pub struct Editor {
        pub id: i32,
        pub name: String,
    }

    /// A post joining its author, then its editor.
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
    #[diesel(table_name = ord_posts, belongs_to(Author), belongs_to(Editor))]
    #[cache(key = "ord_post", select_related(author, editor))]
    pub struct AuthorFirst {
        pub id: i32,
        pub author_id: i32,
        pub editor_id: i32,
    }

    /// The same post joining its editor, then its author.
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
    #[diesel(table_name = ord_posts, belongs_to(Author), belongs_to(Editor))]
    #[cache(key = "ord_post", select_related(editor, author))]
    pub struct EditorFirst {
        pub id: i32,
        pub author_id: i32,
        pub editor_id: i32,
    }

    pub const DDL: &str = "CREATE TABLE ord_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE ord_editors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE ord_posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, editor_id INTEGER NOT NULL);
        INSERT INTO ord_authors VALUES (1, 'the author');
        INSERT INTO ord_editors VALUES (1, 'the editor');
        INSERT INTO ord_posts VALUES (1, 1, 1);";
}

/// Two records of one table and key whose related models differ only in
/// the order of two same-typed fields.
mod shape {
    use cache_diesel::Cached;
    use diesel::prelude::*;
    use serde::{Deserialize, Serialize};

    diesel::table! { shape_posts (id) { id -> Integer, author_id -> Integer, } }
    diesel::table! { shape_authors (id) { id -> Integer, name -> Text, bio -> Text, } }
    diesel::joinable!(shape_posts -> shape_authors (author_id));
    diesel::allow_tables_to_appear_in_same_query!(shape_posts, shape_authors);

    /// The authors as one deploy reads them.
    pub mod v1 {
        use super::*;

        /// An author: name, then bio.
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Queryable,
            Selectable,
            Identifiable,
            Serialize,
            Deserialize,
            Cached,
        )]
        #[diesel(table_name = shape_authors)]
        pub struct Author {
            pub id: i32,
            pub name: String,
            pub bio: String,
        }
    }

    /// The authors as the next deploy reads them.
    pub mod v2 {
        use super::*;

        /// An author: bio, then name.
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Queryable,
            Selectable,
            Identifiable,
            Serialize,
            Deserialize,
            Cached,
        )]
        #[diesel(table_name = shape_authors)]
        pub struct Author {
            pub id: i32,
            pub bio: String,
            pub name: String,
        }
    }

    /// A post with a [`v1::Author`].
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
    #[diesel(table_name = shape_posts, belongs_to(v1::Author))]
    #[cache(key = "shape_post", select_related(author))]
    pub struct PostV1 {
        pub id: i32,
        pub author_id: i32,
    }

    /// The same post with a [`v2::Author`].
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
    #[diesel(table_name = shape_posts, belongs_to(v2::Author))]
    #[cache(key = "shape_post", select_related(author))]
    pub struct PostV2 {
        pub id: i32,
        pub author_id: i32,
    }

    pub const DDL: &str = "CREATE TABLE shape_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, bio TEXT NOT NULL);
        CREATE TABLE shape_posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL);
        INSERT INTO shape_authors VALUES (1, 'Ada', 'wrote the first program');
        INSERT INTO shape_posts VALUES (1, 1);";
}

/// The detail and list keys of `X` and `Y` over one cache differ.
fn keys_differ<X, Y>(cache: &Cache)
where
    X: CachedModel<Id = i32>,
    Y: CachedModel<Id = i32>,
{
    let (x, y) = (
        Manager::<X>::new(cache.clone()),
        Manager::<Y>::new(cache.clone()),
    );
    assert_ne!(
        x.detail_key(&X::unique_of_id(1)),
        y.detail_key(&Y::unique_of_id(1)),
        "{} and {}",
        X::INFO.name,
        Y::INFO.name
    );
    assert_ne!(x.list_key(None, ""), y.list_key(None, ""));
    assert_ne!(x.list_key(Some("s"), "f"), y.list_key(Some("s"), "f"));
}

/// Twins each read back their own rows, and their second reads are hits:
/// neither evicts the other.
fn twins_keep_their_own_entries<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    twins::TwinA: cache_diesel::ModelQueries<C>,
    twins::TwinB: cache_diesel::ModelQueries<C>,
{
    use twins::*;
    db.conn.batch_execute(DDL).unwrap();
    keys_differ::<TwinA, TwinB>(cache);
    let (a, b) = (
        TwinACache::new(cache.clone()),
        TwinBCache::new(cache.clone()),
    );
    for _ in 0..2 {
        let conn = &mut db.conn;
        assert_eq!(a.get(conn, 1).unwrap().name, "from a");
        assert_eq!(b.get(conn, 1).unwrap().name, "from b");
        assert_eq!(
            a.all(conn, None, Default::default()).unwrap()[0].name,
            "from a"
        );
        assert_eq!(
            b.all(conn, None, Default::default()).unwrap()[0].name,
            "from b"
        );
    }
    for (stats, model) in [(a.stats(), "TwinA"), (b.stats(), "TwinB")] {
        assert_eq!(
            (stats.misses, stats.hits),
            (2, 2),
            "{model}: a get and a list, missed then hit"
        );
    }
}

/// Records joining the same models in another order have other keys, and
/// each reads its own relations back from the other's filled cache.
fn relation_order_is_in_the_key<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    order::AuthorFirst: cache_diesel::ModelQueries<C>,
    order::EditorFirst: cache_diesel::ModelQueries<C>,
{
    use order::*;
    db.conn.batch_execute(DDL).unwrap();
    keys_differ::<AuthorFirst, EditorFirst>(cache);
    let (x, y) = (
        AuthorFirstCache::new(cache.clone()),
        EditorFirstCache::new(cache.clone()),
    );
    for _ in 0..2 {
        let (one, all) = (
            x.get(&mut db.conn, 1).unwrap(),
            x.all(&mut db.conn, None, Default::default()).unwrap(),
        );
        assert_eq!(
            (one.author.name.as_str(), one.editor.name.as_str()),
            ("the author", "the editor")
        );
        assert_eq!(all[0].author.name, "the author");
        let (one, all) = (
            y.get(&mut db.conn, 1).unwrap(),
            y.all(&mut db.conn, None, Default::default()).unwrap(),
        );
        assert_eq!(
            (one.author.name.as_str(), one.editor.name.as_str()),
            ("the author", "the editor")
        );
        assert_eq!(all[0].author.name, "the author");
    }
}

/// Records whose related model changed shape have other keys, and each
/// reads its related row back right from the other's filled cache.
fn related_shape_is_in_the_key<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    shape::PostV1: cache_diesel::ModelQueries<C>,
    shape::PostV2: cache_diesel::ModelQueries<C>,
{
    use shape::*;
    db.conn.batch_execute(DDL).unwrap();
    keys_differ::<PostV1, PostV2>(cache);
    let (x, y) = (
        PostV1Cache::new(cache.clone()),
        PostV2Cache::new(cache.clone()),
    );
    for _ in 0..2 {
        let (one, all) = (
            x.get(&mut db.conn, 1).unwrap(),
            x.all(&mut db.conn, None, Default::default()).unwrap(),
        );
        assert_eq!(
            (one.author.name.as_str(), all[0].author.name.as_str()),
            ("Ada", "Ada")
        );
        let (one, all) = (
            y.get(&mut db.conn, 1).unwrap(),
            y.all(&mut db.conn, None, Default::default()).unwrap(),
        );
        assert_eq!(
            (one.author.name.as_str(), all[0].author.name.as_str()),
            ("Ada", "Ada")
        );
    }
}

macro_rules! suite {
    ($($check:ident),* $(,)?) => {
        mod sqlite_memory { $( #[test] fn $check() {
            if let Some((mut db, cache)) = cache_tests::env::sqlite_and_memory(stringify!($check)) {
                super::$check(&mut db, &cache);
                let _ = cache.clear();
            }
        } )* }
        mod postgres_redis { $( #[test] fn $check() {
            if let Some((mut db, cache)) = cache_tests::env::postgres_and_redis(stringify!($check)) {
                super::$check(&mut db, &cache);
                let _ = cache.clear();
            }
        } )* }
        mod mysql_redis { $( #[test] fn $check() {
            if let Some((mut db, cache)) = cache_tests::env::mysql_and_redis(stringify!($check)) {
                super::$check(&mut db, &cache);
                let _ = cache.clear();
            }
        } )* }
    };
}

suite!(
    twins_keep_their_own_entries,
    relation_order_is_in_the_key,
    related_shape_is_in_the_key,
);
