//! Batch reads by primary key or unique value: `find_many`, `get_many`
//! (IdentityCache's `fetch_multi`). The entries and their tags are read in
//! one round trip on a Redis, the misses loaded by one query
//! ([`ModelQueries::load_many`]), each filled with the stamp read before
//! it; answers come in the order asked, an absent row as `None`.

use crate::error::{Error, Result};
use crate::form::Form;
use crate::manager::source::{ConnectionSource, FromPool, FromSource, Missed, Reader};
use crate::manager::{Entry, Manager, ShapeFn, Started};
use crate::model::{CachedModel, ModelQueries, UniqueKey};
use crate::tracking::ReadPolicy;
use cache_core::__engine::WithEngine;
use cache_core::__engine::{Found, Outcome, Plan};
use diesel::{Connection, QueryResult};
use std::collections::HashMap;

/// The distinct keys of a batch, and where the answer of each key asked is.
pub(crate) struct Batch<M: CachedModel> {
    /// The keys, each once.
    pub(crate) keys: Vec<M::Unique>,
    /// Their `UniqueKey::value_key`s.
    pub(crate) value_keys: Vec<String>,
    /// For each key asked, in order, its index in `keys`.
    at: Vec<usize>,
}

/// A batch's answers found kept in this process, in the order asked;
/// `None` where the batch read answers.
pub(crate) struct Kept<R>(Vec<Option<Option<R>>>);

impl<R> Kept<R> {
    /// The answers in order, the gaps filled from `read`: the batch
    /// read's answers to the keys left, in their order.
    pub(crate) fn complete(self, read: Vec<Option<R>>) -> Vec<Option<R>> {
        let mut read = read.into_iter();
        self.0
            .into_iter()
            .map(|kept| kept.unwrap_or_else(|| read.next().flatten()))
            .collect()
    }
}

/// The keys of `asked` (whose `value_keys` these are) each once: the
/// position of each distinct key's first occurrence (`first`, in order)
/// and, for each key asked, the index of its distinct key in `first`.
fn distinct_keys<K: UniqueKey>(asked: &[K], value_keys: &[String]) -> (Vec<usize>, Vec<usize>) {
    // (Each key's text borrowed, not copied.)
    let mut seen = HashMap::with_capacity(asked.len());
    let (mut first, mut at) = (Vec::new(), Vec::with_capacity(asked.len()));
    for (k, key) in asked.iter().enumerate() {
        let next = first.len();
        let i = *seen
            .entry((key.column(), value_keys[k].as_str()))
            .or_insert(next);
        if i == next {
            first.push(k);
        }
        at.push(i);
    }
    (first, at)
}

impl<M: CachedModel> Batch<M> {
    pub(crate) fn new(asked: impl IntoIterator<Item = M::Unique>) -> Self {
        let asked: Vec<M::Unique> = asked.into_iter().collect();
        let asked_keys: Vec<String> = asked.iter().map(UniqueKey::value_key).collect();
        let (first, at) = distinct_keys(&asked, &asked_keys);
        if first.len() == asked.len() {
            return Batch {
                keys: asked,
                value_keys: asked_keys,
                at,
            };
        }
        Batch {
            keys: first.iter().map(|&k| asked[k].clone()).collect(),
            value_keys: first.iter().map(|&k| asked_keys[k].clone()).collect(),
            at,
        }
    }

    /// The keys at these indices.
    pub(crate) fn subset(&self, at: &[usize]) -> Vec<M::Unique> {
        at.iter().map(|&i| self.keys[i].clone()).collect()
    }

    /// The answers to the keys asked, in order, from the answers to the
    /// distinct keys (moved when no key was asked twice).
    pub(crate) fn answers(&self, found: Vec<Option<M::Record>>) -> Vec<Option<M::Record>> {
        if self.at.len() == found.len() {
            return found; // (then `at` is 0, 1, 2, ..)
        }
        self.at.iter().map(|&i| found[i].clone()).collect()
    }

    /// [`Batch::answers`] from a load's cache forms (a bypassed read's).
    pub(crate) fn answers_of(&self, found: Vec<Form<Option<M::Record>>>) -> Vec<Option<M::Record>> {
        self.answers(found.into_iter().map(|Form(v)| v).collect())
    }

    /// The entries of the distinct keys' detail reads, whose tags are
    /// `tags` ([`Batch::tags`]).
    // The entry's shape is a closure type: no alias can name it.
    #[allow(clippy::type_complexity)]
    pub(crate) fn entries<'t>(
        &'t self,
        manager: &'t Manager<M>,
        tags: &'t [String],
        related: &'t [String],
    ) -> Vec<Entry<'t, Option<M::Record>, impl ShapeFn<Option<M::Record>> + use<'t, M>>> {
        self.keys
            .iter()
            .zip(&self.value_keys)
            .zip(tags)
            .map(|((key, value_key), tag)| {
                manager.detail_entry(key, value_key.clone(), tag, related)
            })
            .collect()
    }

    /// The unique-value tag of each distinct key.
    pub(crate) fn tags(&self, manager: &Manager<M>) -> Vec<String> {
        self.keys
            .iter()
            .zip(&self.value_keys)
            .map(|(key, value_key)| manager.model_keys().unique_tag(key.column(), value_key))
            .collect()
    }
}

/// For each of `keys`, its record among `records` (matched by value, to
/// the letter), and the indices of the keys that matched none and that a
/// collation may have matched to another spelling (`TEA` for `tea`, see
/// `Manager::detail_entry`): text values, or any while some record
/// matched no key. Those are looked up one by one, as `find_unique` would.
pub(crate) fn matched<M: CachedModel>(
    keys: &[M::Unique],
    records: Vec<M::Record>,
) -> (Vec<Option<M::Record>>, Vec<usize>) {
    // A row found by two kinds of key comes twice: kept once.
    let mut by_value: HashMap<(&'static str, String), usize> = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for record in records {
        let values: Vec<(&'static str, String)> = M::record_model(&record)
            .unique_keys()
            .iter()
            .map(|key| (key.column(), key.value_key()))
            .collect();
        if values.first().is_some_and(|v| by_value.contains_key(v)) {
            continue;
        }
        for value in values {
            by_value.insert(value, rows.len());
        }
        rows.push(Some(record));
    }
    let at: Vec<Option<usize>> = keys
        .iter()
        .map(|key| by_value.get(&(key.column(), key.value_key())).copied())
        .collect();
    let mut uses = vec![0usize; rows.len()];
    at.iter().flatten().for_each(|&i| uses[i] += 1);
    // A text value the database may have matched under another spelling
    // (a case-insensitive or trailing-space-blind collation: `TEA` finds
    // `tea`, whether or not another key asked for `tea` too); a number or
    // a key every row of which was matched cannot be.
    let spare = uses.contains(&0);
    let unmatched = (0..keys.len())
        .filter(|&k| at[k].is_none() && (spare || keys[k].value_key().contains('"')))
        .collect();
    // A row asked for by two of its unique values answers both: cloned
    // for all but its last use.
    let found = at
        .iter()
        .map(|at| {
            let i = (*at)?;
            uses[i] -= 1;
            if uses[i] == 0 {
                rows[i].take()
            } else {
                rows[i].clone()
            }
        })
        .collect();
    (found, unmatched)
}

/// The records of `keys` on `conn`, one per key (`None`: no row), by one
/// [`ModelQueries::load_many`], then one lookup per key the collation
/// matched differently.
pub(crate) fn load_matched<M, C>(
    conn: &mut C,
    keys: &[M::Unique],
) -> QueryResult<Vec<Form<Option<M::Record>>>>
where
    C: Connection + 'static,
    M: ModelQueries<C>,
{
    let (mut found, unmatched) = matched::<M>(keys, M::load_many(conn, keys)?);
    for k in unmatched {
        found[k] = M::load_record(conn, &keys[k])?;
    }
    Ok(found.into_iter().map(Form).collect())
}

/// Reading in batches, by primary key or unique value, in one round trip:
/// [`find_many`](Self::find_many), [`get_many`](Self::get_many),
/// [`find_many_unique`](Self::find_many_unique),
/// [`get_many_unique`](Self::get_many_unique).
impl<M: CachedModel> Manager<M> {
    /// The rows (or records) with these primary keys, in the order asked,
    /// `None` where there is none: the cached ones and their tags in one
    /// round trip (on a Redis; in process, none), the others in one query
    /// and then filled. Keys asked twice are read once.
    pub fn find_many<C>(
        &self,
        conn: &mut C,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_many_via(&mut &mut *conn, ids.into_iter().map(M::unique_of_id), false)
    }

    /// [`Manager::find_many`], or [`Error::NotFound`] naming every id
    /// with no row.
    pub fn get_many<C>(
        &self,
        conn: &mut C,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.get_many_unique(conn, ids.into_iter().map(M::unique_of_id))
    }

    /// [`Manager::find_many_unique`], or [`Error::NotFound`] naming every
    /// value with no row.
    pub fn get_many_unique<C>(
        &self,
        conn: &mut C,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<M::Record>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let keys: Vec<M::Unique> = keys.into_iter().collect();
        all_found::<M>(
            &keys,
            self.find_many_via(&mut &mut *conn, keys.iter().cloned(), false)?,
        )
    }

    /// [`Manager::find_many`] by unique values (of one column or several).
    pub fn find_many_unique<C>(
        &self,
        conn: &mut C,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        self.find_many_via(&mut &mut *conn, keys, false)
    }

    /// A batch read through `reader`; `distinct`: no key is asked twice
    /// (an id list's rows), so none is looked for.
    pub(crate) fn find_many_via<C>(
        &self,
        reader: &mut impl Reader<C>,
        keys: impl IntoIterator<Item = M::Unique>,
        distinct: bool,
    ) -> Result<Vec<Option<M::Record>>>
    where
        C: Connection + 'static,
        M: ModelQueries<C>,
    {
        let asked: Vec<M::Unique> = keys.into_iter().collect();
        if asked.is_empty() {
            return Ok(Vec::new());
        }
        let related = <M as ModelQueries<C>>::related_tables();
        let tables = std::iter::once(M::table()).chain(related.iter().map(String::as_str));
        let policy = reader.policy(tables);
        let (kept, asked) = self.kept_answers(asked, related, policy, distinct);
        if asked.is_empty() {
            return Ok(kept.complete(Vec::new()));
        }
        let batch = Batch::<M>::new(asked);
        if policy == ReadPolicy::Bypass {
            let missed = Missed::new(self.cache(), &[]);
            let found = reader.load(missed, |conn| load_matched::<M, C>(conn, &batch.keys))?;
            return Ok(kept.complete(batch.answers_of(found)));
        }
        let tags = batch.tags(self);
        let entries = batch.entries(self, &tags, related);
        let plans = self.batch_plans(&entries, policy);
        let started = Started::now();
        let found = self.cache().engine().read_through_many(
            &plans,
            |i, Form(value): &Form<Option<M::Record>>| Self::shape_of(&entries[i], value),
            |at| {
                let entries = missed_entries(&plans, &at);
                let missed = Missed::new(self.cache(), &entries);
                reader.load(missed, |conn| {
                    load_matched::<M, C>(conn, &batch.subset(&at))
                })
            },
        )?;
        let found = self.batch_answers(&batch, &entries, &plans, found, started)?;
        Ok(kept.complete(found))
    }

    /// The answers to `asked` that the store keeps decoded in this process
    /// and hits there, each by the fast path of a single hit
    /// ([`Manager::kept_detail`]: no batch, entries or plans built), and
    /// the keys left for the batch (all of them where the store keeps
    /// nothing decoded, the policy bypasses the cache or the model reads
    /// related tables). A key asked again (unless `distinct` says none
    /// is) takes its first answer, counted once, as the batch counts it.
    pub(crate) fn kept_answers(
        &self,
        asked: Vec<M::Unique>,
        related: &[String],
        policy: ReadPolicy,
        distinct: bool,
    ) -> (Kept<M::Record>, Vec<M::Unique>) {
        let mut kept = Kept(Vec::with_capacity(asked.len()));
        if policy == ReadPolicy::Bypass || !self.cache().backend().capabilities().keeps_decoded {
            kept.0.resize_with(asked.len(), || None);
            return (kept, asked);
        }
        // Where each key was first asked, when one is asked twice.
        let firsts = (!distinct).then(|| {
            let value_keys: Vec<String> = asked.iter().map(UniqueKey::value_key).collect();
            let (first, at) = distinct_keys(&asked, &value_keys);
            (first.len() < asked.len()).then(|| at.iter().map(|&i| first[i]).collect::<Vec<_>>())
        });
        let firsts = firsts.flatten();
        let mut missing = Vec::new();
        for (at, key) in asked.into_iter().enumerate() {
            let first = firsts.as_ref().map_or(at, |firsts| firsts[at]);
            let answer = match kept.0.get(first) {
                Some(earlier) => earlier.clone(),
                None => self.kept_detail(related, || false, &key),
            };
            if answer.is_none() {
                missing.push(key);
            }
            kept.0.push(answer);
        }
        (kept, missing)
    }

    /// The plans of a batch's `entries`, filled unless `policy` says not.
    pub(crate) fn batch_plans<'e, S: ShapeFn<Option<M::Record>>>(
        &'e self,
        entries: &'e [Entry<'_, Option<M::Record>, S>],
        policy: ReadPolicy,
    ) -> Vec<Plan<'e>> {
        let fill = policy == ReadPolicy::Normal;
        entries
            .iter()
            .map(|entry| self.plan(entry, fill, None))
            .collect()
    }

    /// The answers of a batch read, each entry's outcome reported.
    pub(crate) fn batch_answers<S: ShapeFn<Option<M::Record>>>(
        &self,
        batch: &Batch<M>,
        entries: &[Entry<'_, Option<M::Record>, S>],
        plans: &[Plan<'_>],
        found: Found<Form<Option<M::Record>>>,
        started: Started,
    ) -> Result<Vec<Option<M::Record>>> {
        let mut values = Vec::with_capacity(found.len());
        for ((slot, entry), plan) in found.into_iter().zip(entries).zip(plans) {
            let Some((Form(value), outcome)) = slot else {
                return Err(Error::Database(diesel::result::Error::QueryBuilderError(
                    "a batch read's loader answered fewer rows than it was asked for".into(),
                )));
            };
            self.report(
                entry,
                outcome,
                plan.fill && outcome == Outcome::Loaded,
                started,
            );
            values.push(value);
        }
        Ok(batch.answers(values))
    }
}

/// `found` (the answers to `keys`) when every key has a row, else
/// [`Error::NotFound`] naming those without.
pub(crate) fn all_found<M: CachedModel>(
    keys: &[M::Unique],
    found: Vec<Option<M::Record>>,
) -> Result<Vec<M::Record>> {
    let mut absent: Vec<String> = Vec::new();
    for (key, _) in keys
        .iter()
        .zip(&found)
        .filter(|(_, record)| record.is_none())
    {
        let named = format!("{}={}", key.column(), key.value_key());
        if !absent.contains(&named) {
            absent.push(named); // (an id asked twice is named once)
        }
    }
    if !absent.is_empty() {
        return Err(Error::NotFound {
            model: M::INFO.name,
            id: absent.join(", "),
        });
    }
    Ok(found.into_iter().flatten().collect())
}

impl<M, S> FromPool<'_, M, S>
where
    M: CachedModel + ModelQueries<S::Connection>,
    S: ConnectionSource,
{
    /// [`Manager::find_many`] through the source: a connection is checked
    /// out only when some row missed.
    pub fn find_many(
        &self,
        ids: impl IntoIterator<Item = M::Id>,
    ) -> Result<Vec<Option<M::Record>>> {
        self.find_many_unique(ids.into_iter().map(M::unique_of_id))
    }

    /// [`Manager::get_many`] through the source.
    pub fn get_many(&self, ids: impl IntoIterator<Item = M::Id>) -> Result<Vec<M::Record>> {
        self.get_many_unique(ids.into_iter().map(M::unique_of_id))
    }

    /// [`Manager::get_many_unique`] through the source.
    pub fn get_many_unique(
        &self,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<M::Record>> {
        let keys: Vec<M::Unique> = keys.into_iter().collect();
        all_found::<M>(&keys, self.find_many_unique(keys.iter().cloned())?)
    }

    /// [`Manager::find_many_unique`] through the source.
    pub fn find_many_unique(
        &self,
        keys: impl IntoIterator<Item = M::Unique>,
    ) -> Result<Vec<Option<M::Record>>> {
        self.manager
            .find_many_via(&mut FromSource(self.source), keys, false)
    }
}

/// The keys of a batch's missed entries `at`, each with the tags it
/// depends on.
pub(crate) fn missed_entries<'p>(
    plans: &'p [Plan<'_>],
    at: &[usize],
) -> Vec<(&'p str, &'p [&'p str])> {
    at.iter().map(|&i| (plans[i].key, plans[i].tags)).collect()
}
