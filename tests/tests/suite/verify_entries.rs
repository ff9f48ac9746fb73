//! `cache-admin verify <model>` (`Admin::verifies`, `Manager::verify_entries`):
//! a deployment's shared cache read from outside, each sampled detail
//! entry compared with the database. Rows written behind the cache's back
//! are found stale, with their key and age, and deleted; right entries
//! are verified; entries a hook invalidated are skipped, never counted
//! stale. On PostgreSQL over one Redis and over a Redis Cluster.

use cache_diesel::{Admin, Error, Manager};
use cache_tests::env::{self, Env};
use cache_tests::models::{NewProduct, Product, products};
use cache_tests::services;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// Each environment to verify in, with its cache's URL (prefix included).
fn environments(test: &str) -> Vec<(Env<PgConnection>, String)> {
    let redis = services::redis_url().map(|url| (env::postgres_redis(test), url));
    let cluster = cache_tests::redis_cluster::RedisCluster::shared()
        .map(|url| (env::postgres_cluster(&format!("{test}_cluster")), url));
    let mut out = Vec::new();
    for (env, url) in [redis, cluster].into_iter().flatten() {
        let Some(env) = env else { continue };
        let sep = if url.contains('?') { '&' } else { '?' };
        let prefix = &env.cache.config().key_prefix;
        let url = format!("{url}{sep}prefix={prefix}&verify_window=200ms");
        out.push((env, url));
    }
    out
}

/// The database URL of `env`'s schema (libpq's `options` set its
/// `search_path`).
fn database_of(env: &Env<PgConnection>) -> String {
    let url = services::database_url().expect("PostgreSQL is up");
    let schema = env.db.schema().expect("a schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

#[test]
fn verify_finds_entries_written_behind_the_cache_and_only_those() {
    let envs = environments("verify_entries");
    if envs.is_empty() {
        return;
    }
    for (mut env, url) in envs {
        let p = &env.products;
        let rows: Vec<NewProduct> = (0..7)
            .map(|i| NewProduct::new(&format!("v{i}"), 1))
            .collect();
        let ids: Vec<i32> = (p.insert_many(&mut env.db.conn, rows).unwrap())
            .iter()
            .map(|r| r.id)
            .collect();
        for &id in &ids {
            p.get(&mut env.db.conn, id).unwrap();
        }
        // By a unique column too: an entry keyed by slug.
        p.get_by_slug(&mut env.db.conn, "v0".to_owned()).unwrap();
        // Behind the cache's back (an untracked connection): rows 0, 1
        // and 3 (row 0's entries by id and by slug).
        let mut other = env.db.another();
        other
            .batch_execute(&format!(
                "UPDATE products SET title = 'changed' WHERE id IN ({}, {}, {})",
                ids[0], ids[1], ids[3]
            ))
            .unwrap();
        // Through the hooks: row 5 written (and read again: its entry
        // holds the row written), row 6 deleted (its entry gone, or
        // holding no row).
        p.update(&mut env.db.conn, ids[5], products::title.eq("hooked"))
            .unwrap();
        p.delete(&mut env.db.conn, ids[6]).unwrap();
        assert_eq!(p.get(&mut env.db.conn, ids[5]).unwrap().title, "hooked");

        let database = database_of(&env);
        let admin = Admin::new().verifies::<Product, PgConnection>();
        let args = |more: &[&str]| -> Vec<String> {
            let mut args = vec![
                "--cache",
                &url,
                "verify",
                "product",
                "--database",
                &database,
            ];
            args.extend(more);
            args.into_iter().map(String::from).collect()
        };
        let found = admin.run(args(&["--sample", "100"])).unwrap_err();
        // Rows 0 (by id and by slug), 1 and 3 stale; 2, 4 and 5 verified;
        // 6's entry, if any, holds no row (skipped).
        let counted = found.lines().next().unwrap();
        let listed = counted
            .strip_prefix("listed=")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .expect(counted);
        assert!((7..=8).contains(&listed), "{url}: {found}");
        let expected = format!(
            "listed={listed} sampled={listed} verified=3 skipped={} raced=0 stale=4",
            listed - 7
        );
        assert_eq!(counted, expected, "{url}");
        let stale_keys: Vec<&str> = found
            .lines()
            .filter_map(|l| l.strip_prefix("stale (deleted): "))
            .collect();
        assert_eq!(stale_keys.len(), 4, "{found}");
        for line in &stale_keys {
            assert!(line.contains(":product:products:"), "{found}");
            // Their ages: filled within this test.
            let age = line.rsplit("filled ").next().unwrap();
            let secs: u64 = age.trim_end_matches(" s ago").parse().expect(age);
            assert!(secs < 600, "{found}");
        }
        assert!(stale_keys.iter().any(|k| k.contains(":slug:")), "{found}");
        // Deleted: the next reads are misses that read the database.
        let read = p.get(&mut env.db.conn, ids[1]).unwrap();
        assert_eq!(read.title, "changed");
        let by_slug = p.get_by_slug(&mut env.db.conn, "v0".to_owned()).unwrap();
        assert_eq!(by_slug.title, "changed");
        let again = admin.run(args(&[])).unwrap();
        let expected = format!(
            "listed={} sampled={0} verified=5 skipped={} raced=0 stale=0",
            listed - 2,
            listed - 7
        );
        assert_eq!(again, expected);
        // A sample smaller than the entries: that many read.
        let two = admin.run(args(&["--sample", "2"])).unwrap();
        assert!(
            two.contains(" sampled=2 ") && two.ends_with(" stale=0"),
            "{two}"
        );
    }
}

#[test]
fn verify_says_what_it_needs() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let run = |admin: &Admin, args: &[&str]| {
        admin
            .run(args.iter().map(|a| a.to_string()))
            .expect_err("refused")
    };
    let plain = Admin::new();
    let e = run(
        &plain,
        &["--cache", &url, "verify", "product", "--database", "x"],
    );
    assert!(e.contains("verifies::<product"), "{e}");
    let admin = Admin::new().verifies::<Product, PgConnection>();
    let e = run(
        &admin,
        &["--cache", &url, "verify", "order", "--database", "x"],
    );
    assert!(e.contains("verifies Product, not order"), "{e}");
    let e = run(
        &admin,
        &[
            "--cache",
            &url,
            "verify",
            "product",
            "--database",
            "x",
            "--sample",
            "many",
        ],
    );
    assert!(e.contains("--sample takes a number"), "{e}");
    let e = run(
        &admin,
        &["--cache", &url, "verify", "Product", "--database"],
    );
    assert!(e.contains("--database needs a value"), "{e}");
    let e = run(
        &admin,
        &[
            "--cache",
            &url,
            "verify",
            "product",
            "--database",
            "x",
            "--fast",
        ],
    );
    assert!(e.contains("unknown option --fast"), "{e}");
    let e = run(
        &admin,
        &[
            "--cache",
            &url,
            "verify",
            "product",
            "--database",
            "postgres://127.0.0.1:1/x",
        ],
    );
    assert!(e.contains("cannot connect to the database"), "{e}");
    let e = run(&admin, &["--cache", "memory://", "verify", "product"]);
    assert!(e.contains("in-process cache"), "{e}");
}

/// An in-process store cannot list its keys: the manager's call says so
/// (it is no operator's store anyway).
#[test]
fn verifying_an_in_process_store_is_an_error() {
    let mut db = cache_tests::db::sqlite();
    let manager = Manager::<Product>::new(cache_diesel::Cache::from_url("memory://").unwrap());
    match manager.verify_entries(&mut db.conn, 10) {
        Err(Error::Store(e)) => assert!(e.to_string().contains("cannot list"), "{e}"),
        other => panic!("{other:?}"),
    }
}
