//! The checks of a model's options: each refuses what the derive cannot
//! generate, reported where it is written.

use super::{Field, is_option};
use crate::ctxt::Ctxt;
use syn::Ident;

/// What a composite primary key does not support (yet): each such option
/// is reported where it is written.
pub(super) fn check_composite_key(options: &crate::attr::CacheAttrs, model: &Ident, cx: &mut Ctxt) {
    let refused = options
        .unique
        .iter()
        .map(|n| (n, "unique"))
        .chain(options.select_related.iter().map(|n| (n, "select_related")))
        .chain(options.prefetch.iter().map(|p| (&p.name, "prefetch")));
    for (name, option) in refused {
        cx.error(
            name,
            format!("{option}(`{name}`): `{model}` has a composite primary key, which #[derive(Cached)] does not combine with unique(..), select_related(..) or prefetch(..); cache the model without it, or give the table a single-column key"),
        );
    }
}

/// The generated filter's own methods (and the traits' it derives), which
/// a filter column's builder may not shadow.
pub(super) const FILTER_METHODS: [&str; 7] = [
    "order_by",
    "limit",
    "offset",
    "after",
    "without_window",
    "default",
    "clone",
];

/// A filter column's builders are `col` and `col_in`: neither may be taken.
pub(super) fn check_filter_names(names: &[Ident], cx: &mut Ctxt) {
    for name in names {
        if FILTER_METHODS.iter().any(|m| name == m) {
            cx.error(
                name,
                format!("filter(`{name}`) would shadow the filter's own `{name}` method (order_by, limit, offset, after, without_window, default and clone are taken); filter by this column with `all_where`"),
            );
        }
        if let Some(other) = names.iter().find(|n| **n == format!("{name}_in")) {
            cx.error(
                other,
                format!("filter(`{other}`) clashes with the `{other}` builder of filter(`{name}`) (its IN condition); filter by one of them with `all_where`"),
            );
        }
    }
}

/// A name listed twice in one option is a mistake (a typo for another
/// column, often): reported, at its second place.
pub(super) fn check_duplicates(lists: &[(&str, &[Ident])], cx: &mut Ctxt) {
    for (option, names) in lists {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                cx.error(name, format!("`{name}` is listed twice in {option}(..)"));
            }
        }
    }
}

/// Keyset pagination compares sort keys, and SQL's NULL compares to
/// nothing: nullable columns cannot order a list.
pub(super) fn check_order_by(names: &[Ident], found: &[usize], fields: &[Field], cx: &mut Ctxt) {
    for (name, &i) in names
        .iter()
        .filter(|n| fields.iter().any(|f| f.ident == **n))
        .zip(found)
    {
        if is_option(&fields[i].ty) {
            cx.error(
                name,
                format!("order_by(`{name}`): a nullable column cannot order a list (keyset pagination cannot compare NULLs); order by a NOT NULL column"),
            );
        }
    }
}

/// A filter's conditions are `col = value` and `col IN (..)`, which a NULL
/// never satisfies: nullable columns are refused, with the way out.
pub(super) fn check_nullable_filters(names: &[Ident], fields: &[Field], cx: &mut Ctxt) {
    for name in names {
        if let Some(field) = fields.iter().find(|f| f.ident == *name)
            && is_option(&field.ty)
        {
            cx.error(
                name,
                format!("filter(`{name}`): a nullable column cannot be a filter column (`= value` never matches NULL); list it by condition with `all_where` (e.g. `{name}.is_null()`)"),
            );
        }
    }
}

/// Names become enum variants in PascalCase (`a_b` and `a__b` both `AB`):
/// two that meet would be a duplicate variant.
pub(super) fn check_variant_names(names: &[Ident], option: &str, cx: &mut Ctxt) {
    let pascal_of = |n: &Ident| crate::case::pascal(&syn::ext::IdentExt::unraw(n).to_string());
    for (i, name) in names.iter().enumerate() {
        if let Some(other) = names[..i]
            .iter()
            .find(|o| *o != name && pascal_of(o) == pascal_of(name))
        {
            cx.error(
                name,
                format!("{option}(`{other}`, `{name}`): both name the generated variant `{}`; rename one field", pascal_of(name)),
            );
        }
    }
}
