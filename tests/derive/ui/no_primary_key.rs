use serde::{Deserialize, Serialize};

diesel::table! { items (code) { code -> Text, name -> Text } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(unique(name))]
pub struct Item {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
pub struct Bare {
    pub code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items, primary_key(item_code))]
pub struct Misnamed {
    pub code: String,
}

fn main() {
    let _ = ItemCache::new(cache_diesel::Cache::from_url("memory://").unwrap());
    let _ = ItemUnique::Name(String::new());
    let _ = Bare::cache();
    let _ = Misnamed::cache();
}
