//! The write hooks of [`Manager`]: run the statement, then invalidate
//! exactly what it touched (at the commit, inside a tracked transaction).

use crate::error::Result;
use crate::keys::TableTag;
use crate::manager::Manager;
use crate::model::{
    CachedModel, ColumnValue, InsertQuery, ListFilter, ModelQueries, UniqueKey, UpdateQuery,
    Updated, UpdatedRows,
};
use crate::sql_tables::Dialect;
use crate::tags::Tags;
use crate::tracking::{self, Invalidation};
use crate::write_metrics;
use crate::write_through::Through;
use cache_core::__engine::Noted;
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

/// How a hook write names the lists it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteShape {
    /// By the values it wrote and replaced, as the statement returns them:
    /// on an in-process store (which dies with its writer: nothing to
    /// announce), or inside a transaction (the tracker announces at its
    /// commit).
    InPlace,
    /// The same, in a transaction of its own (autocommit on a shared
    /// store, on a tracked PostgreSQL connection, sync or async): the values
    /// are learned from the statement and announced before its commit. Two
    /// more database round trips.
    OwnTransaction,
    /// The same on MySQL, whose hooks write in a transaction of their own
    /// (`mysql_atomic`): it is left open for the hook, which announces the
    /// values it learned and commits (see `held_commit`).
    HeldCommit,
    /// The same on SQLite, in a transaction the hook opens with `BEGIN
    /// IMMEDIATE` (see `held_commit::begin_immediate`): no round trip on
    /// an embedded database.
    ImmediateTransaction,
    /// Every list with conditions, announced before the statement
    /// (autocommit on a shared store where the hook cannot open a
    /// transaction of its own: see [`Manager::write_shape`]).
    Coarse,
}

/// `tags` and those of `also` it lacks.
pub(crate) fn with_all(mut tags: Vec<String>, also: &[String]) -> Vec<String> {
    for tag in also {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    tags
}

/// `tags` as the `&str`s cache-core takes.
fn as_strs(tags: &[String]) -> Vec<&str> {
    tags.iter().map(String::as_str).collect()
}

impl<M: CachedModel> Manager<M> {
    /// Inserts one row (`values`: anything `Insertable` into the table, as
    /// `diesel::insert_into(..).values(..)` takes) and returns it as the
    /// database wrote it (its generated id, its defaults), then invalidates
    /// the lists and cached "not found" answers. One statement
    /// (`INSERT .. RETURNING`); on MySQL, which has none, the insert and a
    /// read of its rows by `LAST_INSERT_ID()` in a transaction, for a
    /// primary key that is the table's `AUTO_INCREMENT` column (other keys:
    /// [`Manager::insert_execute`]).
    ///
    /// For several rows use [`Manager::insert_many`]: like Diesel's
    /// `get_result`, this returns the first row of a batch (and logs a
    /// warning).
    pub fn insert<C, V>(&self, conn: &mut C, values: V) -> Result<M>
    where
        C: Connection + 'static,
        M: InsertQuery<C, V>,
    {
        let mut rows = self.insert_rows(conn, values)?.into_iter();
        let first = rows.next().ok_or(diesel::result::Error::NotFound)?;
        if rows.len() > 0 {
            tracing::warn!(
                model = M::INFO.name,
                rows = rows.len() + 1,
                "insert() wrote several rows and returns the first: use insert_many()"
            );
        }
        Ok(first)
    }

    /// Inserts any number of rows (a `Vec` or slice of `Insertable` values,
    /// or anything `Insertable`) and returns them as the database wrote
    /// them, in order, then invalidates the lists and cached "not found"
    /// answers (nothing when no row was inserted). One statement
    /// (`INSERT .. RETURNING`) on PostgreSQL; on SQLite Diesel inserts a
    /// batch row by row, in a transaction (n + 2 statements); on MySQL as
    /// [`Manager::insert`].
    pub fn insert_many<C, V>(&self, conn: &mut C, values: V) -> Result<Vec<M>>
    where
        C: Connection + 'static,
        M: InsertQuery<C, V>,
    {
        self.insert_rows(conn, values)
    }

    /// Inserts rows (anything `Insertable`, one or a batch) and returns how
    /// many, without reading them back, then invalidates as
    /// [`Manager::insert_many`]. One statement on every database: for bulk
    /// loads, and on MySQL for rows whose keys are given in the values
    /// (where `insert` cannot read them back).
    pub fn insert_execute<C, V>(&self, conn: &mut C, values: V) -> Result<usize>
    where
        C: Connection + 'static,
        M: InsertQuery<C, V>,
    {
        let (n, tags) = self.announced(
            conn,
            // (Its values are never known: every list with conditions.)
            self.with_filtered(self.inserted_tags()),
            |conn| M::insert_execute(conn, values),
            // (The rows are not read back: their values are unknown.)
            |n, _| (*n > 0).then(|| self.inserted_tags_of(None::<std::iter::Empty<_>>, false)),
        )?;
        if n > 0 {
            self.invalidate(conn, "insert", tags);
        }
        Ok(n)
    }

    fn insert_rows<C, V>(&self, conn: &mut C, values: V) -> Result<Vec<M>>
    where
        C: Connection + 'static,
        M: InsertQuery<C, V>,
    {
        let (rows, tags) = self.announced(
            conn,
            self.inserted_tags(),
            |conn| M::insert_returning(conn, values),
            |rows, precise| {
                let values = rows.iter().flat_map(CachedModel::column_values);
                (!rows.is_empty()).then(|| self.inserted_tags_of(Some(values), precise))
            },
        )?;
        if !rows.is_empty() {
            self.invalidate(conn, "insert", tags);
        }
        Ok(rows)
    }

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
        match crate::unseen::also_invalidated(M::table()).is_empty() {
            true => keys.cover(),
            false => keys.all_tag(),
        }
    }

    /// The `epoch` tags, in this cache, of the tables declared to change
    /// with this one (see `unseen::also_invalidated`): known before any
    /// write, announced and bumped with its own tags. Usually none.
    pub(crate) fn also_epochs(&self) -> Vec<String> {
        let also = crate::unseen::also_invalidated(M::table());
        let epoch = |table: &String| crate::keys::table_tag(self.cache(), table, TableTag::Epoch);
        also.iter().map(epoch).collect()
    }

    /// [`Manager::schema_tags`] of a write on `conn`, which reads the
    /// catalogue first where what it said is older than a writer trusts.
    fn schema_tags_on<C: Connection + 'static>(&self, conn: &mut C) -> Vec<String> {
        if !self.cache().backend().capabilities().shared {
            return Vec::new();
        }
        let cache = self.cache().keys().namespace_prefix();
        let autocommit =
            tracking::read_policy(conn, std::iter::empty()) == tracking::ReadPolicy::Normal;
        let listed = crate::catalogue::columns_for_write(conn, cache, M::table(), autocommit);
        let mut tags = self.schema_tags(listed);
        if let Some(base) = self.model_keys().base() {
            let listed = crate::catalogue::columns_for_write(conn, cache, base, autocommit);
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
    fn unmapped_tags(
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

    /// Applies `changes` (anything `AsChangeset` for the table) to the row
    /// with primary key `id` and returns the row after the update, then
    /// invalidates its detail entries under the old and the new values of
    /// every unique column, and the lists. `None`: no row has that id;
    /// nothing was written and nothing is invalidated.
    ///
    /// Statements: one (`UPDATE .. RETURNING`) for a model whose only
    /// unique column is its primary key; with `unique(..)` columns, one on
    /// PostgreSQL (the old values come from the same statement: `UPDATE ..
    /// FROM (SELECT .. FOR UPDATE) .. RETURNING`), and on SQLite a read of
    /// the old row and the update, in a transaction (`BEGIN IMMEDIATE`)
    /// unless one is open. On MySQL, which has no `RETURNING`: a read of
    /// the row `FOR UPDATE`, the update and a read of the new row, in a
    /// transaction (a savepoint inside one already open); an update that
    /// changes the primary key is refused there (rolled back).
    ///
    /// On a tracked connection in autocommit, the row returned is put into
    /// its detail entry (write-through): the next `get` of it is a hit,
    /// unless another write of the row came between.
    pub fn update<C, V>(&self, conn: &mut C, id: M::Id, changes: V) -> Result<Option<M>>
    where
        C: Connection + 'static,
        M: UpdateQuery<C, V>,
    {
        let through = self.write_through_of(conn, &id);
        let (updated, tags, noted) = self.announced_noting(
            conn,
            self.id_tags(&id),
            through.as_ref(),
            |conn| M::update_by_id(conn, &id, changes),
            |updated, precise| updated.as_ref().map(|u| self.updated_tags(u, precise)),
        )?;
        let Some(Updated { row, .. }) = updated else {
            return Ok(None);
        };
        let bumped = match (through, noted) {
            (Some(through), Some(noted)) => self.put_written(through, noted, &row, &tags),
            _ => false,
        };
        self.invalidate_written(conn, "update", tags, bumped);
        Ok(Some(row))
    }

    /// Writes every field of `row` to its row (the model must derive
    /// `AsChangeset`) and returns the row as stored, then invalidates as
    /// [`Manager::update`]. `None`: no row has `row`'s id.
    pub fn save<'r, C>(&self, conn: &mut C, row: &'r M) -> Result<Option<M>>
    where
        C: Connection + 'static,
        M: UpdateQuery<C, &'r M>,
    {
        self.update(conn, row.id(), row)
    }

    /// Deletes the row with primary key `id` and returns it, then
    /// invalidates its detail entries (under every unique value it had) and
    /// the lists. `None`: no row has that id, and nothing is invalidated.
    /// One statement (`DELETE .. RETURNING`); on MySQL a read of the row
    /// `FOR UPDATE` and the delete, in a transaction.
    pub fn delete<C>(&self, conn: &mut C, id: M::Id) -> Result<Option<M>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let (deleted, tags) = self.announced(
            conn,
            self.id_tags(&id),
            |conn| M::delete_by_id(conn, &id),
            |deleted, precise| deleted.as_ref().map(|row| self.deleted_tags(row, precise)),
        )?;
        if deleted.is_some() {
            self.invalidate(conn, "delete", tags);
        }
        Ok(deleted)
    }

    /// Applies `changes` to every row matching `filter` (a bulk update) and
    /// returns how many, then invalidates what it wrote. On PostgreSQL (a
    /// model with a single-column primary key) the statement returns each
    /// row with its old values (`UPDATE .. FROM (SELECT .. FOR UPDATE) ..
    /// RETURNING`), and up to 64 rows are invalidated as `update`
    /// invalidates one: their entries, and the lists of their old and new
    /// values (the rows are counted first, a `SELECT count(*)`: more, and
    /// they are not brought back). Otherwise (more rows, other databases, or in autocommit
    /// over a shared store where the hook cannot open a transaction of its
    /// own to announce what it learned, see `Manager::update`) every entry
    /// of the model: one tag, however many rows.
    /// The filter's order is ignored; one with a window (`limit`, `offset`,
    /// `after`) is refused with [`Error::WindowedWrite`](crate::Error::WindowedWrite).
    pub fn update_where<C, V>(&self, conn: &mut C, filter: M::Filter, changes: V) -> Result<usize>
    where
        C: Connection + 'static,
        M: UpdateQuery<C, V>,
    {
        if filter.is_window() {
            return Err(crate::Error::WindowedWrite {
                model: M::INFO.name,
            });
        }
        let known = self.update_where_known(self.shape_on(conn));
        let (rows, tags) = self.announced(
            conn,
            known,
            |conn| M::update_filtered(conn, &filter, changes),
            |rows, precise| Some(self.update_where_tags(rows, precise)),
        )?;
        self.invalidate(conn, "update_where", tags);
        Ok(rows.len())
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

    /// Invalidates every entry of the model now (after writes made behind
    /// the managers' back: another program, a trigger). An error
    /// ([`Error::Invalidation`](crate::Error::Invalidation)) says the cache
    /// could not be told yet; the invalidation is then owed and retried.
    pub fn invalidate_all(&self) -> Result<()> {
        write_metrics::invalidated(M::table(), write_metrics::Cause::Operator);
        self.bump("invalidate_all", &self.epoch_tags())
    }

    /// Invalidates the entries of the row with primary key `id`, and the
    /// lists, now (errors as [`Manager::invalidate_all`]). Every list with
    /// conditions is invalidated: the row's values are not known. So is,
    /// for a model with `unique(..)` columns, every entry of the table: the
    /// row's lookups by those values cannot be named without the row.
    pub fn invalidate_id(&self, id: M::Id) -> Result<()> {
        let tags = self.id_invalidation_tags(id);
        self.count_coarse(&tags);
        write_metrics::invalidated(M::table(), write_metrics::Cause::Operator);
        self.bump("invalidate", &tags)
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
    fn members_changed(
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

    /// Runs a hook's write `f` (see [`tracking::as_hook`]) and returns
    /// its outcome with the tags it touched, as `touched` names them from
    /// the outcome (`None`: it wrote nothing) and from whether the write
    /// may name its values precisely (see [`Manager::write_shape`]).
    ///
    /// In autocommit the tags known before the write (`known`) are
    /// announced first (see `cache_core::Cache::announce_bumps`): should
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
    fn announced<C: Connection + 'static, T>(
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
    /// `cache_core::Cache::announce_noting`), for the put after the
    /// commit.
    fn announced_noting<C: Connection + 'static, T>(
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
                None => self.cache().announce_bumps(&as_strs(&known)),
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
            self.cache().announce_bumps(&as_strs(&learned));
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
                let asked = crate::held_commit::ask();
                let out = f(conn);
                let held = crate::held_commit::held();
                drop(asked);
                let out = out?;
                let learned_any = announce(&out);
                if held {
                    // (Only `mysql_atomic` holds one.)
                    #[cfg(feature = "mysql")]
                    crate::held_commit::end_own(conn, true)?;
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
                crate::held_commit::begin_immediate(conn)?;
                let out = f(conn).inspect(|out| {
                    announce(out);
                });
                crate::held_commit::end(conn, out)
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
                self.cache().hold_doubtful(&as_strs(&tags));
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
    /// connection through `backends::pg::own_transaction::OnCancel`, which queues a
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

    /// `tags` and the table's `filtered` tag.
    pub(crate) fn with_filtered(&self, tags: Vec<String>) -> Vec<String> {
        let filtered = self.model_keys().table_tag(TableTag::Filtered).to_owned();
        with_all(tags, &[filtered])
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

    /// Counts a hook write's invalidation of `tags` (see `write_metrics`).
    pub(crate) fn count_hook(&self, tags: &[String]) {
        let cause = match self.count_coarse(tags) {
            true => write_metrics::Cause::Coarse,
            false => write_metrics::Cause::Hook,
        };
        write_metrics::invalidated(M::table(), cause);
    }

    /// Invalidates `tags` now, or at the commit of the open transaction.
    fn invalidate<C: Connection>(&self, conn: &mut C, why: &'static str, tags: Vec<String>) {
        self.invalidate_written(conn, why, tags, false)
    }

    /// [`Manager::invalidate`] of a write whose `tags` were `bumped`
    /// already, with its write-through (see `write_through.rs`).
    fn invalidate_written<C: Connection>(
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
                let bumped =
                    crate::tags::bump(&other, &tags, Some(&tags[0]), ttl, M::INFO.name, why);
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
                    && c.keys().namespace_prefix() == own.keys().namespace_prefix())
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

    fn bump(&self, why: &'static str, tags: &[String]) -> Result<()> {
        self.tally(cache_core::__engine::Counter::Invalidation);
        crate::tags::bump(
            self.cache(),
            tags,
            Some(self.cover()),
            Tags::<M>::ttl(),
            M::INFO.name,
            why,
        )
    }
}

/// Whether `conn` is inside a transaction (by its tracker's reading of the
/// SQL when tracked, else by Diesel's transaction manager).
#[cfg(feature = "sqlite")]
fn in_transaction<C: Connection>(conn: &mut C) -> bool {
    tracking::read_policy(conn, std::iter::empty()) != tracking::ReadPolicy::Normal
}

/// Runs `f`, a read of a row and a write of it that no other write may come
/// between, in a transaction unless one is open: `BEGIN IMMEDIATE`, which
/// takes SQLite's write lock before the read (a deferred transaction would
/// fail with `SQLITE_BUSY` if another connection wrote after its read).
/// Generated code calls it.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
pub fn sqlite_atomic<T>(
    conn: &mut diesel::SqliteConnection,
    f: impl FnOnce(&mut diesel::SqliteConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    if in_transaction(conn) {
        return f(conn);
    }
    crate::held_commit::begin_immediate(conn)?;
    let out = f(conn);
    crate::held_commit::end(conn, out)
}
