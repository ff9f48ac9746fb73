//! The code `#[derive(Cached)]` generates for a validated [`Model`].
//!
//! Public items (next to the model): `{Model}Cache` (the manager, which
//! derefs to `cache_diesel::Manager<Model>` and adds `get_by_<unique>` /
//! `find_by_<unique>`), `{Model}Filter`, `{Model}Unique`, and
//! `Model::cache()`. Trait impls live in a `const _: () = { .. };` block;
//! the queries are written once, as a template the derive fills in for
//! each connection type under a cache-diesel macro that keeps it only where
//! the connection's feature is on (`__if_sqlite!`, ..), so no generic
//! Diesel bounds leak into user code and a build expands only its
//! connections' code. The hook writes come in two flavours:
//! `returning` (SQLite, PostgreSQL: one statement with `RETURNING`) and
//! `mysql` (a short transaction). The update of a model with `unique(..)`
//! columns differs between SQLite and PostgreSQL (it must return the old
//! unique values too): its `UpdateQuery` impls are written per connection
//! type, under `cache_diesel::__if_sqlite!` / `__if_postgres!`.

mod connections;
mod flavor;
mod model;
mod mysql;
mod public;
mod returning;
mod stubs;
mod subst;
mod unique_update;
mod update;

use self::connections::per_connection_impls;
use self::model::cached_model_impl;
use self::public::public_items;
use crate::ast::{Field, Model};
use crate::case::pascal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) use stubs::stubs;

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
