//! Reads that check a connection out only on a miss: a manager read
//! through a pool ([`Manager::from_pool`]) answers a hit without touching
//! the pool, so a service's cached reads do not queue for connections.
//!
//! ```
//! # use cache_diesel::Cached;
//! # use diesel::prelude::*;
//! # use serde::{Deserialize, Serialize};
//! # diesel::table! { products (id) { id -> Integer, title -> Text } }
//! # #[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
//! # #[diesel(table_name = products)]
//! # pub struct Product { pub id: i32, pub title: String }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = std::env::temp_dir().join(format!("source_doc_{}.sqlite", std::process::id()));
//! # let url = path.to_string_lossy().into_owned();
//! # let mut conn = SqliteConnection::establish(&url)?;
//! # diesel::sql_query("CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn)?;
//! # Product::cache().insert(&mut conn, products::title.eq("Tea"))?;
//! // Any closure that checks a connection out (here: opens one, counted);
//! // an r2d2, deadpool or bb8 pool is a source as it is.
//! let checkouts = std::cell::Cell::new(0);
//! let source = cache_diesel::Checkout(|| {
//!     checkouts.set(checkouts.get() + 1);
//!     SqliteConnection::establish(&url).map(Box::new)
//! });
//! let products = Product::cache().from_pool(&source);
//! assert_eq!(products.get(1)?.title, "Tea"); // a miss: a connection is checked out
//! assert_eq!(products.get(1)?.title, "Tea"); // a hit: none is
//! assert_eq!(checkouts.get(), 1);
//! # drop(conn); let _ = std::fs::remove_file(&path);
//! # Ok(()) }
//! ```
//!
//! Inside a transaction, read through the transaction's connection
//! (`Product::cache().get(&mut conn, id)`): a connection checked out of the
//! pool is another session, outside it.

use crate::error::CheckoutError;
use crate::error::{Error, Result};
use crate::manager::Manager;
use crate::model::{CachedModel, ModelQueries, UniqueKey};
use crate::rows::Rows;
use crate::tracking::{self, ReadPolicy};
use diesel::{Connection, QueryResult};
use std::ops::DerefMut;

/// Where a read finds a database connection when it misses: an r2d2 pool,
/// or a closure ([`Checkout`]). See [`Manager::from_pool`].
pub trait ConnectionSource {
    /// The connection type the model's queries run on.
    type Connection: Connection + 'static;
    /// A checked-out connection (returned to the pool when dropped).
    type Checked<'s>: DerefMut<Target = Self::Connection>
    where
        Self: 's;

    /// Checks a connection out.
    fn checkout(&self) -> std::result::Result<Self::Checked<'_>, CheckoutError>;

    /// Runs a missed read's query on a connection of this source: one
    /// checked out. ([`Replicated`](crate::Replicated) chooses between a
    /// replica and its primary here.)
    #[doc(hidden)]
    fn read<T>(
        &self,
        _missed: Missed<'_>,
        load: impl FnOnce(&mut Self::Connection) -> QueryResult<T>,
    ) -> Result<T> {
        let mut conn = self.checkout().map_err(Error::Checkout)?;
        Ok(load(&mut conn)?)
    }
}

#[cfg(feature = "r2d2")]
impl<C> ConnectionSource for diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<C>>
where
    C: diesel::r2d2::R2D2Connection + Send + 'static,
{
    type Connection = C;
    type Checked<'s> = crate::connections::Pooled<C>;

    fn checkout(&self) -> std::result::Result<Self::Checked<'_>, CheckoutError> {
        Ok(self.get()?)
    }
}

/// A closure that checks a connection out, as a [`ConnectionSource`]
/// (sync: `Checkout(|| pool.get())`) or an `AsyncConnectionSource` (its
/// closure returns a future).
#[derive(Debug, Clone, Copy)]
pub struct Checkout<F>(pub F);

impl<F, G, E, C> ConnectionSource for Checkout<F>
where
    F: Fn() -> std::result::Result<G, E>,
    G: DerefMut<Target = C>,
    E: Into<CheckoutError>,
    C: Connection + 'static,
{
    type Connection = C;
    type Checked<'s>
        = G
    where
        Self: 's;

    fn checkout(&self) -> std::result::Result<G, CheckoutError> {
        (self.0)().map_err(Into::into)
    }
}

/// What a missed read is about to load: its cache, and each missed
/// entry's key with the tags it depends on (what a
/// [`Replicated`](crate::Replicated) source checks its replica against).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Missed<'a> {
    pub(crate) cache: &'a cache_core::Cache,
    pub(crate) entries: &'a [(&'a str, &'a [&'a str])],
}

impl<'a> Missed<'a> {
    /// The read of `entries` (key, tags) in `cache`.
    pub(crate) fn new(
        cache: &'a cache_core::Cache,
        entries: &'a [(&'a str, &'a [&'a str])],
    ) -> Self {
        Missed { cache, entries }
    }
}

/// How a read reaches the database: through the connection it was given
/// (its transaction followed), or one checked out only when it misses.
pub(crate) trait Reader<C> {
    /// What the read may do with the cache (see [`ReadPolicy`]).
    fn policy<'t>(&mut self, tables: impl Iterator<Item = &'t str>) -> ReadPolicy;
    /// Runs `load`, the query of the read `missed`, on a connection.
    fn load<T>(
        &mut self,
        missed: Missed<'_>,
        load: impl FnOnce(&mut C) -> QueryResult<T>,
    ) -> Result<T>;
}

impl<C: Connection + 'static> Reader<C> for &mut C {
    fn policy<'t>(&mut self, tables: impl Iterator<Item = &'t str>) -> ReadPolicy {
        #[cfg(feature = "mysql")]
        crate::tracking::resync::mysql::resync_any(&mut **self);
        #[cfg(feature = "postgres-system-libpq")]
        crate::tracking::resync::pg::resync_any(&mut **self);
        tracking::read_policy(*self, tables)
    }
    fn load<T>(&mut self, _: Missed<'_>, load: impl FnOnce(&mut C) -> QueryResult<T>) -> Result<T> {
        Ok(load(self)?)
    }
}

/// A read through a [`ConnectionSource`]: a connection checked out of it
/// is another session, outside any transaction, so reads fill.
pub(crate) struct FromSource<'s, S>(pub(crate) &'s S);

impl<S: ConnectionSource> Reader<S::Connection> for FromSource<'_, S> {
    fn policy<'t>(&mut self, _: impl Iterator<Item = &'t str>) -> ReadPolicy {
        ReadPolicy::Normal
    }
    fn load<T>(
        &mut self,
        missed: Missed<'_>,
        load: impl FnOnce(&mut S::Connection) -> QueryResult<T>,
    ) -> Result<T> {
        self.0.read(missed, load)
    }
}

/// A manager's reads through a connection source, which is asked for a
/// connection only on a miss (see [`Manager::from_pool`]).
#[derive(Debug)]
pub struct FromPool<'a, M, S> {
    pub(crate) manager: &'a Manager<M>,
    pub(crate) source: &'a S,
}

/// Reading through a pool, a connection checked out only on a miss:
/// [`from_pool`](Self::from_pool).
impl<M: CachedModel> Manager<M> {
    /// This manager's reads through `source` (an r2d2 pool, a deadpool or
    /// bb8 pool of diesel-async connections, or a [`Checkout`] closure): a
    /// hit is answered without a connection, and one is checked out only
    /// to read the database on a miss. The same keys, entries and
    /// guarantees as the reads given a connection, outside a transaction.
    pub fn from_pool<'a, S>(&'a self, source: &'a S) -> FromPool<'a, M, S> {
        FromPool {
            manager: self,
            source,
        }
    }
}

impl<M, S> FromPool<'_, M, S>
where
    M: CachedModel + ModelQueries<S::Connection>,
    S: ConnectionSource,
{
    /// [`Manager::get`] through the source.
    pub fn get(&self, id: M::Id) -> Result<M::Record> {
        self.get_unique(M::unique_of_id(id))
    }

    /// [`Manager::find`] through the source.
    pub fn find(&self, id: M::Id) -> Result<Option<M::Record>> {
        self.find_unique(M::unique_of_id(id))
    }

    /// [`Manager::get_unique`] through the source.
    pub fn get_unique(&self, key: M::Unique) -> Result<M::Record> {
        self.find_unique(key.clone())?
            .ok_or_else(|| Error::NotFound {
                model: M::INFO.name,
                id: format!("{}={}", key.column(), key.value_key()),
            })
    }

    /// [`Manager::find_unique`] through the source.
    pub fn find_unique(&self, key: M::Unique) -> Result<Option<M::Record>> {
        self.manager.find_via(FromSource(self.source), &key)
    }

    /// [`Manager::all`] through the source.
    pub fn all(&self, suffix: Option<&str>, filter: M::Filter) -> Result<Rows<M::Record>> {
        self.manager
            .all_via(FromSource(self.source), suffix, filter)
    }

    /// [`Manager::count`] through the source.
    pub fn count(&self, suffix: Option<&str>, filter: M::Filter) -> Result<i64> {
        self.manager
            .count_via(FromSource(self.source), suffix, filter)
    }
}
