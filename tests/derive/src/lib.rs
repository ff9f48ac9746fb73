//! What `#[derive(Cached)]` generates, compiled as a user's crate would
//! compile it: a library that denies warnings and missing docs (and, in
//! the workspace's `cargo clippy -D warnings`, clippy's lints), its models
//! public. Each module's `run` then checks that its managers work on
//! SQLite with the in-process cache; `tests/run.rs` calls them, and
//! checks the derive's compile errors (`ui/`, trybuild `compile_fail`
//! cases, against this crate's SQLite-only dependencies).
//!
//! (These are not trybuild `pass` cases: trybuild builds
//! every dependency of the test crate again, in a target directory of its
//! own, beside the check its `compile_fail` cases need, which cost CI
//! minutes of both cores. As a member of the workspace, this crate builds
//! on the workspace's dependencies.)
#![deny(warnings, missing_docs)]

pub mod matrix;
pub mod names;
