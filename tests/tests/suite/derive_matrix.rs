//! Every combination of `#[derive(Cached)]` options compiles without a
//! warning in a crate that denies warnings and missing docs, and its
//! managers work on SQLite (`ui-pass/derive_matrix.rs` runs the checks).

#[test]
fn derive_matrix() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui-pass/derive_matrix.rs");
    cases.pass("ui-pass/names.rs");
}
