//! [`ModelKeys`]: every key and tag key of one model in one cache, built
//! once, and the dependencies of its detail and list reads.
//!
//! Here the keys themselves and the entries' keys (detail, list, count);
//! in `value_tags`, the tags of values (unique, value and member tags, a
//! list's condition's); in `read_dependencies`, what each read depends on;
//! in `settling`, the columns that must settle first over a shared store;
//! in `other_models`, what the other models over the table change of these
//! keys (wide tags); in `view_of`, a model over a view of another table.

mod other_models;
mod read_dependencies;
mod settling;
mod value_tags;
mod view_of;

use super::{TableTag, all_tag_in, table_tag_in, unique_scope};
use crate::model::CachedModel;
use cache_core::__engine::WithEngine;
use cache_core::__engine::{KeyBuilder, KeyParts, KeyScope, Namespace, TagHasher, tag_hash};
use cache_core::Cache;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use view_of::Mirror;

/// Every key and tag key of one model in one cache: what is fixed is built
/// once (a manager holds it, and every read names some of it).
#[derive(Debug)]
pub(crate) struct ModelKeys {
    /// The cache's key builder (its prefix), for the keys built per read.
    keys: KeyBuilder,
    /// The model's cache key (`#[cache(key = ..)]`).
    model: &'static str,
    /// The table's SQL name.
    table: &'static str,
    /// The record's schema hash (relations folded in).
    hash: &'static str,
    /// Per unique column, the scope of its detail keys.
    detail: Vec<(&'static str, KeyScope)>,
    /// The scope of the list keys without a suffix.
    list: KeyScope,
    /// [`all_tag`](super::all_tag).
    all: String,
    /// In a tenant's view of the cache, the tenant's tag and its
    /// `tag_hash`: every entry depends on it, after `all`.
    tenant: Option<(String, u64)>,
    /// The table's `epoch`, `list`, `absent`, `filtered` and `rows`
    /// tags, by [`TableTag`].
    table_wide: [String; 5],
    /// Per unique column (in the order of `detail`), the scope of its
    /// value tags and the [`TagHasher`] of that scope's head.
    unique: Vec<(&'static str, KeyScope, TagHasher)>,
    /// The related tables' dependency tags, built on first use.
    related: OnceLock<Vec<String>>,
    /// The `tag_hash` of `all`, `epoch` and `absent`: what a kept detail
    /// hit hashes of its tags is then only the value's tag.
    detail_hashes: [u64; 3],
    /// The unique columns this model declares and another model over the
    /// table does not, each with its wide tag and that tag's `tag_hash`: a
    /// lookup by one of them depends on it too (see [`super::declared`]).
    wide: Vec<(&'static str, String, u64)>,
    /// The wide tags of the unique columns another model over the table
    /// declares and this one does not: its hooks bump them.
    others_wide: Vec<String>,
    /// Whether the model maps every filter column of every model over the
    /// table (see [`super::declared`]): only then do its writes name every
    /// value tag the table's lists depend on.
    names_values: bool,
    /// Over a shared store, the columns whose value tags entries may
    /// depend on alone only once they settled (see `catalogue`,
    /// "Columns"): the filter columns and the unique columns but the
    /// primary key, each with whether it did (it stays so).
    settling: Vec<(&'static str, AtomicBool)>,
    /// The cache's `schema_settle`.
    settle: std::time::Duration,
    /// For a model over a view of another table (`view_of`): that table's
    /// tags its writes bump too.
    mirror: Option<Mirror>,
}

impl ModelKeys {
    /// The keys of model `M` in `cache`.
    pub(crate) fn of<M: CachedModel>(cache: &Cache) -> Self {
        let info = M::INFO;
        let (depend, bump) = super::declared::wide_columns(M::table(), info.unique_columns);
        Self::new(
            cache,
            info.key,
            M::table(),
            M::record_schema_hash(),
            info.unique_columns,
        )
        .with_wide(&depend, &bump)
        .naming_values(super::maps_every_filter_column(M::table(), info.columns))
        .settling(cache, &info)
        .mirroring(&info)
    }

    /// The cache's `all` tag (every entry depends on it).
    pub(crate) fn all_tag(&self) -> &str {
        &self.all
    }

    /// The keys of the model cached as `model` over `table`, whose records
    /// have schema hash `hash`, with these unique columns.
    pub(crate) fn new(
        cache: &Cache,
        model: &'static str,
        table: &'static str,
        hash: &'static str,
        unique_columns: &[&'static str],
    ) -> Self {
        let keys = cache.engine().keys().clone();
        let by_column = |scope: &dyn Fn(&str) -> KeyScope| -> Vec<(&'static str, KeyScope)> {
            unique_columns.iter().map(|&c| (c, scope(c))).collect()
        };
        let all = all_tag_in(&keys);
        let table_wide = [
            TableTag::Epoch,
            TableTag::List,
            TableTag::Absent,
            TableTag::Filtered,
            TableTag::Rows,
        ]
        .map(|tag| table_tag_in(&keys, table, tag));
        let detail_hashes = [
            &all,
            &table_wide[TableTag::Epoch as usize],
            &table_wide[TableTag::Absent as usize],
        ]
        .map(|tag| tag_hash(tag));
        ModelKeys {
            detail: by_column(&|column| {
                keys.scope(Namespace::Detail, &[model, table, hash, column])
            }),
            list: keys.scope(Namespace::List, &[model, table, hash, ""]),
            all,
            tenant: keys.tenant_tag().map(|tag| (tag.to_owned(), tag_hash(tag))),
            table_wide,
            unique: unique_columns
                .iter()
                .map(|&column| {
                    let scope = unique_scope(&keys, table, column);
                    let mut head = TagHasher::new();
                    head.write(scope.head().as_bytes());
                    (column, scope, head)
                })
                .collect(),
            related: OnceLock::new(),
            detail_hashes,
            wide: Vec::new(),
            others_wide: Vec::new(),
            names_values: false,
            settling: Vec::new(),
            settle: std::time::Duration::ZERO,
            mirror: None,
            model,
            table,
            hash,
            keys,
        }
    }

    /// What every detail key of this model's version and schema begins
    /// with (a store's listing of them: `Manager::verify_entries`).
    pub(crate) fn detail_prefix(&self) -> String {
        let scope = [self.model, self.table, self.hash];
        self.keys.scope(Namespace::Detail, &scope).head().to_owned()
    }

    /// The backend key of the detail entry of `column`'s value `value_key`.
    pub(crate) fn detail_key(&self, column: &str, value_key: &str) -> String {
        match self.detail.iter().find(|(c, _)| *c == column) {
            Some((_, scope)) => scope.key(value_key),
            None => {
                let (model, table, hash) = (self.model, self.table, self.hash);
                let scope = [model, table, hash, column];
                self.keys.build(Namespace::Detail, &scope, value_key)
            }
        }
    }

    /// What an in-process hit on the lookup of `column`'s value `value_key`
    /// needs: its [`detail_key`](Self::detail_key), and the digest of its
    /// tags (those of [`detail_dependencies`](Self::detail_dependencies)
    /// without related tables). Where the value is written verbatim in
    /// keys, the key in its parts and the value's tag hashed from the state
    /// kept after its scope (neither key nor tag built); else `None` and
    /// the key written into `key`, the tag built into `tag` (both cleared
    /// first). `None` for an undeclared column.
    pub(crate) fn kept_detail_key<'a>(
        &'a self,
        column: &str,
        value_key: &'a str,
        key: &mut String,
        tag: &mut String,
    ) -> Option<(Option<KeyParts<'a>>, u64)> {
        let at = self
            .detail
            .iter()
            .position(|(c, _)| same_column(c, column))?;
        if self.unsettled(column) {
            return None;
        }
        let detail = &self.detail[at].1;
        let (_, scope, head) = &self.unique[at];
        // The value's tag is verbatim under its scope too where its key is
        // (the name is the same, checked by `parts`; only the length may
        // differ): the tag's hash streamed after its scope's head.
        let (parts, unique) = match detail.parts(value_key) {
            Some(parts) if parts.under(scope).is_some() => {
                let mut hasher = *head;
                hasher.write(value_key.as_bytes());
                (Some(parts), hasher.finish())
            }
            _ => {
                detail.key_into(value_key, key);
                scope.key_into(value_key, tag);
                (None, tag_hash(tag))
            }
        };
        Some((parts, self.detail_digest(column, unique)))
    }

    /// The backend key of a list: the suffix is a readable label, the
    /// filter key is what separates lists.
    pub(crate) fn list_key(&self, suffix: Option<&str>, filter_key: &str) -> String {
        match suffix {
            None => self.list.key(filter_key),
            Some(s) => {
                let scope = [self.model, self.table, self.hash, &format!("={s}")];
                self.keys.build(Namespace::List, &scope, filter_key)
            }
        }
    }

    /// The backend key of the count of the rows matching a filter's
    /// conditions (every page of one list shares it).
    pub(crate) fn count_key(&self, suffix: Option<&str>, conditions_key: &str) -> String {
        self.list_key(suffix, &format!("count:{conditions_key}"))
    }

    /// The backend key of an `all_where` list: `sql` is the query's SQL
    /// and binds.
    pub(crate) fn where_key(&self, suffix: Option<&str>, sql: &str) -> String {
        self.list_key(suffix, &format!("sql:{sql}"))
    }

    /// The backend key of one of the table's table-wide tags.
    pub(crate) fn table_tag(&self, tag: TableTag) -> &str {
        &self.table_wide[tag as usize]
    }
}

/// Whether two column names are the same: their bytes compared in a loop,
/// where `==` on `str` calls `memcmp` (27 instructions of a hot hit for a
/// two-letter name).
fn same_column(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}
