//! The quickstart: a Diesel model with `#[derive(Cached)]` on the embedded
//! default (SQLite in memory + the in-process cache; nothing to install).
//! Shows a miss, a hit, an update (which puts the row it wrote in place
//! and invalidates the lists), then a hit and a list's miss, with the
//! database queries each step ran.
//!
//! `cargo run -p cache-examples --bin quickstart`

use cache_diesel::Cached;
use cache_examples::CountedSqlite;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

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

fn main() -> Result<(), cache_diesel::Error> {
    let mut db = CountedSqlite::open(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         is_active BOOLEAN NOT NULL, category_id INTEGER NOT NULL)",
    )?;
    let products = Product::cache(); // over the default cache: CACHE_URL, or in-process memory
    let rows = [("Tea", true, 1), ("Coffee", true, 1), ("Cocoa", false, 2)];
    let new: Vec<NewProduct> = rows
        .iter()
        .map(|(title, is_active, category_id)| NewProduct {
            title,
            is_active: *is_active,
            category_id: *category_id,
        })
        .collect();
    let inserted = products.insert_many(&mut db.conn, new)?; // the rows, with their new ids
    println!(
        "inserted {} products, ids {:?} ({} queries: SQLite inserts a batch row by row, INSERT .. RETURNING each, in a transaction)",
        inserted.len(),
        inserted.iter().map(|p| p.id).collect::<Vec<_>>(),
        db.queries()
    );

    let tea = products.get(&mut db.conn, 1)?;
    println!(
        "get(1)        -> {:<28} database queries: {} (miss)",
        tea.title,
        db.queries()
    );
    let tea = products.get(&mut db.conn, 1)?;
    println!(
        "get(1)        -> {:<28} database queries: {} (hit)",
        tea.title,
        db.queries()
    );

    let active = ProductFilter::default().is_active(true);
    let list = products.all(&mut db.conn, Some("active"), active.clone())?;
    println!(
        "all(active)   -> {:<28} database queries: {} (miss)",
        format!("{} rows", list.len()),
        db.queries()
    );
    let list = products.all(&mut db.conn, Some("active"), active.clone())?;
    println!(
        "all(active)   -> {:<28} database queries: {} (hit)",
        format!("{} rows", list.len()),
        db.queries()
    );

    let updated = products.update(&mut db.conn, 1, products::title.eq("Green tea"))?; // None: no row 1
    println!(
        "update(1)     -> {:<28} database queries: {} (UPDATE .. RETURNING; the row put in place)",
        updated.map_or_else(|| "no such row".to_owned(), |p| p.title),
        db.queries()
    );

    let tea = products.get(&mut db.conn, 1)?;
    println!(
        "get(1)        -> {:<28} database queries: {} (hit: the row the update wrote)",
        tea.title,
        db.queries()
    );
    let list = products.all(&mut db.conn, Some("active"), active)?;
    println!(
        "all(active)   -> {:<28} database queries: {} (miss: the update invalidated the lists)",
        list[0].title,
        db.queries()
    );
    match products.get(&mut db.conn, 42) {
        Err(e) => println!("get(42)       -> {e}"),
        Ok(p) => println!("get(42)       -> unexpectedly found {p:?}"),
    }
    println!("cache stats: {:?}", products.cache().stats());
    Ok(())
}
