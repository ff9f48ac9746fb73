//! What a tracked PostgreSQL connection's SQL text does to its session:
//! text the scanner must read as the server does (nested block comments,
//! dollar quotes). Another connection's reads must never be served a row the
//! writer did not commit, nor miss one it did; the connection's own reads
//! fill again once the tracker knows where it stands.

use cache_tests::env::Env;
use cache_tests::models::{NewProduct, Product};
use diesel::connection::SimpleConnection;

/// A batch with nested block comments and a dollar-quoted literal, each
/// holding a quote (found by an outside check of the SQL scanner): the
/// write is invalidated, and the connection's reads fill again at once.
/// Once the connection's text mentioned `standard_conforming_strings`, the
/// tracker read it by every database's rules, MySQL's among them (no
/// nesting, no dollar quotes), found it unterminated and lost track: the
/// reads queried the database every time. Now it is read by PostgreSQL's
/// rules, with the setting on and off.
#[test]
fn pg_a_batch_of_nested_comments_and_dollar_quotes_leaves_reads_filling() {
    let Some((mut env, row)) = pg_row("pg_nested_batch", "nested") else {
        return;
    };
    let id = row.id;
    for (n, before) in ["SELECT 1", "SET standard_conforming_strings = on"]
        .into_iter()
        .enumerate()
    {
        env.db.conn.batch_execute(before).unwrap();
        env.products.get(&mut env.db.conn, id).unwrap();
        env.db
            .conn
            .batch_execute(&format!(
                "/* a /* b */ ' */  SELECT $$'$$ AS q;/* ' *//* a /* b */ ' */ \
                 UPDATE products SET title = 'batched {n}' WHERE id = {id}"
            ))
            .unwrap();
        let other = &mut env.db.another();
        let title = env.products.get(other, id).unwrap().title;
        assert_eq!(title, format!("batched {n}"), "{before:?}: invalidated");
        assert_eq!(
            reads_of_two(&mut env, id),
            (1, 0),
            "{before:?}: the first fills, the second is a hit"
        );
    }
}

/// The queries each of two reads of row `id` through the tracked
/// connection ran (the entry evicted first, so the first read misses and
/// fills if it may).
fn reads_of_two(env: &mut Env<diesel::PgConnection>, id: i32) -> (usize, usize) {
    env.products.invalidate_id(id).unwrap();
    env.db.take_queries();
    let first = env.products.get(&mut env.db.conn, id).unwrap();
    let first_queries = env.db.take_queries();
    let second = env.products.get(&mut env.db.conn, id).unwrap();
    assert_eq!(first.title, second.title);
    (first_queries, env.db.take_queries())
}

/// PostgreSQL and Redis for `test`, with one product inserted and the
/// test's connection tracked (`None`: skipped).
fn pg_row(test: &str, slug: &str) -> Option<(Env<diesel::PgConnection>, Product)> {
    let mut env = cache_tests::env::postgres_redis(test)?;
    let row = env
        .products
        .insert(&mut env.db.conn, NewProduct::new(slug, 1))
        .unwrap();
    env.track();
    Some((env, row))
}
