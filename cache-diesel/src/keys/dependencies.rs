//! What a read's entries depend on: a cached query's tags
//! ([`QueryTags`]), a read's tags split into those its value depends on
//! and the rest ([`Dependencies`]), and how many that is ([`DependsOn`]).

use super::{all_tag_in, query_tag, table_dependency_tags};
use cache_core::__engine::WithEngine;
use cache_core::Cache;

/// What a cached query's results depend on, in one cache.
#[derive(Debug)]
pub(crate) struct QueryTags(Vec<String>);

impl QueryTags {
    /// The tags of the query labelled `label` whose results depend on
    /// `tables`: its own tag, the cache's `all` (and in a tenant's view
    /// the tenant's tag), then each table's `epoch` and `list`.
    pub(crate) fn new<'t>(
        cache: &Cache,
        label: &str,
        tables: impl Iterator<Item = &'t str>,
    ) -> Self {
        let keys = cache.engine().keys();
        let mut tags = vec![query_tag(cache, label), all_tag_in(keys)];
        tags.extend(keys.tenant_tag().map(str::to_owned));
        for table in tables {
            tags.extend(table_dependency_tags(keys, table));
        }
        QueryTags(tags)
    }

    /// A query's result is never "not found": it depends on every tag.
    pub(crate) fn dependencies(&self) -> Dependencies<'_> {
        Dependencies::always(self.0.iter().map(String::as_str).collect())
    }
}

/// How many of a read's tags a loaded value depends on (cache-core's
/// `Shape::depends_on` / `FillOptions::depends_on`: the first so many of
/// the tags the read was made with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DependsOn {
    /// A value found: a row, a list, a count, a query's result.
    pub(crate) found: usize,
    /// A cached "no such row".
    pub(crate) absent: usize,
}

/// The tags one read depends on: those any value it loads depends on, and
/// those only a "not found" depends on besides.
#[derive(Debug)]
pub(crate) struct Dependencies<'a> {
    /// The tags a found value depends on, then those only "not found" adds
    /// (the order cache-core's prefix count needs: it is private to this
    /// module).
    pub(super) tags: Vec<&'a str>,
    /// How many of `tags` a found value depends on.
    pub(super) found: usize,
    /// The index in `tags` of the read's own tag: one that only entries
    /// of this kind of read depend on (a detail read's unique-value tag),
    /// so it may be created with their lifetime instead of days.
    pub(super) own: Option<usize>,
}

impl<'a> Dependencies<'a> {
    /// A read whose every outcome depends on all of `tags`.
    pub(super) fn always(tags: Vec<&'a str>) -> Self {
        Dependencies {
            found: tags.len(),
            tags,
            own: None,
        }
    }

    /// The index of the read's own tag in [`tags`](Self::tags), if it has
    /// one (a detail read: the tag of the value looked up).
    pub(crate) fn own(&self) -> Option<usize> {
        self.own
    }

    /// Every tag the read is made with (what cache-core reads and creates).
    pub(crate) fn tags(&self) -> &[&'a str] {
        &self.tags
    }

    /// The tags a found value depends on.
    pub(crate) fn found(&self) -> &[&'a str] {
        &self.tags[..self.found]
    }

    /// The tags a cached "not found" depends on.
    pub(crate) fn absent(&self) -> &[&'a str] {
        &self.tags
    }

    /// How many of [`tags`](Self::tags) each outcome depends on.
    pub(crate) fn depends_on(&self) -> DependsOn {
        DependsOn {
            found: self.found().len(),
            absent: self.absent().len(),
        }
    }
}
