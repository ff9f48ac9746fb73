use diesel::prelude::*;

#[cache_diesel::cached_query(timeout = "soon", colour = 1)]
fn no_models(conn: &mut SqliteConnection, (a, b): (i32, i32)) -> QueryResult<i32> {
    let _ = conn;
    Ok(a + b)
}

fn main() {}
