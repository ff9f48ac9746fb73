//! select_related, prefetch and prefetch_for_list on the blog models:
//! database queries counted through Diesel's instrumentation on the
//! connection under test (1 + one per prefetched relation on a miss, 0 on
//! a hit), and every dependent entry invalidated when a related row
//! changes. One body per check, run on the sync API (SQLite + memory,
//! PostgreSQL + Redis, MariaDB + Redis) and the async API (SQLite
//! behind `SyncConnectionWrapper` + memory, `AsyncPgConnection` + Redis);
//! `all_where` and transactions are checked on the sync API (see
//! `sync_only!`), `all_where_async` on the async one (`async_only!`).

use cache_diesel::Cache;
use cache_examples::blog::*;
use cache_tests::api::{Api, ApiOpener, Deletes, Reads, Updates};
use diesel::prelude::*;

fn names(tags: &Option<Vec<Tag>>) -> Vec<String> {
    let mut names: Vec<String> = tags.iter().flatten().map(|t| t.name.clone()).collect();
    names.sort();
    names
}

fn bodies(comments: &Option<Vec<Comment>>) -> Vec<String> {
    let mut bodies: Vec<String> = comments.iter().flatten().map(|c| c.body.clone()).collect();
    bodies.sort();
    bodies
}

type AuthorName = diesel::dsl::Eq<blog_authors::name, String>;
type CategoryName = diesel::dsl::Eq<blog_categories::name, String>;

/// The seeded blog, its cache (own prefix) and managers, and the API
/// under test; the environment's sync connection is tracked, so that the
/// raw SQL below invalidates.
struct Blog<D> {
    api: D,
    cache: Cache,
    posts: PostCache,
    summaries: PostSummaryCache,
    categories: CategoryCache,
    comments: CommentCache,
    authors: AuthorCache,
}

impl<D: Api> Blog<D> {
    fn open(open: ApiOpener<D>, test: &str) -> Option<Self> {
        let (mut api, cache) = open(test)?;
        create_and_seed(api.sync_conn()).unwrap();
        api.track(&cache);
        api.take_queries();
        Some(Blog {
            api,
            posts: PostCache::new(cache.clone()),
            summaries: PostSummaryCache::new(cache.clone()),
            categories: CategoryCache::new(cache.clone()),
            comments: CommentCache::new(cache.clone()),
            authors: AuthorCache::new(cache.clone()),
            cache,
        })
    }
}

impl<D> Drop for Blog<D> {
    fn drop(&mut self) {
        let _ = self.cache.clear();
    }
}

/// The checks both APIs run.
impl<D: Api> Blog<D>
where
    Post: Reads<D>,
    PostSummary: Reads<D>,
    Author: Updates<D, AuthorName>,
    Category: Updates<D, CategoryName>,
    Comment: Deletes<D>,
{
    fn a_record_is_one_joined_query_plus_one_per_prefetch_then_a_hit(&mut self) {
        let (a, posts) = (&mut self.api, &self.posts);
        let (post, q1) = a.counted(|a| a.get(posts, 1).unwrap());
        let (again, q2) = a.counted(|a| a.get(posts, 1).unwrap());
        assert_eq!((q1, q2), (3, 0), "join + comments + tags, then nothing");
        assert_eq!(
            post.title, "Caching Diesel",
            "the record derefs to the post"
        );
        assert_eq!(post.author.name, "Ada");
        assert_eq!(
            post.category.as_ref().map(|c| c.name.as_str()),
            Some("Rust")
        );
        assert_eq!(bodies(&post.comments), ["First!", "Nice"]);
        assert_eq!(names(&post.tags), ["cache", "rust"]);
        assert_eq!((again.post.id, names(&again.tags)), (1, names(&post.tags)));
        let lone = a.get(posts, 3).unwrap();
        assert!(lone.category.is_none(), "a NULL foreign key: a left join");
        assert_eq!(
            (bodies(&lone.comments).len(), names(&lone.tags).len()),
            (0, 0)
        );
    }

    fn a_batch_of_records_is_one_joined_query_plus_one_per_prefetch(&mut self) {
        let (a, posts) = (&mut self.api, &self.posts);
        let single = a.get(posts, 2).unwrap();
        let (batch, q1) = a.counted(|a| a.find_many(posts, vec![3, 2, 99, 1]).unwrap());
        let (again, q2) = a.counted(|a| a.find_many(posts, vec![3, 2, 99, 1]).unwrap());
        assert_eq!(
            (q1, q2),
            (3, 0),
            "post 2 cached: join + comments + tags for 1 and 3"
        );
        let ids: Vec<Option<i32>> = batch.iter().map(|p| p.as_ref().map(|p| p.id)).collect();
        assert_eq!(ids, [Some(3), Some(2), None, Some(1)]);
        let first = batch[3].as_ref().unwrap();
        assert_eq!(
            (first.author.name.as_str(), names(&first.tags)),
            ("Ada", vec!["cache".into(), "rust".into()])
        );
        assert_eq!(bodies(&first.comments), ["First!", "Nice"]);
        assert!(batch[0].as_ref().unwrap().category.is_none(), "a left join");
        assert_eq!(names(&batch[1].as_ref().unwrap().tags), names(&single.tags));
        assert_eq!(names(&again[3].as_ref().unwrap().tags), names(&first.tags));
    }

    fn lists_prefetch_unless_told_not_to(&mut self) {
        let (a, posts, summaries) = (&mut self.api, &self.posts, &self.summaries);
        let (all, q1) = a.counted(|a| a.all(posts, None, Default::default()).unwrap());
        let (_, q2) = a.counted(|a| a.all(posts, None, Default::default()).unwrap());
        assert_eq!((all.len(), q1, q2), (3, 3, 0));
        assert_eq!(names(&all[1].tags), ["cache", "sql"]);
        assert_eq!(bodies(&all[0].comments), ["First!", "Nice"]);
        let ada = PostFilter::default().author_id(1);
        let (mine, q) = a.counted(|a| a.all(posts, Some("ada"), ada).unwrap());
        assert_eq!(
            (mine.iter().map(|p| p.id).collect::<Vec<_>>(), q),
            (vec![1, 3], 3),
            "filters work on the joined query"
        );
        let (lite, q) = a.counted(|a| a.all(summaries, None, Default::default()).unwrap());
        assert_eq!(
            (lite.len(), q),
            (3, 1),
            "prefetch_for_list = false: one query"
        );
        assert!(
            lite.iter().all(|p| p.comments.is_none()),
            "and no prefetched sets"
        );
        let (one, q) = a.counted(|a| a.get(summaries, 1).unwrap());
        assert_eq!(
            (bodies(&one.comments).len(), q),
            (2, 2),
            "details still prefetch"
        );
    }

    fn record_lists_page_in_order_with_their_relations_and_count(&mut self) {
        let (a, posts) = (&mut self.api, &self.posts);
        let by_title = PostFilter::default()
            .order_by(PostOrder::TitleDesc)
            .limit(2);
        let (first, q1) = a.counted(|a| a.all(posts, None, by_title.clone()).unwrap());
        let (_, q2) = a.counted(|a| a.all(posts, None, by_title.clone()).unwrap());
        let titles = |rs: &[PostRecord]| rs.iter().map(|r| r.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&first), ["Versioned tags", "Uncategorised"]);
        assert_eq!((q1, q2), (3, 0), "join + 2 prefetches, then a hit");
        assert_eq!(first[0].author.name, "Grace");
        assert_eq!(
            names(&first[0].tags),
            ["cache", "sql"],
            "prefetched for the page's rows"
        );
        assert!(first[1].category.is_none());
        // The next page after the last record (a record coerces to its post).
        let next = by_title.clone().after(PostSortKey::of(&first[1]));
        let rest = a.all(posts, None, next).unwrap();
        assert_eq!(titles(&rest), ["Caching Diesel"]);
        assert_eq!(bodies(&rest[0].comments), ["First!", "Nice"]);
        let ada = PostFilter::default().author_id(1);
        assert_eq!(a.count(posts, None, ada.clone()).unwrap(), 2);
        // A related row's change reaches the pages; an insert, the count.
        a.update(
            &self.authors,
            2,
            blog_authors::name.eq("Hopper".to_string()),
        )
        .unwrap();
        let again = a.all(posts, None, by_title).unwrap();
        assert_eq!(again[0].author.name, "Hopper");
        a.raw_sql(
            "INSERT INTO blog_posts (id, title, author_id, category_id) VALUES (4, 'Late', 1, NULL)",
        );
        assert_eq!(a.count(posts, None, ada).unwrap(), 3);
    }

    fn counts_count_what_the_joined_list_lists(&mut self) {
        // A post whose author is missing (no foreign key constraint):
        // the inner join of `all` drops it, and so must the count.
        let (a, posts) = (&mut self.api, &self.posts);
        a.raw_sql(
            "INSERT INTO blog_posts (id, title, author_id, category_id) VALUES (9, 'Orphan', 99, NULL)",
        );
        let all = PostFilter::default();
        let n = a.count(posts, None, all.clone()).unwrap();
        assert_eq!(n, a.all(posts, None, all).unwrap().len() as i64);
        assert_eq!(n, 3);
    }

    fn a_change_to_a_related_row_reaches_every_dependent_entry(&mut self) {
        let (a, posts) = (&mut self.api, &self.posts);
        a.get(posts, 1).unwrap();
        a.get(posts, 3).unwrap();
        a.all(posts, None, Default::default()).unwrap();
        a.all(&self.summaries, None, Default::default()).unwrap();

        a.update(
            &self.categories,
            1,
            blog_categories::name.eq("Rust lang".to_string()),
        )
        .unwrap();
        assert_eq!(
            a.get(posts, 1).unwrap().category.clone().unwrap().name,
            "Rust lang"
        );
        assert_eq!(
            a.all(posts, None, Default::default()).unwrap()[0]
                .category
                .as_ref()
                .unwrap()
                .name,
            "Rust lang"
        );

        a.update(
            &self.authors,
            1,
            blog_authors::name.eq("Ada L.".to_string()),
        )
        .unwrap();
        assert_eq!(
            a.all(&self.summaries, None, Default::default()).unwrap()[0]
                .author
                .name,
            "Ada L."
        );

        a.delete(&self.comments, 2).unwrap();
        assert_eq!(bodies(&a.get(posts, 1).unwrap().comments), ["First!"]);

        a.raw_sql("INSERT INTO blog_post_tags (post_id, tag_id) VALUES (3, 2)");
        assert_eq!(
            names(&a.get(posts, 3).unwrap().tags),
            ["sql"],
            "a new row joining a prefetched set"
        );
        assert_eq!(
            names(&a.all(posts, None, Default::default()).unwrap()[2].tags),
            ["sql"]
        );
    }
}

/// What `all_where` and `all_where_async` by Ada's name return (`mine`)
/// and cost (`q1` queries the first time, `q2` the second).
fn ada_s_posts_read_once(mine: &[PostRecord], q1: usize, q2: usize) {
    assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 3]);
    assert_eq!((q1, q2), (3, 0), "join + 2 prefetches, then a hit");
    assert_eq!(
        mine[0].category.as_ref().map(|c| c.name.as_str()),
        Some("Rust")
    );
    assert_eq!(bodies(&mine[0].comments), ["First!", "Nice"]);
}

/// The checks of the sync API only: `all_where` (whose condition's type
/// is the connection's; `async_only!` has its async twin), and a hook
/// inside a diesel-async transaction is refused (async connections
/// are not tracked; `async_api.rs` checks the refusal).
macro_rules! sync_only {
    ($env:ident) => {
        use super::*;
        use cache_tests::api::SyncApi;

        fn blog<C: Connection + 'static>(
            open: ApiOpener<SyncApi<C>>,
            test: &str,
        ) -> Option<Blog<SyncApi<C>>> {
            Blog::open(open, test)
        }

        #[test]
        fn all_where_returns_records_and_may_name_related_columns() {
            let Some(mut b) = blog(cache_tests::api::$env, "rel_where") else {
                return;
            };
            let posts = &b.posts;
            let by_ada =
                || -> cache_diesel::BoxedCondition<_, _> { Box::new(blog_authors::name.eq("Ada")) };
            let (mine, q1) = b
                .api
                .db
                .counted(|c| posts.all_where(c, None, by_ada()).unwrap());
            let (_, q2) = b
                .api
                .db
                .counted(|c| posts.all_where(c, None, by_ada()).unwrap());
            ada_s_posts_read_once(&mine, q1, q2);
            // The related table's write invalidates the list it filtered by.
            b.authors
                .update(
                    &mut b.api.db.conn,
                    1,
                    blog_authors::name.eq("Lovelace".to_string()),
                )
                .unwrap();
            let after = posts.all_where(&mut b.api.db.conn, None, by_ada()).unwrap();
            assert!(after.is_empty(), "still the old author's list: {after:?}");
        }

        #[test]
        fn all_where_depends_on_the_tables_its_subqueries_read() {
            let Some(mut b) = blog(cache_tests::api::$env, "rel_where_sub") else {
                return;
            };
            let summaries = &b.summaries;
            // PostSummary does not relate to categories: only the
            // subquery names them.
            let in_rust = || -> cache_diesel::BoxedCondition<_, _> {
                Box::new(
                    blog_posts::category_id
                        .eq_any(
                            blog_categories::table
                                .filter(blog_categories::name.eq("Rust"))
                                .select(blog_categories::id.nullable()),
                        )
                        .assume_not_null(),
                )
            };
            let (rows, q1) = b
                .api
                .db
                .counted(|c| summaries.all_where(c, None, in_rust()).unwrap());
            let (_, q2) = b
                .api
                .db
                .counted(|c| summaries.all_where(c, None, in_rust()).unwrap());
            assert_eq!(
                (rows.iter().map(|r| r.id).collect::<Vec<_>>(), q1, q2),
                (vec![1], 1, 0)
            );
            // A hook write to the subquery's table.
            b.categories
                .update(
                    &mut b.api.db.conn,
                    1,
                    blog_categories::name.eq("Go".to_string()),
                )
                .unwrap();
            let rows = summaries
                .all_where(&mut b.api.db.conn, None, in_rust())
                .unwrap();
            assert!(
                rows.is_empty(),
                "a stale list: {:?}",
                rows.iter().map(|r| r.id).collect::<Vec<_>>()
            );
            // A tracked write the hooks never saw.
            diesel::sql_query("UPDATE blog_categories SET name = 'Rust' WHERE id = 2")
                .execute(&mut b.api.db.conn)
                .unwrap();
            let rows = summaries
                .all_where(&mut b.api.db.conn, None, in_rust())
                .unwrap();
            assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2]);
        }

        #[test]
        fn a_transaction_that_wrote_a_related_table_reads_its_own_write() {
            let Some(mut b) = blog(cache_tests::api::$env, "rel_txn") else {
                return;
            };
            let (posts, categories) = (&b.posts, &b.categories);
            posts.get(&mut b.api.db.conn, 1).unwrap();
            cache_diesel::transaction(&mut b.api.db.conn, |conn| {
                categories.update(conn, 1, blog_categories::name.eq("Renamed".to_string()))?;
                let seen = posts.get(conn, 1)?.category.map(|c| c.name);
                assert_eq!(seen.as_deref(), Some("Renamed"), "not the cached record");
                Ok::<_, cache_diesel::Error>(())
            })
            .unwrap();
            assert_eq!(
                posts
                    .get(&mut b.api.db.conn, 1)
                    .unwrap()
                    .category
                    .unwrap()
                    .name,
                "Renamed"
            );
        }
    };
}

/// `all_where_async` (the async twin of `sync_only!`'s first check): a
/// joined, prefetched record list by a related table's column, a hit the
/// second time, invalidated by the related table's hook write.
macro_rules! async_only {
    ($env:ident) => {
        use super::*;

        #[test]
        fn all_where_async_returns_records_and_may_name_related_columns() {
            let Some(mut b) = Blog::open(cache_tests::api::$env, "rel_where_async") else {
                return;
            };
            let posts = &b.posts;
            let by_ada =
                || -> cache_diesel::BoxedCondition<_, _> { Box::new(blog_authors::name.eq("Ada")) };
            let (mine, q1) = b
                .api
                .counted(|a| a.run(|c| posts.all_where_async(c, None, by_ada())).unwrap());
            let (_, q2) = b
                .api
                .counted(|a| a.run(|c| posts.all_where_async(c, None, by_ada())).unwrap());
            ada_s_posts_read_once(&mine, q1, q2);
            b.authors
                .update(
                    b.api.sync_conn(),
                    1,
                    blog_authors::name.eq("Lovelace".to_string()),
                )
                .unwrap();
            let after = b
                .api
                .run(|c| posts.all_where_async(c, None, by_ada()))
                .unwrap();
            assert!(after.is_empty(), "still the old author's list: {after:?}");
        }
    };
}

/// The checks of both APIs, on every environment.
mod both_apis {
    use super::*;

    cache_tests::matrix!(
        api_method Blog; both_apis;
        a_record_is_one_joined_query_plus_one_per_prefetch_then_a_hit,
        a_batch_of_records_is_one_joined_query_plus_one_per_prefetch,
        lists_prefetch_unless_told_not_to,
        record_lists_page_in_order_with_their_relations_and_count,
        counts_count_what_the_joined_list_lists,
        a_change_to_a_related_row_reaches_every_dependent_entry,
    );
}

/// The checks of the sync API only, on every environment.
mod sync_api {
    use super::*;

    cache_tests::matrix!(items sync_only; sync_api;);
}

/// The checks of the async API only, on every environment.
mod async_api {
    use super::*;

    cache_tests::matrix!(items async_only; async_api;);
}
