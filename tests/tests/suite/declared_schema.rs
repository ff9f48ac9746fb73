//! What SQL text cannot show, declared: foreign keys that cascade, and
//! models over views (found by probing: both stayed stale).

use cache_diesel::{Cached, declare_cascade, declare_view};
use cache_tests::env;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { cascade_parents (id) { id -> Integer, name -> Text } }
diesel::table! { cascade_children (id) { id -> Integer, parent_id -> Integer, label -> Text } }
diesel::table! { cascade_child_view (id) { id -> Integer, label -> Text } }

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = cascade_parents)]
struct Parent {
    id: i32,
    name: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = cascade_children)]
struct Child {
    id: i32,
    parent_id: i32,
    label: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = cascade_child_view)]
struct ChildView {
    id: i32,
    label: String,
}

#[test]
fn declared_cascades_and_views_are_invalidated() {
    let Some(mut env) = env::postgres_redis("declared") else {
        return;
    };
    env.track();
    let conn = &mut env.db.conn;
    conn.batch_execute(
        "CREATE TABLE cascade_parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE cascade_children (id INTEGER PRIMARY KEY,
           parent_id INTEGER NOT NULL REFERENCES cascade_parents ON DELETE CASCADE, label TEXT NOT NULL);
         CREATE VIEW cascade_child_view AS SELECT id, label FROM cascade_children;
         INSERT INTO cascade_parents VALUES (1, 'a'), (2, 'b');
         INSERT INTO cascade_children VALUES (1, 1, 'one'), (2, 2, 'two');",
    )
    .unwrap();
    declare_cascade("cascade_parents", &["cascade_children"]);
    declare_view("cascade_child_view", &["cascade_children"]);
    let (parents, children, view) = (
        ParentCache::new(env.cache.clone()),
        ChildCache::new(env.cache.clone()),
        ChildViewCache::new(env.cache.clone()),
    );
    for id in [1, 2] {
        children.get(conn, id).unwrap();
        view.get(conn, id).unwrap();
    }
    // A raw delete of a parent cascades to its child.
    conn.batch_execute("DELETE FROM cascade_parents WHERE id = 1")
        .unwrap();
    assert!(
        children.find(conn, 1).unwrap().is_none(),
        "raw write, cascade"
    );
    assert!(view.find(conn, 1).unwrap().is_none(), "raw write, the view");
    // A hook delete cascades too.
    assert!(parents.delete(conn, 2).unwrap().is_some());
    assert!(
        children.find(conn, 2).unwrap().is_none(),
        "hook write, cascade"
    );
    assert!(
        view.find(conn, 2).unwrap().is_none(),
        "hook write, the view"
    );
}

#[test]
fn invalidate_everything_reaches_every_model() {
    let Some(mut env) = env::sqlite_file_memory("everything") else {
        return;
    };
    let conn = &mut env.db.conn;
    env.products
        .insert(conn, cache_tests::models::NewProduct::new("e", 1))
        .unwrap();
    env.products.get(conn, 1).unwrap();
    let (_, q) = env.db.counted(|c| env.products.get(c, 1).unwrap());
    assert_eq!(q, 0, "cached");
    cache_diesel::invalidate_everything(&env.cache).unwrap();
    let (_, q) = env.db.counted(|c| env.products.get(c, 1).unwrap());
    assert_eq!(q, 1, "invalidated");
}
