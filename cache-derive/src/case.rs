//! Name conversions.

/// `name` as an identifier: raw where it is a keyword (`r#type`), with a
/// trailing `_` where Rust allows no raw identifier (`crate_`).
pub(crate) fn ident(name: &str) -> syn::Ident {
    let span = proc_macro2::Span::call_site();
    match name {
        "self" | "super" | "crate" | "Self" => syn::Ident::new(&format!("{name}_"), span),
        _ if syn::parse_str::<syn::Ident>(name).is_ok() => syn::Ident::new(name, span),
        _ => syn::Ident::new_raw(name, span),
    }
}

/// `ProductCategory` -> `product_category`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `category_id` -> `CategoryId`.
pub(crate) fn pascal(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(cs).collect())
        })
        .collect()
}
