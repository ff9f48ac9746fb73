use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { posts (id) { id -> Integer, author_id -> Integer, } }
diesel::joinable!(posts -> authors (author_id));
diesel::allow_tables_to_appear_in_same_query!(posts, authors);

// Not a cached model: a record that embeds it cannot know its shape.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(
    Debug,
    Clone,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    cache_diesel::Cached,
)]
#[diesel(table_name = posts, belongs_to(Author))]
#[cache(select_related(author))]
pub struct Post {
    pub id: i32,
    pub author_id: i32,
}

fn main() {}
