//! The queries written once in a local macro that
//! `cache_diesel::__for_each_connection!` instantiates for each enabled
//! connection type.

use super::flavor::Flavor;
use super::mysql::mysql_writes;
use super::returning::returning_writes;
use super::unique_update::update_with_unique_impls;
use super::update::update_impl;
use super::{Names, names};
use crate::ast::Model;
use crate::{order, relations};
use proc_macro2::TokenStream;
use quote::quote;

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
    let (record_loaders, where_impl) = relations::loaders(m, &unique, &filter);
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
    quote! {
        #update_per_backend
        macro_rules! __cache_diesel_writes {
            (returning, $conn:ty, $db:ty) => {
                #writes
                #update_generic
                #where_impl
            };
            (mysql, $conn:ty, $db:ty) => {
                #mysql_writes
                #where_impl
            };
            (returning_async, $conn:ty, $db:ty) => {
                #writes_async
                #update_generic_async
            };
            (mysql_async, $conn:ty, $db:ty) => {
                #mysql_writes_async
            };
            (none, $conn:ty, $db:ty) => {};
        }
        /// The filter conditions, once per backend (`none`: a sync
        /// connection of the same backend has them).
        macro_rules! __cache_diesel_conditions {
            (conditions, $db:ty) => { #(#condition_impls)* };
            (none, $db:ty) => {};
        }
        macro_rules! __cache_diesel_delete_fn {
            (none, $conn:ty) => {};
            (returning_async, $conn:ty) => {};
            (mysql_async, $conn:ty) => {};
            ($writes:ident, $conn:ty) => {
                fn delete_by_id(conn: &mut $conn, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<Self>> {
                    <Self as __CacheDieselDelete<$conn>>::delete(conn, id)
                }
            };
        }
        /// The reads on a connection type: `ModelQueries` (sync) or
        /// `AsyncModelQueries` (diesel-async), from one body.
        macro_rules! __cache_diesel_queries {
            ($conn:ty, $db:ty, $writes:ident) => {
                __cache_diesel_queries! { @ ModelQueries, prelude, [], [], conditions, $conn, $db, $writes }
            };
            (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
                __cache_diesel_queries! { @ AsyncModelQueries, async_prelude, [async], [.await], $conditions, $conn, $db, $writes }
            };
            (@ $tr:ident, $pre:ident, [$($asy:tt)*], [$($aw:tt)*], $conditions:ident, $conn:ty, $db:ty, $writes:ident) => {
                const _: fn() = ::cache_diesel::__private::assert_loads_from::<#model, $db>;
                __cache_diesel_conditions! { $conditions, $db }

                impl ::cache_diesel::$tr<$conn> for #model {
                    $($asy)* fn load_unique(conn: &mut $conn, key: &#unique) -> #dsl::QueryResult<::core::option::Option<Self>> {
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::$pre::*;
                        match key { #(#loads,)* }
                    }
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
                    __cache_diesel_delete_fn! { $writes, $conn }
                    #record_loaders
                }

                __cache_diesel_writes! { $writes, $conn, $db }
            };
        }
        /// How a model's row is deleted on a connection type (the
        /// `returning` or `mysql` arm of `__cache_diesel_writes`).
        trait __CacheDieselDelete<__C> {
            fn delete(conn: &mut __C, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<#model>>;
        }
        ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
    }
}
