//! The quickstart on the async API: the same model, read and written with
//! `get_async`, `all_async` and `update_async` on a diesel-async connection
//! (SQLite in memory behind diesel-async's `SyncConnectionWrapper`; an
//! `AsyncPgConnection` works the same with the `async-postgres` feature),
//! over the in-process cache. Nothing blocks the runtime: the cache's I/O
//! is non-blocking (Redis through a multiplexed connection), SQLite runs on
//! the wrapper's blocking thread.
//!
//! `cargo run -p cache-examples --bin async_quickstart`

use cache_diesel::{CacheTracking, Cached};
use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

diesel::table! {
    products (id) {
        id -> Integer,
        title -> Text,
        is_active -> Bool,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(list_timeout = 86400, detail_timeout = 60, filter(is_active))]
struct Product {
    id: i32,
    title: String,
    is_active: bool,
}

#[derive(Insertable)]
#[diesel(table_name = products)]
struct NewProduct {
    title: String,
    is_active: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), cache_diesel::Error> {
    let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(":memory:")
        .await
        .expect("SQLite in memory");
    conn.batch_execute(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL, is_active BOOLEAN NOT NULL)",
    )
    .await?;
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = queries.clone();
    let count = move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    };
    // Tracked, as every connection that writes should be
    // (`cache_diesel::track_async(&mut conn)` installs the tracker alone;
    // here the query counter goes beside it).
    type Conn = SyncConnectionWrapper<SqliteConnection>;
    conn.set_instrumentation(CacheTracking::for_async_connection::<Conn>().with(count));
    let ran = || queries.swap(0, Ordering::Relaxed);

    let products = Product::cache();
    let new = ["Tea", "Coffee"].map(|title| NewProduct {
        title: title.to_owned(),
        is_active: true,
    });
    let inserted = products
        .insert_many_async(&mut conn, Vec::from(new))
        .await?;
    println!("inserted {} products ({} queries)", inserted.len(), ran());

    let tea = products.get_async(&mut conn, 1).await?;
    println!(
        "get_async(1)    -> {:<12} database queries: {} (miss)",
        tea.title,
        ran()
    );
    let tea = products.get_async(&mut conn, 1).await?;
    println!(
        "get_async(1)    -> {:<12} database queries: {} (hit)",
        tea.title,
        ran()
    );

    let active = ProductFilter::default().is_active(true);
    let list = products.all_async(&mut conn, None, active.clone()).await?;
    println!(
        "all_async       -> {} rows       database queries: {} (miss)",
        list.len(),
        ran()
    );
    let list = products.all_async(&mut conn, None, active).await?;
    println!(
        "all_async       -> {} rows       database queries: {} (hit)",
        list.len(),
        ran()
    );

    let updated = products
        .update_async(&mut conn, 1, products::title.eq("Green tea"))
        .await?;
    println!(
        "update_async(1) -> {:<12} database queries: {} (UPDATE .. RETURNING; the row put in place)",
        updated.map_or_else(|| "no such row".to_owned(), |p| p.title),
        ran()
    );
    let tea = products.get_async(&mut conn, 1).await?;
    println!(
        "get_async(1)    -> {:<12} database queries: {} (hit: the row the update wrote)",
        tea.title,
        ran()
    );
    Ok(())
}
