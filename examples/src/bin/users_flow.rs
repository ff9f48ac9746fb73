//! A user's life in the cache, with the cache's own events in the log: create a
//! user, get it twice (miss, then hit), update the name (the row written
//! is put in place), get it twice (hits), delete it.
//!
//! `cargo run -p cache-examples --bin users_flow`
//! (`RUST_LOG=cache_diesel=debug` is the default filter here; set
//! `CACHE_URL=redis://127.0.0.1:6379/0?prefix=demo` to use Redis.)

use cache_diesel::Cached;
use cache_examples::CountedSqlite;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;

diesel::table! {
    users (id) {
        id -> Integer,
        name -> Text,
        email -> Text,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = users)]
#[cache(unique(email))]
struct User {
    id: i32,
    name: String,
    email: String,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    name: &'a str,
    email: &'a str,
}

fn main() -> Result<(), cache_diesel::Error> {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "cache_diesel=debug".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .without_time()
        .init();
    let mut db = CountedSqlite::open(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)",
    )?;
    let users = User::cache();
    users.cache().clear().ok();

    let id = users
        .insert(
            &mut db.conn,
            NewUser {
                name: "Ada",
                email: "ada@example.org",
            },
        )?
        .id; // the inserted row comes back (INSERT .. RETURNING)
    println!("created user {id} ({} queries)", db.queries());
    for _ in 0..2 {
        let user = users.get(&mut db.conn, id)?;
        println!(
            "get({id}) -> {} ({} database queries)",
            user.name,
            db.queries()
        );
    }
    users.update(&mut db.conn, id, users::name.eq("Ada Lovelace"))?;
    println!(
        "renamed ({} queries: on SQLite, the old email is read and the row updated in one transaction)",
        db.queries()
    );
    for _ in 0..2 {
        let user = users.get(&mut db.conn, id)?;
        println!(
            "get({id}) -> {} ({} database queries)",
            user.name,
            db.queries()
        );
    }
    users.delete(&mut db.conn, id)?;
    println!("deleted ({} queries)", db.queries());
    match users.get(&mut db.conn, id) {
        Err(e) => println!("get({id}) -> {e} ({} database queries)", db.queries()),
        Ok(user) => println!("get({id}) -> still {user:?}!"),
    }
    Ok(())
}
