//! The unit tests of the tables a statement writes, per dialect.

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
