//! The write hooks of [`Manager`]: run the statement, then invalidate
//! exactly what it touched (at the commit, inside a tracked transaction).

use crate::error::Result;
use crate::keys::TableTag;
use crate::manager::Manager;
use crate::model::{
    CachedModel, InsertQuery, ListFilter, ModelQueries, UniqueKey, UpdateQuery, Updated,
};
use crate::tags::Tags;
use crate::tracking::{self, Invalidation};
use diesel::Connection;

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
        C: Connection,
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
        C: Connection,
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
        C: Connection,
        M: InsertQuery<C, V>,
    {
        let n = self.announced(
            conn,
            self.inserted_tags(),
            |conn| M::insert_execute(conn, values),
            |n| *n > 0,
        )?;
        self.inserted(conn, n);
        Ok(n)
    }

    fn insert_rows<C, V>(&self, conn: &mut C, values: V) -> Result<Vec<M>>
    where
        C: Connection,
        M: InsertQuery<C, V>,
    {
        let rows = self.announced(
            conn,
            self.inserted_tags(),
            |conn| M::insert_returning(conn, values),
            |rows| !rows.is_empty(),
        )?;
        self.inserted(conn, rows.len());
        Ok(rows)
    }

    /// Invalidates what inserting `n` rows touched: the lists and cached
    /// "not found" answers (nothing when no row was inserted).
    fn inserted<C: Connection>(&self, conn: &mut C, n: usize) {
        if n > 0 {
            self.invalidate(conn, "insert", self.inserted_tags());
        }
    }

    /// The tags an insert touches: the lists and the cached "not found"s.
    pub(crate) fn inserted_tags(&self) -> Vec<String> {
        let keys = self.model_keys();
        vec![
            keys.table_tag(TableTag::List).to_owned(),
            keys.table_tag(TableTag::Absent).to_owned(),
        ]
    }

    /// The tags of the table's epoch (every entry: a bulk write).
    pub(crate) fn epoch_tags(&self) -> Vec<String> {
        vec![self.model_keys().table_tag(TableTag::Epoch).to_owned()]
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
    pub fn update<C, V>(&self, conn: &mut C, id: M::Id, changes: V) -> Result<Option<M>>
    where
        C: Connection,
        M: UpdateQuery<C, V>,
    {
        let updated = self.announced(
            conn,
            self.id_tags(&id),
            |conn| M::update_by_id(conn, &id, changes),
            Option::is_some,
        )?;
        let Some(Updated { row, before }) = updated else {
            return Ok(None);
        };
        let tags = self.updated_tags(&row, &before);
        self.invalidate(conn, "update", tags);
        Ok(Some(row))
    }

    /// Writes every field of `row` to its row (the model must derive
    /// `AsChangeset`) and returns the row as stored, then invalidates as
    /// [`Manager::update`]. `None`: no row has `row`'s id.
    pub fn save<'r, C>(&self, conn: &mut C, row: &'r M) -> Result<Option<M>>
    where
        C: Connection,
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
        C: Connection,
        M: ModelQueries<C>,
    {
        let deleted = self.announced(
            conn,
            self.id_tags(&id),
            |conn| M::delete_by_id(conn, &id),
            Option::is_some,
        )?;
        if let Some(row) = &deleted {
            self.invalidate(
                conn,
                "delete",
                self.row_tags(row.unique_keys().iter(), false),
            );
        }
        Ok(deleted)
    }

    /// Applies `changes` to every row matching `filter` (a bulk update), then
    /// invalidates every entry of the model: one tag, however many rows.
    /// The filter's order is ignored; one with a window (`limit`, `offset`,
    /// `after`) is refused with [`Error::WindowedWrite`](crate::Error::WindowedWrite).
    pub fn update_where<C, V>(&self, conn: &mut C, filter: M::Filter, changes: V) -> Result<usize>
    where
        C: Connection,
        M: UpdateQuery<C, V>,
    {
        if filter.is_window() {
            return Err(crate::Error::WindowedWrite {
                model: M::INFO.name,
            });
        }
        // (Invalidated whatever it wrote.)
        let n = self.announced(
            conn,
            self.epoch_tags(),
            |conn| M::update_filtered(conn, &filter, changes),
            |_| true,
        )?;
        self.invalidate(conn, "update_where", self.epoch_tags());
        Ok(n)
    }

    /// Invalidates every entry of the model now (after writes made behind
    /// the managers' back: another program, a trigger). An error
    /// ([`Error::Invalidation`](crate::Error::Invalidation)) says the cache
    /// could not be told yet; the invalidation is then owed and retried.
    pub fn invalidate_all(&self) -> Result<()> {
        let epoch = self.model_keys().table_tag(TableTag::Epoch).to_owned();
        self.bump("invalidate_all", &[epoch])
    }

    /// Invalidates the entries of the row with primary key `id`, and the
    /// lists, now (errors as [`Manager::invalidate_all`]).
    pub fn invalidate_id(&self, id: M::Id) -> Result<()> {
        let keys = self.model_keys();
        let list = keys.table_tag(TableTag::List).to_owned();
        self.bump(
            "invalidate",
            &[list, keys.unique_tag_of(&M::unique_of_id(id))],
        )
    }

    /// The tags an update of a row to `row` touched: its detail entries
    /// under the old (`before`) and the new unique values, and the lists.
    pub(crate) fn updated_tags(&self, row: &M, before: &[M::Unique]) -> Vec<String> {
        let after = row.unique_keys();
        // A changed unique value may now be found under a spelling a
        // cached "not found" holds (`COFFEE` for a new `coffee`, where the
        // collation ignores case): those are invalidated too.
        let moved = before.iter().any(|old| {
            after
                .iter()
                .any(|new| new.column() == old.column() && new.value_key() != old.value_key())
        });
        self.row_tags(before.iter().chain(&after), moved)
    }

    /// The tags of the lists and of the detail entries under `keys` (and
    /// of the cached "not found" answers when `absent`).
    pub(crate) fn row_tags<'k>(
        &self,
        keys: impl Iterator<Item = &'k M::Unique>,
        absent: bool,
    ) -> Vec<String> {
        let model_keys = self.model_keys();
        let mut touched = vec![model_keys.table_tag(TableTag::List).to_owned()];
        if absent {
            touched.push(model_keys.table_tag(TableTag::Absent).to_owned());
        }
        touched.extend(keys.map(|k| model_keys.unique_tag_of(k)));
        touched.sort();
        touched.dedup();
        touched
    }

    /// The tags a write of the row with primary key `id` is known to touch
    /// before it runs: the lists and the row's detail entries by its id
    /// (its other unique values are learned from the write itself).
    pub(crate) fn id_tags(&self, id: &M::Id) -> Vec<String> {
        let keys = self.model_keys();
        vec![
            keys.table_tag(TableTag::List).to_owned(),
            keys.unique_tag_of(&M::unique_of_id(id.clone())),
        ]
    }

    /// Runs a hook's write `f` (see [`tracking::as_hook`]), announcing
    /// `tags` first when it runs in autocommit (see
    /// `cache_core::Cache::announce_bumps`): should this process die after
    /// the write and before its bumps, no entry of `tags` filled before the
    /// write is served after it. (Inside a transaction the tracker
    /// announces at the `COMMIT`.) A write that fails is invalidated by
    /// [`Manager::after_failed_write`]; one that wrote nothing (`wrote`
    /// says whether it did; one that did invalidates at least `tags`) has
    /// its announced tags replaced at once, so that readers do not go to
    /// the database until the announcement expires.
    fn announced<C: Connection, T>(
        &self,
        conn: &mut C,
        tags: Vec<String>,
        f: impl FnOnce(&mut C) -> diesel::QueryResult<T>,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        let autocommit =
            tracking::read_policy(conn, std::iter::empty()) == tracking::ReadPolicy::Normal;
        if autocommit {
            let announced: Vec<&str> = tags.iter().map(String::as_str).collect();
            self.cache().announce_bumps(&announced);
        }
        let written = tracking::as_hook(conn, f);
        if autocommit {
            let tags = match &written {
                Ok(value) if wrote(value) => Vec::new(),
                Ok(_) => self.after_failed_write(true, tags),
                Err(crate::Error::Database(e)) => {
                    self.after_failed_write(tracking::certainly_failed(e), tags)
                }
                Err(_) => self.after_failed_write(true, tags),
            };
            if !tags.is_empty() {
                // (Fail open: owed when it fails.)
                let _ = self.bump("announced, not written", &tags);
            }
        }
        written
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

    /// Invalidates `tags` now, or at the commit of the open transaction.
    fn invalidate<C: Connection>(&self, conn: &mut C, why: &'static str, tags: Vec<String>) {
        let also = crate::unseen::also_invalidated(M::table());
        if !also.is_empty() {
            crate::unseen::invalidate_in(conn, self.cache(), &also, why);
        }
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        match tracking::defer(
            &mut tracking::SyncConn(conn),
            self.cache(),
            &tags,
            epoch,
            Tags::<M>::ttl(),
        ) {
            // (Fail open: owed when it fails.)
            Invalidation::Now => drop(self.bump(why, &tags)),
            Invalidation::Deferred => {
                tracing::debug!(model = M::INFO.name, why, tags = ?tags, "cache invalidate deferred to commit")
            }
        }
    }

    fn bump(&self, why: &'static str, tags: &[String]) -> Result<()> {
        self.tally(cache_core::__engine::Counter::Invalidation);
        let epoch = self.model_keys().table_tag(TableTag::Epoch);
        crate::tags::bump(
            self.cache(),
            tags,
            Some(epoch),
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
        f(conn)
    } else {
        conn.immediate_transaction(f)
    }
}
