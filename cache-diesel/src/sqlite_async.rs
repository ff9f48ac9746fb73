//! The async writes on diesel-async's `SyncConnectionWrapper<SqliteConnection>`:
//! the sync writes, run by the wrapper on its blocking thread (as it runs
//! every statement), so SQLite's writes are the same code on both APIs.
//! The values move to that thread: they must be `'static` (owned), as
//! for any statement the wrapper runs.

use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, InsertQuery, ModelQueries, UpdateQuery,
    Updated,
};
use cache_core::backend::BoxFuture;
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

impl<'q, M, V> AsyncInsertQuery<'q, Wrapped, V> for M
where
    M: InsertQuery<SqliteConnection, V>,
    V: Send + 'static,
{
    fn insert_returning<'c>(conn: &'c mut Wrapped, values: V) -> BoxFuture<'c, QueryResult<Vec<M>>>
    where
        'q: 'c,
    {
        conn.spawn_blocking(move |conn| M::insert_returning(conn, values))
    }

    fn insert_execute<'c>(conn: &'c mut Wrapped, values: V) -> BoxFuture<'c, QueryResult<usize>>
    where
        'q: 'c,
    {
        conn.spawn_blocking(move |conn| M::insert_execute(conn, values))
    }
}

impl<'q, M, V> AsyncUpdateQuery<'q, Wrapped, V> for M
where
    M: UpdateQuery<SqliteConnection, V>,
    M::Id: 'static,
    V: Send + 'static,
{
    fn update_by_id<'c>(
        conn: &'c mut Wrapped,
        id: M::Id,
        changes: V,
    ) -> BoxFuture<'c, QueryResult<Option<Updated<M>>>>
    where
        'q: 'c,
    {
        conn.spawn_blocking(move |conn| M::update_by_id(conn, &id, changes))
    }

    fn update_filtered<'c>(
        conn: &'c mut Wrapped,
        filter: M::Filter,
        changes: V,
    ) -> BoxFuture<'c, QueryResult<crate::model::UpdatedRows<M>>>
    where
        'q: 'c,
    {
        conn.spawn_blocking(move |conn| M::update_filtered(conn, &filter, changes))
    }
}
