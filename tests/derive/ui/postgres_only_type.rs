// A PostgreSQL-only column type (an array) with cache-diesel's `sqlite`
// feature on too: among Diesel's errors, one names the feature to turn off.
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { tagged (id) { id -> Integer, tags -> Array<Text>, } }

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = tagged)]
pub struct Tagged {
    pub id: i32,
    pub tags: Vec<String>,
}

fn main() {}
