//! List and detail hit rates under a steady trickle of writes:
//! how much of a table's cached lists one write empties.
//!
//! ```text
//! cargo run --release -p cache-programs --bin hitrate -- \
//!     --db <sqlite|postgres|mysql> --cache <memory|redis|tiered> \
//!     --writes-per-s N --seconds S
//! ```
//!
//! 100 categories of 100 products. Four reader threads read, half and half,
//! the list of a random category (`filter(category_id)`) and a random
//! product's detail; one writer updates a random product's price through
//! the `update` hook, N times a second, one write in ten also moving it to
//! another category. Each reader's connection counts its queries: a read
//! that ran none was a hit.
//!
//! The workload runs twice, S seconds each, on cold caches (own key
//! prefixes): once as built (`list_hit_rate`), once as a table-wide baseline
//! (`table_wide_*`), where the writer also calls `invalidate_id` after each
//! update, which invalidates the row's details and every list of the table
//! (what every hook write did before lists depended on value tags).
//! `list_queries_fewer_than_table_wide` is the baseline's list queries per
//! list read over this build's.
//!
//! Every read is checked against the writes that returned before it began
//! (prices only grow): a detail older than that, a list holding an older
//! price, a row in a list of a category it had left, or a list missing a
//! row that had entered it, is a stale read. The exit code is 1 when there
//! is one. `--unchecked-writes` makes the writer update with plain Diesel,
//! invalidating nothing, to show that the check sees stale reads.
//! `--filter text` makes the lists filter on the category's name, a text
//! column (`category_name = 'c7'`), instead of its id: precise where the
//! database compares the column byte for byte (PostgreSQL, SQLite) and
//! under MySQL's default `_ci` collations, whose names of ASCII letters
//! and digits are named by their lower case.
//! `--follower` (PostgreSQL) runs a change-stream follower beside the
//! readers (`cache_diesel::Follower`, in the process, on a slot of its
//! own) and gives the caches a `follower_bound` of 5 s: its bumps come on
//! top of the hooks', and the hit rates show what they cost.
//! `--no-write-through` gives the caches `write_through=off`: the hook
//! writes invalidate the rows they wrote instead of putting them in place
//! (`write_p50_us` is the writer's time per write).
//! `--async-writer` (PostgreSQL, SQLite) makes its hook writes
//! `update_async` on a tracked diesel-async connection (`AsyncPgConnection`,
//! `SyncConnectionWrapper<SqliteConnection>`).

use cache_diesel::{Cache, CacheConfig, CacheTracking, Cached, ModelQueries, UpdateQuery};
use cache_tests::consistency::now_us;
use cache_tests::db::{self, query_counter};
use cache_tests::{services, unique};
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

diesel::table! {
    hitrate_products (id) {
        id -> Integer,
        category_id -> Integer,
        category_name -> Text,
        price -> Integer,
    }
}

/// A product; its price is also its version (every write raises it by one).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = hitrate_products)]
#[cache(
    filter(category_id, category_name),
    list_timeout = 3600,
    detail_timeout = 3600
)]
struct HitrateProduct {
    id: i32,
    category_id: i32,
    category_name: String,
    price: i32,
}

/// The name of category `category` (what `--filter text` filters on).
fn name_of(category: i32) -> String {
    format!("c{category}")
}

const CATEGORIES: i32 = 100;
const PER_CATEGORY: i32 = 100;
const ROWS: i32 = CATEGORIES * PER_CATEGORY;
const READERS: usize = 4;

/// The changeset of a write: the new price and category.
type Change = (
    diesel::dsl::Eq<hitrate_products::price, i32>,
    diesel::dsl::Eq<hitrate_products::category_id, i32>,
    diesel::dsl::Eq<hitrate_products::category_name, String>,
);

struct Args {
    db: String,
    cache: String,
    writes_per_s: f64,
    seconds: f64,
    /// The writer updates with plain Diesel, invalidating nothing
    /// (`--unchecked-writes`): the reads must then be found stale.
    unchecked: bool,
    /// The writer's hook writes are `update_async` on a tracked
    /// diesel-async connection (`--async-writer`, PostgreSQL, SQLite).
    async_writer: bool,
    /// Lists filter on the category's name, a text column (`--filter
    /// text`), rather than its id.
    text: bool,
    /// The PostgreSQL schema, or the SQLite file, of the run (for the
    /// async writer).
    schema: String,
    /// A change-stream follower runs beside the readers (`--follower`,
    /// PostgreSQL), and the cache serves entries only while it keeps up.
    follower: bool,
    /// Hook writes invalidate the row instead of putting it in place
    /// (`--no-write-through`: the cache's `write_through=off`).
    no_write_through: bool,
    /// The fraction of hits verified against the database (`--verify F`:
    /// the caches' `verify`; 0: none).
    verify: f64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        db: "sqlite".into(),
        cache: "memory".into(),
        writes_per_s: 100.0,
        seconds: 10.0,
        unchecked: false,
        async_writer: false,
        text: false,
        schema: String::new(),
        follower: false,
        no_write_through: false,
        verify: 0.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--db" => args.db = value()?,
            "--cache" => args.cache = value()?,
            "--writes-per-s" => {
                args.writes_per_s = value()?.parse().map_err(|e| format!("{flag}: {e}"))?
            }
            "--unchecked-writes" => args.unchecked = true,
            "--follower" => args.follower = true,
            "--no-write-through" => args.no_write_through = true,
            "--async-writer" => args.async_writer = true,
            "--verify" => args.verify = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--filter" => match value()?.as_str() {
                "text" => args.text = true,
                "id" => args.text = false,
                other => return Err(format!("--filter takes text or id, not {other}")),
            },
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let known = ["sqlite", "postgres", "mysql"].contains(&args.db.as_str())
        && ["memory", "redis", "tiered"].contains(&args.cache.as_str());
    let async_ok = (!args.async_writer || (args.db != "mysql" && !args.unchecked))
        && (!args.follower || args.db == "postgres");
    if !known || !async_ok || args.writes_per_s <= 0.0 || args.seconds <= 0.0 {
        return Err("usage: --db <sqlite|postgres|mysql> --cache <memory|redis|tiered> --writes-per-s N --seconds S [--filter <id|text>] [--async-writer (postgres, sqlite)] [--follower (postgres)] [--no-write-through] [--unchecked-writes] [--verify F]".into());
    }
    Ok(args)
}

/// One committed write: the row's price (its version), its category at
/// that price, and when the hook returned.
#[derive(Debug, Clone, Copy)]
struct Write {
    price: i32,
    category: i32,
    returned_us: u64,
    /// How long the write took (the hook's statements and bumps).
    took_us: u64,
}

/// What a reader was served.
enum Served {
    Detail {
        id: i32,
        price: i32,
    },
    List {
        category: i32,
        rows: Vec<(i32, i32)>,
    },
}

struct Read {
    began_us: u64,
    nanos: u64,
    queries: usize,
    served: Served,
}

/// Every row's history: its writes in order, price 0 first.
struct History(HashMap<i32, Vec<Write>>);

impl History {
    fn new(writes: &[(i32, Write)], initial: &HashMap<i32, (i32, i32)>) -> Self {
        let mut rows: HashMap<i32, Vec<Write>> = initial
            .iter()
            .map(|(&id, &(category, price))| {
                let first = Write {
                    price,
                    category,
                    returned_us: 0,
                    took_us: 0,
                };
                (id, vec![first])
            })
            .collect();
        for (id, w) in writes {
            rows.entry(*id).or_default().push(*w);
        }
        History(rows)
    }

    /// The writes of `id` and the index of the last one that had returned
    /// before `began_us` (which a read beginning then must see at least).
    fn required(&self, id: i32, began_us: u64) -> (&[Write], usize) {
        let ws = &self.0[&id];
        let done = ws.partition_point(|w| w.returned_us < began_us);
        (ws, done.saturating_sub(1))
    }

    fn detail_is_stale(&self, id: i32, price: i32, began_us: u64) -> bool {
        let (ws, i) = self.required(id, began_us);
        price < ws[i].price
    }

    /// `members`: the rows that were ever in `category`.
    fn list_is_stale(
        &self,
        category: i32,
        rows: &[(i32, i32)],
        members: &[i32],
        began_us: u64,
    ) -> bool {
        let served: HashMap<i32, i32> = rows.iter().copied().collect();
        for (&id, &price) in &served {
            let (ws, i) = self.required(id, began_us);
            let at = ws.iter().find(|w| w.price == price);
            if price < ws[i].price || at.is_none_or(|w| w.category != category) {
                return true;
            }
        }
        members.iter().any(|id| {
            let (ws, i) = self.required(*id, began_us);
            // Missing: it was in the category, and no later write (one
            // that may have been visible) took it out.
            !served.contains_key(id)
                && ws[i].category == category
                && ws[i + 1..].iter().all(|w| w.category == category)
        })
    }
}

/// What one run of the workload measured.
#[derive(Debug, Default)]
struct Outcome {
    list_reads: usize,
    list_hits: usize,
    list_queries: usize,
    list_nanos: Vec<u64>,
    detail_reads: usize,
    detail_hits: usize,
    writes: usize,
    write_us: Vec<u64>,
    stale: usize,
    seconds: f64,
    /// The verification counters (`--verify`).
    verified: Option<cache_core::StatsSnapshot>,
}

impl Outcome {
    fn list_hit_rate(&self) -> f64 {
        self.list_hits as f64 / self.list_reads.max(1) as f64
    }

    fn detail_hit_rate(&self) -> f64 {
        self.detail_hits as f64 / self.detail_reads.max(1) as f64
    }

    fn queries_per_list_read(&self) -> f64 {
        self.list_queries as f64 / self.list_reads.max(1) as f64
    }

    fn list_p50_us(&mut self) -> f64 {
        self.list_nanos.sort_unstable();
        let p50 = self.list_nanos.get(self.list_nanos.len() / 2);
        p50.copied().unwrap_or(0) as f64 / 1000.0
    }

    fn line(&mut self, name: &str) -> String {
        let p50 = self.list_p50_us();
        self.write_us.sort_unstable();
        let write_p50 = self.write_us.get(self.write_us.len() / 2).copied();
        format!(
            "{name}: writes={} list_reads={} list_hit_rate={:.3} list_queries={} queries_per_list_read={:.4} list_reads_per_s={:.0} list_p50_us={:.1} detail_hit_rate={:.3} write_p50_us={} stale_reads={}",
            self.writes,
            self.list_reads,
            self.list_hit_rate(),
            self.list_queries,
            self.queries_per_list_read(),
            self.list_reads as f64 / self.seconds,
            p50,
            self.detail_hit_rate(),
            write_p50.unwrap_or(0),
            self.stale,
        )
    }
}

fn cache_for(kind: &str, prefix: &str, args: &Args, write_through: bool) -> Cache {
    let url = match kind {
        "redis" => services::redis_url().expect("Redis reachable"),
        "tiered" => services::tiered_url().expect("Redis reachable"),
        _ => "memory://?max_bytes=512m".to_owned(),
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    // (One program writes and reads: no older binary's writes to settle
    // for, see `schema_settle`.)
    cfg.schema_settle = std::time::Duration::ZERO;
    if args.follower {
        cfg.follower_bound = Some(Duration::from_secs(5));
    }
    cfg.write_through = write_through;
    cfg.verify = args.verify;
    Cache::new(cfg).expect("cache")
}

/// Creates the table and its rows: product `id` in category
/// `(id - 1) / PER_CATEGORY + 1`, price 0.
fn seed<C: Connection>(conn: &mut C, auto_increment: &str) {
    conn.batch_execute(&format!(
        "CREATE TABLE hitrate_products (id INTEGER PRIMARY KEY {auto_increment}, \
         category_id INTEGER NOT NULL, category_name VARCHAR(16) NOT NULL, \
         price INTEGER NOT NULL); \
         CREATE INDEX hitrate_by_category ON hitrate_products (category_id); \
         CREATE INDEX hitrate_by_name ON hitrate_products (category_name)"
    ))
    .expect("DDL");
    let ids: Vec<i32> = (1..=ROWS).collect();
    for chunk in ids.chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|id| {
                let category = (id - 1) / PER_CATEGORY + 1;
                format!("({id}, {category}, '{}', 0)", name_of(category))
            })
            .collect();
        conn.batch_execute(&format!(
            "INSERT INTO hitrate_products (id, category_id, category_name, price) VALUES {}",
            values.join(", ")
        ))
        .expect("seed rows");
    }
}

/// The rows as seeded: id to (category, price).
fn seeded() -> HashMap<i32, (i32, i32)> {
    (1..=ROWS)
        .map(|id| (id, ((id - 1) / PER_CATEGORY + 1, 0)))
        .collect()
}

fn read_loop<C>(mut conn: C, manager: &HitrateProductCache, text: bool, until: Instant) -> Vec<Read>
where
    C: Connection + 'static,
    HitrateProduct: ModelQueries<C>,
{
    let queries = Arc::new(AtomicUsize::new(0));
    conn.set_instrumentation(query_counter(queries.clone()));
    let mut reads = Vec::new();
    while Instant::now() < until {
        let began_us = now_us();
        let start = Instant::now();
        let before = queries.load(Ordering::Relaxed);
        let served = if rand::random_bool(0.5) {
            let category = rand::random_range(1..=CATEGORIES);
            let filter = match text {
                true => HitrateProductFilter::default().category_name(name_of(category)),
                false => HitrateProductFilter::default().category_id(category),
            };
            match manager.all(&mut conn, None, filter) {
                Ok(rows) => Served::List {
                    category,
                    rows: rows.iter().map(|r| (r.id, r.price)).collect(),
                },
                Err(e) => {
                    eprintln!("list read failed: {e}");
                    continue;
                }
            }
        } else {
            let id = rand::random_range(1..=ROWS);
            match manager.get(&mut conn, id) {
                Ok(row) => Served::Detail {
                    id,
                    price: row.price,
                },
                Err(e) => {
                    eprintln!("detail read failed: {e}");
                    continue;
                }
            }
        };
        reads.push(Read {
            began_us,
            nanos: start.elapsed().as_nanos() as u64,
            queries: queries.load(Ordering::Relaxed) - before,
            served,
        });
    }
    reads
}

/// How the writer writes one row: `(id, category, price)` to what the
/// write returned (`None`: no such row).
type WriteFn<'a> = dyn FnMut(i32, i32, i32) -> cache_diesel::Result<Option<HitrateProduct>> + 'a;

/// The change of a write.
fn change(category: i32, price: i32) -> Change {
    (
        hitrate_products::price.eq(price),
        hitrate_products::category_id.eq(category),
        hitrate_products::category_name.eq(name_of(category)),
    )
}

fn write_loop(
    write: &mut WriteFn<'_>,
    manager: &HitrateProductCache,
    rows: &mut HashMap<i32, (i32, i32)>,
    table_wide: bool,
    per_s: f64,
    until: Instant,
) -> Vec<(i32, Write)> {
    let period = Duration::from_secs_f64(1.0 / per_s);
    let mut next = Instant::now();
    let mut writes = Vec::new();
    while next < until {
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        next += period;
        let id = rand::random_range(1..=ROWS);
        let (category, price) = rows[&id];
        let category = match rand::random_bool(0.1) {
            true => (category + rand::random_range(0..CATEGORIES - 1)) % CATEGORIES + 1,
            false => category,
        };
        let price = price + 1;
        let began = Instant::now();
        match write(id, category, price) {
            Ok(Some(_)) => {
                if table_wide && let Err(e) = manager.invalidate_id(id) {
                    eprintln!("invalidate_id failed: {e}");
                }
                rows.insert(id, (category, price));
                let returned_us = now_us();
                let write = Write {
                    price,
                    category,
                    returned_us,
                    took_us: began.elapsed().as_micros() as u64,
                };
                writes.push((id, write));
            }
            Ok(None) => eprintln!("row {id} vanished"),
            Err(e) => eprintln!("write failed: {e}"),
        }
    }
    writes
}

/// The writer's diesel-async connection (`--async-writer`).
enum AsyncWriter {
    Postgres(Box<AsyncPgConnection>),
    Sqlite(SyncConnectionWrapper<SqliteConnection>),
}

/// A tracked diesel-async connection to the run's tables: PostgreSQL's
/// `schema`, or the SQLite file `schema` names.
fn async_writer(runtime: &tokio::runtime::Runtime, db: &str, schema: &str) -> AsyncWriter {
    if db != "sqlite" {
        return AsyncWriter::Postgres(Box::new(async_postgres(runtime, schema)));
    }
    let mut conn = SyncConnectionWrapper::new(db::open_sqlite_file(schema));
    cache_diesel::track_async(&mut conn);
    AsyncWriter::Sqlite(conn)
}

/// A tracked diesel-async PostgreSQL connection to `schema`, on `runtime`
/// (`--async-writer`).
fn async_postgres(runtime: &tokio::runtime::Runtime, schema: &str) -> AsyncPgConnection {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};
    let url = services::database_url().expect("PostgreSQL reachable");
    runtime.block_on(async {
        let mut conn = AsyncPgConnection::establish(&url)
            .await
            .expect("PostgreSQL");
        conn.batch_execute(&format!("SET search_path TO \"{schema}\""))
            .await
            .expect("search_path");
        conn.set_instrumentation(CacheTracking::for_async_connection::<AsyncPgConnection>());
        conn
    })
}

/// Runs the workload once on connections from `open`.
/// `rows`: the rows as they are (id to category and price), kept up to date.
fn run<C>(
    open: &dyn Fn() -> C,
    rows: &mut HashMap<i32, (i32, i32)>,
    args: &Args,
    table_wide: bool,
) -> Outcome
where
    C: Connection + Send + 'static,
    HitrateProduct: ModelQueries<C> + UpdateQuery<C, Change>,
{
    let prefix = unique::prefix(if table_wide {
        "hitrate_wide"
    } else {
        "hitrate"
    });
    let cache = cache_for(&args.cache, &prefix, args, !args.no_write_through);
    let mut following = args.follower.then(|| {
        cache_tests::following::Following::new(&cache, &args.schema, &["hitrate_products"])
            .expect("PostgreSQL with wal_level = logical")
    });
    if let Some(following) = following.as_mut() {
        following.start(&cache);
    }
    let manager = HitrateProductCache::new(cache.clone());
    // The writer's connection is tracked, as the README asks of every
    // connection that writes: on a shared store its hook writes can then
    // run in a transaction of their own and name the values they touched.
    // (Not `--unchecked-writes`': the tracker would catch its SQL.)
    let mut conn = open();
    if !args.unchecked {
        cache_diesel::track(&mut conn);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mut is_async = args
        .async_writer
        .then(|| async_writer(&runtime, &args.db, &args.schema));
    let mut write = |id: i32, category: i32, price: i32| match (&mut is_async, args.unchecked) {
        (Some(AsyncWriter::Postgres(conn)), _) => {
            runtime.block_on(manager.update_async(&mut **conn, id, change(category, price)))
        }
        (Some(AsyncWriter::Sqlite(conn)), _) => {
            runtime.block_on(manager.update_async(conn, id, change(category, price)))
        }
        (None, false) => manager.update(&mut conn, id, change(category, price)),
        (None, true) => conn
            .batch_execute(&format!(
                "UPDATE hitrate_products SET price = {price}, category_id = {category}, \
                 category_name = '{}' WHERE id = {id}",
                name_of(category)
            ))
            .map(|()| {
                Some(HitrateProduct {
                    id,
                    category_id: category,
                    category_name: name_of(category),
                    price,
                })
            })
            .map_err(cache_diesel::Error::from),
    };
    let initial = rows.clone();
    let readers: Vec<C> = (0..READERS).map(|_| open()).collect();
    // (One manager: its counters hold every reader's verifications.)
    let reading = HitrateProductCache::new(cache.clone());
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(args.seconds);
    let (reads, writes) = std::thread::scope(|s| {
        let readers: Vec<_> = readers
            .into_iter()
            .map(|c| {
                let reading = &reading;
                s.spawn(move || read_loop(c, reading, args.text, until))
            })
            .collect();
        let writes = write_loop(
            &mut write,
            &manager,
            rows,
            table_wide,
            args.writes_per_s,
            until,
        );
        let reads: Vec<Read> = readers
            .into_iter()
            .flat_map(|h| h.join().expect("reader"))
            .collect();
        (reads, writes)
    });
    let seconds = started.elapsed().as_secs_f64();
    let verified = verified(&reading, args);
    let _ = cache.clear();
    let mut outcome = verdict(&reads, &writes, &initial, seconds);
    outcome.verified = verified;
    outcome
}

/// The readers' verification counters (`--verify`) once the verifier is
/// done: past its window, when they have stopped moving.
fn verified(reading: &HitrateProductCache, args: &Args) -> Option<cache_core::StatsSnapshot> {
    if args.verify <= 0.0 {
        return None;
    }
    let window = reading.cache().config().verify_window;
    std::thread::sleep(window);
    let settled = |s: cache_core::StatsSnapshot| {
        (
            s.verified,
            s.verified_stale,
            s.verify_raced,
            s.verify_dropped,
        )
    };
    let mut last = settled(reading.stats());
    loop {
        std::thread::sleep(window.max(Duration::from_millis(500)));
        let now = settled(reading.stats());
        if now == last {
            return Some(reading.stats());
        }
        last = now;
    }
}

fn verdict(
    reads: &[Read],
    writes: &[(i32, Write)],
    initial: &HashMap<i32, (i32, i32)>,
    seconds: f64,
) -> Outcome {
    let history = History::new(writes, initial);
    let mut members: HashMap<i32, Vec<i32>> = HashMap::new();
    for (&id, ws) in &history.0 {
        let mut categories: Vec<i32> = ws.iter().map(|w| w.category).collect();
        categories.sort_unstable();
        categories.dedup();
        for c in categories {
            members.entry(c).or_default().push(id);
        }
    }
    let mut out = Outcome {
        writes: writes.len(),
        write_us: writes.iter().map(|(_, w)| w.took_us).collect(),
        seconds,
        ..Outcome::default()
    };
    for read in reads {
        let hit = read.queries == 0;
        let stale = match &read.served {
            Served::Detail { id, price } => {
                out.detail_reads += 1;
                out.detail_hits += usize::from(hit);
                history.detail_is_stale(*id, *price, read.began_us)
            }
            Served::List { category, rows } => {
                out.list_reads += 1;
                out.list_hits += usize::from(hit);
                out.list_queries += read.queries;
                out.list_nanos.push(read.nanos);
                let members = members.get(category).map_or(&[][..], Vec::as_slice);
                history.list_is_stale(*category, rows, members, read.began_us)
            }
        };
        out.stale += usize::from(stale);
    }
    out
}

/// Both runs on one database; returns (as built, table-wide).
fn both<C>(open: &dyn Fn() -> C, args: &Args) -> (Outcome, Outcome)
where
    C: Connection + Send + 'static,
    HitrateProduct: ModelQueries<C> + UpdateQuery<C, Change>,
{
    let mut rows = seeded();
    let built = run(open, &mut rows, args, false);
    let wide = run(open, &mut rows, args, true);
    (built, wide)
}

/// With `--verify`: the rereads of sampled hits open connections to
/// `test`'s database.
fn rereads_from<C>(test: &db::TestDb<C>, args: &Args)
where
    C: cache_diesel::RefreshConnection<Connection = C> + Connection,
{
    if let Some(open) = test.opener().filter(|_| args.verify > 0.0) {
        cache_diesel::refresh_connections(move || Ok::<_, String>(open()));
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut args = args;
    let (mut built, mut wide) = match args.db.as_str() {
        "sqlite" => {
            let mut test = db::sqlite_file("hitrate");
            seed(&mut test.conn, "");
            rereads_from(&test, &args);
            args.schema = test.file().expect("a file of its own").to_owned();
            both(&|| test.another(), &args)
        }
        "postgres" => {
            let mut test = db::postgres("hitrate").expect("PostgreSQL reachable");
            seed(&mut test.conn, "");
            rereads_from(&test, &args);
            args.schema = test.schema().expect("a schema of its own").to_owned();
            both(&|| test.another(), &args)
        }
        _ => {
            let mut test = db::mysql_with("hitrate", &[]).expect("MySQL reachable");
            seed(&mut test.conn, "AUTO_INCREMENT");
            rereads_from(&test, &args);
            both(&|| test.another(), &args)
        }
    };
    println!("{}", built.line("as built"));
    println!("{}", wide.line("table-wide"));
    let fewer = wide.queries_per_list_read() / built.queries_per_list_read().max(1e-9);
    let stale = built.stale + wide.stale;
    let verified = match (built.verified, wide.verified) {
        (Some(a), Some(b)) => format!(
            " verified={} stale_served={} verify_raced={} verify_dropped={}",
            a.verified + b.verified,
            a.verified_stale + b.verified_stale,
            a.verify_raced + b.verify_raced,
            a.verify_dropped + b.verify_dropped,
        ),
        _ => String::new(),
    };
    println!(
        "list_hit_rate={:.3} detail_hit_rate={:.3} list_queries={} table_wide_list_hit_rate={:.3} list_queries_fewer_than_table_wide={:.2} stale_reads={stale}{verified}",
        built.list_hit_rate(),
        built.detail_hit_rate(),
        built.list_queries,
        wide.list_hit_rate(),
        fewer,
    );
    if stale > 0 && !args.unchecked {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
