//! [`Refresh`]: a soft-timed-out entry's refresh, handed by the driver to
//! whoever runs it (inline, or a worker of the caller's choosing).

use crate::driver::cache::Cache;
use crate::driver::lookup::{FillOptions, Shape};
use crate::protocol::stamp::Stamp;
use serde::Serialize;
use std::time::Duration;

/// The refresh of one entry past its soft timeout, taken by one caller in
/// the fleet (it holds the refresh lease). [`Refresh::complete`] stores the
/// new value, stamped with the tag versions read before the entry went
/// stale (so a write meanwhile wins), and releases the lease; dropping a
/// `Refresh` without completing it releases the lease too.
#[must_use = "a refresh holds its lease until completed or dropped"]
pub struct Refresh {
    cache: Cache,
    key: String,
    stamp: Stamp,
    soft: Option<Duration>,
    lease: Option<String>,
}

impl std::fmt::Debug for Refresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresh").field("key", &self.key).finish()
    }
}

impl Refresh {
    pub(crate) fn new(
        cache: &Cache,
        key: &str,
        stamp: Stamp,
        soft: Option<Duration>,
        lease: String,
    ) -> Self {
        Refresh {
            cache: cache.clone(),
            key: key.to_owned(),
            stamp,
            soft,
            lease: Some(lease),
        }
    }

    /// The key of the entry being refreshed (for logs).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Stores `value` (its [`Shape`] says what it depends on and how long
    /// it lives) and releases the lease, in one round trip.
    pub fn complete<T: Serialize + ?Sized>(self, value: &T, shape: Shape) -> crate::Result<()> {
        let cache = self.cache.clone();
        let io = crate::driver::io::Blocking(&**cache.backend());
        crate::driver::io::block_now(self.complete_with(&io, value, shape))
    }

    /// Whether [`Refresh::complete_async`] can store without blocking:
    /// the cache's store has a non-blocking twin.
    #[cfg(feature = "tokio")]
    pub fn completes_async(&self) -> bool {
        self.cache.async_store().is_some()
    }

    /// [`Refresh::complete`] without blocking the runtime (see
    /// [`Refresh::completes_async`]: without a twin, the refresh is only
    /// released).
    #[cfg(feature = "tokio")]
    pub async fn complete_async<T: Serialize + ?Sized>(
        self,
        value: &T,
        shape: Shape,
    ) -> crate::Result<()> {
        let Some(store) = self.cache.async_store().cloned() else {
            self.release_async().await;
            return Err(crate::Error::Unavailable {
                reason: "this cache store has no async client".to_owned(),
            });
        };
        let io = crate::driver::io::AsyncIo(store);
        self.complete_with(&io, value, shape).await
    }

    /// Lets the lease go without storing anything, without blocking the
    /// runtime (dropping a `Refresh` releases it with a blocking call).
    #[cfg(feature = "tokio")]
    pub async fn release_async(mut self) {
        let (Some(lease), Some(store)) = (self.lease.take(), self.cache.async_store().cloned())
        else {
            return; // no twin: an in-process store or none; dropped as is
        };
        if let Err(e) = store.release_lease(&self.key, &lease).await {
            tracing::debug!(key = self.key, error = %e, "refresh lease not released; it expires");
        }
    }

    async fn complete_with<T: Serialize + ?Sized>(
        mut self,
        io: &impl crate::driver::io::Io,
        value: &T,
        shape: Shape,
    ) -> crate::Result<()> {
        if shape.ttl.is_some_and(|ttl| ttl.is_zero()) {
            return Ok(()); // not to be stored; the lease is released by drop
        }
        let options = FillOptions {
            depends_on: shape.depends_on,
            ttl: shape.ttl,
            soft: self.soft,
        };
        let lease = self.lease.take();
        let stored = self
            .cache
            .fill_tagged_releasing(io, &self.key, &self.stamp, options, value, lease.as_deref())
            .await
            .map(drop);
        if stored.is_err()
            && let Some(lease) = lease
        {
            // Released here, not by drop, which would block.
            let _ = io.release_lease(&self.key, &lease).await;
        }
        stored
    }

    /// The stamp and the lease, for the driver's own inline refresh.
    pub(crate) fn into_parts(mut self) -> (Stamp, Option<String>) {
        let lease = self.lease.take();
        (
            std::mem::replace(
                &mut self.stamp,
                Stamp {
                    versions: Vec::new(),
                },
            ),
            lease,
        )
    }
}

impl Drop for Refresh {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            let _ = self.cache.backend().release_lease(&self.key, &lease);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::cache::engine::WithEngine;
    use crate::driver::tagged::Lookup;
    use bytes::Bytes;

    fn stale_entry(cache: &Cache) -> Stamp {
        match cache
            .engine()
            .read_tagged::<String>("e", &["t:a"], None)
            .unwrap()
        {
            Lookup::Miss(stamp) => stamp,
            Lookup::Hit { .. } => panic!("a new cache has no entry"),
        }
    }

    fn leased(cache: &Cache, lease: &str) -> bool {
        cache
            .backend()
            .add(lease, Bytes::from_static(b"1"), None)
            .unwrap()
    }

    #[test]
    fn completing_stores_and_releases_and_dropping_releases() {
        let cache = Cache::from_url("memory://").unwrap();
        let stamp = stale_entry(&cache);
        assert!(leased(&cache, "lease"));
        let refresh = Refresh::new(&cache, "e", stamp.clone(), None, "lease".into());
        let shape = Shape {
            depends_on: 1,
            ttl: None,
        };
        refresh.complete("new", shape).unwrap();
        assert!(leased(&cache, "lease"), "released by complete");
        assert!(matches!(
            cache.engine().read_tagged::<String>("e", &["t:a"], None).unwrap(),
            Lookup::Hit { value, .. } if value == "new"
        ));
        drop(Refresh::new(&cache, "e", stamp, None, "lease".into()));
        assert!(leased(&cache, "lease"), "released by drop");
    }
}
