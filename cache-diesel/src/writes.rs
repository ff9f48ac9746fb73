//! The write hooks of [`Manager`]: run the statement, then invalidate
//! exactly what it touched (at the commit, inside a tracked transaction).

use crate::error::Result;
use crate::manager::Manager;
use crate::model::{CachedModel, InsertQuery, ModelQueries, UpdateQuery};
use crate::tags::{TableTag, Tags};
use crate::tracking::{self, Invalidation};
use diesel::Connection;

impl<M: CachedModel> Manager<M> {
    /// Inserts `values` (anything `Insertable` into the table, one row or
    /// many), then invalidates the lists and cached "not found" answers.
    pub fn insert<C, V>(&self, conn: &mut C, values: V) -> Result<usize>
    where
        C: Connection,
        M: InsertQuery<C, V>,
    {
        let n = tracking::as_hook(conn, |conn| M::insert(conn, values))?;
        let tags = self.tags();
        let touched = vec![tags.table(TableTag::List), tags.table(TableTag::Absent)];
        self.invalidate(conn, "insert", touched);
        Ok(n)
    }

    /// Applies `changes` (anything `AsChangeset` for the table) to the row
    /// with primary key `id`, then invalidates its detail entries under the
    /// old and the new values of every unique column, and the lists.
    pub fn update<C, V>(&self, conn: &mut C, id: M::Id, changes: V) -> Result<usize>
    where
        C: Connection,
        M: UpdateQuery<C, V> + ModelQueries<C>,
    {
        let key = M::unique_of_id(id.clone());
        let before = M::load_unique(conn, &key)?;
        let n = tracking::as_hook(conn, |conn| M::update_by_id(conn, &id, changes))?;
        let after = M::load_unique(conn, &key)?;
        self.invalidate_rows(conn, "update", &key, [before, after].iter().flatten());
        Ok(n)
    }

    /// Writes every field of `row` to its row (the model must derive
    /// `AsChangeset`), then invalidates as [`Manager::update`].
    pub fn save<'r, C>(&self, conn: &mut C, row: &'r M) -> Result<usize>
    where
        C: Connection,
        M: UpdateQuery<C, &'r M> + ModelQueries<C>,
    {
        self.update(conn, row.id(), row)
    }

    /// Deletes the row with primary key `id`, then invalidates its detail
    /// entries and the lists.
    pub fn delete<C>(&self, conn: &mut C, id: M::Id) -> Result<usize>
    where
        C: Connection,
        M: ModelQueries<C>,
    {
        let key = M::unique_of_id(id.clone());
        let before = M::load_unique(conn, &key)?;
        let n = tracking::as_hook(conn, |conn| M::delete_by_id(conn, &id))?;
        self.invalidate_rows(conn, "delete", &key, before.iter());
        Ok(n)
    }

    /// Applies `changes` to every row matching `filter` (a bulk update), then
    /// invalidates every entry of the model: one tag, however many rows.
    pub fn update_where<C, V>(&self, conn: &mut C, filter: M::Filter, changes: V) -> Result<usize>
    where
        C: Connection,
        M: UpdateQuery<C, V>,
    {
        let n = tracking::as_hook(conn, |conn| M::update_filtered(conn, &filter, changes))?;
        let epoch = vec![self.tags().table(TableTag::Epoch)];
        self.invalidate(conn, "update_where", epoch);
        Ok(n)
    }

    /// Invalidates every entry of the model now (after writes made behind
    /// the managers' back: another program, a trigger).
    pub fn invalidate_all(&self) {
        self.bump("invalidate_all", &[self.tags().table(TableTag::Epoch)]);
    }

    /// Invalidates the entries of the row with primary key `id`, and the
    /// lists, now.
    pub fn invalidate_id(&self, id: M::Id) {
        let tags = self.tags();
        let key = M::unique_of_id(id);
        self.bump(
            "invalidate",
            &[tags.table(TableTag::List), tags.unique(&key)],
        );
    }

    fn invalidate_rows<'r, C: Connection>(
        &self,
        conn: &mut C,
        why: &'static str,
        key: &M::Unique,
        rows: impl Iterator<Item = &'r M>,
    ) {
        let tags = self.tags();
        let mut touched = vec![tags.table(TableTag::List), tags.unique(key)];
        for row in rows {
            touched.extend(row.unique_keys().iter().map(|k| tags.unique(k)));
        }
        touched.sort();
        touched.dedup();
        self.invalidate(conn, why, touched);
    }

    /// Invalidates `tags` now, or at the commit of the open transaction.
    fn invalidate<C: Connection>(&self, conn: &mut C, why: &'static str, tags: Vec<String>) {
        let epoch = self.tags().table(TableTag::Epoch);
        match tracking::defer(conn, self.cache(), &tags, &epoch, Tags::<M>::ttl()) {
            Invalidation::Now => self.bump(why, &tags),
            Invalidation::Deferred => {
                tracing::debug!(model = M::INFO.name, why, tags = ?tags, "cache invalidate deferred to commit")
            }
        }
    }

    fn bump(&self, why: &'static str, tags: &[String]) {
        self.count(cache_core::Counter::Invalidation);
        let epoch = self.tags().table(TableTag::Epoch);
        crate::tags::bump(
            self.cache(),
            tags,
            Some(&epoch),
            Tags::<M>::ttl(),
            M::INFO.name,
            why,
        );
    }
}
