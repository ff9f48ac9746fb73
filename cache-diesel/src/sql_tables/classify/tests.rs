//! The classifier's unit tests: transaction control and what is `Unknown`.

use super::super::Dialect::{Any, Mysql, Postgres, Sqlite};
use super::super::Statement::{self, *};
use super::super::tests::{ALL, check, w};

#[test]
fn unknown_statements() {
    for sql in [
        "CALL proc(1)",
        "EXECUTE p(1)",
        "EXECUTE stmt USING @a",
        "COMMIT PREPARED 'x'",
        "ROLLBACK PREPARED 'x'",
        "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
        "CREATE MATERIALIZED VIEW m AS SELECT 1",
        "REFRESH MATERIALIZED VIEW m",
        "DROP VIEW v",
        "ALTER VIEW v RENAME TO w",
        "UPSERT t",
        "CLUSTER t",
        "EXPLAIN EXECUTE p(1)",
        "INSERT INTO (SELECT 1)",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "LOAD 'plugin'",
        "SELECT (1",
        "SELECT 1)",
        "42",
        "'just a string'",
    ] {
        check(&[Postgres, Sqlite, Mysql], sql, &[Unknown]);
    }
    check(
        &[Postgres],
        "DO $$ BEGIN UPDATE t SET a = 1; END $$",
        &[Unknown],
    );
    // `WITH .. UPDATE` hidden in a dollar quote only PostgreSQL lexes.
    check(
        &[Postgres],
        "WITH x AS (SELECT $$'$$ AS q) UPDATE t SET a = 1",
        &[w(&["t"])],
    );
    check(
        &[Any],
        "WITH x AS (SELECT $$'$$ AS q) UPDATE t SET a = 1",
        &[Unknown],
    );
    check(
        &[Postgres],
        "SELECT $tag$ it's $$ not; the end $tag$; UPDATE t SET a = 1",
        &[Read, w(&["t"])],
    );
    check(
        &[Postgres],
        "SELECT $a$ unterminated $b$; UPDATE t SET a = 1",
        &[Unknown],
    );
    check(
        &[Postgres],
        "SELECT $1, $2; UPDATE t SET a = $3",
        &[Read, w(&["t"])],
    );
    check(&[Postgres], "SELECT a$$b, c FROM t", &[Read]);
}

#[test]
fn transactions() {
    let cases: &[(&str, &[Statement])] = &[
        ("BEGIN", &[Begin]),
        ("begin work", &[Begin]),
        ("BEGIN TRANSACTION", &[Begin]),
        (
            "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, NOT DEFERRABLE",
            &[Begin],
        ),
        (
            "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED READ WRITE",
            &[Begin],
        ),
        ("BEGIN ISOLATION LEVEL REPEATABLE READ", &[Begin]),
        ("BEGIN DEFERRED", &[Begin]),
        ("BEGIN IMMEDIATE TRANSACTION", &[Begin]),
        ("BEGIN EXCLUSIVE", &[Begin]),
        ("BEGIN TRANSACTION tx1", &[Begin]),
        ("START TRANSACTION", &[Begin]),
        (
            "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
            &[Begin],
        ),
        ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", &[Begin]),
        ("COMMIT", &[Commit]),
        ("COMMIT WORK", &[Commit]),
        ("COMMIT TRANSACTION", &[Commit]),
        ("commit and no chain", &[Commit]),
        ("COMMIT AND CHAIN", &[Commit, Begin]),
        ("COMMIT WORK AND NO CHAIN NO RELEASE", &[Commit]),
        ("COMMIT RELEASE", &[Commit]),
        ("END", &[Commit]),
        ("END TRANSACTION", &[Commit]),
        ("end work", &[Commit]),
        ("ROLLBACK", &[Rollback]),
        ("ROLLBACK WORK", &[Rollback]),
        ("ABORT", &[Rollback]),
        ("ABORT TRANSACTION", &[Rollback]),
        ("ROLLBACK AND CHAIN", &[Rollback, Begin]),
        ("ROLLBACK AND NO CHAIN", &[Rollback]),
        ("SAVEPOINT sp1", &[Savepoint("sp1".into())]),
        ("SAVEPOINT SP1", &[Savepoint("sp1".into())]),
        ("TRUNCATE categories CASCADE", &[Unknown]),
        ("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE", &[Unknown]),
        (
            concat!(
                "SAVEPOINT ",
                "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss",
                "x"
            ),
            &[Savepoint(
                "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss".into(),
            )],
        ),
        ("RELEASE SAVEPOINT Sp1", &[Release("sp1".into())]),
        ("RELEASE sp1", &[Release("sp1".into())]),
        ("ROLLBACK TO SAVEPOINT sp1", &[RollbackTo("sp1".into())]),
        ("ROLLBACK TO sp1", &[RollbackTo("sp1".into())]),
        (
            "ROLLBACK TRANSACTION TO SAVEPOINT x",
            &[RollbackTo("x".into())],
        ),
        ("PREPARE TRANSACTION 'tx'", &[Commit]),
        ("SAVEPOINT", &[Unknown]),
        ("SAVEPOINT a b", &[Unknown]),
        ("RELEASE", &[Unknown]),
        ("ROLLBACK TO", &[Unknown]),
        ("COMMIT PREPARED 'tx'", &[Unknown]),
        ("COMMIT sideways", &[Unknown]),
        ("BEGIN ATOMIC", &[Unknown]),
        ("BEGIN NOT ATOMIC UPDATE t SET a = 1; END", &[Unknown]),
        ("START SLAVE", &[Unknown]),
        (
            "BEGIN; UPDATE t SET x=1; COMMIT",
            &[Begin, Writes(vec!["t".into()]), Commit],
        ),
        (
            "START TRANSACTION; SAVEPOINT a; DELETE FROM t; ROLLBACK TO SAVEPOINT a; RELEASE a; END;",
            &[
                Begin,
                Savepoint("a".into()),
                Writes(vec!["t".into()]),
                RollbackTo("a".into()),
                Release("a".into()),
                Commit,
            ],
        ),
        (";; -- nothing\n ; /* here */ ;", &[]),
        ("", &[]),
        ("SELECT 1;;SELECT 2;", &[Read, Read]),
    ];
    for (sql, expected) in cases {
        check(ALL, sql, expected);
    }
    // Savepoint names as each database compares them. PostgreSQL folds
    // unquoted ASCII only, and cuts names to 63 bytes (above).
    for (sql, expected) in [
        ("SAVEPOINT Éa", Savepoint("Éa".into())),
        ("SAVEPOINT \"My Sp\"", Savepoint("My Sp".into())),
        ("SAVEPOINT \"a\"\"b\"", Savepoint("a\"b".into())),
        ("ROLLBACK WORK TO SAVEPOINT \"X\"", RollbackTo("X".into())),
    ] {
        check(&[Postgres], sql, &[expected]);
    }
    // SQLite ignores ASCII case, quoted or not (brackets, backticks).
    for (sql, expected) in [
        ("SAVEPOINT Éa", Savepoint("Éa".into())),
        ("SAVEPOINT \"My Sp\"", Savepoint("my sp".into())),
        ("SAVEPOINT `Sp`", Savepoint("sp".into())),
        ("RELEASE [Sp]", Release("sp".into())),
        ("ROLLBACK TO \"X\"", RollbackTo("x".into())),
    ] {
        check(&[Sqlite], sql, &[expected]);
    }
    // MySQL ignores case, accents and trailing spaces: ASCII names are
    // folded, any other is unknown.
    for (sql, expected) in [
        ("SAVEPOINT `Sp`", Savepoint("sp".into())),
        ("RELEASE SAVEPOINT `A`", Release("a".into())),
        ("ROLLBACK TO `X`", RollbackTo("x".into())),
        ("SAVEPOINT é", Unknown),
        ("SAVEPOINT `é`", Unknown),
        ("ROLLBACK TO SAVEPOINT `É`", Unknown),
        ("RELEASE SAVEPOINT `a `", Unknown),
    ] {
        check(&[Mysql], sql, &[expected]);
    }
    // MySQL's XA transactions (the other servers refuse the syntax).
    for (sql, expected) in [
        ("XA START 'x'", Begin),
        ("xa begin 'x', 'b', 1 JOIN", Begin),
        ("XA END 'x' SUSPEND FOR MIGRATE", Read),
        ("XA RECOVER CONVERT XID", Read),
        ("XA PREPARE 'x'", ImplicitCommit),
        ("XA COMMIT 'x' ONE PHASE", ImplicitCommit),
        ("XA COMMIT X'01'", Unknown),
        ("XA ROLLBACK 'x'", Rollback),
        ("XA", Unknown),
    ] {
        assert_eq!(super::super::analyze(sql, Mysql), [expected], "{sql}");
    }
}
