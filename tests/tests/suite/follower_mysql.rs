//! The MySQL/MariaDB follower on what an outside probe found stale or
//! stuck: text in `latin1`, column names spelled in another case than
//! `table!`'s, a foreign key cascading into its own table, a view
//! replaced, a key added while following, a prepared XA transaction, and
//! statements of other databases (which must cost this cache nothing).

use super::follower::{LIMIT, my_env};
use cache_diesel::{Cache, Cached, Follower, FollowerOptions};
use cache_tests::env::Env;
use cache_tests::mariadb_replica::MariaDbPair;
use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

mod schema {
    diesel::table! {
        lat (id) {
            id -> Integer,
            slug -> Text,
            title -> Text,
            nbin -> Text,
        }
    }
    diesel::table! {
        mc (id) {
            id -> Integer,
            grp -> Integer,
            title -> Text,
        }
    }
    diesel::table! {
        nodes (id) {
            id -> Integer,
            parent -> Nullable<Integer>,
            grp -> Integer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = schema::lat)]
#[cache(unique(slug), filter(nbin))]
struct Lat {
    id: i32,
    slug: String,
    title: String,
    nbin: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = schema::mc)]
#[cache(filter(grp))]
struct Mc {
    id: i32,
    grp: i32,
    title: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = schema::nodes)]
#[cache(filter(grp))]
struct Node {
    id: i32,
    parent: Option<i32>,
    grp: i32,
}

fn sorted(ids: impl Iterator<Item = i32>) -> Vec<i32> {
    let mut ids: Vec<i32> = ids.collect();
    ids.sort();
    ids
}

/// Runs `sql`, waits for the follower, and checks `read` through the
/// cache against `truth` from the database.
fn after<T: PartialEq + std::fmt::Debug>(
    env: &mut Env<MysqlConnection>,
    following: &cache_tests::following::Following,
    sql: &str,
    read: impl Fn(&mut MysqlConnection) -> T,
    truth: impl Fn(&mut MysqlConnection) -> T,
) {
    let before = read(&mut env.db.conn);
    assert_eq!(before, truth(&mut env.db.conn), "before {sql}");
    env.db.conn.batch_execute(sql).unwrap();
    assert!(following.caught_up(&env.cache, LIMIT), "after {sql}");
    assert_eq!(
        read(&mut env.db.conn),
        truth(&mut env.db.conn),
        "after {sql} (was {before:?})"
    );
}

/// Text in `latin1` is keyed as a reader reads it; column names in
/// another case than `table!`'s are bumped under both; rows a foreign key
/// deletes in its own table are invalidated.
#[test]
fn my_latin1_text_column_case_and_self_cascades_are_followed() {
    let Some((mut env, mut following)) = my_env("my_follow_schema_shapes") else {
        return;
    };
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE lat (id INT PRIMARY KEY,
               slug VARCHAR(64) CHARACTER SET latin1 NOT NULL UNIQUE,
               title VARCHAR(64) NOT NULL,
               nbin VARCHAR(64) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL);
             INSERT INTO lat VALUES (1, 'café', 't1', 'né'), (3, 'naïve', 't3', 'né');
             CREATE TABLE mc (ID INT PRIMARY KEY, Grp INT NOT NULL, Title VARCHAR(64) NOT NULL);
             INSERT INTO mc VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');
             CREATE TABLE nodes (id INT PRIMARY KEY, parent INT NULL, grp INT NOT NULL,
               FOREIGN KEY (parent) REFERENCES nodes (id) ON DELETE CASCADE);
             INSERT INTO nodes VALUES (1, NULL, 1), (2, 1, 1), (3, 2, 2), (4, NULL, 2);",
        )
        .unwrap();
    following.start(&env.cache);
    let (lat, mc, nodes) = (
        LatCache::new(env.cache.clone()),
        McCache::new(env.cache.clone()),
        NodeCache::new(env.cache.clone()),
    );
    let (lat_db, mc_db, nodes_db) = (
        LatCache::new(cache_diesel::Cache::from_url("dummy://").unwrap()),
        McCache::new(cache_diesel::Cache::from_url("dummy://").unwrap()),
        NodeCache::new(cache_diesel::Cache::from_url("dummy://").unwrap()),
    );
    let lat_read = |m: &LatCache, c: &mut MysqlConnection| {
        (
            m.find_unique(c, LatUnique::Slug("café".into()))
                .unwrap()
                .map(|r| r.title),
            sorted(
                m.all(c, None, LatFilter::default().nbin("né".to_owned()))
                    .unwrap()
                    .iter()
                    .map(|r| r.id),
            ),
        )
    };
    after(
        &mut env,
        &following,
        "UPDATE lat SET title = 'changed' WHERE id = 1",
        |c| lat_read(&lat, c),
        |c| lat_read(&lat_db, c),
    );
    after(
        &mut env,
        &following,
        "UPDATE lat SET nbin = 'zz' WHERE id = 1",
        |c| lat_read(&lat, c),
        |c| lat_read(&lat_db, c),
    );
    let mc_read = |m: &McCache, c: &mut MysqlConnection| {
        (
            m.find(c, 1).unwrap().map(|r| r.title),
            sorted(
                m.all(c, None, McFilter::default().grp(1))
                    .unwrap()
                    .iter()
                    .map(|r| r.id),
            ),
            sorted(
                m.all(c, None, McFilter::default().grp(2))
                    .unwrap()
                    .iter()
                    .map(|r| r.id),
            ),
        )
    };
    for sql in [
        "UPDATE mc SET Title = 'z' WHERE ID = 1",
        "UPDATE mc SET Grp = 2 WHERE ID = 2",
        "INSERT INTO mc VALUES (4, 1, 'd')",
    ] {
        after(
            &mut env,
            &following,
            sql,
            |c| mc_read(&mc, c),
            |c| mc_read(&mc_db, c),
        );
    }
    let nodes_read = |m: &NodeCache, c: &mut MysqlConnection| {
        (
            m.find(c, 3).unwrap().map(|r| r.id),
            sorted(
                m.all(c, None, NodeFilter::default().grp(2))
                    .unwrap()
                    .iter()
                    .map(|r| r.id),
            ),
            m.count(c, None, NodeFilter::default().grp(1)).unwrap(),
        )
    };
    after(
        &mut env,
        &following,
        "DELETE FROM nodes WHERE id = 1",
        |c| nodes_read(&nodes, c),
        |c| nodes_read(&nodes_db, c),
    );
}

/// A view replaced and a cascading key added while following are
/// followed at once; a prepared XA transaction does not stop the follower
/// from publishing its position; statements of other databases leave
/// this one's entries cached.
#[test]
fn my_views_keys_xa_and_other_databases() {
    let Some((mut env, mut following)) = my_env("my_follow_ddl_shapes") else {
        return;
    };
    env.db
        .conn
        .batch_execute(
            "CREATE TABLE nodes_base (id INT PRIMARY KEY, parent INT NULL, grp INT NOT NULL);
             INSERT INTO nodes_base VALUES (1, NULL, 1), (2, 1, 1), (3, NULL, 5), (4, 3, 5);
             CREATE VIEW nodes AS SELECT id, parent, grp FROM nodes_base WHERE grp < 10;
             CREATE TABLE parents (id INT PRIMARY KEY);
             INSERT INTO parents VALUES (1), (3);",
        )
        .unwrap();
    following.start(&env.cache);
    let nodes = NodeCache::new(env.cache.clone());
    let nodes_db = NodeCache::new(cache_diesel::Cache::from_url("dummy://").unwrap());
    let read = |m: &NodeCache, c: &mut MysqlConnection| {
        (
            m.find(c, 4).unwrap().map(|r| r.grp),
            sorted(
                m.all(c, None, NodeFilter::default().grp(5))
                    .unwrap()
                    .iter()
                    .map(|r| r.id),
            ),
        )
    };
    for sql in [
        "CREATE OR REPLACE VIEW nodes AS SELECT id, parent, grp FROM nodes_base WHERE grp < 3",
        "CREATE OR REPLACE VIEW nodes AS SELECT id, parent, grp FROM nodes_base",
        // (The follower learns `parents`' readers: none, before the key
        // added below.)
        "UPDATE parents SET id = id WHERE id = 1",
    ] {
        after(
            &mut env,
            &following,
            sql,
            |c| read(&nodes, c),
            |c| read(&nodes_db, c),
        );
    }
    // A key added now cascades at once.
    env.db
        .conn
        .batch_execute(
            "ALTER TABLE nodes_base ADD FOREIGN KEY (parent) REFERENCES parents (id) ON DELETE CASCADE;
             DELETE FROM parents WHERE id = 3",
        )
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    assert_eq!(
        read(&nodes, &mut env.db.conn),
        read(&nodes_db, &mut env.db.conn)
    );

    // A prepared XA transaction: the position goes on.
    env.db
        .conn
        .batch_execute(
            "XA START 'cachetest'; UPDATE nodes_base SET grp = 6 WHERE id = 1;
             XA END 'cachetest'; XA PREPARE 'cachetest'",
        )
        .unwrap();
    let caught_up = following.caught_up(&env.cache, LIMIT);
    env.db
        .conn
        .batch_execute("XA ROLLBACK 'cachetest'")
        .unwrap();
    assert!(caught_up, "published past a prepared XA transaction");

    // Statements of another database (run from a session in it): this
    // one's entries stay.
    read(&nodes, &mut env.db.conn);
    let mut elsewhere = MysqlConnection::establish(&cache_tests::services::mysql_url().unwrap())
        .expect("a session in the server's default database");
    let other = format!("cachetest_other_{}", std::process::id());
    elsewhere
        .batch_execute(&format!(
            "CREATE DATABASE `{other}`; CREATE TABLE `{other}`.nodes_base (id INT PRIMARY KEY);
             CREATE PROCEDURE `{other}`.p() SELECT 1; DROP DATABASE `{other}`"
        ))
        .unwrap();
    assert!(following.caught_up(&env.cache, LIMIT));
    let (_, queries) = env.db.counted(|c| read(&nodes, c));
    assert_eq!(queries, 0, "another database's statements cost nothing");
}

/// MariaDB: a follower resumes by GTID on another server of the topology
/// (a failover to a replica that logs what it replays): the writes made
/// since its last position are bumped row by row, and nothing else (a gap
/// would invalidate every table).
#[test]
fn my_a_follower_resumes_by_gtid_on_another_server() {
    let pair = match MariaDbPair::start_logging() {
        Ok(pair) => pair,
        Err(e) if services::in_ci() => panic!("a MariaDB pair could not start: {e}"),
        Err(e) => {
            println!("skipped: a MariaDB pair could not start ({e})");
            return;
        }
    };
    let (primary_url, replica_url) = (pair.primary_url("test"), pair.replica_url("test"));
    let mut primary = MysqlConnection::establish(&primary_url).unwrap();
    primary
        .batch_execute(
            "CREATE TABLE mc (id INT PRIMARY KEY, grp INT NOT NULL, title VARCHAR(64) NOT NULL);
             INSERT INTO mc VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c');",
        )
        .unwrap();
    let cache = Cache::from_url("memory://").unwrap();
    let options = FollowerOptions {
        slot: format!("failover_{}", std::process::id()),
        ..FollowerOptions::default()
    };
    let first = Follower::mysql(&primary_url, cache.clone(), options.clone());
    first.follow_once(true).unwrap();
    assert_eq!(
        first.stats().gaps,
        1,
        "the first start: {:?}",
        first.stats()
    );
    let key =
        cache_core::Key::new(format!("cache_diesel:follower:{}:binlog", options.slot)).version(0);
    let stored: String = cache.get(key.clone()).unwrap().unwrap();
    assert!(stored.contains(" gtid=0-1-"), "stored: {stored}");

    let mc = McCache::new(cache.clone());
    let ones = |c: &mut MysqlConnection| {
        let list = mc.all(c, None, McFilter::default().grp(1)).unwrap();
        sorted(list.iter().map(|r| r.id))
    };
    mc.find(&mut primary, 1).unwrap();
    mc.find(&mut primary, 2).unwrap();
    assert_eq!(ones(&mut primary), vec![1, 2]);
    primary
        .batch_execute("UPDATE mc SET title = 'moved', grp = 2 WHERE id = 1")
        .unwrap();
    // Row 2 changed where no log sees it: read through the cache, its old
    // title says whether its entry was kept.
    primary
        .batch_execute(
            "SET sql_log_bin = 0; UPDATE mc SET title = 'unlogged' WHERE id = 2; SET sql_log_bin = 1",
        )
        .unwrap();
    assert!(pair.catch_up(LIMIT), "the replica caught up");

    // The failover: the next follower reads the replica's log.
    let next_options = options.clone();
    let next = Follower::mysql(&replica_url, cache.clone(), options);
    next.follow_once(true).unwrap();
    let stats = next.stats();
    assert!(
        stats.gaps == 0 && stats.rows == 1,
        "resumed by GTID where the first stopped: {stats:?}"
    );
    assert_eq!(mc.find(&mut primary, 1).unwrap().unwrap().title, "moved");
    assert_eq!(ones(&mut primary), vec![2], "row 1 left group 1's list");
    assert_eq!(
        mc.find(&mut primary, 2).unwrap().unwrap().title,
        "b",
        "row 2's entry kept: no gap invalidated the table"
    );
    // And on from there, on the replica's own log.
    next.follow_once(true).unwrap();
    assert_eq!(next.stats().rows, 1, "not read again");

    // A state the server has not logged (a failover to a server behind
    // the follower): a gap, not a loop of errors.
    mc.find(&mut primary, 3).unwrap();
    primary
        .batch_execute("SET sql_log_bin = 0; UPDATE mc SET title = 'unlogged' WHERE id = 3; SET sql_log_bin = 1")
        .unwrap();
    let stored: String = cache.get(key.clone()).unwrap().unwrap();
    let (at, _) = stored.split_once(" gtid=").unwrap();
    cache
        .set(
            key,
            &format!("{at} gtid=0-1-999999999"),
            cache_diesel::Timeout::Never,
        )
        .unwrap();
    let behind = Follower::mysql(&replica_url, cache.clone(), next_options);
    behind.follow_once(true).unwrap();
    assert_eq!(behind.stats().gaps, 1, "{:?}", behind.stats());
    assert_eq!(
        mc.find(&mut primary, 3).unwrap().unwrap().title,
        "unlogged",
        "the gap invalidated the table"
    );
}
