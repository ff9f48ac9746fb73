//! The invalidation tags of a model's table (DESIGN.md section 4).
//!
//! - `epoch`: every entry of the table depends on it; bumped by writes that
//!   may have touched any row (bulk updates, writes the hooks never saw).
//! - `list`: every list depends on it; bumped by every write.
//! - `absent`: cached "no such row" answers depend on it; bumped by inserts.
//! - one tag per unique value (`id=7`, `slug="intro"`): the detail entries
//!   looked up by that value depend on it; bumped when a row holding that
//!   value (before or after the write) changes.
//!
//! Tags are per table, not per struct version, so two deploys (or two
//! structs over one table) invalidate each other's entries.
//!
//! Besides, every entry of a cache depends on its `all` tag ([`all_tag`]):
//! bumped by a statement that may have written anything (a `CALL`, a write
//! through a view), in every process, whatever tables each has managers for.

use crate::model::{CachedModel, UniqueKey};
use cache_core::{Cache, KeyScope, Namespace, Ttl};
use std::time::Duration;

/// The model-wide tags.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TableTag {
    Epoch,
    List,
    Absent,
}

/// The backend key of the tag every entry of `cache` depends on.
pub(crate) fn all_tag(cache: &Cache) -> String {
    cache.keys().build(Namespace::Tag, &[], "all")
}

/// The backend key of a table-wide tag.
pub(crate) fn table_tag(cache: &Cache, table: &str, tag: TableTag) -> String {
    let name = match tag {
        TableTag::Epoch => "epoch",
        TableTag::List => "list",
        TableTag::Absent => "absent",
    };
    cache.keys().build(Namespace::Tag, &[table, "m"], name)
}

/// Gives `tags` new versions, logging what was invalidated and why (fail
/// open: a failure is logged, not returned). `cover` is the table's epoch
/// tag when all of `tags` are one table's (what an undeliverable debt
/// collapses into). `source` names the model or query on whose behalf.
pub(crate) fn bump(
    cache: &Cache,
    tags: &[String],
    cover: Option<&str>,
    ttl: Ttl,
    source: &str,
    why: &str,
) {
    match cache.bump_tags_within(tags, cover, ttl) {
        Ok(()) => tracing::debug!(source, why, tags = ?tags, "cache invalidate"),
        Err(e) => {
            tracing::error!(source, why, tags = ?tags, error = %e, "cache invalidation failed")
        }
    }
}

/// [`bump`] of several groups of tags, each with its own cover, in one
/// round trip.
pub(crate) fn bump_groups(
    cache: &Cache,
    groups: &[(&[String], Option<&str>)],
    ttl: Ttl,
    source: &str,
    why: &str,
) {
    let tags: Vec<&String> = groups.iter().flat_map(|(tags, _)| tags.iter()).collect();
    match cache.bump_tag_groups(groups, ttl) {
        Ok(()) => tracing::debug!(source, why, tags = ?tags, "cache invalidate"),
        Err(e) => {
            tracing::error!(source, why, tags = ?tags, error = %e, "cache invalidation failed")
        }
    }
}

/// Lifetime of tags bumped without a model at hand (by the write tracker).
pub(crate) const DEFAULT_TAG_TTL: Duration = Duration::from_secs(2 * 86_400);

/// The backend keys of one table's table-wide tags, and the scopes of its
/// unique-value tags, built once (a manager holds them: every read names
/// some of them).
#[derive(Debug)]
pub(crate) struct TableTags {
    table_wide: [String; 3],
    /// [`all_tag`].
    all: String,
    /// (column, scope of its value tags).
    unique: Vec<(&'static str, KeyScope)>,
}

impl TableTags {
    pub(crate) fn new(cache: &Cache, table: &str, unique_columns: &[&'static str]) -> Self {
        TableTags {
            table_wide: [TableTag::Epoch, TableTag::List, TableTag::Absent]
                .map(|tag| table_tag(cache, table, tag)),
            all: all_tag(cache),
            unique: unique_columns
                .iter()
                .map(|&column| (column, unique_scope(cache, table, column)))
                .collect(),
        }
    }

    /// The backend key of a table-wide tag.
    pub(crate) fn get(&self, tag: TableTag) -> &str {
        &self.table_wide[tag as usize]
    }

    /// The backend key of the cache's `all` tag.
    pub(crate) fn all(&self) -> &str {
        &self.all
    }
}

fn unique_scope(cache: &Cache, table: &str, column: &str) -> KeyScope {
    cache.keys().scope(Namespace::Tag, &[table, "u", column])
}

/// Builds the backend keys of a model's tags.
pub(crate) struct Tags<'a, M> {
    cache: &'a Cache,
    table: &'a TableTags,
    _model: std::marker::PhantomData<fn() -> M>,
}

impl<'a, M: CachedModel> Tags<'a, M> {
    pub(crate) fn new(cache: &'a Cache, table: &'a TableTags) -> Self {
        Tags {
            cache,
            table,
            _model: std::marker::PhantomData,
        }
    }

    pub(crate) fn table(&self, tag: TableTag) -> String {
        self.table.get(tag).to_owned()
    }

    /// The backend key of the tag of one unique value.
    pub(crate) fn unique(&self, key: &M::Unique) -> String {
        self.unique_value(key.column(), &key.value_key())
    }

    /// The same, from the column and the value's key.
    pub(crate) fn unique_value(&self, column: &str, value_key: &str) -> String {
        match self.table.unique.iter().find(|(c, _)| *c == column) {
            Some((_, scope)) => scope.key(value_key),
            None => unique_scope(self.cache, M::table(), column).key(value_key),
        }
    }

    /// Tags outlive the entries stamped with them; a tag that expires anyway
    /// only turns those entries into misses.
    pub(crate) fn ttl() -> Ttl {
        let longest = M::INFO.list_timeout.max(M::INFO.detail_timeout);
        Some(longest.saturating_mul(2).max(DEFAULT_TAG_TTL))
    }
}
