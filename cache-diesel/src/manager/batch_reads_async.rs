//! The async batch reads (feature `async`): `find_many_async`,
//! `get_many_async`, `find_many_unique_async`, on diesel-async connections
//! and through an async connection source. Same entries and protocol as
//! the sync ones ([`crate::manager::batch_reads`]).

use crate::error::Result;
use crate::form::Form;
use crate::manager::batch_reads::{Batch, all_found, matched, missed_entries};
use crate::manager::source::{FromPool, Missed};
use crate::manager::source_async::{AsyncConnectionSource, AsyncReader, FromAsyncSource};
use crate::manager::{Manager, Started};
use crate::model::{AsyncModelQueries, CachedModel};
use crate::tracking::ReadPolicy;
use cache_core::__engine::WithEngine;
use diesel::QueryResult;
use diesel_async::AsyncConnection;

/// [`crate::manager::batch_reads::load_matched`] on an async connection.
async fn load_matched<M, C>(
    conn: &mut C,
    keys: &[M::Unique],
) -> QueryResult<Vec<Form<Option<M::Record>>>>
where
    C: AsyncConnection + 'static,
    M: AsyncModelQueries<C>,
{
    let (mut found, unmatched) = matched::<M>(keys, M::load_many(conn, keys).await?);
    for k in unmatched {
        found[k] = M::load_record(conn, &keys[k]).await?;
    }
    Ok(found.into_iter().map(Form).collect())
}

/// Async batch reads (feature `async`): [`find_many_async`](Self::find_many_async),
/// [`get_many_async`](Self::get_many_async), [`find_many_unique_async`](Self::find_many_unique_async),
/// [`get_many_unique_async`](Self::get_many_unique_async).
impl<M: CachedModel> Manager<M> {
    /// [`Manager::find_many`] on an async connection.
    pub async fn find_many_async<C>(
        &self,
        conn: &mut C,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.find_many_async_via(&mut &mut *conn, ids.into_iter().map(M::unique_of_id), false)
            .await
    }

    /// [`Manager::get_many`] on an async connection.
    pub async fn get_many_async<C>(
        &self,
        conn: &mut C,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.get_many_unique_async(conn, ids.into_iter().map(M::unique_of_id))
            .await
    }

    /// [`Manager::get_many_unique`] on an async connection.
    pub async fn get_many_unique_async<C>(
        &self,
        conn: &mut C,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let keys: Vec<M::Unique> = keys.into_iter().collect();
        let found = self
            .find_many_async_via(&mut &mut *conn, keys.iter().cloned(), false)
            .await?;
        all_found::<M>(&keys, found)
    }

    /// [`Manager::find_many_unique`] on an async connection.
    pub async fn find_many_unique_async<C>(
        &self,
        conn: &mut C,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        self.find_many_async_via(&mut &mut *conn, keys, false).await
    }

    /// An async batch read through `reader`.
    pub(crate) async fn find_many_async_via<C>(
        &self,
        reader: &mut impl AsyncReader<C>,
        keys: impl IntoIterator<Item = M::Unique>,
        distinct: bool,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let asked: Vec<M::Unique> = keys.into_iter().collect();
        if asked.is_empty() {
            return Ok(Vec::new());
        }
        let related = <M as AsyncModelQueries<C>>::related_tables();
        let tables = std::iter::once(M::table()).chain(related.iter().map(String::as_str));
        reader.resync().await;
        let policy = reader.policy(tables);
        let (kept, asked) = self.kept_answers(asked, related, policy, distinct);
        if asked.is_empty() {
            return Ok(kept.complete(Vec::new()));
        }
        let batch = Batch::<M>::new(asked);
        if policy == ReadPolicy::Bypass {
            let missed = Missed::new(self.cache(), &[]);
            let found = reader
                .load(missed, async |conn: &mut C| {
                    load_matched::<M, C>(conn, &batch.keys).await
                })
                .await?;
            return Ok(kept.complete(batch.answers_of(found)));
        }
        let tags = batch.tags(self);
        let entries = batch.entries(self, &tags, related);
        let plans = self.batch_plans(&entries, policy);
        let started = Started::now();
        let found = self
            .cache()
            .engine()
            .read_through_many_async(
                &plans,
                |i, Form(value): &Form<Option<M::Record>>| Self::shape_of(&entries[i], value),
                |at| {
                    let keys = batch.subset(&at);
                    let entries = missed_entries(&plans, &at);
                    async move {
                        let missed = Missed::new(self.cache(), &entries);
                        reader
                            .load(missed, async |conn: &mut C| {
                                load_matched::<M, C>(conn, &keys).await
                            })
                            .await
                    }
                },
            )
            .await?;
        let found = self.batch_answers(&batch, &entries, &plans, found, started)?;
        Ok(kept.complete(found))
    }
}

impl<M, S> FromPool<'_, M, S>
where
    M: CachedModel + AsyncModelQueries<S::Connection>,
    S: AsyncConnectionSource,
{
    /// [`Manager::find_many_async`] through the source: a connection is
    /// checked out only when some row missed.
    pub async fn find_many_async(
        &self,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<Option<M::Record>>> {
        self.find_many_unique_async(ids.into_iter().map(M::unique_of_id))
            .await
    }

    /// [`Manager::get_many_async`] through the source.
    pub async fn get_many_async(
        &self,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<M::Record>> {
        self.get_many_unique_async(ids.into_iter().map(M::unique_of_id))
            .await
    }

    /// [`Manager::get_many_unique_async`] through the source.
    pub async fn get_many_unique_async(
        &self,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<M::Record>> {
        let keys: Vec<M::Unique> = keys.into_iter().collect();
        let found = self.find_many_unique_async(keys.iter().cloned()).await?;
        all_found::<M>(&keys, found)
    }

    /// [`Manager::find_many_unique_async`] through the source.
    pub async fn find_many_unique_async(
        &self,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<Option<M::Record>>> {
        self.manager
            .find_many_async_via(&mut FromAsyncSource(self.source), keys, false)
            .await
    }
}
