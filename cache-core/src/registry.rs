//! Named caches in one process, as Django's `caches["alias"]`.

use crate::config::{CACHE_URL_ENV, CacheConfig};
use crate::driver::cache::Cache;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

/// The alias of the default cache.
pub const DEFAULT_ALIAS: &str = "default";

/// A set of caches by alias.
///
/// An alias not registered in code is configured from the environment on
/// first use: `default` from `CACHE_URL` (in-process memory when unset), any
/// other alias from `CACHE_URL_<ALIAS>` (upper case, other characters as `_`).
///
/// ```
/// use cache_core::{Cache, caches};
/// caches().insert("sessions", Cache::from_url("memory://?prefix=s").unwrap());
/// let sessions = caches().get("sessions").unwrap();
/// sessions.set("sid", "alice", cache_core::Timeout::Default).unwrap();
/// assert!(caches().get("no-such-alias").is_err());
/// ```
#[derive(Debug, Default)]
pub struct Caches {
    by_alias: RwLock<HashMap<String, Cache>>,
}

static CACHES: LazyLock<Caches> = LazyLock::new(Caches::default);

/// The process-wide set of caches.
pub fn caches() -> &'static Caches {
    &CACHES
}

/// The environment variable that configures `alias`.
pub fn env_var_for(alias: &str) -> String {
    if alias == DEFAULT_ALIAS {
        return CACHE_URL_ENV.to_owned();
    }
    let suffix: String = alias
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{CACHE_URL_ENV}_{suffix}")
}

impl Caches {
    /// The cache named `alias`, configuring it from the environment on first use.
    pub fn get(&self, alias: &str) -> Result<Cache> {
        if let Some(cache) = self.read().get(alias) {
            return Ok(cache.clone());
        }
        let var = env_var_for(alias);
        let configured = std::env::var(&var).is_ok_and(|v| !v.trim().is_empty());
        if alias != DEFAULT_ALIAS && !configured {
            return Err(Error::config(
                alias,
                format!("no cache named {alias:?}: register one with caches().insert or set {var}"),
            ));
        }
        let cache = Cache::new(CacheConfig::from_env_var(&var)?)?;
        let mut map = self.by_alias.write().unwrap_or_else(|p| p.into_inner());
        Ok(map.entry(alias.to_owned()).or_insert(cache).clone())
    }

    /// The `default` cache.
    pub fn default_cache(&self) -> Result<Cache> {
        self.get(DEFAULT_ALIAS)
    }

    /// Registers `cache` under `alias`, returning the one it replaces.
    pub fn insert(&self, alias: &str, cache: Cache) -> Option<Cache> {
        let mut map = self.by_alias.write().unwrap_or_else(|p| p.into_inner());
        map.insert(alias.to_owned(), cache)
    }

    /// Unregisters `alias`.
    pub fn remove(&self, alias: &str) -> Option<Cache> {
        let mut map = self.by_alias.write().unwrap_or_else(|p| p.into_inner());
        map.remove(alias)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Cache>> {
        self.by_alias.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names() {
        assert_eq!(env_var_for("default"), "CACHE_URL");
        assert_eq!(env_var_for("read-replica"), "CACHE_URL_READ_REPLICA");
    }

    #[test]
    fn default_is_configured_and_shared() {
        let a = Caches::default().default_cache().unwrap();
        let set = Caches::default();
        set.insert("x", a.clone());
        a.set("k", &1, crate::Timeout::Default).unwrap();
        assert_eq!(set.get("x").unwrap().get::<i32>("k").unwrap(), Some(1));
    }
}
