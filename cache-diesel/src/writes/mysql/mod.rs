//! MySQL and MariaDB only.

#[cfg(any(feature = "mysql", feature = "async-mysql"))]
pub(crate) mod writes;
#[cfg(feature = "async-mysql")]
pub(crate) mod writes_async;
