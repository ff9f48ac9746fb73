//! What separates two models' entries in the cache: models that share a
//! `key = ".."` and their fields but not their table (the table's SQL name
//! is in every key). On SQLite + memory and on PostgreSQL + Redis.

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
    };
}

suite!(twins_keep_their_own_entries);
