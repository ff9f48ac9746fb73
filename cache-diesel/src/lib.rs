//! The runtime that `#[derive(Cached)]` managers call (in progress).
//! Re-exports cache-core, so users depend on this crate alone.

pub use cache_core::*;
