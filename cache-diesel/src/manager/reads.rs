//! The reads of a [`Manager`]: lists, pages and counts, lookups by id and
//! by unique values, and the entries each names (its key, the tags it
//! depends on, how long it lives).

use crate::error::{Error, Result};
use crate::form::Form;
use crate::keys::DependsOn;
use crate::keys::catalogue;
use crate::manager::source::Reader;
use crate::metrics::reads::Kind;
use crate::metrics::reads::Started;
use crate::model::{CachedModel, ListFilter, ModelQueries, UniqueKey, WhereQuery};
use crate::registry;
use crate::rows::Rows;
use crate::tracking::{self, ReadPolicy};
use cache_core::__engine::WithEngine;
use diesel::Connection;
use std::marker::PhantomData;
use std::time::Duration;

use super::{Entry, Manager, OwnedLoad, ShapeFn};

/// Reading: [`all`](Self::all), [`count`](Self::count), [`all_where`](Self::all_where),
/// [`get`](Self::get), [`find`](Self::find), [`get_unique`](Self::get_unique),
/// [`find_unique`](Self::find_unique).
impl<M: CachedModel> Manager<M> {
    /// The records matching `filter` (the rows, or with relations the
    /// generated records), from the cache when there, else from the database
    /// (then stored for `list_timeout`).
    pub fn all<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.all_via(conn, suffix, filter)
    }

    /// [`Manager::all`] through `reader`.
    pub(crate) fn all_via<C>(
        &self,
        mut reader: impl Reader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        if M::INFO.id_lists {
            return self.id_list_via(reader, suffix, filter);
        }
        let values = self
            .keys
            .filter_value_tags(catalogue::db::<C::Backend>(), &filter);
        let related = <M as ModelQueries<C>>::related_tables();
        let entry = self.all_entry(suffix, &filter, &values, related);
        let prefetch = M::INFO.prefetch_for_list;
        let background = || -> OwnedLoad<C, Rows<M::Record>> {
            let owned = filter.clone();
            Box::new(move |conn| M::load_records(conn, &owned, prefetch).map(Rows::from))
        };
        let learn = self
            .keys
            .needs_catalogue(catalogue::db::<C::Backend>(), &filter);
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::load_records(conn, &filter, prefetch).map(Rows::from)
            },
            Some(&background),
        )
    }

    /// How many rows match `filter`'s conditions (its order and window
    /// ignored), from the cache when there, else from the database (one
    /// `COUNT(*)`, then stored for `list_timeout` and invalidated as the
    /// lists are).
    pub fn count<C>(&self, conn: &mut C, suffix: Option<&str>, filter: M::Filter) -> Result<i64>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.count_via(conn, suffix, filter)
    }

    /// [`Manager::count`] through `reader`.
    pub(crate) fn count_via<C>(
        &self,
        mut reader: impl Reader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<i64>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let values = self
            .keys
            .filter_value_tags(catalogue::db::<C::Backend>(), &filter);
        let (members, changed) = match M::INFO.id_lists {
            true => self.id_list_tags(catalogue::db::<C::Backend>(), &filter),
            false => Default::default(),
        };
        let mut entry = self.count_entry(suffix, &filter, &values);
        if M::INFO.id_lists {
            self.count_as_id_list(&mut entry, suffix, &filter, &members, &changed);
        }
        let background = || -> OwnedLoad<C, i64> {
            let owned = filter.clone();
            Box::new(move |conn| M::count_list(conn, &owned))
        };
        let learn = self
            .keys
            .needs_catalogue(catalogue::db::<C::Backend>(), &filter);
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::count_list(conn, &filter)
            },
            Some(&background),
        )
    }

    /// Reads how the database compares the table's text columns (see
    /// `catalogue`) before a list's load, when the list's condition is
    /// on a text value the process has not read the column of (`learn`),
    /// and `conn` is outside any transaction.
    pub(crate) fn learn_catalogue<C: Connection + 'static>(&self, learn: bool, conn: &mut C) {
        if learn && tracking::read_policy(conn, std::iter::empty()) == ReadPolicy::Normal {
            let cache = self.cache.engine().keys().namespace_prefix();
            crate::keys::catalogue::learn(conn, cache, M::table());
        }
    }

    /// The records (as [`all`](Self::all) returns them, relations
    /// included) matching an arbitrary Diesel filter expression, in
    /// primary key order, keyed by the query's SQL and binds. For a model
    /// with `select_related`, the expression may name the related tables'
    /// columns too. Besides the model's own tables, the entry depends on
    /// every table the query names (a subquery's, say): a write to any of
    /// them invalidates it.
    pub fn all_where<C>(
        &self,
        conn: &mut C,
        suffix: Option<&str>,
        expr: M::Expr,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: WhereQuery<C> + ModelQueries<C>,
    {
        let (sql, load) = M::prepare_where(expr, M::INFO.prefetch_for_list);
        let related = <M as ModelQueries<C>>::related_tables();
        let (tables, tags) = self.where_dependencies::<C::Backend>(&sql, related);
        let entry = self.list_entry(self.keys.where_key(suffix, &sql), &[], &tags, &tables);
        self.read_through(
            &mut &mut *conn,
            entry,
            |conn| load(conn).map(Rows::from),
            None::<&(dyn Fn() -> OwnedLoad<C, _> + Sync)>,
        )
    }

    /// What an `all_where` list of `sql` (on backend `B`) depends on: the
    /// model's `related` tables and every table the query names, and
    /// their tags.
    pub(crate) fn where_dependencies<B: 'static>(
        &self,
        sql: &str,
        related: &[String],
    ) -> (Vec<String>, Vec<String>) {
        let mut tables = related.to_vec();
        // The connection's own dialect: one lexing pass on every call.
        for table in crate::sql_tables::tables_named(sql, tracking::dialect_of::<B>()) {
            if table != M::table() && !tables.contains(&table) {
                tables.push(table);
            }
        }
        let tags = self.keys.dependency_tags(&tables);
        (tables, tags)
    }

    /// The entry of `all(suffix, filter)`, whose records embed rows of
    /// `related_tables`; `values`: the filter's value tags (from
    /// `ModelKeys::filter_value_tags`).
    pub(crate) fn all_entry<'t>(
        &'t self,
        suffix: Option<&str>,
        filter: &M::Filter,
        values: &'t [String],
        related_tables: &'t [String],
    ) -> Entry<'t, Rows<M::Record>, impl ShapeFn<Rows<M::Record>>> {
        self.list_entry(
            self.keys.list_key(suffix, &filter.cache_key()),
            values,
            self.related_tags(related_tables),
            related_tables,
        )
    }

    /// The entry of `count(suffix, filter)` (`values` as for
    /// [`all_entry`](Self::all_entry)).
    pub(crate) fn count_entry<'t>(
        &'t self,
        suffix: Option<&str>,
        filter: &M::Filter,
        values: &'t [String],
    ) -> Entry<'t, i64, impl ShapeFn<i64>> {
        // (A count depends on no related table but a view's.)
        let (tables, tags) = self.keys.viewed();
        let mut entry = self.list_entry(
            self.keys.count_key(suffix, &filter.conditions_key()),
            values,
            tags,
            tables,
        );
        entry.kind = Kind::Count;
        entry
    }

    /// A list entry under `key` that depends on the value tags `values`
    /// (none: on the table-wide `list` tag) and on the `related` tags of
    /// the `related_tables`.
    pub(super) fn list_entry<'t, T>(
        &'t self,
        key: String,
        values: &'t [String],
        related: &'t [String],
        related_tables: &'t [String],
    ) -> Entry<'t, T, impl ShapeFn<T>> {
        Entry {
            kind: Kind::List,
            key,
            deps: self.keys.list_dependencies(values, related),
            related: related_tables,
            shape: |_: &T, depends_on: DependsOn| (depends_on.found, M::INFO.list_timeout),
            value: PhantomData,
        }
    }

    /// The row (or record) with primary key `id`, or [`Error::NotFound`].
    pub fn get<C>(&self, conn: &mut C, id: M::Id) -> Result<M::Record>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.get_unique(conn, M::unique_of_id(id))
    }

    /// The row (or record) with primary key `id`, if any.
    pub fn find<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_unique(conn, M::unique_of_id(id))
    }

    /// The row (or record) with this unique value, or [`Error::NotFound`].
    pub fn get_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<M::Record>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_by(conn, &key)?.ok_or_else(|| Error::NotFound {
            model: M::INFO.name,
            id: format!("{}={}", key.column(), key.value_key()),
        })
    }

    /// The row (or record) with this unique value, if any. "No such row" is
    /// cached too, for `not_found_timeout`, until a row is inserted.
    pub fn find_unique<C>(&self, conn: &mut C, key: M::Unique) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_by(conn, &key)
    }

    pub(super) fn find_by<C>(&self, conn: &mut C, key: &M::Unique) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_via(conn, key)
    }

    /// A lookup by `key` through `reader`.
    pub(crate) fn find_via<C>(
        &self,
        mut reader: impl Reader<C>,
        key: &M::Unique,
    ) -> Result<Option<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let related = <M as ModelQueries<C>>::related_tables();
        let bypass = || reader.policy(std::iter::once(M::table())) == ReadPolicy::Bypass;
        let kept = self.kept_detail(related, bypass, key);
        let background = || -> OwnedLoad<C, Option<M::Record>> {
            let owned = key.clone();
            Box::new(move |conn| M::load_record(conn, &owned))
        };
        if let Some(kept) = kept {
            if crate::manager::verify::sampled(&self.cache) {
                let value_key = key.value_key();
                let unique_tag = self.keys.unique_tag(key.column(), &value_key);
                let entry = self.detail_entry(key, value_key, &unique_tag, related);
                self.verify_hit(&entry, &background, &kept);
            }
            return Ok(kept);
        }
        let value_key = key.value_key();
        let unique_tag = self.keys.unique_tag(key.column(), &value_key);
        let related = <M as ModelQueries<C>>::related_tables();
        let entry = self.detail_entry(key, value_key, &unique_tag, related);
        let learn = self.keys.lookup_needs_catalogue(key.column());
        self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::load_record(conn, key)
            },
            Some(&background),
        )
    }

    /// A hit on the decoded value an in-process store keeps for the lookup
    /// by `key` (see `cache_core::__engine::Engine::read_kept`), found with the value
    /// key written into this thread's buffer, and the entry's key and tag
    /// named by their parts (a value written verbatim in keys: neither is
    /// built) or written into its buffers: what `read_through` would
    /// answer, minus four allocations and the read's plan. `None`: go the
    /// whole way (a model with `related`
    /// tables, a transaction that wrote the table, `bypass` says, no kept
    /// value).
    pub(crate) fn kept_detail(
        &self,
        related: &[String],
        bypass: impl FnOnce() -> bool,
        key: &M::Unique,
    ) -> Option<Option<M::Record>> {
        thread_local! {
            static KEYS: std::cell::RefCell<[String; 3]> =
                const { std::cell::RefCell::new([String::new(), String::new(), String::new()]) };
        }
        let viewed = self.keys.base().is_some();
        if !related.is_empty()
            || viewed
            || !self.cache.backend().capabilities().keeps_decoded
            || bypass()
        {
            return None;
        }
        let started = Started::now();
        let Form(found) = KEYS.with(|keys| {
            let mut keys = keys.try_borrow_mut().ok()?;
            let [value_key, detail, tag] = &mut *keys;
            value_key.clear();
            key.value_key_into(value_key);
            let (parts, digest) =
                self.keys
                    .kept_detail_key(key.column(), value_key, detail, tag)?;
            let kept = match parts {
                Some(parts) => self.cache.engine().read_kept_parts(parts, digest),
                None => self.cache.engine().read_kept(detail, digest),
            };
            let kept: Form<Option<M::Record>> = kept?;
            self.stats.add(cache_core::__engine::Counter::Hit, 1);
            match parts {
                Some(parts) => self.report_hit(Kind::Detail, &parts, started),
                None => self.report_hit(Kind::Detail, detail, started),
            }
            Some(kept)
        })?;
        Some(found)
    }

    /// The dependency tags of the related tables; built once, and first
    /// this cache is recorded as holding entries of each of them, so that a
    /// write to one (a hook of another manager on another cache, or one
    /// the hooks never saw) reaches it (`registry`).
    pub(crate) fn related_tags<'a>(&'a self, related_tables: &[String]) -> &'a [String] {
        self.keys.related_tags(related_tables, || {
            let base = self.keys.base();
            for table in related_tables.iter().map(String::as_str).chain(base) {
                registry::register(table, &self.cache);
            }
        })
    }

    /// The entry of a lookup by `key` (whose `UniqueKey::value_key` is
    /// `value_key`), whose tag is `unique_tag`.
    pub(crate) fn detail_entry<'t>(
        &'t self,
        key: &M::Unique,
        value_key: String,
        unique_tag: &'t str,
        related_tables: &'t [String],
    ) -> Entry<'t, Option<M::Record>, impl ShapeFn<Option<M::Record>>> {
        let column = key.column();
        Entry {
            kind: Kind::Detail,
            key: self.keys.detail_key(column, &value_key),
            deps: self.keys.detail_dependencies(
                column,
                unique_tag,
                self.related_tags(related_tables),
            ),
            related: related_tables,
            value: PhantomData,
            shape: move |row: &Option<M::Record>, depends_on: DependsOn| match row {
                // A row found under another spelling of the value (a
                // case-insensitive or trailing-space-blind collation: `TEA`
                // finds `tea`) is not stored: a write invalidates the
                // spellings it wrote, not every one the database matches.
                Some(record) if !has_value::<M>(record, column, &value_key) => {
                    (depends_on.found, Duration::ZERO)
                }
                Some(_) => (depends_on.found, M::INFO.detail_timeout),
                None => (depends_on.absent, M::INFO.not_found_timeout),
            },
        }
    }
}

/// Whether `record`'s row has `value_key` in unique column `column`, to
/// the letter.
fn has_value<M: CachedModel>(record: &M::Record, column: &str, value_key: &str) -> bool {
    M::record_model(record)
        .unique_keys()
        .iter()
        .any(|k| k.column() == column && k.value_key() == value_key)
}
