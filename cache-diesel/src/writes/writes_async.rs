//! The async write hooks of [`Manager`]: `insert_async`,
//! `insert_many_async`, `insert_execute_async`, `update_async`,
//! `save_async`, `delete_async`, `update_where_async`. The same statements
//! as the sync hooks (one `INSERT`/`UPDATE`/`DELETE .. RETURNING` on
//! PostgreSQL; SQLite's run by diesel-async's wrapper on its blocking
//! thread) and the same tags, bumped through the async driver (one round
//! trip, owed when the cache fails). On a connection tracked by
//! [`track_async`](crate::track_async), inside a transaction they wait for
//! the commit, as the sync hooks do (see [`crate::tracking::tracking_async`]);
//! inside a transaction on an untracked connection they refuse
//! ([`Error::UntrackedTransaction`]) and write nothing.

use crate::error::{Error, Result};
use crate::keys::tag_bumps::Tags;
use crate::manager::Manager;
use crate::model::{
    AsyncDeleteQuery, AsyncInsertQuery, AsyncUpdateQuery, CachedModel, ListFilter, Updated,
    UpdatedRows,
};
use crate::tracking::tracking_async::{AsyncConn, Hook};
use crate::tracking::{self, Invalidation};
use crate::writes::pg::own_transaction::OnCancel;
use crate::writes::with_all;
use crate::writes::write_shape::WriteShape;
use crate::writes::write_through::Through;
use cache_core::__engine::Noted;
use cache_core::__engine::WithEngine;
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::future::Future;
use tracing::Instrument;

/// Async writes through hooks (feature `async`): [`insert_async`](Self::insert_async),
/// [`insert_many_async`](Self::insert_many_async), [`insert_execute_async`](Self::insert_execute_async),
/// [`update_async`](Self::update_async), [`save_async`](Self::save_async),
/// [`delete_async`](Self::delete_async), [`update_where_async`](Self::update_where_async),
/// [`invalidate_all_async`](Self::invalidate_all_async), [`invalidate_id_async`](Self::invalidate_id_async).
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
        let values = match self.runs_whole(conn) {
            true => match M::insert_whole(conn, self, values) {
                Ok(whole) => return whole.await,
                Err(values) => values,
            },
            false => values,
        };
        let hook = self.hook(conn)?;
        let conn = &mut OnCancel::new(conn);
        let write = self.begin_async(conn, |_| self.inserted_tags()).await;
        let touched = |rows: &Vec<M>, precise| {
            let values = rows.iter().flat_map(CachedModel::column_values);
            (!rows.is_empty()).then(|| self.inserted_tags_of(Some(values), precise))
        };
        let ran = write.run(M::insert_returning(&mut **conn, values)).await;
        let written = self
            .after_statement(conn, hook, &write, ran, &touched)
            .await;
        let (rows, tags) = self.end_async(write, written, touched).await?;
        if !rows.is_empty() {
            self.invalidate_async(&mut **conn, "insert", tags).await;
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
        let conn = &mut OnCancel::new(conn);
        let write = self.begin_async(conn, |_| self.inserted_tags()).await;
        // (The rows are not read back: their values are unknown.)
        let touched = |n: &usize, _| {
            (*n > 0).then(|| self.inserted_tags_of(None::<std::iter::Empty<_>>, false))
        };
        let ran = write.run(M::insert_execute(&mut **conn, values)).await;
        let written = self
            .after_statement(conn, hook, &write, ran, &touched)
            .await;
        let (n, tags) = self.end_async(write, written, touched).await?;
        if n > 0 {
            self.invalidate_async(&mut **conn, "insert", tags).await;
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
        let (id, changes) = match self.runs_whole(conn) {
            true => match M::update_whole(conn, self, id, changes) {
                Ok(whole) => return whole.await,
                Err(back) => back,
            },
            false => (id, changes),
        };
        let hook = self.hook(conn)?;
        let conn = &mut OnCancel::new(conn);
        let through = self.through_of(&id);
        let mut write = self
            .begin_async_noting(conn, |_| self.id_tags(&id), through.as_ref())
            .await;
        let noted = write.noted.take();
        let touched = |updated: &Option<Updated<M>>, precise| {
            updated.as_ref().map(|u| self.updated_tags(u, precise))
        };
        let ran = write.run(M::update_by_id(&mut **conn, id, changes)).await;
        let written = self
            .after_statement(conn, hook, &write, ran, &touched)
            .await;
        let (updated, tags) = self.end_async(write, written, touched).await?;
        let Some(Updated { row, .. }) = updated else {
            return Ok(None);
        };
        let bumped = match (through, noted) {
            (Some(through), Some(noted)) => {
                self.put_written_async(through, noted, &row, &tags).await
            }
            _ => false,
        };
        self.invalidate_written_async(&mut **conn, "update", tags, bumped)
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
        let id = match self.runs_whole(conn) {
            true => match M::delete_whole(conn, self, id) {
                Ok(whole) => return whole.await,
                Err(id) => id,
            },
            false => id,
        };
        let hook = self.hook(conn)?;
        let conn = &mut OnCancel::new(conn);
        let write = self.begin_async(conn, |_| self.id_tags(&id)).await;
        let touched = |deleted: &Option<M>, precise| {
            deleted.as_ref().map(|row| self.deleted_tags(row, precise))
        };
        let ran = write.run(M::delete_by_id(&mut **conn, &id)).await;
        let written = self
            .after_statement(conn, hook, &write, ran, &touched)
            .await;
        let (deleted, tags) = self.end_async(write, written, touched).await?;
        if deleted.is_some() {
            self.invalidate_async(&mut **conn, "delete", tags).await;
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
        let (filter, changes) = match self.runs_whole(conn) {
            true => match M::update_where_whole(conn, self, filter, changes) {
                Ok(whole) => return whole.await,
                Err(back) => back,
            },
            false => (filter, changes),
        };
        let hook = self.hook(conn)?;
        let conn = &mut OnCancel::new(conn);
        let write = self
            .begin_async(conn, |shape| self.update_where_known(shape))
            .await;
        let touched = |rows: &UpdatedRows<M>, precise| Some(self.update_where_tags(rows, precise));
        let ran = write
            .run(M::update_filtered(&mut **conn, filter, changes))
            .await;
        let written = self
            .after_statement(conn, hook, &write, ran, &touched)
            .await;
        let (rows, tags) = self.end_async(write, written, touched).await?;
        self.invalidate_async(&mut **conn, "update_where", tags)
            .await;
        Ok(rows.len())
    }

    /// [`Manager::invalidate_all`] from async code (after writes nothing
    /// could see: another program, a trigger).
    pub async fn invalidate_all_async(&self) -> Result<()> {
        crate::metrics::invalidations::invalidated(
            M::table(),
            crate::metrics::invalidations::Cause::Operator,
        );
        self.bump_async("invalidate_all", self.epoch_tags()).await
    }

    /// [`Manager::invalidate_id`] from async code.
    pub async fn invalidate_id_async(&self, id: M::Id) -> Result<()> {
        let tags = self.id_invalidation_tags(id);
        self.count_coarse(&tags);
        crate::metrics::invalidations::invalidated(
            M::table(),
            crate::metrics::invalidations::Cause::Operator,
        );
        self.bump_async("invalidate", tags).await
    }

    /// Whether a hook write on `conn` runs as the whole sync hook, where the
    /// connection runs its statements (the `*_whole` methods of the async
    /// query traits; SQLite's wrapper has them): in autocommit over a
    /// shared store, where the async hook would be coarse.
    fn runs_whole<C: AsyncConnection + 'static>(&self, conn: &mut C) -> bool {
        // (The dialect first: other connections never ask their tracker.)
        if tracking::dialect_of::<C::Backend>() != crate::sql_tables::Dialect::Sqlite {
            return false;
        }
        let policy = tracking::policy_on(&mut AsyncConn(conn), std::iter::empty());
        let autocommit = policy == tracking::ReadPolicy::Normal;
        self.write_shape::<C::Backend>(autocommit, false, true) == WriteShape::Coarse
    }

    /// `Manager::schema_tags` of a write on `conn`, which reads the
    /// catalogue first where what it said is older than a writer trusts.
    async fn schema_tags_async<C: AsyncConnection + 'static>(&self, conn: &mut C) -> Vec<String> {
        if !self.cache().backend().capabilities().shared {
            return Vec::new();
        }
        let cache = self.cache().engine().keys().namespace_prefix();
        let policy = tracking::policy_on(&mut AsyncConn(&mut *conn), std::iter::empty());
        let autocommit = policy == tracking::ReadPolicy::Normal;
        let columns =
            crate::keys::catalogue::columns_for_write_async(conn, cache, M::table(), autocommit)
                .await;
        let mut tags = self.schema_tags(columns);
        if let Some(base) = self.model_keys().base() {
            let listed =
                crate::keys::catalogue::columns_for_write_async(conn, cache, base, autocommit);
            tags.extend(self.base_schema_tags(listed.await));
        }
        tags
    }

    /// Starts a hook write on `conn` whose tags known before it runs are
    /// `known`, as the sync hooks do (see `Manager::announced`): on a
    /// tracked `AsyncPgConnection` in autocommit over a shared store,
    /// opens a transaction of its own (see `writes::pg::own_transaction`); in
    /// autocommit, announces them (with `filtered` where the write is
    /// coarse, see `Manager::write_shape`).
    async fn begin_async<C: AsyncConnection + 'static>(
        &self,
        conn: &mut OnCancel<'_, C>,
        known: impl FnOnce(WriteShape) -> Vec<String>,
    ) -> AsyncWrite {
        self.begin_async_noting(conn, known, None).await
    }

    /// [`Manager::begin_async`] of a write that may put its row
    /// (`through`, see `write_through.rs`): on a tracked connection in
    /// autocommit, precise, its announcement notes what the row's entry's
    /// tags hold ([`AsyncWrite::noted`]).
    async fn begin_async_noting<C: AsyncConnection + 'static>(
        &self,
        conn: &mut OnCancel<'_, C>,
        known: impl FnOnce(WriteShape) -> Vec<String>,
        through: Option<&Through>,
    ) -> AsyncWrite {
        let schema = self.schema_tags_async(&mut **conn).await;
        let policy = tracking::policy_on(&mut AsyncConn(&mut **conn), std::iter::empty());
        let autocommit = policy == tracking::ReadPolicy::Normal;
        let tracked = crate::tracking::tracking_async::async_tracker(&mut **conn).is_some();
        // (Only on a connection the library sees: an untracked one may be
        // inside a transaction opened by SQL text.)
        let through = through.filter(|_| tracked);
        let tracked = tracked && conn.can_hold();
        let mut shape = self.write_shape::<C::Backend>(autocommit, tracked, true);
        if shape == WriteShape::OwnTransaction && conn.begin().await.is_err() {
            // (The write will fail on that connection: coarse.)
            shape = WriteShape::Coarse;
        }
        let precise = shape != WriteShape::Coarse;
        let known = with_all(known(shape), &self.also_epochs());
        let known = with_all(known, &schema);
        let known = if precise {
            known
        } else {
            self.with_filtered(known)
        };
        let known = self.model_keys().mirrored(known);
        let mut noted = None;
        if autocommit {
            let announced: Vec<&str> = known.iter().map(String::as_str).collect();
            match through.filter(|_| precise) {
                Some(through) => {
                    noted = self.announce_noting_async(&announced, through).await;
                }
                None => self.cache().engine().announce_bumps_async(&announced).await,
            }
        }
        AsyncWrite {
            autocommit,
            precise,
            hold: shape == WriteShape::HeldCommit,
            own: shape == WriteShape::OwnTransaction,
            known,
            noted,
        }
    }

    /// Ends a hook's statement (its output `out`, and whether its commit
    /// was `held`, see [`AsyncWrite::run`]) on `conn`: where it was held,
    /// announces the tags `touched` learned from the outcome and commits.
    /// The hook is done once its statement (and that commit) returned.
    async fn after_statement<C: AsyncConnection + 'static, T>(
        &self,
        conn: &mut OnCancel<'_, C>,
        hook: Hook,
        write: &AsyncWrite,
        (out, held): (QueryResult<T>, bool),
        touched: &impl Fn(&T, bool) -> Option<Vec<String>>,
    ) -> QueryResult<T> {
        if !write.hold && !write.own {
            hook.done();
            return out;
        }
        let learned: Vec<String> = match &out {
            Ok(value) => touched(value, write.precise)
                .map(|tags| self.model_keys().mirrored(tags))
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let learned: Vec<&str> = learned
            .iter()
            .filter(|t| !write.known.contains(t))
            .map(String::as_str)
            .collect();
        if write.own {
            if out.is_ok() {
                self.cache().engine().announce_bumps_async(&learned).await;
            }
            let ended = conn.end(out.is_ok()).await;
            hook.done();
            return ended.and(out);
        }
        if held {
            self.cache().engine().announce_bumps_async(&learned).await;
            // (Only `mysql_atomic_begin` holds one.)
            #[cfg(feature = "async-mysql")]
            let committed = crate::writes::announced_commit::end_own_async(&mut **conn, true).await;
            #[cfg(not(feature = "async-mysql"))]
            let committed = Ok(());
            hook.done();
            return committed.and(out);
        }
        if !learned.is_empty() {
            // (Every hook write that learns values goes through
            // `mysql_atomic_begin`; the others name what they touch before
            // they run.)
            debug_assert!(false, "a MySQL hook write learned tags after its commit");
            tracing::warn!(
                model = M::INFO.name,
                "cache_diesel: an async MySQL hook write learned what it touched after its commit"
            );
        }
        hook.done();
        out
    }

    /// Ends a hook write begun by [`begin_async`](Self::begin_async)
    /// whose statement returned `written`: names the tags it touched
    /// (`touched`, as for `Manager::announced`); if it failed or wrote
    /// nothing, invalidates what it announced at once (see
    /// `Manager::announced`).
    async fn end_async<T>(
        &self,
        write: AsyncWrite,
        written: QueryResult<T>,
        touched: impl Fn(&T, bool) -> Option<Vec<String>>,
    ) -> Result<(T, Vec<String>)> {
        // (What was announced is replaced, whatever the write names.)
        let tags = written
            .as_ref()
            .ok()
            .and_then(|v| touched(v, write.precise))
            .map(|tags| with_all(self.model_keys().mirrored(tags), &write.known));
        if write.autocommit && tags.is_none() {
            let certain = match &written {
                Ok(_) => true,
                Err(e) => tracking::certainly_failed(e),
            };
            let tags = self.after_failed_write(certain, write.known);
            if !tags.is_empty() {
                // (Owed when it fails.)
                let _ = self
                    .bump_async("announced, not written", tags.clone())
                    .await;
            }
            if !certain {
                let held: Vec<&str> = tags.iter().map(String::as_str).collect();
                self.cache().engine().hold_doubtful_async(&held).await;
            }
        }
        Ok((written?, tags.unwrap_or_default()))
    }

    /// Starts a hook write on `conn` (see [`Hook`]).
    fn hook<C: AsyncConnection>(&self, conn: &mut C) -> Result<Hook> {
        let epoch = self.cover();
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
        self.invalidate_written_async(conn, why, tags, false).await
    }

    /// [`Manager::invalidate_async`] of a write whose `tags` were `bumped`
    /// already, with its write-through (see `write_through.rs`).
    async fn invalidate_written_async<C: AsyncConnection>(
        &self,
        conn: &mut C,
        why: &'static str,
        tags: Vec<String>,
        bumped: bool,
    ) {
        let span = self.invalidate_span(why, &tags);
        self.invalidate_now_async(conn, why, tags, bumped)
            .instrument(span)
            .await
    }

    /// [`Manager::invalidate_written_async`] within its span.
    async fn invalidate_now_async<C: AsyncConnection>(
        &self,
        conn: &mut C,
        why: &'static str,
        tags: Vec<String>,
        bumped: bool,
    ) {
        self.count_hook(&tags);
        let epoch = self.cover();
        match tracking::defer(
            &mut AsyncConn(conn),
            self.cache(),
            &tags,
            epoch,
            Tags::<M>::ttl(),
        ) {
            Invalidation::Now if bumped => self.bumped(why, &tags),
            Invalidation::Now => drop(self.bump_async(why, tags).await), // (owed when it fails)
            Invalidation::Deferred => {
                tracing::debug!(model = M::INFO.name, why, tags = ?tags, "cache invalidate deferred to commit")
            }
        }
        // (See `Manager::invalidate`.)
        let conn = &mut AsyncConn(conn);
        for (other, epoch) in self.other_caches(conn) {
            let tags = [epoch];
            let ttl = Tags::<M>::ttl();
            if let Invalidation::Now = tracking::defer(conn, &other, &tags, &tags[0], ttl) {
                // (Fail open: owed when it fails.)
                let bumped = other
                    .engine()
                    .bump_tag_groups_async(&[(&tags, Some(tags[0].as_str()))], ttl)
                    .await;
                drop(crate::keys::tag_bumps::logged(
                    &other,
                    bumped,
                    &tags,
                    M::INFO.name,
                    why,
                ));
            }
        }
    }

    /// Bumps `tags` now (owed if the cache fails: logged, never an error of
    /// the write).
    async fn bump_async(&self, why: &'static str, tags: Vec<String>) -> Result<()> {
        self.tally(cache_core::__engine::Counter::Invalidation);
        let epoch = self.cover();
        let bumped = self
            .cache()
            .engine()
            .bump_tag_groups_async(&[(&tags, Some(epoch))], Tags::<M>::ttl())
            .await;
        crate::keys::tag_bumps::logged(self.cache(), bumped, &tags, M::INFO.name, why)
    }
}

/// A hook write begun on an async connection (see
/// [`Manager::begin_async`]).
struct AsyncWrite {
    /// Whether it runs in autocommit (its tags were announced).
    autocommit: bool,
    /// Whether it names the lists it touches by their values.
    precise: bool,
    /// Whether its commit is held for the announcement of what it learns
    /// ([`WriteShape::HeldCommit`]).
    hold: bool,
    /// Whether it runs in a transaction [`Manager::begin_async`] opened
    /// ([`WriteShape::OwnTransaction`]), to announce what it learns before
    /// its commit.
    own: bool,
    /// The tags known before it ran.
    known: Vec<String>,
    /// What its row's entry's tags held before it ran, where it may put
    /// its row (write-through).
    noted: Option<Noted>,
}

impl AsyncWrite {
    /// Runs the hook's statement; where its commit is to be held
    /// ([`WriteShape::HeldCommit`]), asks `mysql_atomic_begin` to hold it
    /// and says whether it did (see `writes::announced_commit`).
    async fn run<T>(
        &self,
        statement: impl Future<Output = QueryResult<T>>,
    ) -> (QueryResult<T>, bool) {
        #[cfg(feature = "async-mysql")]
        if self.hold {
            return crate::writes::announced_commit::poll_asked(statement).await;
        }
        (statement.await, false)
    }
}
