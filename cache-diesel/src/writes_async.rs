//! The async write hooks of [`Manager`] (feature `async`): `insert_async`,
//! `insert_many_async`, `insert_execute_async`, `update_async`,
//! `delete_async`, `update_where_async`. The same statements as the sync
//! hooks (one `INSERT`/`UPDATE`/`DELETE .. RETURNING` on PostgreSQL;
//! SQLite's run by diesel-async's wrapper on its blocking thread) and the
//! same tags, bumped through the async driver (one round trip, owed when
//! the cache fails).
//!
//! Async connections are not tracked yet, so a hook cannot defer its
//! invalidation to a commit: inside a transaction it refuses
//! ([`Error::UntrackedTransaction`]) and writes nothing.

use crate::error::{Error, Result};
use crate::keys::TableTag;
use crate::manager::Manager;
use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, CachedModel, ListFilter, Updated,
};
use crate::tags::Tags;
use diesel_async::AsyncConnection;

impl<M: CachedModel> Manager<M> {
    /// [`Manager::insert`] on an async connection.
    pub async fn insert_async<'q, C, V>(&self, conn: &'q mut C, values: V) -> Result<M>
    where
        C: AsyncConnection + 'static,
        M: AsyncInsertQuery<'q, C, V>,
    {
        let rows = self.insert_many_async(conn, values).await?;
        if rows.len() > 1 {
            tracing::warn!(
                model = M::INFO.name,
                rows = rows.len(),
                "insert_async() wrote several rows and returns the first: use insert_many_async()"
            );
        }
        rows.into_iter()
            .next()
            .ok_or(Error::Database(diesel::result::Error::NotFound))
    }

    /// [`Manager::insert_many`] on an async connection.
    pub async fn insert_many_async<'q, C, V>(&self, conn: &'q mut C, values: V) -> Result<Vec<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncInsertQuery<'q, C, V>,
    {
        refuse_in_transaction::<M, C>(conn)?;
        let rows = M::insert_returning(conn, values).await?;
        if !rows.is_empty() {
            self.bump_async("insert", self.inserted_tags()).await;
        }
        Ok(rows)
    }

    /// [`Manager::insert_execute`] on an async connection.
    pub async fn insert_execute_async<'q, C, V>(&self, conn: &'q mut C, values: V) -> Result<usize>
    where
        C: AsyncConnection + 'static,
        M: AsyncInsertQuery<'q, C, V>,
    {
        refuse_in_transaction::<M, C>(conn)?;
        let n = M::insert_execute(conn, values).await?;
        if n > 0 {
            self.bump_async("insert", self.inserted_tags()).await;
        }
        Ok(n)
    }

    /// [`Manager::update`] on an async connection.
    pub async fn update_async<'q, C, V>(
        &self,
        conn: &'q mut C,
        id: M::Id,
        changes: V,
    ) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncUpdateQuery<'q, C, V>,
    {
        refuse_in_transaction::<M, C>(conn)?;
        let Some(Updated { row, before }) = M::update_by_id(conn, id, changes).await? else {
            return Ok(None);
        };
        self.bump_async("update", self.updated_tags(&row, &before))
            .await;
        Ok(Some(row))
    }

    /// [`Manager::save`] on an async connection.
    pub async fn save_async<'q, C>(&self, conn: &'q mut C, row: &'q M) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncUpdateQuery<'q, C, &'q M>,
    {
        self.update_async(conn, row.id(), row).await
    }

    /// [`Manager::delete`] on an async connection.
    pub async fn delete_async<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncDeleteQuery<C>,
    {
        refuse_in_transaction::<M, C>(conn)?;
        let deleted = M::delete_by_id(conn, &id).await?;
        if let Some(row) = &deleted {
            self.bump_async("delete", self.row_tags(row.unique_keys().iter(), false))
                .await;
        }
        Ok(deleted)
    }

    /// [`Manager::update_where`] on an async connection.
    pub async fn update_where_async<'q, C, V>(
        &self,
        conn: &'q mut C,
        filter: M::Filter,
        changes: V,
    ) -> Result<usize>
    where
        C: AsyncConnection + 'static,
        M: AsyncUpdateQuery<'q, C, V>,
    {
        if filter.is_window() {
            return Err(Error::WindowedWrite {
                model: M::INFO.name,
            });
        }
        refuse_in_transaction::<M, C>(conn)?;
        let n = M::update_filtered(conn, filter, changes).await?;
        self.bump_async("update_where", self.epoch_tags()).await;
        Ok(n)
    }

    /// [`Manager::invalidate_all`] from async code (after writes the hooks
    /// never saw: async connections are not tracked yet).
    pub async fn invalidate_all_async(&self) {
        self.bump_async("invalidate_all", self.epoch_tags()).await;
    }

    /// [`Manager::invalidate_id`] from async code.
    pub async fn invalidate_id_async(&self, id: M::Id) {
        let tags = self.row_tags(std::iter::once(&M::unique_of_id(id)), false);
        self.bump_async("invalidate", tags).await;
    }

    /// Bumps `tags` now (owed if the cache fails: logged, never an error of
    /// the write), and the tables declared to change with this one.
    async fn bump_async(&self, why: &'static str, tags: Vec<String>) {
        self.tally(cache_core::__engine::Counter::Invalidation);
        let also = crate::unseen::also_invalidated(M::table());
        if !also.is_empty() {
            // Rare (declared cascades): the sync path, off the runtime.
            let cache = self.cache().clone();
            let sent = tokio::task::spawn_blocking(move || {
                crate::unseen::Bumps::default()
                    .tables(Some(std::slice::from_ref(&cache)), &also, false)
                    .send(why)
            });
            if let Err(e) = sent.await {
                tracing::error!(model = M::INFO.name, why, error = %e, "declared cascade invalidation failed");
            }
        }
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        let bumped = self
            .cache()
            .bump_tag_groups_async(&[(&tags, Some(epoch))], Tags::<M>::ttl())
            .await;
        match bumped {
            Ok(()) => tracing::debug!(source = M::INFO.name, why, tags = ?tags, "cache invalidate"),
            Err(e) => {
                tracing::error!(source = M::INFO.name, why, tags = ?tags, error = %e, "cache invalidation failed")
            }
        }
    }
}

/// A hook write inside a transaction on an async connection: refused,
/// since its invalidation could not wait for the commit.
fn refuse_in_transaction<M: CachedModel, C: AsyncConnection>(conn: &mut C) -> Result<()> {
    if crate::manager_async::in_transaction(conn) {
        tracing::warn!(
            model = M::INFO.name,
            "hook write refused: a transaction is open on this async connection, which is not tracked"
        );
        return Err(Error::UntrackedTransaction);
    }
    Ok(())
}
