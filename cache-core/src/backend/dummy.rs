//! A backend that stores nothing, as Django's `DummyCache`.

use super::{Backend, Capabilities, Claim, EntryStore, Fetched, Incr, TagStore};
use crate::error::Result;
use crate::timeout::Ttl;
use bytes::Bytes;

/// Stores nothing: every read misses, `add` reports success, `incr` finds no key.
#[derive(Debug, Default, Clone, Copy)]
pub struct DummyBackend;

impl TagStore for DummyBackend {
    fn write_versions(&self, _tags: &[(&str, u64)], _ttl: Ttl) -> Result<()> {
        Ok(())
    }
    fn create_versions(&self, _entry: &str, tags: &[(&str, u64)], _ttl: Ttl) -> Result<Vec<u64>> {
        Ok(tags.iter().map(|(_, v)| *v).collect())
    }
    fn read_versions(&self, _entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        Ok(vec![None; tags.len()])
    }
}

impl EntryStore for DummyBackend {
    fn read_entry(&self, _key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        Ok(Fetched {
            versions: vec![None; tags.len()],
            leased: claim.is_some(),
            ..Fetched::default()
        })
    }
    fn fill(&self, _key: &str, _bytes: Bytes, _ttl: Ttl, _release: Option<&str>) -> Result<()> {
        Ok(())
    }
}

impl Backend for DummyBackend {
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
        "dummy"
    }
    fn get(&self, _key: &str) -> Result<Option<Bytes>> {
        Ok(None)
    }
    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Ok(vec![None; keys.len()])
    }
    fn set(&self, _key: &str, _value: Bytes, _ttl: Ttl) -> Result<()> {
        Ok(())
    }
    fn set_many(&self, _entries: &[(&str, Bytes)], _ttl: Ttl) -> Result<()> {
        Ok(())
    }
    fn add(&self, _key: &str, _value: Bytes, _ttl: Ttl) -> Result<bool> {
        Ok(true)
    }
    fn delete(&self, _key: &str) -> Result<bool> {
        Ok(false)
    }
    fn delete_many(&self, _keys: &[&str]) -> Result<u64> {
        Ok(0)
    }
    fn has_key(&self, _key: &str) -> Result<bool> {
        Ok(false)
    }
    fn touch(&self, _key: &str, _ttl: Ttl) -> Result<bool> {
        Ok(false)
    }
    fn incr(&self, _key: &str, _delta: i64) -> Result<Incr> {
        Ok(Incr::Missing)
    }
    fn clear(&self, _pattern: &str) -> Result<()> {
        Ok(())
    }
}
