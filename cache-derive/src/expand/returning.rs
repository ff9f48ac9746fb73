//! The hook writes of a backend with `RETURNING` (SQLite, PostgreSQL): one
//! statement each.

use super::flavor::Flavor;
use super::update::insert_execute_fn;
use crate::ast::Model;
use proc_macro2::TokenStream;
use quote::quote;

/// The hook writes of a backend with `RETURNING` (`$conn`, `$db` are the
/// per-connection macro's): one statement each.
pub(super) fn returning_writes(m: &Model, f: &Flavor) -> TokenStream {
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_key();
    let (pk_ty, by_id) = (pk.ty(), pk.eq(table, quote!(id)));
    let select = quote!(<#model as #dsl::SelectableHelper<$db>>::as_select());
    let insert_execute = insert_execute_fn(m, f);
    let insert_returning = f.hook_fn(
        quote!(insert_returning),
        &quote!($conn),
        |_| quote!(values: __V),
        &[],
        quote!(::std::vec::Vec<Self>),
        {
            let (run, aw) = (&f.run, &f.aw);
            quote! {
                #[allow(unused_imports)]
                use #dsl::prelude::*;
                #run::get_results::<Self>(#dsl::insert_into(#table::table).values(values).returning(#select), conn) #aw
            }
        },
    );
    let Flavor {
        aw,
        run,
        load_query,
        execute_dsl,
        insert,
        values,
        trait_lt,
        ..
    } = f;
    let delete_body = quote! {
        #[allow(unused_imports)]
        use #dsl::prelude::*;
        #run::get_result::<Self>(#dsl::delete(#table::table.filter(#by_id)).returning(#select), conn) #aw
            .optional()
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
    quote! {
        #delete

        impl<'__q, __V> #insert<#trait_lt $conn, __V> for #model
        where
            #values
            __V: #dsl::Insertable<#table::table>,
            #dsl::dsl::Returning<
                #dsl::query_builder::InsertStatement<#table::table, <__V as #dsl::Insertable<#table::table>>::Values>,
                #dsl::dsl::AsSelect<Self, $db>,
            >: #load_query<'__q, $conn, Self>,
            #dsl::query_builder::InsertStatement<#table::table, <__V as #dsl::Insertable<#table::table>>::Values>:
                #execute_dsl<$conn>,
        {
            #insert_returning
            #insert_execute
        }
    }
}
