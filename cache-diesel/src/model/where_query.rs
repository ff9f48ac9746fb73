//! Lists by an arbitrary Diesel filter expression (`all_where` and
//! `all_where_async`): the query a model builds from the expression, its
//! SQL (the cache key) and a loader that runs it.

use super::CachedModel;
use diesel::QueryResult;

/// Lists by an arbitrary Diesel filter expression: the escape hatch.
pub trait WhereQuery<C>: CachedModel {
    /// A boxed boolean expression for `C`'s backend on the model's table,
    /// or, for a model with `select_related`, on the table joined with its
    /// related tables (so the condition may name their columns too).
    type Expr;
    /// The list query with `expr` applied, in primary key order: its SQL
    /// and binds (the cache key), and a loader that runs it and builds the
    /// records (prefetching when `prefetch` is true).
    fn prepare_where(expr: Self::Expr, prefetch: bool) -> (String, WhereLoader<C, Self>);
}

/// Runs a prepared list query.
pub type WhereLoader<C, M> =
    Box<dyn FnOnce(&mut C) -> QueryResult<Vec<<M as CachedModel>::Record>>>;

/// [`WhereQuery`] on an async (diesel-async) connection type `C`.
#[cfg(feature = "async")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no async cached queries on `{C}`",
    label = "cache-diesel generated no async queries for this connection type",
    note = "cache-diesel generates async queries for `diesel_async::AsyncPgConnection` (feature `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`) and `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`); a pooled connection is passed as `&mut *pooled`"
)]
pub trait AsyncWhereQuery<C>: CachedModel {
    /// [`WhereQuery::Expr`].
    type Expr;
    /// [`WhereQuery::prepare_where`], with a loader that returns a future.
    fn prepare_where(expr: Self::Expr, prefetch: bool) -> (String, AsyncWhereLoader<C, Self>);
}

/// Runs a prepared list query on an async connection.
#[cfg(feature = "async")]
pub type AsyncWhereLoader<C, M> = Box<
    dyn for<'c> FnOnce(
            &'c mut C,
        )
            -> super::BoxFuture<'c, QueryResult<Vec<<M as CachedModel>::Record>>>
        + Send,
>;

/// `loader` boxed as an [`AsyncWhereLoader`] (what generated code calls:
/// the bound gives the closure its higher-ranked signature).
#[cfg(feature = "async")]
#[doc(hidden)]
pub fn async_where_loader<C, M: CachedModel>(
    loader: impl for<'c> FnOnce(&'c mut C) -> super::BoxFuture<'c, QueryResult<Vec<M::Record>>>
    + Send
    + 'static,
) -> AsyncWhereLoader<C, M> {
    Box::new(loader)
}
