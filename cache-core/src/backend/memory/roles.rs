//! The store roles over the in-process store: tag versions
//! ([`TagStore`]), entries and their memos ([`EntryStore`]), and Django's
//! low-level API ([`Backend`]).

use super::MemoryBackend;
use super::held::{self, Held};
use crate::backend::{
    Backend, Capabilities, Claim, EntryStore, Fetched, Incr, Kept, Memo, Swap, TagClock, TagStore,
};
use crate::codec;
use crate::error::{Error, Result};
use crate::key::KeyParts;
use crate::key_hash::Hashed;
use crate::timeout::{Ttl, coarse_deadline_ms, coarse_now_ms};
use bytes::Bytes;
use std::any::Any;
use std::sync::atomic::Ordering;

impl TagStore for MemoryBackend {
    fn write_versions(&self, tags: &[(&str, u64)], ttl: Ttl) -> Result<()> {
        for (tag, version) in tags {
            match crate::protocol::stamp::version_to_write(*version) {
                (version, false) => {
                    let _ = self.tags.put(tag, version, true, ttl);
                }
                (version, true) => self.tags.replace_live(tag, version),
            }
            // After the write: a reader that saw the old time looked the
            // tag up before it.
            self.tags.clock.tick(tag);
        }
        // After the writes, likewise.
        self.tags.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn create_versions(&self, _entry: &str, tags: &[(&str, u64)], ttl: Ttl) -> Result<Vec<u64>> {
        Ok(tags
            .iter()
            .map(|(tag, version)| self.tags.put(tag, *version, false, ttl))
            .collect())
    }

    fn read_versions(&self, _entry: &str, tags: &[&str]) -> Result<Vec<Option<u64>>> {
        Ok(tags.iter().map(|t| self.tags.get(t)).collect())
    }

    fn swap_and_fill(&self, swap: Swap<'_>) -> Result<Option<bool>> {
        let before = self
            .tags
            .swap(swap.tag, swap.version, swap.tag_ttl, swap.expected);
        self.tags.clock.tick(swap.tag);
        // (Moves the generation after the writes, the swap's too.)
        self.write_versions(swap.bump, swap.bump_ttl)?;
        if before != Some(swap.expected) {
            return Ok(Some(false));
        }
        // (Stamped with the version just written: a bump after the swap
        // invalidates it, so the fill need not be under the same lock.)
        self.fill(swap.key, swap.bytes, swap.ttl, None)?;
        Ok(Some(true))
    }

    fn generation(&self) -> Option<u64> {
        Some(self.tags.generation.load(Ordering::SeqCst))
    }

    fn tag_clock(&self) -> Option<&TagClock> {
        Some(&self.tags.clock)
    }
}

impl EntryStore for MemoryBackend {
    fn read_entry(&self, key: &str, tags: &[&str], claim: Option<&Claim<'_>>) -> Result<Fetched> {
        let leased = match claim {
            Some(claim) => {
                self.create_versions(key, claim.create, claim.tag_ttl)?;
                self.add(claim.lease, Bytes::from_static(b"1"), Some(claim.lease_ttl))?
            }
            None => false,
        };
        let (entry, memo) = self.lookup(key).unzip();
        Ok(Fetched {
            entry,
            memo,
            versions: tags.iter().map(|t| self.tags.get(t)).collect(),
            leased,
        })
    }

    fn fill(&self, key: &str, bytes: Bytes, ttl: Ttl, release: Option<&str>) -> Result<()> {
        self.insert(key, self.new_entry(key, bytes, ttl));
        if let Some(lease) = release {
            let lease = Hashed::of(lease);
            self.store.write(&lease, |shard, _| shard.remove(&lease));
        }
        Ok(())
    }

    fn kept(&self, key: &str) -> Option<Memo> {
        self.live(key)
    }

    fn kept_by_parts(&self, key: KeyParts<'_>) -> Option<Memo> {
        let hashed = Hashed::of_parts(key.head_hash(), key.name());
        self.with_live_at(hashed, |s| s.memo.memo())
    }

    fn read_kept_by_parts(
        &self,
        key: KeyParts<'_>,
        read: &mut dyn FnMut(&Kept<dyn Any + Send + Sync>),
    ) -> bool {
        let hashed = Hashed::of_parts(key.head_hash(), key.name());
        held::lend(
            || self.with_live_at(hashed, |s| s.memo.lendable()).flatten(),
            read,
        )
    }

    fn keep_decoded(&self, key: &str, raw: &Memo, decoded: &Memo) {
        let hashed = Hashed::of(key);
        self.store.write(&hashed, |shard, _| {
            shard.update(&hashed, |current| {
                if current.memo.is(raw) {
                    // (`raw`, replaced, is the caller's too: not dropped here.)
                    current.memo = Held::new(decoded.clone());
                }
            });
        });
    }
}

impl Backend for MemoryBackend {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn refused_entries(&self) -> u64 {
        self.refused()
    }

    fn async_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn crate::backend::AsyncStore>> {
        Some(std::sync::Arc::new(crate::backend::InProcess(self)))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            shared: false,
            keeps_decoded: true,
        }
    }

    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.live(key).map(|memo| memo.bytes().unwrap_or_default()))
    }

    fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Ok(keys
            .iter()
            .map(|k| self.live(k).map(|memo| memo.bytes().unwrap_or_default()))
            .collect())
    }

    fn set(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<()> {
        self.insert(key, self.new_entry(key, value, ttl));
        Ok(())
    }

    fn set_many(&self, entries: &[(&str, Bytes)], ttl: Ttl) -> Result<()> {
        for (key, value) in entries {
            self.insert(key, self.new_entry(key, value.clone(), ttl));
        }
        Ok(())
    }

    fn add(&self, key: &str, value: Bytes, ttl: Ttl) -> Result<bool> {
        let size = value.len();
        let stored = self.new_entry(key, value, ttl);
        if self.too_heavy(key, &stored) {
            // Not `Ok(false)`: that says another value holds the key.
            return Err(Error::ValueTooLarge {
                key: key.to_owned(),
                size,
                max: self.largest_value(),
            });
        }
        let now = coarse_now_ms();
        let hashed = Hashed::of(key);
        let added = self.store.write(&hashed, |shard, dropped| {
            if shard.peek(&hashed).is_some_and(|current| current.live(now)) {
                return false;
            }
            shard.insert(hashed, stored, dropped);
            true
        });
        if added {
            self.sweep_now_and_then();
        }
        Ok(added)
    }

    fn delete(&self, key: &str) -> Result<bool> {
        let hashed = Hashed::of(key);
        Ok(self
            .store
            .write(&hashed, |shard, _| shard.remove(&hashed))
            .is_some_and(|s| s.live(coarse_now_ms())))
    }

    fn delete_many(&self, keys: &[&str]) -> Result<u64> {
        let mut n = 0;
        for key in keys {
            n += u64::from(self.delete(key)?);
        }
        Ok(n)
    }

    fn has_key(&self, key: &str) -> Result<bool> {
        Ok(self.live(key).is_some())
    }

    fn touch(&self, key: &str, ttl: Ttl) -> Result<bool> {
        let now = coarse_now_ms();
        let hashed = Hashed::of(key);
        Ok(self.store.write(&hashed, |shard, dropped| {
            let touched = shard.update(&hashed, |current| {
                let live = current.live(now);
                if live {
                    current.expires_at = ttl.map_or(u64::MAX, coarse_deadline_ms);
                }
                live
            });
            if touched == Some(false) {
                dropped.extend(shard.remove(&hashed));
            }
            touched == Some(true)
        }))
    }

    fn incr(&self, key: &str, delta: i64) -> Result<Incr> {
        let now = coarse_now_ms();
        let hashed = Hashed::of(key);
        Ok(self.store.write(&hashed, |shard, dropped| {
            if let Some(expired) = shard.remove_if(&hashed, |s| !s.live(now)) {
                dropped.push(expired);
                return Incr::Missing;
            }
            let incremented = shard.update(&hashed, |current| {
                let bytes = current.memo.bytes().unwrap_or_default();
                let Some(old) = codec::decode_counter(&bytes) else {
                    return Incr::NotAnInteger;
                };
                let Some(new) = old.checked_add(delta) else {
                    return Incr::Overflow;
                };
                let text = Bytes::from(new.to_string());
                let at = current.expires_at;
                let counter = self.stored(key, Kept::holding(text.clone()), text.len(), at);
                dropped.push(std::mem::replace(current, counter));
                Incr::Value(new)
            });
            incremented.unwrap_or(Incr::Missing)
        }))
    }

    fn clear(&self, _prefix: &str) -> Result<()> {
        // Keys and versions are kept by hash, not by prefix: all are
        // forgotten (the entries of another cache sharing this store then
        // miss).
        self.store
            .each(|shard, dropped| dropped.extend(shard.drain()));
        self.tags.clear();
        Ok(())
    }
}
