//! The async write hooks of [`Manager`]: `insert_async`,
//! `insert_many_async`, `insert_execute_async`, `update_async`,
//! `save_async`, `delete_async`, `update_where_async`. The same statements
//! as the sync hooks (one `INSERT`/`UPDATE`/`DELETE .. RETURNING` on
//! PostgreSQL; SQLite's run by diesel-async's wrapper on its blocking
//! thread) and the same tags, bumped through the async driver (one round
//! trip, owed when the cache fails). On a connection tracked by
//! [`track_async`](crate::track_async), inside a transaction they wait for
//! the commit, as the sync hooks do (see [`crate::tracking_async`]);
//! inside a transaction on an untracked connection they refuse
//! ([`Error::UntrackedTransaction`]) and write nothing.

use crate::error::{Error, Result};
use crate::keys::TableTag;
use crate::manager::Manager;
use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, CachedModel, ListFilter, Updated,
};
use crate::tags::Tags;
use crate::tracking::{self, Invalidation};
use crate::tracking_async::{AsyncConn, Hook};
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::future::Future;

impl<M: CachedModel> Manager<M> {
    /// [`Manager::insert`] on an async connection.
    pub async fn insert_async<'q, C, V>(&self, conn: &mut C, values: V) -> Result<M>
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
    pub async fn insert_many_async<'q, C, V>(&self, conn: &mut C, values: V) -> Result<Vec<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncInsertQuery<'q, C, V>,
    {
        let hook = self.hook(conn)?;
        let announced = self.announce_async(conn, self.inserted_tags()).await;
        let written = hook.run(M::insert_returning(&mut *conn, values)).await;
        let rows = self
            .failed_async(announced, written, |rows| !rows.is_empty())
            .await?;
        if !rows.is_empty() {
            self.invalidate_async(conn, "insert", self.inserted_tags())
                .await;
        }
        Ok(rows)
    }

    /// [`Manager::insert_execute`] on an async connection.
    pub async fn insert_execute_async<'q, C, V>(&self, conn: &mut C, values: V) -> Result<usize>
    where
        C: AsyncConnection + 'static,
        M: AsyncInsertQuery<'q, C, V>,
    {
        let hook = self.hook(conn)?;
        let announced = self.announce_async(conn, self.inserted_tags()).await;
        let written = hook.run(M::insert_execute(&mut *conn, values)).await;
        let n = self.failed_async(announced, written, |n| *n > 0).await?;
        if n > 0 {
            self.invalidate_async(conn, "insert", self.inserted_tags())
                .await;
        }
        Ok(n)
    }

    /// [`Manager::update`] on an async connection.
    pub async fn update_async<'q, C, V>(
        &self,
        conn: &mut C,
        id: M::Id,
        changes: V,
    ) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncUpdateQuery<'q, C, V>,
    {
        let hook = self.hook(conn)?;
        let announced = self.announce_async(conn, self.id_tags(&id)).await;
        let written = hook.run(M::update_by_id(&mut *conn, id, changes)).await;
        let updated = self
            .failed_async(announced, written, Option::is_some)
            .await?;
        let Some(Updated { row, before }) = updated else {
            return Ok(None);
        };
        self.invalidate_async(conn, "update", self.updated_tags(&row, &before))
            .await;
        Ok(Some(row))
    }

    /// [`Manager::save`] on an async connection.
    ///
    /// The row is written from a copy (SQLite's async writes take owned
    /// values), so the model needs `AsChangeset` for itself, not only for
    /// a reference, which `#[derive(AsChangeset)]` gives.
    pub async fn save_async<C>(&self, conn: &mut C, row: &M) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncUpdateQuery<'static, C, M>,
    {
        self.update_async(conn, row.id(), row.clone()).await
    }

    /// [`Manager::delete`] on an async connection.
    pub async fn delete_async<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M>>
    where
        C: AsyncConnection + 'static,
        M: AsyncDeleteQuery<C>,
    {
        let hook = self.hook(conn)?;
        let announced = self.announce_async(conn, self.id_tags(&id)).await;
        let written = hook.run(M::delete_by_id(&mut *conn, &id)).await;
        let deleted = self
            .failed_async(announced, written, Option::is_some)
            .await?;
        if let Some(row) = &deleted {
            let tags = self.row_tags(row.unique_keys().iter(), false);
            self.invalidate_async(conn, "delete", tags).await;
        }
        Ok(deleted)
    }

    /// [`Manager::update_where`] on an async connection.
    pub async fn update_where_async<'q, C, V>(
        &self,
        conn: &mut C,
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
        let hook = self.hook(conn)?;
        let announced = self.announce_async(conn, self.epoch_tags()).await;
        let written = hook
            .run(M::update_filtered(&mut *conn, filter, changes))
            .await;
        let n = self.failed_async(announced, written, |_| true).await?;
        self.invalidate_async(conn, "update_where", self.epoch_tags())
            .await;
        Ok(n)
    }

    /// [`Manager::invalidate_all`] from async code (after writes nothing
    /// could see: another program, a trigger).
    pub async fn invalidate_all_async(&self) -> Result<()> {
        self.bump_async("invalidate_all", self.epoch_tags()).await
    }

    /// [`Manager::invalidate_id`] from async code.
    pub async fn invalidate_id_async(&self, id: M::Id) -> Result<()> {
        let tags = self.row_tags(std::iter::once(&M::unique_of_id(id)), false);
        self.bump_async("invalidate", tags).await
    }

    /// The announcement of a sync hook (see `Manager::announced`) on an
    /// async connection: the bumps of a write about to run in autocommit
    /// are announced first. Returns them when they were.
    async fn announce_async<C: AsyncConnection>(
        &self,
        conn: &mut C,
        tags: Vec<String>,
    ) -> Option<Vec<String>> {
        let policy = tracking::policy_on(&mut AsyncConn(conn), std::iter::empty());
        if policy != tracking::ReadPolicy::Normal {
            return None;
        }
        let announced: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.cache().announce_bumps_async(&announced).await;
        Some(tags)
    }

    /// A hook's `written` outcome; if it failed or wrote nothing (`wrote`)
    /// after its tags were `announced`, they are invalidated at once (see
    /// `Manager::announced`).
    async fn failed_async<T>(
        &self,
        announced: Option<Vec<String>>,
        written: QueryResult<T>,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        if let Some(tags) = announced {
            let tags = match &written {
                Ok(value) if wrote(value) => Vec::new(),
                Ok(_) => self.after_failed_write(true, tags),
                Err(e) => self.after_failed_write(tracking::certainly_failed(e), tags),
            };
            if !tags.is_empty() {
                let _ = self.bump_async("announced, not written", tags).await; // (owed when it fails)
            }
        }
        Ok(written?)
    }

    /// Starts a hook write on `conn` (see [`Hook`]).
    fn hook<C: AsyncConnection>(&self, conn: &mut C) -> Result<Hook> {
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        Hook::enter::<M, C>(conn, self.cache(), epoch, Tags::<M>::ttl())
    }

    /// Invalidates `tags` now, or at the commit of the open transaction of
    /// a tracked `conn`; and the tables declared to change with this one.
    async fn invalidate_async<C: AsyncConnection>(
        &self,
        conn: &mut C,
        why: &'static str,
        tags: Vec<String>,
    ) {
        let also = crate::unseen::also_invalidated(M::table());
        if !also.is_empty() && tracking::defer_unseen(&mut AsyncConn(conn), &also).is_some() {
            crate::unseen::Bumps::default()
                .tables(Some(std::slice::from_ref(self.cache())), &also, false)
                .send_async(why)
                .await;
        }
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        match tracking::defer(
            &mut AsyncConn(conn),
            self.cache(),
            &tags,
            epoch,
            Tags::<M>::ttl(),
        ) {
            Invalidation::Now => drop(self.bump_async(why, tags).await), // (owed when it fails)
            Invalidation::Deferred => {
                tracing::debug!(model = M::INFO.name, why, tags = ?tags, "cache invalidate deferred to commit")
            }
        }
    }

    /// Bumps `tags` now (owed if the cache fails: logged, never an error of
    /// the write).
    async fn bump_async(&self, why: &'static str, tags: Vec<String>) -> Result<()> {
        self.tally(cache_core::__engine::Counter::Invalidation);
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        let bumped = self
            .cache()
            .bump_tag_groups_async(&[(&tags, Some(epoch))], Tags::<M>::ttl())
            .await;
        crate::tags::logged(self.cache(), bumped, &tags, M::INFO.name, why)
    }
}

impl Hook {
    /// Runs the hook's statement.
    async fn run<T>(self, statement: impl Future<Output = QueryResult<T>>) -> QueryResult<T> {
        let out = statement.await;
        self.done();
        out
    }
}
