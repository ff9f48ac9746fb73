//! The invalidation protocol without I/O: how an entry's bytes are sealed
//! and opened ([`envelope`]), what a version and a stamp are and when a
//! stamp holds ([`stamp`]). The driver (`driver/tagged/`, `driver/read_through/`)
//! does the I/O through the store roles of [`crate::backend`]; an async
//! driver can share everything here.

pub(crate) mod envelope;
pub(crate) mod stamp;
