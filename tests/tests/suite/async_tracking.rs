//! Write tracking on async connections (`cache_diesel::track_async`), on
//! SQLite (`SyncConnectionWrapper`) + the in-process cache, on
//! PostgreSQL (`AsyncPgConnection`) + Redis and on MariaDB
//! (`AsyncMysqlConnection`) + Redis: hooks inside a transaction
//! invalidate at its commit and not at a rollback; a transaction opened by
//! SQL text is seen (its reads fill nothing, its writes are caught); a
//! write no hook made is caught outside a transaction too; the other
//! processes see a commit once `transaction_async` returns; a cancelled
//! hook invalidates its table.

use cache_diesel::{CacheTracking, landed_async, transaction_async};
use cache_tests::async_env::{self, AsyncEnv};
use cache_tests::db::query_counter;
use cache_tests::models::{NewProduct, Product, ProductCache, ProductQueries, products};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use std::time::Duration;

/// Tracks the async connection under test (still counting its queries),
/// seeds rows through the sync hooks and caches the first one; its id.
async fn tracked<S, A>(env: &mut AsyncEnv<S, A>, slug: &str) -> i32
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + cache_diesel::AsyncModelQueries<A>,
{
    env.conn.set_instrumentation(
        CacheTracking::for_async_connection::<A>()
            .for_caches([env.sync.cache.clone()])
            .with(query_counter(env.counter())),
    );
    let id = env
        .sync
        .products
        .insert(&mut env.sync.db.conn, NewProduct::new(slug, 1))
        .unwrap()
        .id;
    let p = &env.sync.products;
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        format!("Title of {slug}")
    );
    env.take_queries();
    id
}

/// Sets row `id`'s title by SQL text: a write no hook made.
async fn set_title(conn: &mut impl AsyncConnection, id: i32, title: &str) {
    let sql = format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    conn.batch_execute(&sql).await.unwrap();
}

/// The title of row `id` as a sync read through the cache sees it.
macro_rules! cached_title {
    ($env:expr, $id:expr) => {
        $env.sync
            .products
            .get(&mut $env.sync.db.conn, $id)
            .unwrap()
            .title
    };
}

async fn a_hook_in_a_transaction_invalidates_at_the_commit<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S>
        + cache_diesel::AsyncModelQueries<A>
        + for<'q> cache_diesel::AsyncUpdateQuery<'q, A, diesel::dsl::Eq<products::title, String>>,
{
    let id = tracked(&mut env, "kept").await;
    let p = &env.sync.products;
    let before_commit = transaction_async(&mut env.conn, async |conn| {
        let row = p
            .update_async(conn, id, products::title.eq("inside".to_owned()))
            .await
            .unwrap()
            .unwrap();
        // Inside, the transaction's own write: read from the database.
        let seen = p.get_async(conn, id).await.unwrap().title;
        Ok::<_, diesel::result::Error>((row.title, seen))
    })
    .await
    .unwrap();
    assert_eq!(before_commit, ("inside".to_owned(), "inside".to_owned()));
    assert_eq!(
        cached_title!(env, id),
        "inside",
        "invalidated at the commit"
    );
    let p = &env.sync.products;
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "inside"
    );

    // Rolled back: nothing to invalidate, and the cache keeps the truth.
    env.take_queries();
    let p = &env.sync.products;
    let rolled_back = transaction_async(&mut env.conn, async |conn| {
        p.update_async(conn, id, products::title.eq("never".to_owned()))
            .await
            .unwrap();
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    })
    .await;
    assert!(rolled_back.is_err());
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "inside"
    );
    assert_eq!(cached_title!(env, id), "inside");
}

async fn a_transaction_opened_by_sql_text_is_seen<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + cache_diesel::AsyncModelQueries<A>,
{
    let id = tracked(&mut env, "text").await;
    let p = &env.sync.products;
    env.conn.batch_execute("BEGIN").await.unwrap();
    set_title(&mut env.conn, id, "uncommitted").await;
    // The transaction wrote the table: its reads go to the database...
    let inside = p.get_async(&mut env.conn, id).await.unwrap().title;
    assert_eq!(inside, "uncommitted");
    env.conn.batch_execute("ROLLBACK").await.unwrap();
    // ... and filled nothing: the rolled-back title is nowhere.
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "Title of text"
    );
    assert_eq!(cached_title!(env, id), "Title of text");

    // Committed by text: invalidated, for this process at once.
    env.conn.batch_execute("BEGIN").await.unwrap();
    set_title(&mut env.conn, id, "committed").await;
    assert_eq!(
        cached_title!(env, id),
        "Title of text",
        "not before the commit"
    );
    env.conn.batch_execute("COMMIT").await.unwrap();
    assert_eq!(cached_title!(env, id), "committed");
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "committed"
    );
}

async fn a_write_no_hook_made_is_caught<S, A>(mut env: AsyncEnv<S, A>)
where
    S: Connection + 'static,
    A: AsyncConnection + 'static,
    Product: ProductQueries<S> + cache_diesel::AsyncModelQueries<A>,
{
    let id = tracked(&mut env, "plain").await;
    set_title(&mut env.conn, id, "behind the hooks").await;
    // No wait: this process's reads see it from the statement's return.
    let p = &env.sync.products;
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "behind the hooks"
    );
    assert_eq!(cached_title!(env, id), "behind the hooks");
    landed_async(&mut env.conn).await;
    let p = &env.sync.products;
    assert_eq!(
        p.get_async(&mut env.conn, id).await.unwrap().title,
        "behind the hooks"
    );
}

cache_tests::matrix!(
    async_env; stores;
    a_hook_in_a_transaction_invalidates_at_the_commit,
    a_transaction_opened_by_sql_text_is_seen,
    a_write_no_hook_made_is_caught,
);

/// A changeset with nothing to set, for [`an_empty_changeset_is_an_error_not_a_panic`].
#[derive(AsChangeset)]
#[diesel(table_name = products)]
struct Patch {
    title: Option<String>,
}

/// diesel-async's update with an empty changeset, on each async
/// connection: Diesel cannot render it, and its statement's events reach
/// the tracker all the same. Diesel's error comes back, no panic, and the
/// cached row is still served (nothing was written).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_changeset_is_an_error_not_a_panic() {
    macro_rules! check {
        ($env:expr) => {
            if let Some(mut env) = $env {
                let id = tracked(&mut env, "empty").await;
                let update = diesel::update(products::table.find(id)).set(Patch { title: None });
                let raw = diesel_async::RunQueryDsl::execute(update, &mut env.conn).await;
                assert!(raw.is_err(), "{raw:?}");
                env.take_queries();
                let p = &env.sync.products;
                let row = p.get_async(&mut env.conn, id).await.unwrap();
                assert_eq!(row.title, "Title of empty");
                assert_eq!(env.take_queries(), 0, "still a hit");
            }
        };
    }
    check!(async_env::postgres_redis("async_empty_changeset").await);
    check!(async_env::mysql_redis("async_empty_changeset").await);
    check!(async_env::sqlite_memory("async_empty_changeset").await);
}

/// Another process's view of the test's Redis: a cache of its own (its
/// own owed bumps, its own connections) over the same keys.
fn other_process(env: &AsyncEnv<PgConnection, diesel_async::AsyncPgConnection>) -> ProductCache {
    let cache = cache_diesel::Cache::new(env.sync.cache.config().clone()).unwrap();
    ProductCache::new(cache)
}

/// Other processes see what a transaction committed once
/// `transaction_async` returns (its invalidations have landed in Redis),
/// and a write no hook made once `landed_async` returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_processes_see_a_commit_once_it_landed() {
    let Some(mut env) = async_env::postgres_redis("other_processes_see_a_commit").await else {
        return;
    };
    let id = tracked(&mut env, "far").await;
    let far = other_process(&env);
    let mut far_conn = env.sync.db.another();
    assert_eq!(far.get(&mut far_conn, id).unwrap().title, "Title of far");
    let p = &env.sync.products;
    transaction_async(&mut env.conn, async |conn| {
        p.update_async(conn, id, products::title.eq("near".to_owned()))
            .await
            .map(|_| ())
            .map_err(|_| diesel::result::Error::RollbackTransaction)
    })
    .await
    .unwrap();
    assert_eq!(far.get(&mut far_conn, id).unwrap().title, "near");

    // A statement of diesel-async's DSL, not text.
    diesel_async::RunQueryDsl::execute(
        diesel::update(products::table.filter(products::id.eq(id)))
            .set(products::title.eq("nearer")),
        &mut env.conn,
    )
    .await
    .unwrap();
    landed_async(&mut env.conn).await;
    assert_eq!(far.get(&mut far_conn, id).unwrap().title, "nearer");
}

/// A hook whose future is dropped while its `UPDATE` waits for a row lock
/// (the statement reached PostgreSQL and runs once the lock is free). On
/// this tracked connection the hook writes in a transaction of its own (to
/// announce the values it learns before its `COMMIT`): the dropped hook
/// queues a `ROLLBACK` behind its statement, so once the lock is free the
/// statement runs and is rolled back, the row is released, and the cache
/// agrees with the database in this process and in others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_hook_invalidates_its_table() {
    let Some(mut env) = async_env::postgres_redis("a_cancelled_hook").await else {
        return;
    };
    let id = tracked(&mut env, "locked").await;
    cancel_a_hook_on_a_locked_row(&mut env, id).await;
    // The cancelled statement runs now and is rolled back: the row's lock
    // is free again, the title the old one.
    let mut check = env.sync.db.another();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let title = loop {
        check.batch_execute("BEGIN").unwrap();
        let locked = diesel::sql_query(format!(
            "SELECT id FROM products WHERE id = {id} FOR UPDATE NOWAIT"
        ))
        .execute(&mut check);
        let title = products::table
            .find(id)
            .select(products::title)
            .first::<String>(&mut check);
        check.batch_execute("ROLLBACK").unwrap();
        if locked.is_ok() {
            break title.unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the cancelled hook's row stayed locked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(title, "Title of locked", "the cancelled hook committed");
    assert_eq!(cached_title!(env, id), title);
    let far = other_process(&env);
    // The owed bump's task delivers it (within `retry_after` at worst).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = far.get(&mut check, id).unwrap().title;
        if seen == title {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "another process still reads {seen:?}, the database {title:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Starts a hook update of row `id` on the connection under test while
/// another connection holds the row's lock, drops it after 200 ms (it is
/// then waiting for the lock), and releases the lock.
async fn cancel_a_hook_on_a_locked_row(
    env: &mut AsyncEnv<diesel::PgConnection, diesel_async::AsyncPgConnection>,
    id: i32,
) {
    let mut locker = env.sync.db.another();
    locker.batch_execute("BEGIN").unwrap();
    diesel::sql_query(format!(
        "SELECT id FROM products WHERE id = {id} FOR UPDATE"
    ))
    .execute(&mut locker)
    .unwrap();
    let p = &env.sync.products;
    let update = p.update_async(
        &mut env.conn,
        id,
        products::title.eq("after cancel".to_owned()),
    );
    let cancelled = tokio::time::timeout(Duration::from_millis(200), update).await;
    assert!(cancelled.is_err(), "the update waited for the lock");
    locker.batch_execute("COMMIT").unwrap();
}

/// The connection of a hook cancelled inside its own transaction is
/// reused at once, as a service reuses a connection after a request
/// timed out: its next statements (a hook's, SQL text) run in autocommit
/// and commit, and the session is not left inside a transaction. (Before
/// the dropped hook queued its `ROLLBACK`, they ran inside the leftover
/// transaction and were lost with it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reused_after_a_cancelled_hook_commits() {
    let Some(mut env) = async_env::postgres_redis("reused_after_cancel").await else {
        return;
    };
    let id = tracked(&mut env, "cancelled").await;
    let other = env
        .sync
        .products
        .insert(&mut env.sync.db.conn, NewProduct::new("next", 1))
        .unwrap()
        .id;
    cancel_a_hook_on_a_locked_row(&mut env, id).await;
    let p = &env.sync.products;
    let row = p
        .update_async(
            &mut env.conn,
            other,
            products::title.eq("hooked".to_owned()),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "hooked");
    set_title(&mut env.conn, id, "by text").await;
    let mut check = env.sync.db.another();
    let title_of = |check: &mut PgConnection, id: i32| {
        products::table
            .find(id)
            .select(products::title)
            .first::<String>(check)
            .unwrap()
    };
    assert_eq!(
        title_of(&mut check, other),
        "hooked",
        "the hook's write did not commit"
    );
    assert_eq!(
        title_of(&mut check, id),
        "by text",
        "the SQL write did not commit"
    );
    // And the session waits outside any transaction.
    #[derive(QueryableByName)]
    struct Pid {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let Pid { pid } = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query("SELECT pg_backend_pid() AS pid"),
        &mut env.conn,
    )
    .await
    .unwrap();
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::Text)]
        state: String,
    }
    let State { state } = diesel::sql_query(format!(
        "SELECT coalesce(state, '') AS state FROM pg_stat_activity WHERE pid = {pid}"
    ))
    .get_result(&mut check)
    .unwrap();
    assert_eq!(state, "idle", "the connection is left inside a transaction");
    // And its tracker knows the transaction is over: its reads fill again
    // (inside a transaction, or where the tracker lost track of one,
    // nothing is filled), so the second read is a hit.
    let p = &env.sync.products;
    p.get_async(&mut env.conn, other).await.unwrap();
    let hits = p.stats().hits;
    assert_eq!(
        p.get_async(&mut env.conn, other).await.unwrap().title,
        "hooked"
    );
    assert_eq!(
        p.stats().hits,
        hits + 1,
        "the connection's reads no longer fill"
    );
    assert_eq!(cached_title!(env, other), "hooked");
    assert_eq!(cached_title!(env, id), "by text");
}

/// On a current-thread runtime with Redis stopped (SIGSTOP), a tracked
/// commit does not wait for Redis: its invalidation is owed, this
/// process reads the commit at once (from the database), and the owed
/// bump lands once Redis answers again.
#[test]
fn a_commit_never_waits_for_a_stopped_redis() {
    let Some(server) = cache_tests::redis_server::RedisServer::for_test(&[]) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let test = "a_commit_never_waits_for_a_stopped_redis";
        let url = format!(
            "{}?response_timeout=3s&connect_timeout=3s&retry_after=50ms",
            server.url()
        );
        let Some(mut env) = async_env::postgres_over_redis_at(test, &url).await else {
            return;
        };
        let id = tracked(&mut env, "stopped").await;
        let p = &env.sync.products;
        server.stop();
        let started = std::time::Instant::now();
        env.conn
            .transaction(async |conn| {
                p.update_async(conn, id, products::title.eq("committed".to_owned()))
                    .await
                    .map(|_| ())
                    .map_err(|_| diesel::result::Error::RollbackTransaction)
            })
            .await
            .unwrap();
        let took = started.elapsed();
        // (Deadlines of 3 s: a loaded machine's commit may take 250 ms,
        // and must still be told from one that waited for Redis.)
        assert!(
            took < Duration::from_secs(2),
            "the commit waited for the stopped Redis ({took:?}; response_timeout 3s)"
        );
        assert_eq!(
            p.get_async(&mut env.conn, id).await.unwrap().title,
            "committed"
        );
        server.cont();
        let far = cache_diesel::Cache::new(env.sync.cache.config().clone()).unwrap();
        let far = ProductCache::new(far);
        let mut far_conn = env.sync.db.another();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while far.get(&mut far_conn, id).unwrap().title != "committed" {
            assert!(
                std::time::Instant::now() < deadline,
                "the owed bump never landed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

/// Connections of a deadpool pool built with `tracked_pool_config` are
/// tracked: a write no hook made on one is caught, and another pooled
/// connection reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connections_are_tracked_from_the_start() {
    use diesel_async::pooled_connection::AsyncDieselConnectionManager;
    use diesel_async::pooled_connection::deadpool::Pool;
    let Some(mut env) = async_env::postgres_redis("pooled_connections_are_tracked").await else {
        return;
    };
    let id = tracked(&mut env, "pooled").await;
    let schema = env.sync.db.schema().unwrap().to_owned();
    let url = cache_tests::services::database_url().unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let config = cache_diesel::tracked_pool_config::<diesel_async::AsyncPgConnection>();
    let manager = AsyncDieselConnectionManager::new_with_config(url, config);
    let pool = Pool::builder(manager).max_size(2).build().unwrap();
    let mut writer = pool.get().await.unwrap();
    set_title(&mut *writer, id, "pooled write").await;
    let p = &env.sync.products;
    let mut reader = pool.get().await.unwrap();
    assert_eq!(
        p.get_async(&mut *reader, id).await.unwrap().title,
        "pooled write"
    );
    assert_eq!(cached_title!(env, id), "pooled write");
}

/// Makes every `COMMIT` of a transaction that updated `products` take
/// 400 ms, 6 s if it set the title "landed late" (a deferred
/// constraint trigger sleeping), in the test's schema.
fn slow_commits(conn: &mut PgConnection) {
    conn.batch_execute(
        "CREATE FUNCTION slow_commit() RETURNS trigger AS $$ \
         BEGIN PERFORM pg_sleep(CASE WHEN NEW.title = 'landed late' THEN 6 ELSE 0.4 END); \
         RETURN NULL; END $$ LANGUAGE plpgsql; \
         CREATE CONSTRAINT TRIGGER slow AFTER UPDATE ON products \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()",
    )
    .unwrap();
}

/// Sets row `id`'s title in a transaction whose `COMMIT` (slow: see
/// [`slow_commits`]) is cancelled while it runs.
async fn cancel_a_slow_commit(conn: &mut diesel_async::AsyncPgConnection, id: i32, title: &str) {
    let update = format!("BEGIN; UPDATE products SET title = '{title}' WHERE id = {id}");
    conn.batch_execute(&update).await.unwrap();
    let commit = conn.batch_execute("COMMIT");
    let cancelled = tokio::time::timeout(Duration::from_millis(100), commit).await;
    assert!(cancelled.is_err(), "the COMMIT was cancelled");
}

/// A statement or a `COMMIT` whose future is dropped after it was sent
/// (a `timeout` around it) still runs on the server: the tracker counts it
/// as run once the connection's next statement finishes (the server runs
/// a connection's statements in order), and a connection dropped with one
/// in flight invalidates what it may have written. Another process reads
/// each write; the tracker is not left inside a transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_statements_and_commits_count_as_run() {
    let Some(mut env) = async_env::postgres_redis("cancelled_statements_count_as_run").await else {
        return;
    };
    let id = tracked(&mut env, "cancelled").await;
    slow_commits(&mut env.sync.db.conn);
    let far = other_process(&env);
    let mut far_conn = env.sync.db.another();
    let far_title = |conn: &mut PgConnection| far.get(conn, id).unwrap().title;
    assert_eq!(far_title(&mut far_conn), "Title of cancelled");

    // A raw write in autocommit, cancelled while it waits for a row lock.
    let mut locker = env.sync.db.another();
    locker
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM products WHERE id = {id} FOR UPDATE"
        ))
        .unwrap();
    let write = set_title(&mut env.conn, id, "raw cancelled");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), write)
            .await
            .is_err()
    );
    locker.batch_execute("COMMIT").unwrap();
    env.conn.batch_execute("SELECT 1").await.unwrap();
    landed_async(&mut env.conn).await;
    assert_eq!(far_title(&mut far_conn), "raw cancelled");

    // A COMMIT cancelled while it runs: it commits, and is invalidated.
    cancel_a_slow_commit(&mut env.conn, id, "slow commit").await;
    env.conn.batch_execute("SELECT 1").await.unwrap();
    landed_async(&mut env.conn).await;
    assert_eq!(far_title(&mut far_conn), "slow commit");
    // Not left "inside a transaction": a hook invalidates at once.
    let p = &env.sync.products;
    p.update_async(
        &mut env.conn,
        id,
        products::title.eq("hook after".to_owned()),
    )
    .await
    .unwrap();
    assert_eq!(far_title(&mut far_conn), "hook after");

    // The same, and then the connection is dropped: invalidated anyway.
    cancel_a_slow_commit(&mut env.conn, id, "dropped").await;
    let replacement = env.another().await;
    drop(std::mem::replace(&mut env.conn, replacement));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(far_title(&mut far_conn), "dropped");
}

/// A raw write cancelled while it waits for a row lock, on a tracked
/// connection then dropped, lands seconds later when the lock is freed:
/// a read in between refilled the old row (in another process), and the
/// invalidations repeated while the statement may still land replace it.
/// (They were repeated once, a second after the drop: the row stayed
/// stale until its timeout.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_landing_long_after_its_connection_was_dropped_is_invalidated() {
    let Some(mut env) = async_env::postgres_redis("late_orphan").await else {
        return;
    };
    let id = tracked(&mut env, "late").await;
    lands_late(&mut env, id, true, async |env| {
        cancel_a_locked_write(env, id).await;
        let replacement = env.another().await;
        drop(std::mem::replace(&mut env.conn, replacement));
    })
    .await;
}

/// Sets row `id`'s title to "landed late" on the connection under test
/// and gives the write up after 200 ms, waiting for the row's lock.
async fn cancel_a_locked_write(
    env: &mut AsyncEnv<PgConnection, diesel_async::AsyncPgConnection>,
    id: i32,
) {
    let write = set_title(&mut env.conn, id, "landed late");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), write)
            .await
            .is_err(),
        "the write waited for the lock"
    );
}

/// The same write cancelled on a connection then kept open and idle (as a
/// service keeps one after a request timed out, or a pool until its next
/// checkout): the statements still in flight after a second are
/// invalidated again while they may land. (The invalidation waited for
/// the connection's next statement: the row stayed stale until its
/// timeout.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_cancelled_on_a_connection_kept_idle_is_invalidated_when_it_lands() {
    let Some(mut env) = async_env::postgres_redis("late_idle").await else {
        return;
    };
    let id = tracked(&mut env, "late").await;
    lands_late(&mut env, id, true, async |env| {
        cancel_a_locked_write(env, id).await
    })
    .await;
}

/// The same with a hook's update, cancelled on a connection no tracker
/// watches (which goes on serving): the row's announcement (made before
/// the statement) keeps its detail from filling until it lands, and the
/// hook invalidates its table again while it may land. (The detail held
/// before the repeated invalidations too: this guards the path.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_hook_landing_long_after_is_invalidated() {
    let Some(mut env) = async_env::postgres_redis("late_hook").await else {
        return;
    };
    let id = tracked(&mut env, "late").await;
    let mut untracked = env.another().await;
    lands_late(&mut env, id, true, async |env| {
        let update = env.sync.products.update_async(
            &mut untracked,
            id,
            products::title.eq("landed late".to_owned()),
        );
        let cancelled = tokio::time::timeout(Duration::from_millis(200), update).await;
        assert!(cancelled.is_err(), "the hook waited for the lock");
    })
    .await;
    let _ = untracked.batch_execute("SELECT 1").await;
}

/// A transaction's slow `COMMIT` cancelled, then its connection dropped,
/// lands seconds later: what the transaction wrote is invalidated again
/// while it may land. (Repeating the cancelled `COMMIT` on its own
/// invalidated nothing: no transaction was open to commit.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_landing_long_after_its_connection_was_dropped_is_invalidated() {
    let Some(mut env) = async_env::postgres_redis("late_commit").await else {
        return;
    };
    let id = tracked(&mut env, "late").await;
    slow_commits(&mut env.sync.db.conn);
    lands_late(&mut env, id, false, async |env| {
        cancel_a_slow_commit(&mut env.conn, id, "landed late").await;
        let replacement = env.another().await;
        drop(std::mem::replace(&mut env.conn, replacement));
    })
    .await;
}

/// An `INSERT` cancelled while it waits for another session's
/// uncommitted row of the same unique slug, retried at once on the same
/// connection: once the other session rolls back, the cancelled one
/// inserts and the retry fails. The retry's failure was taken for the
/// cancelled statement's (the first of that text in flight): the insert
/// stayed unseen until the connection's next statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_insert_retried_in_vain_is_invalidated() {
    let Some(mut env) = async_env::postgres_redis("retried_in_vain").await else {
        return;
    };
    tracked(&mut env, "first").await;
    let far = other_process(&env);
    let mut far_conn = env.sync.db.another();
    let count = |far: &ProductCache, conn: &mut PgConnection| {
        far.count(conn, None, Default::default()).unwrap()
    };
    assert_eq!(count(&far, &mut far_conn), 1);
    let insert = "INSERT INTO products (slug, title, is_active, category_id) \
                  VALUES ('taken', 'retried', true, 1)";
    let mut locker = env.sync.db.another();
    locker.batch_execute(&format!("BEGIN; {insert}")).unwrap();
    let first = env.conn.batch_execute(insert);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), first)
            .await
            .is_err(),
        "the insert waited for the other session's"
    );
    let retry = env.conn.batch_execute(insert);
    let (retried, _) = tokio::join!(retry, async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        locker.batch_execute("ROLLBACK").unwrap();
    });
    assert!(retried.is_err(), "the cancelled insert landed first");
    landed_async(&mut env.conn).await;
    assert_eq!(count(&far, &mut far_conn), 2, "the landed insert is seen");
}

/// While `cancel` starts a write of row `id`'s title "landed late" and
/// gives it up, holds the row's lock if `locked` (else the write's
/// `COMMIT` is slow: see [`slow_commits`]); once the first invalidations
/// are past, another process caches the old row; then frees the lock (the
/// write lands) and waits for that process to read the new title.
async fn lands_late(
    env: &mut AsyncEnv<PgConnection, diesel_async::AsyncPgConnection>,
    id: i32,
    locked: bool,
    cancel: impl AsyncFnOnce(&mut AsyncEnv<PgConnection, diesel_async::AsyncPgConnection>),
) {
    let far = other_process(env);
    let mut far_conn = env.sync.db.another();
    let mut locker = env.sync.db.another();
    if locked {
        locker
            .batch_execute(&format!(
                "BEGIN; SELECT id FROM products WHERE id = {id} FOR UPDATE"
            ))
            .unwrap();
    }
    cancel(env).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let before = far.get(&mut far_conn, id).unwrap().title;
    if locked {
        assert_eq!(before, "Title of late");
        locker.batch_execute("COMMIT").unwrap();
    }
    // (A slow COMMIT lands 6 s after it was sent: on a machine so loaded
    // that it landed already, the read above filled the new row.)
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let stored = products::table
            .find(id)
            .select(products::title)
            .first::<String>(&mut far_conn)
            .unwrap();
        let seen = far.get(&mut far_conn, id).unwrap().title;
        if stored == "landed late" && seen == stored {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "another process reads {seen:?}, the database {stored:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On `AsyncMysqlConnection`, a statement whose future was dropped after
/// it was sent leaves its answer unread, and mysql_async reads it as the
/// next statement's: a lookup gets the cancelled statement's reply, the
/// next lookup the first one's. The driver is at fault, but the cache must
/// not spread it: once a statement was cancelled there, the connection's
/// reads fill nothing, and another process reads the rows as stored.
/// (Found by an outside probe: a lookup took an empty reply for its own
/// and cached "not found" for a row that exists, for every process, until
/// the not-found timeout.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_cancelled_statement_async_mysql_reads_fill_nothing() {
    let Some(mut env) = async_env::mysql_redis("async_mysql_cancelled").await else {
        return;
    };
    let first = tracked(&mut env, "first").await;
    let p = &env.sync.products;
    let second = p
        .insert(&mut env.sync.db.conn, NewProduct::new("second", 1))
        .unwrap()
        .id;
    p.invalidate_all().unwrap();
    // A read that answers an empty result a second after it was sent,
    // given up after 200 ms.
    let slow = env
        .conn
        .batch_execute("SELECT s FROM (SELECT SLEEP(1) AS s) AS slow WHERE s = 1");
    let cancelled = tokio::time::timeout(Duration::from_millis(200), slow).await;
    assert!(cancelled.is_err(), "the read was given up");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Whatever the driver hands these reads, they fill nothing.
    for id in [second, first, second] {
        let read = p.get_async(&mut env.conn, id).await;
        tracing::debug!(id, ?read, "a read after the cancelled one");
    }
    let far = &mut env.sync.db.another();
    for (id, title) in [(first, "Title of first"), (second, "Title of second")] {
        assert_eq!(
            p.get(far, id).map(|row| row.title).ok().as_deref(),
            Some(title),
            "another process reads row {id} as stored"
        );
    }
}

/// On `AsyncMysqlConnection` too, once the tracker lost track (a statement
/// it cannot read), the next read asks the server where the session
/// stands: in autocommit, the connection's reads fill again; in a
/// transaction such a statement opened, its own write is read from the
/// database and never cached for others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_mysql_after_losing_track_a_read_asks_the_server() {
    let Some(mut env) = async_env::mysql_redis("async_mysql_resync").await else {
        return;
    };
    let id = tracked(&mut env, "resync").await;
    let p = &env.sync.products;
    env.conn
        .batch_execute("EXECUTE IMMEDIATE 'DO 1'")
        .await
        .unwrap();
    p.invalidate_id(id).unwrap();
    env.take_queries();
    p.get_async(&mut env.conn, id).await.unwrap();
    assert_eq!(env.take_queries(), 2, "the server asked, then the row read");
    // (What the lost stretch may have written was invalidated once more:
    // until that lands, this process reads around it.)
    // The first read's fill may have raced it: then the next one fills.
    landed_async(&mut env.conn).await;
    p.get_async(&mut env.conn, id).await.unwrap();
    assert!(env.take_queries() <= 1);
    p.get_async(&mut env.conn, id).await.unwrap();
    assert_eq!(env.take_queries(), 0, "filled: a hit");

    env.conn
        .batch_execute("EXECUTE IMMEDIATE 'START TRANSACTION'")
        .await
        .unwrap();
    set_title(&mut env.conn, id, "uncommitted").await;
    let own = p.get_async(&mut env.conn, id).await.unwrap();
    assert_eq!(own.title, "uncommitted", "its own");
    assert_eq!(cached_title!(env, id), "Title of resync", "not for others");
    env.conn.batch_execute("ROLLBACK").await.unwrap();
    landed_async(&mut env.conn).await;
    assert_eq!(cached_title!(env, id), "Title of resync");
}
