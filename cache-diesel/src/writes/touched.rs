//! The tags each kind of hook write touches: the row's entries under its
//! old and new unique values, and the lists of the values it replaced and
//! wrote (or, where it cannot name them, every list with conditions).

use crate::keys::TableTag;
use crate::manager::Manager;
use crate::model::{CachedModel, ColumnValue, UniqueKey, Updated, UpdatedRows};
use crate::tracking;
use crate::writes::write_shape::WriteShape;
use cache_core::__engine::WithEngine;
use diesel::Connection;

/// The most value tags one write bumps: more (a batch insert of many
/// rows), and it invalidates every list with conditions instead.
pub(crate) const MAX_WRITE_VALUE_TAGS: usize = 256;

/// The most rows a bulk update (`update_where`) invalidates one by one
/// (their entries and the lists of their old and new values), and the
/// most tags it bumps for them; more, and it invalidates every entry of
/// the table.
pub const MAX_PRECISE_BULK_ROWS: usize = 64;
const MAX_PRECISE_BULK_TAGS: usize = 4 * MAX_WRITE_VALUE_TAGS;

/// `tags` and those of `also` it lacks.
pub(crate) fn with_all(mut tags: Vec<String>, also: &[String]) -> Vec<String> {
    for tag in also {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// The tags a hook write touches (internal).
impl<M: CachedModel> Manager<M> {
    /// The tags an insert is known to touch before it runs: the lists
    /// without conditions (whole-row and id lists) and the cached "not
    /// found"s.
    pub(crate) fn inserted_tags(&self) -> Vec<String> {
        let keys = self.model_keys();
        [TableTag::List, TableTag::Rows, TableTag::Absent]
            .map(|tag| keys.table_tag(tag).to_owned())
            .to_vec()
    }

    /// The tags an insert of rows with these column `values` touched (see
    /// [`Manager::lists_touched`]; `None`: not known), and the cached "not
    /// found"s.
    pub(crate) fn inserted_tags_of(
        &self,
        values: Option<impl Iterator<Item = ColumnValue>>,
        precise: bool,
    ) -> Vec<String> {
        let mut tags = self.lists_touched(values, true, precise);
        tags.push(self.model_keys().table_tag(TableTag::Absent).to_owned());
        tags
    }

    /// The list tags a write touched, given the values of every column of
    /// the rows it wrote, before and after (`None`: not known): the lists
    /// without conditions (`list`), and the value tags of those values,
    /// when the model maps every filter column of every model over its table
    /// (`keys::declared`, whatever its own `table!` lists) and the write may be
    /// `precise` (see [`Manager::announced`]) and names at most
    /// [`MAX_WRITE_VALUE_TAGS`] of them; otherwise every list with
    /// conditions (`filtered`). Where the rows `came_or_went` (an insert,
    /// a delete), the id lists that held them or do now too: the table's
    /// `rows` and the member tags of those values.
    pub(crate) fn lists_touched(
        &self,
        values: Option<impl Iterator<Item = ColumnValue>>,
        came_or_went: bool,
        precise: bool,
    ) -> Vec<String> {
        let keys = self.model_keys();
        let mut tags = vec![keys.table_tag(TableTag::List).to_owned()];
        if came_or_went {
            tags.push(keys.table_tag(TableTag::Rows).to_owned());
        }
        if let Some(values) = values.filter(|_| precise && keys.names_every_value()) {
            // (Every value counts: a batch whose first rows repeat a few
            // values may name many more further on.)
            // (Member tags as many as value tags.)
            let most = MAX_WRITE_VALUE_TAGS * if came_or_went { 2 } else { 1 };
            let mut named = std::collections::BTreeSet::new();
            for (column, value) in values {
                named.extend(keys.written_value_tags(column, &value));
                if came_or_went {
                    named.extend(keys.written_member_tags(column, &value));
                }
                if named.len() > most {
                    break;
                }
            }
            if named.len() <= most {
                tags.extend(named);
                return tags;
            }
        }
        tags.push(keys.table_tag(TableTag::Filtered).to_owned());
        tags
    }

    /// The tag the owed bumps of a write collapse into past the debt's
    /// bound (see `ModelKeys::cover`): the cache's `all` where the write
    /// also bumps other tables' epochs (declared views and cascades),
    /// which the table's `epoch` does not cover.
    pub(crate) fn cover(&self) -> &str {
        let keys = self.model_keys();
        match crate::tracking::written_tables::also_invalidated(M::table()).is_empty() {
            true => keys.cover(),
            false => keys.all_tag(),
        }
    }

    /// The `epoch` tags, in this cache, of the tables declared to change
    /// with this one (see `written_tables::also_invalidated`): known before any
    /// write, announced and bumped with its own tags. Usually none.
    pub(crate) fn also_epochs(&self) -> Vec<String> {
        let also = crate::tracking::written_tables::also_invalidated(M::table());
        let epoch = |table: &String| crate::keys::table_tag(self.cache(), table, TableTag::Epoch);
        also.iter().map(epoch).collect()
    }

    /// [`Manager::schema_tags`] of a write on `conn`, which reads the
    /// catalogue first where what it said is older than a writer trusts.
    pub(super) fn schema_tags_on<C: Connection + 'static>(&self, conn: &mut C) -> Vec<String> {
        if !self.cache().backend().capabilities().shared {
            return Vec::new();
        }
        let cache = self.cache().engine().keys().namespace_prefix();
        let autocommit =
            tracking::read_policy(conn, std::iter::empty()) == tracking::ReadPolicy::Normal;
        let listed = crate::keys::catalogue::columns_for_write(conn, cache, M::table(), autocommit);
        let mut tags = self.schema_tags(listed);
        if let Some(base) = self.model_keys().base() {
            let listed = crate::keys::catalogue::columns_for_write(conn, cache, base, autocommit);
            tags.extend(self.base_schema_tags(listed));
        }
        tags
    }

    /// What a write must bump beside what its own model names, for readers
    /// of the table in any program (see `catalogue`, "Columns"), given the
    /// table's columns as the catalogue `listed` them lately. Over a
    /// shared store: for columns of the table no model of this program
    /// maps (a program whose models map only some of them, a binary built
    /// before a migration added one), whose values its writes cannot name,
    /// every list with conditions (`filtered`) and the lookups by each of
    /// them (its wide tag); every entry of the table (`epoch`) where the
    /// catalogue cannot say (not read lately, or not listing the table).
    /// None where the program maps every column of the table.
    pub(crate) fn schema_tags(&self, listed: Option<Option<Vec<String>>>) -> Vec<String> {
        let unmapped = |columns| crate::keys::unmapped_by_program(M::table(), columns);
        self.unmapped_tags(M::table(), listed, unmapped, Some)
    }

    /// [`Manager::schema_tags`] of the table whose rows a model over a
    /// view shows (`view_of`), given its columns as the catalogue `listed`
    /// them: for those the model does not map, what its writes through the
    /// view cannot name.
    pub(crate) fn base_schema_tags(&self, listed: Option<Option<Vec<String>>>) -> Vec<String> {
        let keys = self.model_keys();
        let Some(base) = keys.base() else {
            return Vec::new();
        };
        let unmapped = |columns| crate::keys::unmapped_by(M::INFO.columns, columns);
        self.unmapped_tags(base, listed, unmapped, |tag| keys.base_tag(&tag))
    }

    /// What a write to `table` bumps for its columns `unmapped` picks of
    /// those the catalogue `listed`: every list with conditions and the
    /// lookups by each of them, as this model's keys name them, each
    /// `named` as `table`'s; every entry where the catalogue cannot say.
    pub(super) fn unmapped_tags(
        &self,
        table: &str,
        listed: Option<Option<Vec<String>>>,
        unmapped: impl FnOnce(Vec<String>) -> Vec<String>,
        named: impl Fn(String) -> Option<String>,
    ) -> Vec<String> {
        if !self.cache().backend().capabilities().shared {
            return Vec::new();
        }
        let Some(Some(columns)) = listed else {
            crate::keys::warn_unmapped(table, None);
            return self.epoch_tags();
        };
        let unmapped = unmapped(columns);
        if unmapped.is_empty() {
            return Vec::new();
        }
        crate::keys::warn_unmapped(table, Some(&unmapped));
        let keys = self.model_keys();
        let mut tags = vec![keys.table_tag(TableTag::Filtered).to_owned()];
        // (Under the catalogue's spelling and in lower case: a reader names
        // the column as its `table!` does, most often one of the two.)
        for column in &unmapped {
            tags.push(keys.wide_tag(column));
            tags.push(keys.wide_tag(&column.to_ascii_lowercase()));
        }
        let mut tags: Vec<String> = tags.into_iter().filter_map(named).collect();
        tags.sort();
        tags.dedup();
        tags
    }

    /// The tags of the table's epoch (every entry: a bulk write), and
    /// for a model over a view, of the table it shows.
    pub(crate) fn epoch_tags(&self) -> Vec<String> {
        let keys = self.model_keys();
        keys.mirrored(vec![keys.table_tag(TableTag::Epoch).to_owned()])
    }

    /// The tags a bulk update written in `shape` is known to touch before
    /// it runs: where what it learns from its statement is announced before
    /// its commit (in a transaction the hook opens, or that the tracker
    /// follows, or over the in-process store), the lists without
    /// conditions (its rows' entries and value tags are learned, see
    /// [`Manager::update_where_tags`]); otherwise (in autocommit where the
    /// hook opens no transaction, or on MySQL, whose bulk update holds no
    /// commit) every entry of the table, its `epoch`.
    pub(crate) fn update_where_known(&self, shape: WriteShape) -> Vec<String> {
        match shape {
            WriteShape::Coarse | WriteShape::HeldCommit => self.epoch_tags(),
            _ => vec![self.model_keys().table_tag(TableTag::List).to_owned()],
        }
    }

    /// The tags a bulk update touched: each row's, as an update's (see
    /// [`Manager::updated_tags`]), where the statement returned its rows
    /// and their old values (PostgreSQL), the write may be `precise`, and
    /// there are at most [`MAX_PRECISE_BULK_ROWS`] (and their tags at most
    /// twice [`MAX_WRITE_VALUE_TAGS`]); otherwise the table's `epoch`
    /// (every entry).
    pub(crate) fn update_where_tags(&self, rows: &UpdatedRows<M>, precise: bool) -> Vec<String> {
        match rows {
            UpdatedRows::Rows(rows) if precise && rows.len() <= MAX_PRECISE_BULK_ROWS => {
                let mut tags: Vec<String> = rows
                    .iter()
                    .flat_map(|u| self.updated_tags(u, true))
                    .collect();
                tags.push(self.model_keys().table_tag(TableTag::List).to_owned());
                tags.sort();
                tags.dedup();
                match tags.len() <= MAX_PRECISE_BULK_TAGS {
                    true => tags,
                    false => self.epoch_tags(),
                }
            }
            _ => self.epoch_tags(),
        }
    }

    /// What [`Manager::invalidate_id`] bumps.
    pub(crate) fn id_invalidation_tags(&self, id: M::Id) -> Vec<String> {
        let mut lists = self.lists_touched(None::<std::iter::Empty<_>>, true, false);
        if M::INFO.unique_columns.len() > 1 {
            lists.extend(self.epoch_tags());
        }
        let tags = self.row_tags(std::iter::once(&M::unique_of_id(id)), false, lists);
        self.model_keys().mirrored(tags)
    }

    /// The tags an update touched: the row's detail entries under the old
    /// (`before`) and the new unique values, and the lists that held it
    /// before or hold it now (see [`Manager::lists_touched`]).
    pub(crate) fn updated_tags(&self, updated: &Updated<M>, precise: bool) -> Vec<String> {
        let Updated {
            row,
            before,
            old_values,
        } = updated;
        let new_values = row.column_values();
        let values = old_values
            .as_ref()
            .map(|old| old.iter().cloned().chain(new_values.iter().cloned()));
        let after = row.unique_keys();
        // (A moved primary key: another row, as far as id lists know.)
        let id_key = M::unique_of_id(row.id()).value_key();
        let moved_id = before.first().map(UniqueKey::value_key) != Some(id_key);
        let mut lists = self.lists_touched(values, moved_id, precise);
        if let Some(old) = old_values.as_ref().filter(|_| !moved_id) {
            lists.extend(self.members_changed(old, &new_values, precise));
        }
        // A changed unique value may now be found under a spelling a
        // cached "not found" holds (`COFFEE` for a new `coffee`, where the
        // collation ignores case): those are invalidated too.
        let moved = before.iter().any(|old| {
            after
                .iter()
                .any(|new| new.column() == old.column() && new.value_key() != old.value_key())
        });
        self.row_tags(before.iter().chain(&after), moved, lists)
    }

    /// The id lists an update of a row from `old` to `new` values touched:
    /// for each column whose value changed, the member tags of both values
    /// and the column's changed tag (see `ModelKeys::id_list_dependencies`);
    /// every id list with conditions (`filtered`) when the write may not
    /// be `precise` or would name too many. An update that changed no
    /// column a list filters or orders by leaves every id list valid.
    pub(super) fn members_changed(
        &self,
        old: &[ColumnValue],
        new: &[ColumnValue],
        precise: bool,
    ) -> Vec<String> {
        let keys = self.model_keys();
        if !precise || !keys.names_every_value() {
            return vec![keys.table_tag(TableTag::Filtered).to_owned()];
        }
        let mut named = std::collections::BTreeSet::new();
        for (column, value) in new {
            let before = old.iter().find(|(c, _)| c == column).map(|(_, v)| v);
            if before == Some(value) {
                continue;
            }
            named.insert(keys.changed_tag(column));
            named.extend(keys.written_member_tags(column, value));
            if let Some(before) = before {
                named.extend(keys.written_member_tags(column, before));
            }
        }
        if named.len() > 2 * MAX_WRITE_VALUE_TAGS {
            return vec![keys.table_tag(TableTag::Filtered).to_owned()];
        }
        named.into_iter().collect()
    }

    /// The tags a delete of `row` touched: its detail entries and the lists
    /// that held it.
    pub(crate) fn deleted_tags(&self, row: &M, precise: bool) -> Vec<String> {
        let lists = self.lists_touched(Some(row.column_values().into_iter()), true, precise);
        self.row_tags(row.unique_keys().iter(), false, lists)
    }

    /// `lists` (list tags, from [`Manager::lists_touched`]) and the tags of
    /// the detail entries under `keys` (and of the cached "not found"
    /// answers when `absent`).
    pub(crate) fn row_tags<'k>(
        &self,
        keys: impl Iterator<Item = &'k M::Unique>,
        absent: bool,
        lists: Vec<String>,
    ) -> Vec<String> {
        let model_keys = self.model_keys();
        let mut touched = lists;
        if absent {
            touched.push(model_keys.table_tag(TableTag::Absent).to_owned());
        }
        touched.extend(keys.map(|k| model_keys.unique_tag_of(k)));
        touched.extend(model_keys.others_wide().iter().cloned());
        touched.sort();
        touched.dedup();
        touched
    }

    /// The tags a write of the row with primary key `id` is known to touch
    /// before it runs: the lists and the row's detail entries by its id
    /// (its other unique values are learned from the write itself).
    pub(crate) fn id_tags(&self, id: &M::Id) -> Vec<String> {
        let keys = self.model_keys();
        let mut tags = vec![
            keys.table_tag(TableTag::List).to_owned(),
            keys.unique_tag_of(&M::unique_of_id(id.clone())),
        ];
        tags.extend(keys.others_wide().iter().cloned());
        tags
    }

    /// `tags` and the table's `filtered` tag.
    pub(crate) fn with_filtered(&self, tags: Vec<String>) -> Vec<String> {
        let filtered = self.model_keys().table_tag(TableTag::Filtered).to_owned();
        with_all(tags, &[filtered])
    }
}
