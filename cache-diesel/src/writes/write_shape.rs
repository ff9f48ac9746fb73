//! The shape of a hook write: how it names the lists it touched (decided
//! by `Manager::write_shape`, in `writes`).

/// How a hook write names the lists it touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteShape {
    /// By the values it wrote and replaced, as the statement returns them:
    /// on an in-process store (which dies with its writer: nothing to
    /// announce), or inside a transaction (the tracker announces at its
    /// commit).
    InPlace,
    /// The same, in a transaction of its own (autocommit on a shared
    /// store, on a tracked PostgreSQL connection, sync or async): the values
    /// are learned from the statement and announced before its commit. Two
    /// more database round trips.
    OwnTransaction,
    /// The same on MySQL, whose hooks write in a transaction of their own
    /// (`mysql_atomic`): it is left open for the hook, which announces the
    /// values it learned and commits (see `writes::announced_commit`).
    HeldCommit,
    /// The same on SQLite, in a transaction the hook opens with `BEGIN
    /// IMMEDIATE` (see `writes::announced_commit::begin_immediate`): no round trip on
    /// an embedded database.
    ImmediateTransaction,
    /// Every list with conditions, announced before the statement
    /// (autocommit on a shared store where the hook cannot open a
    /// transaction of its own: see [`Manager::write_shape`](crate::manager::Manager::write_shape)).
    Coarse,
}
