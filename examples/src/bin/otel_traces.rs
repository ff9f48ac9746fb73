//! The cache's `tracing` spans sent to OpenTelemetry: a
//! `tracing-subscriber` registry with `tracing-opentelemetry`'s layer over
//! an OpenTelemetry SDK tracer provider, here with the stdout exporter (it
//! prints each span as it ends; nothing to install). On the quickstart's
//! model (SQLite in memory + the in-process cache): a miss, a hit, a list's
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
    products (id) {
        id -> Integer,
        title -> Text,
        is_active -> Bool,
        category_id -> Integer,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(
    list_timeout = 86400,
    detail_timeout = 60,
    filter(is_active, category_id)
)]
struct Product {
    id: i32,
    title: String,
    is_active: bool,
    category_id: i32,
}

#[derive(Insertable)]
#[diesel(table_name = products)]
struct NewProduct<'a> {
    title: &'a str,
    is_active: bool,
    category_id: i32,
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
        "CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         is_active BOOLEAN NOT NULL, category_id INTEGER NOT NULL)",
    )?;
    let products = Product::cache(); // over the default cache: CACHE_URL, or in-process memory
    let new = [("Tea", true, 1), ("Coffee", true, 1), ("Cocoa", false, 2)].map(
        |(title, is_active, category_id)| NewProduct {
            title,
            is_active,
            category_id,
        },
    );
    // (Its `cache.invalidate`, why `insert`, is printed before the steps.)
    products.insert_many(&mut db.conn, Vec::from(new))?;
    db.queries();

    let active = ProductFilter::default().is_active(true);
    let tea = step("get(1): miss", || products.get(&mut db.conn, 1))?;
    println!("-> {} ({} queries)", tea.title, db.queries());
    let tea = step("get(1): hit", || products.get(&mut db.conn, 1))?;
    println!("-> {} ({} queries)", tea.title, db.queries());
    let list = step("all(active): miss", || {
        products.all(&mut db.conn, Some("active"), active.clone())
    })?;
    println!("-> {} rows ({} queries)", list.len(), db.queries());
    let updated = step("update(1): the hook invalidates", || {
        products.update(&mut db.conn, 1, products::title.eq("Green tea"))
    })?;
    println!(
        "-> {:?} ({} queries)",
        updated.map(|p| p.title),
        db.queries()
    );
    let tea = step("get(1): hit, the row the update wrote", || {
        products.get(&mut db.conn, 1)
    })?;
    println!("-> {} ({} queries)", tea.title, db.queries());
    let list = step(
        "all(active): miss, the update invalidated the lists",
        || products.all(&mut db.conn, Some("active"), active),
    )?;
    println!("-> {} ({} queries)", list[0].title, db.queries());

    // Exports what is still buffered (a batch exporter's last spans) and
    // stops the exporter.
    provider.shutdown()?;
    Ok(())
}
