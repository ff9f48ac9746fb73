// Fields whose generated variant names meet, and a nullable filter column:
// one clear error each, at once.
use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer, a_b -> Integer, a__b -> Integer, x_y -> Text, x__y -> Text, shelf -> Nullable<Integer>, } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(order_by(a_b, a__b), unique(x_y, x__y), filter(shelf))]
pub struct Item {
    pub id: i32,
    pub a_b: i32,
    pub a__b: i32,
    pub x_y: String,
    pub x__y: String,
    pub shelf: Option<i32>,
}

fn main() {
    let _ = ItemOrder::ABDesc;
}
