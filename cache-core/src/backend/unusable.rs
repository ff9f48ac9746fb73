//! The backend of a cache whose configuration could not be used (a
//! `CACHE_URL` that does not parse): every call fails, so the managers read
//! the database, count the failure (`errors`, `uncached`) and log it, as
//! for a cache that is down. Loud, where storing nothing would be silent.

use super::{Backend, Capabilities, Claim, EntryStore, Fetched, Incr, TagStore};
use crate::error::{Error, Result};
use crate::timeout::Ttl;
use bytes::Bytes;

/// Fails every call with [`Error::Unavailable`] carrying the reason.
#[derive(Debug, Clone)]
pub(crate) struct UnusableBackend {
    pub(crate) reason: String,
}

impl UnusableBackend {
    fn fail<T>(&self) -> Result<T> {
        Err(Error::Unavailable {
            reason: self.reason.clone(),
        })
    }
}

impl TagStore for UnusableBackend {
    fn write_versions(&self, _tags: &[(&str, u64)], _ttl: Ttl) -> Result<()> {
        self.fail()
    }
    fn create_versions(&self, _entry: &str, _tags: &[(&str, u64)], _ttl: Ttl) -> Result<Vec<u64>> {
        self.fail()
    }
    fn read_versions(&self, _entry: &str, _tags: &[&str]) -> Result<Vec<Option<u64>>> {
        self.fail()
    }
}

impl EntryStore for UnusableBackend {
    fn read_entry(
        &self,
        _key: &str,
        _tags: &[&str],
        _claim: Option<&Claim<'_>>,
    ) -> Result<Fetched> {
        self.fail()
    }
    fn fill(&self, _key: &str, _bytes: Bytes, _ttl: Ttl, _release: Option<&str>) -> Result<()> {
        self.fail()
    }
}

impl Backend for UnusableBackend {
    fn async_store(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn super::AsyncStore>> {
        Some(std::sync::Arc::new(super::InProcess(self)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: false,
            keeps_decoded: false,
        }
    }
    fn kind(&self) -> &'static str {
        "unusable"
    }
    fn get(&self, _key: &str) -> Result<Option<Bytes>> {
        self.fail()
    }
    fn get_many(&self, _keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.fail()
    }
    fn set(&self, _key: &str, _value: Bytes, _ttl: Ttl) -> Result<()> {
        self.fail()
    }
    fn set_many(&self, _entries: &[(&str, Bytes)], _ttl: Ttl) -> Result<()> {
        self.fail()
    }
    fn add(&self, _key: &str, _value: Bytes, _ttl: Ttl) -> Result<bool> {
        self.fail()
    }
    fn delete(&self, _key: &str) -> Result<bool> {
        self.fail()
    }
    fn delete_many(&self, _keys: &[&str]) -> Result<u64> {
        self.fail()
    }
    fn has_key(&self, _key: &str) -> Result<bool> {
        self.fail()
    }
    fn touch(&self, _key: &str, _ttl: Ttl) -> Result<bool> {
        self.fail()
    }
    fn incr(&self, _key: &str, _delta: i64) -> Result<Incr> {
        self.fail()
    }
    fn clear(&self, _pattern: &str) -> Result<()> {
        self.fail()
    }
}
