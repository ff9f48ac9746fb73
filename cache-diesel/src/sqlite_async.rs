//! The async writes on diesel-async's `SyncConnectionWrapper<SqliteConnection>`:
//! the sync writes, run by the wrapper on its blocking thread (as it runs
//! every statement), so SQLite's writes are the same code on both APIs.

use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, InsertQuery, ModelQueries, UpdateQuery,
    Updated,
};
use diesel::QueryResult;
use diesel::sqlite::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use std::future::Future;

type Wrapped = SyncConnectionWrapper<SqliteConnection>;

impl<M> AsyncDeleteQuery<Wrapped> for M
where
    M: ModelQueries<SqliteConnection>,
    M::Id: 'static,
{
    fn delete_by_id(
        conn: &mut Wrapped,
        id: &M::Id,
    ) -> impl Future<Output = QueryResult<Option<M>>> + Send {
        let id = id.clone();
        conn.spawn_blocking(move |conn| M::delete_by_id(conn, &id))
    }
}

impl<M, V> AsyncInsertQuery<Wrapped, V> for M
where
    M: InsertQuery<SqliteConnection, V>,
    V: Send + 'static,
{
    fn insert_returning(
        conn: &mut Wrapped,
        values: V,
    ) -> impl Future<Output = QueryResult<Vec<M>>> + Send {
        conn.spawn_blocking(move |conn| M::insert_returning(conn, values))
    }

    fn insert_execute(
        conn: &mut Wrapped,
        values: V,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        conn.spawn_blocking(move |conn| M::insert_execute(conn, values))
    }
}

impl<M, V> AsyncUpdateQuery<Wrapped, V> for M
where
    M: UpdateQuery<SqliteConnection, V>,
    M::Id: 'static,
    V: Send + 'static,
{
    fn update_by_id(
        conn: &mut Wrapped,
        id: &M::Id,
        changes: V,
    ) -> impl Future<Output = QueryResult<Option<Updated<M>>>> + Send {
        let id = id.clone();
        conn.spawn_blocking(move |conn| M::update_by_id(conn, &id, changes))
    }

    fn update_filtered(
        conn: &mut Wrapped,
        filter: &M::Filter,
        changes: V,
    ) -> impl Future<Output = QueryResult<usize>> + Send {
        let filter = filter.clone();
        conn.spawn_blocking(move |conn| M::update_filtered(conn, &filter, changes))
    }
}
