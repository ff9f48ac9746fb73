//! The keys of a model over a view of another table (`#[cache(view_of = ..)]`):
//! the table's tags its writes bump too, and what its entries depend on of it.

use super::ModelKeys;
use crate::keys::{TableTag, table_dependency_tags, table_tag_in, unique_scope};
use cache_core::__engine::{MAX_KEY_LEN, Namespace};

/// What the writes of a model over a view (`#[cache(view_of = ..)]`)
/// invalidate of the table it shows: every tag they bump of the view,
/// under the table's name (the view shows the table's columns under their
/// own names, so a value's tag is the same value's there), and what the
/// model cannot name of the table (see [`ModelKeys::mirrored`]).
#[derive(Debug)]
pub(super) struct Mirror {
    /// The table's SQL name.
    base: String,
    /// What the view's tags begin with and what the table's do instead:
    /// the sparse tags' heads first, then the others'.
    heads: Vec<(String, String)>,
    /// The tags every write through the model bumps of the table besides
    /// its own: `filtered` where the model lacks a filter column of a
    /// model over the table, and the wide tags of the unique columns such
    /// models declare and it does not.
    extra: Vec<String>,
    /// The table's `epoch` and `filtered` tags.
    coarse: [String; 2],
    /// The table's name alone, and its dependency tags (`epoch`, `list`):
    /// what every entry of the model depends on besides its own.
    viewed: ([String; 1], [String; 2]),
}

impl ModelKeys {
    /// These keys, for a model of `info` over a view of another table
    /// (`view_of`): its writes bump that table's tags too.
    pub(super) fn mirroring(mut self, info: &crate::model::ModelInfo) -> Self {
        let Some(base) = crate::keys::base_of(info) else {
            return self;
        };
        // (What a tag of the table begins with: a tag of one name less the
        // name, which a prefix too long to hold a name as it is hashes:
        // then every write through the view bumps the table's `epoch`.)
        let head = |table: &str, sparse: bool| {
            let mut tag = match sparse {
                true => self.keys.sparse_tag(&[table], "x"),
                false => self.keys.build(Namespace::Tag, &[table], "x"),
            };
            tag.pop().filter(|x| *x == 'x' && tag.ends_with(':'))?;
            Some(tag)
        };
        let heads = [true, false].map(|sparse| head(self.table, sparse).zip(head(&base, sparse)));
        let heads: Vec<(String, String)> = heads.into_iter().flatten().collect();
        let coarse =
            [TableTag::Epoch, TableTag::Filtered].map(|t| table_tag_in(&self.keys, &base, t));
        let mut extra = Vec::new();
        if heads.len() < 2 {
            extra.push(coarse[0].clone());
        }
        if !crate::keys::maps_every_filter_column(&base, info.columns) {
            extra.push(coarse[1].clone());
        }
        let (_, bump) = crate::keys::wide_columns(&base, info.unique_columns);
        extra.extend(
            bump.iter()
                .map(|c| unique_scope(&self.keys, &base, c).key("*")),
        );
        let depends = table_dependency_tags(&self.keys, &base);
        self.mirror = Some(Mirror {
            viewed: ([base.clone()], depends),
            base,
            heads,
            extra,
            coarse,
        });
        self
    }

    /// `tags` (a write's, through this model), and, for a model over a
    /// view of another table, that table's same tags and what the model
    /// cannot name of it (see [`Mirror`]).
    pub(crate) fn mirrored(&self, mut tags: Vec<String>) -> Vec<String> {
        let Some(mirror) = &self.mirror else {
            return tags;
        };
        let mirrored: Vec<String> = tags.iter().filter_map(|t| mirror.base_tag(t)).collect();
        tags.extend(mirrored);
        tags.extend(mirror.extra.iter().cloned());
        tags.sort();
        tags.dedup();
        tags
    }

    /// For a model over a view (`view_of`): the table it shows (alone),
    /// and that table's dependency tags, which every entry of the model
    /// depends on (its writes, from any program, change what the view
    /// shows). Empty for other models.
    pub(crate) fn viewed(&self) -> (&[String], &[String]) {
        match &self.mirror {
            Some(Mirror { viewed, .. }) => (&viewed.0, &viewed.1),
            None => (&[], &[]),
        }
    }

    /// The table a model over a view shows (`view_of`).
    pub(crate) fn base(&self) -> Option<&str> {
        self.mirror.as_ref().map(|m| m.base.as_str())
    }

    /// The tag of the table a model over a view shows that stands for
    /// `tag` of the view.
    pub(crate) fn base_tag(&self, tag: &str) -> Option<String> {
        self.mirror.as_ref()?.base_tag(tag)
    }

    /// Whether `tag` invalidates every list with conditions of the model's
    /// table, or of the table its view shows.
    pub(crate) fn is_coarse(&self, tag: &str) -> bool {
        let own = [TableTag::Filtered, TableTag::Epoch].map(|t| self.table_tag(t));
        let base = self.mirror.iter().flat_map(|m| &m.coarse);
        own.contains(&tag) || base.into_iter().any(|t| t == tag)
    }

    /// The tag owed bumps of a write's tags collapse into, past the bound
    /// of the debt: the table's `epoch`, or, where they are not all the
    /// table's (a model over a view), `all`.
    pub(crate) fn cover(&self) -> &str {
        match self.mirror {
            Some(_) => &self.all,
            None => self.table_tag(TableTag::Epoch),
        }
    }
}

impl Mirror {
    /// The table's tag for the view's `tag`; `None` for a tag not the
    /// view's. Where the two keys may not name the value alike (the view's
    /// holds a hashed name, or the table's would be too long to hold it as
    /// it is: whether a name is hashed depends on the whole key's length),
    /// the table's `epoch`.
    fn base_tag(&self, tag: &str) -> Option<String> {
        self.heads.iter().find_map(|(view, base)| {
            let rest = tag.strip_prefix(view.as_str())?;
            if rest.contains('#') || base.len() + rest.len() > MAX_KEY_LEN {
                return Some(self.coarse[0].clone());
            }
            Some(format!("{base}{rest}"))
        })
    }
}
