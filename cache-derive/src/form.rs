//! The `CacheForm` impl: a model or record as the tuple of its fields in
//! declaration order, each through `cache_diesel`'s field dispatch (its own
//! cached form when it has one, its serde impls otherwise).

use proc_macro2::TokenStream;
use quote::quote;

/// `impl CacheForm for #ty` over `fields` (name, type), in order.
pub(crate) fn cache_form_impl(
    ty: &syn::Ident,
    fields: &[(syn::Ident, TokenStream)],
) -> TokenStream {
    let serde = quote!(::cache_diesel::__private::serde);
    let private = quote!(::cache_diesel::__private);
    let len = fields.len();
    let name = ty.to_string();
    let writes = fields.iter().map(|(ident, field_ty)| {
        quote!((&#private::Field::<#field_ty>::new()).write(&self.#ident, &mut tuple)?;)
    });
    let reads = fields.iter().enumerate().map(|(i, (ident, field_ty))| {
        quote! {
            #ident: (&#private::Field::<#field_ty>::new())
                .read(&mut seq)?
                .ok_or_else(|| #private::too_short(#i, #len, #name))?
        }
    });
    quote! {
        // The `(&Field::<T>::new())` borrows choose the field's form.
        #[allow(clippy::needless_borrow)]
        impl ::cache_diesel::__private::CacheForm for #ty {
            fn serialize_form<__S: #serde::Serializer>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error> {
                #[allow(unused_imports)]
                use #private::{Packed as _, Plain as _};
                use #serde::ser::SerializeTuple as _;
                let mut tuple = serializer.serialize_tuple(#len)?;
                #(#writes)*
                tuple.end()
            }

            fn deserialize_form<'de, __D: #serde::Deserializer<'de>>(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
                struct FormVisitor;
                impl<'de> #serde::de::Visitor<'de> for FormVisitor {
                    type Value = #ty;
                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(concat!("the cached form of ", #name))
                    }
                    fn visit_seq<__A: #serde::de::SeqAccess<'de>>(self, mut seq: __A) -> ::core::result::Result<#ty, __A::Error> {
                        #[allow(unused_imports)]
                        use #private::{Packed as _, Plain as _};
                        ::core::result::Result::Ok(#ty { #(#reads,)* })
                    }
                }
                deserializer.deserialize_tuple(#len, FormVisitor)
            }
        }
    }
}
