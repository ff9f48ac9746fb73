//! [`ModelKeys`]: every key and tag key of one model in one cache, built
//! once, and the dependencies of its detail and list reads.

use super::dependencies::Dependencies;
use super::{
    MAX_VALUE_TAGS, TableTag, all_tag_in, table_dependency_tags, table_tag_in, unique_scope,
    value_tag_name,
};
use crate::catalogue;
use crate::model::{CachedModel, ListFilter, UniqueKey};
use cache_core::__engine::{
    KeyBuilder, KeyParts, KeyScope, MAX_KEY_LEN, Namespace, TagHasher, digest_of_hashes, tag_hash,
};
use cache_core::Cache;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// What the writes of a model over a view (`#[cache(view_of = ..)]`)
/// invalidate of the table it shows: every tag they bump of the view,
/// under the table's name (the view shows the table's columns under their
/// own names, so a value's tag is the same value's there), and what the
/// model cannot name of the table (see [`ModelKeys::mirrored`]).
#[derive(Debug)]
struct Mirror {
    /// The table's SQL name.
    base: String,
    /// What the view's tags begin with and what the table's do instead:
    /// the sparse tags' heads first, then the others'.
    heads: Vec<(String, String)>,
    /// The tags every write through the model bumps of the table besides
    /// its own: `filtered` where the model lacks a filter column of a
    /// model over the table, and the wide tags of the unique columns such
    /// models declare and it does not.
    extra: Vec<String>,
    /// The table's `epoch` and `filtered` tags.
    coarse: [String; 2],
    /// The table's name alone, and its dependency tags (`epoch`, `list`):
    /// what every entry of the model depends on besides its own.
    viewed: ([String; 1], [String; 2]),
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

    /// These keys, for a model of `info` over a view of another table
    /// (`view_of`): its writes bump that table's tags too.
    fn mirroring(mut self, info: &crate::model::ModelInfo) -> Self {
        let Some(base) = super::base_of(info) else {
            return self;
        };
        // (What a tag of the table begins with: a tag of one name less the
        // name, which a prefix too long to hold a name as it is hashes:
        // then every write through the view bumps the table's `epoch`.)
        let head = |table: &str, sparse: bool| {
            let mut tag = match sparse {
                true => self.keys.sparse_tag(&[table], "x"),
                false => self.keys.build(Namespace::Tag, &[table], "x"),
            };
            tag.pop().filter(|x| *x == 'x' && tag.ends_with(':'))?;
            Some(tag)
        };
        let heads = [true, false].map(|sparse| head(self.table, sparse).zip(head(&base, sparse)));
        let heads: Vec<(String, String)> = heads.into_iter().flatten().collect();
        let coarse =
            [TableTag::Epoch, TableTag::Filtered].map(|t| table_tag_in(&self.keys, &base, t));
        let mut extra = Vec::new();
        if heads.len() < 2 {
            extra.push(coarse[0].clone());
        }
        if !super::maps_every_filter_column(&base, info.columns) {
            extra.push(coarse[1].clone());
        }
        let (_, bump) = super::wide_columns(&base, info.unique_columns);
        extra.extend(
            bump.iter()
                .map(|c| unique_scope(&self.keys, &base, c).key("*")),
        );
        let depends = table_dependency_tags(&self.keys, &base);
        self.mirror = Some(Mirror {
            viewed: ([base.clone()], depends),
            base,
            heads,
            extra,
            coarse,
        });
        self
    }

    /// `tags` (a write's, through this model), and, for a model over a
    /// view of another table, that table's same tags and what the model
    /// cannot name of it (see [`Mirror`]).
    pub(crate) fn mirrored(&self, mut tags: Vec<String>) -> Vec<String> {
        let Some(mirror) = &self.mirror else {
            return tags;
        };
        let mirrored: Vec<String> = tags.iter().filter_map(|t| mirror.base_tag(t)).collect();
        tags.extend(mirrored);
        tags.extend(mirror.extra.iter().cloned());
        tags.sort();
        tags.dedup();
        tags
    }

    /// For a model over a view (`view_of`): the table it shows (alone),
    /// and that table's dependency tags, which every entry of the model
    /// depends on (its writes, from any program, change what the view
    /// shows). Empty for other models.
    pub(crate) fn viewed(&self) -> (&[String], &[String]) {
        match &self.mirror {
            Some(Mirror { viewed, .. }) => (&viewed.0, &viewed.1),
            None => (&[], &[]),
        }
    }

    /// The table a model over a view shows (`view_of`).
    pub(crate) fn base(&self) -> Option<&str> {
        self.mirror.as_ref().map(|m| m.base.as_str())
    }

    /// The tag of the table a model over a view shows that stands for
    /// `tag` of the view.
    pub(crate) fn base_tag(&self, tag: &str) -> Option<String> {
        self.mirror.as_ref()?.base_tag(tag)
    }

    /// Whether `tag` invalidates every list with conditions of the model's
    /// table, or of the table its view shows.
    pub(crate) fn is_coarse(&self, tag: &str) -> bool {
        let own = [TableTag::Filtered, TableTag::Epoch].map(|t| self.table_tag(t));
        let base = self.mirror.iter().flat_map(|m| &m.coarse);
        own.contains(&tag) || base.into_iter().any(|t| t == tag)
    }

    /// The tag owed bumps of a write's tags collapse into, past the bound
    /// of the debt: the table's `epoch`, or, where they are not all the
    /// table's (a model over a view), `all`.
    pub(crate) fn cover(&self) -> &str {
        match self.mirror {
            Some(_) => &self.all,
            None => self.table_tag(TableTag::Epoch),
        }
    }

    /// The cache's `all` tag (every entry depends on it).
    pub(crate) fn all_tag(&self) -> &str {
        &self.all
    }

    /// These keys, for a model of `info` in `cache`: over a shared store,
    /// its filter columns and unique columns other than the primary key
    /// settle (see `catalogue`, "Columns").
    fn settling(mut self, cache: &Cache, info: &crate::model::ModelInfo) -> Self {
        if !cache.backend().capabilities().shared {
            return self;
        }
        self.settle = cache.config().schema_settle;
        let lookups = info
            .unique_columns
            .iter()
            .filter(|c| **c != info.primary_key);
        // A program whose models do not map a unique column bumps its wide
        // tag (`Manager::schema_tags`): every lookup by one depends on it.
        for &column in lookups.clone() {
            if self.wide_of(column).is_none() {
                let tag = self.wide_tag(column);
                let hash = tag_hash(&tag);
                self.wide.push((column, tag, hash));
            }
        }
        if self.settle.is_zero() {
            return self;
        }
        let mut columns: Vec<&'static str> = info.filter_columns.to_vec();
        columns.extend(lookups);
        columns.sort_unstable();
        columns.dedup();
        self.settling = columns
            .into_iter()
            .map(|c| (c, AtomicBool::new(false)))
            .collect();
        self
    }

    /// Whether entries keyed by `column`'s values must still depend on the
    /// table's `list` tag too: over a shared store, until this process's
    /// catalogue first listed the column the cache's `schema_settle` ago (see
    /// `catalogue`, "Columns"). Never for the primary key, nor over an
    /// in-process store.
    fn unsettled(&self, column: &str) -> bool {
        let Some((_, settled)) = self.settling.iter().find(|(c, _)| same_column(c, column)) else {
            return false;
        };
        if settled.load(Ordering::Relaxed) {
            return false;
        }
        if catalogue::settled(
            self.keys.namespace_prefix(),
            self.table,
            column,
            self.settle,
        ) {
            settled.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Whether a read keyed by `column`'s values should read the catalogue
    /// before its load: the column has not settled, and this process's
    /// catalogue never listed it.
    pub(crate) fn lookup_needs_catalogue(&self, column: &str) -> bool {
        self.unsettled(column)
            && !catalogue::listed(self.keys.namespace_prefix(), self.table, column)
    }

    /// These keys, for a model whose writes name every value tag of the
    /// table (`names`) or not.
    pub(crate) fn naming_values(mut self, names: bool) -> Self {
        self.names_values = names;
        self
    }

    /// Whether this model's writes can name every value tag a list of the
    /// table depends on (see [`super::declared`]).
    pub(crate) fn names_every_value(&self) -> bool {
        self.names_values
    }

    /// These keys, where other models over the table declare other unique
    /// columns: lookups by the columns of `depend` depend on their wide
    /// tags, and writes bump those of `bump` (see [`super::declared`]).
    pub(crate) fn with_wide(mut self, depend: &[&'static str], bump: &[&'static str]) -> Self {
        self.wide = depend
            .iter()
            .map(|&column| {
                let tag = self.wide_tag(column);
                let hash = tag_hash(&tag);
                (column, tag, hash)
            })
            .collect();
        self.others_wide = bump.iter().map(|column| self.wide_tag(column)).collect();
        self
    }

    /// The wide tag of unique column `column`: its value tags' scope, with
    /// `*` for the value (no value key is `*`: they are JSON texts).
    pub(crate) fn wide_tag(&self, column: &str) -> String {
        unique_scope(&self.keys, self.table, column).key("*")
    }

    /// The wide tags this model's hooks bump beside the row's own (see
    /// [`super::declared`]).
    pub(crate) fn others_wide(&self) -> &[String] {
        &self.others_wide
    }

    /// The wide tag a lookup by `column` depends on, and its `tag_hash`.
    fn wide_of(&self, column: &str) -> Option<(&str, u64)> {
        self.wide
            .iter()
            .find(|(c, _, _)| *c == column)
            .map(|(_, tag, hash)| (tag.as_str(), *hash))
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
        let keys = cache.keys().clone();
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

    /// The backend key of the tag of `column`'s value `value_key`.
    pub(crate) fn unique_tag(&self, column: &str, value_key: &str) -> String {
        match self.unique.iter().find(|(c, _, _)| *c == column) {
            Some((_, scope, _)) => scope.key(value_key),
            None => unique_scope(&self.keys, self.table, column).key(value_key),
        }
    }

    /// The backend key of the value tag of `column`'s value `value_key`:
    /// the lists whose first condition selects that value depend on it.
    /// The table's, not the model's: every model over the table shares it.
    /// Values the database may hold equal share a tag: see
    /// [`value_tag_name`]. With whether it names a text by its fold (the
    /// list then also depends on the column's [`catalogue::UNFOLDED`] tag).
    pub(crate) fn value_tag(&self, db: &str, column: &str, value_key: &str) -> (String, bool) {
        let name = self.value_name(db, column, value_key);
        (
            self.value_tag_named(column, &name),
            catalogue::is_fold(&name),
        )
    }

    /// The name a reader's value tag (or member tag) gives the value keyed
    /// `value_key` in `column` (see [`value_tag_name`] and `catalogue`).
    fn value_name<'v>(
        &self,
        db: &str,
        column: &str,
        value_key: &'v str,
    ) -> std::borrow::Cow<'v, str> {
        // (Only text asks what the catalogue said: a list of integers
        // reads no lock.)
        if value_key.starts_with('"') {
            let cache = self.keys.namespace_prefix();
            let compare = catalogue::compare(db, cache, self.table, column);
            if let Some(name) = catalogue::text_name(compare, value_key) {
                return std::borrow::Cow::Owned(name);
            }
        }
        std::borrow::Cow::Borrowed(value_tag_name(value_key))
    }

    /// The value tags a write of the value keyed `value_key` in `column`
    /// bumps: [`value_tag`](Self::value_tag)'s, under every name a reader
    /// may give the value (a text value's: see `catalogue`).
    pub(crate) fn written_value_tags(&self, column: &str, value_key: &str) -> Vec<String> {
        super::written_names(Some(value_key), |name| self.value_tag_named(column, name))
    }

    /// The member tag of `column`'s value `value_key`: the id lists whose
    /// first condition selects that value depend on it, and a write bumps
    /// it only where the row's value in `column` came or went (an insert,
    /// a delete, an update that changed it); named as
    /// [`value_tag`](Self::value_tag) names values (and with whether by a
    /// fold).
    fn member_tag(&self, db: &str, column: &str, value_key: &str) -> (String, bool) {
        let name = self.value_name(db, column, value_key);
        let tag = super::member_tag_in(&self.keys, self.table, column, &name);
        (tag, catalogue::is_fold(&name))
    }

    /// The member tags a write that made the value keyed `value_key` come
    /// or go in `column` bumps (every name a reader may give it).
    pub(crate) fn written_member_tags(&self, column: &str, value_key: &str) -> Vec<String> {
        super::written_names(Some(value_key), |name| {
            super::member_tag_in(&self.keys, self.table, column, name)
        })
    }

    /// [`super::changed_tag`] of the model's table.
    pub(crate) fn changed_tag(&self, column: &str) -> String {
        super::changed_tag_in(&self.keys, self.table, column)
    }

    fn value_tag_named(&self, column: &str, name: &str) -> String {
        // (Sparse: a bump writes only the value tags some list created.)
        self.keys.sparse_tag(&[self.table, "f", column], name)
    }

    /// Whether a list of `filter` would depend on a text value's tag whose
    /// column's comparison this process has not read yet (see
    /// `catalogue::learn`).
    pub(crate) fn needs_catalogue(&self, db: &str, filter: &impl ListFilter) -> bool {
        let Some((column, values)) = filter.value_condition() else {
            return false;
        };
        (values.iter().any(|v| v.starts_with('"'))
            && !catalogue::learned(db, self.keys.namespace_prefix(), self.table))
            || self.lookup_needs_catalogue(column)
    }

    /// The value tags a list of `filter` depends on: one per value its
    /// first condition selects; none (the list depends on the table-wide
    /// `list` tag) without a condition, or for an `IN` of none or of more
    /// than [`MAX_VALUE_TAGS`] values; the column's
    /// [`catalogue::UNFOLDED`] tag where one is a text named by its fold.
    /// After them the table's `list` tag while the condition's column has
    /// not settled (see `catalogue`).
    pub(crate) fn filter_value_tags(&self, db: &str, filter: &impl ListFilter) -> Vec<String> {
        let tag = |column: &str, v: &str| self.value_tag(db, column, v);
        let unfolded = |column: &str| self.value_tag_named(column, catalogue::UNFOLDED);
        self.settling_tags(folded_condition_tags(filter, tag, unfolded))
            .0
    }

    /// `tags` of a condition on `column`, and the table's `list` tag after
    /// them while the column has not settled.
    fn settling_tags(
        &self,
        (mut tags, column): (Vec<String>, Option<&'static str>),
    ) -> (Vec<String>, Option<&'static str>) {
        if column.is_some_and(|c| self.unsettled(c)) {
            tags.push(self.table_tag(TableTag::List).to_owned());
        }
        (tags, column)
    }

    /// The member tags an id list of `filter` depends on: one per value
    /// its first condition selects (as [`filter_value_tags`](Self::filter_value_tags)
    /// names value tags), and that condition's column; none without one.
    pub(crate) fn filter_member_tags(
        &self,
        db: &str,
        filter: &impl ListFilter,
    ) -> (Vec<String>, Option<&'static str>) {
        let tag = |column: &str, v: &str| self.member_tag(db, column, v);
        let unfolded = |column: &str| {
            super::member_tag_in(&self.keys, self.table, column, catalogue::UNFOLDED)
        };
        self.settling_tags(folded_condition_tags(filter, tag, unfolded))
    }

    /// [`unique_tag`](Self::unique_tag) of a unique lookup.
    pub(crate) fn unique_tag_of(&self, key: &impl UniqueKey) -> String {
        self.unique_tag(key.column(), &key.value_key())
    }

    /// The tags of `tables` (other tables than the model's) that an entry
    /// depends on, table by table.
    pub(crate) fn dependency_tags(&self, tables: &[String]) -> Vec<String> {
        tables
            .iter()
            .flat_map(|table| table_dependency_tags(&self.keys, table))
            .collect()
    }

    /// [`dependency_tags`](Self::dependency_tags) of the model's related
    /// tables, built on the first call (a model's related tables are the
    /// same for every connection type), which runs `first` before any
    /// entry can depend on them.
    pub(crate) fn related_tags(
        &self,
        related_tables: &[String],
        first: impl FnOnce(),
    ) -> &[String] {
        self.related.get_or_init(|| {
            first();
            // (A model over a view of a table: its entries depend on the
            // table's writes, whichever program makes them.)
            let base = self.base().map(str::to_owned);
            let tables: Vec<String> = related_tables.iter().cloned().chain(base).collect();
            self.dependency_tags(&tables)
        })
    }

    /// The tags of a detail read by `column` of a model without
    /// relations, in [`detail_dependencies`](Self::detail_dependencies)'
    /// order.
    #[cfg(test)]
    pub(crate) fn unrelated_detail_tags<'a>(
        &'a self,
        column: &str,
        unique_tag: &'a str,
    ) -> Vec<&'a str> {
        self.detail_dependencies(column, unique_tag, &[])
            .tags()
            .to_vec()
    }

    /// The `tags_digest` of [`detail_dependencies`](Self::detail_dependencies)
    /// without related tables, of the unique tag whose `tag_hash` is
    /// `unique`.
    fn detail_digest(&self, column: &str, unique: u64) -> u64 {
        let [all, epoch, absent] = self.detail_hashes;
        let tenant = self.tenant.as_ref().map(|(_, hash)| *hash);
        // (Each case an array: this is a hot hit's path.)
        match (tenant, self.wide_of(column).map(|(_, hash)| hash)) {
            (None, None) => digest_of_hashes([all, epoch, unique, absent].into_iter()),
            (None, Some(wide)) => digest_of_hashes([all, epoch, unique, wide, absent].into_iter()),
            (Some(t), None) => digest_of_hashes([all, t, epoch, unique, absent].into_iter()),
            (Some(t), Some(wide)) => {
                digest_of_hashes([all, t, epoch, unique, wide, absent].into_iter())
            }
        }
    }

    /// The tags every entry depends on first: the cache's `all` and, in a
    /// tenant's view, the tenant's tag.
    fn heads(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.all.as_str()).chain(self.tenant.as_ref().map(|(t, _)| t.as_str()))
    }

    /// What a detail read by `column` depends on: a found row on the
    /// cache's `all`, the table's `epoch`, the tag of the value looked up
    /// (`unique_tag`, from [`unique_tag`](Self::unique_tag)), the column's
    /// wide tag where another model over the table does not declare it
    /// (see [`super::declared`]) and the `related` tables' tags; a "not
    /// found" also on the table's `absent` (an insert may create the row).
    pub(crate) fn detail_dependencies<'a>(
        &'a self,
        column: &str,
        unique_tag: &'a str,
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(6 + related.len());
        tags.extend(self.heads());
        tags.push(self.table_tag(TableTag::Epoch));
        let own = tags.len();
        tags.push(unique_tag);
        tags.extend(self.wide_of(column).map(|(wide, _)| wide));
        tags.extend(related.iter().map(String::as_str));
        if self.unsettled(column) {
            tags.push(self.table_tag(TableTag::List));
        }
        let absent = self.table_tag(TableTag::Absent);
        let found = tags.len();
        tags.push(absent);
        Dependencies {
            tags,
            found,
            own: Some(own),
        }
    }

    /// What an id list depends on (see `id_lists`): the table's tags
    /// (`all`, `epoch`, `filtered`: writes whose values are not known),
    /// the `members` of its value condition (none: the table's `rows`),
    /// the `changed` tags of the other columns lists filter or order by,
    /// and the `related` tables' tags (a `select_related` join decides
    /// which rows a list holds).
    pub(crate) fn id_list_dependencies<'a>(
        &'a self,
        members: &'a [String],
        changed: &'a [String],
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(5 + members.len() + changed.len() + related.len());
        tags.extend(self.heads());
        tags.extend([
            self.table_tag(TableTag::Epoch),
            self.table_tag(TableTag::Filtered),
        ]);
        if members.is_empty() {
            tags.push(self.table_tag(TableTag::Rows));
        }
        tags.extend(members.iter().map(String::as_str));
        tags.extend(changed.iter().map(String::as_str));
        tags.extend(related.iter().map(String::as_str));
        Dependencies::always(tags)
    }

    /// What a list (or a count, or an `all_where` list) depends on: the
    /// cache's `all`, the table's `epoch`, then without `values` the
    /// table's `list`, with them its `filtered` and the value tags (from
    /// [`filter_value_tags`](Self::filter_value_tags)), and the `related`
    /// tables' tags (from [`dependency_tags`](Self::dependency_tags)).
    pub(crate) fn list_dependencies<'a>(
        &'a self,
        values: &'a [String],
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(4 + values.len() + related.len());
        tags.extend(self.heads());
        tags.push(self.table_tag(TableTag::Epoch));
        if values.is_empty() {
            tags.push(self.table_tag(TableTag::List));
        } else {
            tags.push(self.table_tag(TableTag::Filtered));
            tags.extend(values.iter().map(String::as_str));
        }
        tags.extend(related.iter().map(String::as_str));
        Dependencies::always(tags)
    }
}

/// The tags `tag` names for each value `filter`'s first condition selects
/// (sorted, each once), and that condition's column; none without one, or
/// for an `IN` of none or of more than [`MAX_VALUE_TAGS`] values.
fn condition_tags(
    filter: &impl ListFilter,
    tag: impl Fn(&'static str, &str) -> String,
) -> (Vec<String>, Option<&'static str>) {
    match filter.value_condition() {
        Some((column, values)) if !values.is_empty() && values.len() <= MAX_VALUE_TAGS => {
            let mut tags: Vec<String> = values.iter().map(|v| tag(column, v)).collect();
            tags.sort();
            tags.dedup();
            (tags, Some(column))
        }
        _ => (Vec::new(), None),
    }
}

/// [`condition_tags`] of `tag`, which also says whether it named a text by
/// its fold: then with the condition column's tag `unfolded` names too.
fn folded_condition_tags(
    filter: &impl ListFilter,
    tag: impl Fn(&str, &str) -> (String, bool),
    unfolded: impl Fn(&str) -> String,
) -> (Vec<String>, Option<&'static str>) {
    let by_fold = std::cell::Cell::new(false);
    let (mut tags, column) = condition_tags(filter, |column, v| {
        let (tag, fold) = tag(column, v);
        by_fold.set(by_fold.get() || fold);
        tag
    });
    if let Some(column) = column.filter(|_| by_fold.get()) {
        tags.push(unfolded(column));
    }
    (tags, column)
}

/// Whether two column names are the same: their bytes compared in a loop,
/// where `==` on `str` calls `memcmp` (27 instructions of a hot hit for a
/// two-letter name).
fn same_column(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

impl Mirror {
    /// The table's tag for the view's `tag`; `None` for a tag not the
    /// view's. Where the two keys may not name the value alike (the view's
    /// holds a hashed name, or the table's would be too long to hold it as
    /// it is: whether a name is hashed depends on the whole key's length),
    /// the table's `epoch`.
    fn base_tag(&self, tag: &str) -> Option<String> {
        self.heads.iter().find_map(|(view, base)| {
            let rest = tag.strip_prefix(view.as_str())?;
            if rest.contains('#') || base.len() + rest.len() > MAX_KEY_LEN {
                return Some(self.coarse[0].clone());
            }
            Some(format!("{base}{rest}"))
        })
    }
}
