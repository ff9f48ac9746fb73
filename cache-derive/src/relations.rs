//! What `select_related` and `prefetch` add to the generated code: the
//! record type (`{Model}Record`, which derefs to the model) and its loaders,
//! instantiated per connection type like the other queries.

use crate::ast::Model;
use crate::case::{ident, snake};
use crate::where_query::{WhereImpls, WhereParts, where_impls};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The record's field holding the model: its name in snake case
/// (`r#type` for a model `Type`).
fn model_field(m: &Model) -> syn::Ident {
    ident(&snake(&m.ident.to_string()))
}

/// The record struct and its `Deref` (nothing without relations).
pub(crate) fn record_items(m: &Model) -> TokenStream {
    if !m.has_relations() {
        return quote!();
    }
    let (model, vis, record, field) = (&m.ident, &m.vis, m.record_ident(), model_field(m));
    // (name, type, doc) of every field after the model's own.
    let mut related: Vec<(syn::Ident, TokenStream, String)> = m
        .joined
        .iter()
        .map(|j| {
            let parent = &j.parent;
            let ty = if j.nullable {
                quote!(::core::option::Option<#parent>)
            } else {
                quote!(#parent)
            };
            (
                j.name.clone(),
                ty,
                format!("The `{}` row (select_related).", j.name),
            )
        })
        .collect();
    related.extend(m.prefetch.iter().map(|p| {
        let target = &p.model;
        let doc = format!(
            "The `{}` rows (prefetch); `None` when not loaded (lists with `prefetch_for_list = false`).",
            p.name
        );
        (p.name.clone(), quote!(::core::option::Option<::std::vec::Vec<#target>>), doc)
    }));
    let related_fields = related
        .iter()
        .map(|(name, ty, doc)| quote!(#[doc = #doc] pub #name: #ty));
    let serde = quote!(::cache_diesel::__private::serde);
    let serde_path = "::cache_diesel::__private::serde";
    let mut form_fields = vec![(field.clone(), quote!(#model))];
    form_fields.extend(
        related
            .iter()
            .map(|(name, ty, _)| (name.clone(), ty.clone())),
    );
    let form = crate::form::cache_form_impl(&record, &form_fields);
    quote! {
        #form

        #[doc = concat!("A [`", stringify!(#model), "`] with its related rows; derefs to the model.")]
        #[derive(Clone, Debug, #serde::Serialize, #serde::Deserialize)]
        #[serde(crate = #serde_path)]
        #vis struct #record {
            #[doc = "The row itself."]
            pub #field: #model,
            #(#related_fields,)*
        }

        impl ::core::ops::Deref for #record {
            type Target = #model;
            fn deref(&self) -> &#model { &self.#field }
        }
    }
}

/// The joins of the record queries (`.inner_join(..)` for a non-null
/// foreign key, `.left_join(..)` for a nullable one; nothing without
/// `select_related`).
pub(crate) fn joins(m: &Model) -> TokenStream {
    let has_table = quote!(::cache_diesel::__private::diesel::associations::HasTable);
    let joins = m.joined.iter().map(|j| {
        let parent = &j.parent;
        if j.nullable {
            quote!(.left_join(<#parent as #has_table>::table()))
        } else {
            quote!(.inner_join(<#parent as #has_table>::table()))
        }
    });
    quote!(#(#joins)*)
}

/// The query source of the joined list query (`posts` left-joined with
/// `categories`, ..), for the filter's condition on it.
pub(crate) fn joined_source(m: &Model) -> TokenStream {
    let dsl = quote!(::cache_diesel::__private::diesel);
    let table = m.table();
    m.joined.iter().fold(quote!(#table::table), |qs, j| {
        let parent = &j.parent;
        let right = quote!(<#parent as #dsl::associations::HasTable>::Table);
        if j.nullable {
            quote!(#dsl::dsl::LeftJoinQuerySource<#qs, #right>)
        } else {
            quote!(#dsl::dsl::InnerJoinQuerySource<#qs, #right>)
        }
    })
}

/// `record_schema_hash` for the `CachedModel` impl (nothing without
/// relations: the default, the model's own hash): the model's own hash
/// folded with each related field of the record, in order, by name, kind
/// and the related model's own schema hash (`INFO.schema_hash`, the
/// struct's, never its record's, so models that relate to each other do
/// not make a cycle).
pub(crate) fn record_schema_hash(m: &Model) -> TokenStream {
    if !m.has_relations() {
        return quote!();
    }
    let private = quote!(::cache_diesel::__private);
    let joined = m.joined.iter().map(|j| {
        let (name, parent) = (j.name.to_string(), &j.parent);
        let kind = if j.nullable {
            quote!(#private::RelationKind::Optional)
        } else {
            quote!(#private::RelationKind::One)
        };
        quote!((#name, #kind, <#parent as ::cache_diesel::CachedModel>::INFO.schema_hash))
    });
    let prefetched = m.prefetch.iter().map(|p| {
        let (name, target) = (p.name.to_string(), &p.model);
        quote!((#name, #private::RelationKind::Many, <#target as ::cache_diesel::CachedModel>::INFO.schema_hash))
    });
    quote! {
        fn record_schema_hash() -> &'static str {
            static HASH: #private::OnceLock<::std::string::String> = #private::OnceLock::new();
            HASH.get_or_init(|| {
                #private::record_schema_hash(
                    <Self as ::cache_diesel::CachedModel>::INFO.schema_hash,
                    &[#(#joined,)* #(#prefetched,)*],
                )
            })
        }
    }
}

/// `type Record` and `record_model` for the `CachedModel` impl.
pub(crate) fn record_assoc(m: &Model) -> TokenStream {
    if !m.has_relations() {
        return quote! {
            type Record = Self;
            fn record_model(record: &Self) -> &Self { record }
            const ROW_IS_RECORD: bool = true;
            fn record_of_row(row: Self) -> ::core::option::Option<Self> { ::core::option::Option::Some(row) }
        };
    }
    let (record, field) = (m.record_ident(), model_field(m));
    quote! {
        type Record = #record;
        fn record_model(record: &#record) -> &Self { &record.#field }
    }
}

/// `load_record`, `load_records` and `related_tables` inside the
/// per-connection `ModelQueries` impl, and the model's `WhereQuery` impl
/// (`$conn`, `$db` are the macro's).
pub(crate) fn loaders(
    m: &Model,
    unique: &syn::Ident,
    filter: &syn::Ident,
) -> (TokenStream, WhereImpls) {
    let dsl = quote!(::cache_diesel::__private::diesel);
    if !m.has_relations() {
        let table = m.table();
        let many = crate::many::loads(m, unique, &quote!(#table::table), |condition| {
            quote! {
                ::cache_diesel::__private::$pre::RunQueryDsl::load::<Self>(
                    #table::table.filter(#condition).select(<Self as #dsl::SelectableHelper<$db>>::as_select()),
                    conn,
                ) $($aw)* ?
            }
        });
        let loaders = quote! {
            #[inline]
            $($asy)* fn load_many(conn: &mut $conn, keys: &[#unique]) -> #dsl::QueryResult<::std::vec::Vec<Self>> {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::$pre::*;
                let mut rows = ::std::vec::Vec::new();
                #many
                ::core::result::Result::Ok(rows)
            }
            // `load_record`, `load_records`, `related_tables`: the
            // traits' defaults (the rows are the records).
        };
        return (loaders, plain_where_query(m));
    }
    let table = m.table();
    let (record, field) = (m.record_ident(), model_field(m));
    let pk = &m.pk_field().column;
    let source = joined_source(m);
    let has_table = quote!(#dsl::associations::HasTable);
    let select =
        |ty: &dyn quote::ToTokens| quote!(<#ty as #dsl::SelectableHelper<$db>>::as_select());
    let joins = joins(m);
    let join_selects: Vec<_> = m
        .joined
        .iter()
        .map(|j| {
            let parent = &j.parent;
            if j.nullable {
                select(&quote!(::core::option::Option<#parent>))
            } else {
                select(parent)
            }
        })
        .collect();
    let join_tys: Vec<_> = m
        .joined
        .iter()
        .map(|j| {
            let parent = &j.parent;
            if j.nullable {
                quote!(::core::option::Option<#parent>)
            } else {
                quote!(#parent)
            }
        })
        .collect();
    let join_names: Vec<_> = m.joined.iter().map(|j| &j.name).collect();
    let self_select = select(&quote!(Self));
    let lookups = m.unique_keys().into_iter().map(|k| {
        let (v, condition) = (k.variant(), k.eq(table, quote!(value)));
        quote! {
            #unique::#v(value) => ::cache_diesel::__private::$pre::RunQueryDsl::first::<(Self, #(#join_tys),*)>(
                #table::table #joins
                    .filter(#condition)
                    .select((#self_select, #(#join_selects),*)),
                conn,
            ) $($aw)*
                .optional()?
        }
    });
    let prefetch_names: Vec<_> = m.prefetch.iter().map(|p| &p.name).collect();
    let one = m.prefetch.iter().map(|p| {
        let target = &p.model;
        let s = select(target);
        match &p.through {
            None => quote!(::cache_diesel::__private::$pre::RunQueryDsl::load::<#target>(#target::belonging_to(&row).select(#s), conn) $($aw)* ?),
            Some(via) => quote! {
                ::cache_diesel::__private::$pre::RunQueryDsl::load::<#target>(#via::belonging_to(&row).inner_join(<#target as #has_table>::table()).select(#s), conn) $($aw)* ?
            },
        }
    });
    // `aw`: what follows a query's run (`.await` in the async impls).
    let grouped = |aw: &TokenStream, run: &TokenStream| -> Vec<TokenStream> {
        m.prefetch.iter().map(|p| {
        let target = &p.model;
        let s = select(target);
        match &p.through {
            None => quote!(#run::load::<#target>(#target::belonging_to(&models).select(#s), conn) #aw ?.grouped_by(&models)),
            Some(via) => {
                let sv = select(via);
                quote! {
                    #run::load::<(#via, #target)>(
                        #via::belonging_to(&models)
                            .inner_join(<#target as #has_table>::table())
                            .select((#sv, #s)),
                        conn,
                    ) #aw ?
                        .grouped_by(&models)
                        .into_iter()
                        .map(|pairs| pairs.into_iter().map(|(_, row)| row).collect::<::std::vec::Vec<#target>>())
                        .collect::<::std::vec::Vec<_>>()
            }
            }
        }
    }).collect()
    };
    // Unused (and so named `_prefetch`) when nothing is prefetched.
    let prefetch_param = if m.prefetch.is_empty() {
        format_ident!("_prefetch")
    } else {
        format_ident!("prefetch")
    };
    let iters: Vec<_> = prefetch_names
        .iter()
        .map(|n| format_ident!("{}_sets", n))
        .collect();
    let related: Vec<TokenStream> = m
        .joined
        .iter()
        .map(|j| &j.parent)
        .chain(
            m.prefetch
                .iter()
                .flat_map(|p| std::iter::once(&p.model).chain(p.through.as_ref())),
        )
        .map(|ty| quote!(::cache_diesel::__table_sql_name!(<#ty as #has_table>::table())))
        .collect();
    let window = crate::order::order_and_window(m, &source);
    let assemble = |aw: TokenStream, run: TokenStream| {
        let grouped = grouped(&aw, &run);
        quote! {
            let (models, joined): (::std::vec::Vec<Self>, ::std::vec::Vec<(#(#join_tys,)*)>) =
                rows.into_iter().map(|(row, #(#join_names),*)| (row, (#(#join_names,)*))).unzip();
            #(
                let mut #iters = if prefetch {
                    #grouped.into_iter().map(::core::option::Option::Some).collect::<::std::vec::Vec<_>>()
                } else {
                    ::std::vec::Vec::new()
                }
                .into_iter();
            )*
            let mut out = ::std::vec::Vec::with_capacity(models.len());
            for (row, (#(#join_names,)*)) in models.into_iter().zip(joined) {
                out.push(#record { #field: row, #(#join_names,)* #(#prefetch_names: #iters.next().flatten(),)* });
            }
            ::core::result::Result::Ok(out)
        }
    };
    let assemble_run = assemble(
        quote!($($aw)*),
        quote!(::cache_diesel::__private::$pre::RunQueryDsl),
    );
    let row_ty = quote!((Self, #(#join_tys),*));
    let selection = quote!((#self_select, #(#join_selects),*));
    let many = crate::many::loads(m, unique, &source, |condition| {
        quote! {
            ::cache_diesel::__private::$pre::RunQueryDsl::load::<#row_ty>(
                #table::table #joins.filter(#condition).select(#selection),
                conn,
            ) $($aw)* ?
        }
    });
    let loaders = quote! {
        #[inline]
        $($asy)* fn load_many(conn: &mut $conn, keys: &[#unique]) -> #dsl::QueryResult<::std::vec::Vec<#record>> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::$pre::*;
            let mut rows: ::std::vec::Vec<#row_ty> = ::std::vec::Vec::new();
            #many
            // A detail's record has its prefetched rows.
            let #prefetch_param = true;
            #assemble_run
        }

        #[inline]

        $($asy)* fn load_record(conn: &mut $conn, key: &#unique) -> #dsl::QueryResult<::core::option::Option<#record>> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::$pre::*;
            let found = match key { #(#lookups,)* };
            let ::core::option::Option::Some((row, #(#join_names),*)) = found else {
                return ::core::result::Result::Ok(::core::option::Option::None);
            };
            #( let #prefetch_names = ::core::option::Option::Some(#one); )*
            ::core::result::Result::Ok(::core::option::Option::Some(#record { #field: row, #(#join_names,)* #(#prefetch_names,)* }))
        }

        #[inline]

        $($asy)* fn load_records(conn: &mut $conn, filter: &#filter, #prefetch_param: bool) -> #dsl::QueryResult<::std::vec::Vec<#record>> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::$pre::*;
            let mut query = #table::table #joins
                .filter(::cache_diesel::__private::FilterCondition::<#source, $db>::condition(filter))
                .select(#selection)
                .into_boxed::<$db>();
            #window
            let rows = ::cache_diesel::__private::$pre::RunQueryDsl::load::<#row_ty>(query, conn) $($aw)* ?;
            #assemble_run
        }

        fn related_tables() -> &'static [::std::string::String] {
            static TABLES: ::cache_diesel::__private::OnceLock<::std::vec::Vec<::std::string::String>> =
                ::cache_diesel::__private::OnceLock::new();
            TABLES.get_or_init(|| ::std::vec![#(#related),*])
        }
    };
    let where_impls = where_impls(
        m,
        &WhereParts {
            source: source.clone(),
            query: quote!(#table::table #joins.filter(expr).select(#selection).order(#table::#pk.asc())),
            prefetch_param,
            row_ty,
            assemble: Some(&assemble),
        },
    );
    (loaders, where_impls)
}

/// The `WhereQuery` impls of a model without relations: the rows
/// themselves.
fn plain_where_query(m: &Model) -> WhereImpls {
    let dsl = quote!(::cache_diesel::__private::diesel);
    let table = m.table();
    let order = m.pk_key().ascending(table);
    where_impls(
        m,
        &WhereParts {
            source: quote!(#table::table),
            query: quote! {
                #table::table
                    .filter(expr)
                    .select(<Self as #dsl::SelectableHelper<$db>>::as_select())
                    .order(#order)
            },
            prefetch_param: format_ident!("_prefetch"),
            row_ty: quote!(Self),
            assemble: None,
        },
    )
}
