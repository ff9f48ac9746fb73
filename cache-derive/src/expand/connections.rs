//! The queries and hook writes of each connection type, written once as a
//! template ([`substitute`]) and filled in for each, under the cache-diesel
//! macro that keeps them where the connection's feature is on.

use super::flavor::Flavor;
use super::mysql::mysql_writes;
use super::returning::returning_writes;
use super::subst::substitute;
use super::unique_update::update_with_unique_impls;
use super::update::update_impl;
use super::{Names, names};
use crate::ast::Model;
use crate::{order, relations};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(super) fn per_connection_impls(m: &Model) -> TokenStream {
    let Names { filter, unique, .. } = names(m);
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk_ty = m.pk_key().ty();
    let select = quote!(<Self as #dsl::SelectableHelper<$db>>::as_select());
    let loads = m.unique_keys().into_iter().map(|k| {
        let (v, condition) = (k.variant(), k.eq(table, quote!(value)));
        quote! {
            #unique::#v(value) => ::cache_diesel::__private::$pre::RunQueryDsl::first::<Self>(
                #table::table.filter(#condition).select(#select),
                conn,
            ) $($aw)*
                .optional()
        }
    });
    let loads: Vec<TokenStream> = loads.collect();
    let conditions = m.filter_fields().map(|f| {
        let (name, col) = (&f.ident, &f.column);
        quote! {
            if let ::core::option::Option::Some(op) = &self.#name {
                condition = match op {
                    ::cache_diesel::FilterOp::Eq(value) => ::std::boxed::Box::new(
                        condition.and(#table::#col.eq(::core::clone::Clone::clone(value)))),
                    ::cache_diesel::FilterOp::In(values) => ::std::boxed::Box::new(
                        condition.and(#table::#col.eq_any(::core::clone::Clone::clone(values)))),
                };
            }
        }
    });
    let (record_loaders, where_impls) = relations::loaders(m, &unique, &filter);
    let (where_sync, where_async) = (&where_impls.sync, &where_impls.asynchronous);
    let conditions: Vec<TokenStream> = conditions.collect();
    let mut sources = vec![quote!(#table::table)];
    if !m.joined.is_empty() {
        sources.push(relations::joined_source(m));
    }
    // A count counts what `all` lists: the rows the joins keep.
    let (count_joins, count_source) = (relations::joins(m), relations::joined_source(m));
    let condition_impls = sources.iter().map(|qs| {
        let boxed = quote!(::cache_diesel::__private::BoxedCondition<#qs, $db>);
        let keyset = order::keyset_fn(m, &boxed);
        quote! {
            impl ::cache_diesel::__private::FilterCondition<#qs, $db> for #filter {
                #[inline]
                fn condition(&self) -> #boxed {
                    #[allow(unused_imports)]
                    use #dsl::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: #boxed =
                        ::std::boxed::Box::new(#dsl::dsl::sql::<#dsl::sql_types::Bool>("1 = 1"));
                    #(#conditions)*
                    condition
                }
                #keyset
            }
        }
    });
    let window = order::order_and_window(m, &quote!(#table::table));
    // A model with a composite key and without `unique(..)` updates the
    // same way everywhere (without the old row: its writes invalidate every
    // list with conditions); the others read the old row with the update.
    let composite_only = m.unique.is_empty() && m.pk_key().fields.len() > 1;
    let (update_generic, update_generic_async, update_per_backend) = if composite_only {
        (
            update_impl(m, quote!($conn), quote!($db), &Flavor::sync()),
            update_impl(m, quote!($conn), quote!($db), &Flavor::for_async()),
            TokenStream::new(),
        )
    } else {
        (
            TokenStream::new(),
            TokenStream::new(),
            update_with_unique_impls(m),
        )
    };
    let writes = returning_writes(m, &Flavor::sync());
    let writes_async = returning_writes(m, &Flavor::for_async());
    let (mysql_writes, mysql_writes_async) = (
        mysql_writes(m, &Flavor::sync()),
        mysql_writes(m, &Flavor::for_async()),
    );
    let writes_of = |kind: Writes| match kind {
        Writes::Returning => quote!(#writes #update_generic #where_sync),
        Writes::Mysql => quote!(#mysql_writes #where_sync),
        Writes::ReturningAsync => quote!(#writes_async #update_generic_async #where_async),
        Writes::MysqlAsync => quote!(#mysql_writes_async #where_async),
        Writes::None => quote!(#where_async),
    };
    let conditions = quote!(#(#condition_impls)*);
    let delete_fn = quote! {
        #[inline]
        fn delete_by_id(conn: &mut $conn, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<Self>> {
            <Self as __CacheDieselDelete<$conn>>::delete(conn, id)
        }
    };
    // The reads on a connection type: `ModelQueries` (sync) or
    // `AsyncModelQueries` (diesel-async), from one body.
    let reads = |delete: bool| {
        let delete = delete.then_some(&delete_fn);
        quote! {
            const _: fn() = ::cache_diesel::__private::assert_loads_from::<#model, $db>;

            impl ::cache_diesel::$tr<$conn> for #model {
                #[inline]
                $($asy)* fn load_unique(conn: &mut $conn, key: &#unique) -> #dsl::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::$pre::*;
                    match key { #(#loads,)* }
                }
                #[inline]
                $($asy)* fn load_list(conn: &mut $conn, filter: &#filter) -> #dsl::QueryResult<::std::vec::Vec<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::$pre::*;
                    let mut query = #table::table
                        .filter(::cache_diesel::__private::FilterCondition::<#table::table, $db>::condition(filter))
                        .select(#select)
                        .into_boxed::<$db>();
                    #window
                    ::cache_diesel::__private::$pre::RunQueryDsl::load::<Self>(query, conn) $($aw)*
                }
                #[inline]
                $($asy)* fn count_list(conn: &mut $conn, filter: &#filter) -> #dsl::QueryResult<i64> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::$pre::*;
                    ::cache_diesel::__private::$pre::RunQueryDsl::get_result::<i64>(
                        #table::table #count_joins
                            .filter(::cache_diesel::__private::FilterCondition::<#count_source, $db>::condition(filter))
                            .count(),
                        conn,
                    ) $($aw)*
                }
                #delete
                #record_loaders
            }
        }
    };
    let each = Connection::ALL.iter().map(|c| {
        let sync = c.writes.is_sync();
        // Sync connections delete by id through the local `__CacheDieselDelete`
        // trait, in the reads' impl.
        let mut body = reads(c.writes.is_sync());
        body.extend(writes_of(c.writes));
        if c.conditions {
            body.extend(conditions.clone());
        }
        let (conn, db) = (c.conn(), c.db());
        let (tr, pre, asy, aw) = if sync {
            (
                quote!(ModelQueries),
                quote!(prelude),
                TokenStream::new(),
                TokenStream::new(),
            )
        } else {
            (
                quote!(AsyncModelQueries),
                quote!(async_prelude),
                quote!(async),
                quote!(.await),
            )
        };
        let body = substitute(
            &body,
            &[
                ("conn", &conn),
                ("db", &db),
                ("tr", &tr),
                ("pre", &pre),
                ("asy", &asy),
                ("aw", &aw),
            ],
        );
        let guard = format_ident!("{}", c.guard);
        let own_conditions = c.conditions_alone.map(|alone| {
            let alone = format_ident!("{}", alone);
            let conditions = substitute(&conditions, &[("db", &db)]);
            quote!(::cache_diesel::#alone! { #conditions })
        });
        quote! {
            ::cache_diesel::#guard! { #body }
            #own_conditions
        }
    });
    quote! {
        #update_per_backend
        /// How a model's row is deleted on a connection type (the
        /// `returning` or `mysql` writes).
        trait __CacheDieselDelete<__C> {
            fn delete(conn: &mut __C, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<#model>>;
        }
        #(#each)*
    }
}

/// The hook writes a connection type gets.
#[derive(Clone, Copy)]
enum Writes {
    /// `RETURNING` (SQLite, PostgreSQL), sync.
    Returning,
    /// A short transaction (MySQL), sync.
    Mysql,
    ReturningAsync,
    MysqlAsync,
    /// None (diesel-async's SQLite wrapper: reads only).
    None,
}

impl Writes {
    fn is_sync(self) -> bool {
        matches!(self, Writes::Returning | Writes::Mysql)
    }
}

/// A connection type the expansion covers, under the cache-diesel macro
/// that keeps its code where its feature is on.
struct Connection {
    guard: &'static str,
    conn: &'static str,
    db: &'static str,
    writes: Writes,
    /// Whether the backend's filter conditions come with this connection.
    conditions: bool,
    /// Or under this macro (an async connection whose backend's sync
    /// connection may be off).
    conditions_alone: Option<&'static str>,
}

impl Connection {
    const ALL: [Connection; 6] = [
        Connection {
            guard: "__if_sqlite",
            conn: "diesel::sqlite::SqliteConnection",
            db: "diesel::sqlite::Sqlite",
            writes: Writes::Returning,
            conditions: true,
            conditions_alone: None,
        },
        Connection {
            guard: "__if_postgres",
            conn: "diesel::pg::PgConnection",
            db: "diesel::pg::Pg",
            writes: Writes::Returning,
            conditions: true,
            conditions_alone: None,
        },
        Connection {
            guard: "__if_mysql",
            conn: "diesel::mysql::MysqlConnection",
            db: "diesel::mysql::Mysql",
            writes: Writes::Mysql,
            conditions: true,
            conditions_alone: None,
        },
        Connection {
            guard: "__if_async_postgres",
            conn: "diesel_async::AsyncPgConnection",
            db: "diesel::pg::Pg",
            writes: Writes::ReturningAsync,
            conditions: false,
            conditions_alone: Some("__if_async_postgres_alone"),
        },
        Connection {
            guard: "__if_async_mysql",
            conn: "diesel_async::AsyncMysqlConnection",
            db: "diesel::mysql::Mysql",
            writes: Writes::MysqlAsync,
            conditions: false,
            conditions_alone: Some("__if_async_mysql_alone"),
        },
        Connection {
            guard: "__if_async_sqlite",
            conn: "diesel_async::sync_connection_wrapper::SyncConnectionWrapper<::cache_diesel::__private::diesel::sqlite::SqliteConnection>",
            db: "diesel::sqlite::Sqlite",
            writes: Writes::None,
            conditions: false,
            conditions_alone: None,
        },
    ];

    fn conn(&self) -> TokenStream {
        private_path(self.conn)
    }

    fn db(&self) -> TokenStream {
        private_path(self.db)
    }
}

/// `::cache_diesel::__private::{path}`.
fn private_path(path: &str) -> TokenStream {
    let path: TokenStream = path.parse().expect("a path");
    quote!(::cache_diesel::__private::#path)
}
