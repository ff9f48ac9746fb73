//! Verification from outside: a sample of a model's detail entries in a
//! shared cache, each compared with the row the database holds now
//! (`Manager::verify_entries`, and `cache-admin verify <model>` of an
//! [`Admin`](crate::Admin) that knows the model).
//!
//! Where the sampled verification of hits (`verify.rs`) checks what one
//! process serves, this reads what every process would be served: the
//! entries a store lists under the model's version and schema. Each entry
//! still valid (its tags hold, as a hit reads it) is compared with the row
//! read again by the entry's own lookup. A difference is re-checked once
//! the verification window has passed, as a sampled hit's is: the row,
//! the entry, the row again; stale only when both reads of the row agree
//! and the entry, still valid, holds something else. A stale entry is
//! reported with its key and age, and deleted.
//!
//! Checked: entries of rows found (by id or by a `unique(..)` column), and
//! cached absences by id (a `find` of no row: a row inserted since makes
//! it stale). Not: absences by another unique column (the key alone
//! cannot rebuild the lookup), lists and counts (an order the query
//! leaves open differs without being wrong).

use crate::error::{Error, Result};
use crate::form::Form;
use crate::keys::tag_bumps::Tags;
use crate::manager::Manager;
use crate::manager::verify::{draw, form};
use crate::model::{CachedModel, ModelQueries, UniqueKey};
use cache_core::__engine::WithEngine;
use cache_core::__engine::{Lookup, entry_filled_at};
use cache_core::Bytes;
use diesel::Connection;
use std::fmt;
use std::time::{Duration, SystemTime};

/// What [`Manager::verify_entries`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntriesVerified {
    /// The model's detail entries the store listed (every version's and
    /// schema's excluded but the manager's own).
    pub listed: usize,
    /// Those sampled and read.
    pub sampled: usize,
    /// Sampled entries that hold what the database holds.
    pub verified: usize,
    /// Sampled entries not checked: invalidated, expired or gone by the
    /// time they were read (nothing served), or a cached absence of a
    /// lookup by a unique column other than the primary key (which its
    /// key alone cannot rebuild).
    pub skipped: usize,
    /// Entries that differed from the database at first, but whose row or
    /// entry changed before the re-check: a write on its way, not counted
    /// stale.
    pub raced: usize,
    /// Entries that serve, as valid, what the database no longer holds:
    /// each deleted since.
    pub stale: Vec<StaleEntry>,
}

/// An entry [`Manager::verify_entries`] found stale (and deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaleEntry {
    /// Its backend key.
    pub key: String,
    /// How long ago it was filled, when its writer recorded it.
    pub age: Option<Duration>,
}

impl fmt::Display for EntriesVerified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "listed={} sampled={} verified={} skipped={} raced={} stale={}",
            self.listed,
            self.sampled,
            self.verified,
            self.skipped,
            self.raced,
            self.stale.len()
        )?;
        for entry in &self.stale {
            let age = entry
                .age
                .map_or_else(|| "unknown".to_owned(), |a| format!("{} s", a.as_secs()));
            write!(f, "\nstale (deleted): {} filled {age} ago", entry.key)?;
        }
        Ok(())
    }
}

/// Verifying: a sample of a model's entries checked against the database
/// ([`verify_entries`](Self::verify_entries)).
impl<M: CachedModel> Manager<M> {
    /// Verifies up to `sample` of this model's detail entries in the cache
    /// (drawn at random from those its store lists) against the database
    /// on `conn`: each valid entry's row is read again by the entry's own
    /// lookup and compared; a difference is re-checked after the cache's
    /// verification window (`verify_window`, and the tiered store's and a
    /// follower's windows), and only an entry that still serves, as valid,
    /// what the database holds still otherwise is counted stale, reported
    /// with its age and deleted.
    ///
    /// For an operator (`cache-admin verify`, see [`Admin`](crate::Admin)):
    /// it lists the store's keys (`SCAN` on Redis). A store that cannot
    /// list them (in-process) verifies nothing: [`Error::Store`]. It has
    /// no async twin: it runs off any request path, from a command, on a
    /// connection of its own, and it waits out the window on purpose.
    pub fn verify_entries<C>(&self, conn: &mut C, sample: usize) -> Result<EntriesVerified>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let related = <M as ModelQueries<C>>::related_tables();
        let mut report = EntriesVerified::default();
        let keys = self.sample_keys(sample, &mut report.listed)?;
        let mut differed = Vec::new();
        for key in keys {
            report.sampled += 1;
            let Some(unique) = self.lookup_of(&key)? else {
                report.skipped += 1;
                continue;
            };
            let Some(entry) = self.valid_form(&unique, related) else {
                report.skipped += 1;
                continue;
            };
            match self.row_form::<C>(conn, &unique)? {
                Some(row) if row == entry => report.verified += 1,
                Some(_) => differed.push(unique),
                None => report.skipped += 1,
            }
        }
        if differed.is_empty() {
            return Ok(report);
        }
        std::thread::sleep(crate::manager::verify::window(self.cache()));
        for unique in differed {
            let before = self.row_form::<C>(conn, &unique)?;
            let entry = self.valid_form(&unique, related);
            let after = self.row_form::<C>(conn, &unique)?;
            match (before, entry, after) {
                (Some(before), Some(entry), Some(after)) if before == after && entry != before => {
                    report.stale.push(self.delete_stale(&unique)?);
                }
                _ => report.raced += 1,
            }
        }
        Ok(report)
    }

    /// Up to `n` of the model's detail keys, drawn uniformly from those
    /// the store lists (`listed` counts them).
    fn sample_keys(&self, n: usize, listed: &mut usize) -> Result<Vec<String>> {
        let prefix = self.model_keys().detail_prefix();
        let mut drawn: Vec<String> = Vec::with_capacity(n.min(4096));
        let store = self.cache().backend();
        let can = store
            .keys_under(&prefix, &mut |keys| {
                for key in keys {
                    *listed += 1;
                    // Reservoir sampling: each key kept with chance n/seen.
                    if drawn.len() < n {
                        drawn.push(key.clone());
                    } else {
                        let at = (draw() * *listed as f64) as usize;
                        if let Some(slot) = drawn.get_mut(at) {
                            slot.clone_from(key);
                        }
                    }
                }
            })
            .map_err(Error::Store)?;
        if !can {
            return Err(Error::Store(cache_core::Error::Backend {
                reason: format!("a {} store cannot list its keys", store.kind()),
            }));
        }
        Ok(drawn)
    }

    /// The lookup whose entry `key` is: one of the unique values of the
    /// row it holds, whose detail key is `key`. `None` for an entry gone,
    /// undecodable or holding no row.
    fn lookup_of(&self, key: &str) -> Result<Option<M::Unique>> {
        let Some(bytes) = self.cache().backend().get(key).map_err(Error::Store)? else {
            return Ok(None);
        };
        let decoded = self
            .cache()
            .engine()
            .decode_fill::<Form<Option<M::Record>>>(key, &bytes, None);
        let unique = match decoded {
            Some(Form(Some(record))) => M::record_model(&record)
                .unique_keys()
                .into_iter()
                .find(|unique| self.detail_key(unique) == key),
            Some(Form(None)) => self.absent_id(key),
            None => None,
        };
        Ok(unique)
    }

    /// The lookup by id a cached absence under `key` answers, read back
    /// from the key (the value as its key writes it: digits, a JSON
    /// string) and kept only if it names `key` again. `None` for the
    /// absence of another unique column's value, whose lookup the key
    /// alone cannot rebuild.
    fn absent_id(&self, key: &str) -> Option<M::Unique> {
        let rest = key.strip_prefix(&self.model_keys().detail_prefix())?;
        let (column, value) = rest.split_once(':')?;
        if column != M::INFO.primary_key {
            return None;
        }
        let id: M::Id = serde_json::from_str(value).ok()?;
        let unique = M::unique_of_id(id);
        (self.detail_key(&unique) == key).then_some(unique)
    }

    /// The cached form of the entry of the lookup by `unique`, if a hit
    /// would serve it now.
    fn valid_form(&self, unique: &M::Unique, related: &[String]) -> Option<Bytes> {
        let value_key = unique.value_key();
        let unique_tag = self.model_keys().unique_tag(unique.column(), &value_key);
        let entry = self.detail_entry(unique, value_key, &unique_tag, related);
        let found = self
            .cache()
            .engine()
            .read_tagged_shared::<Form<Option<M::Record>>>(
                &entry.key,
                entry.deps.tags(),
                Tags::<M>::ttl(),
            );
        match found {
            Ok(Lookup::Hit { value, .. }) => form(&value.0),
            _ => None,
        }
    }

    /// The cached form of what the database answers to the lookup by
    /// `unique` now (`None` if it does not encode: not compared).
    fn row_form<C>(&self, conn: &mut C, unique: &M::Unique) -> Result<Option<Bytes>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let row = M::load_record(conn, unique)?;
        Ok(form(&row))
    }

    /// Deletes the stale entry of the lookup by `unique`; its key and age.
    fn delete_stale(&self, unique: &M::Unique) -> Result<StaleEntry> {
        let key = self.detail_key(unique);
        let store = self.cache().backend();
        let bytes = store.get(&key).map_err(Error::Store)?;
        let filled = bytes.and_then(|bytes| entry_filled_at(&key, &bytes));
        let age = filled.map(|at| SystemTime::now().duration_since(at).unwrap_or_default());
        store.delete(&key).map_err(Error::Store)?;
        tracing::warn!(
            model = M::INFO.name,
            key = %key,
            ?age,
            "a cached entry held what the database no longer holds; deleted"
        );
        Ok(StaleEntry { key, age })
    }
}
