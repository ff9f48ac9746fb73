//! The crate's checks, run: each model's manager on SQLite with the
//! in-process cache.

#[test]
fn every_combination_of_options_works() {
    cache_derive_pass::matrix::run();
}

#[test]
fn names_that_once_broke_the_derive_work() {
    cache_derive_pass::names::run();
}
