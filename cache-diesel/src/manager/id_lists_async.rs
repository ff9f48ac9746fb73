//! Id lists on diesel-async connections (feature `async`): the same
//! entries, tags and reads as [`crate::manager::id_lists`]'s.

use crate::error::Result;
use crate::manager::Manager;
use crate::manager::background_async;
use crate::manager::id_lists::{Ids, ids_of};
use crate::manager::source::Missed;
use crate::manager::source_async::AsyncReader;
use crate::metrics::reads::Started;
use crate::model::{AsyncModelQueries, CachedModel};
use crate::rows::Rows;
use cache_core::__engine::WithEngine;
use diesel_async::AsyncConnection;

/// Id lists on diesel-async connections (internal).
impl<M: CachedModel> Manager<M> {
    /// [`Manager::all_async`] of an id-list model through `reader`.
    pub(crate) async fn id_list_async_via<C>(
        &self,
        mut reader: impl AsyncReader<C>,
        suffix: Option<&str>,
        filter: M::Filter,
    ) -> Result<Rows<M::Record>>
    where
        C: AsyncConnection + 'static,
        M: AsyncModelQueries<C>,
    {
        let db = crate::keys::catalogue::db::<C::Backend>();
        let (members, changed) = self.id_list_tags(db, &filter);
        let related = <M as AsyncModelQueries<C>>::related_tables();
        let tags = (&members[..], &changed[..]);
        let entry = self.id_list_entry(suffix, &filter, tags, related);
        let policy = reader.policy(Self::tables_of(&entry));
        if let Some(guess) = self.guess(&entry.key, policy) {
            let rows = guess.rows.entries(self, &guess.tags, related);
            let started = Started::now();
            let plans = self.batch_plans(&rows, policy);
            let found = self
                .cache()
                .engine()
                .read_hits_async(&self.plan(&entry, false, None), &plans, |ids, found| {
                    Self::as_guessed(&guess, &filter, ids, found)
                })
                .await;
            if let Some((_, found)) = found {
                return Ok(self.served_at_once(&entry, &rows, &guess, found, started));
            }
        }
        let learn = self.model_keys().needs_catalogue(db, &filter);
        // (As the sync read: only the ids kept, the rows from their
        // entries.)
        let background = || {
            let owned = filter.clone();
            background_async::owned(move |conn: &mut C| {
                Box::pin(async move {
                    M::load_records(conn, &owned, false)
                        .await
                        .map(|r| ids_of::<M>(&r))
                })
            })
        };
        let load = async |conn: &mut C| {
            crate::manager::reads_async::learn_catalogue_async::<M, C>(learn, self.cache(), conn)
                .await;
            let records = M::load_records(conn, &filter, false).await?;
            Ok(ids_of::<M>(&records))
        };
        let list_key = entry.key().to_owned();
        let Ids(ids) = self
            .read_through_async(&mut reader, entry, load, Some(&background))
            .await?;
        let found = self
            .find_many_async_via(&mut reader, ids.iter().cloned().map(M::unique_of_id), true)
            .await?;
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
        reader
            .load(missed, async |conn: &mut C| {
                M::load_records(conn, &filter, true).await.map(Rows::from)
            })
            .await
    }
}
