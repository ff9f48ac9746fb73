//! How a hook write's invalidation reaches the cache: the write's shape
//! (announced before its statement or bumped after, in a transaction of
//! its own or at the commit of the caller's), the bumps, the counts.

use crate::error::Result;
use crate::keys::TableTag;
use crate::keys::tag_bumps::Tags;
use crate::manager::Manager;
use crate::metrics::invalidations;
use crate::model::CachedModel;
use crate::sql_tables::Dialect;
use crate::tracking::{self, Invalidation};
use crate::writes::write_shape::WriteShape;
use crate::writes::write_through::Through;
use cache_core::__engine::Noted;
use cache_core::__engine::WithEngine;
use diesel::Connection;

use super::with_all;

/// `tags` as the `&str`s cache-core takes.
fn as_strs(tags: &[String]) -> Vec<&str> {
    tags.iter().map(String::as_str).collect()
}

/// Delivering a hook write's invalidation (internal): announced before
/// the statement, bumped at the commit, written through.
impl<M: CachedModel> Manager<M> {
    /// Runs a hook's write `f` (see [`tracking::as_hook`]) and returns
    /// its outcome with the tags it touched, as `touched` names them from
    /// the outcome (`None`: it wrote nothing) and from whether the write
    /// may name its values precisely (see [`Manager::write_shape`]).
    ///
    /// In autocommit the tags known before the write (`known`) are
    /// announced first (see `cache_core::__engine::Engine::announce_bumps`): should
    /// this process die after the write and before its bumps, no entry of
    /// those tags filled before the write is served after it. Those learned
    /// from the write (the value tags of the rows it replaced and wrote)
    /// can only be announced between the statement and its commit: on a
    /// shared store the write then runs in a transaction of its own (see
    /// [`Manager::write_shape`]). (Inside a transaction the tracker
    /// announces at the `COMMIT`.) A write that fails is invalidated by
    /// [`Manager::after_failed_write`]; one that wrote nothing has its
    /// announced tags replaced at once, so that readers do not go to the
    /// database until the announcement expires.
    pub(super) fn announced<C: Connection + 'static, T>(
        &self,
        conn: &mut C,
        known: Vec<String>,
        f: impl FnOnce(&mut C) -> diesel::QueryResult<T>,
        touched: impl Fn(&T, bool) -> Option<Vec<String>>,
    ) -> Result<(T, Vec<String>)> {
        self.announced_noting(conn, known, None, f, touched)
            .map(|(out, tags, _)| (out, tags))
    }

    /// [`Manager::announced`], noting with the announcement
    /// what `through`'s entry's tags hold (see
    /// `cache_core::__engine::Engine::announce_noting`), for the put after the
    /// commit.
    pub(super) fn announced_noting<C: Connection + 'static, T>(
        &self,
        conn: &mut C,
        known: Vec<String>,
        through: Option<&Through>,
        f: impl FnOnce(&mut C) -> diesel::QueryResult<T>,
        touched: impl Fn(&T, bool) -> Option<Vec<String>>,
    ) -> Result<(T, Vec<String>, Option<Noted>)> {
        let autocommit =
            tracking::read_policy(conn, std::iter::empty()) == tracking::ReadPolicy::Normal;
        let known = with_all(known, &self.also_epochs());
        let known = with_all(known, &self.schema_tags_on(conn));
        let shape = self.shape_on(conn);
        let known = match shape {
            WriteShape::Coarse => self.with_filtered(known),
            _ => known,
        };
        let known = self.model_keys().mirrored(known);
        let touched = |out: &T, precise| {
            let tags = touched(out, precise)?;
            Some(self.model_keys().mirrored(tags))
        };
        let mut noted = None;
        if autocommit {
            match through {
                Some(through) => noted = self.announce_noting(&as_strs(&known), through),
                None => self.cache().engine().announce_bumps(&as_strs(&known)),
            }
        }
        let precise = shape != WriteShape::Coarse;
        // What `touched` named inside the write's transaction, if it ran.
        let mut named: Option<Option<Vec<String>>> = None;
        let learned = |named: &Option<Option<Vec<String>>>| -> Vec<String> {
            let tags = named.iter().flatten().flatten();
            tags.filter(|t| !known.contains(t)).cloned().collect()
        };
        // (Says whether it learned any.)
        let mut announce = |out: &T| {
            named = Some(touched(out, precise));
            let learned = learned(&named);
            self.cache().engine().announce_bumps(&as_strs(&learned));
            !learned.is_empty()
        };
        let written = match shape {
            WriteShape::OwnTransaction => tracking::as_hook(conn, |conn| {
                conn.transaction(|conn| {
                    let out = f(conn)?;
                    announce(&out);
                    Ok(out)
                })
            }),
            WriteShape::HeldCommit => tracking::as_hook(conn, |conn| {
                let asked = crate::writes::announced_commit::ask();
                let out = f(conn);
                let held = crate::writes::announced_commit::held();
                drop(asked);
                let out = out?;
                let learned_any = announce(&out);
                if held {
                    // (Only `mysql_atomic` holds one.)
                    #[cfg(feature = "mysql")]
                    crate::writes::announced_commit::end_own(conn, true)?;
                } else if learned_any {
                    // (Every hook write that learns values goes through
                    // `mysql_atomic`; the others name what they touch
                    // before they run.)
                    debug_assert!(false, "a MySQL hook write learned tags after its commit");
                    tracing::warn!(
                        model = M::INFO.name,
                        "cache_diesel: a MySQL hook write learned what it touched after its commit"
                    );
                }
                Ok(out)
            }),
            WriteShape::ImmediateTransaction => tracking::as_hook(conn, |conn| {
                crate::writes::announced_commit::begin_immediate(conn)?;
                let out = f(conn).inspect(|out| {
                    announce(out);
                });
                crate::writes::announced_commit::end(conn, out)
            }),
            _ => tracking::as_hook(conn, f),
        };
        // (What was announced is replaced, whatever the write names.)
        let tags = match &written {
            Ok(value) => named
                .take()
                .unwrap_or_else(|| touched(value, precise))
                .map(|tags| with_all(tags, &known)),
            Err(_) => None,
        };
        if autocommit && tags.is_none() {
            let certain = match &written {
                Ok(_) => true,
                Err(crate::Error::Database(e)) => tracking::certainly_failed(e),
                Err(_) => true,
            };
            let mut announced = learned(&named);
            announced.extend(known);
            let tags = self.after_failed_write(certain, announced);
            if !tags.is_empty() {
                // (Fail open: owed when it fails.)
                let _ = self.bump("announced, not written", &tags);
            }
            if !certain {
                self.cache().engine().hold_doubtful(&as_strs(&tags));
            }
        }
        Ok((written?, tags.unwrap_or_default(), noted))
    }

    /// How a hook write on `conn` names the lists it touches (see
    /// [`Manager::write_shape`]).
    pub(crate) fn shape_on<C: Connection>(&self, conn: &mut C) -> WriteShape {
        let autocommit =
            tracking::read_policy(conn, std::iter::empty()) == tracking::ReadPolicy::Normal;
        let tracked = tracking::tracker(conn).is_some();
        self.write_shape::<C::Backend>(autocommit, tracked, false)
    }

    /// How a hook write names the lists it touches (see [`WriteShape`]),
    /// on backend `B`, in autocommit or not, on a `tracked` connection or
    /// not.
    ///
    /// A transaction of the hook's own is opened only where that is
    /// certainly safe: on PostgreSQL, on a tracked connection (whose
    /// tracker saw any transaction opened by SQL text, where a `BEGIN`
    /// would be ignored and the hook's `COMMIT` would commit the caller's
    /// work). On MySQL the hooks already write in a transaction of their
    /// own, opened by `mysql_atomic` only once the server says none is open
    /// (a `BEGIN` would commit one opened by `SET autocommit = 0` on an
    /// untracked connection): its commit is held for the hook
    /// ([`WriteShape::HeldCommit`]), tracked or not, sync or async. On
    /// SQLite the hook opens `BEGIN IMMEDIATE`
    /// ([`WriteShape::ImmediateTransaction`]; a deferred transaction would
    /// fail with `SQLITE_BUSY` if a concurrent writer came between the read
    /// of the old row and the update), tracked or not: SQLite refuses a
    /// `BEGIN` inside a transaction opened by SQL text that Diesel does not
    /// know, and the hook is then refused too (as on MySQL). On untracked
    /// PostgreSQL connections an autocommit write over a shared store is
    /// coarse.
    ///
    /// On async connections a hook future dropped before its `COMMIT`
    /// would leave its transaction open on the connection (the row locked,
    /// the connection's next statements inside it, never committed), where
    /// in autocommit the statement commits as it would have and is
    /// invalidated as a cancelled write. An async PostgreSQL hook holds its
    /// connection through `writes::pg::own_transaction::OnCancel`, which queues a
    /// `ROLLBACK` on it when the hook is dropped inside its transaction: the
    /// caller passes `tracked` only for a tracked `AsyncPgConnection` (the
    /// one connection type known to send a statement on its first poll).
    /// Async SQLite hooks stay coarse over a shared store (diesel-async
    /// runs each statement as a blocking task that takes the connection's
    /// lock: a `ROLLBACK` queued on a drop is not sure to run after the
    /// statement). Async MySQL hooks write in a transaction of their own
    /// already (`mysql_atomic_begin`), held as on the sync API: a cancelled
    /// one is left open as before (diesel-async's pools discard such a
    /// connection).
    pub(crate) fn write_shape<B>(
        &self,
        autocommit: bool,
        tracked: bool,
        is_async: bool,
    ) -> WriteShape {
        if !autocommit || !self.cache().backend().capabilities().shared {
            return WriteShape::InPlace;
        }
        match tracking::dialect_of::<B>() {
            Dialect::Postgres if tracked => WriteShape::OwnTransaction,
            Dialect::Mysql => WriteShape::HeldCommit,
            Dialect::Sqlite if !is_async => WriteShape::ImmediateTransaction,
            _ => WriteShape::Coarse,
        }
    }

    /// What a hook write in autocommit that failed invalidates, given the
    /// `announced` tags: those (their pending version replaced at once,
    /// rather than readers going to the database until it expires), and,
    /// unless the failure was `certain` to leave the table as it was (not
    /// a lost `COMMIT` reply, not a killed connection), every entry of the
    /// table: the write may have committed, under unique values this
    /// process never learned.
    pub(crate) fn after_failed_write(&self, certain: bool, announced: Vec<String>) -> Vec<String> {
        // (An in-process store was told nothing: nothing to replace.)
        let shared = self.cache().backend().capabilities().shared;
        let mut tags = if shared { announced } else { Vec::new() };
        if !certain {
            tags.extend(self.epoch_tags());
        }
        tags
    }

    /// Counts a write that invalidated every list with conditions
    /// (`coarse_invalidations` in the stats); whether it did.
    pub(crate) fn count_coarse(&self, tags: &[String]) -> bool {
        let keys = self.model_keys();
        let coarse = tags.iter().any(|t| keys.is_coarse(t));
        self.count_write(coarse);
        coarse
    }

    /// The span of a hook write's invalidation of `tags`.
    pub(crate) fn invalidate_span(&self, why: &'static str, tags: &[String]) -> tracing::Span {
        let model = M::INFO.name;
        tracing::info_span!("cache.invalidate", model, why, tags = tags.len())
    }

    /// Counts a hook write's invalidation of `tags` (see `metrics::invalidations`).
    pub(crate) fn count_hook(&self, tags: &[String]) {
        let cause = match self.count_coarse(tags) {
            true => invalidations::Cause::Coarse,
            false => invalidations::Cause::Hook,
        };
        invalidations::invalidated(M::table(), cause);
    }

    /// Invalidates `tags` now, or at the commit of the open transaction.
    pub(super) fn invalidate<C: Connection>(
        &self,
        conn: &mut C,
        why: &'static str,
        tags: Vec<String>,
    ) {
        self.invalidate_written(conn, why, tags, false)
    }

    /// [`Manager::invalidate`] of a write whose `tags` were `bumped`
    /// already, with its write-through (see `write_through.rs`).
    pub(super) fn invalidate_written<C: Connection>(
        &self,
        conn: &mut C,
        why: &'static str,
        tags: Vec<String>,
        bumped: bool,
    ) {
        let _span = self.invalidate_span(why, &tags).entered();
        self.count_hook(&tags);
        let epoch = self.cover();
        match tracking::defer(
            &mut tracking::SyncConn(conn),
            self.cache(),
            &tags,
            epoch,
            Tags::<M>::ttl(),
        ) {
            Invalidation::Now if bumped => self.bumped(why, &tags),
            // (Fail open: owed when it fails.)
            Invalidation::Now => drop(self.bump(why, &tags)),
            Invalidation::Deferred => {
                tracing::debug!(model = M::INFO.name, why, tags = ?tags, "cache invalidate deferred to commit")
            }
        }
        let conn = &mut tracking::SyncConn(conn);
        for (other, epoch) in self.other_caches(conn) {
            let tags = [epoch];
            let ttl = Tags::<M>::ttl();
            if let Invalidation::Now = tracking::defer(conn, &other, &tags, &tags[0], ttl) {
                // (Fail open: owed when it fails.)
                let bumped = crate::keys::tag_bumps::bump(
                    &other,
                    &tags,
                    Some(&tags[0]),
                    ttl,
                    M::INFO.name,
                    why,
                );
                drop(bumped);
            }
        }
    }

    /// The other caches a hook write on the tracked connection `conn`
    /// reaches (those its tracker reaches: other managers of the table, on
    /// caches of their own), each with its table-wide `epoch` tag: the
    /// write invalidates every entry of the table in each (its precise
    /// tags are this cache's), as a write the hooks never saw does. Not
    /// those sharing this cache's tags: a shared store under the same
    /// prefix (two handles on one Redis) is taken to be one. None on an
    /// untracked connection.
    pub(crate) fn other_caches(
        &self,
        conn: &mut impl tracking::Tracked,
    ) -> Vec<(cache_core::Cache, String)> {
        let own = self.cache();
        let shared = |c: &cache_core::Cache| c.backend().capabilities().shared;
        let shares_tags = |c: &cache_core::Cache| {
            c.same(own)
                || (shared(c)
                    && shared(own)
                    && c.backend().kind() == own.backend().kind()
                    && c.engine().keys().namespace_prefix()
                        == own.engine().keys().namespace_prefix())
        };
        // (And, for a model over a view, those holding entries of its
        // table.)
        let tables = std::iter::once(M::table()).chain(self.model_keys().base());
        let mut others = Vec::new();
        for table in tables {
            let caches = tracking::tracked_caches(conn, table).into_iter();
            others.extend(caches.filter(|c| !shares_tags(c)).map(|c| {
                let epoch = crate::keys::table_tag(&c, table, TableTag::Epoch);
                (c, epoch)
            }));
        }
        others
    }

    /// Counts and logs a bump of `tags` made with the write's put.
    pub(crate) fn bumped(&self, why: &'static str, tags: &[String]) {
        self.tally(cache_core::__engine::Counter::Invalidation);
        tracing::debug!(source = M::INFO.name, why, tags = ?tags, "cache invalidate");
    }

    pub(super) fn bump(&self, why: &'static str, tags: &[String]) -> Result<()> {
        self.tally(cache_core::__engine::Counter::Invalidation);
        crate::keys::tag_bumps::bump(
            self.cache(),
            tags,
            Some(self.cover()),
            Tags::<M>::ttl(),
            M::INFO.name,
            why,
        )
    }
}
