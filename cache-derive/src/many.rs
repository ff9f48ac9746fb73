//! `load_many`: the rows of many unique values in one query per kind of
//! key (the primary key, each `unique(..)` column), a manager's batch
//! read's misses.

use crate::ast::Model;
use crate::key::Key;
use proc_macro2::TokenStream;
use quote::quote;

/// Statements that append to `rows` the rows whose key is among `keys`
/// (a `&[{Model}Unique]`), for each kind of key present: a single-column
/// key by `col IN (..)` (`= ANY($1)` on PostgreSQL), a composite one by
/// an `OR` of its conditions, in chunks (`__private::MANY_CHUNK`,
/// `MANY_CHUNK_COMPOSITE`). `source` is the query source the conditions
/// are boxed for, and `load` a query's run, given its condition, as an
/// expression of the rows' `Vec` (`$pre`, `$db`, `$aw` are the macro's).
pub(crate) fn loads(
    m: &Model,
    unique: &syn::Ident,
    source: &TokenStream,
    load: impl Fn(TokenStream) -> TokenStream,
) -> TokenStream {
    let table = m.table();
    let private = quote!(::cache_diesel::__private);
    let per_key = m.unique_keys().into_iter().map(|k: Key<'_>| {
        let (v, ty) = (k.variant(), k.ty());
        let (chunk, condition) = match k.fields.as_slice() {
            [one] => {
                let col = &one.column;
                let condition = quote!(#table::#col.eq_any(
                    chunk.iter().map(|v| ::core::clone::Clone::clone(*v)).collect::<::std::vec::Vec<#ty>>()
                ));
                (quote!(#private::MANY_CHUNK), condition)
            }
            _ => {
                let first = k.eq(table, quote!(chunk[0]));
                let next = k.eq(table, quote!(value));
                let condition = quote!({
                    let mut condition: #private::BoxedCondition<#source, $db> = ::std::boxed::Box::new(#first);
                    for value in &chunk[1..] {
                        condition = ::std::boxed::Box::new(condition.or(#next));
                    }
                    condition
                });
                (quote!(#private::MANY_CHUNK_COMPOSITE), condition)
            }
        };
        let run = load(condition);
        quote! {
            let values: ::std::vec::Vec<&#ty> = keys
                .iter()
                .filter_map(|key| match key {
                    #unique::#v(value) => ::core::option::Option::Some(value),
                    #[allow(unreachable_patterns)]
                    _ => ::core::option::Option::None,
                })
                .collect();
            for chunk in values.chunks(#chunk) {
                rows.extend(#run);
            }
        }
    });
    quote!(#(#per_key)*)
}
