//! The async side of [`Replicated`]: a replica and its primary as an
//! [`AsyncConnectionSource`] (deadpool or bb8 pools, or
//! [`Checkout`](crate::Checkout) closures returning futures).

use crate::error::CheckoutError;
use crate::error::{Error, Result};
#[cfg(any(feature = "async-postgres", feature = "async-mysql"))]
use crate::manager::replicas::sql;
use crate::manager::replicas::{Replicated, usable};
use crate::manager::source::Missed;
use crate::manager::source_async::AsyncConnectionSource;
use diesel::QueryResult;
use diesel_async::AsyncConnection;
use std::future::Future;

/// [`ReplicaPosition`](crate::ReplicaPosition) for diesel-async
/// connections: implemented for `AsyncPgConnection` and
/// `AsyncMysqlConnection`.
pub trait AsyncReplicaPosition: AsyncConnection {
    /// On the primary: a position every transaction committed so far ends
    /// at or before.
    fn primary_position(&mut self) -> impl Future<Output = QueryResult<String>> + Send;

    /// On a replica: whether it has replayed every write up to `position`.
    fn has_replayed(&mut self, position: &str) -> impl Future<Output = QueryResult<bool>> + Send;
}

#[cfg(feature = "async-postgres")]
impl AsyncReplicaPosition for diesel_async::AsyncPgConnection {
    async fn primary_position(&mut self) -> QueryResult<String> {
        use diesel_async::RunQueryDsl;
        diesel::select(sql::pg_primary()).get_result(self).await
    }

    async fn has_replayed(&mut self, position: &str) -> QueryResult<bool> {
        use diesel_async::RunQueryDsl;
        let replayed = sql::pg_replayed(position)?;
        diesel::select(replayed).get_result(self).await
    }
}

/// As the sync `MysqlConnection`'s: MariaDB's GTIDs, MySQL's after them.
#[cfg(feature = "async-mysql")]
impl AsyncReplicaPosition for diesel_async::AsyncMysqlConnection {
    async fn primary_position(&mut self) -> QueryResult<String> {
        use diesel_async::RunQueryDsl;
        match diesel::select(sql::mariadb_primary())
            .get_result(self)
            .await
        {
            Ok(position) => Ok(position),
            Err(_) => diesel::select(sql::mysql_primary()).get_result(self).await,
        }
    }

    async fn has_replayed(&mut self, position: &str) -> QueryResult<bool> {
        use diesel_async::RunQueryDsl;
        let mariadb = sql::mariadb_replayed(position)?;
        match diesel::select(mariadb).get_result(self).await {
            Ok(replayed) => Ok(replayed),
            Err(_) => {
                let mysql = sql::mysql_replayed(position)?;
                diesel::select(mysql).get_result(self).await
            }
        }
    }
}

impl<R, P, C> AsyncConnectionSource for Replicated<R, P>
where
    R: AsyncConnectionSource<Connection = C>,
    P: AsyncConnectionSource<Connection = C>,
    C: AsyncReplicaPosition + Send + 'static,
{
    type Connection = C;
    type Checked<'s>
        = P::Checked<'s>
    where
        Self: 's;

    /// The primary's connection.
    fn checkout(
        &self,
    ) -> impl Future<Output = std::result::Result<Self::Checked<'_>, CheckoutError>> + Send {
        self.primary().checkout()
    }

    async fn read<T>(
        &self,
        missed: Missed<'_>,
        load: impl AsyncFnOnce(&mut C) -> QueryResult<T>,
    ) -> Result<T> {
        let (tags, versions) = versions_off_runtime(missed).await;
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let (greatest, unknown) = self.known(&tags, versions);
        let mut primary = None;
        let required = if unknown.is_empty() {
            greatest
        } else {
            let checked = self.primary().checkout().await.map_err(Error::Checkout)?;
            let conn = primary.insert(checked);
            Some(self.remember(greatest, unknown, conn.primary_position().await?))
        };
        let on_replica = match usable(required.as_deref()) {
            Err(e) => Err(e),
            Ok(required) => match self.replica().checkout().await {
                Ok(mut replica) => match required {
                    None => Ok((true, replica)),
                    Some(position) => match replica.has_replayed(position).await {
                        Ok(replayed) => Ok((replayed, replica)),
                        Err(e) => Err(CheckoutError::from(e)),
                    },
                },
                Err(e) => Err(e),
            },
        };
        match on_replica {
            Ok((true, mut replica)) => {
                self.answered();
                return Ok(load(&mut replica).await?);
            }
            Ok((false, _)) => self.to_primary(Ok(())),
            Err(e) => self.to_primary(Err(&e)),
        }
        let mut primary = match primary {
            Some(conn) => conn,
            None => self.primary().checkout().await.map_err(Error::Checkout)?,
        };
        Ok(load(&mut primary).await?)
    }
}

/// [`Missed::versions`] on tokio's blocking threads: read from the shared
/// store itself (an async tiered store would answer from its local tier,
/// which can lag the stamp the fill carries), without blocking the runtime.
async fn versions_off_runtime(missed: Missed<'_>) -> (Vec<String>, Vec<Option<u64>>) {
    let cache = missed.cache.clone();
    let entries: Vec<(String, Vec<String>)> = missed
        .entries
        .iter()
        .map(|(key, tags)| {
            let tags = tags.iter().map(|t| (*t).to_owned()).collect();
            ((*key).to_owned(), tags)
        })
        .collect();
    let all: Vec<String> = entries.iter().flat_map(|(_, tags)| tags.clone()).collect();
    let read = tokio::task::spawn_blocking(move || {
        let owned: Vec<(&str, Vec<&str>)> = entries
            .iter()
            .map(|(key, tags)| (key.as_str(), tags.iter().map(String::as_str).collect()))
            .collect();
        let slices: Vec<(&str, &[&str])> = owned.iter().map(|(k, t)| (*k, t.as_slice())).collect();
        Missed::new(&cache, &slices).versions().1
    })
    .await;
    let versions = read.unwrap_or_else(|_| vec![None; all.len()]);
    (all, versions)
}
