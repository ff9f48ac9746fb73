//! Templates written with `macro_rules!`-style variables (`$conn`, `$db`,
//! `$($aw)*`), filled in by the derive itself for each enabled connection
//! type. (A local `macro_rules!` did this before, but its definition, with
//! every backend's arms, was then part of each model's expansion: ~800
//! lines a model a build compiled whatever its features.)

use proc_macro2::{Group, TokenStream, TokenTree};

/// `template` with each `$name` replaced by its binding in `vars`, and
/// each `$($name)*` (one variable repeated, as the templates use it) by
/// the binding's tokens. A `$` not followed by a bound name is kept.
pub(super) fn substitute(template: &TokenStream, vars: &[(&str, &TokenStream)]) -> TokenStream {
    let lookup = |name: String| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| TokenStream::clone(v))
    };
    let mut out = TokenStream::new();
    let mut tokens = template.clone().into_iter().peekable();
    while let Some(tree) = tokens.next() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == '$' => match tokens.peek() {
                Some(TokenTree::Ident(name)) if lookup(name.to_string()).is_some() => {
                    out.extend(lookup(name.to_string()));
                    tokens.next();
                }
                Some(TokenTree::Group(g)) if repeated(g).and_then(&lookup).is_some() => {
                    let value = repeated(g).and_then(&lookup);
                    let group = tokens.next();
                    // The repetition's `*`; without it, `$( .. )` is no
                    // repetition, and is kept as written.
                    if matches!(tokens.peek(), Some(TokenTree::Punct(s)) if s.as_char() == '*') {
                        tokens.next();
                        out.extend(value);
                    } else {
                        out.extend([TokenTree::Punct(p)]);
                        out.extend(group.map(|g| match g {
                            TokenTree::Group(g) => TokenTree::Group(Group::new(
                                g.delimiter(),
                                substitute(&g.stream(), vars),
                            )),
                            other => other,
                        }));
                    }
                }
                _ => out.extend([TokenTree::Punct(p)]),
            },
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), substitute(&g.stream(), vars));
                inner.set_span(g.span());
                out.extend([TokenTree::Group(inner)]);
            }
            other => out.extend([other]),
        }
    }
    out
}

/// `name` of a repetition group `($name)` (parenthesized: `$[..]` and
/// `${..}` are not repetitions).
fn repeated(g: &Group) -> Option<String> {
    if g.delimiter() != proc_macro2::Delimiter::Parenthesis {
        return None;
    }
    let mut inner = g.stream().into_iter();
    match (inner.next(), inner.next(), inner.next()) {
        (Some(TokenTree::Punct(p)), Some(TokenTree::Ident(name)), None) if p.as_char() == '$' => {
            Some(name.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::substitute;
    use quote::quote;

    #[test]
    fn variables_and_repetitions_are_filled_in_nested_groups() {
        let template = quote! {
            $($asy)* fn f(conn: &mut $conn) { run::<$db>(conn) $($aw)* ; $unbound; $ }
        };
        let (conn, db, asy, aw) = (quote!(C), quote!(D), quote!(async), quote!(.await));
        let out = substitute(
            &template,
            &[("conn", &conn), ("db", &db), ("asy", &asy), ("aw", &aw)],
        );
        assert_eq!(
            out.to_string(),
            quote!(async fn f(conn: &mut C) { run::<D>(conn) .await ; $unbound; $ }).to_string()
        );
        let empty = proc_macro2::TokenStream::new();
        let out = substitute(&quote!($($aw)* x), &[("aw", &empty)]);
        assert_eq!(out.to_string(), "x");
        // Without `*`, or in brackets, no repetition: kept as written.
        let out = substitute(&quote!($($aw) x $[$aw]*), &[("aw", &aw)]);
        assert_eq!(out.to_string(), quote!($(.await) x $[.await]*).to_string());
    }
}
