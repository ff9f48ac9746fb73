//! These keys as the other models over the table shape them (see
//! `keys::declared`): the wide tags of the unique columns one declares and
//! another does not, and whether this model names every value tag.

use super::ModelKeys;
use crate::keys::unique_scope;
use cache_core::__engine::tag_hash;

impl ModelKeys {
    /// These keys, for a model whose writes name every value tag of the
    /// table (`names`) or not.
    pub(crate) fn naming_values(mut self, names: bool) -> Self {
        self.names_values = names;
        self
    }

    /// Whether this model's writes can name every value tag a list of the
    /// table depends on (see [`crate::keys::declared`]).
    pub(crate) fn names_every_value(&self) -> bool {
        self.names_values
    }

    /// These keys, where other models over the table declare other unique
    /// columns: lookups by the columns of `depend` depend on their wide
    /// tags, and writes bump those of `bump` (see [`crate::keys::declared`]).
    pub(crate) fn with_wide(mut self, depend: &[&'static str], bump: &[&'static str]) -> Self {
        self.wide = depend
            .iter()
            .map(|&column| {
                let tag = self.wide_tag(column);
                let hash = tag_hash(&tag);
                (column, tag, hash)
            })
            .collect();
        self.others_wide = bump.iter().map(|column| self.wide_tag(column)).collect();
        self
    }

    /// The wide tag of unique column `column`: its value tags' scope, with
    /// `*` for the value (no value key is `*`: they are JSON texts).
    pub(crate) fn wide_tag(&self, column: &str) -> String {
        unique_scope(&self.keys, self.table, column).key("*")
    }

    /// The wide tags this model's hooks bump beside the row's own (see
    /// [`crate::keys::declared`]).
    pub(crate) fn others_wide(&self) -> &[String] {
        &self.others_wide
    }

    /// The wide tag a lookup by `column` depends on, and its `tag_hash`.
    pub(super) fn wide_of(&self, column: &str) -> Option<(&str, u64)> {
        self.wide
            .iter()
            .find(|(c, _, _)| *c == column)
            .map(|(_, tag, hash)| (tag.as_str(), *hash))
    }
}
