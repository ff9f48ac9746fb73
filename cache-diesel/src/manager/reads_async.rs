//! The async reads of [`Manager`] (feature `async`): `get_async`,
//! `find_async`, `get_unique_async`, `find_unique_async`, `all_async`,
//! `count_async`, `all_where_async`, on diesel-async connections. Same keys, tags, entries
//! and protocol as the sync reads (one driver in cache-core runs both);
//! the cache's I/O does not block the runtime.
//!
//! Inside a transaction, reads follow the sync rules: on a connection
//! tracked by [`track_async`](crate::track_async), a read of a table the
//! transaction wrote goes to the database only, and no read fills the
//! cache; untracked, a transaction diesel-async knows of is seen (one
//! opened by SQL text is not).

use crate::error::{Error, Result};
use crate::form::{CacheForm, Form};
use crate::keys::catalogue::db;
use crate::manager::background_async::{self, Job, OwnedLoad};
use crate::manager::source::Missed;
use crate::manager::source_async::AsyncReader;
use crate::manager::{Entry, Manager, ShapeFn};
use crate::model::{AsyncModelQueries, AsyncWhereQuery, CachedModel, UniqueKey};
use crate::rows::Rows;
use crate::tracking::ReadPolicy;
use cache_core::__engine::Refresh;
use cache_core::__engine::WithEngine;
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::future::Future;

/// Async reads, on diesel-async connections (feature `async`):
/// [`all_async`](Self::all_async), [`count_async`](Self::count_async),
/// [`all_where_async`](Self::all_where_async),
/// [`get_async`](Self::get_async), [`find_async`](Self::find_async),
/// [`get_unique_async`](Self::get_unique_async), [`find_unique_async`](Self::find_unique_async).
impl<M: CachedModel> Manager<M> {
    /// [`Manager::all`] on an async connection.
    pub async fn all_async<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.all_async_via(conn, suffix, filter).await
    }

    /// [`Manager::all_async`] through `reader`.
    pub(crate) async fn all_async_via<C>(
        &self,
        mut reader: impl AsyncReader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        if M::INFO.id_lists {
            return self.id_list_async_via(reader, suffix, filter).await;
        }
        let values = self
            .model_keys()
            .filter_value_tags(db::<C::Backend>(), &filter);
        let related = <M as AsyncModelQueries<C>>::related_tables();
        let entry = self.all_entry(suffix, &filter, &values, related);
        let prefetch = M::INFO.prefetch_for_list;
        let background = || {
            let owned = filter.clone();
            background_async::owned(move |conn: &mut C| {
                Box::pin(async move {
                    M::load_records(conn, &owned, prefetch)
                        .await
                        .map(Rows::from)
                })
            })
        };
        let learn = self
            .model_keys()
            .needs_catalogue(db::<C::Backend>(), &filter);
        let load = async |conn: &mut C| {
            learn_catalogue_async::<M, C>(learn, self.cache(), conn).await;
            M::load_records(conn, &filter, prefetch)
                .await
                .map(Rows::from)
        };
        self.read_through_async(&mut reader, entry, load, Some(&background))
            .await
    }

    /// [`Manager::all_where`] on an async connection: the same entry (keyed
    /// by the query's SQL and binds, depending on every table it names).
    pub async fn all_where_async<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        expr: <M as AsyncWhereQuery<C>>::Expr,
    ) -> Result<Rows<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncWhereQuery<C> + AsyncModelQueries<C>,
    {
        let (sql, load) = <M as AsyncWhereQuery<C>>::prepare_where(expr, M::INFO.prefetch_for_list);
        let related = <M as AsyncModelQueries<C>>::related_tables();
        let (tables, tags) = self.where_dependencies::<C::Backend>(&sql, related);
        let entry = self.list_entry(self.keys.where_key(suffix, &sql), &[], &tags, &tables);
        let load = async |conn: &mut C| load(conn).await.map(Rows::from);
        self.read_through_async(&mut &mut *conn, entry, load, None)
            .await
    }

    /// [`Manager::count`] on an async connection.
    pub async fn count_async<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.count_async_via(conn, suffix, filter).await
    }

    /// [`Manager::count_async`] through `reader`.
    pub(crate) async fn count_async_via<C>(
        &self,
        mut reader: impl AsyncReader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let values = self
            .model_keys()
            .filter_value_tags(db::<C::Backend>(), &filter);
        let (members, changed) = match M::INFO.id_lists {
            true => self.id_list_tags(db::<C::Backend>(), &filter),
            false => Default::default(),
        };
        let mut entry = self.count_entry(suffix, &filter, &values);
        if M::INFO.id_lists {
            self.count_as_id_list(&mut entry, suffix, &filter, &members, &changed);
        }
        let background = || {
            let owned = filter.clone();
            background_async::owned(move |conn: &mut C| {
                Box::pin(async move { M::count_list(conn, &owned).await })
            })
        };
        let learn = self
            .model_keys()
            .needs_catalogue(db::<C::Backend>(), &filter);
        let load = async |conn: &mut C| {
            learn_catalogue_async::<M, C>(learn, self.cache(), conn).await;
            M::count_list(conn, &filter).await
        };
        self.read_through_async(&mut reader, entry, load, Some(&background))
            .await
    }

    /// [`Manager::get`] on an async connection.
    pub async fn get_async<C>(&self, conn: &mut C, id: M::Id) -> Result<M::Record>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.get_unique_async(conn, M::unique_of_id(id)).await
    }

    /// [`Manager::find`] on an async connection.
    pub async fn find_async<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.find_unique_async(conn, M::unique_of_id(id)).await
    }

    /// [`Manager::get_unique`] on an async connection.
    pub async fn get_unique_async<C>(&self, conn: &mut C, key: M::Unique) -> Result<M::Record>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let found = self.find_unique_async(conn, key.clone()).await?;
        found.ok_or_else(|| Error::NotFound {
            model: M::INFO.name,
            id: format!("{}={}", key.column(), key.value_key()),
        })
    }

    /// [`Manager::find_unique`] on an async connection.
    pub async fn find_unique_async<C>(
        &self,
        conn: &mut C,
        key: M::Unique,
    ) -> Result<Option<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.find_unique_async_via(conn, key).await
    }

    /// [`Manager::find_unique_async`] through `reader`.
    pub(crate) async fn find_unique_async_via<C>(
        &self,
        mut reader: impl AsyncReader<C>,
        key: M::Unique,
    ) -> Result<Option<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let related = <M as AsyncModelQueries<C>>::related_tables();
        reader.resync().await;
        let bypass = || reader.policy(std::iter::once(M::table())) == ReadPolicy::Bypass;
        let kept = self.kept_detail(related, bypass, &key);
        let background = || {
            let owned = key.clone();
            background_async::owned(move |conn: &mut C| {
                Box::pin(async move { M::load_record(conn, &owned).await })
            })
        };
        if let Some(kept) = kept {
            if crate::manager::verify::sampled(self.cache()) {
                let value_key = key.value_key();
                let unique_tag = self.model_keys().unique_tag(key.column(), &value_key);
                let entry = self.detail_entry(&key, value_key, &unique_tag, related);
                self.verify_hit_async(&entry, &background, &kept);
            }
            return Ok(kept);
        }
        let value_key = key.value_key();
        let unique_tag = self.model_keys().unique_tag(key.column(), &value_key);
        let entry = self.detail_entry(&key, value_key, &unique_tag, related);
        let learn = self.model_keys().lookup_needs_catalogue(key.column());
        let load = async |conn: &mut C| {
            learn_catalogue_async::<M, C>(learn, self.cache(), conn).await;
            M::load_record(conn, &key).await
        };
        self.read_through_async(&mut reader, entry, load, Some(&background))
            .await
    }

    /// [`Manager`]'s sync read-through, as a future, with the same policy
    /// inside a transaction (see [`crate::tracking::tracking_async`]); past the soft
    /// timeout, a model with background refresh hands the refresh, with a
    /// loader from `background`, to a task ([`crate::manager::background_async`]).
    pub(crate) async fn read_through_async<C, T, S: ShapeFn<T>>(
        &self,
        reader: &mut impl AsyncReader<C>,
        entry: Entry<'_, T, S>,
        load: impl AsyncFnOnce(&mut C) -> QueryResult<T>,
        background: Option<&(dyn Fn() -> OwnedLoad<C, T> + Sync)>,
    ) -> Result<T>
    where
        C: AsyncConnection + 'static,
        T: CacheForm + Clone + Send + Sync + 'static,
    {
        let missed_entry = [(entry.key(), entry.deps_tags())];
        let missed = Missed::new(self.cache(), &missed_entry);
        reader.resync().await;
        let policy = reader.policy(Self::tables_of(&entry));
        if policy == ReadPolicy::Bypass {
            tracing::debug!(
                model = M::INFO.name,
                key = entry.key(),
                "cache bypassed: this transaction wrote a table it depends on"
            );
            return reader.load(missed, load).await;
        }
        let make = background;
        // Without an owned loader (`all_where_async`) the refresh is inline.
        let spawn = |refresh: Refresh| {
            let Some(background) = background else {
                return Some(refresh);
            };
            let job = Job {
                load: background(),
                refresh,
                shape: Box::new(entry.refresh_shape()),
                model: M::INFO.name,
            };
            background_async::spawn(job)
        };
        // (A constant branch, as in the sync read.)
        let background = if const { M::INFO.background_refresh } {
            Some(&spawn as &(dyn Fn(Refresh) -> Option<Refresh> + Sync))
        } else {
            None
        };
        let plan = self.plan(&entry, policy == ReadPolicy::Normal, background);
        let shape = |Form(value): &Form<T>| Self::shape_of(&entry, value);
        let started = crate::manager::Started::now();
        let (Form(value), outcome) = self
            .cache()
            .engine()
            .read_through_async(&plan, shape, || lift(reader.load(missed, load)))
            .await?;
        self.report(&entry, outcome, plan.fill, started);
        if let (cache_core::__engine::Outcome::Hit, Some(make)) = (outcome, make) {
            self.verify_hit_async(&entry, make, &value);
        }
        Ok(value)
    }
}

/// A load's rows as the cache form.
async fn lift<T>(load: impl Future<Output = Result<T>>) -> Result<Form<T>> {
    load.await.map(Form)
}

/// `Manager::learn_catalogue` on an async connection.
pub(crate) async fn learn_catalogue_async<M: CachedModel, C: AsyncConnection + 'static>(
    learn: bool,
    cache: &cache_core::Cache,
    conn: &mut C,
) {
    if !learn {
        return;
    }
    let conn_ref = &mut crate::tracking::tracking_async::AsyncConn(&mut *conn);
    if crate::tracking::policy_on(conn_ref, std::iter::empty()) == ReadPolicy::Normal {
        let cache = cache.engine().keys().namespace_prefix();
        crate::keys::catalogue::learn_async(conn, cache, M::table()).await;
    }
}
