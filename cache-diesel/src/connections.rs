//! The connection types generated code is instantiated for, chosen by this
//! crate's features (`sqlite`, `postgres`, `mysql`, the `async-*` ones).
//! The derive emits each connection type's queries under its `__if_*!`
//! macro here, which keeps them where the feature is on and drops them
//! otherwise; the stubs it emits for a model with errors go through
//! `__for_each_connection!`, which calls a local macro once per enabled
//! connection type, with that connection, its backend and how its hooks
//! write: `returning` (one statement with `RETURNING`: SQLite, PostgreSQL)
//! or `mysql` (no `RETURNING`: a short transaction).

/// Calls `$m! { Connection, Backend, writes }` for every enabled connection
/// type (`writes`: `returning` or `mysql`).
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_connection {
    ($m:ident) => {
        $crate::__if_sqlite! { $m! { $crate::__private::diesel::sqlite::SqliteConnection, $crate::__private::diesel::sqlite::Sqlite, returning } }
        $crate::__if_postgres! { $m! { $crate::__private::diesel::pg::PgConnection, $crate::__private::diesel::pg::Pg, returning } }
        $crate::__if_mysql! { $m! { $crate::__private::diesel::mysql::MysqlConnection, $crate::__private::diesel::mysql::Mysql, mysql } }
        $crate::__async_postgres! { $m }
        $crate::__async_mysql! { $m }
        $crate::__if_async_sqlite! { $m! { async $crate::__private::diesel_async::sync_connection_wrapper::SyncConnectionWrapper<$crate::__private::diesel::sqlite::SqliteConnection>, $crate::__private::diesel::sqlite::Sqlite, none, none } }
    };
}

/// `$m! { async AsyncPgConnection, Pg, conditions }`, where `conditions`
/// says whether the backend's filter conditions are generated with it
/// (not when the sync PostgreSQL connection has them).
#[cfg(all(feature = "async-postgres", feature = "postgres-system-libpq"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_postgres {
    ($m:ident) => {
        $m! { async $crate::__private::diesel_async::AsyncPgConnection, $crate::__private::diesel::pg::Pg, none, returning_async }
    };
}

#[cfg(all(feature = "async-postgres", not(feature = "postgres-system-libpq")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_postgres {
    ($m:ident) => {
        $m! { async $crate::__private::diesel_async::AsyncPgConnection, $crate::__private::diesel::pg::Pg, conditions, returning_async }
    };
}

#[cfg(not(feature = "async-postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_postgres {
    ($m:ident) => {};
}

/// `$m! { async AsyncMysqlConnection, Mysql, conditions, mysql_async }`
/// (`conditions` as for [`__async_postgres!`]).
#[cfg(all(feature = "async-mysql", feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_mysql {
    ($m:ident) => {
        $m! { async $crate::__private::diesel_async::AsyncMysqlConnection, $crate::__private::diesel::mysql::Mysql, none, mysql_async }
    };
}

#[cfg(all(feature = "async-mysql", not(feature = "mysql")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_mysql {
    ($m:ident) => {
        $m! { async $crate::__private::diesel_async::AsyncMysqlConnection, $crate::__private::diesel::mysql::Mysql, conditions, mysql_async }
    };
}

#[cfg(not(feature = "async-mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_mysql {
    ($m:ident) => {};
}

/// Its input where the `async` feature is on (generated async lookups).
#[cfg(feature = "async")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "async"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async {
    ($($t:tt)*) => {};
}

#[cfg(feature = "async-postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_postgres {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "async-postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_postgres {
    ($($t:tt)*) => {};
}

#[cfg(feature = "async-sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_sqlite {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "async-sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_sqlite {
    ($($t:tt)*) => {};
}

#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_sqlite {
    ($($t:tt)*) => {};
}

#[cfg(feature = "postgres-system-libpq")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "postgres-system-libpq"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($t:tt)*) => {};
}

#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_mysql {
    ($($t:tt)*) => {};
}

#[cfg(feature = "async-mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_mysql {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "async-mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_mysql {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "async-postgres", not(feature = "postgres-system-libpq")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_postgres_alone {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(all(feature = "async-postgres", not(feature = "postgres-system-libpq"))))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_postgres_alone {
    ($($t:tt)*) => {};
}

#[cfg(all(feature = "async-mysql", not(feature = "mysql")))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_mysql_alone {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(all(feature = "async-mysql", not(feature = "mysql"))))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_async_mysql_alone {
    ($($t:tt)*) => {};
}

/// The backend tables are rendered with to learn their SQL names: any will
/// do (every backend renders a table as its schema and name, quoted), so
/// the first enabled one.
#[cfg(feature = "sqlite")]
type NameBackend = diesel::sqlite::Sqlite;
#[cfg(all(
    any(feature = "postgres-system-libpq", feature = "async-postgres"),
    not(feature = "sqlite")
))]
type NameBackend = diesel::pg::Pg;
#[cfg(all(
    any(feature = "mysql", feature = "async-mysql"),
    not(any(
        feature = "sqlite",
        feature = "postgres-system-libpq",
        feature = "async-postgres"
    ))
))]
type NameBackend = diesel::mysql::Mysql;

/// A table's SQL name, from Diesel's own rendering of it (so
/// `#[sql_name = ".."]` and a schema are applied): the last part, unquoted
/// and lower-cased, as [`crate::sql_tables::analyze`] names the
/// tables a statement writes. Generated code calls it through
/// `__table_sql_name!`, once per table.
#[cfg(any(
    feature = "sqlite",
    feature = "postgres-system-libpq",
    feature = "mysql",
    feature = "async-postgres",
    feature = "async-mysql"
))]
#[doc(hidden)]
pub fn table_sql_name<T>(table: &T) -> String
where
    T: diesel::query_builder::QueryFragment<NameBackend>,
{
    crate::sql_tables::sql_name(&diesel::debug_query::<NameBackend, _>(table).to_string())
}

/// `__table_sql_name!(path::to::table::table)`: the table's SQL name (see
/// `table_sql_name`), or, without a backend feature, one compile error
/// that names the features.
#[cfg(any(
    feature = "sqlite",
    feature = "postgres-system-libpq",
    feature = "mysql",
    feature = "async-postgres",
    feature = "async-mysql"
))]
#[doc(hidden)]
#[macro_export]
macro_rules! __table_sql_name {
    ($table:expr) => {
        $crate::__private::table_sql_name(&$table)
    };
}

#[cfg(not(any(
    feature = "sqlite",
    feature = "postgres-system-libpq",
    feature = "mysql",
    feature = "async-postgres",
    feature = "async-mysql"
)))]
#[doc(hidden)]
#[macro_export]
macro_rules! __table_sql_name {
    ($table:expr) => {
        ::core::compile_error!(
            "cache-diesel is built without a database: enable its `sqlite`, `postgres` or `mysql` feature (or several), e.g. cache-diesel = { version = \"..\", features = [\"postgres\"] }"
        )
    };
}

/// A model whose rows load from backend `DB`. Generated code asserts it
/// for each enabled backend, so a model with a column type the backend
/// cannot read (PostgreSQL's `Jsonb` or arrays on SQLite, say) gets one
/// error that names the feature to turn off, besides Diesel's own.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be loaded from `{DB}`, but cache-diesel generates `{DB}` queries for every model",
    label = "a column type `{DB}` cannot read",
    note = "cache-diesel's `sqlite` feature is on by default: for a PostgreSQL-only build, depend on it with `default-features = false, features = [\"postgres\"]`",
    note = "the errors that follow, in the queries `Cached` generates, are the same cause"
)]
pub trait LoadsFrom<DB> {}

#[diagnostic::do_not_recommend]
impl<T, DB> LoadsFrom<DB> for T
where
    DB: diesel::backend::Backend,
    T: diesel::Selectable<DB>,
    T: diesel::Queryable<diesel::dsl::SqlTypeOf<T::SelectExpression>, DB>,
{
}

/// Asserts [`LoadsFrom`] (called by generated code, never run).
#[doc(hidden)]
pub fn assert_loads_from<T: LoadsFrom<DB>, DB>() {}

/// A connection checked out of an r2d2 pool of `C` connections.
#[cfg(feature = "r2d2")]
pub type Pooled<C> = diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<C>>;

/// `conn` as a `C`, itself or pooled by r2d2 (a `Pooled<C>`): what a read
/// given a generic connection asks the server through (the resyncs, the
/// catalogue's text columns).
#[cfg(all(
    feature = "r2d2",
    any(
        feature = "mysql",
        feature = "postgres-system-libpq",
        feature = "sqlite"
    )
))]
pub(crate) fn as_connection<C>(conn: &mut dyn std::any::Any) -> Option<&mut C>
where
    C: diesel::r2d2::R2D2Connection + Send + 'static,
{
    if conn.is::<Pooled<C>>() {
        return conn.downcast_mut::<Pooled<C>>().map(|pooled| &mut **pooled);
    }
    conn.downcast_mut::<C>()
}

/// `conn` as a `C` (without `r2d2`, nothing is pooled).
#[cfg(all(
    not(feature = "r2d2"),
    any(
        feature = "mysql",
        feature = "postgres-system-libpq",
        feature = "sqlite"
    )
))]
pub(crate) fn as_connection<C: 'static>(conn: &mut dyn std::any::Any) -> Option<&mut C> {
    conn.downcast_mut::<C>()
}
