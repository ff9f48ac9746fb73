//! Invalidation: giving tags new versions ([`bump`], [`bump_groups`]),
//! logged, failing open; and how long tags live. Which tags exist, their
//! keys and what each read depends on are [`crate::keys`]'s.

use crate::model::{CachedModel, ModelInfo};
use cache_core::__engine::Cause;
use cache_core::__engine::WithEngine;
use cache_core::{Cache, Ttl};
use std::time::Duration;

/// Gives `tags` new versions, logging what was invalidated and why (a
/// failure is logged, at most once per period and cache, and returned for
/// the explicit invalidations to report; hook writes fail open and drop
/// it: the bumps are owed either way). `cover` is the table's epoch
/// tag when all of `tags` are one table's (what an undeliverable debt
/// collapses into). `source` names the model or query on whose behalf.
pub(crate) fn bump(
    cache: &Cache,
    tags: &[String],
    cover: Option<&str>,
    ttl: Ttl,
    source: &str,
    why: &str,
) -> crate::Result<()> {
    let bumped = cache.engine().bump_tags_within(tags, cover, ttl);
    logged(cache, bumped, tags, source, why)
}

/// Logs the outcome of a bump of `tags` and returns it as this crate's error.
pub(crate) fn logged<T: std::fmt::Debug + ?Sized>(
    cache: &Cache,
    bumped: cache_core::Result<()>,
    tags: &T,
    source: &str,
    why: &str,
) -> crate::Result<()> {
    match bumped {
        Ok(()) => {
            tracing::debug!(source, why, tags = ?tags, "cache invalidate");
            Ok(())
        }
        Err(e) => {
            if let Some(more) = cache.engine().log_limit(Cause::InvalidationFailed) {
                tracing::error!(source, why, tags = ?tags, error = %e, "cache invalidation failed{more}")
            }
            Err(crate::Error::Invalidation(e))
        }
    }
}

/// [`bump`] of several groups of tags, each with its own cover, in one
/// round trip.
pub(crate) fn bump_groups(
    cache: &Cache,
    groups: &[(&[String], Option<&str>)],
    ttl: Ttl,
    source: &str,
    why: &str,
) {
    let tags: Vec<&String> = groups.iter().flat_map(|(tags, _)| tags.iter()).collect();
    // (Fail open: a hook's or the tracker's bumps are owed when they fail.)
    let _ = logged(
        cache,
        cache.engine().bump_tag_groups(groups, ttl),
        &tags,
        source,
        why,
    );
}

/// Lifetime of tags bumped without a model at hand (by the write tracker).
pub(crate) const DEFAULT_TAG_TTL: Duration = Duration::from_secs(2 * 86_400);

/// What a detail read's own tag outlives its entries by, beyond twice
/// their lifetime: the query between the tag's creation and the fill.
const OWN_TAG_MARGIN: Duration = Duration::from_secs(5);

/// The tag policy of model `M` (its tag keys are [`crate::keys`]'s).
pub(crate) struct Tags<M>(std::marker::PhantomData<fn() -> M>);

impl<M: CachedModel> Tags<M> {
    /// Tags outlive the entries stamped with them; a tag that expires anyway
    /// only turns those entries into misses.
    pub(crate) fn ttl() -> Ttl {
        tag_ttl(&M::INFO)
    }

    /// The lifetime a detail read's own tag (the tag of the value looked
    /// up) is created with. Only detail entries depend on it: a found row
    /// for `detail_timeout`, a cached "not found" for `not_found_timeout`.
    /// The tag is created before the query, when it is not known which of
    /// the two the read will store, so it outlives the longer one twice,
    /// plus a margin for the query between the tag's creation and the
    /// fill: not `ttl()`'s days, which every lookup of a value that does
    /// not exist would leave behind. (An entry that outlives its tag is a
    /// miss, never a stale read; a bump still writes `ttl()`.)
    pub(crate) fn own_ttl() -> Duration {
        own_tag_ttl(&M::INFO)
    }
}

/// [`Tags::ttl`] of a model (compiled once, not per model).
fn tag_ttl(info: &ModelInfo) -> Ttl {
    let longest = info.list_timeout.max(info.detail_timeout);
    Some(longest.saturating_mul(2).max(DEFAULT_TAG_TTL))
}

/// [`Tags::own_ttl`] of a model (compiled once).
fn own_tag_ttl(info: &ModelInfo) -> Duration {
    let longest = info.detail_timeout.max(info.not_found_timeout);
    longest
        .saturating_mul(2)
        .saturating_add(OWN_TAG_MARGIN)
        .min(tag_ttl(info).unwrap_or(DEFAULT_TAG_TTL))
}
