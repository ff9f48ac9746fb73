//! What ordering and pagination add to the generated code: the order enum
//! (`{Model}Order`), the sort key of keyset pagination (`{Model}SortKey`),
//! the filter's `order_by`/`limit`/`offset`/`after` builders, and, per
//! connection type, the keyset condition and the ordered, windowed query.

use crate::ast::{Field, Model};
use crate::case::pascal;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub(crate) fn order_ident(m: &Model) -> syn::Ident {
    format_ident!("{}Order", m.ident)
}

pub(crate) fn sort_key_ident(m: &Model) -> syn::Ident {
    format_ident!("{}SortKey", m.ident)
}

/// One way to order a list: a column (or the primary key's columns) and a
/// direction.
struct Direction<'a> {
    /// The columns compared, in order: the ordered column then the primary
    /// key's (ties are broken by the key), or the primary key's.
    columns: Vec<&'a Field>,
    /// How many of `columns` the order names (the rest break ties).
    named: usize,
    variant: syn::Ident,
    /// `price` or `-price`: what `FromStr`, `Display` and serde use.
    text: String,
    descending: bool,
}

fn directions(m: &Model) -> Vec<Direction<'_>> {
    let key = (!m.pk.is_empty()).then(|| m.pk_key());
    let pk: Vec<&Field> = key.iter().flat_map(|k| k.fields.clone()).collect();
    let by_key = key.map(|k| {
        (
            k.text(),
            k.variant().to_string(),
            k.fields.clone(),
            k.fields.len(),
        )
    });
    let by_column = m.order_by.iter().map(|&i| {
        let field = &m.fields[i];
        let name = syn::ext::IdentExt::unraw(&field.ident).to_string();
        let mut columns = vec![field];
        columns.extend(&pk);
        (name.clone(), pascal(&name), columns, 1)
    });
    by_key
        .into_iter()
        .chain(by_column)
        .flat_map(|(name, base, columns, named)| {
            [
                Direction {
                    columns: columns.clone(),
                    named,
                    variant: format_ident!("{}Asc", base),
                    text: name.clone(),
                    descending: false,
                },
                Direction {
                    columns,
                    named,
                    variant: format_ident!("{}Desc", base),
                    text: format!("-{name}"),
                    descending: true,
                },
            ]
        })
        .collect()
}

impl Direction<'_> {
    /// What the order names, for docs: `price`, `post_id, tag_id`.
    fn named_fields(&self) -> String {
        self.columns[..self.named]
            .iter()
            .map(|f| f.ident.to_string())
            .collect::<Vec<_>>()
            .join("`, `")
    }
}

/// The order enum and the sort key struct, next to the model.
pub(crate) fn public_items(m: &Model) -> TokenStream {
    let (model, vis) = (&m.ident, &m.vis);
    let (order, sort_key) = (order_ident(m), sort_key_ident(m));
    let serde = quote!(::cache_diesel::__private::serde);
    let dirs = directions(m);
    let variants = dirs.iter().map(|d| {
        let (v, text) = (&d.variant, &d.text);
        let doc = if d.descending {
            format!("By `{}`, descending (`{text}`).", d.named_fields())
        } else {
            format!("By `{}`, ascending (`{text}`).", d.named_fields())
        };
        quote!(#[doc = #doc] #v)
    });
    let texts: Vec<&String> = dirs.iter().map(|d| &d.text).collect();
    let idents: Vec<&syn::Ident> = dirs.iter().map(|d| &d.variant).collect();
    let default = match dirs.first() {
        Some(d) => {
            let v = &d.variant;
            quote!(Self::#v)
        }
        None => quote!(::core::unimplemented!()),
    };
    let matched = if dirs.is_empty() {
        quote!(match *self)
    } else {
        quote!(match self)
    };
    let key_fields: Vec<&Field> = m.order_fields().collect();
    let key_decls = key_fields.iter().map(|f| {
        let (name, ty) = (&f.ident, &f.ty);
        quote!(#[doc = concat!("The row's `", stringify!(#name), "`.")] pub #name: #ty)
    });
    let key_inits = key_fields.iter().map(|f| {
        let name = &f.ident;
        quote!(#name: ::core::clone::Clone::clone(&row.#name))
    });
    let (key_derives, key_serde) = sort_key_serde(&sort_key, &key_fields);
    let from_record = if m.has_relations() {
        let record = m.record_ident();
        quote! {
            impl ::core::convert::From<&#record> for #sort_key {
                fn from(record: &#record) -> Self { Self::of(record) }
            }
        }
    } else {
        quote!()
    };
    let order_doc = format!(
        "How a list of [`{model}`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as {}; ties are broken by the primary key in the same direction.",
        texts
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[doc = #order_doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #vis enum #order { #(#variants,)* }

        // Its text form (`Display`, `FromStr`), as a string.
        impl #serde::Serialize for #order {
            fn serialize<__S: #serde::Serializer>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> #serde::Deserialize<'de> for #order {
            fn deserialize<__D: #serde::Deserializer<'de>>(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
                ::cache_diesel::__private::deserialize_order(deserializer)
            }
        }

        impl ::core::default::Default for #order {
            fn default() -> Self { #default }
        }

        impl #order {
            #[doc = "Every accepted text form, in declaration order."]
            pub const ACCEPTED: &'static [&'static str] = &[#(#texts),*];
        }

        impl ::core::fmt::Display for #order {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #matched { #(Self::#idents => f.write_str(#texts),)* }
            }
        }

        impl ::core::str::FromStr for #order {
            type Err = ::cache_diesel::ParseOrderError;
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                match s {
                    #(#texts => ::core::result::Result::Ok(Self::#idents),)*
                    _ => ::core::result::Result::Err(::cache_diesel::ParseOrderError {
                        given: ::std::string::ToString::to_string(s),
                        accepted: Self::ACCEPTED,
                    }),
                }
            }
        }

        #[doc = concat!("Where a page of [`", stringify!(#model), "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row.")]
        #key_derives
        #vis struct #sort_key { #(#key_decls,)* }
        #key_serde

        impl #sort_key {
            #[doc = "The sort key of `row` (a record coerces to its model)."]
            #[allow(unused_variables)]
            pub fn of(row: &#model) -> Self { Self { #(#key_inits,)* } }
        }

        impl ::core::convert::From<&#model> for #sort_key {
            fn from(row: &#model) -> Self { Self::of(row) }
        }

        #from_record
    }
}

/// The filter's `__page` field.
pub(crate) fn filter_field(m: &Model) -> TokenStream {
    let (order, sort_key) = (order_ident(m), sort_key_ident(m));
    quote!(__page: ::cache_diesel::__private::Page<#order, #sort_key>)
}

/// The filter's builders for the order and the window.
pub(crate) fn filter_builders(m: &Model) -> TokenStream {
    let (order, sort_key) = (order_ident(m), sort_key_ident(m));
    quote! {
        #[doc = "Orders the list (the primary key ascending by default; ties are broken by the primary key)."]
        pub fn order_by(mut self, order: #order) -> Self { self.__page.order = order; self }
        #[doc = "At most `n` rows (`LIMIT n`, an `i64` as Diesel's `limit` takes; the database judges a negative one)."]
        pub fn limit(mut self, n: i64) -> Self { self.__page.limit = ::core::option::Option::Some(n); self }
        #[doc = "Skips the first `n` rows (`OFFSET n`, an `i64` as Diesel's `offset` takes)."]
        pub fn offset(mut self, n: i64) -> Self { self.__page.offset = ::core::option::Option::Some(n); self }
        #[doc = "Keyset pagination: only the rows after `key` (the sort key of the previous page's last row) in this filter's order."]
        pub fn after(mut self, key: #sort_key) -> Self { self.__page.after = ::core::option::Option::Some(key); self }
        #[doc = "The same conditions and order without the window (limit, offset and `after`): every row the pages walk through."]
        pub fn without_window(mut self) -> Self {
            self.__page.limit = ::core::option::Option::None;
            self.__page.offset = ::core::option::Option::None;
            self.__page.after = ::core::option::Option::None;
            self
        }
    }
}

/// Rows after `after` in the order of `columns` (lexicographic):
/// `c1 > a.c1 OR (c1 = a.c1 AND (c2 > a.c2 OR ..))`, `<` descending.
fn after_condition(table: &syn::Path, columns: &[&Field], cmp: &TokenStream) -> TokenStream {
    let clone = quote!(::core::clone::Clone::clone);
    let (first, rest) = columns.split_first().expect("an order has a column");
    let (col, ident) = (&first.column, &first.ident);
    let beyond = quote!(#table::#col.#cmp(#clone(&after.#ident)));
    if rest.is_empty() {
        return beyond;
    }
    let tie = after_condition(table, rest, cmp);
    quote!(#beyond.or(#table::#col.eq(#clone(&after.#ident)).and(#tie)))
}

/// `FilterCondition::keyset` (`$db` is the per-connection macro's).
pub(crate) fn keyset_fn(m: &Model, boxed: &TokenStream) -> TokenStream {
    let (order, table) = (order_ident(m), m.table());
    let arms = directions(m).into_iter().map(|d| {
        let v = &d.variant;
        let cmp = if d.descending { quote!(lt) } else { quote!(gt) };
        let condition = after_condition(table, &d.columns, &cmp);
        quote!(#order::#v => ::std::boxed::Box::new(#condition))
    });
    quote! {
        #[inline]
        fn keyset(&self) -> ::core::option::Option<#boxed> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::diesel::prelude::*;
            let after = self.__page.after.as_ref()?;
            ::core::option::Option::Some(match self.__page.order { #(#arms,)* })
        }
    }
}

/// Statements that order and window the boxed select `query` by `filter`
/// (in a per-connection body, with Diesel's prelude in scope).
pub(crate) fn order_and_window(m: &Model, source: &TokenStream) -> TokenStream {
    let (order, table) = (order_ident(m), m.table());
    let arms = directions(m).into_iter().map(|d| {
        let v = &d.variant;
        let dir = if d.descending {
            quote!(desc)
        } else {
            quote!(asc)
        };
        let cols = d.columns.iter().map(|f| &f.column);
        if d.columns.len() == 1 {
            quote!(#order::#v => query.order_by(#(#table::#cols.#dir())*))
        } else {
            quote!(#order::#v => query.order_by((#(#table::#cols.#dir(),)*)))
        }
    });
    quote! {
        if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition::<#source, $db>::keyset(filter)
        {
            query = query.filter(keyset);
        }
        query = match filter.__page.order { #(#arms,)* };
        if let ::core::option::Option::Some(n) = filter.__page.sql_limit() {
            query = query.limit(n);
        }
        if let ::core::option::Option::Some(n) = filter.__page.sql_offset() {
            query = query.offset(n);
        }
    }
}

/// The derives of a sort key and its serde impls: for up to 8 fields,
/// written here, a struct of the fields' names as serde's derive writes
/// and reads it (the reading in cache-diesel's `sort_key.rs`, once for
/// every model); serde's derive for more.
fn sort_key_serde(sort_key: &syn::Ident, fields: &[&Field]) -> (TokenStream, TokenStream) {
    let serde = quote!(::cache_diesel::__private::serde);
    let private = quote!(::cache_diesel::__private);
    if fields.len() > 8 {
        let serde_path = "::cache_diesel::__private::serde";
        let derives = quote! {
            #[derive(Clone, Debug, #serde::Serialize, #serde::Deserialize)]
            #[serde(crate = #serde_path)]
        };
        let key_fields = quote! {
            impl #private::KeyFields for #sort_key {
                type Fields<'a> = &'a Self;
                fn key_fields(&self) -> &Self { self }
            }
        };
        return (derives, key_fields);
    }
    let idents: Vec<&syn::Ident> = fields.iter().map(|f| &f.ident).collect();
    let ref_tys = fields.iter().map(|f| {
        let ty = &f.ty;
        quote!(&'a #ty)
    });
    let tys = fields.iter().map(|f| &f.ty);
    let names: Vec<String> = idents
        .iter()
        .map(|i| syn::ext::IdentExt::unraw(*i).to_string())
        .collect();
    let (name, len) = (sort_key.to_string(), fields.len());
    let impls = quote! {
        const _: () = {
            impl #private::KeyFields for #sort_key {
                type Fields<'a> = (#(#ref_tys,)*);
                fn key_fields(&self) -> Self::Fields<'_> { (#(&self.#idents,)*) }
            }
            impl #serde::Serialize for #sort_key {
                fn serialize<__S: #serde::Serializer>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                    use #serde::ser::SerializeStruct as _;
                    let mut s = serializer.serialize_struct(#name, #len)?;
                    #( s.serialize_field(#names, &self.#idents)?; )*
                    s.end()
                }
            }
            impl<'de> #serde::Deserialize<'de> for #sort_key {
                fn deserialize<__D: #serde::Deserializer<'de>>(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
                    let (#(#idents,)*) = ::cache_diesel::__private::deserialize_sort_key::<__D, (#(#tys,)*)>(
                        deserializer, #name, &[#(#names),*],
                    )?;
                    ::core::result::Result::Ok(Self { #(#idents),* })
                }
            }
        };
    };
    (quote!(#[derive(Clone, Debug)]), impls)
}
