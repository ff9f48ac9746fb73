//! The async writes on diesel-async's `SyncConnectionWrapper<SqliteConnection>`:
//! the sync writes, run by the wrapper on its blocking thread (as it runs
//! every statement), so SQLite's writes are the same code on both APIs.
//! The values move to that thread: they must be `'static` (owned), as
//! for any statement the wrapper runs.
//!
//! Over a shared store in autocommit, a hook is the sync hook itself, run
//! whole on that thread (`*_whole`): its `BEGIN IMMEDIATE`, statement,
//! announcement of the values it learned and `COMMIT` are one blocking
//! task, which a dropped future cannot part, so it is as precise as the
//! sync hook (run as separate tasks, a `ROLLBACK` queued at a drop would
//! not be sure to follow the statement).

use crate::Manager;
use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, InsertQuery, ModelQueries, UpdateQuery,
    Updated,
};
use cache_core::__engine::BoxFuture;
use diesel::QueryResult;
use diesel::sqlite::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use std::future::Future;

type Wrapped = SyncConnectionWrapper<SqliteConnection>;

/// Runs `hook` (a sync hook of a manager's handle) on the wrapper's
/// blocking thread, as one task.
fn whole<'c, T: Send + 'static>(
    conn: &'c mut Wrapped,
    hook: impl FnOnce(&mut SqliteConnection) -> crate::Result<T> + Send + 'static,
) -> BoxFuture<'c, crate::Result<T>> {
    let ran = conn.spawn_blocking(move |conn| Ok(hook(conn)));
    Box::pin(async move { ran.await? })
}

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

    fn delete_whole<'c>(
        conn: &'c mut Wrapped,
        manager: &Manager<M>,
        id: M::Id,
    ) -> Result<BoxFuture<'c, crate::Result<Option<M>>>, M::Id> {
        let manager = manager.handle();
        Ok(whole(conn, move |conn| manager.delete(conn, id)))
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

    fn insert_whole<'c>(
        conn: &'c mut Wrapped,
        manager: &Manager<M>,
        values: V,
    ) -> Result<BoxFuture<'c, crate::Result<Vec<M>>>, V>
    where
        'q: 'c,
    {
        let manager = manager.handle();
        Ok(whole(conn, move |conn| manager.insert_many(conn, values)))
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

    fn update_whole<'c>(
        conn: &'c mut Wrapped,
        manager: &Manager<M>,
        id: M::Id,
        changes: V,
    ) -> Result<BoxFuture<'c, crate::Result<Option<M>>>, (M::Id, V)>
    where
        'q: 'c,
    {
        let manager = manager.handle();
        Ok(whole(conn, move |conn| manager.update(conn, id, changes)))
    }

    fn update_where_whole<'c>(
        conn: &'c mut Wrapped,
        manager: &Manager<M>,
        filter: M::Filter,
        changes: V,
    ) -> Result<BoxFuture<'c, crate::Result<usize>>, (M::Filter, V)>
    where
        'q: 'c,
    {
        let manager = manager.handle();
        Ok(whole(conn, move |conn| {
            manager.update_where(conn, filter, changes)
        }))
    }
}
