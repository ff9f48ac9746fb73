//! Precise invalidation that no one model's picture of the schema can
//! fool: a model over a second `table!` of the same SQL table (a lighter
//! one, or one without a column another model filters on, as an older
//! binary's would be), a model over a declared view, a model over a view
//! of one table (`view_of`, precise), and a table declared
//! to cascade into itself. Each writes through its hooks while the other
//! models' details, lists and counts are warm, and none is read stale
//! (each check failed before its fix). Every API on every store.

use crate::precise_invalidation::{counts, ids, in_category, is_mysql, is_postgres, tracked};
use cache_diesel::{Cached, declare_cascade, declare_view};
use cache_tests::api::{Api, Deletes, ProductOps, Products, Reads, Updates};
use cache_tests::models::{NewProduct, Product};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    /// `products` as a lighter schema file sees it.
    #[sql_name = "products"]
    products_lite (id) {
        id -> Integer,
        title -> Text,
    }
}

diesel::table! {
    /// `products` as a schema file written before `category_id` was added
    /// sees it: every column it knows, mapped.
    #[sql_name = "products"]
    products_before (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        is_active -> Bool,
    }
}

/// A model over the lighter `table!`: it maps every column *it* knows.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products_lite)]
#[cache(key = "product_lite")]
pub struct ProductLite {
    pub id: i32,
    pub title: String,
}

/// A model over the older `table!`, with lists of its own.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products_before)]
#[cache(key = "product_before", filter(is_active))]
pub struct ProductBefore {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub is_active: bool,
}

/// The titles of a list read through the cache, by id.
fn titles<D: Api>(api: &mut D, p: &cache_tests::models::ProductCache, category: i32) -> Vec<String>
where
    Product: Reads<D>,
{
    let rows = api.all(p, None, in_category(category)).unwrap();
    rows.into_iter().map(|r| r.title).collect()
}

/// A model whose `table!` lacks the full model's filter columns updates a
/// title and deletes a row: the full model's lists by category and their
/// counts show both at once, and the write is counted as coarse.
fn a_partial_table_writing_leaves_no_full_list_stale<D: Api>(t: &mut Products<D>)
where
    Product: ProductOps<D>,
    ProductLite: Updates<D, diesel::dsl::Eq<products_lite::title, String>> + Deletes<D>,
    ProductBefore: Updates<D, diesel::dsl::Eq<products_before::title, String>> + Deletes<D>,
{
    let Products {
        api,
        products: p,
        cache,
        ..
    } = tracked(t);
    let seed = ["a", "b", "c", "d"]
        .iter()
        .zip([1, 1, 2, 2])
        .map(|(slug, category)| NewProduct::new(slug, category))
        .collect::<Vec<_>>();
    let rows = api.insert_many(p, seed).unwrap();
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| rows[i].id);
    let lite = ProductLiteCache::new(cache.clone());
    let before = ProductBeforeCache::new(cache.clone());
    let warm = |api: &mut D| {
        titles(api, p, 1);
        titles(api, p, 2);
        counts(api, p);
    };
    warm(api);
    assert_eq!(api.counted(|api| warm(api)).1, 0, "warm");

    let renamed = String::from("renamed by the light model");
    api.update(&lite, a, products_lite::title.eq(renamed.clone()))
        .unwrap();
    assert_eq!(titles(api, p, 1), [renamed.as_str(), "Title of b"]);
    assert_eq!(lite.stats().coarse_invalidations, 1);
    let older = String::from("renamed by the older schema");
    api.update(&before, c, products_before::title.eq(older.clone()))
        .unwrap();
    assert_eq!(titles(api, p, 2), [older.as_str(), "Title of d"]);
    assert_eq!(before.stats().coarse_invalidations, 1);
    warm(api);

    assert!(api.delete(&lite, b).unwrap().is_some());
    assert_eq!(ids(api, p, in_category(1)), [a]);
    assert!(api.delete(&before, d).unwrap().is_some());
    assert_eq!(ids(api, p, in_category(2)), [c]);
    assert_eq!(counts(api, p), [1, 1, 0]);
    assert!(api.find(p, b).unwrap().is_none());
}

diesel::table! { shelf_items (id) { id -> Integer, title -> Text, is_active -> Bool, category_id -> Integer } }
diesel::table! { active_shelf_items (id) { id -> Integer, title -> Text, is_active -> Bool, category_id -> Integer } }

/// A table with a view over it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = shelf_items)]
#[cache(filter(category_id), unique(title))]
pub struct ShelfItem {
    pub id: i32,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}

/// The view's model: its writes write `shelf_items`.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = active_shelf_items)]
#[cache(filter(category_id))]
pub struct ActiveShelfItem {
    pub id: i32,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}

/// Creates `shelf_items` and the view `view` of its active rows.
fn create_shelf<D: Api>(api: &mut D, view: &str) {
    api.raw_sql(
        "CREATE TABLE shelf_items (id INTEGER PRIMARY KEY, title VARCHAR(64) NOT NULL UNIQUE,
           is_active BOOLEAN NOT NULL, category_id INTEGER NOT NULL)",
    );
    api.raw_sql(&format!(
        "CREATE VIEW {view} AS
           SELECT id, title, is_active, category_id FROM shelf_items WHERE is_active"
    ));
}

fn shelf_ids<D: Api>(api: &mut D, m: &ShelfItemCache, category: i32) -> Vec<i32>
where
    ShelfItem: Reads<D>,
{
    let filter = ShelfItemFilter::default().category_id(category);
    let rows = api.all(m, None, filter).unwrap();
    rows.iter().map(|r| r.id).collect()
}

/// A write through a declared view's model moves a row: the base table's
/// lists, counts, details and unique lookups show it at once. A write to
/// the base table through its own model stays precise (declaring the view
/// costs it nothing) and reaches the view's lists.
fn a_write_through_a_views_model_invalidates_its_table<D: Api>(t: &mut Products<D>)
where
    ShelfItem: Reads<D> + Updates<D, diesel::dsl::Eq<shelf_items::title, String>>,
    ActiveShelfItem: Reads<D> + Updates<D, diesel::dsl::Eq<active_shelf_items::category_id, i32>>,
{
    // SQLite's views are read-only.
    if !is_postgres::<D::Sync>() && !is_mysql::<D::Sync>() {
        return;
    }
    let precise = crate::precise_invalidation::precise(t).tracked;
    let Products { api, cache, .. } = tracked(t);
    declare_view("active_shelf_items", &["shelf_items"]);
    create_shelf(api, "active_shelf_items");
    api.raw_sql(
        "INSERT INTO shelf_items VALUES (1, 'a', TRUE, 1), (2, 'b', TRUE, 1), (3, 'c', TRUE, 2)",
    );
    let items = ShelfItemCache::new(cache.clone());
    let active = ActiveShelfItemCache::new(cache.clone());
    let in_one = || ShelfItemFilter::default().category_id(1);
    let warm = |api: &mut D| {
        shelf_ids(api, &items, 1);
        shelf_ids(api, &items, 2);
        api.count(&items, None, in_one()).unwrap();
        api.get(&items, 1).unwrap();
        api.get_unique(&items, ShelfItemUnique::Title("a".into()))
            .unwrap();
        api.all(
            &active,
            None,
            ActiveShelfItemFilter::default().category_id(2),
        )
        .unwrap();
    };
    warm(api);
    assert_eq!(api.counted(|api| warm(api)).1, 0, "warm");

    api.update(&active, 1, active_shelf_items::category_id.eq(2))
        .unwrap();
    assert_eq!(shelf_ids(api, &items, 1), [2]);
    assert_eq!(shelf_ids(api, &items, 2), [1, 3]);
    assert_eq!(api.count(&items, None, in_one()).unwrap(), 1);
    assert_eq!(api.get(&items, 1).unwrap().category_id, 2);
    let by_title = ShelfItemUnique::Title("a".into());
    assert_eq!(api.get_unique(&items, by_title).unwrap().category_id, 2);

    // Through the table's own model: the view's list shows the new title,
    // and the table's list of category 1, which the row is not on, stays
    // cached where hooks are precise.
    let coarse = items.stats().coarse_invalidations;
    api.update(&items, 3, shelf_items::title.eq(String::from("renamed")))
        .unwrap();
    let viewed = api
        .all(
            &active,
            None,
            ActiveShelfItemFilter::default().category_id(2),
        )
        .unwrap();
    let viewed: Vec<&str> = viewed.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(viewed, ["a", "renamed"]);
    let kept = api.counted(|api| shelf_ids(api, &items, 1)).1;
    assert_eq!(kept, usize::from(!precise), "category 1 stays cached");
    assert_eq!(
        items.stats().coarse_invalidations,
        coarse + u64::from(!precise)
    );
}

diesel::table! { active_lens_items (id) { id -> Integer, title -> Text, is_active -> Bool, category_id -> Integer } }

/// The view's model, `view_of` its table.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = active_lens_items)]
#[cache(view_of = "shelf_items", filter(category_id))]
pub struct ActiveLensItem {
    pub id: i32,
    pub title: String,
    pub is_active: bool,
    pub category_id: i32,
}

/// A write through the model of a view that shows its table's columns
/// one to one (`view_of`) moves a row and renames another: the table's
/// lists, counts, details and lookups by title show both at once, and the
/// table's lists of a category neither row was in stay cached where hooks
/// are precise (before `view_of`, every write through a view's model
/// invalidated every entry of the table). A write through the table's own
/// model reaches the view's lists.
fn a_write_through_a_view_of_its_table_is_precise<D: Api>(t: &mut Products<D>)
where
    ShelfItem: Reads<D>
        + Updates<D, diesel::dsl::Eq<shelf_items::title, String>>
        + Updates<D, diesel::dsl::Eq<shelf_items::category_id, i32>>,
    ActiveLensItem: Reads<D>
        + Updates<D, diesel::dsl::Eq<active_lens_items::category_id, i32>>
        + Updates<D, diesel::dsl::Eq<active_lens_items::title, String>>,
{
    // SQLite's views are read-only.
    if !is_postgres::<D::Sync>() && !is_mysql::<D::Sync>() {
        return;
    }
    let precise = crate::precise_invalidation::precise(t).tracked;
    let Products { api, cache, .. } = tracked(t);
    create_shelf(api, "active_lens_items");
    api.raw_sql(
        "INSERT INTO shelf_items VALUES (1, 'a', TRUE, 1), (2, 'b', TRUE, 1), (3, 'c', TRUE, 2),
           (4, 'd', TRUE, 3)",
    );
    let items = ShelfItemCache::new(cache.clone());
    let active = ActiveLensItemCache::new(cache.clone());
    let in_one = || ShelfItemFilter::default().category_id(1);
    let active_in = |category| ActiveLensItemFilter::default().category_id(category);
    let by_title = |title: &str| ShelfItemUnique::Title(title.into());
    let warm = |api: &mut D| {
        for category in [1, 2, 3] {
            shelf_ids(api, &items, category);
        }
        api.count(&items, None, in_one()).unwrap();
        api.get(&items, 1).unwrap();
        api.get_unique(&items, by_title("a")).unwrap();
        api.get_unique(&items, by_title("b")).unwrap();
        api.all(&active, None, active_in(2)).unwrap();
        api.all(&active, None, active_in(3)).unwrap();
    };
    warm(api);
    assert_eq!(api.counted(|api| warm(api)).1, 0, "warm");

    api.update(&active, 1, active_lens_items::category_id.eq(2))
        .unwrap();
    api.update(&active, 2, active_lens_items::title.eq(String::from("b2")))
        .unwrap();
    assert_eq!(shelf_ids(api, &items, 1), [2]);
    assert_eq!(shelf_ids(api, &items, 2), [1, 3]);
    assert_eq!(api.count(&items, None, in_one()).unwrap(), 1);
    assert_eq!(api.get(&items, 1).unwrap().category_id, 2);
    assert_eq!(
        api.get_unique(&items, by_title("a")).unwrap().category_id,
        2
    );
    assert_eq!(api.get_unique(&items, by_title("b2")).unwrap().id, 2);
    assert!(api.find_unique(&items, by_title("b")).unwrap().is_none());
    let viewed = api.all(&active, None, active_in(2)).unwrap();
    assert_eq!(viewed.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 3]);
    // (The view's own lists depend on every write to the table, whichever
    // program makes it.)
    let kept = api.counted(|api| shelf_ids(api, &items, 3)).1;
    assert_eq!(kept, usize::from(!precise), "category 3 stays cached");
    assert_eq!(active.stats().coarse_invalidations, 2 * u64::from(!precise));

    // Through the table's own model: the view's list shows the new title.
    api.update(&items, 3, shelf_items::title.eq(String::from("renamed")))
        .unwrap();
    let viewed = api.all(&active, None, active_in(2)).unwrap();
    let viewed: Vec<&str> = viewed.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(viewed, ["a", "renamed"]);

    // The view's details and counts follow the table's writes too (a
    // write through the view once put its row into the view's detail,
    // depending on the view's tags alone, and counts depended on none of
    // the table's).
    let retitled = active_lens_items::title.eq(String::from("through the view"));
    api.update(&active, 3, retitled).unwrap();
    assert_eq!(api.get(&active, 3).unwrap().title, "through the view");
    assert_eq!(api.count(&active, None, active_in(2)).unwrap(), 2);
    api.update(&items, 3, shelf_items::category_id.eq(3))
        .unwrap();
    assert_eq!(api.get(&active, 3).unwrap().category_id, 3);
    assert_eq!(api.count(&active, None, active_in(2)).unwrap(), 1);
}

/// Inside a transaction on a tracked connection, a read of the table
/// after a write through its view's model reads the write, as does a read
/// of the view after a write to the table (both were served the cached
/// row: the transaction had written the other name).
#[test]
fn a_transaction_reads_what_it_wrote_through_a_view() {
    use diesel::connection::SimpleConnection;
    let Some((mut db, cache)) = cache_tests::env::postgres_and_redis("view_of_transaction") else {
        return;
    };
    db.track(&cache);
    let conn = &mut db.conn;
    conn.batch_execute(
        "CREATE TABLE shelf_items (id INTEGER PRIMARY KEY, title VARCHAR(64) NOT NULL UNIQUE,
           is_active BOOLEAN NOT NULL, category_id INTEGER NOT NULL);
         CREATE VIEW active_lens_items AS
           SELECT id, title, is_active, category_id FROM shelf_items WHERE is_active;
         INSERT INTO shelf_items VALUES (1, 'a', TRUE, 1)",
    )
    .unwrap();
    let items = ShelfItemCache::new(cache.clone());
    let active = ActiveLensItemCache::new(cache.clone());
    assert_eq!(items.get(conn, 1).unwrap().title, "a");
    assert_eq!(active.get(conn, 1).unwrap().title, "a");
    conn.transaction(|conn| {
        let through_view = active_lens_items::title.eq(String::from("by the view"));
        active.update(conn, 1, through_view).unwrap();
        assert_eq!(items.get(conn, 1).unwrap().title, "by the view");
        let to_table = shelf_items::title.eq(String::from("by the table"));
        items.update(conn, 1, to_table).unwrap();
        assert_eq!(active.get(conn, 1).unwrap().title, "by the table");
        diesel::QueryResult::Ok(())
    })
    .unwrap();
    assert_eq!(items.get(conn, 1).unwrap().title, "by the table");
    assert_eq!(active.get(conn, 1).unwrap().title, "by the table");
    cache.clear().unwrap();
}

diesel::table! { tree_nodes (id) { id -> Integer, parent_id -> Nullable<Integer>, kind -> Integer } }

/// A row of a table whose foreign key references itself, deleting its
/// children with it.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = tree_nodes)]
#[cache(filter(kind))]
pub struct TreeNode {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub kind: i32,
}

/// `declare_cascade(t, &[t])`: a hook delete of a parent leaves none of
/// the rows it cascaded to cached, nor the counts of their kind.
fn a_table_cascading_into_itself_invalidates_its_other_rows<D: Api>(t: &mut Products<D>)
where
    TreeNode: Reads<D> + Deletes<D>,
{
    let Products { api, cache, .. } = tracked(t);
    declare_cascade("tree_nodes", &["tree_nodes"]);
    if is_postgres::<D::Sync>() || is_mysql::<D::Sync>() {
        api.raw_sql(
            "CREATE TABLE tree_nodes (id INTEGER PRIMARY KEY, parent_id INTEGER NULL,
               kind INTEGER NOT NULL,
               FOREIGN KEY (parent_id) REFERENCES tree_nodes (id) ON DELETE CASCADE)",
        );
    } else {
        // (SQLite enforces foreign keys only where a connection asks;
        // a trigger does the same on every connection.)
        api.raw_sql("CREATE TABLE tree_nodes (id INTEGER PRIMARY KEY, parent_id INTEGER NULL, kind INTEGER NOT NULL)");
        api.raw_sql(
            "CREATE TRIGGER tree_nodes_cascade AFTER DELETE ON tree_nodes
             BEGIN DELETE FROM tree_nodes WHERE parent_id = OLD.id; END",
        );
    }
    api.raw_sql("INSERT INTO tree_nodes VALUES (1, NULL, 1), (2, 1, 2), (3, 1, 2), (4, NULL, 2)");
    let nodes = TreeNodeCache::new(cache.clone());
    let of_kind = |kind| TreeNodeFilter::default().kind(kind);
    let warm = |api: &mut D| {
        for id in [2, 3, 4] {
            api.find(&nodes, id).unwrap();
        }
        api.count(&nodes, None, of_kind(2)).unwrap();
        api.all(&nodes, None, of_kind(2)).unwrap();
    };
    warm(api);
    assert_eq!(api.counted(|api| warm(api)).1, 0, "warm");

    assert!(api.delete(&nodes, 1).unwrap().is_some());
    assert!(api.find(&nodes, 2).unwrap().is_none(), "a cascaded row");
    assert!(api.find(&nodes, 3).unwrap().is_none(), "a cascaded row");
    assert_eq!(api.count(&nodes, None, of_kind(2)).unwrap(), 1);
    let left = api.all(&nodes, None, of_kind(2)).unwrap();
    assert_eq!(left.iter().map(|n| n.id).collect::<Vec<_>>(), [4]);
}

cache_tests::matrix!(
    api Products; both_apis;
    a_partial_table_writing_leaves_no_full_list_stale,
    a_write_through_a_views_model_invalidates_its_table,
    a_write_through_a_view_of_its_table_is_precise,
    a_table_cascading_into_itself_invalidates_its_other_rows,
);
