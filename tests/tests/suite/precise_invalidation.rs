//! Precise list invalidation (value tags): a hook write invalidates the
//! lists, pages and counts whose first condition selects a value the row
//! had before or has after, and leaves the others cached; a write that
//! cannot name those values (a model that does not map every column of the
//! table, `invalidate_id`, an autocommit write over a shared store where
//! the hook cannot hold a transaction of its own open for its announcement:
//! async SQLite, an untracked PostgreSQL connection) invalidates every
//! list with conditions and is counted.
//! Every API on every store, on tracked connections and untracked ones.

use cache_diesel::__private::ListFilter;
use cache_diesel::Cached;
use cache_tests::api::{Api, ProductOps, Products, Reads, Updates};
use cache_tests::models::{
    NewProduct, Product, ProductCache, ProductFilter, ProductV2, ProductV2Cache, products,
};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A second model over `products` that maps only some of its columns: its
/// writes cannot name the categories they touch.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(key = "product_title")]
pub struct ProductTitle {
    pub id: i32,
    pub title: String,
}

pub(crate) fn in_category(category: i32) -> ProductFilter {
    ProductFilter::default().category_id(category)
}

/// The ids of the list `filter` selects, read through the cache.
pub(crate) fn ids<D: Api>(api: &mut D, p: &ProductCache, filter: ProductFilter) -> Vec<i32>
where
    Product: Reads<D>,
{
    let rows = api.all(p, None, filter).unwrap();
    rows.iter().map(|r| r.id).collect()
}

/// How many queries reading every list of `filters` ran.
fn queries_of<D: Api>(api: &mut D, p: &ProductCache, filters: &[ProductFilter]) -> usize
where
    Product: Reads<D>,
{
    api.counted(|api| {
        for f in filters {
            api.all(p, None, f.clone()).unwrap();
        }
    })
    .1
}

/// The counts of categories 1, 2 and 3.
pub(crate) fn counts<D: Api>(api: &mut D, p: &ProductCache) -> [i64; 3]
where
    Product: Reads<D>,
{
    [1, 2, 3].map(|n| api.count(p, None, in_category(n)).unwrap())
}

fn a_moved_row_leaves_its_lists_and_enters_others_and_the_rest_stay_cached<D: Api>(
    t: &mut Products<D>,
    precise: bool,
) where
    Product: ProductOps<D>,
{
    let Products {
        api, products: p, ..
    } = t;
    // Each untouched list below is a hit after a precise write, a miss
    // after a coarse one.
    let untouched_misses = |n: usize| if precise { 0 } else { n };
    let seed = ["a", "b", "c", "d"]
        .iter()
        .zip([1, 1, 2, 3])
        .map(|(slug, category)| NewProduct::new(slug, category))
        .collect::<Vec<_>>();
    let rows = api.insert_many(p, seed).unwrap();
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| rows[i].id);
    let lists = [
        in_category(1),
        in_category(2),
        in_category(3),
        ProductFilter::default().category_id_in([1, 2]),
        in_category(1).limit(1),
        ProductFilter::default(),
    ];
    queries_of(api, p, &lists);
    assert_eq!(counts(api, p), [2, 1, 1]);
    assert_eq!(queries_of(api, p, &lists), 0, "every list is cached");
    assert_eq!(api.counted(|api| counts(api, p)).1, 0);

    // Move `a` from category 1 to 2: it leaves list 1 and enters list 2
    // at once; the list of category 3 stays cached (its count, read again
    // by `counts`, is a hit either way).
    let moved = api.update(p, a, products::category_id.eq(2)).unwrap();
    assert_eq!(moved.map(|r| r.category_id), Some(2));
    assert_eq!(ids(api, p, in_category(1)), [b]);
    assert_eq!(ids(api, p, in_category(2)), [a, c]);
    assert_eq!(
        ids(api, p, ProductFilter::default().category_id_in([1, 2])),
        [a, b, c]
    );
    assert_eq!(ids(api, p, in_category(1).limit(1)), [b]);
    assert_eq!(ids(api, p, ProductFilter::default()), [a, b, c, d]);
    assert_eq!(counts(api, p), [1, 2, 1]);
    let untouched = api.counted(|api| {
        let rows = api.all(p, None, in_category(3)).unwrap();
        let n = api.count(p, None, in_category(3)).unwrap();
        (rows.len(), n)
    });
    assert_eq!(
        untouched,
        ((1, 1), untouched_misses(1)),
        "category 3's list and count stay cached"
    );

    // A change that moves nothing still reaches the lists that show the
    // row (they hold its values), and only those.
    let title = String::from("renamed");
    api.update(p, c, products::title.eq(title.clone())).unwrap();
    let list = api.all(p, None, in_category(2)).unwrap();
    assert!(list.iter().any(|r| r.title == title), "{list:?}");
    assert_eq!(
        queries_of(api, p, &[in_category(1), in_category(3)]),
        untouched_misses(2)
    );

    // A delete leaves its list; an insert enters one.
    api.delete(p, d).unwrap();
    assert_eq!(ids(api, p, in_category(3)), Vec::<i32>::new());
    assert_eq!(queries_of(api, p, &[in_category(1)]), untouched_misses(1));
    let e = api.insert(p, NewProduct::new("e", 3)).unwrap().id;
    assert_eq!(ids(api, p, in_category(3)), [e]);
    assert_eq!(
        queries_of(api, p, &[in_category(1), in_category(2)]),
        untouched_misses(2)
    );
    // The seed, the move, the rename, the delete, the insert.
    let writes = if precise { 0 } else { 5 };
    assert_eq!(p.stats().coarse_invalidations, writes);

    // `invalidate_id` cannot name the row's values: every list with
    // conditions goes, and it is counted.
    api.invalidate_id(p, b).unwrap();
    assert_eq!(queries_of(api, p, &[in_category(2)]), 1);
    assert_eq!(p.stats().coarse_invalidations, writes + 1);
}

fn another_model_over_the_table_invalidates_the_lists_it_moves_a_row_out_of<D: Api>(
    t: &mut Products<D>,
    precise: bool,
) where
    Product: ProductOps<D>,
    ProductV2: Updates<D, diesel::dsl::Eq<products::category_id, i32>>,
    ProductTitle: Updates<D, diesel::dsl::Eq<products::title, String>>,
{
    let Products {
        api,
        products: p,
        cache,
        ..
    } = t;
    let seed = vec![NewProduct::new("a", 1), NewProduct::new("b", 2)];
    let rows = api.insert_many(p, seed).unwrap();
    let (a, b) = (rows[0].id, rows[1].id);
    let lists = [in_category(1), in_category(2), in_category(3)];
    queries_of(api, p, &lists);
    assert_eq!(queries_of(api, p, &lists), 0);

    // Another model mapping every column names the values: precise.
    let v2 = ProductV2Cache::new(cache.clone());
    api.update(&v2, a, products::category_id.eq(3)).unwrap();
    assert_eq!(ids(api, p, in_category(1)), Vec::<i32>::new());
    assert_eq!(ids(api, p, in_category(3)), [a]);
    assert_eq!(
        queries_of(api, p, &[in_category(2)]),
        usize::from(!precise),
        "category 2 untouched"
    );

    // One that maps only some columns cannot: every list with conditions
    // is invalidated, and the write is counted as coarse.
    let titles = ProductTitleCache::new(cache.clone());
    let title = String::from("from a partial model");
    api.update(&titles, b, products::title.eq(title.clone()))
        .unwrap();
    let list = api.all(p, None, in_category(2)).unwrap();
    assert_eq!(list.iter().map(|r| &r.title).collect::<Vec<_>>(), [&title]);
    assert_eq!(titles.stats().coarse_invalidations, 1);
    assert_eq!(v2.stats().coarse_invalidations, u64::from(!precise));
}

/// `update_where` invalidates the entries and lists of the rows it updated,
/// before and after, where the statement returns them with their old values
/// (PostgreSQL, and then where a hook may be precise: `precise`); elsewhere
/// every entry of the table (its epoch), counted as coarse.
fn update_where_invalidates_the_rows_it_returned<D: Api>(t: &mut Products<D>, precise: bool)
where
    Product: ProductOps<D>,
{
    let Products {
        api, products: p, ..
    } = t;
    let untouched_misses = |n: usize| if precise { 0 } else { n };
    let seed = ["a", "b", "c", "d"]
        .iter()
        .zip([1, 1, 2, 3])
        .map(|(slug, category)| NewProduct::new(slug, category))
        .collect::<Vec<_>>();
    let rows = api.insert_many(p, seed).unwrap();
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| rows[i].id);
    let lists = [1, 2, 3, 4].map(in_category);
    let read_all = |api: &mut D| {
        queries_of(api, p, &lists)
            + api
                .counted(|api| [a, c, d].map(|id| api.get(p, id).unwrap()))
                .1
    };
    read_all(api);
    assert_eq!(read_all(api), 0, "every list and detail is cached");
    let coarse = p.stats().coarse_invalidations;

    // Every row of category 1 moves to category 4.
    let n = api
        .update_where(p, in_category(1), products::category_id.eq(4))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(ids(api, p, in_category(1)), Vec::<i32>::new());
    assert_eq!(ids(api, p, in_category(4)), [a, b]);
    assert_eq!(api.get(p, a).unwrap().category_id, 4);
    // Category 2's and 3's lists and the rows it did not touch.
    let untouched = queries_of(api, p, &[in_category(2), in_category(3)])
        + api
            .counted(|api| [c, d].map(|id| api.get(p, id).unwrap()))
            .1;
    assert_eq!(untouched, untouched_misses(4));
    assert_eq!(p.stats().coarse_invalidations, coarse + u64::from(!precise));

    // More rows than it invalidates one by one: every entry of the table,
    // counted as coarse, on every database (on PostgreSQL the rows are
    // counted first and not brought back).
    let many = (0..65).map(|i| NewProduct::new(&format!("m{i}"), 5));
    api.insert_many(p, many.collect::<Vec<_>>()).unwrap();
    assert_eq!(ids(api, p, in_category(6)), Vec::<i32>::new());
    let coarse = p.stats().coarse_invalidations;
    let n = api
        .update_where(p, in_category(5), products::category_id.eq(6))
        .unwrap();
    assert_eq!(n, 65);
    assert_eq!(ids(api, p, in_category(6)).len(), 65);
    assert_eq!(ids(api, p, in_category(5)), Vec::<i32>::new());
    assert_eq!(p.stats().coarse_invalidations, coarse + 1);
}

/// Value tags are the table's: a filter's first condition names them, in
/// the model's `filter(..)` order, and an `IN` names one per value.
#[test]
fn a_filter_names_the_values_of_its_first_condition() {
    let f = ProductFilter::default().category_id(7).is_active(true);
    assert_eq!(
        f.value_condition(),
        Some(("is_active", vec!["true".to_owned()]))
    );
    let f = ProductFilter::default().category_id_in([1, 2]).limit(3);
    assert_eq!(
        f.value_condition(),
        Some(("category_id", vec!["1".to_owned(), "2".to_owned()]))
    );
    assert_eq!(ProductFilter::default().limit(3).value_condition(), None);
}

/// An `IN` of more values than a list may depend on falls back to the
/// table-wide tag: still invalidated by any write.
fn a_long_in_list_depends_on_the_table<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let Products {
        api, products: p, ..
    } = t;
    let rows = api.insert_many(p, vec![NewProduct::new("a", 1)]).unwrap();
    let long = ProductFilter::default().category_id_in(100..140);
    assert_eq!(ids(api, p, long.clone()), Vec::<i32>::new());
    api.update(p, rows[0].id, products::category_id.eq(120))
        .unwrap();
    assert_eq!(ids(api, p, long), [rows[0].id]);
}

/// Whether a hook's writes are precise on `t`'s environment: on a
/// connection tracked for the test's cache, on an untracked one, and for
/// `update_where` on a tracked one. Precise on the in-process store always
/// (nothing to announce); on a shared one, in autocommit, on a tracked
/// PostgreSQL connection, sync or async, on any MySQL connection, sync or
/// async, and any SQLite one, sync or async (the hook's own transaction is
/// held open for its announcement; the async one runs the whole sync hook
/// on the wrapper's thread). `update_where` is precise where its statement
/// returns its rows: on PostgreSQL.
pub(crate) fn precise<D: Api>(t: &Products<D>) -> Precise {
    let postgres = is_postgres::<D::Sync>();
    let shared = t.cache.backend().capabilities().shared;
    Precise {
        tracked: true,
        untracked: !postgres || !shared,
        update_where_tracked: postgres,
    }
}

/// See [`precise`].
pub(crate) struct Precise {
    pub(crate) tracked: bool,
    untracked: bool,
    update_where_tracked: bool,
}

pub(crate) fn is_postgres<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Pg")
}

pub(crate) fn is_mysql<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Mysql")
}

/// `t` with its connection under test tracked for its cache.
pub(crate) fn tracked<D: Api>(t: &mut Products<D>) -> &mut Products<D> {
    let cache = t.cache.clone();
    t.api.track_under_test(&cache);
    t
}

fn moved_row_tracked<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let precise = precise(t).tracked;
    a_moved_row_leaves_its_lists_and_enters_others_and_the_rest_stay_cached(tracked(t), precise);
}

fn moved_row_untracked<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let precise = precise(t).untracked;
    a_moved_row_leaves_its_lists_and_enters_others_and_the_rest_stay_cached(t, precise);
}

fn two_models_tracked<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
    ProductV2: Updates<D, diesel::dsl::Eq<products::category_id, i32>>,
    ProductTitle: Updates<D, diesel::dsl::Eq<products::title, String>>,
{
    let precise = precise(t).tracked;
    another_model_over_the_table_invalidates_the_lists_it_moves_a_row_out_of(tracked(t), precise);
}

fn two_models_untracked<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
    ProductV2: Updates<D, diesel::dsl::Eq<products::category_id, i32>>,
    ProductTitle: Updates<D, diesel::dsl::Eq<products::title, String>>,
{
    let precise = precise(t).untracked;
    another_model_over_the_table_invalidates_the_lists_it_moves_a_row_out_of(t, precise);
}

fn update_where_tracked<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
{
    let precise = precise(t).update_where_tracked;
    update_where_invalidates_the_rows_it_returned(tracked(t), precise);
}

cache_tests::matrix!(
    api Products; both_apis;
    moved_row_tracked,
    moved_row_untracked,
    two_models_tracked,
    two_models_untracked,
    update_where_tracked,
    a_long_in_list_depends_on_the_table,
    a_batchs_last_rows_invalidate_their_lists,
);

/// On SQLite over a shared store the hook opens `BEGIN IMMEDIATE` of its
/// own; inside a transaction opened by SQL text on an untracked connection
/// (which Diesel does not know of, and where SQLite refuses that `BEGIN`)
/// it is refused and writes nothing, as on MySQL: written inside the
/// caller's transaction, its invalidation could not wait for the commit
/// (an outside probe had another connection fill the old row before the
/// `COMMIT`, and the rolled-back row after a `ROLLBACK`).
#[test]
fn a_sqlite_hook_inside_a_transaction_it_cannot_follow_is_refused() {
    let Some((mut db, cache)) = cache_tests::env::sqlite_and_redis("pi_sqlite_text_tx") else {
        return;
    };
    let p = ProductCache::new(cache);
    let conn = &mut db.conn;
    let kept = p.insert(conn, NewProduct::new("kept", 1)).unwrap().id;
    assert_eq!(p.stats().coarse_invalidations, 0, "precise in autocommit");

    use diesel::connection::SimpleConnection;
    conn.batch_execute("BEGIN").unwrap();
    for refused in [
        p.update(conn, kept, products::category_id.eq(2)).map(drop),
        p.insert(conn, NewProduct::new("added", 1)).map(drop),
        p.delete(conn, kept).map(drop),
    ] {
        let err = refused.unwrap_err().to_string();
        assert!(err.contains("cannot follow"), "{err}");
    }
    conn.batch_execute("COMMIT").unwrap();
    let rows: Vec<(i32, i32)> = products::table
        .select((products::id, products::category_id))
        .order(products::id)
        .load(conn)
        .unwrap();
    assert_eq!(rows, [(kept, 1)], "nothing was written");
    // The connection writes in autocommit again, precisely.
    p.update(conn, kept, products::category_id.eq(3)).unwrap();
    let list = p.all(conn, None, in_category(3)).unwrap();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), [kept]);
    assert_eq!(p.stats().coarse_invalidations, 0);
}

/// An async SQLite hook over a shared store runs whole on the wrapper's
/// thread: a caller that gives up on it (its future dropped after the
/// first poll) leaves it to finish there, `COMMIT` and bumps
/// included, so the row's old and new lists are invalidated, precisely,
/// and the others stay cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_sqlite_hook_given_up_on_still_invalidates_precisely() {
    use diesel_async::SimpleAsyncConnection;
    let Some(redis) = cache_tests::services::redis_url() else {
        return;
    };
    let test = "pi_sqlite_dropped";
    let mut db = cache_tests::db::sqlite_file(test);
    let p = ProductCache::new(cache_tests::env::cache_with_prefix(&redis, test));
    let id = p
        .insert(&mut db.conn, NewProduct::new("moving", 1))
        .unwrap()
        .id;
    let mut conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::new(
        cache_tests::db::open_sqlite_file(db.file().unwrap()),
    );
    let ids = |rows: &[Product]| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    for category in [1, 2, 3] {
        p.all_async(&mut conn, None, in_category(category))
            .await
            .unwrap();
    }
    // Polled once, then dropped: no timer decides (a `timeout` of zero
    // let a fast hook finish before its delay fired).
    {
        let mut hook = std::pin::pin!(p.update_async(&mut conn, id, products::category_id.eq(2)));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(hook.as_mut().poll(cx))).await;
        assert!(
            first.is_pending(),
            "the hook waits for the wrapper's thread"
        );
    }
    // Waits for the wrapper's thread: the hook's task holds the connection.
    conn.batch_execute("SELECT 1").await.unwrap();
    let misses = p.stats().misses;
    let two = p.all_async(&mut conn, None, in_category(2)).await.unwrap();
    let one = p.all_async(&mut conn, None, in_category(1)).await.unwrap();
    p.all_async(&mut conn, None, in_category(3)).await.unwrap();
    assert_eq!((ids(&two), ids(&one)), (vec![id], vec![]));
    assert_eq!(p.stats().misses, misses + 2, "category 3 is still cached");
    assert_eq!(p.stats().coarse_invalidations, 0);
}

diesel::table! { batch_rows (id) { id -> Integer, kind -> Integer } }

/// Rows of two integer columns: a batch of many names few value tags.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = batch_rows)]
#[cache(filter(kind))]
pub struct BatchRow {
    pub id: i32,
    pub kind: i32,
}

/// A row of [`BatchRow`] to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = batch_rows)]
pub struct NewBatchRow {
    pub kind: i32,
}

/// A batch insert of 130 rows (260 column values, 132 value tags) whose
/// last rows are of another kind than the first: every row's values count,
/// not the first 257 (which named only the first kind, and left the other
/// kind's list stale).
fn a_batchs_last_rows_invalidate_their_lists<D: Api>(t: &mut Products<D>)
where
    BatchRow: Reads<D> + cache_tests::api::Inserts<D, Vec<NewBatchRow>>,
{
    let Products { api, cache, .. } = tracked(t);
    let key = if is_postgres::<D::Sync>() {
        "SERIAL PRIMARY KEY"
    } else if is_mysql::<D::Sync>() {
        "INTEGER PRIMARY KEY AUTO_INCREMENT"
    } else {
        "INTEGER PRIMARY KEY"
    };
    api.raw_sql(&format!(
        "CREATE TABLE batch_rows (id {key}, kind INTEGER NOT NULL)"
    ));
    let rows = BatchRowCache::new(cache.clone());
    let of = |kind| BatchRowFilter::default().kind(kind);
    assert!(api.all(&rows, None, of(2)).unwrap().is_empty());
    assert_eq!(api.count(&rows, None, of(2)).unwrap(), 0);
    let batch: Vec<NewBatchRow> = (0..130)
        .map(|i| NewBatchRow {
            kind: if i < 128 { 1 } else { 2 },
        })
        .collect();
    api.insert_many(&rows, batch).unwrap();
    assert_eq!(api.all(&rows, None, of(2)).unwrap().len(), 2);
    assert_eq!(api.count(&rows, None, of(2)).unwrap(), 2);
}
