//! Ordered, paginated and counted lists (`order_by`, `limit`, `offset`,
//! keyset `after`, `count`) on SQLite + memory and PostgreSQL + Redis: each
//! page is the slice the database gives for the same query, a second read
//! runs no query, and writes (hooks, tracked SQL) invalidate pages and
//! counts alike.

use cache_diesel::__private::ListFilter;
use cache_diesel::Error;
use cache_tests::models::{NewProduct, Product, ProductFilter, ProductOrder, ProductSortKey};
use proptest::prelude::*;

/// Every order the model accepts.
const ORDERS: [ProductOrder; 6] = [
    ProductOrder::IdAsc,
    ProductOrder::IdDesc,
    ProductOrder::TitleAsc,
    ProductOrder::TitleDesc,
    ProductOrder::CategoryIdAsc,
    ProductOrder::CategoryIdDesc,
];

/// `rows` sorted as `order` says, ties broken by the id in the same
/// direction: the reference the database's pages are checked against.
fn sorted(mut rows: Vec<Product>, order: ProductOrder) -> Vec<Product> {
    use ProductOrder::*;
    rows.sort_by(|a, b| match order {
        IdAsc => a.id.cmp(&b.id),
        IdDesc => b.id.cmp(&a.id),
        TitleAsc => (&a.title, a.id).cmp(&(&b.title, b.id)),
        TitleDesc => (&b.title, b.id).cmp(&(&a.title, a.id)),
        CategoryIdAsc => (a.category_id, a.id).cmp(&(b.category_id, b.id)),
        CategoryIdDesc => (b.category_id, b.id).cmp(&(a.category_id, a.id)),
    });
    rows
}

fn ids(rows: &[Product]) -> Vec<i32> {
    rows.iter().map(|r| r.id).collect()
}

/// Products whose titles and categories repeat (ties for every order but
/// the id).
fn seed_rows(n: usize) -> Vec<NewProduct> {
    (0..n)
        .map(|i| NewProduct {
            slug: format!("p{i}"),
            title: format!("title {}", (i * 7) % 5),
            is_active: i % 3 != 0,
            category_id: (i % 4) as i32,
        })
        .collect()
}

#[test]
fn orders_parse_print_and_serialize_as_field_names() {
    for order in ORDERS {
        let text = order.to_string();
        assert_eq!(text.parse::<ProductOrder>().unwrap(), order);
        assert_eq!(
            serde_json::to_string(&order).unwrap(),
            format!("\"{text}\"")
        );
        let back: ProductOrder = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, order);
    }
    assert_eq!(ProductOrder::default(), ProductOrder::IdAsc);
    assert_eq!(ProductOrder::TitleDesc.to_string(), "-title");
    let err = "-price".parse::<ProductOrder>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown order `-price`; accepted are: id, -id, title, -title, category_id, -category_id"
    );
    assert!(serde_json::from_str::<ProductOrder>("\"slug\"").is_err());
}

#[test]
fn filters_key_their_order_and_window_and_only_windows_are_windows() {
    let base = ProductFilter::default().is_active(true);
    let keys: Vec<String> = [
        base.clone(),
        base.clone().order_by(ProductOrder::TitleDesc),
        base.clone().limit(10),
        base.clone().limit(10).offset(10),
        base.clone().offset(10),
        base.clone().after(ProductSortKey {
            id: 3,
            title: "t".into(),
            category_id: 1,
        }),
        base.clone().after(ProductSortKey {
            id: 4,
            title: "t".into(),
            category_id: 1,
        }),
    ]
    .iter()
    .map(ListFilter::cache_key)
    .collect();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b, "two different lists share a key");
        }
    }
    assert_eq!(
        base.clone().order_by(ProductOrder::IdAsc).cache_key(),
        base.cache_key(),
        "the default order is the same list"
    );
    assert!(!base.clone().order_by(ProductOrder::TitleAsc).is_window());
    assert!(base.clone().limit(1).is_window());
    assert!(base.clone().offset(1).is_window());
}

/// A sort key's serde (written by the derive, read by cache-diesel's
/// `sort_key.rs`) is serde's derive's: a cursor a client kept from before
/// reads the same, and its list keys are the same.
#[test]
fn sort_keys_serialize_as_serdes_derive_did() {
    let key = ProductSortKey {
        id: 3,
        title: "t\"x".into(),
        category_id: 1,
    };
    let json = serde_json::to_string(&key).unwrap();
    assert_eq!(json, r#"{"id":3,"title":"t\"x","category_id":1}"#);
    for text in [
        json.as_str(),
        r#"{"category_id":1,"title":"t\"x","id":3,"extra":[1]}"#,
        r#"[3,"t\"x",1]"#,
    ] {
        let back: ProductSortKey = serde_json::from_str(text).unwrap();
        assert_eq!(
            (back.id, back.title.as_str(), back.category_id),
            (3, "t\"x", 1)
        );
    }
    for (bad, error) in [
        (r#"{"id":3,"title":"t"}"#, "missing field `category_id`"),
        (
            r#"{"id":3,"id":4,"title":"t","category_id":1}"#,
            "duplicate field `id`",
        ),
        (
            r#"[3,"t"]"#,
            "invalid length 2, expected struct ProductSortKey with 3 elements",
        ),
    ] {
        let found = serde_json::from_str::<ProductSortKey>(bad)
            .unwrap_err()
            .to_string();
        assert!(found.starts_with(error), "{bad}: {found}");
    }
}

macro_rules! page_suite {
    ($env:ident) => {
        use super::*;
        use cache_tests::env::Env;
        use cache_tests::models::products;
        use diesel::prelude::*;

        fn seeded(test: &str, n: usize) -> Option<Env<cache_tests::env::connection::$env>> {
            let mut env = cache_tests::env::matrix::$env(test)?;
            env.products
                .insert_many(&mut env.db.conn, seed_rows(n))
                .unwrap();
            env.db.take_queries();
            Some(env)
        }

        #[test]
        fn every_order_is_the_databases_and_a_second_read_is_a_hit() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_orders"), 23) else {
                return;
            };
            let all: Vec<Product> = products::table
                .select(Product::as_select())
                .load(&mut env.db.conn)
                .unwrap();
            env.db.take_queries();
            let p = &env.products;
            for order in ORDERS {
                let filter = ProductFilter::default().order_by(order);
                let (rows, q1) = env.db.counted(|c| p.all(c, None, filter.clone()).unwrap());
                let (again, q2) = env.db.counted(|c| p.all(c, None, filter.clone()).unwrap());
                assert_eq!(ids(&rows), ids(&sorted(all.clone(), order)), "{order}");
                assert_eq!((q1, q2), (1, 0), "{order}: a miss, then a hit");
                assert_eq!(again, rows);
            }
            let _ = env.cache.clear();
        }

        #[test]
        fn limit_and_offset_pages_tile_the_ordered_list() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_offsets"), 17) else {
                return;
            };
            let p = &env.products;
            for order in [ProductOrder::TitleDesc, ProductOrder::CategoryIdAsc] {
                let filter = ProductFilter::default().is_active(true).order_by(order);
                let whole = p.all(&mut env.db.conn, None, filter.clone()).unwrap();
                let mut tiled = Vec::new();
                for page in 0..5i64 {
                    let f = filter.clone().limit(4).offset(page * 4);
                    tiled.extend(p.all(&mut env.db.conn, None, f).unwrap());
                }
                assert_eq!(ids(&tiled), ids(&whole), "{order}");
                // An offset alone (SQLite needs a LIMIT for it: Diesel writes one).
                let rest = p
                    .all(&mut env.db.conn, None, filter.clone().offset(5))
                    .unwrap();
                assert_eq!(ids(&rest), ids(&whole[5..]), "{order}");
                let none = p
                    .all(&mut env.db.conn, None, filter.clone().limit(0))
                    .unwrap();
                assert!(none.is_empty(), "limit 0");
                let past = p
                    .all(&mut env.db.conn, None, filter.clone().offset(i64::MAX))
                    .unwrap();
                assert!(past.is_empty(), "an offset past the end");
            }
            let _ = env.cache.clear();
        }

        #[test]
        fn keyset_pages_visit_every_row_once_in_every_order_with_ties() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_keyset"), 19) else {
                return;
            };
            let p = &env.products;
            for order in ORDERS {
                let filter = ProductFilter::default().order_by(order);
                let whole = p.all(&mut env.db.conn, None, filter.clone()).unwrap();
                let (mut walked, mut after) = (Vec::new(), None);
                loop {
                    let mut f = filter.clone().limit(3);
                    if let Some(key) = after.take() {
                        f = f.after(key);
                    }
                    let page = p.all(&mut env.db.conn, None, f).unwrap();
                    let Some(last) = page.last() else { break };
                    after = Some(ProductSortKey::of(last));
                    walked.extend(page);
                    assert!(
                        walked.len() <= whole.len(),
                        "{order}: the walk repeats rows"
                    );
                }
                assert_eq!(ids(&walked), ids(&whole), "{order}");
            }
            let _ = env.cache.clear();
        }

        #[test]
        fn counts_ignore_the_window_are_cached_and_follow_writes() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_count"), 12) else {
                return;
            };
            env.track();
            let p = &env.products;
            let active = ProductFilter::default().is_active(true);
            let (n, q1) = env
                .db
                .counted(|c| p.count(c, None, active.clone()).unwrap());
            let (again, q2) = env
                .db
                .counted(|c| p.count(c, None, active.clone()).unwrap());
            assert_eq!((n, again, q1, q2), (8, 8, 1, 0));
            let windowed = active
                .clone()
                .order_by(ProductOrder::TitleAsc)
                .limit(2)
                .offset(1);
            let (n, q) = env
                .db
                .counted(|c| p.count(c, None, windowed.clone()).unwrap());
            assert_eq!((n, q), (8, 0), "every page of a list shares its count");
            assert_eq!(
                windowed.clone().without_window().cache_key(),
                active.clone().order_by(ProductOrder::TitleAsc).cache_key()
            );
            assert!(!windowed.without_window().is_window());
            assert_eq!(
                p.count(&mut env.db.conn, None, ProductFilter::default())
                    .unwrap(),
                12
            );
            // A hook write.
            p.insert(&mut env.db.conn, NewProduct::new("new-one", 9))
                .unwrap();
            assert_eq!(p.count(&mut env.db.conn, None, active.clone()).unwrap(), 9);
            // A write the hooks never saw, on the tracked connection.
            diesel::update(products::table.filter(products::slug.eq("new-one")))
                .set(products::is_active.eq(false))
                .execute(&mut env.db.conn)
                .unwrap();
            assert_eq!(p.count(&mut env.db.conn, None, active).unwrap(), 8);
            let _ = env.cache.clear();
        }

        #[test]
        fn writes_invalidate_pages() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_page_writes"), 9) else {
                return;
            };
            env.track();
            let p = &env.products;
            let first = ProductFilter::default()
                .order_by(ProductOrder::TitleAsc)
                .limit(2);
            let before = p.all(&mut env.db.conn, None, first.clone()).unwrap();
            p.insert(
                &mut env.db.conn,
                NewProduct {
                    title: "a first title".into(),
                    ..NewProduct::new("first", 1)
                },
            )
            .unwrap();
            let after = p.all(&mut env.db.conn, None, first.clone()).unwrap();
            assert_eq!(after[0].slug, "first");
            assert_eq!(after[1].id, before[0].id);
            let id = after[0].id;
            diesel::sql_query(format!("UPDATE products SET title = 'zzz' WHERE id = {id}"))
                .execute(&mut env.db.conn)
                .unwrap();
            let again = p.all(&mut env.db.conn, None, first).unwrap();
            assert_eq!(ids(&again), ids(&before), "tracked SQL moved the row away");
            let _ = env.cache.clear();
        }

        #[test]
        fn bulk_updates_refuse_a_window_and_write_nothing() {
            let Some(mut env) = seeded(concat!(stringify!($env), "_windowed_write"), 5) else {
                return;
            };
            let p = &env.products;
            for windowed in [
                ProductFilter::default().limit(1),
                ProductFilter::default().offset(1),
                ProductFilter::default()
                    .after(ProductSortKey::of(&p.get(&mut env.db.conn, 1).unwrap())),
            ] {
                let err = p
                    .update_where(&mut env.db.conn, windowed, products::title.eq("x"))
                    .unwrap_err();
                assert!(
                    matches!(err, Error::WindowedWrite { model: "Product" }),
                    "{err}"
                );
            }
            let ordered = ProductFilter::default().order_by(ProductOrder::TitleDesc);
            let n = p
                .update_where(&mut env.db.conn, ordered, products::title.eq("same"))
                .unwrap();
            assert_eq!(n, 5, "an order alone is no window");
            let _ = env.cache.clear();
        }
    };
}

cache_tests::matrix!(items page_suite; stores;);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Random rows (titles and categories drawn from few values, so ties
    /// abound), a random filter, order and page size: walking the keyset
    /// pages and the offset pages both give the reference order, and the
    /// count is the reference's.
    #[test]
    fn random_tables_page_like_the_reference(
        rows in prop::collection::vec((0u8..4, 0i32..3, any::<bool>()), 0..30),
        order in 0usize..ORDERS.len(),
        page in 1i64..6,
        active in prop::option::of(any::<bool>()),
    ) {
        let mut env = cache_tests::env::sqlite_memory("pages_prop").unwrap();
        let new: Vec<NewProduct> = rows
            .iter()
            .enumerate()
            .map(|(i, (title, category, is_active))| NewProduct {
                slug: format!("s{i}"),
                title: format!("t{title}"),
                is_active: *is_active,
                category_id: *category,
            })
            .collect();
        let inserted = if new.is_empty() {
            Vec::new()
        } else {
            env.products.insert_many(&mut env.db.conn, new).unwrap()
        };
        let order = ORDERS[order];
        let mut filter = ProductFilter::default().order_by(order);
        if let Some(active) = active {
            filter = filter.is_active(active);
        }
        let matching: Vec<Product> = inserted
            .into_iter()
            .filter(|r| active.is_none_or(|a| r.is_active == a))
            .collect();
        let reference = ids(&sorted(matching, order));
        let p = &env.products;
        let (mut keyset, mut after) = (Vec::new(), None);
        loop {
            let mut f = filter.clone().limit(page);
            if let Some(key) = after.take() {
                f = f.after(key);
            }
            let rows = p.all(&mut env.db.conn, None, f).unwrap();
            let Some(last) = rows.last() else { break };
            after = Some(ProductSortKey::of(last));
            keyset.extend(ids(&rows));
            prop_assert!(keyset.len() <= reference.len());
        }
        prop_assert_eq!(&keyset, &reference);
        let mut offsets = Vec::new();
        for n in 0..=reference.len() as i64 / page {
            let f = filter.clone().limit(page).offset(n * page);
            offsets.extend(ids(&p.all(&mut env.db.conn, None, f).unwrap()));
        }
        prop_assert_eq!(&offsets, &reference);
        prop_assert_eq!(p.count(&mut env.db.conn, None, filter).unwrap(), reference.len() as i64);
    }
}
