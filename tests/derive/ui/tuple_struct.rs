diesel::table! { items (id) { id -> Integer } }

#[derive(cache_diesel::Cached)]
#[diesel(table_name = items)]
pub struct Item(i32);

fn main() {}
