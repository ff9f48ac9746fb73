//! The connection types generated code is instantiated for, chosen by this
//! crate's features (`sqlite`, `postgres`). The derive emits one local macro
//! with the model's queries; [`__for_each_connection!`] calls it once per
//! enabled connection type, with that connection and its backend.

/// Calls `$m! { Connection, Backend }` for every enabled connection type.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_connection {
    ($m:ident) => {
        $crate::__if_sqlite! { $m! { $crate::__private::diesel::sqlite::SqliteConnection, $crate::__private::diesel::sqlite::Sqlite } }
        $crate::__if_postgres! { $m! { $crate::__private::diesel::pg::PgConnection, $crate::__private::diesel::pg::Pg } }
    };
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

#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($t:tt)*) => { $($t)* };
}

#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_postgres {
    ($($t:tt)*) => {};
}
