//! The public items next to the model: `{Model}Cache`, `{Model}Filter`,
//! `{Model}Unique` and `Model::cache()`.

use super::{Names, names, variant};
use crate::ast::Model;
use crate::{order, relations};
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

pub(super) fn public_items(m: &Model) -> TokenStream {
    let Names {
        manager,
        filter,
        unique,
    } = names(m);
    let (model, vis) = (&m.ident, &m.vis);
    let keys = m.unique_keys();
    let unique_variants = keys.iter().map(|k| {
        let (v, ty) = (k.variant(), k.ty());
        quote!(#[doc = concat!("`", stringify!(#model), "` by `", stringify!(#v), "`.")] #v(#ty))
    });
    let unique_columns = keys.iter().map(|k| {
        let (v, col) = (k.variant(), k.column_name(m));
        quote!(Self::#v(_) => #col)
    });
    // No variant (in stubs of a model whose primary key was not found):
    // an empty match, on the value.
    let matched = if keys.is_empty() {
        quote!(match *self)
    } else {
        quote!(match self)
    };
    // (Unnamed without a variant: nothing would use it.)
    let out = if keys.is_empty() {
        quote!(_)
    } else {
        quote!(out)
    };
    let unique_values_into = keys.iter().map(|k| {
        let v = k.variant();
        if k.is_integer() {
            quote!(Self::#v(value) => ::cache_diesel::__private::integer_key_into(*value, out))
        } else {
            quote!(Self::#v(value) => ::cache_diesel::__private::value_key_into(value, out))
        }
    });
    // What `get` returns: the model, or with relations its record.
    let (record, what) = if m.has_relations() {
        let record = m.record_ident();
        let what = format!("`{record}` (the `{model}` with its relations)");
        (record.into_token_stream(), what)
    } else {
        (model.into_token_stream(), format!("`{model}`"))
    };
    let lookups = m.unique_fields().map(|f| {
        let (v, ty, field) = (variant(f), &f.ty, f.ident.to_string());
        let get_doc = format!("The {what} whose `{field}` is `value`, or `Error::NotFound`.");
        let find_doc = format!("The {what} whose `{field}` is `value`, if any.");
        let get = format_ident!("get_by_{}", f.ident);
        let find = format_ident!("find_by_{}", f.ident);
        let (get_async, find_async) = (
            format_ident!("get_by_{}_async", f.ident),
            format_ident!("find_by_{}_async", f.ident),
        );
        let get_async_doc = format!("`{get}` on an async (diesel-async) connection.");
        let find_async_doc = format!("`{find}` on an async (diesel-async) connection.");
        quote! {
            #[doc = #get_doc]
            pub fn #get<__C>(&self, conn: &mut __C, value: #ty) -> ::cache_diesel::Result<#record>
            where __C: ::cache_diesel::__private::diesel::Connection + 'static, #model: ::cache_diesel::ModelQueries<__C>,
            { self.0.get_unique(conn, #unique::#v(value)) }

            #[doc = #find_doc]
            pub fn #find<__C>(&self, conn: &mut __C, value: #ty) -> ::cache_diesel::Result<::core::option::Option<#record>>
            where __C: ::cache_diesel::__private::diesel::Connection + 'static, #model: ::cache_diesel::ModelQueries<__C>,
            { self.0.find_unique(conn, #unique::#v(value)) }

            ::cache_diesel::__if_async! {
                #[doc = #get_async_doc]
                pub async fn #get_async<__C>(&self, conn: &mut __C, value: #ty) -> ::cache_diesel::Result<#record>
                where __C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static, #model: ::cache_diesel::AsyncModelQueries<__C>,
                { self.0.get_unique_async(conn, #unique::#v(value)).await }

                #[doc = #find_async_doc]
                pub async fn #find_async<__C>(&self, conn: &mut __C, value: #ty) -> ::cache_diesel::Result<::core::option::Option<#record>>
                where __C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static, #model: ::cache_diesel::AsyncModelQueries<__C>,
                { self.0.find_unique_async(conn, #unique::#v(value)).await }
            }
        }
    });
    let filter_fields = m.filter_fields().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote!(#[doc = concat!("Condition on `", stringify!(#name), "`.")] pub #name: ::core::option::Option<::cache_diesel::FilterOp<#ty>>)
    });
    let filter_builders = m.filter_fields().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        let any = format_ident!("{}_in", f.ident);
        quote! {
            #[doc = concat!("Rows whose `", stringify!(#name), "` equals `value`.")]
            pub fn #name(mut self, value: #ty) -> Self { self.#name = ::core::option::Option::Some(::cache_diesel::FilterOp::Eq(value)); self }
            #[doc = concat!("Rows whose `", stringify!(#name), "` is one of `values`.")]
            pub fn #any(mut self, values: impl ::core::iter::IntoIterator<Item = #ty>) -> Self {
                self.#name = ::core::option::Option::Some(::cache_diesel::FilterOp::In(values.into_iter().collect())); self
            }
        }
    });
    let filter_keys = m.filter_fields().map(|f| {
        let name = &f.ident;
        quote!(::cache_diesel::__private::append_key(&mut key, stringify!(#name), self.#name.as_ref());)
    });
    // The first condition set, in `filter(..)` order, names the value tags.
    let value_conditions = m.filter_fields().map(|f| {
        let (name, col) = (&f.ident, m.column_name(&f.column));
        quote! {
            if let ::core::option::Option::Some(op) = &self.#name {
                return ::core::option::Option::Some((#col, ::cache_diesel::__private::op_value_keys(op)));
            }
        }
    });
    let record_items = relations::record_items(m);
    let order_items = order::public_items(m);
    let page_field = order::filter_field(m);
    let page_builders = order::filter_builders(m);
    quote! {
        #[doc = concat!("The cache manager of [`", stringify!(#model), "`]; derefs to `cache_diesel::Manager`.")]
        #vis struct #manager(::cache_diesel::Manager<#model>);

        impl ::core::ops::Deref for #manager {
            type Target = ::cache_diesel::Manager<#model>;
            fn deref(&self) -> &Self::Target { &self.0 }
        }

        impl #manager {
            #[doc = "A manager over an explicit cache (tests, or applications with several caches)."]
            pub fn new(cache: ::cache_diesel::Cache) -> Self { Self(::cache_diesel::Manager::new(cache)) }
            #(#lookups)*
        }

        impl #model {
            #[doc = "The process-wide cache manager of this model, over the default cache (`CACHE_URL`)."]
            #vis fn cache() -> &'static #manager {
                static MANAGER: ::cache_diesel::__private::OnceLock<#manager> = ::cache_diesel::__private::OnceLock::new();
                MANAGER.get_or_init(|| #manager(::cache_diesel::Manager::from_default_cache()))
            }
        }

        #[doc = concat!("A unique value of [`", stringify!(#model), "`]: something one row is looked up by.")]
        #[derive(Clone, Debug)]
        #vis enum #unique { #(#unique_variants,)* }

        impl ::cache_diesel::__private::UniqueKey for #unique {
            fn column(&self) -> &'static str { #matched { #(#unique_columns,)* } }
            fn value_key_into(&self, #out: &mut ::std::string::String) { #matched { #(#unique_values_into,)* } }
        }

        #record_items

        #order_items

        #[doc = concat!("Conditions on the list of [`", stringify!(#model), "`] rows (`all`, `count`), its order and its window.")]
        #[derive(Clone, Debug, Default)]
        #vis struct #filter { #(#filter_fields,)* #page_field }

        impl #filter {
            #(#filter_builders)*
            #page_builders
        }

        impl ::cache_diesel::__private::ListFilter for #filter {
            fn cache_key(&self) -> ::std::string::String {
                let mut key = self.conditions_key();
                ::cache_diesel::__private::append_page_key(&mut key, &self.__page);
                key
            }
            fn conditions_key(&self) -> ::std::string::String {
                #[allow(unused_mut)]
                let mut key = ::std::string::String::new();
                #(#filter_keys)*
                key
            }
            fn is_window(&self) -> bool { self.__page.is_window() }
            fn value_condition(&self) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
                #(#value_conditions)*
                ::core::option::Option::None
            }
        }
    }
}
