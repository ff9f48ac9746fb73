//! The update hooks every backend shares (`UpdateQuery::update` of a model
//! whose only unique column is its primary key, `update_filtered`), and
//! `InsertQuery::insert_execute`.

use super::flavor::Flavor;
use super::{Names, names};
use crate::ast::Model;
use proc_macro2::TokenStream;
use quote::quote;

/// `UpdateQuery` on connection `conn` (backend `db`) for a model whose
/// only unique column is its primary key: one `UPDATE .. RETURNING`; the
/// old unique value is the id it was given.
pub(super) fn update_impl(
    m: &Model,
    conn: TokenStream,
    db: TokenStream,
    f: &Flavor,
) -> TokenStream {
    let Names { unique, .. } = names(m);
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_key();
    let (pk_ty, pk_variant, pk_eq) = (pk.ty(), pk.variant(), pk.eq(table, quote!(id)));
    let by_id = update_by_id_bound(m, &db);
    let filtered = update_filtered(m, &conn, &db, f);
    let select = quote!(<Self as #dsl::SelectableHelper<#db>>::as_returning());
    let Flavor {
        aw,
        run,
        load_query,
        execute_dsl,
        update,
        values,
        trait_lt,
        ..
    } = f;
    let update_by_id = f.hook_fn(
        quote!(update_by_id),
        &conn,
        |r| quote!(id: #r #pk_ty, changes: __V),
        &["id"],
        quote!(::core::option::Option<::cache_diesel::__private::Updated<Self>>),
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            let row = #run::get_result::<Self>(
                #dsl::update(#table::table.filter(#pk_eq)).set(changes).returning(#select),
                conn,
            ) #aw
            .optional()?;
            ::core::result::Result::Ok(row.map(|row| ::cache_diesel::__private::Updated {
                row,
                before: ::std::vec![#unique::#pk_variant(::core::clone::Clone::clone(id))],
                old_values: ::core::option::Option::None,
            }))
        },
    );
    quote! {
        impl<'__q, __V> #update<#trait_lt #conn, __V> for #model
        where
            #values
            __V: #dsl::AsChangeset<Target = #table::table>,
            #by_id: #load_query<'__q, #conn, Self>,
            #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, ::cache_diesel::__private::BoxedCondition<#table::table, #db>>, __V>:
                #execute_dsl<#conn>,
        {
            #update_by_id
            #filtered
        }
    }
}

/// The type of `update(table.filter(pk.eq(id))).set(changes).returning(model)`.
pub(super) fn update_by_id_bound(m: &Model, db: &TokenStream) -> TokenStream {
    let table = m.table();
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk_eq_type = m.pk_key().eq_type(table);
    quote! {
        #dsl::dsl::Returning<
            #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, #pk_eq_type>, __V>,
            #dsl::dsl::AsSelect<Self, #db>,
        >
    }
}

/// `InsertQuery::insert_execute`: the same for every model and backend.
pub(super) fn insert_execute_fn(m: &Model, f: &Flavor) -> TokenStream {
    let table = m.table();
    let dsl = quote!(::cache_diesel::__private::diesel);
    let Flavor { aw, run, .. } = f;
    f.hook_fn(
        quote!(insert_execute),
        &quote!($conn),
        |_| quote!(values: __V),
        &[],
        quote!(usize),
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            #run::execute(#dsl::insert_into(#table::table).values(values), conn) #aw
        },
    )
}

/// `UpdateQuery::update_filtered`: the same for every model and backend.
pub(super) fn update_filtered(
    m: &Model,
    conn: &TokenStream,
    db: &TokenStream,
    f: &Flavor,
) -> TokenStream {
    let Names { filter, .. } = names(m);
    let table = m.table();
    let dsl = quote!(::cache_diesel::__private::diesel);
    let Flavor { aw, run, .. } = f;
    f.hook_fn(
        quote!(update_filtered),
        conn,
        |r| quote!(filter: #r #filter, changes: __V),
        &["filter"],
        quote!(::cache_diesel::__private::UpdatedRows<Self>),
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            let condition = ::cache_diesel::__private::FilterCondition::<#table::table, #db>::condition(filter);
            let n = #run::execute(#dsl::update(#table::table.filter(condition)).set(changes), conn) #aw ?;
            ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
        },
    )
}
