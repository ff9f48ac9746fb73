//! select_related, prefetch and prefetch_for_list on the blog models, on
//! SQLite + memory and PostgreSQL + Redis: database queries counted through
//! Diesel's instrumentation (1 + one per prefetched relation on a miss, 0 on
//! a hit), and every dependent entry invalidated when a related row changes.

use cache_examples::blog::*;

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

macro_rules! relation_suite {
    ($suite:ident, $open:expr, $conn:ty) => {
        mod $suite {
            use super::*;
            use cache_diesel::Cache;
            use cache_tests::db::TestDb;
            use diesel::prelude::*;

            struct Blog<C: Connection + 'static> {
                db: TestDb<C>,
                cache: Cache,
                posts: PostCache,
                summaries: PostSummaryCache,
                categories: CategoryCache,
                comments: CommentCache,
                authors: AuthorCache,
            }

            fn blog(test: &str) -> Option<Blog<$conn>> {
                let (mut db, cache) = $open(test)?;
                create_and_seed(&mut db.conn).unwrap();
                db.track(&cache);
                db.take_queries();
                Some(Blog {
                    posts: PostCache::new(cache.clone()),
                    summaries: PostSummaryCache::new(cache.clone()),
                    categories: CategoryCache::new(cache.clone()),
                    comments: CommentCache::new(cache.clone()),
                    authors: AuthorCache::new(cache.clone()),
                    cache,
                    db,
                })
            }

            #[test]
            fn a_record_is_one_joined_query_plus_one_per_prefetch_then_a_hit() {
                let Some(mut b) = blog("rel_get") else { return };
                let posts = &b.posts;
                let (post, q1) = b.db.counted(|c| posts.get(c, 1).unwrap());
                let (again, q2) = b.db.counted(|c| posts.get(c, 1).unwrap());
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
                let lone = posts.get(&mut b.db.conn, 3).unwrap();
                assert!(lone.category.is_none(), "a NULL foreign key: a left join");
                assert_eq!(
                    (bodies(&lone.comments).len(), names(&lone.tags).len()),
                    (0, 0)
                );
                let _ = b.cache.clear();
            }

            #[test]
            fn lists_prefetch_unless_told_not_to() {
                let Some(mut b) = blog("rel_all") else { return };
                let (posts, summaries) = (&b.posts, &b.summaries);
                let (all, q1) =
                    b.db.counted(|c| posts.all(c, None, Default::default()).unwrap());
                let (_, q2) =
                    b.db.counted(|c| posts.all(c, None, Default::default()).unwrap());
                assert_eq!((all.len(), q1, q2), (3, 3, 0));
                assert_eq!(names(&all[1].tags), ["cache", "sql"]);
                assert_eq!(bodies(&all[0].comments), ["First!", "Nice"]);
                let ada = PostFilter::default().author_id(1);
                let (mine, q) = b.db.counted(|c| posts.all(c, Some("ada"), ada).unwrap());
                assert_eq!(
                    (mine.iter().map(|p| p.id).collect::<Vec<_>>(), q),
                    (vec![1, 3], 3),
                    "filters work on the joined query"
                );
                let (lite, q) =
                    b.db.counted(|c| summaries.all(c, None, Default::default()).unwrap());
                assert_eq!(
                    (lite.len(), q),
                    (3, 1),
                    "prefetch_for_list = false: one query"
                );
                assert!(
                    lite.iter().all(|p| p.comments.is_none()),
                    "and no prefetched sets"
                );
                let (one, q) = b.db.counted(|c| summaries.get(c, 1).unwrap());
                assert_eq!(
                    (bodies(&one.comments).len(), q),
                    (2, 2),
                    "details still prefetch"
                );
                let _ = b.cache.clear();
            }

            #[test]
            fn record_lists_page_in_order_with_their_relations_and_count() {
                let Some(mut b) = blog("rel_pages") else { return };
                let posts = &b.posts;
                let by_title = PostFilter::default().order_by(PostOrder::TitleDesc).limit(2);
                let (first, q1) = b.db.counted(|c| posts.all(c, None, by_title.clone()).unwrap());
                let (_, q2) = b.db.counted(|c| posts.all(c, None, by_title.clone()).unwrap());
                let titles = |rs: &[PostRecord]| rs.iter().map(|r| r.title.clone()).collect::<Vec<_>>();
                assert_eq!(titles(&first), ["Versioned tags", "Uncategorised"]);
                assert_eq!((q1, q2), (3, 0), "join + 2 prefetches, then a hit");
                assert_eq!(first[0].author.name, "Grace");
                assert_eq!(names(&first[0].tags), ["cache", "sql"], "prefetched for the page's rows");
                assert!(first[1].category.is_none());
                // The next page after the last record (a record coerces to its post).
                let next = by_title.clone().after(PostSortKey::of(&first[1]));
                let rest = posts.all(&mut b.db.conn, None, next).unwrap();
                assert_eq!(titles(&rest), ["Caching Diesel"]);
                assert_eq!(bodies(&rest[0].comments), ["First!", "Nice"]);
                let ada = PostFilter::default().author_id(1);
                assert_eq!(posts.count(&mut b.db.conn, None, ada.clone()).unwrap(), 2);
                // A related row's change reaches the pages; an insert, the count.
                b.authors
                    .update(&mut b.db.conn, 2, blog_authors::name.eq("Hopper".to_string()))
                    .unwrap();
                let again = posts.all(&mut b.db.conn, None, by_title).unwrap();
                assert_eq!(again[0].author.name, "Hopper");
                diesel::sql_query(
                    "INSERT INTO blog_posts (id, title, author_id, category_id) VALUES (4, 'Late', 1, NULL)",
                )
                .execute(&mut b.db.conn)
                .unwrap();
                assert_eq!(posts.count(&mut b.db.conn, None, ada).unwrap(), 3);
                let _ = b.cache.clear();
            }

            #[test]
            fn all_where_returns_records_and_may_name_related_columns() {
                let Some(mut b) = blog("rel_where") else { return };
                let posts = &b.posts;
                let by_ada = || -> cache_diesel::BoxedCondition<_, _> {
                    Box::new(blog_authors::name.eq("Ada"))
                };
                let (mine, q1) = b.db.counted(|c| posts.all_where(c, None, by_ada()).unwrap());
                let (_, q2) = b.db.counted(|c| posts.all_where(c, None, by_ada()).unwrap());
                assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 3]);
                assert_eq!((q1, q2), (3, 0), "join + 2 prefetches, then a hit");
                assert_eq!(mine[0].category.as_ref().map(|c| c.name.as_str()), Some("Rust"));
                assert_eq!(bodies(&mine[0].comments), ["First!", "Nice"]);
                // The related table's write invalidates the list it filtered by.
                b.authors
                    .update(&mut b.db.conn, 1, blog_authors::name.eq("Lovelace".to_string()))
                    .unwrap();
                let after = posts.all_where(&mut b.db.conn, None, by_ada()).unwrap();
                assert!(after.is_empty(), "still the old author's list: {after:?}");
                let _ = b.cache.clear();
            }

            #[test]
            fn all_where_depends_on_the_tables_its_subqueries_read() {
                let Some(mut b) = blog("rel_where_sub") else { return };
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
                let (rows, q1) = b.db.counted(|c| summaries.all_where(c, None, in_rust()).unwrap());
                let (_, q2) = b.db.counted(|c| summaries.all_where(c, None, in_rust()).unwrap());
                assert_eq!((rows.iter().map(|r| r.id).collect::<Vec<_>>(), q1, q2), (vec![1], 1, 0));
                // A hook write to the subquery's table.
                b.categories
                    .update(&mut b.db.conn, 1, blog_categories::name.eq("Go".to_string()))
                    .unwrap();
                let rows = summaries.all_where(&mut b.db.conn, None, in_rust()).unwrap();
                assert!(rows.is_empty(), "a stale list: {:?}", rows.iter().map(|r| r.id).collect::<Vec<_>>());
                // A tracked write the hooks never saw.
                diesel::sql_query("UPDATE blog_categories SET name = 'Rust' WHERE id = 2")
                    .execute(&mut b.db.conn)
                    .unwrap();
                let rows = summaries.all_where(&mut b.db.conn, None, in_rust()).unwrap();
                assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2]);
                let _ = b.cache.clear();
            }

            #[test]
            fn counts_count_what_the_joined_list_lists() {
                let Some(mut b) = blog("rel_count_join") else { return };
                // A post whose author is missing (no foreign key constraint):
                // the inner join of `all` drops it, and so must the count.
                diesel::sql_query(
                    "INSERT INTO blog_posts (id, title, author_id, category_id) VALUES (9, 'Orphan', 99, NULL)",
                )
                .execute(&mut b.db.conn)
                .unwrap();
                let posts = &b.posts;
                let all = PostFilter::default();
                let n = posts.count(&mut b.db.conn, None, all.clone()).unwrap();
                assert_eq!(n, posts.all(&mut b.db.conn, None, all).unwrap().len() as i64);
                assert_eq!(n, 3);
                let _ = b.cache.clear();
            }

            #[test]
            fn a_change_to_a_related_row_reaches_every_dependent_entry() {
                let Some(mut b) = blog("rel_inval") else {
                    return;
                };
                let conn = &mut b.db.conn;
                let posts = &b.posts;
                posts.get(conn, 1).unwrap();
                posts.get(conn, 3).unwrap();
                posts.all(conn, None, Default::default()).unwrap();
                b.summaries.all(conn, None, Default::default()).unwrap();

                b.categories
                    .update(conn, 1, blog_categories::name.eq("Rust lang".to_string()))
                    .unwrap();
                assert_eq!(
                    posts.get(conn, 1).unwrap().category.unwrap().name,
                    "Rust lang"
                );
                assert_eq!(
                    posts.all(conn, None, Default::default()).unwrap()[0]
                        .category
                        .as_ref()
                        .unwrap()
                        .name,
                    "Rust lang"
                );

                b.authors
                    .update(conn, 1, blog_authors::name.eq("Ada L.".to_string()))
                    .unwrap();
                assert_eq!(
                    b.summaries.all(conn, None, Default::default()).unwrap()[0]
                        .author
                        .name,
                    "Ada L."
                );

                b.comments.delete(conn, 2).unwrap();
                assert_eq!(bodies(&posts.get(conn, 1).unwrap().comments), ["First!"]);

                diesel::insert_into(blog_post_tags::table)
                    .values(PostTag {
                        post_id: 3,
                        tag_id: 2,
                    })
                    .execute(conn)
                    .unwrap();
                assert_eq!(
                    names(&posts.get(conn, 3).unwrap().tags),
                    ["sql"],
                    "a new row joining a prefetched set"
                );
                assert_eq!(
                    names(&posts.all(conn, None, Default::default()).unwrap()[2].tags),
                    ["sql"]
                );
                let _ = b.cache.clear();
            }

            #[test]
            fn a_transaction_that_wrote_a_related_table_reads_its_own_write() {
                let Some(mut b) = blog("rel_txn") else { return };
                let (posts, categories) = (&b.posts, &b.categories);
                posts.get(&mut b.db.conn, 1).unwrap();
                cache_diesel::transaction(&mut b.db.conn, |conn| {
                    categories.update(conn, 1, blog_categories::name.eq("Renamed".to_string()))?;
                    let seen = posts.get(conn, 1)?.category.map(|c| c.name);
                    assert_eq!(seen.as_deref(), Some("Renamed"), "not the cached record");
                    Ok::<_, cache_diesel::Error>(())
                })
                .unwrap();
                assert_eq!(
                    posts.get(&mut b.db.conn, 1).unwrap().category.unwrap().name,
                    "Renamed"
                );
                let _ = b.cache.clear();
            }
        }
    };
}

relation_suite!(
    sqlite_memory_suite,
    cache_tests::env::sqlite_and_memory,
    diesel::SqliteConnection
);
relation_suite!(
    postgres_redis_suite,
    cache_tests::env::postgres_and_redis,
    diesel::PgConnection
);
relation_suite!(
    mysql_redis_suite,
    cache_tests::env::mysql_and_redis,
    diesel::MysqlConnection
);
