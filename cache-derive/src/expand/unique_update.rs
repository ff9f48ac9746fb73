//! The update of a model with `unique(..)` columns, which must return the
//! old unique values too: per connection type, on PostgreSQL one statement
//! ([`PgOlds`]), on SQLite the row read first.

use super::flavor::Flavor;
use super::update::{update_by_id_bound, update_filtered};
use super::{Names, names, variant};
use crate::ast::{Field, Model};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `UpdateQuery` for a model with `unique(..)` columns, whose old values
/// the update must return too: on PostgreSQL in the same statement
/// (`cache_diesel::__private::update_returning_old`), on SQLite by reading
/// the row first, in a transaction unless one is open.
pub(super) fn update_with_unique_impls(m: &Model) -> TokenStream {
    let Names { unique, .. } = names(m);
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_field();
    let (pk_ty, pk_col, pk_variant) = (&pk.ty, &pk.column, variant(pk));

    let (sqlite_conn, sqlite_db) = (
        quote!(#dsl::sqlite::SqliteConnection),
        quote!(#dsl::sqlite::Sqlite),
    );
    let sqlite_bound = update_by_id_bound(m, &sqlite_db);
    let sqlite_filtered = update_filtered(m, &sqlite_conn, &sqlite_db, &Flavor::sync());
    let sqlite_select = quote!(<Self as #dsl::SelectableHelper<#sqlite_db>>::as_returning());

    let pg_sync = pg_update_with_unique(m, &quote!(#dsl::pg::PgConnection), &Flavor::sync());
    let pg_async = pg_update_with_unique(
        m,
        &quote!(::cache_diesel::__private::diesel_async::AsyncPgConnection),
        &Flavor::for_async(),
    );
    quote! {
        ::cache_diesel::__if_sqlite! {
            impl<'__q, __V> ::cache_diesel::UpdateQuery<#sqlite_conn, __V> for #model
            where
                __V: #dsl::AsChangeset<Target = #table::table>,
                #sqlite_bound: #dsl::query_dsl::LoadQuery<'__q, #sqlite_conn, Self>,
                #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, ::cache_diesel::__private::BoxedCondition<#table::table, #sqlite_db>>, __V>:
                    #dsl::query_dsl::methods::ExecuteDsl<#sqlite_conn>,
            {
                fn update_by_id(conn: &mut #sqlite_conn, id: &#pk_ty, changes: __V)
                    -> #dsl::QueryResult<::core::option::Option<::cache_diesel::__private::Updated<Self>>>
                {
                    #[allow(unused_imports)]
                    use #dsl::prelude::*;
                    ::cache_diesel::__private::sqlite_atomic(conn, |conn| {
                        let key = #unique::#pk_variant(::core::clone::Clone::clone(id));
                        let ::core::option::Option::Some(old) =
                            <Self as ::cache_diesel::ModelQueries<#sqlite_conn>>::load_unique(conn, &key)?
                        else {
                            return ::core::result::Result::Ok(::core::option::Option::None);
                        };
                        let row = #dsl::RunQueryDsl::get_result::<Self>(
                            #dsl::update(#table::table.filter(#table::#pk_col.eq(::core::clone::Clone::clone(id))))
                                .set(changes)
                                .returning(#sqlite_select),
                            conn,
                        )
                        .optional()?;
                        ::core::result::Result::Ok(row.map(|row| ::cache_diesel::__private::Updated {
                            row,
                            before: ::cache_diesel::CachedModel::unique_keys(&old),
                            old_values: ::core::option::Option::Some(::cache_diesel::CachedModel::column_values(&old)),
                        }))
                    })
                }
                #sqlite_filtered
            }
        }
        ::cache_diesel::__if_postgres! { #pg_sync }
        ::cache_diesel::__if_async_postgres! { #pg_async }
    }
}

/// `UpdateQuery` (or `AsyncUpdateQuery`) on PostgreSQL connection `conn`
/// for a model with `unique(..)` columns: one statement returns the row
/// and the old unique values (`cache_diesel::__private::update_returning_old`).
pub(super) fn pg_update_with_unique(m: &Model, pg_conn: &TokenStream, f: &Flavor) -> TokenStream {
    let (model, table) = (&m.ident, m.table());
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_field();
    let (pk_ty, pk_col) = (&pk.ty, &pk.column);
    // Every column's old value: the value tags of the lists that held the
    // row (and, among them, the old unique values).
    // (The primary key's old value is the id given; the statement's
    // subquery selects it once, first.)
    let olds = PgOlds::of(m);
    let pg_db = quote!(#dsl::pg::Pg);
    let pg_filtered = pg_update_filtered(m, pg_conn, f, &olds);
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
    let (old_cols, old_tys, old_vars) = (&olds.cols, &olds.tys, &olds.vars);
    let updated = olds.updated(m, quote!(id));
    let pg_statement = quote! {
        ::cache_diesel::__private::UpdateReturningOld<
            #table::table,
            #table::#pk_col,
            #dsl::dsl::Eq<#table::#pk_col, #pk_ty>,
            <__V as #dsl::AsChangeset>::Changeset,
            #dsl::dsl::AsSelect<Self, #pg_db>,
            (#(#table::#old_cols,)*),
        >
    };
    let update_by_id = f.hook_fn(
        quote!(update_by_id),
        pg_conn,
        |r| quote!(id: #r #pk_ty, changes: __V),
        &["id"],
        quote!(::core::option::Option<::cache_diesel::__private::Updated<Self>>),
        quote! {
        #[allow(unused_imports)]
        use #dsl::prelude::*;
        const OLD_NAMES: &[&str] = &[#(<#table::#old_cols as #dsl::Column>::NAME),*];
        let statement: #pg_statement = ::cache_diesel::__private::update_returning_old(
            #table::table,
            #table::#pk_col,
            #table::#pk_col.eq(::core::clone::Clone::clone(id)),
            changes,
            <Self as #dsl::SelectableHelper<#pg_db>>::as_returning(),
            (#(#table::#old_cols,)*),
            OLD_NAMES,
        );
        let loaded = #run::get_result::<(Self, (#(#old_tys,)*))>(statement, conn) #aw .optional()?;
        ::core::result::Result::Ok(loaded.map(|(row, (#(#old_vars,)*))| #updated))
            },
    );
    let pg_where_statement = pg_where_statement(m);
    quote! {
            impl<'__q, __V> #update<#trait_lt #pg_conn, __V> for #model
            where
                #values
                __V: #dsl::AsChangeset<Target = #table::table>,
                #pg_statement: #load_query<'__q, #pg_conn, (Self, (#(#old_tys,)*))>,
                #pg_where_statement: #load_query<'__q, #pg_conn, (Self, (#pk_ty, #(#old_tys,)*))>,
                #dsl::dsl::Update<#dsl::dsl::Filter<#table::table, ::cache_diesel::__private::BoxedCondition<#table::table, #pg_db>>, __V>:
                    #execute_dsl<#pg_conn>,
            {
                #update_by_id
                #pg_filtered
            }
    }
}

/// The columns of a PostgreSQL update whose old values its statement
/// returns (every column but the primary key), and how generated code
/// names them.
pub(super) struct PgOlds<'m> {
    cols: Vec<&'m syn::Ident>,
    tys: Vec<&'m syn::Type>,
    /// The variables a returned tuple's old values are bound to.
    vars: Vec<syn::Ident>,
}

impl<'m> PgOlds<'m> {
    pub(super) fn of(m: &'m Model) -> Self {
        let pk = m.pk_field();
        let olds: Vec<&Field> = m.fields.iter().filter(|f| f.column != pk.column).collect();
        PgOlds {
            cols: olds.iter().map(|f| &f.column).collect(),
            tys: olds.iter().map(|f| &f.ty).collect(),
            vars: (0..olds.len())
                .map(|i| format_ident!("__old{}", i))
                .collect(),
        }
    }

    /// The `Updated` of `row` given the old primary key `old_pk` (an
    /// expression of a reference to it) and the bound old values.
    pub(super) fn updated(&self, m: &Model, old_pk: TokenStream) -> TokenStream {
        let Names { unique, .. } = names(m);
        let pk = m.pk_field();
        let (pk_col, pk_variant) = (&pk.column, variant(pk));
        let old_uniques = m.unique.iter().map(|&i| {
            let field = &m.fields[i];
            let at = self.cols.iter().position(|c| **c == field.column);
            let var = &self.vars[at.expect("a unique column is not the primary key")];
            let v = variant(field);
            quote!(#unique::#v(::core::clone::Clone::clone(&#var)))
        });
        let cols: Vec<_> = self.cols.iter().map(|c| m.column_name(c)).collect();
        let pk_col = m.column_name(pk_col);
        let vars = &self.vars;
        quote! {
            ::cache_diesel::__private::Updated {
                row,
                before: ::std::vec![
                    #unique::#pk_variant(::core::clone::Clone::clone(#old_pk)),
                    #(#old_uniques,)*
                ],
                old_values: ::core::option::Option::Some(::std::vec![
                    (#pk_col, ::cache_diesel::__private::value_key(#old_pk)),
                    #((#cols, ::cache_diesel::__private::value_key(&#vars)),)*
                ]),
            }
        }
    }
}

/// The type of PostgreSQL's bulk update that returns each row with its old
/// key and values (`cache_diesel::__private::update_where_returning_old`).
pub(super) fn pg_where_statement(m: &Model) -> TokenStream {
    let table = m.table();
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_field();
    let pk_col = &pk.column;
    let olds = PgOlds::of(m);
    let old_cols = &olds.cols;
    let pg_db = quote!(#dsl::pg::Pg);
    quote! {
        ::cache_diesel::__private::UpdateReturningOld<
            #table::table,
            #table::#pk_col,
            ::cache_diesel::__private::BoxedCondition<#table::table, #pg_db>,
            <__V as #dsl::AsChangeset>::Changeset,
            #dsl::dsl::AsSelect<Self, #pg_db>,
            (#table::#pk_col, #(#table::#old_cols,)*),
        >
    }
}

/// `UpdateQuery::update_filtered` on PostgreSQL connection `pg_conn` for a
/// model with a single-column key: one statement updates the rows and
/// returns each with its old key and the old values of `olds` (every
/// other column), so that `update_where` invalidates exactly their
/// entries and lists.
pub(super) fn pg_update_filtered(
    m: &Model,
    pg_conn: &TokenStream,
    f: &Flavor,
    olds: &PgOlds<'_>,
) -> TokenStream {
    let Names { filter, .. } = names(m);
    let table = m.table();
    let dsl = quote!(::cache_diesel::__private::diesel);
    let pk = m.pk_field();
    let (pk_ty, pk_col) = (&pk.ty, &pk.column);
    let pg_db = quote!(#dsl::pg::Pg);
    let statement = pg_where_statement(m);
    let Flavor { aw, run, .. } = f;
    let (old_cols, old_tys, old_vars) = (&olds.cols, &olds.tys, &olds.vars);
    let updated = olds.updated(m, quote!(&__old_pk));
    f.hook_fn(
        quote!(update_filtered),
        pg_conn,
        |r| quote!(filter: #r #filter, changes: __V),
        &["filter"],
        quote!(::cache_diesel::__private::UpdatedRows<Self>),
        quote! {
            #[allow(unused_imports)]
            use #dsl::prelude::*;
            const OLD_NAMES: &[&str] = &[
                <#table::#pk_col as #dsl::Column>::NAME,
                #(<#table::#old_cols as #dsl::Column>::NAME),*
            ];
            let condition = || ::cache_diesel::__private::FilterCondition::<#table::table, #pg_db>::condition(filter);
            // More rows than the hook invalidates one by one (counted
            // first): not brought back (a bulk update of millions would
            // hold them all), the plain update.
            let many = #run::get_result::<i64>(#table::table.filter(condition()).count(), conn) #aw ?;
            if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                let n = #run::execute(#dsl::update(#table::table.filter(condition())).set(changes), conn) #aw ?;
                return ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n));
            }
            let condition = condition();
            let statement: #statement = ::cache_diesel::__private::update_where_returning_old(
                #table::table,
                #table::#pk_col,
                condition,
                changes,
                <Self as #dsl::SelectableHelper<#pg_db>>::as_returning(),
                (#table::#pk_col, #(#table::#old_cols,)*),
                OLD_NAMES,
            );
            let loaded = #run::load::<(Self, (#pk_ty, #(#old_tys,)*))>(statement, conn) #aw ?;
            let rows = loaded.into_iter().map(|(row, (__old_pk, #(#old_vars,)*))| #updated);
            ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Rows(rows.collect()))
        },
    )
}
