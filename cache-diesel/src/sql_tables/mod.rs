//! What a SQL statement does to the cache, read from its text.
//!
//! A tracked connection hands every statement it runs to [`analyze`], which
//! splits it on top-level `;` and tells, for each statement, whether it only
//! reads ([`Statement::Read`]), which tables it writes
//! ([`Statement::Writes`]), whether it opens or ends a transaction or a
//! savepoint, or that it cannot tell ([`Statement::Unknown`]: the tracker
//! then invalidates every managed table). It never guesses "read": a
//! statement it does not know, or whose text it cannot lex to the end
//! (unterminated string, quoted identifier or comment, unbalanced
//! parentheses), is `Unknown`.
//!
//! # How
//!
//! One pass of a lexer over the bytes follows the lexical rules of the
//! [`Dialect`] (strings and their escapes, dollar quotes, quoted identifiers,
//! nested or executable comments) and yields tokens that borrow the text; no
//! allocation per character. Each statement's tokens are then classified by
//! its first keyword, and scanned as a whole for writes anywhere in it
//! (data-modifying CTEs, `EXPLAIN ANALYZE`, `SELECT .. INTO t`, ...).
//! [`Dialect::Any`] runs the three lexers and merges their answers so that
//! none of them under-reports, at three times the cost of one (the costs:
//! BENCHMARKS.md, `design.sql_scanner_cost`).
//!
//! # What is classified how
//!
//! - Transaction control: `BEGIN [WORK | TRANSACTION] [modes]`,
//!   `BEGIN DEFERRED | IMMEDIATE | EXCLUSIVE [TRANSACTION]`,
//!   `START TRANSACTION [..]` → [`Statement::Begin`]; `COMMIT | END [WORK |
//!   TRANSACTION] [AND NO CHAIN] [[NO] RELEASE]` → `Commit`; `ROLLBACK |
//!   ABORT [WORK | TRANSACTION]` → `Rollback`; `.. AND CHAIN` adds a `Begin`
//!   after the `Commit` or `Rollback`; `SAVEPOINT n`, `RELEASE [SAVEPOINT]
//!   n`, `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] n`. PostgreSQL's
//!   `PREPARE TRANSACTION 'id'` is a `Commit` (the transaction leaves the
//!   connection; its writes become visible only at `COMMIT PREPARED`, which
//!   is `Unknown`, as is `ROLLBACK PREPARED`). MySQL's `XA START | BEGIN`
//!   is a `Begin`, `XA END` and `XA RECOVER` reads, `XA PREPARE` and `XA
//!   COMMIT .. ONE PHASE` `ImplicitCommit`s (never chained), `XA ROLLBACK`
//!   a `Rollback`, and `XA COMMIT` of a prepared transaction `Unknown`.
//!   A `BEGIN` that opens a block
//!   rather than a transaction (MariaDB's `BEGIN NOT ATOMIC .. END`) is
//!   `Unknown`, and so is the whole block.
//! - Writes: `INSERT [OR x] [INTO] t`, `REPLACE [INTO] t`, `UPDATE [OR x]
//!   [ONLY] t` (MySQL's multi-table `UPDATE t1, t2 ..` and `UPDATE t1 JOIN
//!   t2 .. SET`: every table named before `SET`), `DELETE FROM [ONLY] t`
//!   (MySQL's `DELETE t1 FROM ..` and `DELETE FROM t1, t2 USING ..`: the
//!   targets, aliases resolved, or every table of the clause when a target
//!   is not found there), `MERGE INTO t`, `TRUNCATE [TABLE] a, b`, `ALTER
//!   TABLE t` (and the new name of `RENAME TO`), `DROP TABLE [IF EXISTS] a,
//!   b`, `COPY t FROM ..`, `LOAD DATA | XML .. INTO TABLE t`, `SELECT .. INTO
//!   t`, `CREATE TABLE t ..`: anywhere in a statement for the first five
//!   and `INTO` (CTEs, `EXPLAIN`, `PREPARE p AS ..`).
//! - Not writes: `FOR [NO KEY] UPDATE`, `ON CONFLICT .. DO UPDATE`, `ON
//!   DUPLICATE KEY UPDATE`, `ON UPDATE | DELETE ..` of a foreign key or a
//!   column, `LOCK IN SHARE MODE`, `MERGE`'s `THEN UPDATE | DELETE |
//!   INSERT`, MySQL's `INSERT(..)` and `REPLACE(..)` string functions,
//!   `INTO OUTFILE | DUMPFILE | @var`, `VACUUM INTO 'file'`.
//! - Read when no write is found inside: `SELECT`, `WITH`, `VALUES`,
//!   `TABLE`, a parenthesised query, `SHOW`, `EXPLAIN | DESCRIBE | DESC`
//!   (of a write: that write's tables, `ANALYZE` or not; so is MariaDB's
//!   `ANALYZE <statement>`, which runs it), `PRAGMA`, `SET`,
//!   `RESET`, `LISTEN`, `UNLISTEN`, `NOTIFY`, `DECLARE`, `FETCH`, `MOVE`,
//!   `CLOSE`, `DEALLOCATE`, `PREPARE` (it runs nothing: the `EXECUTE` that
//!   follows is `Unknown`), `ANALYZE`, `VACUUM`, `USE`, `LOCK`, `UNLOCK`,
//!   `DISCARD`, `CREATE [UNIQUE] INDEX`, `CREATE VIEW` (a view is a query:
//!   writes through it are caught where they run, or are `Unknown`),
//!   `GRANT`, `REVOKE`, `COPY t TO ..`, `COPY (query) TO ..`.
//! - Unknown: `CALL`, `DO`, `EXECUTE`, `COMMIT | ROLLBACK PREPARED`, any
//!   other `CREATE`, `ALTER` or `DROP`, any statement not listed above, and
//!   any statement the lexer cannot finish.
//!
//! Names are the last part of a qualified name, unquoted, lower-cased:
//! `"s"."T"`, `` `db`.`t` `` and `s.t` all give `t`. Savepoint names keep a
//! quoted name verbatim and lower-case an unquoted one.
//!
//! Known limits: PostgreSQL is lexed with `standard_conforming_strings`
//! on (its default) and MySQL with backslash escapes on (no
//! `NO_BACKSLASH_ESCAPES`) and every `/*! .. */` and `/*M! .. */` comment
//! executed; under another setting a string usually ends up unterminated,
//! hence `Unknown`. (The tracker reads a connection's text both ways once
//! it set `standard_conforming_strings` or MySQL's `sql_mode`: where the
//! readings differ, `Unknown`, and the transaction is unknown too.)
//! MySQL's implicit commits around DDL, `TRUNCATE`,
//! `LOCK TABLES` and the administrative statements are `ImplicitCommit`s
//! on each side of the statement (a `BEGIN` inside a transaction is the
//! tracker's to follow), and MySQL's `SET autocommit = 0` and
//! `completion_type` (after which statements run in transactions no
//! `BEGIN` shows) are `Session`, in their place in the batch (see
//! `sql_tables::mysql_session`), as are `LOCK TABLES` and `UNLOCK
//! TABLES` (which commits while the session holds the locks of a `LOCK
//! TABLES`: the tracker follows them). An `Unknown` that
//! ends the list because the text could not be lexed to its end may hide
//! transaction control as well as writes. What no SQL text
//! shows (triggers, functions that write, other programs) is not seen:
//! [`function_calls`] lists the functions a statement calls.

mod calls;
mod classify;
mod lexer;
pub(crate) mod mysql_session;
#[cfg(test)]
mod scanner_tests;
mod split;
mod statement;
mod writes;

use calls::calls_base;
use lexer::{Base, Lexed, Lexer, Tok};
use split::{analyze_base, merge};
use statement::Stmt;
use statement::push_once;
use writes::table_refs;

/// Which database's lexical rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `'..'` with `''`, `E'..'` with backslash escapes,
    /// `$tag$..$tag$`, `"ident"`, `--` and nesting `/* */` comments.
    Postgres,
    /// SQLite: `'..'` with `''`, `"ident"`, `` `ident` ``, `[ident]`, `--`
    /// and `/* */` comments (not nested; an unterminated one ends the text).
    Sqlite,
    /// MySQL and MariaDB: `'..'` and `".."` with backslash escapes and
    /// doubled quotes, `` `ident` ``, `#` and `-- ` comments, `/* */` not
    /// nested, `/*! .. */` and `/*M! .. */` executed.
    Mysql,
    /// Rules unknown: must be safe under all three. The text is analyzed
    /// under each and the answers merged; where they disagree the result
    /// says more is written, or `Unknown`.
    Any,
}

/// What one statement does, as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Reads only.
    Read,
    /// Writes these tables (last part of the name, unquoted, lower case; in
    /// order, once each).
    Writes(Vec<String>),
    /// May write anything: the tracker invalidates every managed table.
    Unknown,
    /// Opens a transaction (`BEGIN`, `START TRANSACTION`).
    Begin,
    /// Ends the transaction, committing it (`COMMIT`, `END`; also
    /// PostgreSQL's `PREPARE TRANSACTION`).
    Commit,
    /// Ends the transaction, rolling it back (`ROLLBACK`, `ABORT`).
    Rollback,
    /// MySQL ends the transaction, committing it, around a statement that
    /// causes an implicit commit (DDL, `TRUNCATE`, `LOCK TABLES`, ..):
    /// before it, and for DDL after it too. Unlike a `COMMIT`, never
    /// chained (`completion_type` is for `COMMIT` and `ROLLBACK` only).
    /// Also MySQL's `XA PREPARE` and `XA COMMIT .. ONE PHASE`, which end an
    /// XA transaction, committed as far as the tracker knows.
    ImplicitCommit,
    /// `SAVEPOINT name`.
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name`.
    RollbackTo(String),
    /// A `SET` of MySQL's `autocommit` or `completion_type` (which open
    /// transactions no `BEGIN` shows: `sql_tables::mysql_session`), or its
    /// `LOCK TABLES` or `UNLOCK TABLES`, where it stands in its batch: a
    /// write after it in the same batch runs in the mode it set.
    Session(crate::sql_tables::mysql_session::Settings),
}

/// The statements of `sql` (split on top-level `;`), in order; empty ones
/// (only whitespace/comments) are left out.
///
/// A statement the lexer cannot finish (an unterminated string, quoted
/// identifier or comment) is [`Statement::Unknown`] and takes the rest of
/// the text with it.
pub fn analyze(sql: &str, dialect: Dialect) -> Vec<Statement> {
    match dialect {
        Dialect::Any => {
            let mut merged = analyze_base(sql, Base::Postgres);
            merged = merge(merged, analyze_base(sql, Base::Sqlite));
            let mut mysql = analyze_base(sql, Base::Mysql);
            let commits = mysql.contains(&Statement::ImplicitCommit);
            mysql.retain(|s| *s != Statement::ImplicitCommit);
            merged = merge(merged, mysql);
            if commits && merged.last() != Some(&Statement::Unknown) {
                // On MySQL the text commits where the others do not: what
                // is open after it is unknown (the tracker loses track).
                merged.push(Statement::Unknown);
            }
            merged
        }
        d => analyze_base(sql, Base::of(d)),
    }
}

/// [`analyze`] of MySQL text read both with backslash escapes (MySQL's
/// default) and without (`NO_BACKSLASH_ESCAPES`, which a session's
/// `sql_mode` may set): where the two readings differ, `Unknown`.
pub(crate) fn analyze_mysql_either_escapes(sql: &str) -> Vec<Statement> {
    let escaped = analyze_base(sql, Base::Mysql);
    if !sql.contains('\\') {
        return escaped;
    }
    // Without escapes a backslash is an ordinary character: any other
    // that ends no token reads the same.
    merge(escaped, analyze_base(&sql.replace('\\', " "), Base::Mysql))
}

/// [`analyze`] of PostgreSQL text read both with
/// `standard_conforming_strings` on (its default: a backslash is an
/// ordinary character in `'..'`) and off (it escapes there, as in
/// `E'..'`), which a session may set: where the two readings differ,
/// `Unknown`. Everything else is read by PostgreSQL's rules (nested
/// comments, dollar quotes), as the server reads it either way.
pub(crate) fn analyze_postgres_either_strings(sql: &str) -> Vec<Statement> {
    let conforming = analyze_base(sql, Base::Postgres);
    if !sql.contains('\\') {
        return conforming;
    }
    merge(conforming, split::analyze_postgres_escaping_strings(sql))
}

/// Names of functions called in `sql`: an identifier (possibly qualified:
/// its last part; lower case) followed by `(` in code, not in strings or
/// comments; once each, in order. A few keywords that take parentheses
/// (`IN`, `VALUES`, `EXISTS`, ..) and the names after `INTO`, `TABLE`,
/// `REFERENCES`, `PREPARE` and `EXECUTE` are left out; type names such as
/// `varchar(10)` are not. Under [`Dialect::Any`], what any of the three
/// dialects reads as a call.
pub fn function_calls(sql: &str, dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for base in bases(dialect) {
        calls_base(sql, base, &mut out);
    }
    out
}

/// The lexing rules a dialect stands for: its own, or under
/// [`Dialect::Any`] each of the three.
fn bases(dialect: Dialect) -> Vec<Base> {
    match dialect {
        Dialect::Any => vec![Base::Postgres, Base::Sqlite, Base::Mysql],
        d => vec![Base::of(d)],
    }
}

/// Every token of `sql` under `base`'s rules.
fn tokens(sql: &str, base: Base) -> Vec<Tok> {
    let mut lexer = Lexer::new(sql, base);
    let mut toks: Vec<Tok> = Vec::with_capacity(64);
    while let Lexed::Tok(t) = lexer.next() {
        toks.push(t);
    }
    toks
}

/// The tables `sql` reads or writes by name: every table reference after a
/// `FROM` or a `JOIN`, at any depth (subqueries included), as the last part
/// of its name, lower case; once each, in order. Under [`Dialect::Any`],
/// what any of the three dialects reads. A cached query's entries depend on
/// these tables (a subquery on another table is a dependency too).
pub fn tables_named(sql: &str, dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for base in bases(dialect) {
        named_base(sql, base, &mut out);
    }
    out
}

fn named_base(sql: &str, base: Base, out: &mut Vec<String>) {
    const STOP: &[&str] = &[
        "where",
        "group",
        "order",
        "limit",
        "having",
        "union",
        "except",
        "intersect",
        "window",
        "returning",
        "for",
        "offset",
        "fetch",
        "on",
        "using",
        "set",
        "values",
        "select",
    ];
    let toks = tokens(sql, base);
    let s = Stmt { sql, t: &toks };
    for i in 0..s.len() {
        if s.kw(i, "from") || s.kw(i, "join") {
            for r in table_refs(&s, i + 1, STOP) {
                push_once(out, r.table);
            }
        }
    }
}

/// The tables written by the statements of `sql` as any of the three
/// dialects reads it (every [`Statement::Writes`] of each), for the tests'
/// tables of cases. It says nothing of [`Statement::Unknown`] nor of
/// transactions: the tracker uses [`analyze`].
#[cfg(test)]
fn written_tables(sql: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for base in [Base::Postgres, Base::Sqlite, Base::Mysql] {
        for statement in analyze_base(sql, base) {
            if let Statement::Writes(tables) = statement {
                for t in tables {
                    push_once(&mut out, t);
                }
            }
        }
    }
    out
}

/// A table's SQL name from its rendering (`"s"."t"`, `` `t` ``, `t`): the
/// last part, unquoted, lower-cased, as [`analyze`] reports it.
#[cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres-system-libpq",
        feature = "mysql",
        feature = "async-postgres",
        feature = "async-mysql",
        test,
        fuzzing
    )),
    allow(dead_code)
)]
pub fn sql_name(rendered: &str) -> String {
    let mut lexer = Lexer::new(rendered, Base::Sqlite);
    let mut toks = Vec::new();
    while let Lexed::Tok(t) = lexer.next() {
        toks.push(t);
    }
    let s = Stmt {
        sql: rendered,
        t: &toks,
    };
    s.name(0)
        .map_or_else(|| rendered.to_lowercase(), |(name, _)| name)
}

/// One fuzz case (`fuzz/`, through `__private`): `data` as SQL text (if
/// UTF-8), under every dialect. Panics where the classifier breaks a
/// promise: a `Writes` names at least one table, each once, with no ASCII
/// capital; [`Dialect::Any`] reports every table any dialect says is
/// written, or `Unknown`; and nothing panics or hangs on any text.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz_sql(data: &[u8]) {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let any = analyze(sql, Dialect::Any);
    let unknown = any.contains(&Statement::Unknown);
    for dialect in [Dialect::Postgres, Dialect::Sqlite, Dialect::Mysql] {
        for statement in analyze(sql, dialect) {
            let Statement::Writes(tables) = statement else {
                continue;
            };
            assert!(!tables.is_empty(), "{dialect:?}: Writes([])");
            for (i, t) in tables.iter().enumerate() {
                assert!(!tables[..i].contains(t), "{dialect:?}: {t:?} twice");
                assert_eq!(*t, t.to_ascii_lowercase(), "{dialect:?}");
                let merged = any
                    .iter()
                    .any(|s| matches!(s, Statement::Writes(w) if w.contains(t)));
                assert!(unknown || merged, "{dialect:?} writes {t:?}, Any: {any:?}");
            }
        }
        tables_named(sql, dialect);
        function_calls(sql, dialect);
    }
    sql_name(sql);
}

#[cfg(test)]
mod tests {
    use super::Dialect::{Any, Mysql, Postgres, Sqlite};
    use super::Statement::{self, *};
    use super::{Dialect, analyze, sql_name, tables_named, written_tables};

    pub(super) fn w(tables: &[&str]) -> Statement {
        Writes(tables.iter().map(|t| t.to_string()).collect())
    }

    pub(super) const ALL: &[Dialect] = &[Postgres, Sqlite, Mysql, Any];

    #[test]
    fn tables_named_finds_joins_and_subqueries_and_nothing_in_strings() {
        let sql = r#"SELECT "posts"."id", "posts"."title" FROM "posts" INNER JOIN "blog_authors" ON "posts"."author_id" = "blog_authors"."id" LEFT OUTER JOIN "Cats" AS c ON c.id = "posts"."category_id" WHERE "posts"."id" IN (SELECT "other"."id" FROM "main"."other" WHERE "other"."flag" = $1 AND x = 'FROM fake') ORDER BY "posts"."id" -- binds: [true]"#;
        for &d in ALL {
            assert_eq!(
                tables_named(sql, d),
                ["posts", "blog_authors", "cats", "other"],
                "{d:?}"
            );
        }
        assert_eq!(
            tables_named(
                "SELECT 1 FROM a, b x, (SELECT * FROM c) d WHERE EXISTS (SELECT 1 FROM e)",
                Any
            ),
            ["a", "b", "c", "e"]
        );
    }

    /// What each statement does under each of `dialects`: MySQL's
    /// implicit commits left out (and [`Any`]'s `Unknown` after text MySQL
    /// commits in), which
    /// `mysql_implicit_commits_surround_their_statements` checks.
    pub(super) fn check(dialects: &[Dialect], sql: &str, expected: &[Statement]) {
        for &d in dialects {
            let mut found = analyze(sql, d);
            let mysql = analyze(sql, Mysql);
            if d == Any && mysql.contains(&ImplicitCommit) && expected.last() != Some(&Unknown) {
                assert_eq!(found.pop(), Some(Unknown), "Any: {sql}");
            }
            found.retain(|s| *s != ImplicitCommit);
            assert_eq!(found, expected, "{d:?}: {sql}");
        }
    }

    /// A `SET` of MySQL's transaction modes stands where it is in its
    /// batch (the tracker applies it before the statements after it); any
    /// other `SET` is a read.
    #[test]
    fn session_settings_stand_in_their_place_in_a_batch() {
        use crate::sql_tables::mysql_session::Settings;
        let off = Session(Settings {
            autocommit: Some(false),
            ..Settings::default()
        });
        let chain = Session(Settings {
            chain: Some(true),
            ..Settings::default()
        });
        check(
            ALL,
            "SET autocommit = 0; UPDATE t SET x = 1; COMMIT",
            &[off.clone(), w(&["t"]), Commit],
        );
        check(
            ALL,
            "UPDATE t SET x = 1; SET @@session.autocommit=OFF",
            &[w(&["t"]), off],
        );
        check(
            ALL,
            "SET completion_type = 'CHAIN'; START TRANSACTION; COMMIT",
            &[chain, Begin, Commit],
        );
        check(ALL, "SET search_path = x; SET @a = 1", &[Read, Read]);
    }

    /// MySQL commits around DDL, `TRUNCATE`, `LOCK TABLES` and the
    /// administrative statements (not around temporary tables' DDL); the
    /// other dialects' DDL is transactional.
    #[test]
    fn mysql_implicit_commits_surround_their_statements() {
        assert_eq!(
            analyze("TRUNCATE t", Mysql),
            [ImplicitCommit, w(&["t"]), ImplicitCommit]
        );
        assert!(
            !analyze(
                "CREATE TEMPORARY TABLE x (a INT); DROP TEMPORARY TABLE x; UPDATE t SET a = 1",
                Mysql
            )
            .contains(&ImplicitCommit)
        );
        for sql in [
            "ALTER TABLE t ADD COLUMN b INT",
            "CREATE INDEX i ON t (a)",
            "LOCK TABLES t WRITE",
            "ANALYZE TABLE t",
            "ANALYZE NO_WRITE_TO_BINLOG TABLE t",
            "analyze local table t",
            "SET PASSWORD = 'x'",
        ] {
            let found = analyze(sql, Mysql);
            assert_eq!(found.first(), Some(&ImplicitCommit), "{sql}");
            assert_eq!(found.last(), Some(&ImplicitCommit), "{sql}");
        }
        // MariaDB's ANALYZE of a statement runs it, in the open
        // transaction: no commit, and its writes are writes.
        assert_eq!(analyze("ANALYZE SELECT 1", Mysql), [Read]);
        assert_eq!(
            analyze("ANALYZE FORMAT=JSON SELECT * FROM t", Mysql),
            [Read]
        );
        assert_eq!(
            analyze("ANALYZE UPDATE t SET a = 1 WHERE id = 2", Mysql),
            [w(&["t"])]
        );
        assert_eq!(
            analyze("analyze format = json delete from t", Mysql),
            [w(&["t"])]
        );
        for d in [Postgres, Sqlite] {
            assert_eq!(analyze("ANALYZE VERBOSE t", d), [Read], "{d:?}");
        }
        for d in [Postgres, Sqlite] {
            assert_eq!(analyze("TRUNCATE t", d), [w(&["t"])], "{d:?}");
        }
        // `UNLOCK TABLES` commits while `LOCK TABLES` holds locks: the
        // tracker follows both.
        let locks = |locked| {
            Session(crate::sql_tables::mysql_session::Settings {
                tables_locked: Some(locked),
                ..Default::default()
            })
        };
        assert_eq!(
            analyze("LOCK TABLE t READ; unlock tables; SELECT 1", Mysql),
            [
                ImplicitCommit,
                locks(true),
                ImplicitCommit,
                locks(false),
                Read
            ]
        );
        assert_eq!(analyze("UNLOCK TABLES", Any), [Unknown]);
        assert_eq!(analyze("UNLOCK TABLES", Postgres), [Read]);
        // Unknown dialect: MySQL would commit, the others not.
        assert_eq!(analyze("TRUNCATE t", Any), [w(&["t"]), Unknown]);
    }

    #[test]
    fn table_names_from_renderings() {
        assert_eq!(sql_name("`post_tags`"), "post_tags");
        assert_eq!(sql_name("\"blog\".\"Posts\""), "posts");
        assert_eq!(sql_name("tags"), "tags");
        assert_eq!(sql_name("\"we\"\"ird\""), "we\"ird");
        assert_eq!(sql_name("`shop`.`Items`"), "items");
    }

    #[test]
    fn written_tables_shim() {
        assert_eq!(
            written_tables("BEGIN; UPDATE a SET x = 1; DELETE FROM b; COMMIT"),
            ["a", "b"]
        );
        assert!(written_tables("CALL p()").is_empty());
        // Diesel's rendering for SQLite and MySQL: backticks, binds after `--`
        assert_eq!(
            written_tables(
                "UPDATE `products` SET `x` = ? WHERE (`products`.`slug` = ?) -- binds: [false, \"a\"]"
            ),
            ["products"]
        );
    }
}
