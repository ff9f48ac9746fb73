//! [`Flavor`]: whether the generated hook writes run through Diesel or
//! diesel-async, and the tokens that differ between the two.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// How the generated hook writes run their statements: through Diesel
/// (`ModelQueries` and friends, on sync connections) or through
/// diesel-async (`AsyncInsertQuery` and friends, as `async fn`s).
pub(super) struct Flavor {
    /// Whether the hooks are `async` (return a boxed future).
    pub(super) is_async: bool,
    /// `.await` after each run, or nothing.
    pub(super) aw: TokenStream,
    /// The `RunQueryDsl` that runs statements.
    pub(super) run: TokenStream,
    /// The traits the where-clauses name.
    pub(super) load_query: TokenStream,
    pub(super) execute_dsl: TokenStream,
    pub(super) insert: TokenStream,
    pub(super) update: TokenStream,
    /// What the values of a statement must be besides (`Send`, on async).
    pub(super) values: TokenStream,
    /// The lifetime argument of the hook traits (`'__q,` on async: the
    /// lifetime of what the statement borrows, which its future captures,
    /// so it must be the trait's, not only the where-clause's).
    pub(super) trait_lt: TokenStream,
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
    pub(super) fn hook_fn(
        &self,
        name: TokenStream,
        conn: &TokenStream,
        params: impl Fn(&TokenStream) -> TokenStream,
        borrowed: &[&str],
        ret: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let result = quote!(::cache_diesel::__private::diesel::QueryResult<#ret>);
        if self.is_async {
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
    /// `backends/mysql/writes_async.rs`).
    pub(super) fn mysql_atomic(&self, body: TokenStream) -> TokenStream {
        let private = quote!(::cache_diesel::__private);
        if self.is_async {
            quote! {
                let atomic = #private::mysql_atomic_begin(conn).await?;
                let out = #private::mysql_body(async { #body }).await;
                #private::mysql_atomic_end(conn, atomic, out).await
            }
        } else {
            quote!(#private::mysql_atomic(conn, |conn| { #body }))
        }
    }

    pub(super) fn sync() -> Self {
        let dsl = quote!(::cache_diesel::__private::diesel);
        Flavor {
            is_async: false,
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

    pub(super) fn for_async() -> Self {
        let da = quote!(::cache_diesel::__private::diesel_async);
        Flavor {
            is_async: true,
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
