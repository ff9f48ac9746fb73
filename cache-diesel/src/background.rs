//! Where background refreshes get their database connections.
//!
//! A model with `#[cache(soft_timeout = .., refresh = "background")]`
//! refreshes an entry past its soft timeout on a thread of its own, while
//! every caller (the one that took the refresh lease included) is served the
//! old value. That thread needs a connection of its own: register how to open
//! one, once per connection type, with [`refresh_connections`] (from a pool:
//! `move || pool.get().map(..)`). Without one, refreshes run inline.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

/// Opens a connection for a background refresh.
pub type Opener<C> = Arc<dyn Fn() -> diesel::QueryResult<C> + Send + Sync>;

static OPENERS: LazyLock<RwLock<HashMap<TypeId, Box<dyn Any + Send + Sync>>>> =
    LazyLock::new(Default::default);

/// Registers how background refreshes open connections of type `C`.
pub fn refresh_connections<C: 'static>(
    open: impl Fn() -> diesel::QueryResult<C> + Send + Sync + 'static,
) {
    let opener: Opener<C> = Arc::new(open);
    OPENERS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(TypeId::of::<C>(), Box::new(opener));
}

/// The registered opener for `C`, if any.
pub(crate) fn opener<C: 'static>() -> Option<Opener<C>> {
    let openers = OPENERS.read().unwrap_or_else(|p| p.into_inner());
    openers
        .get(&TypeId::of::<C>())?
        .downcast_ref::<Opener<C>>()
        .cloned()
}
