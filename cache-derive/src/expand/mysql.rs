//! The hook writes on MySQL, which has no `RETURNING`: a short transaction
//! each.

use super::flavor::Flavor;
use super::update::{insert_execute_fn, update_filtered};
use crate::ast::Model;
use proc_macro2::TokenStream;
use quote::quote;

/// The hook writes on MySQL, which has no `RETURNING` (`$conn`, `$db` are
/// the per-connection macro's): each in a short transaction, or under a
/// savepoint inside an open one ([`Flavor::mysql_atomic`]). A delete and an
/// update read the row `FOR UPDATE` first; an insert reads its rows back by
/// `LAST_INSERT_ID()` (see cache-diesel's `backends/mysql/writes.rs`). The same statements
/// on `MysqlConnection` and on diesel-async's `AsyncMysqlConnection`.
pub(super) fn mysql_writes(m: &Model, f: &Flavor) -> TokenStream {
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_key();
    let (pk_ty, pk_eq, pk_eq_type) = (pk.ty(), pk.eq(table, quote!(id)), pk.eq_type(table));
    let first_pk_col = &pk.fields[0].column;
    let pk_order = pk.ascending(table);
    let select = quote!(<#model as #dsl::SelectableHelper<$db>>::as_select());
    let by_id = quote!(#table::table.filter(#pk_eq));
    let Flavor {
        aw,
        run,
        execute_dsl,
        insert,
        update,
        values,
        trait_lt,
        ..
    } = f;
    let locked = quote! {
        #run::first::<#model>(#by_id.select(#select).for_update(), conn) #aw .optional()?
    };
    let filtered = update_filtered(m, &quote!($conn), &quote!($db), f);
    let name = m.ident.to_string();
    let insert_execute = insert_execute_fn(m, f);
    let reset_insert_id = match f.is_async {
        false => quote!(::cache_diesel::__private::mysql_reset_insert_id),
        true => quote!(::cache_diesel::__private::mysql_reset_insert_id_async),
    };
    // Rows read back by LAST_INSERT_ID(): only when the key is the
    // table's AUTO_INCREMENT column (never a composite key).
    let insert_body = if pk.fields.len() > 1 {
        quote! {
            let _ = (conn, values);
            ::core::result::Result::Err(::cache_diesel::__private::mysql_not_returnable(#name))
        }
    } else {
        let atomic = f.mysql_atomic(quote! {
            if !#reset_insert_id(conn, table, key) #aw ? {
                return ::core::result::Result::Err(::cache_diesel::__private::mysql_not_returnable(#name));
            }
            let n = #run::execute(#dsl::insert_into(#table::table).values(values), conn) #aw ?;
            if n == 0 {
                return ::core::result::Result::Ok(::std::vec::Vec::new());
            }
            let found = #run::load::<Self>(
                #table::table
                    .filter(::cache_diesel::__private::mysql_inserted_ids(key, n))
                    .order(#pk_order)
                    .select(#select),
                conn,
            ) #aw ?;
            ::cache_diesel::__private::mysql_inserted(#name, n, found)
        });
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            let table = <Self as ::cache_diesel::CachedModel>::table();
            let key = <#table::#first_pk_col as #dsl::Column>::NAME;
            #atomic
        }
    };
    let insert_returning = f.hook_fn(
        quote!(insert_returning),
        &quote!($conn),
        |_| quote!(values: __V),
        &[],
        quote!(::std::vec::Vec<Self>),
        insert_body,
    );
    let delete_atomic = f.mysql_atomic(quote! {
        let ::core::option::Option::Some(old) = #locked else {
            return ::core::result::Result::Ok(::core::option::Option::None);
        };
        #run::execute(#dsl::delete(#by_id), conn) #aw ?;
        ::core::result::Result::Ok(::core::option::Option::Some(old))
    });
    let delete_body = quote! {
        #[allow(unused_imports)]
        use #dsl::prelude::*;
        #delete_atomic
    };
    let delete = if !f.is_async {
        quote! {
            impl __CacheDieselDelete<$conn> for #model {
                #[inline]
                fn delete(conn: &mut $conn, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<Self>> {
                    #delete_body
                }
            }
        }
    } else {
        quote! {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for #model {
                async fn delete_by_id(conn: &mut $conn, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<Self>> {
                    #delete_body
                }
            }
        }
    };
    let update_atomic = f.mysql_atomic(quote! {
        let ::core::option::Option::Some(old) = #locked else {
            return ::core::result::Result::Ok(::core::option::Option::None);
        };
        #run::execute(#dsl::update(#by_id).set(changes), conn) #aw ?;
        // An update that changed the primary key is not found
        // again: an error, which rolls it back.
        let row = #run::first::<Self>(#by_id.select(#select), conn) #aw .optional()?
            .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(#name))?;
        ::core::result::Result::Ok(::core::option::Option::Some(::cache_diesel::__private::Updated {
            row,
            before: ::cache_diesel::CachedModel::unique_keys(&old),
            old_values: ::core::option::Option::Some(::cache_diesel::CachedModel::column_values(&old)),
        }))
    });
    let update_by_id = f.hook_fn(
        quote!(update_by_id),
        &quote!($conn),
        |r| quote!(id: #r #pk_ty, changes: __V),
        &["id"],
        quote!(::core::option::Option<::cache_diesel::__private::Updated<Self>>),
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            #update_atomic
        },
    );
    quote! {
        #delete

        impl<#trait_lt __V> #insert<#trait_lt $conn, __V> for #model
        where
            #values
            __V: #dsl::Insertable<#table::table>,
            #dsl::query_builder::InsertStatement<#table::table, <__V as #dsl::Insertable<#table::table>>::Values>:
                #execute_dsl<$conn>,
        {
            #insert_returning
            #insert_execute
        }

        impl<#trait_lt __V> #update<#trait_lt $conn, __V> for #model
        where
            #values
            __V: #dsl::AsChangeset<Target = #table::table>,
            #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, #pk_eq_type>, __V>:
                #execute_dsl<$conn>,
            #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, ::cache_diesel::__private::BoxedCondition<#table::table, $db>>, __V>:
                #execute_dsl<$conn>,
        {
            #update_by_id
            #filtered
        }
    }
}
