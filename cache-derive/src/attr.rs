//! Reading `#[cache(..)]` and Diesel's own `#[diesel(..)]` attributes.
//! Every mistake is recorded in the [`Ctxt`] and parsing goes on, so all of
//! them are reported at once.

use crate::ctxt::Ctxt;
use proc_macro2::TokenTree;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Path, Token};

const CACHE_OPTIONS: &str = "key = \"..\", list_timeout = secs, detail_timeout = secs, not_found_timeout = secs, soft_timeout = secs, refresh = \"inline\"|\"background\", unique(field, ..), filter(field, ..), order_by(field, ..), version = n, select_related(relation, ..), prefetch(name(Model), name(Model, through = JoinModel), ..), prefetch_for_list = bool, id_lists, view_of = \"table\"";

/// The options of `#[cache(..)]`.
#[derive(Default)]
pub(crate) struct CacheAttrs {
    pub key: Option<LitStr>,
    pub list_timeout: Option<u64>,
    pub detail_timeout: Option<u64>,
    pub not_found_timeout: Option<u64>,
    pub soft_timeout: Option<u64>,
    pub unique: Vec<Ident>,
    pub filter: Vec<Ident>,
    pub order_by: Vec<Ident>,
    pub version: Option<u64>,
    pub select_related: Vec<Ident>,
    pub prefetch: Vec<PrefetchAttr>,
    pub prefetch_for_list: Option<bool>,
    pub background_refresh: Option<bool>,
    pub id_lists: bool,
    pub view_of: Option<LitStr>,
}

/// `name(Model)` or `name(Model, through = JoinModel)` in `prefetch(..)`.
pub(crate) struct PrefetchAttr {
    pub name: Ident,
    pub model: Path,
    pub through: Option<Path>,
}

pub(crate) fn cache_attrs(attrs: &[Attribute], cx: &mut Ctxt) -> CacheAttrs {
    let mut out = CacheAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("cache")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let name = meta
                .path
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            match name.as_str() {
                "key" => {
                    if let Some(s) = string_value(&meta, cx)? {
                        set_once(&mut out.key, s, &meta, cx);
                    }
                }
                "view_of" => {
                    if let Some(s) = string_value(&meta, cx)? {
                        set_once(&mut out.view_of, s, &meta, cx);
                    }
                }
                "list_timeout" => seconds(&meta, cx, &mut out.list_timeout)?,
                "detail_timeout" => seconds(&meta, cx, &mut out.detail_timeout)?,
                "not_found_timeout" => seconds(&meta, cx, &mut out.not_found_timeout)?,
                "soft_timeout" => seconds(&meta, cx, &mut out.soft_timeout)?,
                "version" => seconds(&meta, cx, &mut out.version)?,
                "unique" => field_list(&meta, cx, &mut out.unique)?,
                "filter" => field_list(&meta, cx, &mut out.filter)?,
                "order_by" => field_list(&meta, cx, &mut out.order_by)?,
                "select_related" => field_list(&meta, cx, &mut out.select_related)?,
                "prefetch" => prefetch_list(&meta, cx, &mut out.prefetch)?,
                "refresh" => {
                    let expr: Expr = meta.value()?.parse()?;
                    match &expr {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Str(s), ..
                        }) if s.value() == "background" => {
                            set_once(&mut out.background_refresh, true, &meta, cx)
                        }
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Str(s), ..
                        }) if s.value() == "inline" => {
                            set_once(&mut out.background_refresh, false, &meta, cx)
                        }
                        _ => cx.error(&expr, "`refresh` expects \"inline\" or \"background\""),
                    }
                }
                "id_lists" => {
                    if out.id_lists {
                        cx.error(&meta.path, "duplicate #[cache] option");
                    }
                    out.id_lists = true;
                }
                "prefetch_for_list" => {
                    let expr: Expr = meta.value()?.parse()?;
                    match &expr {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Bool(b), ..
                        }) => set_once(&mut out.prefetch_for_list, b.value, &meta, cx),
                        _ => cx.error(&expr, "`prefetch_for_list` expects true or false"),
                    }
                }
                _ => {
                    cx.error(
                        &meta.path,
                        format!("unknown #[cache] option; accepted are: {CACHE_OPTIONS}"),
                    );
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.push(e);
        }
    }
    out
}

fn set_once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta, cx: &mut Ctxt) {
    if slot.is_some() {
        cx.error(&meta.path, "duplicate #[cache] option");
    }
    *slot = Some(value);
}

fn string_value(meta: &ParseNestedMeta, cx: &mut Ctxt) -> syn::Result<Option<LitStr>> {
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) if !s.value().is_empty() => Ok(Some(s)),
        other => {
            cx.error(
                &other,
                "`key` expects a non-empty string literal, e.g. key = \"product\"",
            );
            Ok(None)
        }
    }
}

fn seconds(meta: &ParseNestedMeta, cx: &mut Ctxt, slot: &mut Option<u64>) -> syn::Result<()> {
    let name = meta
        .path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_default();
    let expr: Expr = meta.value()?.parse()?;
    let value = match &expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<u64>().ok(),
        _ => None,
    };
    match value {
        Some(v) => set_once(slot, v, meta, cx),
        None if name == "version" => cx.error(
            &expr,
            "`version` expects a non-negative integer, e.g. version = 2",
        ),
        None => cx.error(
            &expr,
            format!("`{name}` expects whole seconds as an integer literal, e.g. {name} = 60"),
        ),
    }
    Ok(())
}

fn field_list(meta: &ParseNestedMeta, cx: &mut Ctxt, out: &mut Vec<Ident>) -> syn::Result<()> {
    let name = meta
        .path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_default();
    if !meta.input.peek(syn::token::Paren) {
        cx.error(
            &meta.path,
            format!("`{name}` expects a list of field names, e.g. {name}(slug)"),
        );
        return skip_value(meta);
    }
    meta.parse_nested_meta(|inner| {
        match inner.path.get_ident() {
            Some(ident) if inner.input.is_empty() || inner.input.peek(Token![,]) => {
                out.push(ident.clone())
            }
            _ => {
                cx.error(&inner.path, format!("`{name}(..)` takes field names only"));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })
}

fn prefetch_list(
    meta: &ParseNestedMeta,
    cx: &mut Ctxt,
    out: &mut Vec<PrefetchAttr>,
) -> syn::Result<()> {
    const SHAPE: &str = "`prefetch(..)` takes name(Model) or name(Model, through = JoinModel)";
    if !meta.input.peek(syn::token::Paren) {
        cx.error(&meta.path, SHAPE);
        return skip_value(meta);
    }
    meta.parse_nested_meta(|inner| {
        let Some(name) = inner.path.get_ident().cloned() else {
            cx.error(&inner.path, SHAPE);
            return skip_value(&inner);
        };
        if !inner.input.peek(syn::token::Paren) {
            cx.error(&inner.path, SHAPE);
            return skip_value(&inner);
        }
        let (mut model, mut through) = (None, None);
        inner.parse_nested_meta(|m| {
            if m.path.is_ident("through") {
                through = Some(m.value()?.parse::<Path>()?);
            } else {
                model = Some(m.path.clone());
            }
            Ok(())
        })?;
        match model {
            Some(model) => out.push(PrefetchAttr {
                name,
                model,
                through,
            }),
            None => cx.error(&name, SHAPE),
        }
        Ok(())
    })
}

/// Consumes an option's value (`= tokens` up to the next comma, or a
/// parenthesised group) without interpreting it.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        skip_to_comma(meta.input)?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn skip_to_comma(input: ParseStream) -> syn::Result<()> {
    while !input.is_empty() && !input.peek(Token![,]) {
        input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// What the derive reads from a struct's `#[diesel(..)]` attributes.
#[derive(Default)]
pub(crate) struct DieselAttrs {
    pub table_name: Option<Path>,
    pub primary_key: Option<Vec<Ident>>,
    /// `belongs_to(Parent)` / `belongs_to(Parent, foreign_key = field)`.
    pub belongs_to: Vec<(Path, Option<Ident>)>,
}

/// Reads `table_name` and `primary_key`; every other Diesel option is
/// Diesel's business and skipped.
pub(crate) fn diesel_struct_attrs(attrs: &[Attribute], cx: &mut Ctxt) -> DieselAttrs {
    let mut out = DieselAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name") {
                out.table_name = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("primary_key") {
                let mut keys = Vec::new();
                meta.parse_nested_meta(|inner| {
                    if let Some(ident) = inner.path.get_ident() {
                        keys.push(ident.clone());
                    }
                    Ok(())
                })?;
                out.primary_key = Some(keys);
            } else if meta.path.is_ident("belongs_to") {
                let (mut parent, mut foreign_key) = (None, None);
                meta.parse_nested_meta(|inner| {
                    if inner.path.is_ident("foreign_key") {
                        foreign_key = Some(inner.value()?.parse::<Ident>()?);
                    } else {
                        parent = Some(inner.path.clone());
                    }
                    Ok(())
                })?;
                if let Some(parent) = parent {
                    out.belongs_to.push((parent, foreign_key));
                }
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.push(e);
        }
    }
    out
}

/// A field's `#[diesel(column_name = ..)]`, if any.
pub(crate) fn diesel_column_name(attrs: &[Attribute], cx: &mut Ctxt) -> Option<Ident> {
    let mut column = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("column_name") {
                column = Some(meta.value()?.parse::<Ident>()?);
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = parsed {
            cx.push(e);
        }
    }
    column
}
