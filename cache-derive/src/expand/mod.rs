//! The code `#[derive(Cached)]` generates for a validated [`Model`].
//!
//! Public items (next to the model): `{Model}Cache` (the manager, which
//! derefs to `cache_diesel::Manager<Model>` and adds `get_by_<unique>` /
//! `find_by_<unique>`), `{Model}Filter`, `{Model}Unique`, and
//! `Model::cache()`. Trait impls live in a `const _: () = { .. };` block;
//! the queries are written once in a local macro that
//! `cache_diesel::__for_each_connection!` instantiates for each enabled
//! connection type, so no generic Diesel bounds leak into user code. The
//! hook writes come in two flavours, the arms of a second local macro:
//! `returning` (SQLite, PostgreSQL: one statement with `RETURNING`) and
//! `mysql` (a short transaction). The update of a model with `unique(..)`
//! columns differs between SQLite and PostgreSQL (it must return the old
//! unique values too): its `UpdateQuery` impls are written per connection
//! type, under `cache_diesel::__if_sqlite!` / `__if_postgres!`.

use crate::ast::{Field, Model};
use crate::case::pascal;
use crate::{order, relations};
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

pub(crate) fn expand(m: &Model) -> TokenStream {
    let public = public_items(m);
    let model_impl = cached_model_impl(m);
    let queries = per_connection_impls(m);
    quote! {
        #public
        #[allow(non_local_definitions, clippy::all)]
        const _: () = {
            #model_impl
            #queries
        };
    }
}

/// How the generated hook writes run their statements: through Diesel
/// (`ModelQueries` and friends, on sync connections) or through
/// diesel-async (`AsyncInsertQuery` and friends, as `async fn`s).
struct Flavor {
    /// Whether the hooks are `async` (return a boxed future).
    nonblocking: bool,
    /// `.await` after each run, or nothing.
    aw: TokenStream,
    /// The `RunQueryDsl` that runs statements.
    run: TokenStream,
    /// The traits the where-clauses name.
    load_query: TokenStream,
    execute_dsl: TokenStream,
    insert: TokenStream,
    update: TokenStream,
    /// What the values of a statement must be besides (`Send`, on async).
    values: TokenStream,
    /// The lifetime argument of the hook traits (`'__q,` on async: the
    /// lifetime of what the statement borrows, which its future captures,
    /// so it must be the trait's, not only the where-clause's).
    trait_lt: TokenStream,
}

impl Flavor {
    /// A hook fn: `fn name(conn: &mut C, params) -> QueryResult<T> { body }`,
    /// or on async `fn name<'__c>(conn: &'__c mut C, params) ->
    /// BoxFuture<'__c, QueryResult<T>> where '__q: '__c` over `body` in an
    /// `async move` block (the connection's borrow may be shorter than the
    /// values', so the caller can use it again for the invalidation). (A boxed
    /// future, not an `async fn`: the future of a caller generic over the
    /// values must be provably `Send`, which an opaque future whose hidden
    /// type needs `__V: '__q` is not, to rustc.) `params` name their
    /// references `#r`: `&` on sync; nothing on async, where they are
    /// owned and the body sees `borrowed` ones through references.
    fn hook_fn(
        &self,
        name: TokenStream,
        conn: &TokenStream,
        params: impl Fn(&TokenStream) -> TokenStream,
        borrowed: &[&str],
        ret: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let result = quote!(::cache_diesel::__private::diesel::QueryResult<#ret>);
        if self.nonblocking {
            let params = params(&TokenStream::new());
            let borrowed = borrowed.iter().map(|b| format_ident!("{}", b));
            quote! {
                fn #name<'__c>(conn: &'__c mut #conn, #params) -> ::cache_diesel::__private::BoxFuture<'__c, #result> where '__q: '__c {
                    ::std::boxed::Box::pin(async move {
                        #( let #borrowed = &#borrowed; )*
                        #body
                    })
                }
            }
        } else {
            let params = params(&quote!(&));
            quote! {
                fn #name(conn: &mut #conn, #params) -> #result { #body }
            }
        }
    }

    /// `body` (a MySQL hook's write and its reads, which may `return` and
    /// use `?`) run atomically: on sync, in a closure given to
    /// `mysql_atomic`; on async, an `async` block between
    /// `mysql_atomic_begin` and `mysql_atomic_end` (see cache-diesel's
    /// `mysql_async.rs`).
    fn mysql_atomic(&self, body: TokenStream) -> TokenStream {
        let private = quote!(::cache_diesel::__private);
        if self.nonblocking {
            quote! {
                let atomic = #private::mysql_atomic_begin(conn).await?;
                let out = #private::mysql_body(async { #body }).await;
                #private::mysql_atomic_end(conn, atomic, out).await
            }
        } else {
            quote!(#private::mysql_atomic(conn, |conn| { #body }))
        }
    }

    fn sync() -> Self {
        let dsl = quote!(::cache_diesel::__private::diesel);
        Flavor {
            nonblocking: false,
            aw: TokenStream::new(),
            run: quote!(#dsl::RunQueryDsl),
            load_query: quote!(#dsl::query_dsl::LoadQuery),
            execute_dsl: quote!(#dsl::query_dsl::methods::ExecuteDsl),
            insert: quote!(::cache_diesel::InsertQuery),
            update: quote!(::cache_diesel::UpdateQuery),
            values: TokenStream::new(),
            trait_lt: TokenStream::new(),
        }
    }

    fn nonblocking() -> Self {
        let da = quote!(::cache_diesel::__private::diesel_async);
        Flavor {
            nonblocking: true,
            aw: quote!(.await),
            run: quote!(#da::RunQueryDsl),
            load_query: quote!(#da::methods::LoadQuery),
            execute_dsl: quote!(#da::methods::ExecuteDsl),
            insert: quote!(::cache_diesel::AsyncInsertQuery),
            update: quote!(::cache_diesel::AsyncUpdateQuery),
            values: quote!(__V: ::core::marker::Send + '__q,),
            trait_lt: quote!('__q,),
        }
    }
}

struct Names {
    manager: syn::Ident,
    filter: syn::Ident,
    unique: syn::Ident,
}

fn names(m: &Model) -> Names {
    Names {
        manager: format_ident!("{}Cache", m.ident),
        filter: format_ident!("{}Filter", m.ident),
        unique: format_ident!("{}Unique", m.ident),
    }
}

fn variant(f: &Field) -> syn::Ident {
    format_ident!(
        "{}",
        pascal(&syn::ext::IdentExt::unraw(&f.ident).to_string())
    )
}

fn public_items(m: &Model) -> TokenStream {
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
        let (v, col) = (k.variant(), k.column_text());
        quote!(Self::#v(_) => #col)
    });
    // No variant (in stubs of a model whose primary key was not found):
    // an empty match, on the value.
    let matched = if keys.is_empty() {
        quote!(match *self)
    } else {
        quote!(match self)
    };
    let unique_values = keys.iter().map(|k| {
        let v = k.variant();
        quote!(Self::#v(value) => ::cache_diesel::__private::value_key(value))
    });
    // What `get` returns: the model, or with relations its record.
    let (record, what) = if m.has_relations() {
        let record = relations::record_ident(m);
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
            pub fn #get<C>(&self, conn: &mut C, value: #ty) -> ::cache_diesel::Result<#record>
            where C: ::cache_diesel::__private::diesel::Connection + 'static, #model: ::cache_diesel::ModelQueries<C>,
            { self.0.get_unique(conn, #unique::#v(value)) }

            #[doc = #find_doc]
            pub fn #find<C>(&self, conn: &mut C, value: #ty) -> ::cache_diesel::Result<::core::option::Option<#record>>
            where C: ::cache_diesel::__private::diesel::Connection + 'static, #model: ::cache_diesel::ModelQueries<C>,
            { self.0.find_unique(conn, #unique::#v(value)) }

            ::cache_diesel::__if_async! {
                #[doc = #get_async_doc]
                pub async fn #get_async<C>(&self, conn: &mut C, value: #ty) -> ::cache_diesel::Result<#record>
                where C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static, #model: ::cache_diesel::AsyncModelQueries<C>,
                { self.0.get_unique_async(conn, #unique::#v(value)).await }

                #[doc = #find_async_doc]
                pub async fn #find_async<C>(&self, conn: &mut C, value: #ty) -> ::cache_diesel::Result<::core::option::Option<#record>>
                where C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static, #model: ::cache_diesel::AsyncModelQueries<C>,
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
        let (name, col) = (&f.ident, &f.column);
        quote! {
            if let ::core::option::Option::Some(op) = &self.#name {
                return ::core::option::Option::Some((stringify!(#col), ::cache_diesel::__private::op_value_keys(op)));
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

        impl ::cache_diesel::UniqueKey for #unique {
            fn column(&self) -> &'static str { #matched { #(#unique_columns,)* } }
            fn value_key(&self) -> ::std::string::String { #matched { #(#unique_values,)* } }
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

        impl ::cache_diesel::ListFilter for #filter {
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

/// The model's `ModelInfo` (a primary key that was not found, in stubs,
/// is named "").
fn model_info(m: &Model) -> TokenStream {
    let (name, key, hash) = (m.ident.to_string(), &m.key, &m.schema_hash);
    let keys = m.unique_keys();
    let pk_col = if m.pk.is_empty() {
        String::new()
    } else {
        m.pk_key().column_text()
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
    let unique_cols = keys.iter().map(|k| k.column_text());
    quote! {
        ::cache_diesel::ModelInfo {
            name: #name,
            key: #key,
            primary_key: #pk_col,
            unique_columns: &[#(#unique_cols),*],
            schema_hash: #hash,
            list_timeout: ::cache_diesel::__private::Duration::from_secs(#lt),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(#dt),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(#nt),
            soft_timeout: #soft,
            prefetch_for_list: #prefetch_for_list,
            background_refresh: #background_refresh,
        }
    }
}

fn cached_model_impl(m: &Model) -> TokenStream {
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
    let dsl = quote!(::cache_diesel::__private::diesel);
    let columns: Vec<_> = m.fields.iter().map(|f| &f.column).collect();
    let idents = m.fields.iter().map(|f| &f.ident);
    quote! {
        #form

        impl ::cache_diesel::CachedModel for #model {
            type Id = #pk_ty;
            type Unique = #unique;
            type Filter = #filter;
            #record_assoc
            const INFO: ::cache_diesel::ModelInfo = #info;
            fn table() -> &'static str {
                static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> =
                    ::cache_diesel::__private::OnceLock::new();
                NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(#table::table))
            }
            #record_hash
            fn id(&self) -> #pk_ty { #pk_value }
            fn unique_of_id(id: #pk_ty) -> #unique { #unique::#pk_variant(id) }
            fn unique_keys(&self) -> ::std::vec::Vec<#unique> { ::std::vec![#(#all_unique),*] }
            fn maps_every_column() -> bool {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::{NoTableColumns as _, TableColumns as _};
                static EVERY: ::cache_diesel::__private::OnceLock<bool> = ::cache_diesel::__private::OnceLock::new();
                *EVERY.get_or_init(|| ::cache_diesel::__private::maps_every_column(
                    (&::cache_diesel::__private::Probe::<<#table::table as #dsl::Table>::AllColumns>::new()).table_columns(),
                    &[#(<#table::#columns as #dsl::Column>::NAME),*],
                ))
            }
            fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::model::ColumnValue> {
                ::std::vec![#((stringify!(#columns), ::cache_diesel::__private::value_key(&self.#idents))),*]
            }
        }
    }
}

fn per_connection_impls(m: &Model) -> TokenStream {
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
            update_impl(m, quote!($conn), quote!($db), &Flavor::nonblocking()),
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
    let writes_async = returning_writes(m, &Flavor::nonblocking());
    let (mysql_writes, mysql_writes_async) = (
        mysql_writes(m, &Flavor::sync()),
        mysql_writes(m, &Flavor::nonblocking()),
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
        trait __CacheDieselDelete<C> {
            fn delete(conn: &mut C, id: &#pk_ty) -> #dsl::QueryResult<::core::option::Option<#model>>;
        }
        ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
    }
}

/// The hook writes of a backend with `RETURNING` (`$conn`, `$db` are the
/// per-connection macro's): one statement each.
fn returning_writes(m: &Model, f: &Flavor) -> TokenStream {
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
    let delete = if !f.nonblocking {
        quote! {
            impl __CacheDieselDelete<$conn> for #model {
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

/// The hook writes on MySQL, which has no `RETURNING` (`$conn`, `$db` are
/// the per-connection macro's): each in a short transaction, or under a
/// savepoint inside an open one ([`Flavor::mysql_atomic`]). A delete and an
/// update read the row `FOR UPDATE` first; an insert reads its rows back by
/// `LAST_INSERT_ID()` (see cache-diesel's `mysql.rs`). The same statements
/// on `MysqlConnection` and on diesel-async's `AsyncMysqlConnection`.
fn mysql_writes(m: &Model, f: &Flavor) -> TokenStream {
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
    let reset_insert_id = match f.nonblocking {
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
    let delete = if !f.nonblocking {
        quote! {
            impl __CacheDieselDelete<$conn> for #model {
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

/// `UpdateQuery` on connection `conn` (backend `db`) for a model whose
/// only unique column is its primary key: one `UPDATE .. RETURNING`; the
/// old unique value is the id it was given.
fn update_impl(m: &Model, conn: TokenStream, db: TokenStream, f: &Flavor) -> TokenStream {
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
fn update_by_id_bound(m: &Model, db: &TokenStream) -> TokenStream {
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
fn insert_execute_fn(m: &Model, f: &Flavor) -> TokenStream {
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
fn update_filtered(m: &Model, conn: &TokenStream, db: &TokenStream, f: &Flavor) -> TokenStream {
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

/// `UpdateQuery` for a model with `unique(..)` columns, whose old values
/// the update must return too: on PostgreSQL in the same statement
/// (`cache_diesel::__private::update_returning_old`), on SQLite by reading
/// the row first, in a transaction unless one is open.
fn update_with_unique_impls(m: &Model) -> TokenStream {
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
        &Flavor::nonblocking(),
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
fn pg_update_with_unique(m: &Model, pg_conn: &TokenStream, f: &Flavor) -> TokenStream {
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
struct PgOlds<'m> {
    cols: Vec<&'m syn::Ident>,
    tys: Vec<&'m syn::Type>,
    /// The variables a returned tuple's old values are bound to.
    vars: Vec<syn::Ident>,
}

impl<'m> PgOlds<'m> {
    fn of(m: &'m Model) -> Self {
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
    fn updated(&self, m: &Model, old_pk: TokenStream) -> TokenStream {
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
        let (cols, vars) = (&self.cols, &self.vars);
        quote! {
            ::cache_diesel::__private::Updated {
                row,
                before: ::std::vec![
                    #unique::#pk_variant(::core::clone::Clone::clone(#old_pk)),
                    #(#old_uniques,)*
                ],
                old_values: ::core::option::Option::Some(::std::vec![
                    (stringify!(#pk_col), ::cache_diesel::__private::value_key(#old_pk)),
                    #((stringify!(#cols), ::cache_diesel::__private::value_key(&#vars)),)*
                ]),
            }
        }
    }
}

/// The type of PostgreSQL's bulk update that returns each row with its old
/// key and values (`cache_diesel::__private::update_where_returning_old`).
fn pg_where_statement(m: &Model) -> TokenStream {
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
fn pg_update_filtered(
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
        relations::record_ident(m).into_token_stream()
    } else {
        quote!(Self)
    };
    let (dsl, serde) = (
        quote!(::cache_diesel::__private::diesel),
        quote!(::cache_diesel::__private::serde),
    );
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
            impl ::cache_diesel::CacheForm for #model {
                fn serialize_form<__S: #serde::Serializer>(&self, _: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    ::core::unimplemented!()
                }
                fn deserialize_form<'de, __D: #serde::Deserializer<'de>>(_: __D) -> ::core::result::Result<Self, __D::Error> {
                    ::core::unimplemented!()
                }
            }

            impl ::cache_diesel::CachedModel for #model {
                type Id = #id;
                type Unique = #unique;
                type Filter = #filter;
                type Record = #record;
                const INFO: ::cache_diesel::ModelInfo = #info;
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
                        fn prepare_where(_: #condition, _: bool) -> (::std::string::String, ::cache_diesel::model::WhereLoader<$conn, Self>) {
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
                        async fn count_list(_: &mut $conn, _: &#filter) -> #dsl::QueryResult<i64> { ::core::unimplemented!() }
                        fn related_tables() -> &'static [::std::string::String] { ::core::unimplemented!() }
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
