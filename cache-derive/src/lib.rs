//! `#[derive(Cached)]` for Diesel models. Use it through `cache-diesel`,
//! which re-exports it and holds the runtime the generated code calls.
//!
//! - `ctxt`: collects every error, so all are reported at once.
//! - `attr`: reads `#[cache(..)]` and Diesel's own `#[diesel(..)]`.
//! - `ast`: the validated model.
//! - `expand`: the generated code, and the stubs a model with errors
//!   gets next to them (so the user's code using it adds no errors).
//! - `query`: `#[cached_query]` on functions.
//! - `relations`: select_related / prefetch records.
//! - `where_query`: `all_where`'s query, sync and async.
//! - `order`: list order, keyset sort keys and the filter's window.
//! - `form`: the cached form (`CacheForm`) of models and records.
//! - `case`, `schema_hash`: naming and hashing helpers.
//! - `snapshots` (tests only): the expansion of representative inputs,
//!   compared with the insta snapshots `tests/expand/*.snap`.

mod ast;
mod attr;
mod case;
mod ctxt;
mod expand;
mod form;
mod key;
mod many;
mod order;
mod query;
mod relations;
mod schema_hash;
#[cfg(test)]
mod snapshots;
mod where_query;

use proc_macro::TokenStream;

/// Generates a cache manager for a Diesel model; see `cache_diesel`.
///
/// ```text
/// #[derive(Queryable, Selectable, Serialize, Deserialize, Cached)]
/// #[diesel(table_name = products)]
/// #[cache(list_timeout = 86400, detail_timeout = 60, unique(slug), filter(is_active, category_id))]
/// pub struct Product { pub id: i32, pub slug: String, pub is_active: bool, pub category_id: i32 }
/// ```
///
/// Options: `key = "..."`, `list_timeout = secs`, `detail_timeout = secs`,
/// `not_found_timeout = secs`, `soft_timeout = secs`, `refresh = "inline" | "background"`,
/// `select_related(relation, ..)`, `prefetch(name(Model), name(Model, through = Join), ..)`,
/// `prefetch_for_list = bool`, `unique(field, ..)`, `filter(field, ..)`,
/// `order_by(field, ..)`, `version = n`, `id_lists` (lists hold their rows'
/// ids and read the rows from their own entries: a write to a column no
/// list filters or orders by leaves the lists valid), `view_of = "table"`
/// (the model's table is an updatable view showing rows of `table` with
/// their columns under their own names: writes through the model
/// invalidate `table`'s entries as precisely as its own model's writes).
#[proc_macro_derive(Cached, attributes(cache, diesel))]
pub fn derive_cached(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive_cached_tokens(&input).into()
}

/// What `#[derive(Cached)]` expands `input` to (the snapshot tests call it).
fn derive_cached_tokens(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    match ast::Model::from_input(input) {
        ast::Parsed::Model(model) => expand::expand(&model),
        // The errors, and stubs of everything the model would have had, so
        // the user's code that uses it adds no errors of its own.
        ast::Parsed::Errors { errors, partial } => {
            let mut out = errors.to_compile_error();
            out.extend(partial.as_ref().map(expand::stubs));
            out
        }
    }
}

/// Caches a query function by its arguments; see `cache_diesel::query`.
///
/// ```text
/// #[cached_query(key = "top_products", timeout = 60, depends_on(Product, Category))]
/// fn top_products(conn: &mut PgConnection, category: i32, limit: i64) -> QueryResult<Vec<Product>> { .. }
/// ```
///
/// Options: `key = "..."` (the label; default the function's name),
/// `timeout = secs` (default 300), `soft_timeout = secs`,
/// `depends_on(Model, ..)` (required).
#[proc_macro_attribute]
pub fn cached_query(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemFn);
    cached_query_tokens(args.into(), item).into()
}

/// What `#[cached_query(args)]` expands `item` to (the snapshot tests call it).
fn cached_query_tokens(
    args: proc_macro2::TokenStream,
    item: syn::ItemFn,
) -> proc_macro2::TokenStream {
    match query::expand(args, item.clone()) {
        Ok(tokens) => tokens,
        // The function stays as written, so its callers see no second error.
        Err(errors) => {
            let mut out = errors.to_compile_error();
            quote::ToTokens::to_tokens(&item, &mut out);
            out
        }
    }
}
