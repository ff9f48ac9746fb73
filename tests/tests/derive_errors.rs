//! Compile errors from `#[derive(Cached)]`: each points at the offending
//! token, says what is accepted, and all are reported at once.

#[test]
fn derive_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
