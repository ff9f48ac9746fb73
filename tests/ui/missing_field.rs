diesel::table! { items (id) { id -> Integer, slug -> Text } }

#[derive(cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(unique(sulg), filter(colour))]
pub struct Item {
    pub id: i32,
    pub slug: String,
}

fn main() {}
