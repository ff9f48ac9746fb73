//! The checker and benchmark programs (`src/bin`), run with
//! `cargo run --release -p cache-programs --bin NAME`, and what only they
//! use: the `compare` benchmark's tables and timing, the consistency
//! checker's filtered-lists workload. The helpers they share with the
//! integration tests (services, models, the checker's rows, servers of a
//! run's own) are in `cache-tests`. `tests/programs` runs the checkers
//! briefly.

pub mod bench;
pub mod filtered_lists;
