//! Id lists on diesel-async connections (feature `async`): the same
//! entries, tags and reads as [`crate::id_lists`]'s.

use crate::background_async;
use crate::error::Result;
use crate::id_lists::{Ids, ids_of};
use crate::manager::Manager;
use crate::model::{AsyncModelQueries, CachedModel};
use crate::rows::Rows;
use crate::source::Missed;
use crate::source_async::AsyncReader;
use diesel_async::AsyncConnection;
use std::sync::Mutex;

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
        let db = crate::text_columns::db::<C::Backend>();
        let (members, changed) = self.id_list_tags(db, &filter);
        let entry = self.id_list_entry(suffix, &filter, &members, &changed);
        let learn = self.model_keys().needs_text_columns(db, &filter);
        let prefetch = M::INFO.prefetch_for_list;
        let background = || {
            let owned = filter.clone();
            background_async::owned(move |conn: &mut C| {
                Box::pin(async move {
                    M::load_records(conn, &owned, prefetch)
                        .await
                        .map(|r| ids_of::<M>(&r))
                })
            })
        };
        // The rows this read's own load read, when it ran.
        let loaded: Mutex<Option<Vec<M::Record>>> = Mutex::new(None);
        let load = async |conn: &mut C| {
            crate::manager_async::learn_text_columns_async::<M, C>(learn, self.cache(), conn).await;
            let records = M::load_records(conn, &filter, prefetch).await?;
            let ids = ids_of::<M>(&records);
            *loaded.lock().unwrap_or_else(|p| p.into_inner()) = Some(records);
            Ok(ids)
        };
        let Ids(ids) = self
            .read_through_async(&mut reader, entry, load, &background)
            .await?;
        if let Some(records) = loaded.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Ok(Rows::from(records));
        }
        let found = self
            .find_many_async_via(&mut reader, ids.into_iter().map(M::unique_of_id))
            .await?;
        if found.iter().all(Option::is_some) {
            return Ok(Rows::from(found.into_iter().flatten().collect::<Vec<_>>()));
        }
        tracing::debug!(
            model = M::INFO.name,
            "a row of a cached id list is gone: the list is read from the database"
        );
        let missed = Missed::new(self.cache(), &[]);
        reader
            .load(missed, async |conn: &mut C| {
                M::load_records(conn, &filter, prefetch)
                    .await
                    .map(Rows::from)
            })
            .await
    }
}
