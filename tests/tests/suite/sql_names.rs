//! Tables whose SQL name is not their Rust name: renamed with
//! `#[sql_name = ".."]` (SQLite and PostgreSQL) or in another schema
//! (PostgreSQL). Writes the hooks never saw, a raw `sql_query` and a
//! `diesel::update`, on a tracked connection invalidate their cached rows
//! like any other table's: the model's tags are named by the table's SQL
//! name, as the write tracker names what a statement wrote.

use cache_diesel::{Cache, Cached, CachedModel, Manager, ModelQueries};
use cache_tests::db::TestDb;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    #[sql_name = "renamed_items"]
    aliased_items (id) {
        id -> Integer,
        name -> Text,
    }
}

/// The schema [`SchemaItem`]'s table lives in: fixed at compile time, so
/// runs of this test on a shared server take turns (an advisory lock).
const OTHER_SCHEMA: &str = "cache_tests_other_schema";

diesel::table! {
    cache_tests_other_schema.schema_items (id) {
        id -> Integer,
        name -> Text,
    }
}

/// A row of a table whose SQL name (`renamed_items`) is not its Rust name.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = aliased_items)]
pub struct AliasedItem {
    pub id: i32,
    pub name: String,
}

/// A row of a table in another schema than the connection's.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = schema_items)]
pub struct SchemaItem {
    pub id: i32,
    pub name: String,
}

/// A model of this file: its `name` column, and a `diesel::update` of it.
trait Named<C>: ModelQueries<C> + CachedModel<Record = Self, Id = i32> {
    /// The table as SQL names it (for raw statements).
    const SQL_TABLE: &'static str;
    fn name(&self) -> &str;
    fn rename_all(conn: &mut C, name: &str) -> QueryResult<usize>;
}

macro_rules! named {
    ($model:ident, $table:ident, $sql:expr) => {
        impl<C: Connection<Backend = B> + 'static, B: diesel::backend::Backend> Named<C> for $model
        where
            $model: ModelQueries<C>,
            diesel::dsl::Update<$table::table, diesel::dsl::Eq<$table::name, String>>:
                diesel::query_dsl::methods::ExecuteDsl<C>,
        {
            const SQL_TABLE: &'static str = $sql;
            fn name(&self) -> &str {
                &self.name
            }
            fn rename_all(conn: &mut C, name: &str) -> QueryResult<usize> {
                diesel::update($table::table)
                    .set($table::name.eq(name.to_owned()))
                    .execute(conn)
            }
        }
    };
}
named!(AliasedItem, aliased_items, "renamed_items");
named!(
    SchemaItem,
    schema_items,
    "cache_tests_other_schema.schema_items"
);

/// Caches row 1 (a read, then a hit), then changes it behind the hooks, by
/// raw SQL and by `diesel::update`: each next read returns the new name,
/// from a get and from a list.
fn writes_behind_the_hooks_invalidate<C, M>(db: &mut TestDb<C>, cache: &Cache)
where
    C: Connection + 'static,
    M: Named<C>,
    diesel::query_builder::SqlQuery: diesel::query_dsl::methods::ExecuteDsl<C>,
{
    let table = M::SQL_TABLE;
    diesel::sql_query(format!("INSERT INTO {table} (id, name) VALUES (1, 'old')"))
        .execute(&mut db.conn)
        .unwrap();
    db.track(cache);
    let items = Manager::<M>::new(cache.clone());
    let read = |db: &mut TestDb<C>| {
        let ((one, all), queries) = db.counted(|conn| {
            let one = items.get(conn, 1).unwrap();
            let all = items.all(conn, None, Default::default()).unwrap();
            assert_eq!(all.len(), 1);
            (one.name().to_owned(), all[0].name().to_owned())
        });
        (one, all, queries)
    };
    assert_eq!(read(db).0, "old");
    let (name, _, queries) = read(db);
    assert_eq!((name.as_str(), queries), ("old", 0), "cached");

    diesel::sql_query(format!("UPDATE {table} SET name = 'raw' WHERE id = 1"))
        .execute(&mut db.conn)
        .unwrap();
    let (one, all, _) = read(db);
    assert_eq!(
        (one.as_str(), all.as_str()),
        ("raw", "raw"),
        "after sql_query"
    );

    M::rename_all(&mut db.conn, "dsl").unwrap();
    let (one, all, _) = read(db);
    assert_eq!(
        (one.as_str(), all.as_str()),
        ("dsl", "dsl"),
        "after diesel::update"
    );
}

/// Creates the renamed table and runs the checks on it.
fn a_renamed_table<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    AliasedItem: Named<C>,
    diesel::query_builder::SqlQuery: diesel::query_dsl::methods::ExecuteDsl<C>,
{
    db.conn
        .batch_execute("CREATE TABLE renamed_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .unwrap();
    writes_behind_the_hooks_invalidate::<C, AliasedItem>(db, cache);
}

cache_tests::matrix!(parts; stores; a_renamed_table);

mod postgres_only {
    use super::*;

    #[test]
    fn a_table_in_another_schema() {
        let Some((mut db, cache)) = cache_tests::env::postgres_and_redis("sql_schema") else {
            return;
        };
        // Held until the connection closes: other runs of this test wait.
        diesel::sql_query("SELECT pg_advisory_lock(hashtext('cache_tests_other_schema'))")
            .execute(&mut db.conn)
            .unwrap();
        db.conn
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {OTHER_SCHEMA} CASCADE; CREATE SCHEMA {OTHER_SCHEMA};
                 CREATE TABLE {OTHER_SCHEMA}.schema_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            ))
            .unwrap();
        writes_behind_the_hooks_invalidate::<_, SchemaItem>(&mut db, &cache);
        db.conn
            .batch_execute(&format!("DROP SCHEMA {OTHER_SCHEMA} CASCADE"))
            .unwrap();
        let _ = cache.clear();
    }
}
