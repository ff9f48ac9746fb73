//! The async side of [`Manager::from_pool`](crate::Manager::from_pool):
//! reads through a deadpool or bb8 pool of diesel-async connections, or a
//! [`Checkout`] closure returning a future, that check a connection out
//! only on a miss.

use crate::error::CheckoutError;
use crate::error::{Error, Result};
use crate::manager::source::{Checkout, FromPool, Missed};
use crate::model::{AsyncModelQueries, CachedModel, UniqueKey};
use crate::rows::Rows;
use crate::tracking::tracking_async::AsyncConn;
use crate::tracking::{self, ReadPolicy};
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::future::Future;
use std::ops::DerefMut;

/// Where an async read finds a database connection when it misses: a
/// diesel-async deadpool or bb8 pool, or a [`Checkout`] closure whose
/// future checks one out. See [`Manager::from_pool`](crate::Manager::from_pool).
pub trait AsyncConnectionSource: Sync {
    /// The connection type the model's queries run on.
    type Connection: AsyncConnection + 'static;
    /// A checked-out connection (returned to the pool when dropped).
    type Checked<'s>: DerefMut<Target = Self::Connection> + Send
    where
        Self: 's;

    /// Checks a connection out.
    fn checkout(
        &self,
    ) -> impl Future<Output = std::result::Result<Self::Checked<'_>, CheckoutError>> + Send;

    /// Runs a missed read's query on a connection of this source: one
    /// checked out. ([`Replicated`](crate::Replicated) chooses between a
    /// replica and its primary here.)
    #[doc(hidden)]
    fn read<T>(
        &self,
        _missed: Missed<'_>,
        load: impl AsyncFnOnce(&mut Self::Connection) -> QueryResult<T>,
    ) -> impl Future<Output = Result<T>> {
        async move {
            let mut conn = self.checkout().await.map_err(Error::Checkout)?;
            Ok(load(&mut conn).await?)
        }
    }
}

#[cfg(feature = "deadpool")]
impl<C> AsyncConnectionSource for diesel_async::pooled_connection::deadpool::Pool<C>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    for<'a> diesel::dsl::select<diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>>:
        diesel_async::methods::LoadQuery<'a, C, i32>,
    diesel::query_builder::SqlQuery: diesel::query_builder::QueryFragment<C::Backend>,
{
    type Connection = C;
    type Checked<'s> = diesel_async::pooled_connection::deadpool::Object<C>;

    async fn checkout(&self) -> std::result::Result<Self::Checked<'_>, CheckoutError> {
        Ok(self.get().await?)
    }
}

#[cfg(feature = "bb8")]
impl<C> AsyncConnectionSource for diesel_async::pooled_connection::bb8::Pool<C>
where
    C: diesel_async::pooled_connection::PoolableConnection + Send + 'static,
    for<'a> diesel::dsl::select<diesel::dsl::AsExprOf<i32, diesel::sql_types::Integer>>:
        diesel_async::methods::LoadQuery<'a, C, i32>,
    diesel::query_builder::SqlQuery: diesel::query_builder::QueryFragment<C::Backend>,
{
    type Connection = C;
    type Checked<'s> = diesel_async::pooled_connection::bb8::PooledConnection<'s, C>;

    async fn checkout(&self) -> std::result::Result<Self::Checked<'_>, CheckoutError> {
        Ok(self.get().await?)
    }
}

impl<F, Fut, G, E, C> AsyncConnectionSource for Checkout<F>
where
    F: Fn() -> Fut + Sync,
    Fut: Future<Output = std::result::Result<G, E>> + Send,
    G: DerefMut<Target = C> + Send,
    E: Into<CheckoutError>,
    C: AsyncConnection + 'static,
{
    type Connection = C;
    type Checked<'s>
        = G
    where
        Self: 's;

    async fn checkout(&self) -> std::result::Result<G, CheckoutError> {
        (self.0)().await.map_err(Into::into)
    }
}

/// How an async read reaches the database (see `source::Reader`).
pub(crate) trait AsyncReader<C> {
    /// Brings the connection's tracker up to date where it can ask the
    /// server (MariaDB and PostgreSQL after it lost track): before
    /// [`policy`](Self::policy).
    fn resync(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
    /// What the read may do with the cache (see [`ReadPolicy`]).
    fn policy<'t>(&mut self, tables: impl Iterator<Item = &'t str>) -> ReadPolicy;
    /// Runs `load`, the query of the read `missed`, on a connection.
    fn load<T>(
        &mut self,
        missed: Missed<'_>,
        load: impl AsyncFnOnce(&mut C) -> QueryResult<T>,
    ) -> impl Future<Output = Result<T>>;
}

impl<C: AsyncConnection + 'static> AsyncReader<C> for &mut C {
    async fn resync(&mut self) {
        #[cfg(feature = "async-mysql")]
        if let Some(mysql) = (&mut **self as &mut dyn std::any::Any).downcast_mut() {
            crate::tracking::resync::mysql::resync_async(mysql).await;
        }
        #[cfg(feature = "async-postgres")]
        if let Some(pg) = (&mut **self as &mut dyn std::any::Any).downcast_mut() {
            crate::tracking::resync::pg::resync_async(pg).await;
        }
    }
    fn policy<'t>(&mut self, tables: impl Iterator<Item = &'t str>) -> ReadPolicy {
        tracking::policy_on(&mut AsyncConn(&mut **self), tables)
    }
    async fn load<T>(
        &mut self,
        _: Missed<'_>,
        load: impl AsyncFnOnce(&mut C) -> QueryResult<T>,
    ) -> Result<T> {
        Ok(load(self).await?)
    }
}

/// An async read through an [`AsyncConnectionSource`] (outside any
/// transaction: reads fill).
pub(crate) struct FromAsyncSource<'s, S>(pub(crate) &'s S);

impl<S: AsyncConnectionSource> AsyncReader<S::Connection> for FromAsyncSource<'_, S> {
    fn policy<'t>(&mut self, _: impl Iterator<Item = &'t str>) -> ReadPolicy {
        ReadPolicy::Normal
    }
    async fn load<T>(
        &mut self,
        missed: Missed<'_>,
        load: impl AsyncFnOnce(&mut S::Connection) -> QueryResult<T>,
    ) -> Result<T> {
        self.0.read(missed, load).await
    }
}

impl<M, S> FromPool<'_, M, S>
where
    M: CachedModel + AsyncModelQueries<S::Connection>,
    S: AsyncConnectionSource,
{
    /// [`Manager::get_async`](crate::Manager::get_async) through the source.
    pub async fn get_async(&self, id: M::Id) -> Result<M::Record> {
        self.get_unique_async(M::unique_of_id(id)).await
    }

    /// [`Manager::find_async`](crate::Manager::find_async) through the source.
    pub async fn find_async(&self, id: M::Id) -> Result<Option<M::Record>> {
        self.find_unique_async(M::unique_of_id(id)).await
    }

    /// [`Manager::get_unique_async`](crate::Manager::get_unique_async) through the source.
    pub async fn get_unique_async(&self, key: M::Unique) -> Result<M::Record> {
        let found = self.find_unique_async(key.clone()).await?;
        found.ok_or_else(|| Error::NotFound {
            model: M::INFO.name,
            id: format!("{}={}", key.column(), key.value_key()),
        })
    }

    /// [`Manager::find_unique_async`](crate::Manager::find_unique_async) through the source.
    pub async fn find_unique_async(&self, key: M::Unique) -> Result<Option<M::Record>> {
        let reader = FromAsyncSource(self.source);
        self.manager.find_unique_async_via(reader, key).await
    }

    /// [`Manager::all_async`](crate::Manager::all_async) through the source.
    pub async fn all_async(
        &self,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>> {
        let reader = FromAsyncSource(self.source);
        self.manager.all_async_via(reader, suffix, filter).await
    }

    /// [`Manager::count_async`](crate::Manager::count_async) through the source.
    pub async fn count_async(&self, suffix: Option<&str>, filter: M::Filter) -> Result<i64> {
        let reader = FromAsyncSource(self.source);
        self.manager.count_async_via(reader, suffix, filter).await
    }
}
