//! Stubs of the public items for a model that failed validation, so that
//! the user's code type-checks and adds no errors of its own.

use super::model::model_info;
use super::public::public_items;
use super::{Names, names};
use crate::ast::Model;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// What a model with errors expands to, next to the errors (as thiserror
/// does): its public items under their names (`{Model}Cache` with its
/// lookups, `Model::cache()`, `{Model}Filter`, `{Model}Unique`, the record),
/// and the trait impls a manager needs with `unimplemented!()` bodies. The
/// user's code that uses the model then type-checks and adds no errors of
/// its own; the bodies never run, as the crate does not compile.
pub(crate) fn stubs(m: &Model) -> TokenStream {
    let public = public_items(m);
    let Names { filter, unique, .. } = names(m);
    let model = &m.ident;
    let info = model_info(m);
    let id = if m.pk.is_empty() {
        quote!(())
    } else {
        m.pk_key().ty()
    };
    let record = if m.has_relations() {
        m.record_ident().into_token_stream()
    } else {
        quote!(Self)
    };
    let dsl = quote!(::cache_diesel::__private::diesel);
    // `all_where` takes the condition it would take without the error.
    let condition = match &m.table {
        Some(table) => quote!(::cache_diesel::__private::BoxedCondition<#table::table, $db>),
        None => quote!(()),
    };
    let result = |ty: TokenStream| quote!(#dsl::QueryResult<#ty>);
    let (one, many) = (
        result(quote!(::core::option::Option<Self>)),
        result(quote!(::std::vec::Vec<Self>)),
    );
    let (one_record, many_records, count) = (
        result(quote!(::core::option::Option<#record>)),
        result(quote!(::std::vec::Vec<#record>)),
        result(quote!(usize)),
    );
    let updated = result(quote!(
        ::core::option::Option<::cache_diesel::__private::Updated<Self>>
    ));
    let updated_rows = result(quote!(::cache_diesel::__private::UpdatedRows<Self>));
    quote! {
        #public
        #[allow(non_local_definitions, clippy::all)]
        const _: () = {
            impl ::cache_diesel::__private::CacheForm for #model {
                fn write_form(&self, _: &mut ::cache_diesel::__private::FormWriter<'_>) -> ::core::result::Result<(), ::cache_diesel::__private::FormError> {
                    ::core::unimplemented!()
                }
                fn read_form(_: &mut ::cache_diesel::__private::FormReader<'_>) -> ::core::result::Result<Self, ::cache_diesel::__private::FormError> {
                    ::core::unimplemented!()
                }
            }

            impl ::cache_diesel::CachedModel for #model {
                type Id = #id;
                type Unique = #unique;
                type Filter = #filter;
                type Record = #record;
                const INFO: ::cache_diesel::__private::ModelInfo = #info;
                fn table() -> &'static str { ::core::unimplemented!() }
                fn id(&self) -> #id { ::core::unimplemented!() }
                fn unique_of_id(_: #id) -> #unique { ::core::unimplemented!() }
                fn unique_keys(&self) -> ::std::vec::Vec<#unique> { ::core::unimplemented!() }
                fn record_model(_: &#record) -> &Self { ::core::unimplemented!() }
            }

            macro_rules! __cache_diesel_stubs {
                ($conn:ty, $db:ty, $writes:ident) => {
                    impl ::cache_diesel::ModelQueries<$conn> for #model {
                        fn load_unique(_: &mut $conn, _: &#unique) -> #one { ::core::unimplemented!() }
                        fn load_list(_: &mut $conn, _: &#filter) -> #many { ::core::unimplemented!() }
                        fn load_record(_: &mut $conn, _: &#unique) -> #one_record { ::core::unimplemented!() }
                        fn load_records(_: &mut $conn, _: &#filter, _: bool) -> #many_records { ::core::unimplemented!() }
                        fn load_many(_: &mut $conn, _: &[#unique]) -> #many_records { ::core::unimplemented!() }
                        fn count_list(_: &mut $conn, _: &#filter) -> #dsl::QueryResult<i64> { ::core::unimplemented!() }
                        fn related_tables() -> &'static [::std::string::String] { ::core::unimplemented!() }
                        fn delete_by_id(_: &mut $conn, _: &#id) -> #one { ::core::unimplemented!() }
                    }

                    impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for #model {
                        fn insert_returning(_: &mut $conn, _: __V) -> #many { ::core::unimplemented!() }
                        fn insert_execute(_: &mut $conn, _: __V) -> #count { ::core::unimplemented!() }
                    }

                    impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for #model {
                        fn update_by_id(_: &mut $conn, _: &#id, _: __V) -> #updated { ::core::unimplemented!() }
                        fn update_filtered(_: &mut $conn, _: &#filter, _: __V) -> #updated_rows { ::core::unimplemented!() }
                    }

                    impl ::cache_diesel::WhereQuery<$conn> for #model {
                        type Expr = #condition;
                        fn prepare_where(_: #condition, _: bool) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                            ::core::unimplemented!()
                        }
                    }
                };
                (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
                    impl ::cache_diesel::AsyncModelQueries<$conn> for #model {
                        async fn load_unique(_: &mut $conn, _: &#unique) -> #one { ::core::unimplemented!() }
                        async fn load_list(_: &mut $conn, _: &#filter) -> #many { ::core::unimplemented!() }
                        async fn load_record(_: &mut $conn, _: &#unique) -> #one_record { ::core::unimplemented!() }
                        async fn load_records(_: &mut $conn, _: &#filter, _: bool) -> #many_records { ::core::unimplemented!() }
                        async fn load_many(_: &mut $conn, _: &[#unique]) -> #many_records { ::core::unimplemented!() }
                        async fn count_list(_: &mut $conn, _: &#filter) -> #dsl::QueryResult<i64> { ::core::unimplemented!() }
                        fn related_tables() -> &'static [::std::string::String] { ::core::unimplemented!() }
                    }

                    impl ::cache_diesel::AsyncWhereQuery<$conn> for #model {
                        type Expr = #condition;
                        fn prepare_where(_: #condition, _: bool) -> (::std::string::String, ::cache_diesel::__private::AsyncWhereLoader<$conn, Self>) {
                            ::core::unimplemented!()
                        }
                    }
                    __cache_diesel_stubs! { @writes $writes, $conn }
                };
                (@writes none, $conn:ty) => {};
                (@writes $writes:ident, $conn:ty) => {
                    impl ::cache_diesel::AsyncDeleteQuery<$conn> for #model {
                        async fn delete_by_id(_: &mut $conn, _: &#id) -> #one { ::core::unimplemented!() }
                    }

                    impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for #model {
                        fn insert_returning<'__c>(_: &'__c mut $conn, _: __V) -> ::cache_diesel::__private::BoxFuture<'__c, #many> where '__q: '__c { ::core::unimplemented!() }
                        fn insert_execute<'__c>(_: &'__c mut $conn, _: __V) -> ::cache_diesel::__private::BoxFuture<'__c, #count> where '__q: '__c { ::core::unimplemented!() }
                    }

                    impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for #model {
                        fn update_by_id<'__c>(_: &'__c mut $conn, _: #id, _: __V) -> ::cache_diesel::__private::BoxFuture<'__c, #updated> where '__q: '__c { ::core::unimplemented!() }
                        fn update_filtered<'__c>(_: &'__c mut $conn, _: #filter, _: __V) -> ::cache_diesel::__private::BoxFuture<'__c, #updated_rows> where '__q: '__c { ::core::unimplemented!() }
                    }
                };
            }
            ::cache_diesel::__for_each_connection!(__cache_diesel_stubs);
        };
    }
}
