//! A shop's main list under price writes: id lists against whole-row
//! lists and no cache, in one run.
//!
//! ```text
//! cargo run --release -p cache-programs --bin active_list -- \
//!     --db <sqlite|postgres|mysql> --cache <memory|redis|tiered> \
//!     --writes-per-s N --seconds S [--warm]
//! ```
//!
//! 10,000 products, the odd ones active. Four reader threads read, half
//! and half, a page of 50 of the active list by id (a random one of its
//! 100 pages, by offset or, one read in two, by keyset: `after` the id
//! before it) and a random product's detail; one writer updates a random
//! product's price through the `update` hook, N times a second. No list
//! filters or orders by the price.
//!
//! Three phases of S seconds each, on cold caches (own key prefixes;
//! `--warm`: each page and row read once before the window, as a
//! long-running service's cache holds them):
//! `ids` (the model has `#[cache(id_lists)]`), `rows` (whole-row lists, the
//! default) and `uncached` (`dummy://`: every read goes to the database).
//! Each reader's connection counts its queries: a page read that ran none
//! was a hit. `db_rows_read_per_s` is the database's own count of the rows
//! it read for the table (PostgreSQL: `pg_stat_user_tables`' index and
//! sequential reads; MariaDB: `Rows_read`, every table; SQLite:
//! not counted). Every row served is checked against the writes that
//! returned before its read began (prices only grow): an older price is a
//! stale read, and the exit code is 1.
//!
//! `--page-hits N` (SQLite only) measures one thing instead: N hits of
//! warm pages of the id-list model, one thread, no writer, and prints the
//! nanoseconds a page hit took (the median of 5 rounds) and the same for
//! whole-row lists. Under callgrind, two runs of different N give a page
//! hit's instructions, which a noisy machine does not move:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='active_list::page_hits*' \
//!     target/release/active_list --db sqlite --cache memory --page-hits 200
//! ```
//!
//! (The total over 2 x 5 x 200 page hits: ids then whole rows; `callgrind_annotate
//! --inclusive=yes` splits them.)

use cache_diesel::{Cache, CacheConfig, CacheTracking, Cached, ModelQueries, UpdateQuery};
use cache_tests::consistency::now_us;
use cache_tests::db::{self, query_counter};
use cache_tests::{services, unique};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

diesel::table! {
    active_items (id) {
        id -> Integer,
        title -> Text,
        price -> Integer,
        is_active -> Bool,
    }
}

/// The model with id lists; its price is also its version.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = active_items)]
#[cache(
    id_lists,
    filter(is_active),
    list_timeout = 3600,
    detail_timeout = 3600
)]
struct IdItem {
    id: i32,
    title: String,
    price: i32,
    is_active: bool,
}

/// The same rows with whole-row lists.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = active_items)]
#[cache(filter(is_active), list_timeout = 3600, detail_timeout = 3600)]
struct RowItem {
    id: i32,
    title: String,
    price: i32,
    is_active: bool,
}

const ROWS: i32 = 10_000;
const PAGE: i64 = 50;
const PAGES: i64 = (ROWS as i64 / 2) / PAGE;
const READERS: usize = 4;

struct Args {
    db: String,
    cache: String,
    writes_per_s: f64,
    seconds: f64,
    /// Read every page and row once before each phase's window.
    warm: bool,
    /// Only time this many warm page hits of each kind of list.
    page_hits: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        db: String::new(),
        cache: String::new(),
        writes_per_s: 0.0,
        seconds: 0.0,
        warm: false,
        page_hits: None,
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
            "--seconds" => args.seconds = value()?.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--warm" => args.warm = true,
            "--page-hits" => {
                args.page_hits = Some(value()?.parse().map_err(|e| format!("{flag}: {e}"))?)
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let known = ["sqlite", "postgres", "mysql"].contains(&args.db.as_str())
        && ["memory", "redis", "tiered"].contains(&args.cache.as_str());
    let timed = args.seconds > 0.0 || (args.page_hits.is_some() && args.db == "sqlite");
    if !known || args.writes_per_s < 0.0 || !timed {
        return Err("usage: --db <sqlite|postgres|mysql> --cache <memory|redis|tiered> (--writes-per-s N --seconds S [--warm] | --page-hits N, SQLite only)".into());
    }
    Ok(args)
}

/// What one of the models does, to run either through the same loops.
trait Item: Send + Sync {
    type Conn;
    /// A page: `(id, price)` of each row.
    fn page(
        &self,
        conn: &mut Self::Conn,
        page: i64,
        keyset: bool,
    ) -> cache_diesel::Result<Vec<(i32, i32)>>;
    fn detail(&self, conn: &mut Self::Conn, id: i32) -> cache_diesel::Result<i32>;
    fn write(&self, conn: &mut Self::Conn, id: i32, price: i32) -> cache_diesel::Result<bool>;
}

/// [`Item`] for a model's manager type (`$cache`), filter, order and sort key.
macro_rules! item {
    ($cache:ident, $model:ident, $filter:ident, $sort_key:ident) => {
        impl<C> Item for ($cache, std::marker::PhantomData<fn(C)>)
        where
            C: Connection + 'static,
            $model: ModelQueries<C> + UpdateQuery<C, diesel::dsl::Eq<active_items::price, i32>>,
        {
            type Conn = C;
            fn page(
                &self,
                conn: &mut C,
                page: i64,
                keyset: bool,
            ) -> cache_diesel::Result<Vec<(i32, i32)>> {
                let filter = $filter::default().is_active(true).limit(PAGE);
                // (Page `page` starts after the active id `2 * PAGE * page - 1`.)
                let filter = match keyset {
                    true if page > 0 => filter.after($sort_key {
                        id: (2 * PAGE * page - 1) as i32,
                    }),
                    true => filter,
                    false => filter.offset(PAGE * page),
                };
                let rows = self.0.all(conn, None, filter)?;
                Ok(rows.iter().map(|r| (r.id, r.price)).collect())
            }
            fn detail(&self, conn: &mut C, id: i32) -> cache_diesel::Result<i32> {
                Ok(self.0.get(conn, id)?.price)
            }
            fn write(&self, conn: &mut C, id: i32, price: i32) -> cache_diesel::Result<bool> {
                let row = self.0.update(conn, id, active_items::price.eq(price))?;
                Ok(row.is_some())
            }
        }
    };
}
item!(IdItemCache, IdItem, IdItemFilter, IdItemSortKey);
item!(RowItemCache, RowItem, RowItemFilter, RowItemSortKey);

/// One read: when it began, how many queries it ran, what it served.
struct Read {
    began_us: u64,
    queries: usize,
    page: bool,
    rows: Vec<(i32, i32)>,
}

/// What one phase measured.
#[derive(Default)]
struct Outcome {
    reads: usize,
    page_reads: usize,
    page_hits: usize,
    detail_reads: usize,
    detail_hits: usize,
    db_rows: Option<u64>,
    writes: usize,
    write_us: Vec<u64>,
    stale: usize,
    seconds: f64,
}

impl Outcome {
    fn page_hit_rate(&self) -> f64 {
        self.page_hits as f64 / self.page_reads.max(1) as f64
    }

    fn reads_per_s(&self) -> f64 {
        self.reads as f64 / self.seconds
    }

    fn db_rows_per_s(&self) -> String {
        match self.db_rows {
            Some(n) => format!("{:.0}", n as f64 / self.seconds),
            None => "na".into(),
        }
    }

    fn line(&mut self, name: &str) -> String {
        self.write_us.sort_unstable();
        let write_p50 = self.write_us.get(self.write_us.len() / 2).copied();
        format!(
            "{name}: reads_per_s={:.0} page_reads={} detail_reads={} page_hit_rate={:.3} detail_hit_rate={:.3} db_rows_read_per_s={} writes_per_s={:.0} write_p50_us={} stale_reads={}",
            self.reads_per_s(),
            self.page_reads,
            self.detail_reads,
            self.page_hit_rate(),
            self.detail_hits as f64 / self.detail_reads.max(1) as f64,
            self.db_rows_per_s(),
            self.writes as f64 / self.seconds,
            write_p50.unwrap_or(0),
            self.stale,
        )
    }
}

fn cache_for(kind: &str, prefix: &str) -> Cache {
    let url = match kind {
        "dummy" => "dummy://".to_owned(),
        "redis" => services::redis_url().expect("Redis reachable"),
        "tiered" => services::tiered_url().expect("Redis reachable"),
        _ => "memory://?max_bytes=512m".to_owned(),
    };
    let mut cfg = CacheConfig::from_url(&url).expect("cache URL");
    cfg.key_prefix = prefix.to_owned();
    // (One program writes and reads: no older binary's writes to settle
    // for, see `schema_settle`.)
    cfg.schema_settle = std::time::Duration::ZERO;
    Cache::new(cfg).expect("cache")
}

fn seed<C: Connection>(conn: &mut C, auto_increment: &str) {
    conn.batch_execute(&format!(
        "CREATE TABLE active_items (id INTEGER PRIMARY KEY {auto_increment}, \
         title VARCHAR(32) NOT NULL, price INTEGER NOT NULL, is_active BOOLEAN NOT NULL); \
         CREATE INDEX active_items_by_active ON active_items (is_active, id)"
    ))
    .expect("DDL");
    let ids: Vec<i32> = (1..=ROWS).collect();
    for chunk in ids.chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|id| format!("({id}, 'item {id}', 0, {})", id % 2 == 1))
            .collect();
        conn.batch_execute(&format!(
            "INSERT INTO active_items (id, title, price, is_active) VALUES {}",
            values.join(", ")
        ))
        .expect("seed rows");
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// PostgreSQL's count of the rows read from the table so far.
fn pg_rows_read(conn: &mut PgConnection) -> Option<u64> {
    // (Counters reach the view when backends report them.)
    std::thread::sleep(Duration::from_millis(1500));
    let sql = "SELECT (COALESCE(SUM(idx_tup_fetch), 0) + COALESCE(SUM(seq_tup_read), 0))::bigint \
               AS n FROM pg_stat_user_tables \
               WHERE relname = 'active_items' AND schemaname = current_schema()";
    let n: Count = diesel::sql_query(sql).get_result(conn).ok()?;
    Some(n.n as u64)
}

/// MariaDB's count of the rows read so far (`Rows_read`: every table).
fn mysql_rows_read(conn: &mut MysqlConnection) -> Option<u64> {
    let sql = "SELECT CAST(VARIABLE_VALUE AS SIGNED) AS n FROM information_schema.GLOBAL_STATUS \
               WHERE VARIABLE_NAME = 'ROWS_READ'";
    let n: Count = diesel::sql_query(sql).get_result(conn).ok()?;
    Some(n.n as u64)
}

fn read_loop<I: Item>(
    item: &I,
    conn: &mut I::Conn,
    queries: &AtomicUsize,
    until: Instant,
) -> Vec<Read> {
    let mut reads = Vec::new();
    while Instant::now() < until {
        let began_us = now_us();
        let before = queries.load(Ordering::Relaxed);
        let page = rand::random_bool(0.5);
        let served = match page {
            true => item.page(conn, rand::random_range(0..PAGES), rand::random_bool(0.5)),
            false => {
                let id = rand::random_range(1..=ROWS);
                item.detail(conn, id).map(|price| vec![(id, price)])
            }
        };
        match served {
            Ok(rows) => reads.push(Read {
                began_us,
                queries: queries.load(Ordering::Relaxed) - before,
                page,
                rows,
            }),
            Err(e) => eprintln!("read failed: {e}"),
        }
    }
    reads
}

/// Reads every page (by offset and by keyset) and every row once: the
/// cache as a long-running service has it, before the window.
fn warm<I: Item>(item: &I, conn: &mut I::Conn) {
    for page in 0..PAGES {
        for keyset in [false, true] {
            let _ = item.page(conn, page, keyset);
        }
    }
    for id in 1..=ROWS {
        let _ = item.detail(conn, id);
    }
}

/// Writes random rows' prices (each one more than the row's last) until
/// `until`; returns each write's (id, price, returned at, took).
fn write_loop<I: Item>(
    item: &I,
    conn: &mut I::Conn,
    prices: &mut HashMap<i32, i32>,
    per_s: f64,
    until: Instant,
) -> Vec<(i32, i32, u64, u64)> {
    let mut writes = Vec::new();
    if per_s <= 0.0 {
        return writes;
    }
    let period = Duration::from_secs_f64(1.0 / per_s);
    let mut next = Instant::now();
    // (A writer behind its pace stops with the readers: the line says how
    // many writes it made.)
    while next < until && Instant::now() < until {
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        next += period;
        let id = rand::random_range(1..=ROWS);
        let price = prices.get(&id).copied().unwrap_or(0) + 1;
        let began = Instant::now();
        match item.write(conn, id, price) {
            Ok(true) => {
                prices.insert(id, price);
                writes.push((id, price, now_us(), began.elapsed().as_micros() as u64));
            }
            Ok(false) => eprintln!("row {id} vanished"),
            Err(e) => eprintln!("write failed: {e}"),
        }
    }
    writes
}

/// A served price older than the last write of its row that returned
/// before the read began.
fn stale_reads(reads: &[Read], writes: &[(i32, i32, u64, u64)]) -> usize {
    let mut by_row: HashMap<i32, Vec<(u64, i32)>> = HashMap::new();
    for &(id, price, returned_us, _) in writes {
        by_row.entry(id).or_default().push((returned_us, price));
    }
    let required = |id: i32, began_us: u64| {
        let ws = by_row.get(&id).map_or(&[][..], Vec::as_slice);
        let done = ws.partition_point(|(at, _)| *at < began_us);
        done.checked_sub(1).map_or(i32::MIN, |i| ws[i].1)
    };
    reads
        .iter()
        .filter(|r| {
            r.rows
                .iter()
                .any(|&(id, price)| price < required(id, r.began_us))
        })
        .count()
}

/// The database's count of rows read so far (`None`: not counted).
type RowsRead<'a> = &'a dyn Fn() -> Option<u64>;

/// One phase: readers and the writer on `item` for `args.seconds`.
fn phase<C, I>(
    (open, rows_read): (&dyn Fn() -> C, RowsRead<'_>),
    item: &I,
    cache: &Cache,
    prices: &mut HashMap<i32, i32>,
    args: &Args,
) -> Outcome
where
    C: Connection + Send + 'static,
    I: Item<Conn = C>,
{
    let mut writer = open();
    writer.set_instrumentation(CacheTracking::for_connection::<C>().for_caches([cache.clone()]));
    if args.warm {
        warm(item, &mut open());
    }
    let rows_before = rows_read();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(args.seconds);
    let (reads, writes) = std::thread::scope(|s| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let mut conn = open();
                let queries = Arc::new(AtomicUsize::new(0));
                conn.set_instrumentation(query_counter(queries.clone()));
                s.spawn(move || read_loop(item, &mut conn, &queries, until))
            })
            .collect();
        let writes = write_loop(item, &mut writer, prices, args.writes_per_s, until);
        let reads: Vec<Read> = readers
            .into_iter()
            .flat_map(|h| h.join().expect("reader"))
            .collect();
        (reads, writes)
    });
    // (The readers' window: their last reads end just after it.)
    let seconds = until.duration_since(started).as_secs_f64();
    let db_rows = rows_read()
        .zip(rows_before)
        .map(|(after, before)| after.saturating_sub(before));
    let _ = cache.clear();
    let mut out = Outcome {
        reads: reads.len(),
        db_rows,
        writes: writes.len(),
        write_us: writes.iter().map(|w| w.3).collect(),
        stale: stale_reads(&reads, &writes),
        seconds,
        ..Outcome::default()
    };
    for read in &reads {
        let hit = usize::from(read.queries == 0);
        match read.page {
            true => (out.page_reads, out.page_hits) = (out.page_reads + 1, out.page_hits + hit),
            false => {
                (out.detail_reads, out.detail_hits) = (out.detail_reads + 1, out.detail_hits + hit)
            }
        }
    }
    out
}

/// The median time of a warm page hit of `item`, over 5 rounds of `n`
/// (`--page-hits`).
fn page_hit_ns<I: Item>(item: &I, conn: &mut I::Conn, n: usize) -> u128 {
    warm(item, conn);
    page_hits(item, conn, n)
}

/// [`page_hit_ns`] once warm (apart, to count under callgrind with
/// `--toggle-collect='active_list::page_hits*'`).
#[inline(never)]
fn page_hits<I: Item>(item: &I, conn: &mut I::Conn, n: usize) -> u128 {
    let mut rounds: Vec<u128> = (0..5)
        .map(|_| {
            let started = Instant::now();
            for i in 0..n {
                let page = (i as i64 * 37) % PAGES;
                std::hint::black_box(item.page(conn, page, i % 2 == 1).expect("page"));
            }
            started.elapsed().as_nanos() / n.max(1) as u128
        })
        .collect();
    rounds.sort_unstable();
    rounds[2]
}

/// The three phases on one database: (ids, rows, uncached).
fn phases<C>(open: &dyn Fn() -> C, rows_read: RowsRead<'_>, args: &Args) -> [Outcome; 3]
where
    C: Connection + Send + 'static,
    IdItem: ModelQueries<C> + UpdateQuery<C, diesel::dsl::Eq<active_items::price, i32>>,
    RowItem: ModelQueries<C> + UpdateQuery<C, diesel::dsl::Eq<active_items::price, i32>>,
{
    let mut prices = HashMap::new();
    let marker = std::marker::PhantomData;
    let cache = cache_for(&args.cache, &unique::prefix("active_ids"));
    let on = (open, rows_read);
    let ids = phase(
        on,
        &(IdItemCache::new(cache.clone()), marker),
        &cache,
        &mut prices,
        args,
    );
    let cache = cache_for(&args.cache, &unique::prefix("active_rows"));
    let rows = phase(
        on,
        &(RowItemCache::new(cache.clone()), marker),
        &cache,
        &mut prices,
        args,
    );
    let cache = cache_for("dummy", &unique::prefix("active_none"));
    let none = phase(
        on,
        &(RowItemCache::new(cache.clone()), marker),
        &cache,
        &mut prices,
        args,
    );
    [ids, rows, none]
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(n) = args.page_hits {
        let mut test = db::sqlite_file("active_list");
        seed(&mut test.conn, "");
        let marker = std::marker::PhantomData;
        let cache = cache_for(&args.cache, &unique::prefix("active_hits"));
        let ids = page_hit_ns(
            &(IdItemCache::new(cache.clone()), marker),
            &mut test.another(),
            n,
        );
        let rows = page_hit_ns(&(RowItemCache::new(cache), marker), &mut test.another(), n);
        println!("page_hit_ns={ids} whole_rows_page_hit_ns={rows}");
        return ExitCode::SUCCESS;
    }
    let [mut ids, mut rows, mut none] = match args.db.as_str() {
        "sqlite" => {
            let mut test = db::sqlite_file("active_list");
            seed(&mut test.conn, "");
            phases(&|| test.another(), &|| None, &args)
        }
        "postgres" => {
            let mut test = db::postgres("active_list").expect("PostgreSQL reachable");
            seed(&mut test.conn, "");
            let stats = std::sync::Mutex::new(test.another());
            let rows_read = || pg_rows_read(&mut stats.lock().expect("stats"));
            phases(&|| test.another(), &rows_read, &args)
        }
        _ => {
            let mut test = db::mysql_with("active_list", &[]).expect("MySQL reachable");
            seed(&mut test.conn, "AUTO_INCREMENT");
            let stats = std::sync::Mutex::new(test.another());
            let rows_read = || mysql_rows_read(&mut stats.lock().expect("stats"));
            phases(&|| test.another(), &rows_read, &args)
        }
    };
    println!("{}", ids.line("ids"));
    println!("{}", rows.line("rows"));
    println!("{}", none.line("uncached"));
    let stale = ids.stale + rows.stale + none.stale;
    println!(
        "page_hit_rate={:.3} db_rows_read_per_s={} reads_per_s={:.0} stale_reads={stale} reads_per_s_uncached={:.0} whole_rows_page_hit_rate={:.3} whole_rows_db_rows_read_per_s={} whole_rows_reads_per_s={:.0}",
        ids.page_hit_rate(),
        ids.db_rows_per_s(),
        ids.reads_per_s(),
        none.reads_per_s(),
        rows.page_hit_rate(),
        rows.db_rows_per_s(),
        rows.reads_per_s(),
    );
    if stale > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
