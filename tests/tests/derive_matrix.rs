//! Every combination of `#[derive(Cached)]` options compiles without a
//! warning in a crate that denies warnings and missing docs, and its
//! managers work on SQLite (`ui-pass/derive_matrix.rs` runs the checks).

#[test]
fn derive_matrix() {
    trybuild::TestCases::new().pass("ui-pass/derive_matrix.rs");
}
