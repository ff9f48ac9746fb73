//! An HTTP service over cached authors and books (axum, an r2d2 pool of
//! tracked Diesel connections): lists with filters, details, writes that
//! invalidate, `/stats` showing the statements run and the managers'
//! hits and misses, and `/metrics` for Prometheus to scrape (the
//! managers' counters and read latencies, through
//! `metrics-exporter-prometheus`).
//!
//! `cargo run -p cache-examples --bin rest_service [-- --port 8080] [--async]`: SQLite
//! in memory + the in-process cache. With
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` and
//! `CACHE_URL=redis://127.0.0.1:6379/?prefix=rest`: PostgreSQL + Redis
//! (`DATABASE_URL` set to a path: SQLite in that file). The port comes from
//! `--port` or `PORT` (default 3000; 0 picks a free one); the first line
//! printed is `listening on http://127.0.0.1:<port>`. Logs go to stderr
//! (`RUST_LOG`, default `warn`). `--async`: the same service on
//! diesel-async (a deadpool of `AsyncPgConnection`s or of SQLite behind
//! `SyncConnectionWrapper`) and the managers' async API, instead of an r2d2
//! pool and the sync API on tokio's blocking threads.

#[cfg(feature = "metrics")]
use axum::routing::{MethodRouter, get};
use cache_diesel::Cache;
use cache_examples::rest::{async_store, routes, store};
#[cfg(feature = "metrics")]
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::error::Error;
use tracing_subscriber::EnvFilter;

/// The port from `--port N` (or `--port=N`), else `PORT`, else 3000; and
/// whether `--async` was given.
fn args() -> Result<(u16, bool), Box<dyn Error + Send + Sync>> {
    let mut args = std::env::args().skip(1);
    let mut given = std::env::var("PORT").ok();
    let mut is_async = false;
    while let Some(arg) = args.next() {
        match arg.strip_prefix("--port") {
            _ if arg == "--async" => is_async = true,
            Some("") => given = args.next(),
            Some(value) if value.starts_with('=') => given = Some(value[1..].to_owned()),
            _ => {
                return Err(format!(
                    "unknown argument {arg:?}; usage: rest_service [--port N] [--async]"
                )
                .into());
            }
        }
    }
    let port = given.as_deref().unwrap_or("3000");
    let port = port.parse().map_err(|e| format!("port {port:?}: {e}"))?;
    Ok((port, is_async))
}

fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let (port, is_async) = args()?;
    // Before the first `Model::cache()`: the managers take their metric
    // handles from the recorder installed then.
    #[cfg(feature = "metrics")]
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    let cache = Cache::from_env()?;
    let database_url = std::env::var("DATABASE_URL").ok();
    tokio::runtime::Runtime::new()?.block_on(async move {
        let store = if is_async {
            async_store::open_async(database_url.as_deref(), cache).await?
        } else {
            store::open(database_url.as_deref(), cache)?
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on http://{}", listener.local_addr()?);
        let app = routes::router(store);
        #[cfg(feature = "metrics")]
        let app = app.route("/metrics", metrics_route(prometheus));
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// `GET /metrics`: what the recorder holds, in Prometheus's text format;
/// and a task that drains its histograms every five seconds.
#[cfg(feature = "metrics")]
fn metrics_route(prometheus: PrometheusHandle) -> MethodRouter {
    let upkeep = prometheus.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    get(move || std::future::ready(prometheus.render()))
}
