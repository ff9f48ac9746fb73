//! Over a shared store, the columns whose value tags an entry may depend
//! on alone only once they settled (see `catalogue`, "Columns").

use super::{ModelKeys, same_column};
use crate::keys::catalogue;
use cache_core::__engine::tag_hash;
use cache_core::Cache;
use std::sync::atomic::{AtomicBool, Ordering};

impl ModelKeys {
    /// These keys, for a model of `info` in `cache`: over a shared store,
    /// its filter columns and unique columns other than the primary key
    /// settle (see `catalogue`, "Columns").
    pub(super) fn settling(mut self, cache: &Cache, info: &crate::model::ModelInfo) -> Self {
        if !cache.backend().capabilities().shared {
            return self;
        }
        self.settle = cache.config().schema_settle;
        let lookups = info
            .unique_columns
            .iter()
            .filter(|c| **c != info.primary_key);
        // A program whose models do not map a unique column bumps its wide
        // tag (`Manager::schema_tags`): every lookup by one depends on it.
        for &column in lookups.clone() {
            if self.wide_of(column).is_none() {
                let tag = self.wide_tag(column);
                let hash = tag_hash(&tag);
                self.wide.push((column, tag, hash));
            }
        }
        if self.settle.is_zero() {
            return self;
        }
        let mut columns: Vec<&'static str> = info.filter_columns.to_vec();
        columns.extend(lookups);
        columns.sort_unstable();
        columns.dedup();
        self.settling = columns
            .into_iter()
            .map(|c| (c, AtomicBool::new(false)))
            .collect();
        self
    }

    /// Whether entries keyed by `column`'s values must still depend on the
    /// table's `list` tag too: over a shared store, until this process's
    /// catalogue first listed the column the cache's `schema_settle` ago (see
    /// `catalogue`, "Columns"). Never for the primary key, nor over an
    /// in-process store.
    pub(super) fn unsettled(&self, column: &str) -> bool {
        let Some((_, settled)) = self.settling.iter().find(|(c, _)| same_column(c, column)) else {
            return false;
        };
        if settled.load(Ordering::Relaxed) {
            return false;
        }
        if catalogue::settled(
            self.keys.namespace_prefix(),
            self.table,
            column,
            self.settle,
        ) {
            settled.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Whether a read keyed by `column`'s values should read the catalogue
    /// before its load: the column has not settled, and this process's
    /// catalogue never listed it.
    pub(crate) fn lookup_needs_catalogue(&self, column: &str) -> bool {
        self.unsettled(column)
            && !catalogue::listed(self.keys.namespace_prefix(), self.table, column)
    }
}
