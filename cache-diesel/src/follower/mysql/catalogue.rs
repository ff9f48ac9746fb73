//! What MySQL's catalogue says of a followed table: its keys, the views
//! and cascading tables that read it, and the views a statement in the
//! log makes.

use super::{Failure, timely};
use mysql_async::Conn;
use mysql_async::prelude::Queryable;

/// What a table's catalogue says, as the follower needs it.
#[derive(Debug, Clone, Default)]
pub(super) struct Catalogue {
    /// Views over it, and tables its foreign keys cascade into (and views
    /// over those), transitively.
    pub(super) readers: Vec<String>,
    pub(super) primary_key: Vec<String>,
    pub(super) unique: Vec<String>,
}

/// Whether `sql` makes, replaces or changes a view.
pub(super) fn is_view_ddl(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        // (`CREATE OR REPLACE ALGORITHM=.. DEFINER=.. SQL SECURITY ..
        // VIEW`, as the server logs it.)
        .take(16)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    matches!(words.first().map(String::as_str), Some("CREATE" | "ALTER"))
        && words.iter().any(|w| w == "VIEW")
}

/// The name of the view `sql` makes or changes (after `VIEW`).
pub(super) fn view_named(sql: &str) -> Option<String> {
    let mut words = sql.split_whitespace();
    words.find(|w| w.eq_ignore_ascii_case("VIEW"))?;
    let name = words.next()?;
    let name = name.split('(').next().unwrap_or(name);
    let bare = name.rsplit('.').next().unwrap_or(name);
    Some(bare.trim_matches('`').to_lowercase())
}

/// A table's name without its database (`db.t`: `t`; the database
/// followed is the URL's).
pub(super) fn bare(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// The tables and views whose entries a change of `table` touches: views
/// naming it, tables whose foreign keys cascade (or set null or a
/// default) from it, transitively.
pub(super) async fn readers(
    conn: &mut Conn,
    db: &str,
    table: &str,
) -> Result<Vec<String>, Failure> {
    let mut found: Vec<String> = Vec::new();
    let mut todo = vec![table.to_owned()];
    while let Some(t) = todo.pop() {
        let views: Vec<String> = timely(conn.exec(
            "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND VIEW_DEFINITION LIKE ?",
            (db, format!("%`{t}`%")),
        ))
        .await?;
        let children: Vec<String> = timely(conn.exec(
            "SELECT TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ? \
             AND (DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))",
            (db, &t),
        ))
        .await?;
        // (A table whose keys cascade into itself is its own reader: the
        // rows a cascade changes are not in the log.)
        let views = views.into_iter().filter(|v| !v.eq_ignore_ascii_case(table));
        for name in views.chain(children) {
            let name = name.to_lowercase();
            if !found.contains(&name) {
                found.push(name.clone());
                if name != table {
                    todo.push(name);
                }
            }
        }
    }
    Ok(found)
}

/// What the catalogue says of `table`.
pub(super) async fn catalogue_of(
    conn: &mut Conn,
    db: &str,
    table: &str,
) -> Result<Catalogue, Failure> {
    let primary_key: Vec<String> = timely(conn.exec(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
        (db, table),
    ))
    .await?;
    let unique: Vec<String> = timely(conn.exec(
        "SELECT COLUMN_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0",
        (db, table),
    ))
    .await?;
    Ok(Catalogue {
        readers: readers(conn, db, table).await?,
        primary_key,
        unique,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_made_or_replaced_are_named() {
        let sql = "CREATE OR REPLACE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `db`.`v_Items` AS SELECT id FROM things";
        assert!(is_view_ddl(sql));
        assert_eq!(view_named(sql).as_deref(), Some("v_items"));
        assert!(is_view_ddl("ALTER VIEW v AS SELECT 1"));
        assert!(!is_view_ddl("CREATE TABLE v (id INT)"));
        assert_eq!(
            view_named("CREATE VIEW v(a, b) AS SELECT 1, 2").as_deref(),
            Some("v")
        );
    }
}
