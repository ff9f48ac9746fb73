//! The model as the derive understands it, validated: every error found in
//! the input is reported together.
//!
//! Here the model, its fields and how they are read from the input; in
//! `checks`, what each option refuses; the unit tests in `tests`.

mod checks;
#[cfg(test)]
mod tests;

use crate::attr::{PrefetchAttr, cache_attrs, diesel_column_name, diesel_struct_attrs};
use crate::case::snake;
use crate::ctxt::Ctxt;
use crate::schema_hash::schema_hash;
use checks::{
    FILTER_METHODS, check_composite_key, check_duplicates, check_filter_names,
    check_nullable_filters, check_order_by, check_variant_names,
};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type, Visibility};

/// qscache's defaults.
const LIST_TIMEOUT: u64 = 86_400;
const DETAIL_TIMEOUT: u64 = 60;
const NOT_FOUND_TIMEOUT_MAX: u64 = 10;

pub(crate) struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub column: Ident,
    /// The field's `#[diesel(..)]` and `#[serde(..)]` attributes as
    /// printed: how its column maps and how it is encoded, for the schema
    /// hash (a build that maps `a` to column `b` reads other values).
    pub mapping: String,
}

/// A belongs-to relation loaded in the same query (`select_related`).
pub(crate) struct Joined {
    pub name: Ident,
    pub parent: Path,
    /// The foreign key may be NULL: a left join, and an `Option`.
    pub nullable: bool,
}

/// The model. When the input had errors, as much of it as could be read
/// (for the stubs): `table` and `pk` may then be missing, and the lists
/// hold only the names that resolved.
pub(crate) struct Model {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: Option<Path>,
    pub fields: Vec<Field>,
    /// The primary key's fields, in order (several: a composite key; none:
    /// not found, in stubs).
    pub pk: Vec<usize>,
    pub unique: Vec<usize>,
    pub filter: Vec<usize>,
    /// The columns lists may be ordered by besides the primary key.
    pub order_by: Vec<usize>,
    pub key: String,
    pub list_timeout: u64,
    pub detail_timeout: u64,
    pub not_found_timeout: u64,
    pub soft_timeout: Option<u64>,
    pub schema_hash: String,
    pub joined: Vec<Joined>,
    pub prefetch: Vec<PrefetchAttr>,
    pub prefetch_for_list: bool,
    pub background_refresh: bool,
    /// `id_lists`: lists hold their rows' ids, the rows their own entries.
    pub id_lists: bool,
    /// `view_of = "table"`: the model's table is a view showing rows of
    /// that table, its columns under their own names.
    pub view_of: Option<String>,
    /// Whether the model had no errors (its columns are then named by
    /// their SQL names, from Diesel; in stubs by their idents).
    pub valid: bool,
}

/// What the derive made of its input.
pub(crate) enum Parsed {
    /// A valid model.
    Model(Model),
    /// Every error found, combined, and what could be read of the model
    /// (for the stubs); `None` when the input is no model at all (not a
    /// struct with named fields, or generic): no stubs then.
    Errors {
        errors: syn::Error,
        partial: Option<Model>,
    },
}

impl Model {
    pub(crate) fn from_input(input: &DeriveInput) -> Parsed {
        let mut cx = Ctxt::default();
        let fields = named_fields(input, &mut cx);
        let generic = !input.generics.params.is_empty();
        if generic {
            cx.error(
                &input.generics,
                "#[derive(Cached)] does not support generic models",
            );
        }
        let stubbable = fields.is_some() && !generic;
        let options = cache_attrs(&input.attrs, &mut cx);
        let diesel = diesel_struct_attrs(&input.attrs, &mut cx);
        if diesel.table_name.is_none() {
            cx.error(
                &input.ident,
                "#[derive(Cached)] needs the model's table: add #[diesel(table_name = your_table)]",
            );
        }
        let fields = fields.unwrap_or_default();
        let find = |name: &Ident| fields.iter().position(|f| f.ident == *name);

        let named_pk = diesel.primary_key.as_ref().is_some_and(|p| !p.is_empty());
        let pk_idents = match diesel.primary_key {
            Some(idents) if !idents.is_empty() => idents,
            _ => vec![Ident::new("id", input.ident.span())],
        };
        let found: Vec<Option<usize>> = pk_idents.iter().map(find).collect();
        for (ident, found) in pk_idents.iter().zip(&found) {
            if found.is_none() && !fields.is_empty() {
                // (A key the user named is a typo to point at, not a
                // default to explain.)
                let what = if !named_pk {
                    format!(
                        "no field `{ident}` to use as the primary key; name it with #[diesel(primary_key(field))]"
                    )
                } else {
                    format!(
                        "no field `{ident}` on `{}` for primary_key(..)",
                        input.ident
                    )
                };
                cx.error(ident, what);
            }
        }
        let pk: Vec<usize> = if found.iter().all(Option::is_some) {
            dedup(found.into_iter().flatten())
        } else {
            Vec::new()
        };
        if pk.len() > 1 {
            check_composite_key(&options, &input.ident, &mut cx);
        }
        let mut lookup = |names: &[Ident], option: &str| -> Vec<usize> {
            names
                .iter()
                .filter_map(|name| {
                    let found = find(name);
                    if found.is_none() {
                        cx.error(
                            name,
                            format!(
                                "no field `{name}` on `{}`; {option}(..) takes field names",
                                input.ident
                            ),
                        );
                    }
                    found
                })
                .collect()
        };
        let unique = lookup(&options.unique, "unique");
        let filter = lookup(&options.filter, "filter");
        let order_by = lookup(&options.order_by, "order_by");
        check_filter_names(&options.filter, &mut cx);
        check_duplicates(
            &[
                ("unique", &options.unique),
                ("filter", &options.filter),
                ("order_by", &options.order_by),
                ("select_related", &options.select_related),
            ],
            &mut cx,
        );
        // (A clashing name is left out, so the stubs do not clash too.)
        let filter: Vec<usize> = dedup(filter.into_iter())
            .into_iter()
            .filter(|&i| {
                let name = &fields[i].ident;
                !FILTER_METHODS.iter().any(|m| name == m)
                    && !options
                        .filter
                        .iter()
                        .any(|other| *name == format!("{other}_in"))
            })
            .collect();
        check_order_by(&options.order_by, &order_by, &fields, &mut cx);
        check_nullable_filters(&options.filter, &fields, &mut cx);
        check_variant_names(&options.unique, "unique", &mut cx);
        check_variant_names(&options.order_by, "order_by", &mut cx);
        let joined = joined_relations(
            &options.select_related,
            &diesel.belongs_to,
            &fields,
            &mut cx,
        );
        let errors = match cx.into_error() {
            Some(errors) if !stubbable => {
                return Parsed::Errors {
                    errors,
                    partial: None,
                };
            }
            errors => errors,
        };

        let detail_timeout = options.detail_timeout.unwrap_or(DETAIL_TIMEOUT);
        // Each field's name, type and mapping attributes, then the
        // struct's own serde attributes (`from`, `into`, `transparent`
        // change the encoding): a change of any is a new hash.
        let mut signature: Vec<(String, String)> = fields
            .iter()
            .map(|f| {
                let ty = f.ty.to_token_stream().to_string();
                match f.mapping.is_empty() {
                    true => (f.ident.to_string(), ty),
                    false => (f.ident.to_string(), format!("{ty} {}", f.mapping)),
                }
            })
            .collect();
        let struct_serde = mapping_attrs(
            &input
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("serde"))
                .cloned()
                .collect::<Vec<_>>(),
        );
        if !struct_serde.is_empty() {
            signature.push(("#serde".to_owned(), struct_serde));
        }
        let unique =
            distinct_variants(unique.into_iter().filter(|i| !pk.contains(i)), &fields, &pk);
        let order_by = distinct_variants(
            order_by.into_iter().filter(|i| !pk.contains(i)),
            &fields,
            &pk,
        );
        let model = Model {
            key: options
                .key
                .map_or_else(|| snake(&input.ident.to_string()), |k| k.value()),
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table: diesel.table_name,
            pk,
            unique,
            filter,
            order_by,
            list_timeout: options.list_timeout.unwrap_or(LIST_TIMEOUT),
            detail_timeout,
            not_found_timeout: options
                .not_found_timeout
                .unwrap_or(detail_timeout.min(NOT_FOUND_TIMEOUT_MAX)),
            soft_timeout: options.soft_timeout,
            joined,
            prefetch: options.prefetch,
            prefetch_for_list: options.prefetch_for_list.unwrap_or(true),
            background_refresh: options.background_refresh.unwrap_or(false),
            id_lists: options.id_lists,
            view_of: options.view_of.map(|t| t.value()),
            schema_hash: schema_hash(&signature, options.version.unwrap_or(0)),
            fields,
            valid: errors.is_none(),
        };
        match errors {
            None => Parsed::Model(model),
            Some(errors) => Parsed::Errors {
                errors,
                partial: Some(model),
            },
        }
    }

    /// The table (always there when the input had no errors).
    /// The SQL name of column `column` of the model's table, as a `&'static
    /// str` expression: Diesel's `Column::NAME` (a `#[sql_name]` in
    /// `table!` renames it, and the database's change stream names it
    /// so); in stubs, the column's ident (no error of its own).
    pub(crate) fn column_name(&self, column: &Ident) -> proc_macro2::TokenStream {
        match &self.table {
            Some(table) if self.valid => {
                quote::quote!(<#table::#column as ::cache_diesel::__private::diesel::Column>::NAME)
            }
            _ => {
                let text = column.to_string();
                quote::quote!(#text)
            }
        }
    }

    pub(crate) fn table(&self) -> &Path {
        self.table
            .as_ref()
            .expect("a model without errors has a table")
    }

    /// The primary key of a model with a single-column one (the models
    /// with relations: a composite key refuses them).
    pub(crate) fn pk_field(&self) -> &Field {
        match self.pk.as_slice() {
            [one] => &self.fields[*one],
            _ => panic!("a model with relations has a single-column primary key"),
        }
    }

    /// The `unique(..)` columns besides the primary key.
    pub(crate) fn unique_fields(&self) -> impl Iterator<Item = &Field> {
        self.unique.iter().map(|&i| &self.fields[i])
    }

    /// The generated record's name (see [`crate::relations`]): `{Model}Record`.
    pub(crate) fn record_ident(&self) -> syn::Ident {
        quote::format_ident!("{}Record", self.ident)
    }

    /// Whether `get`/`all` return a generated record instead of the model.
    pub(crate) fn has_relations(&self) -> bool {
        !self.joined.is_empty() || !self.prefetch.is_empty()
    }

    pub(crate) fn filter_fields(&self) -> impl Iterator<Item = &Field> {
        self.filter.iter().map(|i| &self.fields[*i])
    }

    /// The fields of a sort key: the primary key's (if found), then the
    /// `order_by(..)` columns.
    pub(crate) fn order_fields(&self) -> impl Iterator<Item = &Field> {
        self.pk
            .iter()
            .chain(self.order_by.iter())
            .map(|&i| &self.fields[i])
    }
}

/// `indices` without repeats and without fields whose variant name (in
/// PascalCase) an earlier one, or the primary key's, already has (the
/// error is reported; the stubs must not clash too).
fn distinct_variants(
    indices: impl Iterator<Item = usize>,
    fields: &[Field],
    pk: &[usize],
) -> Vec<usize> {
    let pascal_of =
        |i: usize| crate::case::pascal(&syn::ext::IdentExt::unraw(&fields[i].ident).to_string());
    let mut out: Vec<usize> = Vec::new();
    for i in dedup(indices) {
        let name = pascal_of(i);
        if !pk
            .iter()
            .copied()
            .chain(out.iter().copied())
            .any(|j| pascal_of(j) == name)
        {
            out.push(i);
        }
    }
    out
}

fn dedup(indices: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for i in indices {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn named_fields(input: &DeriveInput, cx: &mut Ctxt) -> Option<Vec<Field>> {
    let data = match &input.data {
        Data::Struct(data) => data,
        Data::Enum(e) => {
            cx.error(
                e.enum_token,
                "#[derive(Cached)] supports structs with named fields, not enums",
            );
            return None;
        }
        Data::Union(u) => {
            cx.error(
                u.union_token,
                "#[derive(Cached)] supports structs with named fields, not unions",
            );
            return None;
        }
    };
    let named = match &data.fields {
        Fields::Named(named) => named,
        Fields::Unnamed(unnamed) => {
            cx.error(
                unnamed,
                "#[derive(Cached)] needs named fields (Diesel columns by name), not a tuple struct",
            );
            return None;
        }
        Fields::Unit => {
            cx.error(
                &input.ident,
                "#[derive(Cached)] needs named fields; a unit struct has none",
            );
            return None;
        }
    };
    Some(
        named
            .named
            .iter()
            .map(|f| {
                let ident = f.ident.clone().expect("named field");
                let column = diesel_column_name(&f.attrs, cx).unwrap_or_else(|| ident.clone());
                Field {
                    ident,
                    ty: f.ty.clone(),
                    column,
                    mapping: mapping_attrs(&f.attrs),
                }
            })
            .collect(),
    )
}

/// The `#[diesel(..)]` and `#[serde(..)]` attributes among `attrs`, as
/// printed (empty when there are none).
fn mapping_attrs(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("diesel") || a.path().is_ident("serde"))
        .map(|a| a.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Matches `select_related(name, ..)` to Diesel's `belongs_to` declarations.
fn joined_relations(
    names: &[Ident],
    belongs_to: &[(Path, Option<Ident>)],
    fields: &[Field],
    cx: &mut Ctxt,
) -> Vec<Joined> {
    let declared: Vec<(String, &Path, String)> = belongs_to
        .iter()
        .filter_map(|(parent, fk)| {
            let name = snake(&parent.segments.last()?.ident.to_string());
            let fk = fk
                .as_ref()
                .map_or_else(|| format!("{name}_id"), Ident::to_string);
            Some((name, parent, fk))
        })
        .collect();
    let mut out = Vec::new();
    for name in names {
        // (`select_related(r#type)` names the parent `Type`.)
        let Some((_, parent, fk)) = declared.iter().find(|(n, ..)| name.unraw() == n) else {
            let known: Vec<&str> = declared.iter().map(|(n, ..)| n.as_str()).collect();
            let known = if known.is_empty() {
                "none is declared".to_owned()
            } else {
                format!("declared: {}", known.join(", "))
            };
            cx.error(name, format!("no #[diesel(belongs_to(..))] declares `{name}`; select_related(..) takes relations Diesel declares ({known})"));
            continue;
        };
        let Some(field) = fields.iter().find(|f| f.ident == fk.as_str()) else {
            cx.error(name, format!("`{name}` needs the foreign key field `{fk}`"));
            continue;
        };
        let nullable = is_option(&field.ty);
        out.push(Joined {
            name: name.clone(),
            parent: (*parent).clone(),
            nullable,
        });
    }
    out
}

/// Whether `ty` is an `Option<..>`, seen through the invisible groups a
/// `macro_rules!` `$t:ty` fragment wraps types in, and through parentheses.
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Group(g) => is_option(&g.elem),
        Type::Paren(p) => is_option(&p.elem),
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Option"),
        _ => false,
    }
}
