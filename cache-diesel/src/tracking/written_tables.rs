//! What a write the hooks never saw invalidates, and where.
//!
//! The tracker ([`crate::tracking`]) reports the tables a statement wrote,
//! or that it may have written anything. This module turns that into tag
//! bumps: the `epoch` tag of every written table, in every cache that holds
//! entries of it (the caches its managers use, and the process's default
//! cache, which every process's `Model::cache()` shares), or in the caches
//! a tracker was pointed at.
//!
//! Names the scanner cannot vouch for are over-invalidated: a write to a
//! name no manager in this process uses may be a write through a view, so
//! it invalidates every managed table, unless the application declared
//! what it is ([`declare_view`], [`declare_uncached`]). Functions that
//! write are invisible in `SELECT f()`; [`declare_function_writes`] names
//! what they write. [`invalidate_tables`] invalidates by hand.

use crate::keys::tag_bumps::{DEFAULT_TAG_TTL, bump};
use crate::keys::{TableTag, all_tag, table_tag};
use crate::metrics::invalidations;
use crate::registry;
use crate::sql_tables::{Dialect, function_calls};
use crate::tracking::SyncConn;
use cache_core::__engine::WithEngine;
use cache_core::Cache;
use diesel::Connection;
use std::collections::{BTreeSet, HashMap};
use std::sync::{LazyLock, RwLock};

/// What the application declared about its schema.
#[derive(Default)]
struct Declared {
    /// View name -> the tables a write through it writes.
    views: HashMap<String, Vec<String>>,
    /// Function name -> the tables a call writes.
    functions: HashMap<String, Vec<String>>,
    /// Tables no cache holds entries of: their writes invalidate nothing.
    uncached: BTreeSet<String>,
    /// Table -> tables a write to it may also write (foreign keys with
    /// `ON DELETE/UPDATE CASCADE`, `SET NULL`, triggers).
    cascades: HashMap<String, Vec<String>>,
}

impl Declared {
    /// What a write to `table` also invalidates: its declared cascades, and
    /// the declared views over it (a model may cache a view). Not the views
    /// of models' `view_of`: their entries depend on the table's tags.
    fn also<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a String> {
        let cascades = self.cascades.get(table).into_iter().flatten();
        let views = self
            .views
            .iter()
            .filter(move |(_, behind)| behind.iter().any(|t| t == table))
            .map(|(view, _)| view);
        cascades.chain(views)
    }

    /// The tables a write through `view` writes: those declared, or the
    /// one a model's `view_of` names. `None`: not a view of either kind.
    fn behind<'a>(&'a self, view: &str) -> Option<Vec<&'a str>> {
        if let Some(tables) = self.views.get(view) {
            return Some(tables.iter().map(String::as_str).collect());
        }
        let model_views = crate::keys::model_views().iter();
        let base = model_views
            .filter(|(v, _)| v == view)
            .map(|(_, base)| base.as_str());
        Some(base.collect::<Vec<_>>()).filter(|tables| !tables.is_empty())
    }

    /// What writes to `tables` also change, followed through (a cascade
    /// to a table a view shows): every table reached by a declared edge.
    /// A table of `tables` is among them when a cascade leads back to it
    /// (a self-referencing foreign key, a cycle of them): its other rows
    /// may have changed.
    fn reached_from<'a>(&self, tables: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut todo: Vec<String> = tables.into_iter().map(str::to_owned).collect();
        while let Some(table) = todo.pop() {
            for next in self.also(&table) {
                if reached.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        reached
    }
}

static DECLARED: LazyLock<RwLock<Declared>> = LazyLock::new(Default::default);

fn lower(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_ascii_lowercase()).collect()
}

/// Declares that writes through the view `view` write `tables` (so they
/// invalidate those tables only, not every managed table), and that writes
/// to `tables` change what the view shows (so a model over the view is
/// invalidated by them).
pub fn declare_view(view: &str, tables: &[&str]) {
    let mut declared = DECLARED.write().unwrap_or_else(|p| p.into_inner());
    declared
        .views
        .insert(view.to_ascii_lowercase(), lower(tables));
}

/// Declares that calling the SQL function `function` (in any statement,
/// `SELECT archive_order(7)` included) writes `tables`: a tracked
/// connection invalidates them as it does any other write.
pub fn declare_function_writes(function: &str, tables: &[&str]) {
    let mut declared = DECLARED.write().unwrap_or_else(|p| p.into_inner());
    declared
        .functions
        .insert(function.to_ascii_lowercase(), lower(tables));
}

/// Declares that a write to `table` may also write `others`: foreign keys
/// with `ON DELETE CASCADE` / `ON UPDATE CASCADE` / `SET NULL`, or a
/// trigger. Its writes, through the hooks or not, then invalidate them too.
pub fn declare_cascade(table: &str, others: &[&str]) {
    let mut declared = DECLARED.write().unwrap_or_else(|p| p.into_inner());
    declared
        .cascades
        .entry(table.to_ascii_lowercase())
        .or_default()
        .extend(lower(others));
}

/// The tables a hook write to `table` must invalidate whole besides its own
/// precise tags: usually none. Its declared cascades and the views over it,
/// followed through (`table` itself when a cascade leads back to it); and,
/// for a model over a declared view, the view's tables (which of their
/// columns and rows the view shows is not declared: every entry of theirs)
/// and what they in turn reach. A view over `table` costs its writes no
/// precision: the view's entries are invalidated, not the table's. A
/// model's `view_of` table is not among them (its writes name that table's
/// tags: `ModelKeys::mirrored`); what that table reaches is.
pub(crate) fn also_invalidated(table: &str) -> BTreeSet<String> {
    let declared = DECLARED.read().unwrap_or_else(|p| p.into_inner());
    let base = crate::keys::model_views()
        .iter()
        .find(|(view, _)| view == table)
        .map(|(_, base)| base.as_str());
    let behind = declared.views.get(table).into_iter().flatten();
    let starts = std::iter::once(table)
        .chain(behind.clone().map(String::as_str))
        .chain(base);
    let mut also = declared.reached_from(starts);
    also.extend(behind.cloned());
    also
}

/// The tables whose writes change what `table` holds, or that a write to
/// it writes, by way of views (declared, or a model's `view_of`):
/// `table`, the tables a view of that name shows, and the views over it.
/// What a transaction's read of `table` must count as written.
pub(crate) fn view_relatives(table: &str) -> Vec<String> {
    let declared = DECLARED.read().unwrap_or_else(|p| p.into_inner());
    let mut relatives = vec![table.to_owned()];
    let behind = declared.behind(table).into_iter().flatten();
    relatives.extend(behind.map(str::to_owned));
    let views = declared.views.iter();
    let views = views.filter(|(_, behind)| behind.iter().any(|t| t == table));
    relatives.extend(views.map(|(view, _)| view.clone()));
    let model_views = crate::keys::model_views().iter();
    let model_views = model_views.filter(|(_, base)| base == table);
    relatives.extend(model_views.map(|(view, _)| view.clone()));
    relatives
}

/// Declares tables that no cache holds entries of (an audit log, a session
/// table): writes to them invalidate nothing. Without this, a write to a
/// name no manager in the process uses may be a write through a view, and
/// invalidates every managed table.
pub fn declare_uncached(tables: &[&str]) {
    let mut declared = DECLARED.write().unwrap_or_else(|p| p.into_inner());
    declared.uncached.extend(lower(tables));
}

/// The tables written by the declared functions that `sql` calls (the
/// text is lexed for calls only when some function is declared).
pub(crate) fn function_writes(sql: &str, dialect: Dialect) -> Vec<String> {
    let declared = DECLARED.read().unwrap_or_else(|p| p.into_inner());
    if declared.functions.is_empty() {
        return Vec::new();
    }
    function_calls(sql, dialect)
        .iter()
        .filter_map(|f| declared.functions.get(f))
        .flatten()
        .cloned()
        .collect()
}

/// Invalidates every entry of `tables` (SQL names): now, or at the commit
/// of the transaction open on `conn` if it is tracked; in the caches its
/// tracker was pointed at ([`CacheTracking::for_caches`](crate::CacheTracking::for_caches)),
/// else wherever they are held. For writes nothing can see: triggers,
/// other programs, functions not declared.
pub fn invalidate_tables<C: Connection>(conn: &mut C, tables: &[&str]) {
    let tables: BTreeSet<String> = lower(tables).into_iter().collect();
    if let Some(caches) = crate::tracking::defer_unseen(&mut SyncConn(conn), &tables) {
        Bumps::default()
            .tables(caches.as_deref(), &tables, false)
            .send("invalidate_tables");
    }
}

/// Invalidates every entry of `tables` (SQL names) that managers keep in
/// `cache`, in every process that shares it, now, without a connection:
/// after a manual fix in the database (psql, a migration, another
/// service), from an operator's command (`cache-admin invalidate`): the
/// tables' `epoch` tags, which every entry of theirs depends on (a view's
/// or a cascade's tables must be named too: this process may not have
/// declared them). An error ([`Error::Invalidation`](crate::Error::Invalidation))
/// says the cache could not be told yet; the invalidation is owed and
/// retried.
pub fn invalidate_tables_in(cache: &Cache, tables: &[&str]) -> crate::Result<()> {
    let tags: BTreeSet<String> = lower(tables)
        .iter()
        .map(|t| table_tag(cache, t, TableTag::Epoch))
        .collect();
    let tags: Vec<String> = tags.into_iter().collect();
    for table in lower(tables) {
        invalidations::invalidated(&table, invalidations::Cause::Operator);
    }
    bump(
        cache,
        &tags,
        None,
        Some(DEFAULT_TAG_TTL),
        "tracking",
        "by hand",
    )
}

/// Invalidates every entry that managers and cached queries keep in
/// `cache`, in every process that shares it (its `all` tag): after a Redis
/// restored from an old snapshot, a data migration, a bulk load. An error
/// ([`Error::Invalidation`](crate::Error::Invalidation)) says the cache
/// could not be told yet; the invalidation is owed and retried.
pub fn invalidate_everything(cache: &Cache) -> crate::Result<()> {
    let tag = all_tag(cache);
    invalidations::invalidated("*", invalidations::Cause::Operator);
    bump(
        cache,
        &[tag],
        None,
        Some(DEFAULT_TAG_TTL),
        "invalidate_everything",
        "by hand",
    )
}

/// Tag bumps gathered per cache, sent in one round trip per cache.
#[derive(Default)]
pub(crate) struct Bumps {
    by_cache: Vec<(Cache, Vec<String>)>,
}

impl Bumps {
    /// Adds `tags` to bump in `cache`.
    pub(crate) fn add_all(&mut self, cache: &Cache, tags: &[String]) {
        for tag in tags {
            self.add(cache, tag.clone());
        }
    }

    /// Announces the bumps (one round trip per cache) without making them:
    /// see `Engine::announce_bumps`.
    pub(crate) fn announce(self) {
        for (cache, tags) in self.by_cache {
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            cache.engine().announce_bumps(&tags);
        }
    }

    /// [`Bumps::announce`] without blocking the runtime.
    #[cfg(feature = "async")]
    pub(crate) async fn announce_async(self) {
        for (cache, tags) in self.by_cache {
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            cache.engine().announce_bumps_async(&tags).await;
        }
    }

    fn add(&mut self, cache: &Cache, tag: String) {
        match self.by_cache.iter_mut().find(|(c, _)| c.same(cache)) {
            Some((_, tags)) if !tags.contains(&tag) => tags.push(tag),
            Some(_) => {}
            None => self.by_cache.push((cache.clone(), vec![tag])),
        }
    }

    /// Adds the epochs of `tables` in `caches` (when given) or wherever
    /// they are held; with `everything` (or a name no manager here uses:
    /// maybe a view), the `all` tag of those caches instead, which every
    /// entry in every process depends on.
    pub(crate) fn tables(
        mut self,
        caches: Option<&[Cache]>,
        tables: &BTreeSet<String>,
        everything: bool,
    ) -> Self {
        let declared = DECLARED.read().unwrap_or_else(|p| p.into_inner());
        let mut everything = everything;
        let mut written: BTreeSet<&str> = BTreeSet::new();
        for table in tables {
            if declared.uncached.contains(table) {
                continue;
            }
            match declared.behind(table) {
                Some(behind) => written.extend(behind),
                None => {
                    everything |= registry::caches_for(table).is_empty();
                    written.insert(table);
                }
            }
        }
        let also = declared.reached_from(written.iter().copied());
        written.extend(also.iter().map(String::as_str));
        for table in &written {
            invalidations::invalidated(table, invalidations::Cause::Sql);
        }
        // The default cache too, unless the caches are named (opening it
        // may parse `CACHE_URL`, which an explicit list never needs).
        let default = match caches {
            Some(_) => None,
            None => cache_core::caches().default_cache().ok(),
        };
        let targets = |table: Option<&str>| -> Vec<Cache> {
            let mut found = match (caches, table) {
                (Some(caches), _) => caches.to_vec(),
                (None, Some(table)) => registry::caches_for(table),
                (None, None) => registry::caches(),
            };
            found.extend(default.iter().cloned());
            found
        };
        if everything {
            for cache in targets(None) {
                self.add(&cache, all_tag(&cache));
            }
            return self;
        }
        for table in written {
            for cache in targets(Some(table)) {
                self.add(&cache, table_tag(&cache, table, TableTag::Epoch));
            }
        }
        self
    }

    /// Sends the bumps (fail open: failures are logged and owed).
    pub(crate) fn send(self, why: &str) {
        for (cache, tags) in self.by_cache {
            tracing::debug!(tags = ?tags, why, "write outside the managers' hooks");
            let _ = bump(&cache, &tags, None, Some(DEFAULT_TAG_TTL), "tracking", why);
        }
    }

    /// [`Bumps::send`] without blocking the runtime.
    #[cfg(feature = "async")]
    pub(crate) async fn send_async(self, why: &str) {
        for (cache, tags) in self.by_cache {
            tracing::debug!(tags = ?tags, why, "write outside the managers' hooks");
            let groups = [(&tags[..], None)];
            if let Err(e) = cache
                .engine()
                .bump_tag_groups_async(&groups, Some(DEFAULT_TAG_TTL))
                .await
                && let Some(more) = cache
                    .engine()
                    .log_limit(cache_core::__engine::Cause::InvalidationFailed)
            {
                tracing::error!(why, tags = ?tags, error = %e, "cache invalidation failed{more}");
            }
        }
    }

    /// Owes the bumps (no I/O: see `Engine::owe_tag_groups`); the caches
    /// that now owe them, to deliver.
    #[cfg(feature = "async")]
    pub(crate) fn owe(self, why: &str) -> Vec<Cache> {
        let mut owing = Vec::with_capacity(self.by_cache.len());
        for (cache, tags) in self.by_cache {
            tracing::debug!(tags = ?tags, why, "write outside the managers' hooks");
            cache
                .engine()
                .owe_tag_groups(&[(&tags[..], None)], Some(DEFAULT_TAG_TTL));
            owing.push(cache);
        }
        owing
    }
}
