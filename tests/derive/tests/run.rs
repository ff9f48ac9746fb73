//! The crate's checks, run: each model's manager on SQLite with the
//! in-process cache; then the derive's compile errors.

#[test]
fn every_combination_of_options_works() {
    cache_derive_tests::matrix::run();
}

#[test]
fn names_that_once_broke_the_derive_work() {
    cache_derive_tests::names::run();
}

/// Compile errors from `#[derive(Cached)]`: each points at the offending
/// token, says what is accepted, and all are reported at once. A model with
/// errors still gets stubs of its public items (`Model::cache()`, its
/// filter, unique enum, lookups and record), so the user's code that uses
/// them adds no errors of its own (`ui/typo_keeps_the_model_usable.rs`).
#[test]
fn derive_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
