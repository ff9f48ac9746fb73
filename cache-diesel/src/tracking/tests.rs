//! The tracker's unit tests: transactions followed from their SQL (as text
//! or Diesel's), failed commits and batches, and which writes are
//! invalidated when.

use super::*;
use diesel::result::{DatabaseErrorKind, Error as DbError};

/// A tracker over a memory cache where table `t` is managed, and a way
/// to read `t`'s epoch version (it changes at every invalidation).
pub(super) fn tracker() -> (CacheTracking, impl Fn() -> Option<u64>) {
    let cache = Cache::from_url("memory://").unwrap();
    crate::registry::register("t", &cache);
    let epoch = crate::keys::table_tag(&cache, "t", crate::keys::TableTag::Epoch);
    let mut t = CacheTracking::new().for_caches([cache.clone()]);
    t.dialect = Dialect::Postgres;
    (t, move || {
        cache.backend().read_versions(&epoch, &[&epoch]).unwrap()[0]
    })
}

/// The version of the tag every entry of the tracker's cache depends
/// on (bumped by a statement that may write anything).
pub(super) fn everything(t: &CacheTracking) -> Option<u64> {
    let cache = &t.caches.as_ref().expect("the test's cache")[0];
    let all = crate::keys::all_tag(cache);
    cache.backend().read_versions(&all, &[&all]).unwrap()[0]
}

pub(super) fn run(t: &mut CacheTracking, sql: &str) {
    t.on_finish(&sql, None);
}

fn fail(t: &mut CacheTracking, sql: &str, kind: DatabaseErrorKind) {
    t.on_finish(
        &sql,
        Some(&DbError::DatabaseError(kind, Box::new(String::from("x")))),
    );
}

#[test]
fn a_text_transaction_invalidates_at_its_commit_only() {
    let (mut t, epoch) = tracker();
    run(&mut t, "BEGIN");
    run(&mut t, "UPDATE t SET a = 1");
    assert_eq!(epoch(), None, "not before the commit");
    assert!(t.transaction_wrote("t") && t.in_transaction());
    run(&mut t, "COMMIT");
    assert!(epoch().is_some(), "at the commit");
    assert!(!t.in_transaction());
}

/// MySQL's `UNLOCK TABLES` commits while `LOCK TABLES` holds locks,
/// and only then (`START TRANSACTION` releases them).
#[test]
fn unlock_tables_commits_on_mysql_while_tables_are_locked() {
    let (mut t, epoch) = tracker();
    t.dialect = Dialect::Mysql;
    run(&mut t, "SET autocommit = 0");
    run(&mut t, "LOCK TABLES t WRITE");
    run(&mut t, "UPDATE t SET a = 1");
    assert_eq!(epoch(), None, "not before the commit");
    run(&mut t, "UNLOCK TABLES");
    let committed = epoch();
    assert!(committed.is_some(), "UNLOCK TABLES committed");
    assert!(t.in_transaction(), "autocommit = 0 opens the next one");
    // No locks held: UNLOCK TABLES commits nothing.
    run(&mut t, "UPDATE t SET a = 2; UNLOCK TABLES");
    assert_eq!(epoch(), committed, "not committed");
    run(&mut t, "LOCK TABLES t WRITE; START TRANSACTION");
    let begun = epoch();
    run(&mut t, "UPDATE t SET a = 3; UNLOCK TABLES");
    assert_eq!(epoch(), begun, "START TRANSACTION released the locks");
    run(&mut t, "COMMIT");
    assert_ne!(epoch(), begun, "at the commit");
}

#[test]
fn temporary_tables_are_told_from_their_words() {
    for sql in [
        "create temporary table products (id int)",
        "create temp table products as select 1",
        "create global temporary table x (a int)",
        "create or replace temp view v as select 1",
        "select 1; create\ttemporary table `p` like q",
    ] {
        assert!(creates_temporary(sql), "{sql}");
    }
    for sql in [
        "create table temperature (temp int)",
        "create index temp on t (a)",
        "select temp from create_temp",
        "insert into temp values (1)",
    ] {
        assert!(!creates_temporary(sql), "{sql}");
    }
}

/// What the server says replaces the tracker's guesses once it lost
/// track: what was written meanwhile goes to the open transaction, or
/// is invalidated at once when none is open; `UNLOCK TABLES` then
/// loses track (whether `LOCK TABLES` holds locks cannot be asked).
#[test]
#[cfg(any(feature = "mysql", feature = "async-mysql"))]
fn a_resync_replaces_the_guesses_of_a_tracker_that_lost_track() {
    let (mut t, epoch) = tracker();
    t.dialect = Dialect::Mysql;
    // (What the lost stretch wrote includes "anything": the `all` tag.)
    let seen = |t: &CacheTracking| (epoch(), everything(t));
    assert!(!t.wants_resync(), "it knows where it stands");
    run(&mut t, "CALL p(); UPDATE t SET a = 1");
    assert!(t.wants_resync() && t.in_transaction());
    t.resync(true, true, false);
    assert!(!t.wants_resync() && t.transaction_wrote("t"));
    let before = seen(&t);
    run(&mut t, "COMMIT");
    assert_ne!(seen(&t), before, "what the lost stretch wrote, again");
    assert!(!t.in_transaction(), "and the session is known again");

    run(&mut t, "CALL p()");
    let before = seen(&t);
    t.resync(false, true, false);
    assert_ne!(seen(&t), before, "invalidated at once: nothing is open");
    assert!(!t.in_transaction() && !t.wants_resync());
    run(&mut t, "UNLOCK TABLES");
    assert!(t.wants_resync(), "an UNLOCK TABLES it cannot place");
    t.resync(false, false, true);
    assert!(t.in_transaction(), "autocommit = 0: one is open");
    run(&mut t, "LOCK TABLES t WRITE; UNLOCK TABLES");
    assert!(!t.wants_resync(), "the locks are known again");
    run(&mut t, "SET autocommit = 1, completion_type = 0");
    assert!(!t.in_transaction());
}

/// On MySQL a statement the tracker cannot read may open a
/// transaction or set `autocommit = 0` unseen (found from outside:
/// `CALL`, `EXECUTE IMMEDIATE 'SET autocommit=0'`, `BEGIN NOT ATOMIC
/// START TRANSACTION; ..; END`): the connection's reads fill nothing
/// from then on, and its writes are invalidated at once.
#[test]
fn an_unreadable_mysql_statement_leaves_the_session_in_doubt() {
    let (mut t, epoch) = tracker();
    t.dialect = Dialect::Mysql;
    run(&mut t, "CALL p()");
    assert!(everything(&t).is_some(), "a CALL may write anything");
    assert!(t.in_transaction(), "it may have opened one");
    run(&mut t, "UPDATE t SET a = 1");
    assert!(epoch().is_some(), "invalidated at once");
    run(&mut t, "COMMIT");
    assert!(t.in_transaction(), "autocommit may be off: still in doubt");
    // Failed, it ran what came before its failure.
    let (mut t, _) = tracker();
    t.dialect = Dialect::Mysql;
    fail(&mut t, "EXECUTE s", DatabaseErrorKind::UniqueViolation);
    assert!(everything(&t).is_some() && t.in_transaction());
}

/// Text whose reading depends on the session's settings is read both
/// ways where it may: MySQL after a `sql_mode` is set
/// (`NO_BACKSLASH_ESCAPES`), PostgreSQL after
/// `standard_conforming_strings` is; what one reading hides (a write,
/// a `BEGIN`) leaves the transaction unknown. Found from outside.
#[test]
fn text_read_two_ways_hides_no_write_nor_transaction() {
    let (mut t, epoch) = tracker();
    t.dialect = Dialect::Mysql;
    run(&mut t, "SET sql_mode = 'NO_BACKSLASH_ESCAPES'");
    run(&mut t, "SELECT 'x\\'; UPDATE t SET a = 1; SELECT 1 -- '");
    assert!(everything(&t).is_some(), "the write one reading hides");
    assert!(t.in_transaction());
    run(&mut t, "ROLLBACK");
    // Without a backslash, one reading.
    run(&mut t, "UPDATE t SET a = 2");
    assert!(epoch().is_some());
    let (mut t, _) = tracker();
    run(&mut t, "SET standard_conforming_strings = off");
    run(&mut t, "SELECT 'x\\'; --'; BEGIN; UPDATE t SET a = 1");
    assert!(t.in_transaction(), "the BEGIN one reading hides");
    assert!(everything(&t).is_some());
}

/// SQLite: a prepared statement runs its text's first statement only
/// (Diesel ignores the rest), and a `COMMIT` that failed (a reader
/// holds the database) leaves the transaction open. Found from
/// outside: both were taken as run and committed.
#[test]
fn sqlite_runs_a_prepared_texts_first_statement_and_may_keep_a_failed_commits_transaction() {
    let (mut t, epoch) = tracker();
    t.dialect = Dialect::Sqlite;
    t.first_only = true;
    run(&mut t, "UPDATE t SET a = 1; BEGIN");
    assert!(!t.in_transaction(), "the BEGIN did not run");
    assert!(epoch().is_some());
    run(&mut t, "BEGIN");
    run(&mut t, "UPDATE t SET a = 2");
    let before = epoch();
    fail(&mut t, "COMMIT", DatabaseErrorKind::Unknown);
    assert_ne!(epoch(), before, "it may have committed");
    assert!(t.in_transaction(), "or still be open");
}

#[test]
fn rollbacks_and_rolled_back_savepoints_invalidate_nothing() {
    let (mut t, epoch) = tracker();
    run(&mut t, "BEGIN; UPDATE t SET a = 1; ROLLBACK");
    run(
        &mut t,
        "BEGIN; SAVEPOINT a; UPDATE t SET a = 1; ROLLBACK TO SAVEPOINT a; RELEASE a; COMMIT",
    );
    assert_eq!(epoch(), None);
    run(
        &mut t,
        "BEGIN; SAVEPOINT \"A\"; UPDATE t SET a = 1; RELEASE \"A\"; COMMIT",
    );
    assert!(
        epoch().is_some(),
        "a released savepoint commits with its parent"
    );
}

#[test]
fn a_failed_commit_invalidates() {
    let (mut t, epoch) = tracker();
    run(&mut t, "BEGIN");
    run(&mut t, "UPDATE t SET a = 1");
    fail(&mut t, "COMMIT", DatabaseErrorKind::ClosedConnection);
    assert!(epoch().is_some());
    assert!(!t.in_transaction());
}

#[test]
fn a_failed_autocommit_write_invalidates_unless_the_server_refused_it() {
    let (mut t, epoch) = tracker();
    fail(
        &mut t,
        "UPDATE t SET a = 1",
        DatabaseErrorKind::UniqueViolation,
    );
    assert_eq!(epoch(), None, "refused by the server: nothing written");
    fail(
        &mut t,
        "UPDATE t SET a = 1",
        DatabaseErrorKind::ClosedConnection,
    );
    assert!(
        epoch().is_some(),
        "the reply was lost: it may have committed"
    );
}

#[test]
fn a_failed_batch_with_transaction_statements_loses_track_until_the_next_end() {
    let (mut t, epoch) = tracker();
    fail(
        &mut t,
        "BEGIN; UPDATE t SET a = 1",
        DatabaseErrorKind::ClosedConnection,
    );
    let first = epoch();
    assert!(first.is_some(), "invalidated at once");
    assert!(t.in_transaction(), "no fill until the tracker knows again");
    run(&mut t, "COMMIT");
    assert_ne!(epoch(), first, "and again at the end");
    assert!(!t.in_transaction());
    fail(&mut t, "SELECT 1; SELECT 1/0", DatabaseErrorKind::Unknown);
    assert!(
        !t.in_transaction(),
        "a failed batch of reads changes nothing"
    );
}

#[test]
fn a_query_that_cannot_be_rendered_is_no_panic() {
    struct Unrenderable;
    impl std::fmt::Display for Unrenderable {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }
    let (mut t, epoch) = tracker();
    t.on_finish(
        &Unrenderable,
        Some(&DbError::QueryBuilderError("empty".into())),
    );
    assert_eq!(epoch(), None);
}

/// The reference: PostgreSQL's transaction semantics for one table.
/// Each level says whether it wrote; `None` outside a transaction.
#[derive(Default)]
struct Reference {
    levels: Option<Vec<(String, bool)>>,
}

impl Reference {
    /// The statements valid now, as SQL.
    fn valid(&self) -> Vec<String> {
        let mut ops = vec!["UPDATE t SET a = 1".to_owned()];
        match &self.levels {
            None => ops.push("BEGIN".into()),
            Some(levels) => {
                ops.extend(["COMMIT".into(), "ROLLBACK".into()]);
                ops.push(format!("SAVEPOINT s{}", levels.len()));
                for (name, _) in levels.iter().skip(1) {
                    ops.push(format!("RELEASE SAVEPOINT {name}"));
                    ops.push(format!("ROLLBACK TO SAVEPOINT {name}"));
                }
            }
        }
        ops
    }

    /// Applies a statement; says whether a write committed by it.
    fn apply(&mut self, sql: &str) -> bool {
        let word = |i: usize| sql.split(' ').nth(i).unwrap_or_default().to_owned();
        match (self.levels.as_mut(), word(0).as_str()) {
            (None, "UPDATE") => return true,
            (None, "BEGIN") => self.levels = Some(vec![(String::new(), false)]),
            (Some(levels), "UPDATE") => levels.last_mut().unwrap().1 = true,
            (Some(levels), "SAVEPOINT") => levels.push((word(1), false)),
            (Some(levels), "RELEASE") => {
                let i = levels.iter().rposition(|(n, _)| *n == word(2)).unwrap();
                let wrote = levels.drain(i..).any(|(_, w)| w);
                levels.last_mut().unwrap().1 |= wrote;
            }
            (Some(levels), "ROLLBACK") if word(1) == "TO" => {
                let i = levels.iter().rposition(|(n, _)| *n == word(3)).unwrap();
                levels.truncate(i + 1);
                levels[i].1 = false;
            }
            (Some(levels), "COMMIT") => {
                let wrote = levels.iter().any(|(_, w)| *w);
                self.levels = None;
                return wrote;
            }
            (Some(_), "ROLLBACK") => self.levels = None,
            _ => unreachable!("{sql}"),
        }
        false
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Random valid sequences of transaction statements and writes, as
    /// separate statements or batched: whenever PostgreSQL would commit
    /// a write, the table's epoch moves in that very call.
    #[test]
    fn every_committed_write_is_invalidated_when_it_commits(
        choices in proptest::collection::vec((0usize..100, proptest::bool::ANY), 1..40)
    ) {
        let (mut t, epoch) = tracker();
        let mut reference = Reference::default();
        let mut batch: Vec<String> = Vec::new();
        let mut committed_in_batch = false;
        for (choice, batched) in choices {
            let ops = reference.valid();
            let sql = ops[choice % ops.len()].clone();
            committed_in_batch |= reference.apply(&sql);
            batch.push(sql);
            if batched {
                continue; // send it with the next one
            }
            let before = epoch();
            run(&mut t, &batch.join("; "));
            if committed_in_batch {
                proptest::prop_assert_ne!(epoch(), before, "{:?} committed a write", batch);
            }
            proptest::prop_assert_eq!(t.in_transaction(), reference.levels.is_some(), "{:?}", batch);
            batch.clear();
            committed_in_batch = false;
        }
    }
}
