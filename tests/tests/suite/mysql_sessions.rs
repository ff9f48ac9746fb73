//! What a tracked connection's SQL text does to MySQL's (MariaDB's)
//! session, followed statement by statement: transactions opened without a
//! `BEGIN` (`autocommit = 0`, `completion_type = CHAIN`), settings where
//! they stand in a batch, implicit commits, `LOCK`/`UNLOCK TABLES`, XA,
//! savepoints, and the statements the tracker cannot read. Another
//! connection's reads must never be served a row the writer did not commit,
//! nor miss one it did.

use cache_tests::env::Env;
use cache_tests::models::{NewProduct, Product, products};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// MySQL sessions where a transaction opens without a `BEGIN`
/// (`completion_type = CHAIN`: every `COMMIT` opens the next one;
/// `autocommit = 0`): a tracked connection's reads there see an old
/// snapshot and never fill the cache with it, whatever another connection
/// committed and invalidated meanwhile; and the hooks' own transactions
/// never chain one (an untracked connection stays in autocommit, and its
/// next hook writes).
#[test]
fn mysql_sessions_that_open_transactions_without_begin_never_fill_old_snapshots() {
    let Some(mut env) = cache_tests::env::mysql_redis("mysql_chain") else {
        return;
    };
    let p = &env.products;
    let id = p
        .insert(&mut env.db.conn, NewProduct::new("snap", 1))
        .unwrap()
        .id;
    let in_transaction = |conn: &mut diesel::MysqlConnection| -> i64 {
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(@@in_transaction AS SIGNED)",
        ))
        .get_result(conn)
        .unwrap()
    };
    let settings = [
        "SET SESSION completion_type = 'CHAIN'",
        "SET @@session.completion_type = 1",
        "SET autocommit = 0",
    ];
    for (n, setting) in settings.into_iter().enumerate() {
        let reader = &mut env.db.another();
        cache_diesel::track(reader);
        reader.batch_execute(setting).unwrap();
        // A transaction of Diesel's that commits (chained: the next one
        // opens), then a read that takes the snapshot.
        reader
            .transaction(|c| products::table.count().get_result::<i64>(c))
            .unwrap();
        products::table.count().get_result::<i64>(reader).unwrap();
        assert_eq!(
            in_transaction(reader),
            1,
            "{setting}: the session is in one"
        );

        let title = format!("committed {n}");
        p.update(&mut env.db.conn, id, products::title.eq(title.clone()))
            .unwrap();
        // The reader's snapshot still has the old title: served, not kept.
        let seen = p.get(reader, id).unwrap().title;
        assert_ne!(seen, title, "{setting}: the reader's snapshot is older");
        let fresh = p.get(&mut env.db.another(), id).unwrap().title;
        assert_eq!(fresh, title, "{setting}: an old snapshot filled the cache");
        reader.batch_execute("ROLLBACK").unwrap();
    }

    // Untracked: a hook's own transaction ends AND NO CHAIN NO RELEASE
    // (under RELEASE a plain COMMIT closes the session: the hook failed,
    // though its write committed).
    for completion in ["CHAIN", "RELEASE"] {
        let conn = &mut env.db.another();
        conn.batch_execute(&format!("SET SESSION completion_type = '{completion}'"))
            .unwrap();
        for n in 0..2 {
            let title = format!("hooked {completion} {n}");
            p.update(conn, id, products::title.eq(title.clone()))
                .unwrap();
            assert_eq!(
                in_transaction(conn),
                0,
                "{completion}: a hook left one open"
            );
            assert_eq!(p.get(&mut env.db.another(), id).unwrap().title, title);
        }
    }
}

/// A batch's session settings apply where they stand in it: a write after
/// `SET autocommit = 0` in the same batch waits for the `COMMIT` (bumped
/// then, not before: a read between refilled the old row, never
/// invalidated again). Found by a probe from outside: the settings were
/// applied after the batch's other statements.
#[test]
fn mysql_session_settings_apply_where_they_stand_in_a_batch() {
    let Some((env, row, mut writer)) = mysql_row("mysql_batch_session", "batch") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    writer
        .batch_execute(&format!(
            "SET autocommit = 0; UPDATE products SET title = 'held' WHERE id = {id}"
        ))
        .unwrap();
    let reader = &mut env.db.another();
    track_for(reader, &env.cache);
    assert_eq!(
        p.get(reader, id).unwrap().title,
        row.title,
        "not committed yet"
    );
    writer.batch_execute("COMMIT; SET autocommit = 1").unwrap();
    assert_eq!(
        p.get(reader, id).unwrap().title,
        "held",
        "the read before the commit filled the old row, and the commit did not invalidate it"
    );
}

/// [`mysql_session_settings_apply_where_they_stand_in_a_batch`] for
/// `completion_type`: a `COMMIT` after `SET completion_type = 'CHAIN'` in
/// the same batch leaves the next transaction open, whose reads must not
/// fill.
#[test]
fn mysql_chain_set_in_a_batch_keeps_the_next_transaction_from_filling() {
    let Some((mut env, row, mut chained)) = mysql_row("mysql_batch_chain", "chain") else {
        return;
    };
    let (p, id, chained) = (&env.products, row.id, &mut chained);
    chained
        .batch_execute("SET completion_type = 'CHAIN'; START TRANSACTION; COMMIT")
        .unwrap();
    // The chained transaction takes its snapshot.
    products::table.count().get_result::<i64>(chained).unwrap();
    p.update(
        &mut env.db.conn,
        id,
        products::title.eq("after".to_string()),
    )
    .unwrap();
    assert_eq!(
        p.get(chained, id).unwrap().title,
        row.title,
        "the chained transaction's snapshot is older"
    );
    assert_eq!(
        p.get(&mut env.db.another(), id).unwrap().title,
        "after",
        "the chained transaction's old snapshot filled the cache"
    );
}

/// MySQL commits around DDL and `TRUNCATE`, inside a transaction too: a
/// write before a `TRUNCATE` in a transaction that then rolls back is
/// committed, and the table emptied, all the same. The tracker dropped
/// both invalidations with the rollback (the row was served until its
/// timeout).
#[test]
fn mysql_implicit_commits_invalidate_though_the_transaction_rolls_back() {
    let Some((env, row, mut conn)) = mysql_row("mysql_implicit_commit", "implicit") else {
        return;
    };
    let (p, conn) = (&env.products, &mut conn);
    assert_eq!(p.get(conn, row.id).unwrap(), row);
    let rolled_back = conn.transaction(|c| {
        diesel::sql_query("TRUNCATE TABLE products").execute(c)?;
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    assert_eq!(
        p.find(&mut env.db.another(), row.id).unwrap(),
        None,
        "the cache served a row the TRUNCATE deleted, its transaction's rollback notwithstanding"
    );
}

/// `conn` tracked for `cache` alone (a connection tracked for every cache
/// would invalidate other tests' caches of `products`).
/// MySQL's `UNLOCK TABLES` commits the transaction open under
/// `autocommit = 0` while `LOCK TABLES` holds locks (and only then): a
/// write there is invalidated at the `UNLOCK TABLES`. It waited for the
/// next `COMMIT` or `ROLLBACK`: other connections read the old row, and
/// after a `ROLLBACK` (which undid nothing) until its timeout.
#[test]
fn mysql_unlock_tables_commits_what_was_written_under_lock_tables() {
    let Some((env, row, mut writer)) = mysql_row("mysql_unlock_tables", "locked") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    assert_eq!(p.get(reader, id).unwrap().title, row.title, "cached");
    writer
        .batch_execute(&format!(
            "SET autocommit = 0; LOCK TABLES products WRITE; \
             UPDATE products SET title = 'under lock' WHERE id = {id}"
        ))
        .unwrap();
    writer.batch_execute("UNLOCK TABLES").unwrap();
    assert_eq!(
        p.get(reader, id).unwrap().title,
        "under lock",
        "UNLOCK TABLES committed the write"
    );
    writer.batch_execute("ROLLBACK").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "under lock");

    // No locks held: UNLOCK TABLES commits nothing, and the write waits
    // for its COMMIT (invalidated before it, a read between would refill
    // the old row for good).
    writer
        .batch_execute(&format!(
            "UPDATE products SET title = 'held' WHERE id = {id}; UNLOCK TABLES"
        ))
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "under lock", "held");
    writer.batch_execute("COMMIT; SET autocommit = 1").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "held", "committed");
}

/// MySQL's XA transactions are followed: a read inside one (which sees
/// its own uncommitted writes) fills nothing, and its writes are
/// invalidated when it ends committed: at `XA COMMIT .. ONE PHASE`, or at
/// `XA PREPARE` and again at the `XA COMMIT` that makes them visible.
/// `XA START` was not known: a transaction the tracker did not see, whose
/// uncommitted write a read there cached for every process.
#[test]
fn mysql_xa_transactions_are_followed() {
    let Some((env, row, mut writer)) = mysql_row("mysql_xa", "xa") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let stem = cache_tests::unique::prefix("xa");
    let xid = |n: u32| format!("'{stem}-{n}'");
    let update = |title: &str| format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    let reader = &mut env.db.another();

    writer
        .batch_execute(&format!("XA START {}", xid(1)))
        .unwrap();
    writer.batch_execute(&update("uncommitted")).unwrap();
    assert_eq!(p.get(writer, id).unwrap().title, "uncommitted", "its own");
    assert_eq!(
        p.get(reader, id).unwrap().title,
        row.title,
        "a read inside the XA transaction cached its uncommitted write"
    );
    writer
        .batch_execute(&format!("XA END {0}; XA ROLLBACK {0}", xid(1)))
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);

    writer
        .batch_execute(&format!("XA START {}", xid(2)))
        .unwrap();
    writer.batch_execute(&update("one phase")).unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, row.title, "not yet");
    writer
        .batch_execute(&format!("XA END {0}; XA COMMIT {0} ONE PHASE", xid(2)))
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "one phase");

    writer
        .batch_execute(&format!("XA START {}", xid(3)))
        .unwrap();
    writer.batch_execute(&update("two phases")).unwrap();
    writer
        .batch_execute(&format!("XA END {0}; XA PREPARE {0}", xid(3)))
        .unwrap();
    // Prepared, not visible: this read refills the old row.
    assert_eq!(p.get(reader, id).unwrap().title, "one phase");
    writer
        .batch_execute(&format!("XA COMMIT {}", xid(3)))
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "two phases");
}

/// MySQL statements the tracker cannot read may open a transaction
/// unseen: `EXECUTE IMMEDIATE 'SET autocommit = 0'`, a `CALL` of a
/// procedure that does. Found from outside: the write after one was taken
/// as committed, and a read on the writer's connection cached it, never
/// committed, for every process.
#[test]
fn mysql_statements_the_tracker_cannot_read_leave_no_dirty_row() {
    let Some((env, row, mut writer)) = mysql_row("mysql_unreadable", "dynamic") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    writer
        .batch_execute("EXECUTE IMMEDIATE 'SET autocommit = 0'")
        .unwrap();
    writer
        .batch_execute(&format!(
            "UPDATE products SET title = 'uncommitted' WHERE id = {id}"
        ))
        .unwrap();
    assert_eq!(p.get(writer, id).unwrap().title, "uncommitted", "its own");
    writer.batch_execute("ROLLBACK").unwrap();
    let reader = &mut env.db.another();
    assert_eq!(
        p.get(reader, id).unwrap().title,
        row.title,
        "the writer's read cached a row never committed"
    );
    // Still autocommit = 0 after the ROLLBACK: the next write too.
    writer
        .batch_execute(&format!(
            "UPDATE products SET title = 'again' WHERE id = {id}"
        ))
        .unwrap();
    p.get(writer, id).unwrap();
    writer
        .batch_execute("ROLLBACK; SET autocommit = 1")
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
}

/// MariaDB's `ANALYZE <statement>` runs the statement (and shows its
/// plan): `ANALYZE UPDATE` writes, in the open transaction, which it does
/// not commit (`ANALYZE TABLE` does). Found by an outside probe: read as
/// an implicit commit, the `ANALYZE SELECT` let the writer's own read
/// cache its uncommitted write for every process.
#[test]
fn mariadb_analyze_of_a_statement_runs_it() {
    let Some((env, row, mut writer)) = mysql_row("mysql_analyze", "analyzed") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
    let update =
        |title: &str| format!("ANALYZE UPDATE products SET title = '{title}' WHERE id = {id}");
    writer.batch_execute(&update("autocommitted")).unwrap();
    assert_eq!(
        p.get(reader, id).unwrap().title,
        "autocommitted",
        "the write ANALYZE ran was not seen"
    );

    writer.batch_execute("START TRANSACTION").unwrap();
    writer.batch_execute(&update("uncommitted")).unwrap();
    writer.batch_execute("ANALYZE SELECT 1").unwrap();
    assert_eq!(p.get(writer, id).unwrap().title, "uncommitted", "its own");
    assert_eq!(
        p.get(reader, id).unwrap().title,
        "autocommitted",
        "a read after ANALYZE SELECT cached the uncommitted write"
    );
    writer.batch_execute("ROLLBACK").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "autocommitted");
}

/// What the tracker cannot read on MySQL must not hold a write back as if
/// a transaction were open, nor let a transaction open unseen (each found
/// by an outside probe, stale until the entry's timeout): `SET autocommit
/// = DEFAULT` (the server's default, autocommit here) and a user variable
/// named `@autocommit` were read as `autocommit = 0`; a `START
/// TRANSACTION` in a comment for servers newer than this one was run by
/// the tracker and not by the server; a savepoint named with an accent
/// matches one without on MariaDB.
#[test]
fn mysql_what_the_tracker_cannot_read_never_leaves_a_stale_row() {
    let Some((env, row, mut writer)) = mysql_row("mysql_unread_sets", "unread") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    let update = |title: &str| format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    for (i, before) in [
        "SET autocommit = DEFAULT",
        "SET @autocommit = 0",
        "/*!99999 START TRANSACTION */",
        "/*M!999999 BEGIN */",
    ]
    .into_iter()
    .enumerate()
    {
        p.get(reader, id).unwrap(); // cached
        let title = format!("autocommitted {i}");
        writer.batch_execute(before).unwrap();
        writer.batch_execute(&update(&title)).unwrap();
        assert_eq!(p.get(reader, id).unwrap().title, title, "after {before}");
    }

    // A transaction a versioned comment opens on this server: followed as
    // unknown, so the uncommitted write is never cached.
    writer
        .batch_execute("/*!50001 START TRANSACTION */")
        .unwrap();
    writer.batch_execute(&update("uncommitted")).unwrap();
    assert_eq!(p.get(writer, id).unwrap().title, "uncommitted", "its own");
    assert_eq!(p.get(reader, id).unwrap().title, "autocommitted 3");
    writer.batch_execute("ROLLBACK").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "autocommitted 3");

    // MariaDB matches savepoint names ignoring accents: `SAVEPOINT é`
    // moves `e` past the write, which `ROLLBACK TO e` then keeps.
    writer
        .batch_execute(&format!(
            "START TRANSACTION; SAVEPOINT e; {}; SAVEPOINT é; ROLLBACK TO SAVEPOINT e; COMMIT",
            update("kept")
        ))
        .unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "kept", "accents");
}

/// Once the tracker lost track of a session (here `EXECUTE IMMEDIATE`,
/// which it cannot read), the next read asks the server where the session
/// stands: in autocommit again, the connection's reads fill again (they
/// filled nothing for the rest of its life before); in a transaction the
/// statement opened, its own write is read from the database and never
/// cached for others; under `completion_type = CHAIN`, nothing fills.
#[test]
fn mysql_after_losing_track_a_read_asks_the_server() {
    let Some((env, row, mut writer)) = mysql_row("mysql_resync", "resync") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    // How many of two reads on the writer were hits (the entry evicted
    // first, so the first read misses and fills if it may).
    let hits_of_two = |writer: &mut diesel::MysqlConnection| {
        p.invalidate_id(id).unwrap();
        let before = p.stats().hits;
        p.get(writer, id).unwrap();
        p.get(writer, id).unwrap();
        p.stats().hits - before
    };
    assert_eq!(hits_of_two(writer), 1, "a tracked connection fills");
    writer.batch_execute("EXECUTE IMMEDIATE 'DO 1'").unwrap();
    assert_eq!(
        hits_of_two(writer),
        1,
        "the server says autocommit: fills again"
    );

    writer
        .batch_execute("EXECUTE IMMEDIATE 'START TRANSACTION'")
        .unwrap();
    writer
        .batch_execute(&format!(
            "UPDATE products SET title = 'uncommitted' WHERE id = {id}"
        ))
        .unwrap();
    assert_eq!(p.get(writer, id).unwrap().title, "uncommitted", "its own");
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
    writer.batch_execute("ROLLBACK").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
    assert_eq!(hits_of_two(writer), 1, "the ROLLBACK ended it");

    writer
        .batch_execute("EXECUTE IMMEDIATE 'SET completion_type = 1'; COMMIT")
        .unwrap();
    assert_eq!(hits_of_two(writer), 0, "every COMMIT chains: nothing fills");
    writer
        .batch_execute("SET completion_type = 0; COMMIT")
        .unwrap();
    assert_eq!(hits_of_two(writer), 1);
}

/// A session in `autocommit = 0` before the tracker knew it (here a `SET`
/// run before tracking; the server's own default does the same): the
/// first hook finds a transaction open that the tracker does not and is
/// refused, as before, but asks the server on the tracker's behalf: the
/// next hook writes under a savepoint inside the transaction (every one
/// was refused), its invalidation waits for the `COMMIT`, and the
/// connection's reads fill nothing until then.
#[test]
fn mysql_a_hook_in_a_session_that_began_in_autocommit_off_asks_the_server() {
    let Some((env, row, mut writer)) =
        mysql_row_after("mysql_began_off", "began", "SET autocommit = 0")
    else {
        return;
    };
    let (p, id) = (&env.products, row.id);
    let reader = &mut env.db.another();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
    let refused = p.update(&mut writer, id, products::title.eq("refused"));
    assert!(refused.is_err(), "the first hook is refused: {refused:?}");
    p.update(&mut writer, id, products::title.eq("hooked"))
        .expect("written inside the session's transaction");
    assert_eq!(p.get(reader, id).unwrap().title, row.title, "not committed");
    let before = p.stats().hits;
    p.get(&mut writer, id).unwrap();
    p.get(&mut writer, id).unwrap();
    assert_eq!(p.stats().hits, before, "its own write, never cached");
    writer.batch_execute("COMMIT").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "hooked");
    writer.batch_execute("SET autocommit = 1").unwrap();
}

/// A `COMMIT` inside `XA START` fails (`XAER_RMFAIL`) and the XA
/// transaction stays open: the tracker took the failed `COMMIT` for a
/// commit, so the writer's next read cached its uncommitted row (served
/// after `XA ROLLBACK`), and the real `XA COMMIT .. ONE PHASE` invalidated
/// nothing (the old row, refilled meanwhile, was served after it). Found
/// by an outside probe; a failed `COMMIT` on MySQL now loses track.
#[test]
fn mysql_a_commit_refused_inside_xa_ends_nothing() {
    let Some((env, row, mut writer)) = mysql_row("mysql_xa_refused", "xa_refused") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    let update = |title: &str| format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    for (xid, end, kept) in [
        ("r", "XA ROLLBACK 'r'", row.title.as_str()),
        ("c", "XA COMMIT 'c' ONE PHASE", "committed"),
    ] {
        let title = if end.contains("COMMIT") {
            "committed"
        } else {
            "rolled back"
        };
        writer
            .batch_execute(&format!("XA START '{xid}'; {}", update(title)))
            .unwrap();
        assert!(writer.batch_execute("COMMIT").is_err(), "refused in XA");
        assert_eq!(p.get(writer, id).unwrap().title, title, "its own");
        assert_eq!(
            p.get(reader, id).unwrap().title,
            row.title,
            "{xid}: not yet"
        );
        writer
            .batch_execute(&format!("XA END '{xid}'; {end}"))
            .unwrap();
        assert_eq!(p.get(reader, id).unwrap().title, kept, "after {end}");
        assert_eq!(p.get(writer, id).unwrap().title, kept, "after {end}");
    }
}

/// What ends a transaction the tracker lost track of must invalidate what
/// it may have written (found by an outside probe of the resync, each
/// stale until the entry's timeout): a `BEGIN` commits it, as does `SET
/// autocommit = 1` after an `autocommit = 0` the tracker could not read.
#[test]
fn mysql_what_ends_a_transaction_the_tracker_lost_commits_it() {
    let Some((env, row, mut writer)) = mysql_row("mysql_lost_ends", "lost_ends") else {
        return;
    };
    let (p, id, writer) = (&env.products, row.id, &mut writer);
    let reader = &mut env.db.another();
    let update = |title: &str| format!("UPDATE products SET title = '{title}' WHERE id = {id}");
    for (i, (opens, ends)) in [
        ("EXECUTE IMMEDIATE 'START TRANSACTION'", "BEGIN"),
        (
            "EXECUTE IMMEDIATE 'SET autocommit = 0'",
            "SET autocommit = 1",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let before = p.get(reader, id).unwrap().title;
        let title = format!("committed by {ends}");
        writer.batch_execute(opens).unwrap();
        writer.batch_execute(&update(&title)).unwrap();
        assert_eq!(p.get(reader, id).unwrap().title, before, "{i}: not yet");
        writer.batch_execute(ends).unwrap();
        assert_eq!(p.get(reader, id).unwrap().title, title, "after {ends}");
        writer.batch_execute("ROLLBACK").unwrap();
    }
}

/// A session whose transaction was open since before the tracker knew it
/// (`autocommit = 0` set before tracking): the tracker took a raw write
/// there for autocommitted and invalidated it at once; a hook then found
/// the transaction open and asked the server, and the transaction's end
/// must invalidate that write again (it invalidated nothing: found by an
/// outside probe, stale until the entry's timeout).
#[test]
fn mysql_a_transaction_found_open_invalidates_everything_at_its_end() {
    let Some((env, row, mut writer)) =
        mysql_row_after("mysql_found_open", "found", "SET autocommit = 0")
    else {
        return;
    };
    let (p, id) = (&env.products, row.id);
    let reader = &mut env.db.another();
    writer
        .batch_execute(&format!(
            "UPDATE products SET title = 'raw' WHERE id = {id}"
        ))
        .unwrap();
    let refused = p.update(&mut writer, id, products::title.eq("refused"));
    assert!(refused.is_err(), "the first hook is refused: {refused:?}");
    assert_eq!(p.get(reader, id).unwrap().title, row.title, "not committed");
    writer.batch_execute("COMMIT").unwrap();
    assert_eq!(p.get(reader, id).unwrap().title, "raw");
    writer.batch_execute("SET autocommit = 1").unwrap();
}

/// A hook inside Diesel's `transaction()` after SQL text ended that
/// transaction: Diesel's savepoint is a no-op there and the write would
/// commit at once, its invalidation planned for a commit that never
/// comes (found by an outside probe). Refused: nothing written.
#[test]
fn mysql_a_hook_in_a_diesel_transaction_that_sql_text_ended_is_refused() {
    let Some((env, row, mut writer)) = mysql_row("mysql_ended_under", "ended_under") else {
        return;
    };
    let (p, id) = (&env.products, row.id);
    let reader = &mut env.db.another();
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
    let written = cache_diesel::transaction(&mut writer, |c| {
        c.batch_execute("COMMIT")?;
        p.update(c, id, products::title.eq("hooked"))
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
    });
    assert!(written.is_err(), "refused: {written:?}");
    let stored: String = products::table
        .find(id)
        .select(products::title)
        .first(reader)
        .unwrap();
    assert_eq!(stored, row.title, "nothing written");
    assert_eq!(p.get(reader, id).unwrap().title, row.title);
}

/// MySQL (MariaDB) and Redis for `test`, with one product inserted, and
/// another connection, tracked (`None`: skipped).
fn mysql_row(test: &str, slug: &str) -> Option<MysqlRow> {
    mysql_row_after(test, slug, "")
}

/// [`mysql_row`], the other connection running `before` (SQL; none if
/// empty) before it is tracked.
fn mysql_row_after(test: &str, slug: &str, before: &str) -> Option<MysqlRow> {
    let mut env = cache_tests::env::mysql_redis(test)?;
    let row = env
        .products
        .insert(&mut env.db.conn, NewProduct::new(slug, 1))
        .unwrap();
    let mut tracked = env.db.another();
    if !before.is_empty() {
        tracked.batch_execute(before).unwrap();
    }
    track_for(&mut tracked, &env.cache);
    Some((env, row, tracked))
}

/// What [`mysql_row`] makes: the environment, the product, the tracked
/// connection.
type MysqlRow = (
    Env<diesel::MysqlConnection>,
    Product,
    diesel::MysqlConnection,
);

fn track_for(conn: &mut diesel::MysqlConnection, cache: &cache_diesel::Cache) {
    conn.set_instrumentation(
        cache_diesel::CacheTracking::for_connection::<diesel::MysqlConnection>()
            .for_caches([cache.clone()]),
    );
}
