//! The blog models: authors, categories, posts, comments and tags (through
//! `post_tags`). Posts load their author and category in the same query
//! (`select_related`) and their comments and tags with one query each
//! (`prefetch`). Shared by the `blog` example and the relation tests.

use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    blog_authors (id) { id -> Integer, name -> Text, }
}
diesel::table! {
    blog_categories (id) { id -> Integer, name -> Text, }
}
diesel::table! {
    blog_posts (id) { id -> Integer, title -> Text, author_id -> Integer, category_id -> Nullable<Integer>, }
}
diesel::table! {
    blog_comments (id) { id -> Integer, post_id -> Integer, body -> Text, }
}
diesel::table! {
    blog_tags (id) { id -> Integer, name -> Text, }
}
diesel::table! {
    blog_post_tags (post_id, tag_id) { post_id -> Integer, tag_id -> Integer, }
}
diesel::joinable!(blog_posts -> blog_authors (author_id));
diesel::joinable!(blog_posts -> blog_categories (category_id));
diesel::joinable!(blog_comments -> blog_posts (post_id));
diesel::joinable!(blog_post_tags -> blog_posts (post_id));
diesel::joinable!(blog_post_tags -> blog_tags (tag_id));
diesel::allow_tables_to_appear_in_same_query!(
    blog_authors,
    blog_categories,
    blog_posts,
    blog_comments,
    blog_tags,
    blog_post_tags
);

/// An author.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = blog_authors)]
pub struct Author {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// A category.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = blog_categories)]
pub struct Category {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// A post, with its author and category joined and its comments and tags prefetched.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = blog_posts, belongs_to(Author), belongs_to(Category))]
#[cache(select_related(author, category), prefetch(comments(Comment), tags(Tag, through = PostTag)), filter(author_id), order_by(title))]
pub struct Post {
    /// Primary key.
    pub id: i32,
    /// Title.
    pub title: String,
    /// The author.
    pub author_id: i32,
    /// The category, if any.
    pub category_id: Option<i32>,
}

/// The same posts, whose lists skip the prefetched relations.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = blog_posts, belongs_to(Author), belongs_to(Category))]
#[cache(
    select_related(author),
    prefetch(comments(Comment)),
    prefetch_for_list = false
)]
pub struct PostSummary {
    /// Primary key.
    pub id: i32,
    /// Title.
    pub title: String,
    /// The author.
    pub author_id: i32,
    /// The category, if any.
    pub category_id: Option<i32>,
}

/// A comment on a post.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = blog_comments, belongs_to(Post), belongs_to(PostSummary, foreign_key = post_id))]
pub struct Comment {
    /// Primary key.
    pub id: i32,
    /// The post.
    pub post_id: i32,
    /// Text.
    pub body: String,
}

/// A tag.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = blog_tags)]
pub struct Tag {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
}

/// A post's tag (the join table; no cache of its own).
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Identifiable,
    Associations,
    Insertable,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = blog_post_tags, primary_key(post_id, tag_id), belongs_to(Post), belongs_to(Tag))]
pub struct PostTag {
    /// The post.
    pub post_id: i32,
    /// The tag.
    pub tag_id: i32,
}

/// Creates the tables and a little data: two authors, two categories, three
/// posts (one without a category), comments and tags. Keys are generated
/// on every backend (`SERIAL`, `AUTO_INCREMENT`, SQLite's rowid).
pub fn create_and_seed<C: Connection + 'static>(conn: &mut C) -> QueryResult<()> {
    let id = match std::any::type_name::<C::Backend>().rsplit("::").next() {
        Some("Pg") => "SERIAL PRIMARY KEY",
        Some("Mysql") => "INTEGER PRIMARY KEY AUTO_INCREMENT",
        _ => "INTEGER PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE blog_authors (id {id}, name TEXT NOT NULL);
         CREATE TABLE blog_categories (id {id}, name TEXT NOT NULL);
         CREATE TABLE blog_posts (id {id}, title TEXT NOT NULL, author_id INTEGER NOT NULL, category_id INTEGER);
         CREATE TABLE blog_comments (id {id}, post_id INTEGER NOT NULL, body TEXT NOT NULL);
         CREATE TABLE blog_tags (id {id}, name TEXT NOT NULL);
         CREATE TABLE blog_post_tags (post_id INTEGER NOT NULL, tag_id INTEGER NOT NULL, PRIMARY KEY (post_id, tag_id));
         INSERT INTO blog_authors (id, name) VALUES (1, 'Ada'), (2, 'Grace');
         INSERT INTO blog_categories (id, name) VALUES (1, 'Rust'), (2, 'Databases');
         INSERT INTO blog_posts (id, title, author_id, category_id) VALUES
             (1, 'Caching Diesel', 1, 1), (2, 'Versioned tags', 2, 2), (3, 'Uncategorised', 1, NULL);
         INSERT INTO blog_comments (id, post_id, body) VALUES
             (1, 1, 'First!'), (2, 1, 'Nice'), (3, 2, 'Tags?');
         INSERT INTO blog_tags (id, name) VALUES (1, 'cache'), (2, 'sql'), (3, 'rust');
         INSERT INTO blog_post_tags (post_id, tag_id) VALUES (1, 1), (1, 3), (2, 1), (2, 2);"
    ))
}
