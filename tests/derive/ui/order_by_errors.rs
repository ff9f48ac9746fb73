// order_by on a nullable column, on a missing field, and a filter column
// that would shadow the filter's own `limit`: three errors, at once.
use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer, rank -> Nullable<Integer>, limit -> Integer, } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(order_by(rank, score), filter(limit))]
pub struct Item {
    pub id: i32,
    pub rank: Option<i32>,
    pub limit: i32,
}

fn main() {}
