//! What the driver's layers say to each other about an entry: what a
//! tagged read found ([`Lookup`]), how a fill is stored ([`FillOptions`])
//! and what a loaded value needs when stored ([`Shape`]). `erased`,
//! `tagged`, `read_through` and `refresh` all use them, so they are here,
//! under all four.

use crate::protocol::stamp::Stamp;
use crate::timeout::Ttl;
use std::time::Duration;

/// What [`Engine::read_tagged`] found.
///
/// [`Engine::read_tagged`]: crate::__engine::Engine::read_tagged
#[derive(Debug)]
pub enum Lookup<T> {
    /// A valid entry.
    Hit {
        /// The value.
        value: T,
        /// The current tag versions (what a refresh fills with).
        stamp: Stamp,
        /// Past its soft deadline: valid, but due for a refresh.
        refresh_due: bool,
    },
    /// No valid entry; fill with this stamp after reading the source.
    Miss(Stamp),
}

/// How a fill is stored.
#[derive(Debug, Clone, Copy)]
pub struct FillOptions {
    /// How many of the tags the value depends on.
    pub depends_on: usize,
    /// Hard lifetime.
    pub ttl: Ttl,
    /// Soft lifetime: past it the entry is due for a refresh.
    pub soft: Option<Duration>,
}

/// What a loaded value needs when stored.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// How many of the plan's tags it depends on.
    pub depends_on: usize,
    /// Its hard lifetime. `Some(Duration::ZERO)`: do not store it (the
    /// loaded value is returned, and the lease given back).
    pub ttl: Ttl,
}
