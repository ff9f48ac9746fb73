use serde::{Deserialize, Serialize};

diesel::table! { posts (id) { id -> Integer, publisher_id -> Integer } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = posts)]
#[cache(select_related(publisher), prefetch(comments))]
pub struct Post {
    pub id: i32,
    pub publisher_id: i32,
}

fn main() {}
