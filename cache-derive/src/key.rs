//! A key rows are looked up by: the primary key (one column, or several
//! for a composite key) or one `unique(..)` column. Each is one variant of
//! `{Model}Unique`, one kind of detail entry and one tag per value; this
//! module spells, for either shape, its Rust type, its SQL condition, its
//! value in a row and its names.

use crate::ast::{Field, Model};
use crate::case::pascal;
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};

/// One column, or the columns of a composite primary key, in order.
pub(crate) struct Key<'a> {
    pub fields: Vec<&'a Field>,
}

impl<'a> Key<'a> {
    pub(crate) fn one(field: &'a Field) -> Self {
        Key {
            fields: vec![field],
        }
    }

    fn names(&self) -> Vec<String> {
        self.fields
            .iter()
            .map(|f| syn::ext::IdentExt::unraw(&f.ident).to_string())
            .collect()
    }

    /// The variant of `{Model}Unique` (and the stem of the order's):
    /// `Id`, `Slug`, `PostIdTagId`.
    pub(crate) fn variant(&self) -> syn::Ident {
        format_ident!("{}", pascal(&self.names().join("_")))
    }

    /// The value's type: the column's, or a tuple of the columns'.
    pub(crate) fn ty(&self) -> TokenStream {
        match self.fields.as_slice() {
            [one] => one.ty.to_token_stream(),
            many => {
                let tys = many.iter().map(|f| &f.ty);
                quote!((#(#tys,)*))
            }
        }
    }

    /// Whether the value is one column of a primitive integer type, named
    /// as such (`i32`, `u64`...): its value key is its decimal text, written
    /// without serde (the same bytes as serde_json's: both are itoa's).
    pub(crate) fn is_integer(&self) -> bool {
        const INTEGERS: [&str; 12] = [
            "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        ];
        match self.fields.as_slice() {
            [one] => match &one.ty {
                syn::Type::Path(p) if p.qself.is_none() => p
                    .path
                    .get_ident()
                    .is_some_and(|ident| INTEGERS.iter().any(|name| ident == name)),
                _ => false,
            },
            _ => false,
        }
    }

    /// The column (or columns, comma-separated) as `UniqueKey::column`
    /// and `ModelInfo::primary_key` name it.
    /// The key's column as keys and tags name it: the SQL name of one
    /// column (see [`Model::column_name`](crate::ast::Model::column_name)),
    /// the text of a composite key's (`a,b`).
    pub(crate) fn column_name(&self, m: &Model) -> TokenStream {
        match self.fields.as_slice() {
            [one] => m.column_name(&one.column),
            _ => {
                let text = self.column_text();
                quote!(#text)
            }
        }
    }

    pub(crate) fn column_text(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.column.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The field (or fields) as the order's text names it: `id`,
    /// `post_id,tag_id`.
    pub(crate) fn text(&self) -> String {
        self.names().join(",")
    }

    /// The parts of a value `value` (an expression of type `&ty`), each as
    /// an expression of the part's type, cloned.
    fn parts(&self, value: &TokenStream) -> Vec<TokenStream> {
        let clone = quote!(::core::clone::Clone::clone);
        match self.fields.len() {
            1 => vec![quote!(#clone(#value))],
            n => (0..n)
                .map(|i| {
                    let i = syn::Index::from(i);
                    quote!(#clone(&(#value).#i))
                })
                .collect(),
        }
    }

    /// `table::col.eq(value)`, and-ed over the columns of a composite key
    /// (`value`: an expression of type `&ty`).
    pub(crate) fn eq(&self, table: &syn::Path, value: TokenStream) -> TokenStream {
        let conditions: Vec<TokenStream> = self
            .fields
            .iter()
            .zip(self.parts(&value))
            .map(|(f, part)| {
                let col = &f.column;
                quote!(#table::#col.eq(#part))
            })
            .collect();
        let (first, rest) = conditions.split_first().expect("a key has a column");
        quote!(#first #(.and(#rest))*)
    }

    /// The type of [`Key::eq`].
    pub(crate) fn eq_type(&self, table: &syn::Path) -> TokenStream {
        let dsl = quote!(::cache_diesel::__private::diesel::dsl);
        let mut types = self.fields.iter().map(|f| {
            let (col, ty) = (&f.column, &f.ty);
            quote!(#dsl::Eq<#table::#col, #ty>)
        });
        let first = types.next().expect("a key has a column");
        types.fold(first, |acc, next| quote!(#dsl::And<#acc, #next>))
    }

    /// The key's value in `row` (an expression of the model's type).
    pub(crate) fn of_row(&self, row: TokenStream) -> TokenStream {
        let clone = quote!(::core::clone::Clone::clone);
        let parts = self.fields.iter().map(|f| {
            let ident = &f.ident;
            quote!(#clone(&#row.#ident))
        });
        match self.fields.len() {
            1 => quote!(#(#parts)*),
            _ => quote!((#(#parts,)*)),
        }
    }

    /// The key's order, ascending: `table::id.asc()`, or a tuple of the
    /// columns' for a composite key.
    pub(crate) fn ascending(&self, table: &syn::Path) -> TokenStream {
        let cols = self.fields.iter().map(|f| &f.column);
        match self.fields.len() {
            1 => quote!(#(#table::#cols.asc())*),
            _ => quote!((#(#table::#cols.asc(),)*)),
        }
    }
}

/// The keys of a model: its primary key and its `unique(..)` columns.
impl Model {
    /// The primary key (always there when the input had no errors).
    pub(crate) fn pk_key(&self) -> Key<'_> {
        assert!(
            !self.pk.is_empty(),
            "a model without errors has a primary key"
        );
        Key {
            fields: self.pk.iter().map(|&i| &self.fields[i]).collect(),
        }
    }

    /// What a row is looked up by: the primary key (if found), then each
    /// `unique(..)` column.
    pub(crate) fn unique_keys(&self) -> Vec<Key<'_>> {
        let pk = (!self.pk.is_empty()).then(|| self.pk_key());
        pk.into_iter()
            .chain(self.unique.iter().map(|&i| Key::one(&self.fields[i])))
            .collect()
    }
}
