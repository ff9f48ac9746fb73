//! Write-through: a hook write that returned its row puts it into the
//! row's detail entry, so that the next `get` of it is a hit (see
//! `cache_core::__engine::Engine::write_through` for the protocol).
//!
//! Only where it is certain that the row put is the committed one: a
//! tracked connection in autocommit (the hook's statement, or the
//! transaction of its own, committed before the put: an untracked
//! connection may be inside a transaction opened by SQL text, whose rows
//! could be rolled back), a write that names its values (not coarse), a
//! model whose record is the row (no relations) and whose table is not a
//! view of another (`view_of`), the lookup by primary key. Everything else is invalidated as before; so is the row's entry
//! when another write of it came between.
//!
//! On a shared store the write's announcement carries a token of its
//! writer under the row's own tag, so that its put can tell whether
//! another writer of the row came between (see `cache_core`'s
//! `driver/write_through.rs`). Not on a Redis Cluster nor where bumps wait
//! for replicas: the row is invalidated there.

use crate::form::Form;
use crate::keys::tag_bumps::Tags;
use crate::manager::Manager;
use crate::model::{CachedModel, UniqueKey};
use crate::tracking::{self, ReadPolicy};
use crate::writes::write_shape::WriteShape;
use cache_core::__engine::WithEngine;
use cache_core::__engine::{FillOptions, Noted, PutWritten};
use diesel::Connection;

/// Where a written row goes: its detail entry's key and tags (the own tag
/// at `own`, the first `found` of them stamped).
pub(crate) struct Through {
    key: String,
    tags: Vec<String>,
    own: usize,
    found: usize,
}

impl Through {
    /// The entry's tags, borrowed.
    fn tags(&self) -> Vec<&str> {
        self.tags.iter().map(String::as_str).collect()
    }

    /// A write's `tags` but the row's own (which the put's swap writes).
    fn others(&self, tags: &[String]) -> Vec<String> {
        let own = &self.tags[self.own];
        tags.iter().filter(|t| *t != own).cloned().collect()
    }
}

/// What a put writes (see [`Manager::put_of`]): the value, how, and the
/// own tag's place and lifetime.
pub(crate) struct Put<R> {
    value: Form<Option<R>>,
    options: FillOptions,
    own: (usize, std::time::Duration),
    bump_ttl: cache_core::Ttl,
}

impl<R> Put<R> {
    /// The put into `through`'s entry (its tags, `strs`), bumping `rest`.
    fn at<'a>(
        &self,
        through: &'a Through,
        strs: &'a [&'a str],
        rest: &'a [String],
    ) -> PutWritten<'a> {
        PutWritten {
            key: &through.key,
            tags: strs,
            own: self.own,
            options: self.options,
            bump: (rest, self.bump_ttl),
        }
    }
}

/// Writing through (internal): a written row put into its detail entry.
impl<M: CachedModel> Manager<M> {
    /// Where a hook write of the row with primary key `id` on `conn` puts
    /// its row, if it may (see the module documentation).
    pub(crate) fn write_through_of<C: Connection>(
        &self,
        conn: &mut C,
        id: &M::Id,
    ) -> Option<Through> {
        if tracking::tracker(conn).is_none()
            || tracking::read_policy(conn, std::iter::empty()) != ReadPolicy::Normal
            || self.shape_on(conn) == WriteShape::Coarse
        {
            return None;
        }
        self.through_of(id)
    }

    /// Where a written row with primary key `id` goes, for a model whose
    /// record is its row (whatever the connection).
    pub(crate) fn through_of(&self, id: &M::Id) -> Option<Through> {
        // (Not a model over a view: the row written may have left it, and
        // its entries depend on the table's tags too.)
        if !M::ROW_IS_RECORD || self.model_keys().base().is_some() {
            return None;
        }
        let unique = M::unique_of_id(id.clone());
        let value_key = unique.value_key();
        let keys = self.model_keys();
        let own_tag = keys.unique_tag(unique.column(), &value_key);
        let deps = keys.detail_dependencies(unique.column(), &own_tag, &[]);
        // (A found row's stamp: the `absent` tag after them is not noted.)
        let found = deps.found();
        Some(Through {
            key: keys.detail_key(unique.column(), &value_key),
            tags: found.iter().map(|t| (*t).to_owned()).collect(),
            own: deps.own()?,
            found: found.len(),
        })
    }

    /// Announces `announce` and notes the versions `through`'s entry's
    /// tags hold, before the write's statement.
    pub(crate) fn announce_noting(&self, announce: &[&str], through: &Through) -> Option<Noted> {
        (self.cache()).engine().announce_noting(
            announce,
            &through.key,
            (&through.tags(), through.own),
        )
    }

    /// After the commit: puts `row` in place where nothing came between,
    /// bumping the row's own tag and the write's other `tags` in the same
    /// round trip. Returns whether they were bumped (if not, the caller
    /// bumps them as usual).
    pub(crate) fn put_written(
        &self,
        through: Through,
        noted: Noted,
        row: &M,
        tags: &[String],
    ) -> bool {
        let Some(put) = self.put_of(&through, row) else {
            return false;
        };
        let (strs, rest) = (through.tags(), through.others(tags));
        let bumped = (self.cache()).engine().write_through(
            put.at(&through, &strs, &rest),
            noted,
            &put.value,
        );
        self.after_put(&through, bumped)
    }

    /// What [`Manager::put_written`] puts of `row`, and how; `None` where
    /// nothing (a write that moved the primary key wrote another row's
    /// entry; a model without records of its rows).
    pub(crate) fn put_of(&self, through: &Through, row: &M) -> Option<Put<M::Record>> {
        let unique = M::unique_of_id(row.id());
        let tag = self
            .model_keys()
            .unique_tag(unique.column(), &unique.value_key());
        if tag != through.tags[through.own] {
            return None;
        }
        let record = M::record_of_row(row.clone())?;
        let options = FillOptions {
            depends_on: through.found,
            ttl: Some(M::INFO.detail_timeout),
            soft: M::INFO.soft_timeout,
        };
        Some(Put {
            value: Form(Some(record)),
            options,
            own: (through.own, Tags::<M>::own_ttl()),
            bump_ttl: Tags::<M>::ttl(),
        })
    }

    /// Whether a put `bumped` the write's tags (`Some`) or not.
    pub(crate) fn after_put(&self, through: &Through, bumped: Option<bool>) -> bool {
        if let Some(put) = bumped {
            tracing::debug!(model = M::INFO.name, key = %through.key, put, "write-through");
        }
        bumped.is_some()
    }
}

/// Writing through on diesel-async connections (internal).
#[cfg(feature = "async")]
impl<M: CachedModel> Manager<M> {
    /// [`Manager::announce_noting`] without blocking the runtime's thread.
    pub(crate) async fn announce_noting_async(
        &self,
        announce: &[&str],
        through: &Through,
    ) -> Option<Noted> {
        (self.cache())
            .engine()
            .announce_noting_async(announce, &through.key, (&through.tags(), through.own))
            .await
    }

    /// [`Manager::put_written`] without blocking the runtime's thread.
    pub(crate) async fn put_written_async(
        &self,
        through: Through,
        noted: Noted,
        row: &M,
        tags: &[String],
    ) -> bool {
        let Some(put) = self.put_of(&through, row) else {
            return false;
        };
        let (strs, rest) = (through.tags(), through.others(tags));
        let bumped = (self.cache())
            .engine()
            .write_through_async(put.at(&through, &strs, &rest), noted, &put.value)
            .await;
        self.after_put(&through, bumped)
    }
}
