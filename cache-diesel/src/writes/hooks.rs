//! The write hooks themselves: run the statement, then invalidate exactly
//! what it touched (`delivery`), and invalidating by hand.

use crate::error::Result;
use crate::manager::Manager;
use crate::metrics::invalidations;
use crate::model::{CachedModel, InsertQuery, ListFilter, ModelQueries, UpdateQuery, Updated};
use diesel::Connection;

/// Writing through hooks, which invalidate what they wrote:
/// [`insert`](Self::insert), [`insert_many`](Self::insert_many),
/// [`insert_execute`](Self::insert_execute), [`update`](Self::update), [`save`](Self::save),
/// [`delete`](Self::delete), [`update_where`](Self::update_where); and invalidating by hand:
/// [`invalidate_all`](Self::invalidate_all), [`invalidate_id`](Self::invalidate_id).
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

    /// Invalidates every entry of the model now (after writes made behind
    /// the managers' back: another program, a trigger). An error
    /// ([`Error::Invalidation`](crate::Error::Invalidation)) says the cache
    /// could not be told yet; the invalidation is then owed and retried.
    pub fn invalidate_all(&self) -> Result<()> {
        invalidations::invalidated(M::table(), invalidations::Cause::Operator);
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
        invalidations::invalidated(M::table(), invalidations::Cause::Operator);
        self.bump("invalidate", &tags)
    }
}
