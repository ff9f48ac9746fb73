//! Id lists (`#[cache(id_lists)]`): a list, page or count entry holds the
//! ids of its rows in order (or the count), and the rows come from their
//! own detail entries (IdentityCache's `fetch_multi`).
//!
//! What a list depends on is then only what decides which rows it holds and
//! in what order: the member tags of the values its first condition selects
//! (bumped by a write that makes a row come or go in that column: an
//! insert, a delete, an update that changed the column), the changed tags
//! of the other columns lists filter or order by (bumped by an update that
//! changed one), the table's `rows` when it has no condition (inserts and
//! deletes), and the table's `epoch` and `filtered` (every write whose
//! values are not known). A write that changes only other columns (a
//! price, a stock count) invalidates the row's own entries and no list.
//!
//! Reads: the ids from the list's entry (the usual read-through: leases,
//! stamps, fills), then the rows by [`Manager::find_many`] (one round trip
//! for the cached ones, one query for the others, each filled under its
//! own stamp), even when this read loaded the ids: the rows the list's
//! query read were checked (on a `Replicated` source) against the list's
//! tags only, not their own. A row of a valid list that is gone (a delete
//! racing the read), or whose value in the first condition's column is not
//! one the condition selects (a move racing the read: the ids read before
//! the write's bumps, the row after), sends the read to the database for
//! the whole list, unfilled, required to have seen the list's and its
//! rows' last writes.
//! A model with `select_related` has its id lists depend on the related
//! tables too (the join decides which rows a list holds).
//!
//! On a store that does I/O for every read (Redis, not its local tier), a
//! list this process read before is first read in one round trip with the
//! rows of the ids it held then ([`Engine::read_hits`]): served when the
//! list is a valid hit holding the same ids and every row is a valid hit
//! that has not left it; anything else reads as above, from the list.
//!
//! [`Engine::read_hits`]: cache_core::__engine::Engine::read_hits
//!
//! Every writer of the table must bump these tags: binaries of an earlier
//! version (which do not) leave id lists stale when they write a column
//! lists filter or order by, insert or delete (the change-stream follower
//! bumps them for every writer).

use crate::error::Result;
use crate::form::{Form, FormError, FormReader, FormWriter};
use crate::keys::DependsOn;
use crate::manager::batch_reads::Batch;
use crate::manager::source::{Missed, Reader};
use crate::manager::{Entry, Manager};
use crate::metrics::reads::Kind;
use crate::metrics::reads::Started;
use crate::model::{CachedModel, ListFilter, ModelQueries, UniqueKey};
use crate::rows::Rows;
use crate::tracking::ReadPolicy;
use cache_core::__engine::Outcome;
use cache_core::__engine::WithEngine;
use diesel::Connection;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::any::Any;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// The ids of a list's rows, in order: an id list's cached value.
#[derive(Debug, Clone)]
pub(crate) struct Ids<I>(pub(crate) Vec<I>);

impl<I: Serialize + DeserializeOwned> crate::form::CacheForm for Ids<I> {
    fn write_form(&self, w: &mut FormWriter<'_>) -> std::result::Result<(), FormError> {
        w.plain(&self.0)
    }

    fn read_form(r: &mut FormReader<'_>) -> std::result::Result<Self, FormError> {
        r.plain().map(Ids)
    }
}

/// The ids each id list held when this process last read it, by the
/// list's key: what a read guesses it will need besides the list (see the
/// module documentation). Held for at most [`LastIds::KEYS`] lists of at
/// most [`LastIds::MAX_IDS`] ids each (a page, not a whole table: a
/// manager holds at most about a million ids), then forgotten all at once
/// (a guess only saves a round trip).
#[derive(Default)]
pub(crate) struct LastIds(Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>);

impl LastIds {
    const KEYS: usize = 1024;
    const MAX_IDS: usize = 1000;

    fn get<I: Clone + Send + Sync + 'static>(&self, key: &str) -> Option<Arc<Vec<I>>> {
        let held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.get(key)?.clone().downcast().ok()
    }

    fn put<I: Send + Sync + 'static>(&self, key: &str, ids: Vec<I>) {
        if ids.len() > Self::MAX_IDS {
            return;
        }
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if held.len() >= Self::KEYS && !held.contains_key(key) {
            held.clear();
        }
        held.insert(key.to_owned(), Arc::new(ids));
    }
}

/// What a read of an id list and its rows at once (see the module
/// documentation) reads: the rows of the ids the list held last (their
/// keys, in the list's order), and their detail entries' tags.
pub(crate) struct Guess<M: CachedModel> {
    pub(crate) rows: Batch<M>,
    pub(crate) tags: Vec<String>,
}

/// Where an id list's key differs from a whole-row list's (an entry of one
/// is never read as the other).
const IDS: &str = "ids:";

/// Id lists (internal): lists, pages and counts read as ids, their rows
/// from their detail entries.
impl<M: CachedModel> Manager<M> {
    /// The member tags and changed tags an id list (or count) of `filter`
    /// depends on, on database `db` (see the module documentation).
    pub(crate) fn id_list_tags(&self, db: &str, filter: &M::Filter) -> (Vec<String>, Vec<String>) {
        let keys = self.model_keys();
        let (members, column) = keys.filter_member_tags(db, filter);
        let mut changed: Vec<String> = M::INFO
            .filter_columns
            .iter()
            .chain(M::INFO.order_columns)
            .filter(|c| Some(**c) != column)
            .map(|c| keys.changed_tag(c))
            .collect();
        changed.sort();
        changed.dedup();
        (members, changed)
    }

    /// The entry of an id list of `filter` (`related_tables`: the model's
    /// `select_related` tables, whose rows decide which rows it holds).
    pub(crate) fn id_list_entry<'t>(
        &'t self,
        suffix: Option<&str>,
        filter: &M::Filter,
        (members, changed): (&'t [String], &'t [String]),
        related_tables: &'t [String],
    ) -> Entry<'t, Ids<M::Id>, impl crate::manager::ShapeFn<Ids<M::Id>>> {
        let key = format!("{IDS}{}", filter.cache_key());
        let related = self.related_tags(related_tables);
        Entry {
            kind: Kind::List,
            key: self.model_keys().list_key(suffix, &key),
            deps: self
                .model_keys()
                .id_list_dependencies(members, changed, related),
            related: related_tables,
            shape: |_: &Ids<M::Id>, depends_on: DependsOn| (depends_on.found, M::INFO.list_timeout),
            value: PhantomData,
        }
    }

    /// Makes `entry`, a count of `filter`, an id-list model's: under its
    /// own key, invalidated as the model's id lists are.
    pub(crate) fn count_as_id_list<'t, S: crate::manager::ShapeFn<i64>>(
        &'t self,
        entry: &mut Entry<'t, i64, S>,
        suffix: Option<&str>,
        filter: &M::Filter,
        members: &'t [String],
        changed: &'t [String],
    ) {
        let key = format!("{IDS}{}", filter.conditions_key());
        entry.key = self.model_keys().count_key(suffix, &key);
        let (_, viewed) = self.model_keys().viewed();
        entry.deps = self
            .model_keys()
            .id_list_dependencies(members, changed, viewed);
    }

    /// The rows `found` for a list's `ids`, when every one was; otherwise
    /// what a read of the whole list from the database must have seen (see
    /// `Replicated`): the list's key and tags, and the tags of the rows it
    /// held.
    pub(crate) fn found_or_gone(
        &self,
        found: Vec<Option<M::Record>>,
        (suffix, filter): (Option<&str>, &M::Filter),
        tags: (&[String], &[String]),
        related_tables: &[String],
        ids: &[M::Id],
    ) -> std::result::Result<Rows<M::Record>, (String, Vec<String>)> {
        if found.iter().all(Option::is_some) {
            let rows: Vec<M::Record> = found.into_iter().flatten().collect();
            let mut strays = Strays::of(filter);
            if !rows.iter().any(|r| strays.holds::<M>(r)) {
                return Ok(Rows::from(rows));
            }
        }
        tracing::debug!(
            model = M::INFO.name,
            "a row of a cached id list is gone or has left it: the list is read from the database"
        );
        let entry = self.id_list_entry(suffix, filter, tags, related_tables);
        let mut all: Vec<String> = entry.deps.tags().iter().map(|t| t.to_string()).collect();
        let keys = self.model_keys();
        all.extend(
            ids.iter()
                .map(|id| keys.unique_tag_of(&M::unique_of_id(id.clone()))),
        );
        Err((entry.key, all))
    }

    /// What to read with the id list under `key` at once, if this process
    /// read it before and its store reads entries at once (not under
    /// `policy` [`ReadPolicy::Bypass`]).
    pub(crate) fn guess(&self, key: &str, policy: ReadPolicy) -> Option<Guess<M>> {
        if policy == ReadPolicy::Bypass || !self.cache().engine().reads_hits_at_once() {
            return None;
        }
        let ids = self.last_ids().get::<M::Id>(key)?;
        let rows = Batch::<M>::new(ids.iter().cloned().map(M::unique_of_id));
        let tags = rows.tags(self);
        Some(Guess { rows, tags })
    }

    /// Whether what a read at once found (the list's ids, its rows) is
    /// what `guess` expected and may be served for `filter`.
    pub(crate) fn as_guessed(
        guess: &Guess<M>,
        filter: &M::Filter,
        Form(Ids(ids)): &Form<Ids<M::Id>>,
        rows: &[Form<Option<M::Record>>],
    ) -> bool {
        // (Ids compared by their keys' text, the guess's built once with
        // its batch: `M::Id` need not be `Eq`. A guess whose batch read an
        // id once for two places never matches: the list is read as usual.)
        let guessed = &guess.rows.value_keys;
        let same = |(id, key): (&M::Id, &String)| M::unique_of_id(id.clone()).value_key() == *key;
        let mut strays = Strays::of(filter);
        ids.len() == guessed.len()
            && ids.iter().zip(guessed).all(same)
            && rows.len() == guessed.len()
            && rows
                .iter()
                .all(|Form(row)| row.as_ref().is_some_and(|r| !strays.holds::<M>(r)))
    }

    /// The rows a read at once served (`found`, for `guess`'s rows): its
    /// entries reported as hits.
    pub(crate) fn served_at_once<S, R>(
        &self,
        list: &Entry<'_, Ids<M::Id>, S>,
        rows: &[Entry<'_, Option<M::Record>, R>],
        guess: &Guess<M>,
        found: Vec<Form<Option<M::Record>>>,
        started: Started,
    ) -> Rows<M::Record>
    where
        S: crate::manager::ShapeFn<Ids<M::Id>>,
        R: crate::manager::ShapeFn<Option<M::Record>>,
    {
        self.report(list, Outcome::Hit, false, started);
        rows.iter()
            .for_each(|row| self.report(row, Outcome::Hit, false, started));
        let found = guess.rows.answers_of(found);
        Rows::from(found.into_iter().flatten().collect::<Vec<_>>())
    }

    /// Remembers that the id list under `key` held `ids`, where a read at
    /// once will guess from it (not on a store that keeps values decoded
    /// in this process, whose hits take no round trip to save).
    pub(crate) fn remember_ids(&self, key: &str, ids: Vec<M::Id>) {
        if !self.cache().engine().reads_hits_at_once() {
            return;
        }
        self.last_ids().put(key, ids);
    }

    /// [`Manager::all`] of an id-list model through `reader`.
    pub(crate) fn id_list_via<C>(
        &self,
        mut reader: impl Reader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let db = crate::keys::catalogue::db::<C::Backend>();
        let (members, changed) = self.id_list_tags(db, &filter);
        let related = <M as ModelQueries<C>>::related_tables();
        let tags = (&members[..], &changed[..]);
        let entry = self.id_list_entry(suffix, &filter, tags, related);
        let policy = reader.policy(Self::tables_of(&entry));
        if let Some(guess) = self.guess(&entry.key, policy) {
            let rows = guess.rows.entries(self, &guess.tags, related);
            let started = Started::now();
            let plans = self.batch_plans(&rows, policy);
            let found = self.cache().engine().read_hits(
                &self.plan(&entry, false, None),
                &plans,
                |ids, found| Self::as_guessed(&guess, &filter, ids, found),
            );
            if let Some((_, found)) = found {
                return Ok(self.served_at_once(&entry, &rows, &guess, found, started));
            }
        }
        let learn = self.model_keys().needs_catalogue(db, &filter);
        // (Only the ids are kept: no prefetched relations.)
        let background = || -> crate::manager::OwnedLoad<C, Ids<M::Id>> {
            let owned = filter.clone();
            Box::new(move |conn| M::load_records(conn, &owned, false).map(|r| ids_of::<M>(&r)))
        };
        // The rows come from their entries even when this read loaded the
        // ids: the rows the list's query read were checked (on a
        // `Replicated` source) against the list's tags only.
        let list_key = entry.key.clone();
        let Ids(ids) = self.read_through(
            &mut reader,
            entry,
            |conn| {
                self.learn_catalogue(learn, conn);
                M::load_records(conn, &filter, false).map(|r| ids_of::<M>(&r))
            },
            Some(&background),
        )?;
        let found =
            self.find_many_via(&mut reader, ids.iter().cloned().map(M::unique_of_id), true)?;
        let (key, tags) = match self.found_or_gone(found, (suffix, &filter), tags, related, &ids) {
            Ok(rows) => {
                self.remember_ids(&list_key, ids);
                return Ok(rows);
            }
            Err(gone) => gone,
        };
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let missed_entry = [(key.as_str(), &tags[..])];
        let missed = Missed::new(self.cache(), &missed_entry);
        reader.load(missed, |conn| {
            M::load_records(conn, &filter, true).map(Rows::from)
        })
    }
}

/// Whether a row no longer matches a filter's first condition: a write
/// moved it out between the read of the list's ids and the read of the
/// row (the list was read before the write's bumps, the row after), or
/// its value is spelled otherwise than the condition's (text a collation
/// finds equal): either way, not served from the cache. The condition's
/// values are read once for all the rows of a page.
struct Strays {
    condition: Option<(&'static str, Vec<String>)>,
    /// A row's value key, written here (one buffer for the page's rows).
    value: String,
}

impl Strays {
    fn of<F: ListFilter>(filter: &F) -> Self {
        Strays {
            condition: filter.value_condition(),
            value: String::new(),
        }
    }

    /// Whether `record` strays from the condition.
    fn holds<M: CachedModel>(&mut self, record: &M::Record) -> bool {
        let Some((column, values)) = &self.condition else {
            return false;
        };
        self.value.clear();
        M::record_model(record).column_value_into(column, &mut self.value)
            && !values.contains(&self.value)
    }
}

/// The ids of `records`, in order.
pub(crate) fn ids_of<M: CachedModel>(records: &[M::Record]) -> Ids<M::Id> {
    Ids(records.iter().map(|r| M::record_model(r).id()).collect())
}

#[cfg(test)]
mod tests {
    use super::{Ids, LastIds};
    use crate::form::Form;

    /// An id list cached by a build before the cached form became one
    /// MessagePack binary (a plain array of ids) is never read as another
    /// list: with every id under 256, the array's elements are bytes,
    /// which an id `0x92` followed by two small ids once read as the two.
    #[test]
    fn an_id_list_of_the_earlier_layout_is_not_read() {
        for first in 0..=255i32 {
            for len in 0..20 {
                let ids: Vec<i32> = std::iter::once(first).chain(1..len).collect();
                let earlier = rmp_serde::to_vec(&ids).unwrap();
                let read = rmp_serde::from_slice::<Form<Ids<i32>>>(&earlier);
                assert!(read.is_err(), "{ids:?} read as {:?}", read.map(|f| f.0.0));
            }
        }
    }

    #[test]
    fn a_list_longer_than_a_page_is_not_remembered() {
        let held = LastIds::default();
        held.put("page", vec![1i32, 2, 3]);
        held.put("table", (0..=LastIds::MAX_IDS as i32).collect::<Vec<_>>());
        assert_eq!(held.get::<i32>("page").as_deref(), Some(&vec![1, 2, 3]));
        assert!(held.get::<i32>("table").is_none());
        // Another type under the key (a guess never served as another's).
        assert!(held.get::<i64>("page").is_none());
    }

    #[test]
    fn past_its_bound_every_list_is_forgotten_at_once() {
        let held = LastIds::default();
        for k in 0..LastIds::KEYS {
            held.put(&k.to_string(), vec![k]);
        }
        held.put("0", vec![7usize]);
        assert_eq!(held.get::<usize>("1").as_deref(), Some(&vec![1]));
        held.put("one more", vec![0usize]);
        assert!(held.get::<usize>("1").is_none());
        assert_eq!(held.get::<usize>("one more").as_deref(), Some(&vec![0]));
    }
}
