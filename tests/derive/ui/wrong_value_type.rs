use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(list_timeout = "one day", key = 5)]
pub struct Item {
    pub id: i32,
}

fn main() {}
