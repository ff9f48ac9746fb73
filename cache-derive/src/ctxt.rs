//! Collects errors so that every mistake is reported at once, each at its
//! own span (after serde_derive's `Ctxt`).

use std::fmt::Display;

#[derive(Default)]
pub(crate) struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    pub(crate) fn error(&mut self, spanned: impl quote::ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(spanned, message));
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(error),
            None => self.errors = Some(error),
        }
    }

    pub(crate) fn check(self) -> syn::Result<()> {
        self.errors.map_or(Ok(()), Err)
    }

    /// Every error recorded, combined, if any.
    pub(crate) fn into_error(self) -> Option<syn::Error> {
        self.errors
    }
}
