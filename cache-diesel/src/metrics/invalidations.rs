//! Invalidations reported to the `metrics` facade (feature `metrics`) by
//! table and cause: `cache_table_invalidations_total{table, cause}`, where
//! `cause` is
//!
//! - `hook`: a manager's write hook that named what it wrote;
//! - `coarse`: a hook write that could not, and invalidated every filtered
//!   list of its table (see the guide's invalidation chapter);
//! - `sql`: a write the hooks never saw, caught by a tracked connection
//!   (or named with `invalidate_tables`);
//! - `operator`: `invalidate_all`, `invalidate_id`, `invalidate_tables_in`,
//!   `invalidate_everything` (`cache-admin invalidate`), with `table` `*`
//!   for the last;
//! - `follower`: the change-stream follower's bumps of a table's changes,
//!   one per table and pass of the stream (it also counts its own,
//!   `cache_follower_*`).

/// Why a table's entries were invalidated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// A hook write, precise.
    Hook,
    /// A hook write that could not name its values.
    Coarse,
    /// SQL the hooks never saw.
    Sql,
    /// An operator's or the program's explicit call.
    Operator,
    /// The change-stream follower.
    #[cfg_attr(
        not(any(feature = "postgres-system-libpq", feature = "mysql-follower")),
        allow(dead_code)
    )]
    Follower,
}

impl Cause {
    /// Its label value.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            Cause::Hook => "hook",
            Cause::Coarse => "coarse",
            Cause::Sql => "sql",
            Cause::Operator => "operator",
            Cause::Follower => "follower",
        }
    }
}

/// Counts one invalidation of `table` for `cause`.
pub(crate) fn invalidated(table: &str, cause: Cause) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        "cache_table_invalidations_total",
        "table" => table.to_owned(),
        "cause" => cause.as_str()
    )
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (table, cause);
}
