//! The unit tests of the model's parse: what the schema hash holds, and
//! options seen through macro groups.

use super::{Model, Parsed, is_option};
use syn::{DeriveInput, Type, TypeGroup, parse_quote};

fn hash_of(input: DeriveInput) -> String {
    match Model::from_input(&input) {
        Parsed::Model(model) => model.schema_hash,
        Parsed::Errors { errors, .. } => panic!("{errors}"),
    }
}

#[test]
fn how_a_field_maps_to_its_column_is_in_the_schema_hash() {
    // Two builds with the same fields, names and types: the second
    // reads column `b` into `a`, so the first one's entries would give
    // it other values.
    let first = hash_of(parse_quote! {
        #[diesel(table_name = swaps)]
        pub struct Swap { pub id: i64, pub a: i32, pub b: i32 }
    });
    let swapped = hash_of(parse_quote! {
        #[diesel(table_name = swaps)]
        pub struct Swap {
            pub id: i64,
            #[diesel(column_name = b)]
            pub a: i32,
            #[diesel(column_name = a)]
            pub b: i32,
        }
    });
    let encoded_otherwise = hash_of(parse_quote! {
        #[diesel(table_name = swaps)]
        pub struct Swap {
            pub id: i64,
            #[serde(with = "seconds")]
            pub a: i32,
            pub b: i32,
        }
    });
    let documented = hash_of(parse_quote! {
        #[diesel(table_name = swaps)]
        pub struct Swap {
            /// The key.
            pub id: i64,
            pub a: i32,
            pub b: i32,
        }
    });
    assert_ne!(first, swapped);
    assert_ne!(first, encoded_otherwise);
    assert_eq!(first, documented, "a doc comment maps nothing");
}

#[test]
fn options_are_seen_through_macro_groups() {
    let option: Type = parse_quote!(Option<i32>);
    let grouped = Type::Group(TypeGroup {
        group_token: Default::default(),
        elem: Box::new(option.clone()),
    });
    assert!(is_option(&option));
    assert!(is_option(&grouped), "a `$t:ty` fragment");
    assert!(is_option(&parse_quote!(::core::option::Option<i32>)));
    assert!(is_option(&parse_quote!((Option<i32>))));
    assert!(!is_option(&parse_quote!(i32)));
    assert!(!is_option(&Type::Group(TypeGroup {
        group_token: Default::default(),
        elem: Box::new(parse_quote!(i32)),
    })));
}
