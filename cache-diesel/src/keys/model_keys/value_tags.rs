//! The tags of values: a unique column's value, and the value and member
//! tags of a list's condition (named as the catalogue says the column
//! compares), and those a write bumps.

use super::ModelKeys;
use crate::keys::catalogue;
use crate::keys::{MAX_VALUE_TAGS, TableTag, unique_scope, value_tag_name};
use crate::model::{ListFilter, UniqueKey};

impl ModelKeys {
    /// The backend key of the tag of `column`'s value `value_key`.
    pub(crate) fn unique_tag(&self, column: &str, value_key: &str) -> String {
        match self.unique.iter().find(|(c, _, _)| *c == column) {
            Some((_, scope, _)) => scope.key(value_key),
            None => unique_scope(&self.keys, self.table, column).key(value_key),
        }
    }

    /// The backend key of the value tag of `column`'s value `value_key`:
    /// the lists whose first condition selects that value depend on it.
    /// The table's, not the model's: every model over the table shares it.
    /// Values the database may hold equal share a tag: see
    /// [`value_tag_name`]. With whether it names a text by its fold (the
    /// list then also depends on the column's [`catalogue::UNFOLDED`] tag).
    pub(crate) fn value_tag(&self, db: &str, column: &str, value_key: &str) -> (String, bool) {
        let name = self.value_name(db, column, value_key);
        (
            self.value_tag_named(column, &name),
            catalogue::is_fold(&name),
        )
    }

    /// The name a reader's value tag (or member tag) gives the value keyed
    /// `value_key` in `column` (see [`value_tag_name`] and `catalogue`).
    fn value_name<'v>(
        &self,
        db: &str,
        column: &str,
        value_key: &'v str,
    ) -> std::borrow::Cow<'v, str> {
        // (Only text asks what the catalogue said: a list of integers
        // reads no lock.)
        if value_key.starts_with('"') {
            let cache = self.keys.namespace_prefix();
            let compare = catalogue::compare(db, cache, self.table, column);
            if let Some(name) = catalogue::text_name(compare, value_key) {
                return std::borrow::Cow::Owned(name);
            }
        }
        std::borrow::Cow::Borrowed(value_tag_name(value_key))
    }

    /// The value tags a write of the value keyed `value_key` in `column`
    /// bumps: [`value_tag`](Self::value_tag)'s, under every name a reader
    /// may give the value (a text value's: see `catalogue`).
    pub(crate) fn written_value_tags(&self, column: &str, value_key: &str) -> Vec<String> {
        crate::keys::written_names(Some(value_key), |name| self.value_tag_named(column, name))
    }

    /// The member tag of `column`'s value `value_key`: the id lists whose
    /// first condition selects that value depend on it, and a write bumps
    /// it only where the row's value in `column` came or went (an insert,
    /// a delete, an update that changed it); named as
    /// [`value_tag`](Self::value_tag) names values (and with whether by a
    /// fold).
    fn member_tag(&self, db: &str, column: &str, value_key: &str) -> (String, bool) {
        let name = self.value_name(db, column, value_key);
        let tag = crate::keys::member_tag_in(&self.keys, self.table, column, &name);
        (tag, catalogue::is_fold(&name))
    }

    /// The member tags a write that made the value keyed `value_key` come
    /// or go in `column` bumps (every name a reader may give it).
    pub(crate) fn written_member_tags(&self, column: &str, value_key: &str) -> Vec<String> {
        crate::keys::written_names(Some(value_key), |name| {
            crate::keys::member_tag_in(&self.keys, self.table, column, name)
        })
    }

    /// [`crate::keys::changed_tag`] of the model's table.
    pub(crate) fn changed_tag(&self, column: &str) -> String {
        crate::keys::changed_tag_in(&self.keys, self.table, column)
    }

    fn value_tag_named(&self, column: &str, name: &str) -> String {
        // (Sparse: a bump writes only the value tags some list created.)
        self.keys.sparse_tag(&[self.table, "f", column], name)
    }

    /// Whether a list of `filter` would depend on a text value's tag whose
    /// column's comparison this process has not read yet (see
    /// `catalogue::learn`).
    pub(crate) fn needs_catalogue(&self, db: &str, filter: &impl ListFilter) -> bool {
        let Some((column, values)) = filter.value_condition() else {
            return false;
        };
        (values.iter().any(|v| v.starts_with('"'))
            && !catalogue::learned(db, self.keys.namespace_prefix(), self.table))
            || self.lookup_needs_catalogue(column)
    }

    /// The value tags a list of `filter` depends on: one per value its
    /// first condition selects; none (the list depends on the table-wide
    /// `list` tag) without a condition, or for an `IN` of none or of more
    /// than [`MAX_VALUE_TAGS`] values; the column's
    /// [`catalogue::UNFOLDED`] tag where one is a text named by its fold.
    /// After them the table's `list` tag while the condition's column has
    /// not settled (see `catalogue`).
    pub(crate) fn filter_value_tags(&self, db: &str, filter: &impl ListFilter) -> Vec<String> {
        let tag = |column: &str, v: &str| self.value_tag(db, column, v);
        let unfolded = |column: &str| self.value_tag_named(column, catalogue::UNFOLDED);
        self.settling_tags(folded_condition_tags(filter, tag, unfolded))
            .0
    }

    /// `tags` of a condition on `column`, and the table's `list` tag after
    /// them while the column has not settled.
    fn settling_tags(
        &self,
        (mut tags, column): (Vec<String>, Option<&'static str>),
    ) -> (Vec<String>, Option<&'static str>) {
        if column.is_some_and(|c| self.unsettled(c)) {
            tags.push(self.table_tag(TableTag::List).to_owned());
        }
        (tags, column)
    }

    /// The member tags an id list of `filter` depends on: one per value
    /// its first condition selects (as [`filter_value_tags`](Self::filter_value_tags)
    /// names value tags), and that condition's column; none without one.
    pub(crate) fn filter_member_tags(
        &self,
        db: &str,
        filter: &impl ListFilter,
    ) -> (Vec<String>, Option<&'static str>) {
        let tag = |column: &str, v: &str| self.member_tag(db, column, v);
        let unfolded = |column: &str| {
            crate::keys::member_tag_in(&self.keys, self.table, column, catalogue::UNFOLDED)
        };
        self.settling_tags(folded_condition_tags(filter, tag, unfolded))
    }

    /// [`unique_tag`](Self::unique_tag) of a unique lookup.
    pub(crate) fn unique_tag_of(&self, key: &impl UniqueKey) -> String {
        self.unique_tag(key.column(), &key.value_key())
    }
}

/// The tags `tag` names for each value `filter`'s first condition selects
/// (sorted, each once), and that condition's column; none without one, or
/// for an `IN` of none or of more than [`MAX_VALUE_TAGS`] values.
fn condition_tags(
    filter: &impl ListFilter,
    tag: impl Fn(&'static str, &str) -> String,
) -> (Vec<String>, Option<&'static str>) {
    match filter.value_condition() {
        Some((column, values)) if !values.is_empty() && values.len() <= MAX_VALUE_TAGS => {
            let mut tags: Vec<String> = values.iter().map(|v| tag(column, v)).collect();
            tags.sort();
            tags.dedup();
            (tags, Some(column))
        }
        _ => (Vec::new(), None),
    }
}

/// [`condition_tags`] of `tag`, which also says whether it named a text by
/// its fold: then with the condition column's tag `unfolded` names too.
fn folded_condition_tags(
    filter: &impl ListFilter,
    tag: impl Fn(&str, &str) -> (String, bool),
    unfolded: impl Fn(&str) -> String,
) -> (Vec<String>, Option<&'static str>) {
    let by_fold = std::cell::Cell::new(false);
    let (mut tags, column) = condition_tags(filter, |column, v| {
        let (tag, fold) = tag(column, v);
        by_fold.set(by_fold.get() || fold);
        tag
    });
    if let Some(column) = column.filter(|_| by_fold.get()) {
        tags.push(unfolded(column));
    }
    (tags, column)
}
