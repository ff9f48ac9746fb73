//! `#[cached_query(..)]`: a function that takes a Diesel connection and
//! serializable arguments, cached by its arguments and invalidated by writes
//! to the models it depends on.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::{Expr, FnArg, ItemFn, Lit, LitStr, Pat, Path};

const OPTIONS: &str = "key = \"..\", timeout = secs, soft_timeout = secs, depends_on(Model, ..)";

#[derive(Default)]
struct Options {
    key: Option<LitStr>,
    timeout: Option<u64>,
    soft_timeout: Option<u64>,
    depends_on: Vec<Path>,
}

fn seconds(meta: &ParseNestedMeta, cx: &mut Ctxt) -> syn::Result<Option<u64>> {
    let expr: Expr = meta.value()?.parse()?;
    if let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(i), ..
    }) = &expr
        && let Ok(v) = i.base10_parse::<u64>()
    {
        return Ok(Some(v));
    }
    cx.error(
        &expr,
        "expects whole seconds as an integer literal, e.g. timeout = 300",
    );
    Ok(None)
}

fn parse_options(args: TokenStream, cx: &mut Ctxt) -> Options {
    let mut out = Options::default();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("key") {
            match meta.value()?.parse::<Expr>()? {
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) if !s.value().is_empty() => out.key = Some(s),
                other => cx.error(other, "`key` expects a non-empty string literal"),
            }
        } else if meta.path.is_ident("timeout") {
            out.timeout = seconds(&meta, cx)?;
        } else if meta.path.is_ident("soft_timeout") {
            out.soft_timeout = seconds(&meta, cx)?;
        } else if meta.path.is_ident("depends_on") {
            meta.parse_nested_meta(|inner| {
                out.depends_on.push(inner.path);
                Ok(())
            })?;
        } else {
            cx.error(
                &meta.path,
                format!("unknown #[cached_query] option; accepted are: {OPTIONS}"),
            );
            if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<Expr>()?;
            }
        }
        Ok(())
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        cx.push(e);
    }
    out
}

pub(crate) fn expand(args: TokenStream, item: ItemFn) -> syn::Result<TokenStream> {
    let mut cx = Ctxt::default();
    let options = parse_options(args, &mut cx);
    let mut inputs = item.sig.inputs.iter();
    let conn = match inputs.next() {
        Some(FnArg::Typed(t)) => {
            match &*t.pat {
                Pat::Ident(p) => Some((p.ident.clone(), t.ty.clone())),
                other => {
                    cx.error(other, "the connection parameter must be a plain name, e.g. conn: &mut PgConnection");
                    None
                }
            }
        }
        Some(other) => {
            cx.error(
                other,
                "#[cached_query] goes on a free function whose first parameter is the connection",
            );
            None
        }
        None => {
            cx.error(
                &item.sig,
                "#[cached_query] needs a connection as the first parameter",
            );
            None
        }
    };
    let mut names = Vec::new();
    for arg in inputs {
        match arg {
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) => names.push(p.ident.clone()),
                other => cx.error(
                    other,
                    "cached query arguments must be plain names (they form the cache key)",
                ),
            },
            FnArg::Receiver(r) => cx.error(r, "#[cached_query] does not support methods"),
        }
    }
    if options.depends_on.is_empty() {
        cx.error(
            &item.sig.ident,
            "#[cached_query] needs depends_on(Model, ..): the models whose writes invalidate it",
        );
    }
    cx.check()?;
    let (conn, conn_ty) = conn.expect("checked");
    let label = options
        .key
        .map_or_else(|| item.sig.ident.to_string(), |k| k.value());
    let timeout = options.timeout.unwrap_or(300);
    let soft = match options.soft_timeout {
        Some(s) => {
            quote!(::core::option::Option::Some(::cache_diesel::__private::Duration::from_secs(#s)))
        }
        None => quote!(::core::option::Option::None),
    };
    let tables = options
        .depends_on
        .iter()
        .map(|m| quote!(::cache_diesel::__private::table_of::<#m>));
    let (attrs, vis, sig, block) = (&item.attrs, &item.vis, &item.sig, &item.block);
    let ret = match &sig.output {
        syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
        syn::ReturnType::Default => quote!(()),
    };
    // The result type as spelled, hashed as the schema hash hashes a
    // field's type: in the key, so a build whose result type has another
    // name or shape in the signature never reads this one's entries (a
    // nested struct whose fields changed order is read by field name, and
    // one that renamed a field does not decode: `cache-core`'s codec).
    let result_type = crate::schema_hash::schema_hash(&[("result".to_owned(), ret.to_string())], 0);
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            static __CACHED_QUERY: ::cache_diesel::CachedQuery = ::cache_diesel::CachedQuery::new(
                #label,
                ::cache_diesel::__private::Duration::from_secs(#timeout),
                #soft,
                &[#(#tables),*],
            )
            .result_type(#result_type);
            // Registered at link time: `cache_diesel::query(#label)` finds
            // it before the first call.
            #[::cache_diesel::__private::linkme::distributed_slice(::cache_diesel::__private::CACHED_QUERIES)]
            #[linkme(crate = ::cache_diesel::__private::linkme)]
            fn __cached_query_entry() -> &'static ::cache_diesel::CachedQuery {
                &__CACHED_QUERY
            }
            let __args = ::cache_diesel::__private::args_key(&(#(&#names,)*));
            __CACHED_QUERY.call(#conn, __args, move |#conn: #conn_ty| -> #ret #block)
        }
    })
}
