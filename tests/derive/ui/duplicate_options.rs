use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer, shelf -> Integer, kind -> Integer } }

// A list option (`filter`, `unique`, `order_by`) may repeat, its columns
// adding up; any other option given twice is an error at the second.
#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(
    filter(shelf),
    filter(kind),
    list_timeout = 5,
    list_timeout = 6,
    refresh = "inline",
    refresh = "background",
    prefetch_for_list = true,
    prefetch_for_list = false
)]
pub struct Item {
    pub id: i32,
    pub shelf: i32,
    pub kind: i32,
}

fn main() {
    let _ = ItemFilter::default().shelf(1).kind(2);
}
