//! The `WhereQuery` and `AsyncWhereQuery` impls of a model (`all_where`,
//! `all_where_async`): the list query with the caller's expression, its
//! SQL, and a loader that runs it, for each connection type (`$conn`,
//! `$db` are the per-connection macro's).

use crate::ast::Model;
use proc_macro2::TokenStream;
use quote::quote;

/// What the sync and async impls share: the query's source (the table,
/// or the table joined with its related tables), the query before it is
/// boxed, its row type, and how its rows become records.
pub(crate) struct WhereParts<'a> {
    pub(crate) source: TokenStream,
    pub(crate) query: TokenStream,
    pub(crate) prefetch_param: syn::Ident,
    pub(crate) row_ty: TokenStream,
    /// The records from `rows`, given what follows a query's run (`.await`
    /// or nothing) and the path of `RunQueryDsl`; `None`: the rows are the
    /// records.
    pub(crate) assemble: Option<&'a dyn Fn(TokenStream, TokenStream) -> TokenStream>,
}

/// The sync impl (`WhereQuery<$conn>`) and the async one
/// (`AsyncWhereQuery<$conn>`).
pub(crate) struct WhereImpls {
    pub(crate) sync: TokenStream,
    pub(crate) asynchronous: TokenStream,
}

pub(crate) fn where_impls(m: &Model, parts: &WhereParts<'_>) -> WhereImpls {
    let dsl = quote!(::cache_diesel::__private::diesel);
    let WhereParts {
        source,
        query,
        prefetch_param,
        row_ty,
        assemble,
    } = parts;
    let model = &m.ident;
    let one = |asynchronous: bool| {
        let (tr, loader, wrap) = if asynchronous {
            (
                quote!(AsyncWhereQuery),
                quote!(AsyncWhereLoader),
                quote!(::cache_diesel::__private::async_where_loader::<$conn, Self>),
            )
        } else {
            (
                quote!(WhereQuery),
                quote!(WhereLoader),
                quote!(::std::boxed::Box::new),
            )
        };
        let (aw, run) = if asynchronous {
            (
                quote!(.await),
                quote!(::cache_diesel::__private::async_prelude::RunQueryDsl),
            )
        } else {
            (TokenStream::new(), quote!(#dsl::RunQueryDsl))
        };
        let body = match assemble {
            Some(assemble) => {
                let records = assemble(aw.clone(), run.clone());
                quote! {
                    let rows = #run::load::<#row_ty>(query, conn) #aw ?;
                    #records
                }
            }
            None => quote!(#run::load::<#row_ty>(query, conn) #aw),
        };
        let body = match (asynchronous, assemble.is_some()) {
            (true, _) => quote!(::std::boxed::Box::pin(async move { #body })),
            (false, true) => quote!({ #body }),
            (false, false) => body,
        };
        quote! {
            impl ::cache_diesel::#tr<$conn> for #model {
                type Expr = ::cache_diesel::__private::BoxedCondition<#source, $db>;
                #[inline]
                fn prepare_where(expr: Self::Expr, #prefetch_param: bool) -> (::std::string::String, ::cache_diesel::__private::#loader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use #dsl::prelude::*;
                    let query = #query.into_boxed::<$db>();
                    let sql = #dsl::debug_query::<$db, _>(&query).to_string();
                    (sql, #wrap(move |conn: &mut $conn| #body))
                }
            }
        }
    };
    WhereImpls {
        sync: one(false),
        asynchronous: one(true),
    }
}
