//! Tests that change state the whole process shares, kept out of the
//! suite's binary: the background refresh's registered connection openers
//! and worker count (one per connection type, the last registered wins),
//! and the `CACHE_URL` variable, which every model's default cache reads.

mod async_refresh;
mod refresh_workers;
mod unusable_cache_url;
mod verify;
