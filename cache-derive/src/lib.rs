//! `#[derive(Cached)]` for Diesel models (in progress: see cache-diesel).
