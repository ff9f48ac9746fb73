//! Write-through: a hook write that returned its row puts it into the
//! row's detail entry, so that the next `get` of it is a hit (see
//! `cache_core::Cache::write_through` for the protocol).
//!
//! Only where it is certain that the row put is the committed one: a
//! tracked connection in autocommit (the hook's statement, or the
//! transaction of its own, committed before the put: an untracked
//! connection may be inside a transaction opened by SQL text, whose rows
//! could be rolled back), a write that names its values (not coarse), a
//! model whose record is the row (no relations), the lookup by primary
//! key. Everything else is invalidated as before; so is the row's entry
//! when another write of it came between.
//!
//! On a shared store the write's announcement carries a token of its
//! writer under the row's own tag, so that its put can tell whether
//! another writer of the row came between (see `cache_core`'s
//! `driver/write_through.rs`). Not on a Redis Cluster nor where bumps wait
//! for replicas: the row is invalidated there.

use crate::manager::Manager;
use crate::model::{CachedModel, UniqueKey};
use crate::tags::Tags;
use crate::tracking::{self, ReadPolicy};
use crate::writes::WriteShape;
use cache_core::__engine::{FillOptions, Noted};
use diesel::Connection;

/// Where a written row goes: its detail entry's key and tags (the own tag
/// at `own`, the first `found` of them stamped).
pub(crate) struct Through {
    key: String,
    tags: Vec<String>,
    own: usize,
    found: usize,
}

impl<M: CachedModel> Manager<M> {
    /// Where a hook write of the row with primary key `id` on `conn` puts
    /// its row, if it may (see the module documentation).
    pub(crate) fn write_through_of<C: Connection>(
        &self,
        conn: &mut C,
        id: &M::Id,
    ) -> Option<Through> {
        if !M::ROW_IS_RECORD
            || tracking::tracker(conn).is_none()
            || tracking::read_policy(conn, std::iter::empty()) != ReadPolicy::Normal
            || self.shape_on(conn) == WriteShape::Coarse
        {
            return None;
        }
        let unique = M::unique_of_id(id.clone());
        let value_key = unique.value_key();
        let keys = self.model_keys();
        let own_tag = keys.unique_tag(unique.column(), &value_key);
        let deps = keys.detail_dependencies(unique.column(), &own_tag, &[]);
        // (A found row's stamp: the `absent` tag after them is not noted.)
        let found = deps.found();
        Some(Through {
            key: keys.detail_key(unique.column(), &value_key),
            tags: found.iter().map(|t| (*t).to_owned()).collect(),
            own: deps.own()?,
            found: found.len(),
        })
    }

    /// Announces `announce` and notes the versions `through`'s entry's
    /// tags hold, before the write's statement.
    pub(crate) fn announce_noting(&self, announce: &[&str], through: &Through) -> Option<Noted> {
        let tags: Vec<&str> = through.tags.iter().map(String::as_str).collect();
        self.cache()
            .announce_noting(announce, &through.key, (&tags, through.own))
    }

    /// After the commit: puts `row` in place where nothing came between,
    /// bumping the row's own tag. Returns the write's other `tags` (all
    /// of them when the own tag was not bumped here).
    pub(crate) fn put_written(
        &self,
        through: Through,
        noted: Noted,
        row: &M,
        mut tags: Vec<String>,
    ) -> Vec<String> {
        // (A write that moved the primary key wrote another row's entry.)
        let unique = M::unique_of_id(row.id());
        let own = &through.tags[through.own];
        if self
            .model_keys()
            .unique_tag(unique.column(), &unique.value_key())
            != *own
        {
            return tags;
        }
        let Some(record) = M::record_of_row(row.clone()) else {
            return tags;
        };
        let options = FillOptions {
            depends_on: through.found,
            ttl: Some(M::INFO.detail_timeout),
            soft: M::INFO.soft_timeout,
        };
        let strs: Vec<&str> = through.tags.iter().map(String::as_str).collect();
        let value = crate::form::Form(Some(record));
        let bumped = self.cache().write_through(
            &through.key,
            &strs,
            (through.own, Tags::<M>::own_ttl()),
            noted,
            options,
            &value,
        );
        if let Some(put) = bumped {
            tracing::debug!(model = M::INFO.name, key = %through.key, put, "write-through");
            tags.retain(|t| t != own);
        }
        tags
    }
}
