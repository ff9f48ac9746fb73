//! Compile errors from `#[derive(Cached)]`: each points at the offending
//! token, says what is accepted, and all are reported at once. A model with
//! errors still gets stubs of its public items (`Model::cache()`, its
//! filter, unique enum, lookups and record), so the user's code that uses
//! them adds no errors of its own (`ui/typo_keeps_the_model_usable.rs`).

#[test]
fn derive_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
