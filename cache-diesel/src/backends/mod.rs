//! What only one database needs, a folder per database. The code every
//! database shares, with its per-database branches, stays at the crate's
//! root (`writes`, `writes_async`, `held_commit`, `tracking`, ..).
//!
//! - `pg`: PostgreSQL's one-statement update that also returns the row's
//!   old values (`update`), an async hook's transaction of its own,
//!   ended even when the hook's future is dropped (`own_transaction`),
//!   and asking the server whether a transaction is open once the tracker
//!   lost track (`resync`).
//! - `mysql`: MySQL's and MariaDB's hook writes, which have no
//!   `RETURNING` and read what they write in a short transaction
//!   (`writes`, and `writes_async` on diesel-async), and the session
//!   settings that open transactions no `BEGIN` shows, as the tracker
//!   reads them (`session`).
//! - `sqlite`: SQLite's async writes, the sync ones run on diesel-async's
//!   blocking thread (`writes_async`).
//!
//! Each file is compiled under the feature it needs; a folder of none is
//! empty.

pub(crate) mod mysql;
pub(crate) mod pg;
pub(crate) mod sqlite;
