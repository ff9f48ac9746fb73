//! The key and tag scheme: every backend key and tag key that the model
//! managers and cached queries use, and which tags each kind of read
//! depends on. Nothing else in this crate spells a key.
//!
//! All keys come from the cache's [`KeyBuilder`] (`{prefix}:{namespace}:
//! {scope...}:{name}`, escaped and hashed by `cache_core::key`). These
//! strings are a storage format: a change orphans every entry already
//! cached (and a changed tag key or tag order, every entry stamped with the
//! old one), so the unit tests below pin them.
//!
//! # Entry keys
//!
//! - detail: `d:{model key}:{table}:{record schema hash}:{column}:{value key}`
//!   ([`ModelKeys::detail_key`]). The table is there because two models may
//!   share a key and fields over different tables; the schema hash folds in
//!   the relations, so a deploy that changes a struct never reads the old
//!   one's entries.
//! - list: `l:{model key}:{table}:{hash}:{label}:{name}`, the label empty
//!   without a suffix and `={suffix}` with one; the name is the filter key
//!   ([`ModelKeys::list_key`]), `count:{conditions key}`
//!   ([`ModelKeys::count_key`]) or `sql:{SQL and binds}`
//!   ([`ModelKeys::where_key`]). A filter key starts with a field name and
//!   `.` or `=`, so it never reads `count:` or `sql:`.
//! - cached query: `q:{label}:{result type hash}:{arguments as JSON}`
//!   ([`query_key`]; the hash of the return type as spelled, from
//!   `#[cached_query]`; a hand-made `CachedQuery` has none).
//!
//! # Tags
//!
//! Per table (scope `{table}:m`, so two structs over one table, or two
//! deploys, invalidate each other's entries):
//!
//! - `epoch`: every entry of the table depends on it; bumped by writes that
//!   may have touched any row (bulk updates, writes the hooks never saw).
//! - `list`: every list without a condition depends on it; bumped by every
//!   write.
//! - `filtered`: every list with conditions depends on it; bumped by a
//!   write whose values are not known (see "Value tags").
//! - `absent`: cached "no such row" answers depend on it; bumped by inserts.
//!
//! Per unique value (scope `{table}:u:{column}`, `id=7`, `slug="intro"`):
//! the detail entries looked up by that value depend on it; bumped when a
//! row holding that value (before or after the write) changes.
//!
//! Per value of a column (scope `{table}:f:{column}`, `category_id=7`):
//! the value tags ([`ModelKeys::value_tag`]). A list, page or count with
//! conditions depends on the tags of the values its first condition (in
//! the model's `filter(..)` order) selects, one per value of an `IN` (up to
//! [`MAX_VALUE_TAGS`]; more, or none, and it depends on `list` instead). A
//! hook write bumps, for every column, the tag of the value the row had
//! before and of the value it has after (an insert only after, a delete
//! only before): whatever changes in a list whose condition is `a = 1`,
//! some row's old or new `a` is 1. A write that cannot name those values
//! (a model that does not map every column of its table, a bulk write, an
//! `insert_execute`) bumps `filtered` instead. Value tags are the table's:
//! every model over it bumps and reads the same ones. Values a database
//! comparison may find equal though their keys differ share a tag
//! ([`value_tag_name`]: only integers, booleans, finite floats and `NULL`
//! are precise; NaNs, JSON documents, ranges and every other value of a
//! column share one, and `-0.0` is `0.0`; text is precise only where its
//! column's catalogue says the database compares it byte for byte, or
//! without trailing spaces, and a write bumps each name a reader may give
//! it: `catalogue`).
//!
//! Per cache: `all` ([`all_tag`]), which every entry depends on; bumped by
//! a statement that may have written anything (a `CALL`, a write through a
//! view), in every process, whatever tables each has managers for.
//!
//! Per cached query: `query:{label}` ([`query_tag`]), bumped by
//! [`CachedQuery::invalidate`](crate::CachedQuery::invalidate).
//!
//! # What a read depends on
//!
//! A read is stamped with the versions of a [`Dependencies`] set: the tags
//! any value of the read depends on, and those only a cached "not found"
//! depends on besides. It gives cache-core the read's tag list and, through
//! [`DependsOn`], how many of them a found or an absent value depends on.
//!
//! | read | a found value depends on | a "not found" also on |
//! |---|---|---|
//! | detail ([`ModelKeys::detail_dependencies`]) | `all`, `epoch`, its unique value, its column's wide tag where another model over the table does not declare the column (`declared.rs`) or, over a shared store, for every unique column but the primary key (a program that does not map it bumps it, `catalogue.rs`), each related table's `epoch` and `list`, then `list` while the column settles (`catalogue.rs`) | `absent` |
//! | list, count without a condition, `all_where` ([`ModelKeys::list_dependencies`]) | `all`, `epoch`, `list`, each related (or, for `all_where`, named) table's `epoch` and `list` | (never absent) |
//! | list, count with conditions | `all`, `epoch`, `filtered`, the first condition's value tags (then `list` while its column settles, `catalogue.rs`), each related table's `epoch` and `list` | (never absent) |
//! | cached query ([`QueryTags`]) | its own tag, `all`, each `depends_on` table's `epoch` and `list` | (never absent) |
//!
//! # The files
//!
//! Here the keys and tags; in `model_keys`, a model's; in `dependencies`,
//! what a read depends on; in `declared`, which models declare which
//! columns; in `plain_value`, a value as a key spells it. Beside them:
//! `filter`, list filter conditions and their keys; `condition_values`,
//! the value keys a condition selects; `sort_key`, a sort key's
//! `Deserialize`; `catalogue`, what the database's catalogue says of a
//! table (its columns, how it compares text); `tag_bumps`, giving tags new
//! versions (invalidation), logged, failing open.

pub(crate) mod catalogue;
pub(crate) mod condition_values;
mod declared;
mod dependencies;
pub(crate) mod filter;
mod model_keys;
mod plain_value;
pub(crate) mod sort_key;
pub(crate) mod tag_bumps;

pub use declared::{DECLARED_MODELS, Declared};
pub(crate) use declared::{
    base_of, maps_every_filter_column, model_views, unmapped_by, unmapped_by_program,
    warn_unmapped, wide_columns,
};
pub(crate) use dependencies::{Dependencies, DependsOn, QueryTags};
pub(crate) use model_keys::ModelKeys;
pub(crate) use plain_value::write_plain;

use cache_core::__engine::WithEngine;
use cache_core::__engine::{KeyBuilder, KeyScope, Namespace};
use cache_core::Cache;

/// The table-wide tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TableTag {
    /// Every entry of the table.
    Epoch,
    /// Every list of the table that does not depend on value tags.
    List,
    /// Every cached "no such row" of the table.
    Absent,
    /// Every list of the table that depends on value tags (bumped by a
    /// write whose values are not known).
    Filtered,
    /// Which rows the table holds: bumped by inserts and deletes (and
    /// primary key changes); id lists without a value condition depend on
    /// it.
    Rows,
}

impl TableTag {
    /// The last segment of the tag's key.
    fn name(self) -> &'static str {
        match self {
            TableTag::Epoch => "epoch",
            TableTag::List => "list",
            TableTag::Absent => "absent",
            TableTag::Filtered => "filtered",
            TableTag::Rows => "rows",
        }
    }
}

/// The backend key of the tag every entry of `cache` depends on.
pub(crate) fn all_tag(cache: &Cache) -> String {
    all_tag_in(cache.engine().keys())
}

fn all_tag_in(keys: &KeyBuilder) -> String {
    keys.build(Namespace::Tag, &[], "all")
}

/// The backend key of a table-wide tag of `table` in `cache`.
pub(crate) fn table_tag(cache: &Cache, table: &str, tag: TableTag) -> String {
    table_tag_in(cache.engine().keys(), table, tag)
}

fn table_tag_in(keys: &KeyBuilder, table: &str, tag: TableTag) -> String {
    keys.build(Namespace::Tag, &[table, "m"], tag.name())
}

/// The most value tags a list depends on (an `IN` of more values depends
/// on the table-wide `list` tag instead).
pub(crate) const MAX_VALUE_TAGS: usize = 16;

/// The name a value tag gives a value's key: the key itself only where
/// every database compares values as their keys do, and else a coarser
/// name shared by every value a comparison may find equal, so that a
/// write of one invalidates the lists of the others. Precise: integers,
/// booleans, finite floats (`-0.0` is `0.0`) and `NULL` (`None`). Every
/// other value shares one tag per column, `*`: text (a collation may match
/// other spellings: MySQL's default case- and accent-insensitive ones and
/// their trailing spaces, PostgreSQL's `citext` and non-deterministic
/// collations, SQLite's `NOCASE`), except where its column's catalogue
/// says otherwise (`catalogue`: then a reader names text as
/// [`ModelKeys::value_tag`] says), every value whose JSON is a string
/// (UUIDs, decimals: `1.0` equals `1.00`, dates, enums), a NaN (NaNs of
/// any bits are equal in PostgreSQL) or an infinity, and every structured
/// value (PostgreSQL's `jsonb` finds `{"a":1.0}` equal to `{"a":1}`, and
/// its ranges are stored normalized: `[1,3]` reads back as `[1,4)`;
/// arrays, tuples, bytes). When in doubt, coarse: a cost in misses, never
/// a stale list.
pub(crate) fn value_tag_name(value_key: &str) -> &str {
    match value_key {
        "-0.0" => "0.0",
        // `None`: JSON's `null` followed by its MessagePack (`value_key`).
        "true" | "false" | "null~c0" => value_key,
        _ if is_number(value_key) => value_key,
        _ => "*",
    }
}

/// Whether a value key is a JSON number (what serde_json writes of an
/// integer or a finite float: `-`, digits, a fraction, an exponent).
fn is_number(key: &str) -> bool {
    let digits = key.strip_prefix('-').unwrap_or(key);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// The member tags a write of the value keyed `value_key` (`None`: not
/// known) in `table`'s `column` bumps (see [`ModelKeys::member_tag`]):
/// [`written_value_tags`]'s names, in the members' scope.
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub(crate) fn written_member_tags(
    cache: &Cache,
    table: &str,
    column: &str,
    value_key: Option<&str>,
) -> Vec<String> {
    written_names(value_key, |name| {
        member_tag_in(cache.engine().keys(), table, column, name)
    })
}

/// The tags `named` gives every name a reader may give the value keyed
/// `value_key` (`None`: not known, `*`): a text value's every name (see
/// `catalogue`), else its [`value_tag_name`].
pub(crate) fn written_names(
    value_key: Option<&str>,
    named: impl Fn(&str) -> String,
) -> Vec<String> {
    match value_key {
        None => vec![named("*")],
        Some(key) => match crate::keys::catalogue::text_names(key) {
            Some(names) => names.iter().map(|name| named(name)).collect(),
            None => vec![named(value_tag_name(key))],
        },
    }
}

/// The member tag of `table`'s `column` under the value tag name `name`.
fn member_tag_in(keys: &KeyBuilder, table: &str, column: &str, name: &str) -> String {
    // (Sparse, as the value tags: a bump writes only those an id list
    // created.)
    keys.sparse_tag(&[table, "i", column], name)
}

/// The tag of `table`'s `column` that id lists filtering or ordering by
/// it (other than by their value condition) depend on: bumped by every
/// write that changes a value of the column (see [`ModelKeys::changed_tag`]).
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub(crate) fn changed_tag(cache: &Cache, table: &str, column: &str) -> String {
    changed_tag_in(cache.engine().keys(), table, column)
}

fn changed_tag_in(keys: &KeyBuilder, table: &str, column: &str) -> String {
    keys.sparse_tag(&[table, "c"], column)
}

/// The tag of `table`'s row whose `column` holds the value keyed
/// `value_key` (what [`ModelKeys::unique_tag`] names, without a model):
/// the detail entries looked up by that value depend on it.
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub(crate) fn row_tag(cache: &Cache, table: &str, column: &str, value_key: &str) -> String {
    unique_scope(cache.engine().keys(), table, column).key(value_key)
}

/// The value tags a write of the value keyed `value_key` (`None`: a value
/// whose key cannot be known, shared by every value that is not a number,
/// a boolean or `NULL`) in `table`'s `column` bumps, under every name a
/// reader may give it ([`ModelKeys::written_value_tags`] without a model).
#[cfg(any(feature = "postgres-system-libpq", feature = "mysql-follower"))]
pub(crate) fn written_value_tags(
    cache: &Cache,
    table: &str,
    column: &str,
    value_key: Option<&str>,
) -> Vec<String> {
    written_names(value_key, |name| {
        cache
            .engine()
            .keys()
            .sparse_tag(&[table, "f", column], name)
    })
}

/// The scope of the tags of `table`'s values in `column`.
fn unique_scope(keys: &KeyBuilder, table: &str, column: &str) -> KeyScope {
    keys.scope(Namespace::Tag, &[table, "u", column])
}

/// The tags of another table that an entry depends on: its `epoch` (any
/// write the tracker saw) and its `list` (any hook write), in that order.
fn table_dependency_tags(keys: &KeyBuilder, table: &str) -> [String; 2] {
    [TableTag::Epoch, TableTag::List].map(|tag| table_tag_in(keys, table, tag))
}

/// The backend key of a cached query's result for one argument list
/// (`args`, as [`args_key`](crate::query::args_key) writes it); `result`
/// is the fingerprint of the result type (none: `""`).
pub(crate) fn query_key(cache: &Cache, label: &str, result: &str, args: &str) -> String {
    if result.is_empty() {
        return cache
            .engine()
            .keys()
            .build(Namespace::Query, &[label], args);
    }
    cache
        .engine()
        .keys()
        .build(Namespace::Query, &[label, result], args)
}

/// The backend key of a cached query's own tag (every result of the query
/// depends on it).
pub(crate) fn query_tag(cache: &Cache, label: &str) -> String {
    cache
        .engine()
        .keys()
        .build(Namespace::Tag, &["query"], label)
}

#[cfg(test)]
mod tests;
