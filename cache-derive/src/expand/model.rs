//! The model's `CachedModel` impl and its `ModelInfo`.

use super::{Names, names};
use crate::ast::Model;
use crate::relations;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The model's `ModelInfo` (a primary key that was not found, in stubs,
/// is named "").
pub(super) fn model_info(m: &Model) -> TokenStream {
    let (name, key, hash) = (m.ident.to_string(), &m.key, &m.schema_hash);
    let keys = m.unique_keys();
    let pk_col = if m.pk.is_empty() {
        quote!("")
    } else {
        m.pk_key().column_name(m)
    };
    let (lt, dt, nt) = (m.list_timeout, m.detail_timeout, m.not_found_timeout);
    let prefetch_for_list = m.prefetch_for_list;
    let background_refresh = m.background_refresh;
    let soft = match m.soft_timeout {
        Some(secs) => {
            quote!(::core::option::Option::Some(::cache_diesel::__private::Duration::from_secs(#secs)))
        }
        None => quote!(::core::option::Option::None),
    };
    let unique_cols = keys.iter().map(|k| k.column_name(m));
    let columns = m.fields.iter().map(|f| m.column_name(&f.column));
    let filter_columns = m.filter_fields().map(|f| m.column_name(&f.column));
    let order_columns = m
        .order_by
        .iter()
        .map(|&i| m.column_name(&m.fields[i].column));
    let id_lists = m.id_lists;
    let view_of = match &m.view_of {
        Some(table) => quote!(::core::option::Option::Some(#table)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::cache_diesel::__private::ModelInfo {
            name: #name,
            key: #key,
            primary_key: #pk_col,
            unique_columns: &[#(#unique_cols),*],
            columns: &[#(#columns),*],
            filter_columns: &[#(#filter_columns),*],
            order_columns: &[#(#order_columns),*],
            schema_hash: #hash,
            list_timeout: ::cache_diesel::__private::Duration::from_secs(#lt),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(#dt),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(#nt),
            soft_timeout: #soft,
            prefetch_for_list: #prefetch_for_list,
            background_refresh: #background_refresh,
            id_lists: #id_lists,
            view_of: #view_of,
        }
    }
}

pub(super) fn cached_model_impl(m: &Model) -> TokenStream {
    let Names { filter, unique, .. } = names(m);
    let model = &m.ident;
    let pk = m.pk_key();
    let (pk_ty, pk_variant, pk_value) = (pk.ty(), pk.variant(), pk.of_row(quote!(self)));
    let table = m.table();
    let info = model_info(m);
    let record_assoc = relations::record_assoc(m);
    let record_hash = relations::record_schema_hash(m);
    let fields: Vec<_> = m
        .fields
        .iter()
        .map(|f| (f.ident.clone(), f.ty.to_token_stream()))
        .collect();
    let form = crate::form::cache_form_impl(model, &fields);
    let all_unique = m.unique_keys().into_iter().map(|k| {
        let (v, value) = (k.variant(), k.of_row(quote!(self)));
        quote!(#unique::#v(#value))
    });
    let idents: Vec<_> = m.fields.iter().map(|f| &f.ident).collect();
    let positions = 0..idents.len();
    quote! {
        #form

        impl ::cache_diesel::CachedModel for #model {
            type Id = #pk_ty;
            type Unique = #unique;
            type Filter = #filter;
            #record_assoc
            const INFO: ::cache_diesel::__private::ModelInfo = #info;
            #[inline]
            fn table() -> &'static str {
                static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> =
                    ::cache_diesel::__private::OnceLock::new();
                NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(#table::table))
            }
            #record_hash
            #[inline]
            fn id(&self) -> #pk_ty { #pk_value }
            #[inline]
            fn unique_of_id(id: #pk_ty) -> #unique { #unique::#pk_variant(id) }
            #[inline]
            fn unique_keys(&self) -> ::std::vec::Vec<#unique> { ::std::vec![#(#all_unique),*] }
            #[inline]
            fn column_value_into(&self, column: &str, out: &mut ::std::string::String) -> bool {
                // The columns in `INFO.columns`' order.
                match <Self as ::cache_diesel::CachedModel>::INFO.columns.iter().position(|c| *c == column) {
                    #(::core::option::Option::Some(#positions) => ::cache_diesel::__private::value_key_into(&self.#idents, out),)*
                    _ => return false,
                }
                true
            }
        }

        // Registered at link time: the hooks of another model over the
        // table invalidate this one's lookups by unique columns it does not
        // declare, and its lists by columns it does not map, and the other
        // way round.
        const _: () = {
            #[::cache_diesel::__private::linkme::distributed_slice(::cache_diesel::__private::DECLARED_MODELS)]
            #[linkme(crate = ::cache_diesel::__private::linkme)]
            fn __declared_model() -> (&'static str, &'static ::cache_diesel::__private::ModelInfo) {
                const INFO: &::cache_diesel::__private::ModelInfo = &<#model as ::cache_diesel::CachedModel>::INFO;
                (<#model as ::cache_diesel::CachedModel>::table(), INFO)
            }
        };
    }
}
