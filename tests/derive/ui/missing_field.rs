use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer, slug -> Text } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(unique(sulg), filter(colour))]
pub struct Item {
    pub id: i32,
    pub slug: String,
}

fn main() {}
