//! The reads a model runs on a connection type, sync and async (the
//! derive implements them per enabled connection type; a model without
//! relations keeps the defaults of its records' reads).

use super::CachedModel;
use diesel::QueryResult;

/// The reads and deletes a model runs on connection type `C` (generated for
/// each connection type cache-diesel was built with).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no cached queries on `{C}`",
    label = "cache-diesel generated no queries for this connection type",
    note = "cache-diesel generates queries for the connection types of its enabled features: `sqlite` (SqliteConnection), `postgres` (PgConnection), `mysql` (MysqlConnection), and with `r2d2` their pooled connections; turn on the one for `{C}`, e.g. cache-diesel = {{ version = \"..\", features = [\"mysql\"] }} (and `r2d2` for a PooledConnection)"
)]
pub trait ModelQueries<C>: CachedModel {
    /// The row with this unique value, if any.
    fn load_unique(conn: &mut C, key: &Self::Unique) -> QueryResult<Option<Self>>;
    /// The rows matching `filter`, in its order (the primary key ascending
    /// by default), after its keyset and within its limit and offset.
    fn load_list(conn: &mut C, filter: &Self::Filter) -> QueryResult<Vec<Self>>;
    /// The record with this unique value: the row, joined with its
    /// select_related rows, plus one query per prefetched relation.
    /// (The default, for a model without relations: the row itself.)
    fn load_record(conn: &mut C, key: &Self::Unique) -> QueryResult<Option<Self::Record>> {
        Ok(Self::load_unique(conn, key)?.and_then(Self::record_of_row))
    }
    /// The records matching `filter`, as [`load_list`](Self::load_list)
    /// orders and windows them: one joined query, plus one query per
    /// prefetched relation when `prefetch` is true. (The default, for a
    /// model without relations: the rows themselves.)
    fn load_records(
        conn: &mut C,
        filter: &Self::Filter,
        prefetch: bool,
    ) -> QueryResult<Vec<Self::Record>> {
        let _ = prefetch;
        let rows = Self::load_list(conn, filter)?;
        Ok(rows.into_iter().filter_map(Self::record_of_row).collect())
    }
    /// The records of these unique values, in no particular order (those
    /// with no row left out): one query per kind of key asked for (in
    /// chunks of thousands), plus one per prefetched relation.
    fn load_many(conn: &mut C, keys: &[Self::Unique]) -> QueryResult<Vec<Self::Record>>;
    /// How many rows match `filter`'s conditions (its order and window
    /// ignored).
    fn count_list(conn: &mut C, filter: &Self::Filter) -> QueryResult<i64>;
    /// The SQL names of the tables whose rows the records embed: their
    /// writes invalidate this model's entries too (none by default).
    fn related_tables() -> &'static [String] {
        &[]
    }
    /// Deletes the row with this primary key and returns it (`None`: there
    /// was none): one statement (`DELETE .. RETURNING`), or on MySQL a read
    /// `FOR UPDATE` and the delete in a transaction.
    fn delete_by_id(conn: &mut C, id: &Self::Id) -> QueryResult<Option<Self>>;
}

/// The reads of [`ModelQueries`] on an async connection type `C` (a
/// diesel-async connection; generated for each one cache-diesel's features
/// enable: `async-postgres`, `async-mysql`, `async-sqlite`).
#[cfg(feature = "async")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no async cached queries on `{C}`",
    label = "cache-diesel generated no async queries for this connection type",
    note = "cache-diesel generates async queries for `diesel_async::AsyncPgConnection` (feature `async-postgres`), `AsyncMysqlConnection` (feature `async-mysql`) and `SyncConnectionWrapper<SqliteConnection>` (feature `async-sqlite`); a pooled connection is passed as `&mut *pooled`"
)]
pub trait AsyncModelQueries<C>: CachedModel {
    /// [`ModelQueries::load_unique`].
    fn load_unique(
        conn: &mut C,
        key: &Self::Unique,
    ) -> impl std::future::Future<Output = QueryResult<Option<Self>>> + Send;
    /// [`ModelQueries::load_list`].
    fn load_list(
        conn: &mut C,
        filter: &Self::Filter,
    ) -> impl std::future::Future<Output = QueryResult<Vec<Self>>> + Send;
    /// [`ModelQueries::load_record`].
    fn load_record(
        conn: &mut C,
        key: &Self::Unique,
    ) -> impl std::future::Future<Output = QueryResult<Option<Self::Record>>> + Send {
        let row = Self::load_unique(conn, key);
        async move { Ok(row.await?.and_then(Self::record_of_row)) }
    }
    /// [`ModelQueries::load_records`].
    fn load_records(
        conn: &mut C,
        filter: &Self::Filter,
        prefetch: bool,
    ) -> impl std::future::Future<Output = QueryResult<Vec<Self::Record>>> + Send {
        let _ = prefetch;
        let rows = Self::load_list(conn, filter);
        async move {
            Ok(rows
                .await?
                .into_iter()
                .filter_map(Self::record_of_row)
                .collect())
        }
    }
    /// [`ModelQueries::load_many`].
    fn load_many(
        conn: &mut C,
        keys: &[Self::Unique],
    ) -> impl std::future::Future<Output = QueryResult<Vec<Self::Record>>> + Send;
    /// [`ModelQueries::count_list`].
    fn count_list(
        conn: &mut C,
        filter: &Self::Filter,
    ) -> impl std::future::Future<Output = QueryResult<i64>> + Send;
    /// [`ModelQueries::related_tables`].
    fn related_tables() -> &'static [String] {
        &[]
    }
}
