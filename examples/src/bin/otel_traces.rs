//! The cache's `tracing` spans sent to OpenTelemetry: a
//! `tracing-subscriber` registry with `tracing-opentelemetry`'s layer over
//! an OpenTelemetry SDK tracer provider, here with the stdout exporter (it
//! prints each span as it ends; nothing to install). On a model of orders
//! (SQLite in memory + the in-process cache): a miss, a hit, a list's
//! miss, an update (a hook write: its `cache.invalidate`), then a hit (the
//! row the update put in place) and the list's miss again (the update
//! invalidated the lists). Each step is a `request` span of the
//! application's, so the cache's spans are its children, in its trace:
//!
//! - a miss: `cache.miss` (`source`, `kind`, `key`, `outcome`), holding
//!   `cache.query` (the database) and `cache.fill` (`cache.lease_wait` too
//!   when it waits on another process's fill);
//! - a hit: no span of the cache's (the `request` alone, with the
//!   `cache hit` event the cache logs at `DEBUG`);
//! - a hook write: `cache.invalidate` (`model`, `why`, `tags`).
//!
//! `cargo run -p cache-examples --bin otel_traces`
//!
//! `RUST_LOG` chooses the spans (default: the cache's at `DEBUG`, so
//! with the inner ones; `RUST_LOG=info` keeps `cache.miss` and
//! `cache.invalidate` alone).
//!
//! To Jaeger, Tempo or any OpenTelemetry collector, over OTLP/HTTP (no
//! gRPC, no Tokio needed), swap the exporter for `opentelemetry-otlp`'s:
//!
//! ```toml
//! opentelemetry-otlp = { version = "0.33", default-features = false, features = ["trace", "http-proto", "reqwest-blocking-client"] }
//! ```
//!
//! ```text
//! let exporter = opentelemetry_otlp::SpanExporter::builder()
//!     .with_http() // OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318
//!     .build()?;
//! let provider = SdkTracerProvider::builder()
//!     .with_resource(resource)
//!     .with_batch_exporter(exporter) // batches on a thread of its own
//!     .build();
//! ```
//!
//! then e.g. `docker run -p 16686:16686 -p 4318:4318 jaegertracing/jaeger`
//! and the traces are at <http://localhost:16686>, service `otel_traces`.

use cache_diesel::Cached;
use cache_examples::CountedSqlite;
use diesel::prelude::*;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

diesel::table! {
    orders (id) {
        id -> Integer,
        customer -> Text,
        status -> Text,
    }
}

/// An order, cached by id and in lists by status.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = orders)]
#[cache(detail_timeout = 300, filter(status))]
struct Order {
    id: i32,
    customer: String,
    status: String,
}

/// The tracer provider and the subscriber that sends `tracing`'s spans to
/// it. The provider is returned to be shut down (flushing) at the end.
fn init_tracing() -> SdkTracerProvider {
    let resource = Resource::builder().with_service_name("otel_traces").build();
    // The simple processor exports each span as it ends (here: prints it,
    // between the steps' lines); a real exporter goes behind
    // `with_batch_exporter` instead.
    let provider = SdkTracerProvider::builder()
        .with_resource(resource)
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .build();
    let tracer = provider.tracer("otel_traces");
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,cache_core=debug,cache_diesel=debug"));
    tracing_subscriber::registry()
        .with(filter)
        // Without the code location and thread attributes, to keep the
        // printed spans short.
        .with(
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_location(false)
                .with_threads(false),
        )
        // (A `tracing_subscriber::fmt::layer()` can sit beside it, for logs.)
        .init();
    provider
}

/// Runs `f` as one of the application's requests, a span the cache's are
/// children of; its line first (`== what`), then the spans it exported.
fn step<T>(what: &str, f: impl FnOnce() -> T) -> T {
    println!("== {what}");
    tracing::info_span!("request", op = what).in_scope(f)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = init_tracing();

    let mut db = CountedSqlite::open(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, \
         status TEXT NOT NULL)",
    )?;
    // (SQL on a tracked connection: its invalidation is a `DEBUG` event
    // outside any span, which the OpenTelemetry layer does not export.)
    diesel::sql_query(
        "INSERT INTO orders (customer, status) VALUES \
         ('ada', 'open'), ('bob', 'open'), ('cy', 'shipped')",
    )
    .execute(&mut db.conn)?;
    let orders = Order::cache(); // over the default cache: CACHE_URL, or in-process memory
    db.queries();

    let open = || OrderFilter::default().status("open".to_owned());
    let first = step("get(1): miss", || orders.get(&mut db.conn, 1))?;
    println!("-> {} ({} queries)", first.customer, db.queries());
    let first = step("get(1): hit", || orders.get(&mut db.conn, 1))?;
    println!("-> {} ({} queries)", first.customer, db.queries());
    let list = step("all(open): miss", || {
        orders.all(&mut db.conn, Some("open"), open())
    })?;
    println!("-> {} rows ({} queries)", list.len(), db.queries());
    let updated = step("update(1): the hook invalidates", || {
        orders.update(&mut db.conn, 1, orders::status.eq("shipped"))
    })?;
    println!(
        "-> {:?} ({} queries)",
        updated.map(|o| o.status),
        db.queries()
    );
    let first = step("get(1): hit, the row the update wrote", || {
        orders.get(&mut db.conn, 1)
    })?;
    println!("-> {} ({} queries)", first.status, db.queries());
    let list = step("all(open): miss, the update invalidated the lists", || {
        orders.all(&mut db.conn, Some("open"), open())
    })?;
    println!("-> {} rows ({} queries)", list.len(), db.queries());

    // Exports what is still buffered (a batch exporter's last spans) and
    // stops the exporter.
    provider.shutdown()?;
    Ok(())
}
