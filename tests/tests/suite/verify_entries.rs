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

/// The counts of a `verify` report's first line, by name.
fn counts(report: &str) -> std::collections::HashMap<&str, usize> {
    let first = report.lines().next().unwrap_or_default();
    (first.split(' ').filter_map(|pair| pair.split_once('=')))
        .map(|(name, n)| (name, n.parse().expect(first)))
        .collect()
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
        // Cached absences: by id (one row inserted behind the cache's
        // back, one not) and by slug (not checked).
        let (inserted, absent) = (ids[0] + 1000, ids[0] + 1001);
        for id in [inserted, absent] {
            assert!(p.find(&mut env.db.conn, id).unwrap().is_none());
        }
        assert!(
            p.find_by_slug(&mut env.db.conn, "nope".into())
                .unwrap()
                .is_none()
        );
        // Behind the cache's back (an untracked connection): rows 0, 1
        // and 3 (row 0's entries by id and by slug), and a row inserted.
        let mut other = env.db.another();
        other
            .batch_execute(&format!(
                "UPDATE products SET title = 'changed' WHERE id IN ({}, {}, {}); \
                 INSERT INTO products (id, slug, title, is_active, category_id) \
                 VALUES ({inserted}, 'in', 'inserted', true, 1)",
                ids[0], ids[1], ids[3]
            ))
            .unwrap();
        // Through the hooks: row 5 written (and read again: its entry
        // holds the row written), row 6 deleted (its entry gone, or
        // holding its absence).
        p.update(&mut env.db.conn, ids[5], products::title.eq("hooked"))
            .unwrap();
        p.delete(&mut env.db.conn, ids[6]).unwrap();
        assert_eq!(p.get(&mut env.db.conn, ids[5]).unwrap().title, "hooked");

        let database = database_of(&env);
        let admin = Admin::new().verifies::<Product, PgConnection>();
        let args = |more: &[&str]| -> Vec<String> {
            let mut args = vec!["--cache", &url, "verify", "product"];
            args.extend(["--database", &database]);
            args.extend(more);
            args.into_iter().map(String::from).collect()
        };
        let found = admin.run(args(&["--sample", "100"])).unwrap_err();
        let n = counts(&found);
        // Stale: rows 0 (by id and by slug), 1 and 3, and the absence of
        // the row inserted. Verified: rows 2, 4 and 5, the absence that
        // holds (and row 6's, if its entry is one). Skipped: the slug's
        // absence (and row 6's entry, if invalid).
        assert_eq!((n["stale"], n["raced"]), (5, 0), "{url}: {found}");
        assert_eq!(n["listed"], n["sampled"], "{found}");
        assert_eq!(n["sampled"], n["verified"] + n["skipped"] + 5, "{found}");
        assert!((4..=5).contains(&n["verified"]), "{found}");
        let stale_keys: Vec<&str> = found
            .lines()
            .filter_map(|l| l.strip_prefix("stale (deleted): "))
            .collect();
        assert_eq!(stale_keys.len(), 5, "{found}");
        for line in &stale_keys {
            assert!(line.contains(":product:products:"), "{found}");
            // Their ages: filled within this test.
            let age = line.rsplit("filled ").next().unwrap();
            let secs: u64 = age.trim_end_matches(" s ago").parse().expect(age);
            assert!(secs < 600, "{found}");
        }
        assert!(stale_keys.iter().any(|k| k.contains(":slug:")), "{found}");
        let inserted_key = format!(":id:{inserted} ");
        assert!(
            stale_keys.iter().any(|k| k.contains(&inserted_key)),
            "{found}"
        );
        // Deleted: the next reads are misses that read the database.
        let read = p.get(&mut env.db.conn, ids[1]).unwrap();
        assert_eq!(read.title, "changed");
        let by_slug = p.get_by_slug(&mut env.db.conn, "v0".to_owned()).unwrap();
        assert_eq!(by_slug.title, "changed");
        assert_eq!(p.get(&mut env.db.conn, inserted).unwrap().title, "inserted");
        let again = admin.run(args(&[])).unwrap();
        let m = counts(&again);
        assert_eq!((m["stale"], m["raced"]), (0, 0), "{again}");
        assert_eq!(m["verified"], n["verified"] + 3, "{again}");
        // A prefix that is not the deployment's: no clean bill, an error
        // naming the models that have entries (under the prefix given).
        let nothing = url.replace("prefix=", "prefix=nothing_");
        let e = admin.run(args(&[]).into_iter().map(|a| match a == url {
            true => nothing.clone(),
            false => a,
        }));
        let e = e.unwrap_err();
        assert!(e.contains("is the prefix the deployment's"), "{e}");
        // A sample smaller than the entries: that many read.
        let two = admin.run(args(&["--sample", "2"])).unwrap();
        assert_eq!(
            (counts(&two)["sampled"], counts(&two)["stale"]),
            (2, 0),
            "{two}"
        );
    }
}

#[test]
fn verify_says_what_it_needs() {
    let Some(url) = services::redis_url() else {
        return;
    };
    let plain = Admin::new();
    let admin = Admin::new().verifies::<Product, PgConnection>();
    let down = "postgres://127.0.0.1:1/x";
    // (Which admin, the cache URL, `verify`'s arguments, what it says.)
    #[rustfmt::skip]
    let cases: [(&Admin, &str, &str, &str); 12] = [
        (&plain, &url, "product --database x", "knows no model"),
        (&admin, &url, "order --database x", "verifies Product, not order"),
        (&admin, &url, "product --database x --sample many", "--sample takes a number"),
        (&admin, &url, "Product --database", "--database needs a value"),
        (&admin, &url, "product --database x --fast", "unknown option --fast"),
        (&admin, &url, &format!("product --database {down}"), "cannot connect to the database"),
        (&admin, "memory://", "product", "in-process cache (memory)"),
        (&admin, &url, "product --database x --sample -1", "--sample takes a number"),
        (&admin, &url, "product --database x --sample 0", "1 or more"),
        (&admin, &url, "product --database x --sample 2 --sample 3", "--sample is given twice"),
        (&admin, &url, "product extra --database x", "unexpected argument \"extra\""),
        (&admin, "dummy://", "product", "in-process cache (dummy)"),
    ];
    for (admin, cache, verify, says) in cases {
        let args = ["--cache", cache, "verify"].into_iter().map(String::from);
        let args = args.chain(verify.split(' ').map(String::from));
        let e = admin.run(args).expect_err(verify);
        assert!(e.contains(says), "{verify}: {e}");
    }
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
