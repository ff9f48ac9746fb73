//! The blog: authors, posts, comments and tags. Posts load their author and
//! category in one joined query (select_related) and their comments and
//! tags with one query each (prefetch); every step prints the database
//! queries it ran, so the saving is visible.
//!
//! `cargo run -p cache-examples --bin blog` (SQLite + in-process cache), or
//! with `DATABASE_URL=postgres://postgres@127.0.0.1:5432/test` and
//! `CACHE_URL=redis://127.0.0.1:6379/0` set: PostgreSQL + Redis (in a schema
//! of its own, dropped at the end).

use cache_diesel::{Cache, CacheTracking, ModelQueries, UpdateQuery};
use cache_examples::blog::*;
use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counter(Arc<AtomicUsize>);

impl Counter {
    /// Makes `conn` cache-aware and counts its queries.
    fn install<C: Connection + 'static>(conn: &mut C, cache: &Cache) -> Self {
        let n = Arc::new(AtomicUsize::new(0));
        let seen = n.clone();
        let count = move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { .. } = event {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        };
        conn.set_instrumentation(
            CacheTracking::for_connection::<C>()
                .for_caches([cache.clone()])
                .with(count),
        );
        Counter(n)
    }

    fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed)
    }
}

fn run<C>(conn: &mut C, cache: &Cache) -> Result<(), cache_diesel::Error>
where
    C: Connection + 'static,
    Post: ModelQueries<C>,
    PostSummary: ModelQueries<C>,
    Category: ModelQueries<C> + UpdateQuery<C, diesel::dsl::Eq<blog_categories::name, String>>,
{
    let (posts, summaries, categories) = (
        PostCache::new(cache.clone()),
        PostSummaryCache::new(cache.clone()),
        CategoryCache::new(cache.clone()),
    );
    let queries = Counter::install(conn, cache);
    let show =
        |step: &str, n: usize, what: String| println!("{step:<44} {n} database queries   {what}");

    let post = posts.get(conn, 1)?;
    let tags: Vec<&str> = post
        .tags
        .iter()
        .flatten()
        .map(|t| t.name.as_str())
        .collect();
    let what = format!(
        "\"{}\" by {}, in {:?}, {} comments, tags {tags:?}",
        post.title,
        post.author.name,
        post.category.as_ref().map(|c| &c.name),
        post.comments.as_ref().map_or(0, Vec::len)
    );
    show(
        "get(1): miss (join + comments + tags)",
        queries.take(),
        what,
    );
    posts.get(conn, 1)?;
    show("get(1) again: hit", queries.take(), String::new());

    let all = posts.all(conn, None, PostFilter::default())?;
    show(
        "all(): miss (join + comments + tags)",
        queries.take(),
        format!("{} posts", all.len()),
    );
    posts.all(conn, None, PostFilter::default())?;
    show("all() again: hit", queries.take(), String::new());
    let lite = summaries.all(conn, None, PostSummaryFilter::default())?;
    show(
        "summaries: prefetch_for_list = false",
        queries.take(),
        format!(
            "{} posts, comments loaded: {}",
            lite.len(),
            lite[0].comments.is_some()
        ),
    );

    categories.update(
        conn,
        1,
        blog_categories::name.eq("Rust (the language)".to_string()),
    )?;
    show(
        "rename category 1 (UPDATE .. RETURNING)",
        queries.take(),
        String::new(),
    );
    let post = posts.get(conn, 1)?;
    show(
        "get(1): miss, the rename invalidated it",
        queries.take(),
        format!("category now {:?}", post.category.map(|c| c.name)),
    );
    conn.batch_execute("INSERT INTO blog_post_tags (post_id, tag_id) VALUES (3, 2)")?;
    show(
        "tag post 3 with plain SQL (tracked)",
        queries.take(),
        String::new(),
    );
    let post = posts.get(conn, 3)?;
    show(
        "get(3): miss, the new tag is there",
        queries.take(),
        format!(
            "tags {:?}",
            post.tags
                .iter()
                .flatten()
                .map(|t| &t.name)
                .collect::<Vec<_>>()
        ),
    );
    println!("post manager: {:?}", posts.stats());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cache = Cache::from_env()?;
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let mut conn = PgConnection::establish(&url)?;
            let schema = format!("blog_example_{}", std::process::id());
            conn.batch_execute(&format!(
                "CREATE SCHEMA {schema}; SET search_path TO {schema}"
            ))?;
            println!("blog on PostgreSQL + {:?}", cache.config().backend);
            create_and_seed(&mut conn)?;
            let outcome = run(&mut conn, &cache);
            conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
            outcome?;
        }
        _ => {
            let mut conn = SqliteConnection::establish(":memory:")?;
            println!("blog on SQLite + {:?}", cache.config().backend);
            create_and_seed(&mut conn)?;
            run(&mut conn, &cache)?;
        }
    }
    cache.clear()?;
    Ok(())
}
