//! The scan for writes anywhere in a statement: each `INSERT`, `REPLACE`,
//! `UPDATE`, `DELETE`, `MERGE` and `INTO` that is a write, its target
//! tables (aliases resolved), and what it found ([`Found`]).

use super::Statement;
use super::lexer::Kind;
use super::split::push_once;
use super::statement::Stmt;

/// What the scan for writes found in a statement.
#[derive(Default)]
pub(super) struct Found {
    pub(super) tables: Vec<String>,
    /// A write keyword whose target could not be read.
    pub(super) unsure: bool,
}

impl Found {
    pub(super) fn push(&mut self, name: String) {
        push_once(&mut self.tables, name);
    }

    pub(super) fn statement(self) -> Statement {
        if self.unsure {
            Statement::Unknown
        } else if self.tables.is_empty() {
            Statement::Read
        } else {
            Statement::Writes(self.tables)
        }
    }
}
/// What may stand just before a write keyword that is not a write:
/// `FOR UPDATE`, `KEY UPDATE`, `DO UPDATE`, `ON DELETE`, `BEFORE INSERT`,
/// `OR REPLACE`, `THEN DELETE`, `GRANT UPDATE`, `ENGINE = MERGE`, ...
const NOT_AFTER: &[&str] = &[
    "for",
    "key",
    "do",
    "on",
    "before",
    "after",
    "or",
    "of",
    "then",
    "instead",
    "grant",
    "revoke",
    "conflict",
    "engine",
    "algorithm",
];

/// Scans tokens from `from` for writes anywhere in the statement.
pub(super) fn scan_writes(s: &Stmt, from: usize, found: &mut Found) {
    for i in from..s.len() {
        if s.kind(i) != Some(Kind::Word) {
            continue;
        }
        if s.kw(i, "into") {
            if !into_at(s, i, found) {
                found.unsure = true;
            }
            continue;
        }
        if !s.kw_in(i, &["insert", "replace", "update", "delete", "merge"]) {
            continue;
        }
        if i > 0
            && (s.kw_in(i - 1, NOT_AFTER)
                || s.punct(i - 1, b',')
                || s.punct(i - 1, b'.')
                || s.punct(i - 1, b'='))
        {
            continue;
        }
        if !write_at(s, i, found) {
            found.unsure = true;
        }
    }
}

const JOINS: &[&str] = &[
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "straight_join",
];

/// Words that end a table reference rather than name its alias.
const NOT_ALIAS: &[&str] = &[
    "set",
    "where",
    "on",
    "using",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "straight_join",
    "order",
    "limit",
    "group",
    "having",
    "partition",
    "use",
    "force",
    "ignore",
    "window",
    "union",
    "for",
    "returning",
    "from",
    "values",
    "select",
    "lock",
];

/// A table reference: its table and its alias.
pub(super) struct TableRef {
    pub(super) table: String,
    alias: Option<String>,
}

/// The table references of a `FROM`-like clause starting at `i` (`a AS x, b
/// JOIN c ON ..`), up to a word of `stop` outside parentheses.
pub(super) fn table_refs(s: &Stmt, mut i: usize, stop: &[&str]) -> Vec<TableRef> {
    let mut out = Vec::new();
    loop {
        while s.kw_in(i, JOINS) {
            i += 1;
        }
        if s.punct(i, b'(') {
            i = s.skip_parens(i);
        } else if let Some((table, next)) = s.name(i) {
            i = next;
            if s.kw(i, "as") {
                i += 1;
            }
            let alias = if s.is_name(i) && !s.kw_in(i, NOT_ALIAS) {
                i += 1;
                s.part(i - 1)
            } else {
                None
            };
            out.push(TableRef { table, alias });
        }
        let mut depth = 0usize;
        loop {
            if i >= s.len() {
                return out;
            }
            if depth == 0 {
                if s.punct(i, b',') {
                    i += 1;
                    break;
                }
                if s.kw_in(i, JOINS) {
                    break;
                }
                if s.kw_in(i, stop) {
                    return out;
                }
            }
            if s.punct(i, b'(') {
                depth += 1;
            } else if s.punct(i, b')') {
                if depth == 0 {
                    return out;
                }
                depth -= 1;
            }
            i += 1;
        }
    }
}

/// MySQL's multi-table `DELETE`: each target, through the aliases of
/// `refs`; a target found in neither takes every table of `refs`.
fn resolve_targets(targets: Vec<String>, refs: &[TableRef], found: &mut Found) {
    for target in targets {
        if let Some(r) = refs.iter().find(|r| r.alias.as_deref() == Some(&target)) {
            found.push(r.table.clone());
        } else if refs.is_empty() || refs.iter().any(|r| r.table == target) {
            found.push(target);
        } else {
            found.push(target);
            for r in refs {
                found.push(r.table.clone());
            }
        }
    }
}

/// The write whose keyword (INSERT, REPLACE, UPDATE, DELETE, MERGE) is at
/// `i`; false if its target cannot be read.
pub(super) fn write_at(s: &Stmt, i: usize, found: &mut Found) -> bool {
    let mut j = i + 1;
    if s.kw(i, "insert") || s.kw(i, "replace") {
        if s.punct(j, b'(') {
            // MySQL's INSERT(str, pos, len, new) and REPLACE(str, a, b).
            return true;
        }
        if s.kw(j, "or") {
            j += 2;
        }
        while s.kw_in(j, &["low_priority", "delayed", "high_priority", "ignore"]) {
            j += 1;
        }
        if s.kw(j, "into") {
            j += 1;
        }
        return match s.name(j) {
            Some((name, _)) => {
                found.push(name);
                true
            }
            None => false,
        };
    }
    if s.kw(i, "merge") {
        if s.kw(j, "into") {
            j += 1;
        }
        return match s.name(j) {
            Some((name, _)) => {
                found.push(name);
                true
            }
            None => false,
        };
    }
    if s.kw(i, "update") {
        if s.kw(j, "or") {
            j += 2;
        }
        while s.kw_in(j, &["only", "low_priority", "ignore"]) {
            j += 1;
        }
        let Some((name, mut k)) = s.name(j) else {
            return false;
        };
        if s.punct(k, b'*') {
            k += 1;
        }
        if s.kw(k, "as") {
            k += 2;
        } else if s.is_name(k) && !s.kw_in(k, NOT_ALIAS) {
            k += 1;
        }
        if s.kw(k, "set") {
            found.push(name);
        } else {
            // MySQL: UPDATE t1, t2 SET .. / UPDATE t1 JOIN t2 ON .. SET ..
            for r in table_refs(s, j, &["set"]) {
                found.push(r.table);
            }
        }
        return true;
    }
    // DELETE
    while s.kw_in(j, &["low_priority", "quick", "ignore"]) {
        j += 1;
    }
    let mut targets = Vec::new();
    if s.kw(j, "from") {
        let k = s.name_list(j + 1, &mut targets);
        match targets.len() {
            0 => false,
            1 => {
                for t in targets {
                    found.push(t);
                }
                true
            }
            _ => {
                // MySQL: DELETE FROM t1, t2 USING ..
                let refs = if s.kw(k, "using") {
                    table_refs(s, k + 1, &["where", "order", "limit", "returning"])
                } else {
                    Vec::new()
                };
                resolve_targets(targets, &refs, found);
                true
            }
        }
    } else {
        // MySQL: DELETE t1, t2 FROM ..
        let k = s.name_list(j, &mut targets);
        if targets.is_empty() {
            return false;
        }
        let refs = if s.kw(k, "from") {
            table_refs(s, k + 1, &["where", "order", "limit", "returning"])
        } else {
            Vec::new()
        };
        resolve_targets(targets, &refs, found);
        true
    }
}

/// `INTO t` (`INSERT INTO`, `SELECT .. INTO t`, `LOAD DATA .. INTO TABLE
/// t`); not `INTO OUTFILE | DUMPFILE 'f'`, `INTO @var`, `VACUUM INTO 'f'`.
fn into_at(s: &Stmt, i: usize, found: &mut Found) -> bool {
    let mut j = i + 1;
    while s.kw_in(j, &["temp", "temporary", "unlogged", "table"]) {
        j += 1;
    }
    if s.kw_in(j, &["outfile", "dumpfile", "strict"])
        || s.punct(j, b'@')
        || matches!(s.kind(j), Some(Kind::Str | Kind::Param))
    {
        return true;
    }
    match s.name(j) {
        Some((name, _)) => {
            found.push(name);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Dialect::{Any, Mysql, Postgres, Sqlite};
    use super::super::Statement::*;
    use super::super::tests::{ALL, check, w};
    use super::super::{analyze, written_tables};

    #[test]
    fn finds_written_tables() {
        // (sql, tables written) under every dialect
        let cases: &[(&str, &[&str])] = &[
            ("SELECT * FROM products FOR UPDATE", &[]),
            ("SELECT * FROM products FOR NO KEY UPDATE OF products", &[]),
            ("SELECT * FROM products LOCK IN SHARE MODE", &[]),
            (
                "UPDATE products SET title = 'update users' WHERE id = 1",
                &["products"],
            ),
            ("update \"Products\" set x = 1", &["products"]),
            ("UPDATE public.products SET x = 1", &["products"]),
            ("UPDATE public.products AS p SET x = 1", &["products"]),
            ("UPDATE products p SET x = 1 FROM other o", &["products"]),
            ("UPDATE ONLY products SET x = 1", &["products"]),
            ("UPDATE OR REPLACE products SET x = 1", &["products"]),
            (
                "INSERT INTO \"products\" (\"title\") VALUES (?) ON CONFLICT (id) DO UPDATE SET title = 'x'",
                &["products"],
            ),
            ("INSERT OR IGNORE INTO products VALUES (1)", &["products"]),
            ("REPLACE INTO products VALUES (1)", &["products"]),
            (
                "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2",
                &["t"],
            ),
            ("DELETE FROM ONLY products WHERE id = 1", &["products"]),
            ("DELETE FROM \"products\"", &["products"]),
            ("DELETE FROM a USING b WHERE a.id = b.id", &["a"]),
            (
                "WITH moved AS (UPDATE products SET x = 1 RETURNING id) DELETE FROM carts USING moved",
                &["products", "carts"],
            ),
            (
                "WITH n AS (DELETE FROM old_rows RETURNING *) INSERT INTO archive SELECT * FROM n",
                &["old_rows", "archive"],
            ),
            (
                "WITH d AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM d",
                &["a", "b"],
            ),
            ("SELECT * INTO newtab FROM t", &["newtab"]),
            ("SELECT * INTO TEMP TABLE newtab FROM t", &["newtab"]),
            (
                "MERGE INTO stock s USING delivery d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = s.n + d.n WHEN NOT MATCHED THEN INSERT VALUES (d.id, d.n)",
                &["stock"],
            ),
            ("TRUNCATE TABLE a, b.c, \"D\"", &["a", "c", "d"]),
            ("TRUNCATE a", &["a"]),
            ("TRUNCATE ONLY a, b * RESTART IDENTITY", &["a", "b"]),
            ("-- UPDATE commented\nSELECT 1 /* DELETE FROM x */", &[]),
            ("SELECT 'it''s UPDATE x' FROM y", &[]),
            ("ALTER TABLE products ADD COLUMN z INT", &["products"]),
            (
                "ALTER TABLE products ADD FOREIGN KEY (c) REFERENCES cats (id) ON DELETE CASCADE ON UPDATE SET NULL",
                &["products"],
            ),
            ("ALTER TABLE IF EXISTS old RENAME TO new", &["old", "new"]),
            ("DROP TABLE IF EXISTS products", &["products"]),
            ("DROP TABLE a, b CASCADE", &["a", "b"]),
            ("CREATE TABLE t (id INT PRIMARY KEY)", &["t"]),
            ("CREATE TEMP TABLE IF NOT EXISTS t AS SELECT 1", &["t"]),
            ("CREATE INDEX i ON t (a)", &[]),
            ("CREATE UNIQUE INDEX i ON t (a)", &[]),
            ("CREATE VIEW v AS SELECT * FROM t", &[]),
            ("CREATE OR REPLACE VIEW v AS SELECT * FROM t", &[]),
            ("EXPLAIN SELECT * FROM t", &[]),
            ("EXPLAIN ANALYZE UPDATE t SET a = 1", &["t"]),
            ("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", &["t"]),
            ("EXPLAIN QUERY PLAN INSERT INTO t VALUES (1)", &["t"]),
            ("DESCRIBE t", &[]),
            ("SHOW TABLES", &[]),
            ("SET search_path = public", &[]),
            ("RESET ALL", &[]),
            ("VALUES (1), (2)", &[]),
            ("TABLE t", &[]),
            ("(SELECT 1) UNION (SELECT 2)", &[]),
            ("GRANT SELECT, INSERT, UPDATE, DELETE ON t TO u", &[]),
            ("REVOKE UPDATE ON t FROM u", &[]),
            ("ANALYZE t", &[]),
            ("VACUUM", &[]),
            ("SELECT replace(name, 'a', 'b') FROM t", &[]),
            ("SELECT 1 FROM t WHERE a = 'INSERT INTO x'", &[]),
        ];
        for (sql, expected) in cases {
            let expected = if expected.is_empty() {
                Read
            } else {
                w(expected)
            };
            check(ALL, sql, &[expected]);
            assert_eq!(
                written_tables(sql),
                match analyze(sql, Any).as_slice() {
                    // (`Unknown` after text MySQL commits in: `analyze`.)
                    [Writes(t)] | [Writes(t), Unknown] => t.clone(),
                    _ => Vec::new(),
                },
                "{sql}"
            );
        }
    }

    #[test]
    fn per_dialect_writes() {
        let pg_sqlite = &[Postgres, Sqlite];
        check(
            &[Sqlite, Mysql],
            "UPDATE `shop`.`products` SET x = 1",
            &[w(&["products"])],
        );
        check(
            &[Sqlite],
            "UPDATE [dbo].[Products] SET x = 1",
            &[w(&["products"])],
        );
        // not names in PostgreSQL: unknown under Any
        check(
            &[Postgres, Any],
            "UPDATE `shop`.`products` SET x = 1",
            &[Unknown],
        );
        check(
            &[Postgres, Mysql, Any],
            "UPDATE [dbo].[Products] SET x = 1",
            &[Unknown],
        );
        check(pg_sqlite, "COPY t FROM STDIN", &[w(&["t"])]);
        check(
            &[Postgres],
            "COPY t (a, b) FROM '/tmp/x' WITH (FORMAT csv)",
            &[w(&["t"])],
        );
        check(&[Postgres], "COPY BINARY t FROM STDIN", &[w(&["t"])]);
        check(&[Postgres], "COPY t TO STDOUT", &[Read]);
        check(&[Postgres], "COPY (SELECT * FROM t) TO STDOUT", &[Read]);
        check(
            &[Postgres],
            "COPY (DELETE FROM t RETURNING *) TO STDOUT",
            &[w(&["t"])],
        );
        check(&[Postgres], "COPY t", &[Unknown]);
        // MySQL
        check(&[Mysql], "INSERT t VALUES (1)", &[w(&["t"])]);
        check(&[Mysql], "INSERT IGNORE t (a) VALUES (1)", &[w(&["t"])]);
        check(
            &[Mysql],
            "INSERT LOW_PRIORITY INTO `db`.`t` SET a = 1",
            &[w(&["t"])],
        );
        check(&[Mysql], "REPLACE t VALUES (1)", &[w(&["t"])]);
        check(
            &[Mysql],
            "SELECT INSERT('abc', 1, 1, 'x'), REPLACE(a, 'b', 'c') FROM t",
            &[Read],
        );
        check(
            &[Mysql],
            "UPDATE t1, t2 SET t1.a = t2.a WHERE t1.id = t2.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "UPDATE t1 AS a JOIN t2 b ON a.id = b.id LEFT JOIN t3 ON (t3.x = f(a.id, 2)) SET a.x = 1",
            &[w(&["t1", "t2", "t3"])],
        );
        check(
            &[Mysql],
            "UPDATE LOW_PRIORITY IGNORE t SET a = 1",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id",
            &[w(&["t1"])],
        );
        check(
            &[Mysql],
            "DELETE a FROM t1 AS a JOIN t2 AS b ON a.id = b.id",
            &[w(&["t1"])],
        );
        check(
            &[Mysql],
            "DELETE t1.*, t2 FROM t1, t2 WHERE t1.id = t2.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE FROM a, b USING t1 AS a INNER JOIN t2 AS b ON a.id = b.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE x FROM t1 JOIN t2",
            &[w(&["x", "t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE LOW_PRIORITY QUICK IGNORE FROM t WHERE a = 1",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "LOAD DATA LOCAL INFILE '/tmp/x.csv' REPLACE INTO TABLE `db`.`T` FIELDS TERMINATED BY ','",
            &[w(&["t"])],
        );
        // MariaDB's per-statement settings: the statement after FOR.
        check(
            &[Mysql],
            "SET STATEMENT max_statement_time = 100 FOR UPDATE products SET title = 'x' WHERE id = 1",
            &[w(&["products"])],
        );
        check(
            &[Mysql],
            "set statement sql_mode = '', foreign_key_checks = 0 for delete from `Orders` where id = 2",
            &[w(&["orders"])],
        );
        check(
            &[Mysql],
            "SET STATEMENT sql_mode = '' FOR SELECT 1",
            &[Read],
        );
        check(&[Mysql], "SET STATEMENT sql_mode = ''", &[Unknown]);
        check(
            &[Mysql],
            "LOAD XML INFILE 'x.xml' INTO TABLE t",
            &[w(&["t"])],
        );
        check(&[Mysql], "SELECT a INTO @x FROM t", &[Read]);
        check(&[Mysql], "SELECT a FROM t INTO OUTFILE '/tmp/x'", &[Read]);
        check(
            &[Mysql],
            "CREATE TABLE t (ts TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "CREATE ALGORITHM = MERGE DEFINER = `a`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1",
            &[Read],
        );
        check(&[Mysql], "UPDATE 1t SET a = 1", &[w(&["1t"])]);
        // SQLite
        check(
            &[Sqlite],
            "INSERT OR REPLACE INTO t VALUES (1)",
            &[w(&["t"])],
        );
        check(&[Sqlite], "REPLACE INTO t VALUES (1)", &[w(&["t"])]);
        check(&[Sqlite], "VACUUM INTO '/tmp/copy.db'", &[Read]);
        check(&[Sqlite], "PRAGMA table_info(t)", &[Read]);
        check(
            &[Sqlite],
            "INSERT INTO t (a) VALUES ($a) ON CONFLICT(a) DO UPDATE SET b = excluded.b",
            &[w(&["t"])],
        );
        check(
            &[Sqlite],
            "CREATE TABLE t (a INT UNIQUE ON CONFLICT REPLACE)",
            &[w(&["t"])],
        );
    }
}
