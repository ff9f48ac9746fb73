//! Id lists (`#[cache(id_lists)]`, DESIGN section 13): lists, pages and
//! counts hold their rows' ids, the rows come from their own entries. A
//! write to a column no list filters or orders by (a price) leaves a warm
//! page a hit, with the new price; a write that moves a row out of the
//! filter, reorders it, inserts or deletes one, invalidates the page. On
//! every store; database queries counted.

use cache_diesel::{Cache, Cached, ModelQueries, UpdateQuery};
use cache_tests::api::{Api, ApiOpener, Deletes, Inserts, Reads, Updates};
use cache_tests::db::TestDb;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    shop_items (id) {
        id -> Integer,
        title -> Text,
        price -> Integer,
        is_active -> Bool,
        pos -> Integer,
    }
}

/// A product of the shop: the main list is the active ones, by `pos`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shop_items)]
#[cache(id_lists, filter(is_active), order_by(pos))]
struct Item {
    id: i32,
    title: String,
    price: i32,
    is_active: bool,
    pos: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = shop_items)]
struct NewItem {
    title: String,
    price: i32,
    is_active: bool,
    pos: i32,
}

fn ddl<C: Connection>() -> &'static str {
    let backend = std::any::type_name::<C::Backend>();
    if backend.ends_with("::Pg") {
        "CREATE TABLE shop_items (id SERIAL PRIMARY KEY, title TEXT NOT NULL, \
         price INTEGER NOT NULL, is_active BOOLEAN NOT NULL, pos INTEGER NOT NULL)"
    } else if backend.ends_with("::Mysql") {
        "CREATE TABLE shop_items (id INTEGER AUTO_INCREMENT PRIMARY KEY, \
         title VARCHAR(64) NOT NULL, price INTEGER NOT NULL, is_active BOOLEAN NOT NULL, \
         pos INTEGER NOT NULL)"
    } else {
        "CREATE TABLE shop_items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         price INTEGER NOT NULL, is_active BOOLEAN NOT NULL, pos INTEGER NOT NULL)"
    }
}

type Price = diesel::dsl::Eq<shop_items::price, i32>;
type Active = diesel::dsl::Eq<shop_items::is_active, bool>;
type Pos = diesel::dsl::Eq<shop_items::pos, i32>;

/// What the concurrent check does with `Item` on connection type `C`.
trait Queries<C>:
    ModelQueries<C> + UpdateQuery<C, Price> + UpdateQuery<C, Active> + UpdateQuery<C, Pos>
{
}
impl<C, M> Queries<C> for M where
    M: ModelQueries<C> + UpdateQuery<C, Price> + UpdateQuery<C, Active> + UpdateQuery<C, Pos>
{
}

fn new_item(i: i32) -> NewItem {
    NewItem {
        title: format!("item {i}"),
        price: 100 + i,
        is_active: i % 3 != 0,
        pos: 10 * i,
    }
}

/// The table with 12 rows (8 active), seeded by SQL on `conn`.
fn create<C: Connection>(conn: &mut C) {
    conn.batch_execute(ddl::<C>()).unwrap();
    let rows: Vec<String> = (1..=12)
        .map(new_item)
        .map(|n| {
            let active = if n.is_active { "TRUE" } else { "FALSE" };
            format!("('{}', {}, {active}, {})", n.title, n.price, n.pos)
        })
        .collect();
    conn.batch_execute(&format!(
        "INSERT INTO shop_items (title, price, is_active, pos) VALUES {}",
        rows.join(", ")
    ))
    .unwrap();
}

/// The table, the API under test (tracked), the manager with id lists,
/// the same rows with whole-row lists, and a manager that reads the
/// database only (`dummy://`).
struct Items<D> {
    api: D,
    cache: Cache,
    items: ItemCache,
    whole: RowItemCache,
    truth: ItemCache,
}

impl<D: Api> Items<D> {
    fn open(open: ApiOpener<D>, test: &str) -> Option<Self> {
        let (mut api, cache) = open(test)?;
        create(api.sync_conn());
        api.track(&cache);
        api.track_under_test(&cache);
        Some(Items {
            api,
            items: ItemCache::new(cache.clone()),
            whole: RowItemCache::new(cache.clone()),
            truth: ItemCache::new(Cache::from_url("dummy://").unwrap()),
            cache,
        })
    }
}

impl<D> Drop for Items<D> {
    fn drop(&mut self) {
        let _ = self.cache.clear();
    }
}

/// The same rows with whole-row lists (the default), to compare.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shop_items)]
#[cache(filter(is_active), order_by(pos))]
struct RowItem {
    id: i32,
    title: String,
    price: i32,
    is_active: bool,
    pos: i32,
}

/// A model over the same table without the order column `pos`: its
/// updates may still set it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shop_items)]
#[cache(filter(is_active))]
struct ItemTitle {
    id: i32,
    title: String,
    is_active: bool,
}

/// The second page of three of the active items by `pos`.
fn page() -> ItemFilter {
    ItemFilter::default()
        .is_active(true)
        .order_by(ItemOrder::PosAsc)
        .offset(3)
        .limit(3)
}

/// The first page, for the whole-row model.
fn first_whole_page() -> RowItemFilter {
    RowItemFilter::default()
        .is_active(true)
        .order_by(RowItemOrder::PosAsc)
        .limit(3)
}

/// What a check does with the models through driver `D`.
trait Ops<D: Api>:
    Reads<D>
    + Inserts<D, NewItem>
    + Deletes<D>
    + Updates<D, Price>
    + Updates<D, Active>
    + Updates<D, Pos>
    + ModelQueries<D::Sync>
{
}
impl<D: Api, M> Ops<D> for M where
    M: Reads<D>
        + Inserts<D, NewItem>
        + Deletes<D>
        + Updates<D, Price>
        + Updates<D, Active>
        + Updates<D, Pos>
        + ModelQueries<D::Sync>
{
}

/// Reads `filter`'s page and count through the API under test, checks them
/// against the database, and returns them with how many queries the two
/// reads sent.
fn read<D: Api>(t: &mut Items<D>, filter: ItemFilter) -> (Vec<Item>, usize)
where
    Item: Ops<D>,
{
    let Items {
        api, items, truth, ..
    } = t;
    let ((rows, count), queries) = api.counted(|api| {
        let rows = api.all(items, None, filter.clone()).unwrap().into_vec();
        let count = api.count(items, None, filter.clone()).unwrap();
        (rows, count)
    });
    let expected = truth.all(api.sync_conn(), None, filter.clone()).unwrap();
    assert_eq!(rows, expected.into_vec(), "{}: the page", D::NAME);
    let expected = truth.count(api.sync_conn(), None, filter).unwrap();
    assert_eq!(count, expected, "{}: the count", D::NAME);
    (rows, queries)
}

/// Reads until `filter`'s page and count are served with no query (at
/// most 3 reads: the list's miss, the rows' batch, a hit).
fn warm<D: Api>(t: &mut Items<D>, filter: ItemFilter)
where
    Item: Ops<D>,
{
    for _ in 0..3 {
        if read(t, filter.clone()).1 == 0 {
            return;
        }
    }
    panic!("{}: the page is not served from the cache", D::NAME);
}

fn a_price_write_leaves_the_lists_valid<D: Api>(t: &mut Items<D>)
where
    Item: Ops<D>,
    RowItem: Reads<D>,
{
    let other = page().offset(0);
    warm(t, page());
    warm(t, other.clone());
    let whole = |t: &mut Items<D>| {
        let Items { api, whole, .. } = t;
        api.counted(|api| api.all(whole, None, first_whole_page()).unwrap().len())
    };
    whole(t);
    assert_eq!(whole(t).1, 0, "the whole-row page is a hit");
    let on_page = read(t, page()).0[1].id;
    let Items { api, items, .. } = t;
    api.update(items, on_page, shop_items::price.eq(999))
        .unwrap();
    // Another page of the list and the count stay hits; the whole-row
    // model's page, which holds none of the written row, is read again.
    assert_eq!(read(t, other).1, 0, "another page: a hit");
    assert_eq!(whole(t).1, 1, "a whole-row page is invalidated");
    // The page that holds the row reads it again (one query by id), or
    // not even that where the hook put it in place (write-through: every
    // store but a cluster).
    let through = t.cache.backend().kind() != "cluster";
    let (rows, queries) = read(t, page());
    assert_eq!(
        queries,
        usize::from(!through),
        "{}: only the written row, where it was not put",
        D::NAME
    );
    assert_eq!(rows[1].price, 999);
    assert_eq!(read(t, page()).1, 0, "then a hit");
    // A price write to a row on no page of the list (an inactive one).
    let Items { api, items, .. } = t;
    api.update(items, 3, shop_items::price.eq(1)).unwrap();
    assert_eq!(read(t, page()).1, 0, "another row's write");
}

fn writes_that_change_a_list_invalidate_it<D: Api>(t: &mut Items<D>)
where
    Item: Ops<D>,
    ItemTitle: Updates<D, Pos>,
{
    // Out of the filter: the row leaves the page.
    warm(t, page());
    let leaving = read(t, page()).0[0].id;
    let Items { api, items, .. } = t;
    api.update(items, leaving, shop_items::is_active.eq(false))
        .unwrap();
    let (rows, queries) = read(t, page());
    assert!(queries > 0, "the list is read again");
    assert!(rows.iter().all(|r| r.id != leaving));
    // Back in.
    warm(t, page());
    let Items { api, items, .. } = t;
    api.update(items, leaving, shop_items::is_active.eq(true))
        .unwrap();
    assert!(read(t, page()).0.iter().any(|r| r.id == leaving));
    // Reordered (the order column): first on the list, off this page.
    warm(t, page());
    let moved = read(t, page()).0[2].id;
    let Items { api, items, .. } = t;
    api.update(items, moved, shop_items::pos.eq(-1)).unwrap();
    assert!(read(t, page()).0.iter().all(|r| r.id != moved));
    // An inactive row moved by `pos`: every list ordered by `pos` is read
    // again (the column's changed tag is the table's), and right.
    warm(t, page());
    let Items { api, items, .. } = t;
    api.update(items, 6, shop_items::pos.eq(-5)).unwrap();
    read(t, page());
    // An insert before the page shifts it; a delete shifts it back.
    warm(t, page());
    let mut first = new_item(0);
    (first.is_active, first.pos) = (true, -100);
    let Items { api, items, .. } = t;
    let inserted = api.insert(items, first).unwrap();
    assert!(read(t, page()).1 > 0);
    warm(t, page());
    let Items { api, items, .. } = t;
    api.delete(items, inserted.id).unwrap();
    assert!(read(t, page()).1 > 0);
    // A row of the page deleted.
    warm(t, page());
    let gone = read(t, page()).0[1].id;
    let Items { api, items, .. } = t;
    api.delete(items, gone).unwrap();
    assert!(read(t, page()).0.iter().all(|r| r.id != gone));
    // Reordered by a model that does not map `pos` (found by an outside
    // review: its write named no changed tag, and the page kept its order).
    warm(t, page());
    let moved = read(t, page()).0[0].id;
    let titles = ItemTitleCache::new(t.cache.clone());
    let Items { api, .. } = t;
    api.update(&titles, moved, shop_items::pos.eq(-7)).unwrap();
    assert!(read(t, page()).0.iter().all(|r| r.id != moved));
    // Tracked SQL (values unknown): the table's epoch.
    warm(t, page());
    t.api
        .raw_sql("UPDATE shop_items SET price = price + 1, pos = pos + 1");
    assert!(read(t, page()).1 > 0);
}

/// On a Redis without a local tier, a warm page is one round trip: the
/// list's entry read with the rows of the ids it held when this process
/// last read it. A price write keeps it one (the row is put in place, in
/// the round trip that bumps the write's other tags); a
/// write that changes which rows the page holds costs more, and serves
/// the right rows. (In process and on a local tier a hit does no I/O; a
/// cluster reads each node.)
fn a_warm_page_is_one_round_trip<D: Api>(t: &mut Items<D>)
where
    Item: Ops<D>,
{
    if t.cache.backend().kind() != "redis" {
        return;
    }
    let redis = cache_tests::services::redis_url().expect("Redis");
    let address = cache_tests::services::redis_address(&redis);
    let proxy = cache_tests::proxy::Proxy::start(&address);
    let proxied = redis.replacen(&address, &format!("127.0.0.1:{}", proxy.port()), 1);
    let mut config = cache_diesel::CacheConfig::from_url(&proxied).unwrap();
    config.key_prefix = t.cache.config().key_prefix.clone();
    config.schema_settle = t.cache.config().schema_settle;
    let items = ItemCache::new(Cache::new(config).unwrap());
    let read = |t: &mut Items<D>| {
        // (A fill is sent without waiting for its reply: the GET reads it,
        // and both cross the proxy before the count starts.)
        items.cache().get::<String>("settle").unwrap();
        let trips = proxy.requests();
        let (rows, queries) = t
            .api
            .counted(|api| api.all(&items, None, page()).unwrap().into_vec());
        let expected = t.truth.all(t.api.sync_conn(), None, page()).unwrap();
        assert_eq!(rows, expected.into_vec(), "{}: the page", D::NAME);
        (rows, queries, proxy.requests() - trips)
    };
    // The first read loads the ids and the rows; the next knows the ids.
    read(t);
    let (rows, queries, trips) = read(t);
    assert_eq!((queries, trips), (0, 1), "{}: a warm page", D::NAME);
    // The write itself: its announcement (with the note of the row's
    // tags), the announcement of the tags its statement learned (before
    // its commit), then the put of its row with every bump (once a round
    // trip of its own).
    let trips = proxy.requests();
    (t.api)
        .update(&items, rows[1].id, shop_items::price.eq(999))
        .unwrap();
    let trips = proxy.requests() - trips;
    assert_eq!(trips, 3, "{}: a price write's round trips", D::NAME);
    let (rows, queries, trips) = read(t);
    assert_eq!(rows[1].price, 999);
    assert_eq!((queries, trips), (0, 1), "{}: after a price write", D::NAME);
    // The first row leaves the list: the page the ids were guessed for is
    // stale, so it is read as usual (the list, then its rows).
    let Items {
        api, items: hooks, ..
    } = t;
    api.update(hooks, rows[0].id, shop_items::is_active.eq(false))
        .unwrap();
    let (moved, _, trips) = read(t);
    assert!(moved.iter().all(|r| r.id != rows[0].id));
    assert!(trips > 1, "{}: {trips} round trips", D::NAME);
    let (_, queries, trips) = read(t);
    assert_eq!((queries, trips), (0, 1), "{}: the new page, warm", D::NAME);
}

/// Writers move rows in and out of the list, reorder them and change their
/// prices while a reader reads the page, round after round; once a round's
/// writers are done, the page read through the cache is the database's.
fn concurrent_writes_leave_no_stale_page<C: Connection + Send + 'static>(
    db: &mut TestDb<C>,
    cache: &Cache,
) where
    Item: Queries<C>,
{
    if std::any::type_name::<C::Backend>().ends_with("::Sqlite") && db.file().is_none() {
        // (In-memory SQLite has one connection: see the test below.)
        return;
    }
    create(&mut db.conn);
    db.track(cache);
    let items = ItemCache::new(cache.clone());
    let truth = ItemCache::new(Cache::from_url("dummy://").unwrap());
    let tracked = |db: &TestDb<C>| {
        let mut conn = db.another();
        conn.set_instrumentation(
            cache_diesel::CacheTracking::for_connection::<C>().for_caches([cache.clone()]),
        );
        conn
    };
    let mut writers: Vec<C> = (0..3).map(|_| tracked(db)).collect();
    let mut reader = tracked(db);
    let rounds = 60;
    let barrier = std::sync::Barrier::new(writers.len() + 1);
    std::thread::scope(|s| {
        for (w, conn) in writers.iter_mut().enumerate() {
            let (items, barrier) = (&items, &barrier);
            s.spawn(move || {
                for round in 0..rounds {
                    let id = 1 + ((round * 7 + w * 5) % 12) as i32;
                    let outcome = match (round + w) % 3 {
                        0 => items.update(conn, id, shop_items::price.eq(round as i32)),
                        1 => items.update(conn, id, shop_items::is_active.eq(round % 2 == 0)),
                        _ => items.update(conn, id, shop_items::pos.eq((round * 13 % 97) as i32)),
                    };
                    // (MySQL may pick a writer as a deadlock's victim;
                    // SQLite's lock may time out.)
                    if let Err(e) = outcome {
                        let e = e.to_string();
                        assert!(e.contains("eadlock") || e.contains("locked"), "{e}");
                    }
                    barrier.wait();
                    barrier.wait();
                }
            });
        }
        for round in 0..rounds {
            // Reads while the writers write ...
            let _ = items.all(&mut reader, None, page());
            let _ = items.count(&mut reader, None, page());
            barrier.wait();
            // ... and once they are done, reads what the database holds.
            let rows = items.all(&mut reader, None, page()).unwrap().into_vec();
            let count = items.count(&mut reader, None, page()).unwrap();
            let expected = truth.all(&mut db.conn, None, page()).unwrap().into_vec();
            assert_eq!(rows, expected, "round {round}: a stale page");
            let expected_count = truth.count(&mut db.conn, None, page()).unwrap();
            assert_eq!(count, expected_count, "round {round}: a stale count");
            barrier.wait();
        }
    });
}

/// A row whose own entry shows it outside a list's condition is not served
/// in the list: a write the cache did not see moved it out, and its entry
/// is gone (evicted), so the row read for the list is the moved one. (The
/// same as a read of the ids racing a write that moves a row.) The list is
/// read from the database.
fn a_row_found_outside_the_lists_condition_is_not_served_in_it<C: Connection + 'static>(
    db: &mut TestDb<C>,
    cache: &Cache,
) where
    Item: Queries<C>,
{
    create(&mut db.conn);
    db.track(cache);
    let items = ItemCache::new(cache.clone());
    let truth = ItemCache::new(Cache::from_url("dummy://").unwrap());
    let first = page().offset(0);
    let read = |conn: &mut C| items.all(conn, None, first.clone()).unwrap();
    read(&mut db.conn);
    let moved = read(&mut db.conn).into_vec()[1].id;
    db.instrument(|_: diesel::connection::InstrumentationEvent<'_>| {});
    db.conn
        .batch_execute(&format!(
            "UPDATE shop_items SET is_active = FALSE WHERE id = {moved}"
        ))
        .unwrap();
    db.track(cache);
    let key = items.detail_key(&ItemUnique::Id(moved));
    assert!(cache.backend().delete(&key).unwrap(), "the row's entry");
    let (rows, queries) = db.counted(|conn| read(conn).into_vec());
    assert!(rows.iter().all(|r| r.id != moved), "the moved row served");
    let expected = truth.all(&mut db.conn, None, first.clone()).unwrap();
    assert_eq!(rows, expected.into_vec());
    assert!(queries > 0);
}

/// The same on SQLite in a file (several connections) over the in-process
/// store, where the hook puts written rows in place.
#[test]
fn concurrent_writes_leave_no_stale_page_on_sqlite_in_process() {
    let mut db = cache_tests::db::sqlite_file("id_lists_concurrent");
    let cache = cache_tests::env::cache_with_prefix("memory://", "id_lists_concurrent");
    concurrent_writes_leave_no_stale_page(&mut db, &cache);
}

cache_tests::matrix!(api Items; both_apis;
    a_price_write_leaves_the_lists_valid,
    a_warm_page_is_one_round_trip,
    writes_that_change_a_list_invalidate_it,
);

mod concurrent {
    use super::*;
    cache_tests::matrix!(parts; stores;
        concurrent_writes_leave_no_stale_page,
        a_row_found_outside_the_lists_condition_is_not_served_in_it,
    );
}
