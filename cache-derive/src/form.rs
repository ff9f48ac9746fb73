//! The `CacheForm` impl: a model or record as the tuple of its fields in
//! declaration order, each through `cache_diesel`'s field dispatch (its own
//! cached form when it has one, its serde impls otherwise), written and
//! read by cache-diesel's concrete `FormWriter` and `FormReader`: no serde
//! visitor per model.

use proc_macro2::TokenStream;
use quote::quote;

/// `impl CacheForm for #ty` over `fields` (name, type), in order.
pub(crate) fn cache_form_impl(
    ty: &syn::Ident,
    fields: &[(syn::Ident, TokenStream)],
) -> TokenStream {
    let private = quote!(::cache_diesel::__private);
    let len = fields.len();
    let name = ty.to_string();
    let writes = fields.iter().map(
        |(ident, field_ty)| quote!((&#private::Field::<#field_ty>::new()).write(&self.#ident, w)?;),
    );
    let reads = fields
        .iter()
        .map(|(ident, field_ty)| quote!(#ident: (&#private::Field::<#field_ty>::new()).read(r)?));
    quote! {
        // The `(&Field::<T>::new())` borrows choose the field's form.
        #[allow(clippy::needless_borrow)]
        impl #private::CacheForm for #ty {
            fn write_form(&self, w: &mut #private::FormWriter<'_>) -> ::core::result::Result<(), #private::FormError> {
                #[allow(unused_imports)]
                use #private::{Packed as _, Plain as _};
                w.tuple(#len)?;
                #(#writes)*
                ::core::result::Result::Ok(())
            }

            fn read_form(r: &mut #private::FormReader<'_>) -> ::core::result::Result<Self, #private::FormError> {
                #[allow(unused_imports)]
                use #private::{Packed as _, Plain as _};
                r.tuple_of(#len, #name)?;
                ::core::result::Result::Ok(#ty { #(#reads,)* })
            }
        }
    }
}
