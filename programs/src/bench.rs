//! What the `compare` program measures with: the benchmark tables (10,000
//! products with a timestamp, a text, a bool and a category), timing, and
//! medians and p99s.

use cache_diesel::Cached;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

diesel::table! {
    bench_categories (id) {
        id -> Integer,
        name -> Text,
    }
}

diesel::table! {
    bench_products (id) {
        id -> Integer,
        title -> Text,
        created_at -> Timestamp,
        is_active -> Bool,
        category_id -> Integer,
    }
}

diesel::table! {
    bench_reviews (id) {
        id -> Integer,
        product_id -> Integer,
        body -> Text,
    }
}

diesel::joinable!(bench_products -> bench_categories (category_id));
diesel::joinable!(bench_reviews -> bench_products (product_id));
diesel::allow_tables_to_appear_in_same_query!(bench_products, bench_categories, bench_reviews);

/// A category.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = bench_categories)]
pub struct BenchCategory {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// The same products with their category joined and their reviews prefetched.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = bench_products, belongs_to(BenchCategory, foreign_key = category_id))]
#[cache(
    key = "bench_product_full",
    select_related(bench_category),
    prefetch(reviews(BenchReview)),
    detail_timeout = 3600
)]
pub struct BenchProductFull {
    /// Primary key.
    pub id: i32,
    /// A title.
    pub title: String,
    /// A timestamp.
    pub created_at: NaiveDateTime,
    /// A flag.
    pub is_active: bool,
    /// The category.
    pub category_id: i32,
}

/// A review of a product (three for each of the first 100).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = bench_reviews, belongs_to(BenchProductFull, foreign_key = product_id))]
pub struct BenchReview {
    /// Primary key.
    pub id: i32,
    /// The product.
    pub product_id: i32,
    /// Text.
    pub body: String,
}

/// A benchmark product.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = bench_products)]
#[cache(filter(category_id), list_timeout = 3600, detail_timeout = 3600)]
pub struct BenchProduct {
    /// Primary key.
    pub id: i32,
    /// A title.
    pub title: String,
    /// A timestamp.
    pub created_at: NaiveDateTime,
    /// A flag.
    pub is_active: bool,
    /// Category 1 holds 100 products, category 2 holds 1,000.
    pub category_id: i32,
}

/// Rows in `bench_products`.
pub const PRODUCTS: i32 = 10_000;

/// DDL for the backend of `C` (generated keys and timestamps are spelled
/// per backend).
pub fn ddl<C: Connection>() -> String {
    let (id, timestamp) = match std::any::type_name::<C::Backend>().rsplit("::").next() {
        Some("Pg") => ("SERIAL PRIMARY KEY", "TIMESTAMP"),
        Some("Mysql") => ("INTEGER PRIMARY KEY AUTO_INCREMENT", "DATETIME"),
        _ => ("INTEGER PRIMARY KEY", "TIMESTAMP"),
    };
    format!(
        "CREATE TABLE bench_categories (id {id}, name TEXT NOT NULL);
         CREATE TABLE bench_products (id {id}, title TEXT NOT NULL, created_at {timestamp} NOT NULL,
             is_active BOOLEAN NOT NULL, category_id INTEGER NOT NULL REFERENCES bench_categories (id));
         CREATE INDEX bench_products_category ON bench_products (category_id);
         CREATE TABLE bench_reviews (id {id}, product_id INTEGER NOT NULL, body TEXT NOT NULL);
         CREATE INDEX bench_reviews_product ON bench_reviews (product_id);"
    )
}

/// The category of product `i` (1-based): 100 in category 1, 1,000 in 2,
/// the rest spread over 3..=50.
pub fn category_of(i: i32) -> i32 {
    match i {
        1..=100 => 1,
        101..=1100 => 2,
        _ => 3 + i % 48,
    }
}

/// `INSERT` statements for the data, 1,000 rows each.
pub fn seed_sql() -> Vec<String> {
    let mut out = vec![format!(
        "INSERT INTO bench_categories (id, name) VALUES {}",
        (1..=50)
            .map(|c| format!("({c}, 'category {c}')"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    out.push(format!(
        "INSERT INTO bench_reviews (id, product_id, body) VALUES {}",
        (1..=300)
            .map(|r| format!("({r}, {}, 'Review {r}: good')", 1 + (r - 1) / 3))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for chunk in (1..=PRODUCTS).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({i}, 'Product number {i} with a longer title', '2024-{:02}-{:02} 12:{:02}:{:02}', {}, {})",
                    1 + i % 12,
                    1 + i % 28,
                    i % 60,
                    (i * 7) % 60,
                    if i % 3 == 0 { "false" } else { "true" },
                    category_of(*i)
                )
            })
            .collect();
        out.push(format!(
            "INSERT INTO bench_products (id, title, created_at, is_active, category_id) VALUES {}",
            rows.join(", ")
        ));
    }
    out
}

/// Median and p99 of some timings, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// The median.
    pub median_ns: f64,
    /// The 99th percentile.
    pub p99_ns: f64,
    /// How many timings.
    pub samples: usize,
}

/// Rounds of [`measure_side_by_side`].
pub const ROUNDS: usize = 10;

/// Times `K` operations side by side: `op(k, i)` runs operation `k` for
/// the `i`th time. After `n / 10` warm-up runs of each, the `n` timed runs
/// of each go in [`ROUNDS`] rounds, every round running a block of each
/// operation in turn: a change in the machine's speed during the run hits
/// every operation alike (their ratio holds), while each block still runs
/// with its own data warm in the CPU caches, as a loop of it would.
pub fn measure_side_by_side<const K: usize>(
    n: usize,
    op: impl FnMut(usize, usize),
) -> [Summary; K] {
    measure_side_by_side_grouped(n, 1, op)
}

/// [`measure_side_by_side`] with one clock read around every `group`
/// consecutive runs of an operation, each sample their mean: for
/// operations of tens of nanoseconds, which a clock pair around each run
/// would lengthen by its own ~20 ns (`timer_ns`) and round to the clock's
/// steps. A sample's mean hides a slow run among its `group`: read the
/// p99 of such a figure as that of means.
pub fn measure_side_by_side_grouped<const K: usize>(
    n: usize,
    group: usize,
    mut op: impl FnMut(usize, usize),
) -> [Summary; K] {
    for k in 0..K {
        for i in 0..n / 10 {
            op(k, i);
        }
    }
    timed_in_blocks(n, n.div_ceil(ROUNDS), group, || {}, op)
}

/// [`measure_side_by_side`] with every operation's data cold: no warm-up,
/// and the CPU caches flushed (a write to every line of 128 MiB) before each block of
/// `block` runs of each operation. `op(k, i)` should touch data no earlier
/// run touched (a new key each time), or it will find it warm.
pub fn measure_cold_side_by_side<const K: usize>(
    n: usize,
    block: usize,
    op: impl FnMut(usize, usize),
) -> [Summary; K] {
    let mut sweep = vec![0u8; EVICTING_BYTES];
    timed_in_blocks(n, block, 1, || evict_cpu_caches(&mut sweep), op)
}

/// More than the last-level cache of any machine this runs on.
const EVICTING_BYTES: usize = 128 << 20;

/// Writes a line of every 64 bytes of `sweep` (larger than the CPU's
/// caches): whatever was cached before is out.
fn evict_cpu_caches(sweep: &mut [u8]) {
    for line in sweep.chunks_mut(64) {
        line[0] = line[0].wrapping_add(1);
    }
    std::hint::black_box(&sweep);
}

/// The `n` timed runs of each of `K` operations, in blocks of `block` of
/// each in turn, `before` run before every block; each sample the mean of
/// `group` consecutive runs, timed together.
fn timed_in_blocks<const K: usize>(
    n: usize,
    block: usize,
    group: usize,
    mut before: impl FnMut(),
    mut op: impl FnMut(usize, usize),
) -> [Summary; K] {
    let group = group.max(1);
    let block = block.max(1).next_multiple_of(group);
    let mut ns: [Vec<f64>; K] = std::array::from_fn(|_| Vec::with_capacity(n / group));
    for start in (0..n).step_by(block) {
        let runs = start..(start + block).min(n);
        for (k, timings) in ns.iter_mut().enumerate() {
            before();
            for runs in runs
                .clone()
                .step_by(group)
                .map(|i| i..(i + group).min(runs.end))
            {
                let count = runs.len() as f64;
                let t = Instant::now();
                for i in runs {
                    op(k, i);
                }
                timings.push(t.elapsed().as_nanos() as f64 / count);
            }
        }
    }
    ns.map(|mut ns| {
        ns.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| ns[((ns.len() as f64 - 1.0) * q).round() as usize];
        Summary {
            median_ns: at(0.5),
            p99_ns: at(0.99),
            samples: ns.len(),
        }
    })
}
