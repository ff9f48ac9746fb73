//! What each read depends on: a detail read, an id list, a list; the
//! related tables' tags.

use super::ModelKeys;
use crate::keys::dependencies::Dependencies;
use crate::keys::{TableTag, table_dependency_tags};
use cache_core::__engine::digest_of_hashes;

impl ModelKeys {
    /// The tags of `tables` (other tables than the model's) that an entry
    /// depends on, table by table.
    pub(crate) fn dependency_tags(&self, tables: &[String]) -> Vec<String> {
        tables
            .iter()
            .flat_map(|table| table_dependency_tags(&self.keys, table))
            .collect()
    }

    /// [`dependency_tags`](Self::dependency_tags) of the model's related
    /// tables, built on the first call (a model's related tables are the
    /// same for every connection type), which runs `first` before any
    /// entry can depend on them.
    pub(crate) fn related_tags(
        &self,
        related_tables: &[String],
        first: impl FnOnce(),
    ) -> &[String] {
        self.related.get_or_init(|| {
            first();
            // (A model over a view of a table: its entries depend on the
            // table's writes, whichever program makes them.)
            let base = self.base().map(str::to_owned);
            let tables: Vec<String> = related_tables.iter().cloned().chain(base).collect();
            self.dependency_tags(&tables)
        })
    }

    /// The tags of a detail read by `column` of a model without
    /// relations, in [`detail_dependencies`](Self::detail_dependencies)'
    /// order.
    #[cfg(test)]
    pub(crate) fn unrelated_detail_tags<'a>(
        &'a self,
        column: &str,
        unique_tag: &'a str,
    ) -> Vec<&'a str> {
        self.detail_dependencies(column, unique_tag, &[])
            .tags()
            .to_vec()
    }

    /// The `tags_digest` of [`detail_dependencies`](Self::detail_dependencies)
    /// without related tables, of the unique tag whose `tag_hash` is
    /// `unique`.
    pub(super) fn detail_digest(&self, column: &str, unique: u64) -> u64 {
        let [all, epoch, absent] = self.detail_hashes;
        let tenant = self.tenant.as_ref().map(|(_, hash)| *hash);
        // (Each case an array: this is a hot hit's path.)
        match (tenant, self.wide_of(column).map(|(_, hash)| hash)) {
            (None, None) => digest_of_hashes([all, epoch, unique, absent].into_iter()),
            (None, Some(wide)) => digest_of_hashes([all, epoch, unique, wide, absent].into_iter()),
            (Some(t), None) => digest_of_hashes([all, t, epoch, unique, absent].into_iter()),
            (Some(t), Some(wide)) => {
                digest_of_hashes([all, t, epoch, unique, wide, absent].into_iter())
            }
        }
    }

    /// The tags every entry depends on first: the cache's `all` and, in a
    /// tenant's view, the tenant's tag.
    fn heads(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.all.as_str()).chain(self.tenant.as_ref().map(|(t, _)| t.as_str()))
    }

    /// What a detail read by `column` depends on: a found row on the
    /// cache's `all`, the table's `epoch`, the tag of the value looked up
    /// (`unique_tag`, from [`unique_tag`](Self::unique_tag)), the column's
    /// wide tag where another model over the table does not declare it
    /// (see [`crate::keys::declared`]) and the `related` tables' tags; a "not
    /// found" also on the table's `absent` (an insert may create the row).
    pub(crate) fn detail_dependencies<'a>(
        &'a self,
        column: &str,
        unique_tag: &'a str,
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(6 + related.len());
        tags.extend(self.heads());
        tags.push(self.table_tag(TableTag::Epoch));
        let own = tags.len();
        tags.push(unique_tag);
        tags.extend(self.wide_of(column).map(|(wide, _)| wide));
        tags.extend(related.iter().map(String::as_str));
        if self.unsettled(column) {
            tags.push(self.table_tag(TableTag::List));
        }
        let absent = self.table_tag(TableTag::Absent);
        let found = tags.len();
        tags.push(absent);
        Dependencies {
            tags,
            found,
            own: Some(own),
        }
    }

    /// What an id list depends on (see `id_lists`): the table's tags
    /// (`all`, `epoch`, `filtered`: writes whose values are not known),
    /// the `members` of its value condition (none: the table's `rows`),
    /// the `changed` tags of the other columns lists filter or order by,
    /// and the `related` tables' tags (a `select_related` join decides
    /// which rows a list holds).
    pub(crate) fn id_list_dependencies<'a>(
        &'a self,
        members: &'a [String],
        changed: &'a [String],
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(5 + members.len() + changed.len() + related.len());
        tags.extend(self.heads());
        tags.extend([
            self.table_tag(TableTag::Epoch),
            self.table_tag(TableTag::Filtered),
        ]);
        if members.is_empty() {
            tags.push(self.table_tag(TableTag::Rows));
        }
        tags.extend(members.iter().map(String::as_str));
        tags.extend(changed.iter().map(String::as_str));
        tags.extend(related.iter().map(String::as_str));
        Dependencies::always(tags)
    }

    /// What a list (or a count, or an `all_where` list) depends on: the
    /// cache's `all`, the table's `epoch`, then without `values` the
    /// table's `list`, with them its `filtered` and the value tags (from
    /// [`filter_value_tags`](Self::filter_value_tags)), and the `related`
    /// tables' tags (from [`dependency_tags`](Self::dependency_tags)).
    pub(crate) fn list_dependencies<'a>(
        &'a self,
        values: &'a [String],
        related: &'a [String],
    ) -> Dependencies<'a> {
        let mut tags = Vec::with_capacity(4 + values.len() + related.len());
        tags.extend(self.heads());
        tags.push(self.table_tag(TableTag::Epoch));
        if values.is_empty() {
            tags.push(self.table_tag(TableTag::List));
        } else {
            tags.push(self.table_tag(TableTag::Filtered));
            tags.extend(values.iter().map(String::as_str));
        }
        tags.extend(related.iter().map(String::as_str));
        Dependencies::always(tags)
    }
}
