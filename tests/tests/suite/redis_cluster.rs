//! What only a Redis Cluster shows, each on a cluster of the test's own
//! (three masters, three replicas): a hit is one command on one node, and
//! an invalidation that a master acknowledged survives its failover.
//! (The conformance and manager suites run on a cluster too.)

use cache_core::__engine::Namespace;
use cache_core::__engine::WithEngine;
use cache_core::{Cache, CacheConfig};
use cache_tests::db;
use cache_tests::failover::{fill_entries_of_one_tag, still_served};
use cache_tests::models::ProductCache;
use cache_tests::redis_cluster::RedisCluster;
use std::time::{Duration, Instant};

fn cache(url: &str, prefix: &str, options: &str) -> Cache {
    let mut cfg = CacheConfig::from_url(&format!("{url}?{options}")).expect("cluster URL");
    cfg.key_prefix = prefix.to_owned();
    Cache::new(cfg).expect("cache")
}

/// `cmdstat_<name>` calls on the node at `address`.
fn calls(address: &str, name: &str) -> u64 {
    let mut conn = redis::Client::open(format!("redis://{address}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut conn)
        .unwrap();
    let head = format!("cmdstat_{name}:calls=");
    stats
        .lines()
        .find_map(|l| l.strip_prefix(&head))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

fn reset_stats(address: &str) {
    let mut conn = redis::Client::open(format!("redis://{address}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .exec(&mut conn)
        .unwrap();
}

#[test]
fn a_hit_is_one_command_on_one_node() {
    let Some(cluster) = RedisCluster::for_test() else {
        return;
    };
    let mut db = db::sqlite();
    let products = ProductCache::new(cache(&cluster.url(), "hits", ""));
    let new = cache_tests::models::NewProduct::new("tea", 1);
    let id = products.insert(&mut db.conn, new).unwrap().id;
    let filled = products.get(&mut db.conn, id).unwrap();
    let addresses = cluster.addresses();
    for address in &addresses {
        reset_stats(address);
    }
    db.take_queries();
    for _ in 0..50 {
        assert_eq!(products.get(&mut db.conn, id).unwrap(), filled);
    }
    assert_eq!(db.take_queries(), 0, "every read was a hit");
    let per_node: Vec<(u64, u64)> = addresses
        .iter()
        .map(|a| (calls(a, "mget"), calls(a, "get") + calls(a, "set")))
        .collect();
    assert_eq!(
        per_node.iter().filter(|(mget, _)| *mget > 0).count(),
        1,
        "one node served every hit: {per_node:?}"
    );
    assert_eq!(
        per_node
            .iter()
            .map(|(mget, others)| mget + others)
            .sum::<u64>(),
        50,
        "one MGET per hit and nothing else: {per_node:?}"
    );
}

/// Fills 200 entries that depend on one tag, stops every replica and cuts
/// it off, bumps the tag through `writer`, kills a master and lets its
/// replica (which never got the bump) take over; returns how many entries a cache of
/// another process still serves once `writer` has delivered what it owes.
fn stale_after_failover(options: &str) -> Option<usize> {
    let mut cluster = RedisCluster::for_test()?;
    let writer = cache(&cluster.url(), "failover", options);
    let (tag, entries) = fill_entries_of_one_tag(&writer, 200);
    cluster.stop_and_cut_replicas();
    let bumped = writer.engine().bump_tags(std::slice::from_ref(&tag), None);
    assert_eq!(
        bumped.is_ok(),
        options.contains("replicas=0"),
        "a bump no replica acknowledged fails (and is owed): {bumped:?}"
    );
    cluster.kill_a_master();
    cluster.cont_all();
    cluster.wait_until_formed().unwrap();
    let reader = cache(&cluster.url(), "failover", "");
    Some(still_served(&reader, &tag, &entries, || {}))
}

#[test]
fn an_acknowledged_invalidation_survives_a_failover() {
    if let Some(stale) = stale_after_failover("retry_after=100ms") {
        assert_eq!(stale, 0, "entries stamped before the bump were served");
    }
}

/// The hole the wait closes, shown: without it, the bump is acknowledged
/// by the master alone and lost with it.
#[test]
fn without_waiting_for_replicas_a_failover_loses_the_invalidation() {
    if let Some(stale) = stale_after_failover("retry_after=100ms&replicas=0") {
        assert!(
            stale > 0,
            "the killed master's shards serve the old entries"
        );
    }
}

/// A master dies; a writer's bumps fail (and are owed), the second one
/// without a call (its breaker is open). The masters that live must still
/// get both: a process that reads only there never sees the trouble.
#[test]
fn bumps_reach_the_masters_that_live() {
    let Some(mut cluster) = RedisCluster::for_test() else {
        return;
    };
    let writer = cache(&cluster.url(), "partial", "retry_after=30s");
    let reader = cache(&cluster.url(), "partial", "retry_after=0s");
    let keys = writer.engine().keys();
    let tag = keys.build(Namespace::Tag, &[], "t");
    let entries: Vec<String> = (0..64)
        .map(|i| keys.build(Namespace::Detail, &[], &format!("e{i}")))
        .collect();
    let tags = std::slice::from_ref(&tag);
    // A cluster just formed, on a loaded machine: a replica may take more
    // than the 250 ms a bump waits for it (the bump then fails, owed; a CI
    // run saw it). The first bump that every replica acknowledged.
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = writer.engine().bump_tags(tags, None) {
        assert!(Instant::now() < deadline, "no bump acknowledged: {e}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let versions = || -> Vec<Option<u64>> {
        entries
            .iter()
            .map(|e| {
                reader
                    .backend()
                    .read_versions(e, &[&tag])
                    .ok()
                    .and_then(|v| v[0])
            })
            .collect()
    };
    cluster.kill_a_master();
    assert!(
        writer.engine().bump_tags(tags, None).is_err(),
        "a master is down"
    );
    let after_first = versions();
    assert!(
        writer.engine().bump_tags(tags, None).is_err(),
        "the breaker is open"
    );
    let after_second = versions();
    let live: Vec<usize> = (0..entries.len())
        .filter(|i| after_first[*i].is_some() && after_second[*i].is_some())
        .collect();
    assert!(
        live.len() > entries.len() / 3 && live.len() < entries.len(),
        "entries on the dead master's shards cannot be read: {} of {}",
        live.len(),
        entries.len()
    );
    for i in live {
        assert_ne!(
            after_first[i], after_second[i],
            "entry {i}: the bump made while the breaker was open reached its shard"
        );
    }
}

/// `replicas=` works on one server with a replica too: a bump waits for
/// it, and fails (owed) while the replica cannot acknowledge.
#[test]
fn one_server_waits_for_its_replica_when_asked() {
    use cache_tests::redis_server::RedisServer;
    let Some(master) = RedisServer::for_test(&[]) else {
        return;
    };
    let port = master.port().to_string();
    let Some(replica) = RedisServer::for_test(&["--replicaof", "127.0.0.1", &port]) else {
        return;
    };
    let writer = cache(master.url().trim_end_matches('/'), "wait", "replicas=1");
    let tag = writer.engine().keys().build(Namespace::Tag, &[], "t");
    let tags = std::slice::from_ref(&tag);
    let deadline = Instant::now() + Duration::from_secs(10);
    while writer.engine().bump_tags(tags, None).is_err() {
        assert!(Instant::now() < deadline, "the replica never acknowledged");
        std::thread::sleep(Duration::from_millis(100));
    }
    replica.stop();
    assert!(
        writer.engine().bump_tags(tags, None).is_err(),
        "no replica acknowledged: the bump is owed"
    );
    replica.cont();
    let unwaited = cache(master.url().trim_end_matches('/'), "wait", "replicas=0");
    assert!(unwaited.engine().bump_tags(tags, None).is_ok());
}

/// Hits go straight to the node of their slot, over a map learned once:
/// when every master hands its slots to its replica, the old masters
/// answer `MOVED`, and reads still hit, with the right values, and none
/// fails.
#[test]
fn hits_follow_the_slots_when_masters_change() {
    let Some(cluster) = RedisCluster::for_test() else {
        return;
    };
    let mut db = db::sqlite();
    let products = ProductCache::new(cache(&cluster.url(), "moved", ""));
    let ids: Vec<i32> = (0..40)
        .map(|i| {
            let new = cache_tests::models::NewProduct::new(&format!("p{i}"), 1);
            products.insert(&mut db.conn, new).unwrap().id
        })
        .collect();
    let read = |db: &mut cache_tests::db::TestDb<_>| -> Vec<String> {
        ids.iter()
            .map(|id| products.get(&mut db.conn, *id).unwrap().slug)
            .collect()
    };
    let before = read(&mut db);
    assert_eq!(read(&mut db), before);
    db.take_queries();
    cluster.swap_masters().unwrap();
    assert_eq!(read(&mut db), before, "the right rows");
    assert_eq!(read(&mut db), before);
    let stats = products.stats();
    assert_eq!(stats.errors, 0, "no read failed: {stats:?}");
    assert_eq!(db.take_queries(), 0, "every read after the swap was a hit");
}

/// A master that hangs (SIGSTOP): writes of many keys, and bumps of tags
/// whose copies live on every master, return (failed) within a few
/// response timeouts (500 ms) while it still hangs. redis-rs's pipelines waited the response timeout once per
/// reply, and held them as long as the master hung (an outside probe).
#[test]
fn writes_return_while_a_master_hangs() {
    let Some(cluster) = RedisCluster::for_test() else {
        return;
    };
    let c = cache(&cluster.url(), "hang", "");
    let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
    let entries = || keys.iter().map(|k| (k.as_str(), 1i64));
    assert!(
        c.set_many(entries(), cache_core::Timeout::Never)
            .unwrap()
            .is_empty()
    );
    let tags: Vec<String> = (0..8)
        .map(|i| {
            c.engine()
                .keys()
                .build(Namespace::Tag, &[], &format!("t{i}"))
        })
        .collect();
    c.engine().bump_tags(&tags, None).unwrap();
    cluster.stop_a_master();
    let stopped = Instant::now();
    let written = c.set_many(entries(), cache_core::Timeout::Never);
    let bumped = c.engine().bump_tags(&tags, None);
    let returned = stopped.elapsed();
    cluster.cont_all();
    assert!(
        returned < Duration::from_secs(3),
        "returned after {returned:?}, while the master hung"
    );
    assert!(bumped.is_err(), "a master did not answer: the bump is owed");
    assert!(written.is_err() || !written.unwrap().is_empty());
}

/// A cluster that is down (a master and its replica lost at once): the
/// masters that live answer every command `CLUSTERDOWN`, reads included.
/// A read goes to the database and is the committed row; a write's bump is
/// owed; once the cluster is back the reader is served the written row,
/// then hits again.
#[test]
fn a_cluster_that_is_down_serves_no_entry() {
    use cache_tests::models::products;
    use diesel::ExpressionMethods;
    use redis::Commands;
    let Some(cluster) = RedisCluster::for_test() else {
        return;
    };
    let (mut db, writer, reader, id) = warm_pair(&cluster, "down", "retry_after=200ms");

    let holder = cluster.holder_of("*down*:d:*").expect("the entry's master");
    cluster.take_down_sparing(holder).unwrap();
    let refused = redis::Client::open(format!("redis://127.0.0.1:{holder}/"))
        .unwrap()
        .get_connection()
        .unwrap()
        .get::<_, Option<String>>("anything");
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.code() == Some("CLUSTERDOWN")),
        "the entry's master refuses reads: {refused:?}"
    );
    let started = Instant::now();
    let written = writer.update(&mut db.conn, id, products::title.eq("Green tea"));
    let took = started.elapsed();
    // (It took 23 s: redis-rs's cluster connection, asked for the slot
    // map and handed the writes, connected to every node and retried.)
    assert!(took < Duration::from_secs(5), "the write took {took:?}");
    db.take_queries();
    for _ in 0..5 {
        let started = Instant::now();
        let row = reader.get(&mut db.conn, id).expect("a read while down");
        assert_eq!(row.title, "Green tea", "after {written:?}");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "a read took {took:?}");
    }
    assert_eq!(db.take_queries(), 5, "every read went to the database");

    cluster.cont_all();
    cluster.wait_until_formed().unwrap();
    assert!(
        hits_again(&reader, &mut db, id, "Green tea"),
        "hits again once the cluster is back"
    );
}

/// A slot being migrated (resharding): its keys move to the importing
/// master while the slot is still the old master's, which answers
/// `TRYAGAIN` to a read of keys split between the two and `ASK` for those
/// already moved. A write's bump of a tag copy there must reach
/// the copy where it now lives, or another process's reads, redirected
/// there, validate the old entry for as long as the migration lasts.
#[test]
fn a_bump_reaches_a_slot_being_migrated() {
    use cache_tests::models::products;
    use diesel::ExpressionMethods;
    use redis::Commands;
    let Some(cluster) = RedisCluster::for_test() else {
        return;
    };
    let node = |port: u16| {
        redis::Client::open(format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .get_connection()
            .unwrap()
    };
    let (mut db, writer, reader, id) = warm_pair(&cluster, "mig", "");

    // Move every key of the entry's slot to another master, the slot
    // itself not yet (`MIGRATING` / `IMPORTING`).
    let source = cluster.holder_of("*mig*:d:*").expect("the entry's master");
    let target = *cluster
        .masters()
        .iter()
        .find(|p| **p != source)
        .expect("another master");
    let (mut src, mut tgt) = (node(source), node(target));
    let entry: String = src.keys::<_, Vec<String>>("*mig*:d:*").unwrap().remove(0);
    let slot: u16 = redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(&entry)
        .query(&mut src)
        .unwrap();
    let id_of = |c: &mut redis::Connection| -> String {
        redis::cmd("CLUSTER").arg("MYID").query(c).unwrap()
    };
    let (src_id, tgt_id) = (id_of(&mut src), id_of(&mut tgt));
    let set_slot = |c: &mut redis::Connection, state: &str, id: &str| {
        redis::cmd("CLUSTER")
            .arg("SETSLOT")
            .arg(slot)
            .arg(state)
            .arg(id)
            .exec(c)
            .unwrap();
    };
    set_slot(&mut tgt, "IMPORTING", &src_id);
    set_slot(&mut src, "MIGRATING", &tgt_id);
    let keys: Vec<String> = redis::cmd("CLUSTER")
        .arg("GETKEYSINSLOT")
        .arg(slot)
        .arg(1000)
        .query(&mut src)
        .unwrap();
    assert!(keys.len() >= 2, "the entry and its tags' copies: {keys:?}");
    let migrate = |src: &mut redis::Connection, keys: &[&String]| {
        redis::cmd("MIGRATE")
            .arg("127.0.0.1")
            .arg(target)
            .arg("")
            .arg(0)
            .arg(5000)
            .arg("KEYS")
            .arg(keys)
            .exec(src)
            .unwrap();
    };
    // The tags first: the entry's `MGET` is answered `TRYAGAIN` (its keys
    // lie on two nodes), and the read goes to the database.
    let tags: Vec<&String> = keys.iter().filter(|k| **k != entry).collect();
    migrate(&mut src, &tags);
    let started = Instant::now();
    assert_eq!(reader.get(&mut db.conn, id).unwrap().title, "Title of tea");
    assert_eq!(db.take_queries(), 1, "TRYAGAIN: read from the database");
    assert!(started.elapsed() < Duration::from_secs(5));
    migrate(&mut src, &[&entry]);

    // (The bump's `SET`s were answered `ASK` and owed until the migration
    // ended: the reader, redirected, validated the old entry.)
    writer
        .update(&mut db.conn, id, products::title.eq("Green tea"))
        .unwrap();
    for _ in 0..5 {
        assert_eq!(
            reader.get(&mut db.conn, id).unwrap().title,
            "Green tea",
            "while the slot migrates"
        );
    }

    // The migration ends: every master learns the slot's new owner.
    for port in cluster.masters() {
        set_slot(&mut node(port), "NODE", &tgt_id);
    }
    assert!(
        hits_again(&reader, &mut db, id, "Green tea"),
        "hits again once the slot has moved"
    );
}

/// A writer's and a reader's managers over `cluster` (their own caches,
/// as two processes), a product inserted, and the reader's read of it a
/// hit.
fn warm_pair(
    cluster: &RedisCluster,
    prefix: &str,
    options: &str,
) -> (
    db::TestDb<diesel::SqliteConnection>,
    ProductCache,
    ProductCache,
    i32,
) {
    let mut db = db::sqlite();
    let writer = ProductCache::new(cache(&cluster.url(), prefix, options));
    let reader = ProductCache::new(cache(&cluster.url(), prefix, options));
    let new = cache_tests::models::NewProduct::new("tea", 1);
    let id = writer.insert(&mut db.conn, new).unwrap().id;
    reader.get(&mut db.conn, id).unwrap();
    db.take_queries();
    assert_eq!(reader.get(&mut db.conn, id).unwrap().title, "Title of tea");
    assert_eq!(db.take_queries(), 0, "warm: a hit");
    (db, writer, reader, id)
}

/// Whether the reader, reading `title` every time, hits again within 20 s.
fn hits_again(
    reader: &ProductCache,
    db: &mut db::TestDb<diesel::SqliteConnection>,
    id: i32,
    title: &str,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        assert_eq!(reader.get(&mut db.conn, id).unwrap().title, title);
        if db.take_queries() == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
