//! The write hooks return what they wrote and invalidate
//! exactly what they touched, in the number of statements they are
//! designed for. Run unchanged on SQLite + in-process memory, on
//! PostgreSQL + Redis and on MySQL (MariaDB) + Redis.
//!
//! Statements per hook (counted by the test connection; MySQL has no
//! `RETURNING`: its hooks read what they write in a transaction, under a
//! savepoint inside an open one):
//!
//! On MySQL each hook first asks the server whether a transaction is open,
//! unless Diesel opened it: on MariaDB one statement (`SELECT
//! @@autocommit, @@in_transaction`); on MySQL, which has no
//! `@@in_transaction`, two (`SELECT @@autocommit`, then `SET TRANSACTION
//! READ WRITE`, refused inside one). An insert checks that the key is the
//! `AUTO_INCREMENT` column in the statement that resets
//! `LAST_INSERT_ID()`. The counts below are MariaDB's.
//!
//! | hook | PostgreSQL | SQLite | MySQL (MariaDB) |
//! |---|---|---|---|
//! | `insert` | 1 | 1 | 6: the probe, `BEGIN`, `LAST_INSERT_ID(0)` and the key check, insert, read back, `COMMIT` |
//! | `insert_many` of n rows | 1 | n + 2 (Diesel inserts row by row) | 6 |
//! | `update`, model without `unique(..)` | 1 | 1 | 6: the probe, `BEGIN`, read `FOR UPDATE`, update, read, `COMMIT` |
//! | `update`, model with `unique(..)` | 1 | 4: `BEGIN IMMEDIATE`, read, update, `COMMIT` (2 inside a transaction) | 6 (5 inside a Diesel transaction: `SAVEPOINT` .. `RELEASE`) |
//! | `update` of a missing id | 1 | 3 with `unique(..)`, else 1 | 4 |
//! | `delete` | 1 | 1 | 5: the probe, `BEGIN`, read `FOR UPDATE`, delete, `COMMIT` |
//! | `delete` of a missing id | 1 | 1 | 4 |

use cache_diesel::{Error, ModelQueries, UpdateQuery, transaction};
use cache_tests::env::Env;
use cache_tests::models::{
    NewProduct, Product, ProductFilter, ProductQueries, ProductUnique, ProductV2, ProductV2Cache,
    products,
};
use diesel::prelude::*;

fn is_sqlite<C: Connection>() -> bool {
    std::any::type_name::<C>().contains("Sqlite")
}

/// The count for `C`'s database: on PostgreSQL, SQLite or MySQL.
fn per_db<C: Connection>(postgres: usize, sqlite: usize, mysql: usize) -> usize {
    match std::any::type_name::<C::Backend>().rsplit("::").next() {
        Some("Sqlite") => sqlite,
        Some("Mysql") => mysql,
        _ => postgres,
    }
}

/// Statements of a hook's write (`insert`, `insert_many`, `delete`) as
/// [`per_db`] counts them, and on SQLite over a shared store (`shared`) two
/// more: the `BEGIN IMMEDIATE` .. `COMMIT` of its own that the hook holds
/// open for its announcement (around a batch's own transaction too).
fn one_write<C: Connection>(shared: bool, postgres: usize, sqlite: usize, mysql: usize) -> usize {
    per_db::<C>(postgres, sqlite + 2 * usize::from(shared), mysql)
}

/// Statements of `update` on a model with `unique(..)` columns, outside a
/// transaction: one on PostgreSQL; on SQLite the read of the old row and
/// the update, in `BEGIN IMMEDIATE` .. `COMMIT`; on MySQL also the read of
/// the new row.
fn unique_update_statements<C: Connection>() -> usize {
    per_db::<C>(1, 4, 6)
}

fn slugs(rows: &[Product]) -> Vec<&str> {
    rows.iter().map(|r| r.slug.as_str()).collect()
}

fn insert_returns_the_row_and_invalidates_absences<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let p = &env.products;
    // Cached: "no row 1", "no slug tea", the empty list.
    for _ in 0..2 {
        assert!(p.find(&mut env.db.conn, 1).unwrap().is_none());
        assert!(
            p.find_by_slug(&mut env.db.conn, "tea".into())
                .unwrap()
                .is_none()
        );
        assert!(
            p.all(&mut env.db.conn, None, ProductFilter::default())
                .unwrap()
                .is_empty()
        );
    }
    let (_, q) = env.db.counted(|c| {
        (
            p.find(c, 1).unwrap(),
            p.all(c, None, ProductFilter::default()).unwrap(),
        )
    });
    assert_eq!(q, 0, "cached before the insert");

    let (row, q) = env
        .db
        .counted(|c| p.insert(c, NewProduct::new("tea", 7)).unwrap());
    // (Over a shared store the table's first write in this cache also
    // reads its columns from the catalogue: `catalogue.rs`, "Columns".)
    let shared = p.cache().backend().capabilities().shared;
    assert_eq!(
        q,
        one_write::<C>(shared, 1, 1, 6) + usize::from(shared),
        "one statement: INSERT .. RETURNING"
    );
    let expected = Product {
        id: 1,
        slug: "tea".into(),
        title: "Title of tea".into(),
        is_active: true,
        category_id: 7,
    };
    assert_eq!(row, expected, "the row with its generated id");

    let (found, q) = env.db.counted(|c| p.find(c, row.id).unwrap());
    assert_eq!(
        (found, q),
        (Some(expected.clone()), 1),
        "the cached \"not found\" was invalidated"
    );
    let (by_slug, q) = env.db.counted(|c| p.find_by_slug(c, "tea".into()).unwrap());
    assert_eq!((by_slug, q), (Some(expected.clone()), 1));
    let (list, q) = env
        .db
        .counted(|c| p.all(c, None, ProductFilter::default()).unwrap());
    assert_eq!(
        (list.into_vec(), q),
        (vec![expected], 1),
        "the list was invalidated"
    );

    // A batch: every row back, in order, with its id.
    let batch = vec![NewProduct::new("b1", 1), NewProduct::new("b2", 2)];
    let (rows, q) = env.db.counted(|c| p.insert_many(c, batch).unwrap());
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    assert_eq!((slugs(&rows), ids), (vec!["b1", "b2"], vec![2, 3]));
    assert_eq!(
        q,
        one_write::<C>(p.cache().backend().capabilities().shared, 1, 4, 6),
        "PostgreSQL: one statement; SQLite: BEGIN, one INSERT .. RETURNING per row, COMMIT"
    );
    assert_eq!(p.get(&mut env.db.conn, 3).unwrap(), rows[1]);
    assert_eq!(
        slugs(
            &p.all(&mut env.db.conn, None, ProductFilter::default())
                .unwrap()
        ),
        ["tea", "b1", "b2"]
    );

    // Nothing inserted: nothing invalidated.
    let rows = p
        .insert_many(&mut env.db.conn, Vec::<NewProduct>::new())
        .unwrap();
    assert!(rows.is_empty());
    let (list, q) = env
        .db
        .counted(|c| p.all(c, None, ProductFilter::default()).unwrap());
    // On a shared store the insert announced the lists before it ran
    // (`cache_core::__engine::Engine::announce_bumps`) and, having written nothing,
    // replaced them: one refill.
    let announced = usize::from(p.cache().backend().capabilities().shared);
    assert_eq!(
        (list.len(), q),
        (3, announced),
        "an empty batch invalidates nothing but what it announced"
    );
}

fn update_returns_the_row_and_a_missing_id_invalidates_nothing<C: Connection + 'static>(
    env: &mut Env<C>,
) where
    Product: ProductQueries<C>,
{
    let p = &env.products;
    let row = p.insert(&mut env.db.conn, NewProduct::new("a", 1)).unwrap();
    let warm = |c: &mut C| {
        (
            p.get(c, row.id).unwrap(),
            p.find(c, 999).unwrap(),
            p.find_by_slug(c, "a".into()).unwrap(),
            p.all(c, None, ProductFilter::default()).unwrap(),
        )
    };
    warm(&mut env.db.conn);
    let (_, q) = env.db.counted(warm);
    assert_eq!(q, 0, "all cached");

    let (missing, q) = env.db.counted(|c| {
        p.update(c, 999, products::title.eq("x".to_string()))
            .unwrap()
    });
    assert_eq!(missing, None, "no row 999");
    assert_eq!(
        q,
        per_db::<C>(1, 3, 4),
        "PostgreSQL: the update; SQLite: BEGIN IMMEDIATE, the read that finds nothing, COMMIT"
    );
    // On a shared store, what the update announced (the lists, id 999)
    // is refilled once.
    let (cached, q) = env.db.counted(warm);
    let announced = 2 * usize::from(p.cache().backend().capabilities().shared);
    assert_eq!(
        q, announced,
        "an update of a missing id invalidates nothing but what it announced"
    );
    assert_eq!(cached.1, None);

    let (updated, q) = env.db.counted(|c| {
        p.update(c, row.id, products::title.eq("Renamed".to_string()))
            .unwrap()
    });
    let expected = Product {
        title: "Renamed".into(),
        ..row.clone()
    };
    assert_eq!(updated, Some(expected.clone()), "the row after the update");
    assert_eq!(q, unique_update_statements::<C>());
    let ((one, absent, by_slug, list), q) = env.db.counted(warm);
    assert_eq!(one, expected);
    assert_eq!(by_slug, Some(expected.clone()));
    assert_eq!(list, vec![expected.clone()]);
    assert_eq!(absent, None);
    assert_eq!(
        q, 3,
        "the detail, the lookup by slug and the list were invalidated; the absent id was not"
    );

    // save: every field, the row back.
    let mut changed = expected;
    changed.is_active = false;
    let (saved, q) = env.db.counted(|c| p.save(c, &changed).unwrap());
    assert_eq!(
        (saved, q),
        (Some(changed.clone()), unique_update_statements::<C>())
    );
    assert_eq!(p.get(&mut env.db.conn, row.id).unwrap(), changed);
    let mut ghost = changed.clone();
    ghost.id = 998;
    assert_eq!(p.save(&mut env.db.conn, &ghost).unwrap(), None);
}

/// A model whose only unique column is its primary key still reads every
/// column's old value with its update (the lists the row leaves are named
/// by them): one statement on PostgreSQL, the read and the update in
/// `BEGIN IMMEDIATE` on SQLite, MySQL's reads `FOR UPDATE` as before.
fn an_update_without_unique_columns_reads_the_old_row_too<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
    ProductV2: ModelQueries<C> + UpdateQuery<C, diesel::dsl::Eq<products::title, String>>,
{
    let id = env
        .products
        .insert(&mut env.db.conn, NewProduct::new("v2", 1))
        .unwrap()
        .id;
    let v2 = ProductV2Cache::new(env.cache.clone());
    assert_eq!(v2.get(&mut env.db.conn, id).unwrap().title, "Title of v2");
    let (row, q) = env.db.counted(|c| {
        v2.update(c, id, products::title.eq("V2".to_string()))
            .unwrap()
    });
    // (SQLite reads the old row in `BEGIN IMMEDIATE`: its values name the
    // lists the row leaves.)
    assert_eq!(
        (row.map(|r| r.title), q),
        (Some("V2".to_string()), per_db::<C>(1, 4, 6))
    );
    let (row, q) = env.db.counted(|c| v2.get(c, id).unwrap());
    assert_eq!((row.title.as_str(), q), ("V2", 1), "invalidated");
    let (missing, q) = env.db.counted(|c| {
        v2.update(c, id + 1, products::title.eq("V2".to_string()))
            .unwrap()
    });
    assert_eq!((missing, q), (None, per_db::<C>(1, 3, 4)));
    let (_, q) = env.db.counted(|c| v2.get(c, id).unwrap());
    assert_eq!(q, 0, "nothing invalidated");
}

fn a_changed_slug_invalidates_lookups_by_the_old_and_the_new_slug<C: Connection + 'static>(
    env: &mut Env<C>,
) where
    Product: ProductQueries<C>,
{
    let p = &env.products;
    let id = p
        .insert(&mut env.db.conn, NewProduct::new("old", 1))
        .unwrap()
        .id;
    // Renamed behind the manager's back (a plain connection, untracked),
    // then looked up by that name: the old values an update invalidates
    // must come from the database, not from what the cache once saw.
    let mut other = env.db.another();
    other
        .batch_execute(&format!("UPDATE products SET slug = 'mid' WHERE id = {id}"))
        .unwrap();
    let warm = |c: &mut C| {
        (
            p.find_by_slug(c, "mid".into()).unwrap().map(|r| r.id),
            p.find_by_slug(c, "new".into()).unwrap().map(|r| r.id),
        )
    };
    assert_eq!(warm(&mut env.db.conn), (Some(id), None));
    let (_, q) = env.db.counted(warm);
    assert_eq!(q, 0, "both lookups cached");

    let row = p
        .update(&mut env.db.conn, id, products::slug.eq("new".to_string()))
        .unwrap()
        .unwrap();
    assert_eq!(row.slug, "new");
    let (found, q) = env.db.counted(warm);
    assert_eq!(
        (found, q),
        ((None, Some(id)), 2),
        "the old slug (as the database had it) and the new one were invalidated"
    );
}

/// The old unique values are the ones the update replaced, even when
/// another transaction changes them while the update waits for the row.
fn old_values_are_read_with_the_row_locked<C: Connection + Send + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    let id = env
        .products
        .insert(&mut env.db.conn, NewProduct::new("before", 1))
        .unwrap()
        .id;
    let mut other = env.db.another();
    let begin = if is_sqlite::<C>() {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    other.batch_execute(begin).unwrap();
    other
        .batch_execute(&format!(
            "UPDATE products SET slug = 'during' WHERE id = {id}"
        ))
        .unwrap();
    let conn = &mut env.db.conn;
    let updated = std::thread::scope(|s| {
        let update = s.spawn(move || {
            <Product as UpdateQuery<C, _>>::update_by_id(
                conn,
                &id,
                products::title.eq("after".to_string()),
            )
        });
        // The update is now waiting for the row (or has not started):
        // either way it must see the committed slug as the old one.
        std::thread::sleep(std::time::Duration::from_millis(200));
        other.batch_execute("COMMIT").unwrap();
        update.join().unwrap()
    });
    let updated = updated.unwrap().expect("the row exists");
    assert_eq!(
        (updated.row.slug.as_str(), updated.row.title.as_str()),
        ("during", "after")
    );
    let before: Vec<String> = updated.before.iter().map(|k| format!("{k:?}")).collect();
    assert_eq!(
        before,
        [
            format!("{:?}", ProductUnique::Id(id)),
            format!("{:?}", ProductUnique::Slug("during".into()))
        ],
        "the old values are those the update replaced"
    );
}

/// Inside a tracked transaction the invalidation waits for the commit,
/// and SQLite's update opens no transaction of its own.
fn hook_writes_in_a_transaction_invalidate_at_the_commit<C: Connection + 'static>(env: &mut Env<C>)
where
    Product: ProductQueries<C>,
{
    env.track();
    let p = &env.products;
    let id = p
        .insert(&mut env.db.conn, NewProduct::new("t", 1))
        .unwrap()
        .id;
    let mut other = env.db.another();
    assert_eq!(p.get(&mut other, id).unwrap().slug, "t");
    let counter = env.db.counter();
    transaction(&mut env.db.conn, |conn| {
        counter.store(0, std::sync::atomic::Ordering::SeqCst);
        let row = p.update(conn, id, products::slug.eq("u".to_string()))?;
        assert_eq!(row.map(|r| r.slug).as_deref(), Some("u"));
        assert_eq!(
            counter.load(std::sync::atomic::Ordering::SeqCst),
            per_db::<C>(1, 2, 5),
            "no transaction of its own inside one"
        );
        assert_eq!(
            p.get(&mut other, id)?.slug,
            "t",
            "not invalidated before the commit"
        );
        let inserted = p.insert(conn, NewProduct::new("v", 1))?;
        assert!(
            p.find(&mut other, inserted.id)?.is_none(),
            "uncommitted: others do not see it"
        );
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(
        p.get(&mut other, id).unwrap().slug,
        "u",
        "invalidated at the commit"
    );
    assert!(p.find_by_slug(&mut other, "t".into()).unwrap().is_none());
    assert_eq!(
        p.find_by_slug(&mut other, "v".into())
            .unwrap()
            .map(|r| r.slug)
            .as_deref(),
        Some("v")
    );
}

fn delete_returns_the_row_and_a_missing_id_invalidates_nothing<C: Connection + 'static>(
    env: &mut Env<C>,
) where
    Product: ProductQueries<C>,
{
    let p = &env.products;
    let rows = p
        .insert_many(
            &mut env.db.conn,
            vec![NewProduct::new("a", 1), NewProduct::new("b", 1)],
        )
        .unwrap();
    let warm = |c: &mut C| {
        (
            p.find(c, rows[0].id).unwrap(),
            p.find_by_slug(c, "a".into()).unwrap(),
            p.all(c, None, ProductFilter::default()).unwrap(),
        )
    };
    warm(&mut env.db.conn);
    let (missing, q) = env.db.counted(|c| p.delete(c, 999).unwrap());
    let shared = p.cache().backend().capabilities().shared;
    assert_eq!((missing, q), (None, one_write::<C>(shared, 1, 1, 4)));
    // On a shared store, the lists it announced are refilled once.
    let (_, q) = env.db.counted(warm);
    let announced = usize::from(p.cache().backend().capabilities().shared);
    assert_eq!(
        q, announced,
        "deleting a missing id invalidates nothing but what it announced"
    );

    let (deleted, q) = env.db.counted(|c| p.delete(c, rows[0].id).unwrap());
    assert_eq!(
        (deleted, q),
        (Some(rows[0].clone()), one_write::<C>(shared, 1, 1, 5)),
        "the deleted row, in one statement: DELETE .. RETURNING"
    );
    let ((by_id, by_slug, list), q) = env.db.counted(warm);
    assert_eq!(
        (by_id, by_slug, slugs(&list), q),
        (None, None, vec!["b"], 3)
    );
}

cache_tests::matrix!(
    env; stores;
    insert_returns_the_row_and_invalidates_absences,
    update_returns_the_row_and_a_missing_id_invalidates_nothing,
    an_update_without_unique_columns_reads_the_old_row_too,
    a_changed_slug_invalidates_lookups_by_the_old_and_the_new_slug,
    old_values_are_read_with_the_row_locked,
    hook_writes_in_a_transaction_invalidate_at_the_commit,
    delete_returns_the_row_and_a_missing_id_invalidates_nothing,
);

/// On MySQL an insert finds its rows by the keys it generated: one that
/// generated none (a key given in the values, here after an earlier insert
/// left `LAST_INSERT_ID()` set) is refused with an error that says why,
/// and rolled back, alone or inside a transaction that goes on.
#[test]
fn mysql_inserts_that_generate_no_key_are_refused_and_rolled_back() {
    let Some(mut env) = cache_tests::env::mysql_redis("mysql_explicit_key") else {
        return;
    };
    env.track();
    let p = &env.products;
    let first = p
        .insert(&mut env.db.conn, NewProduct::new("generated", 1))
        .unwrap();
    let explicit = |id: i32, slug: &str| {
        (
            products::id.eq(id),
            products::slug.eq(slug.to_string()),
            products::title.eq("explicit".to_string()),
            products::is_active.eq(true),
            products::category_id.eq(1),
        )
    };
    let count =
        |c: &mut diesel::MysqlConnection| products::table.count().get_result::<i64>(c).unwrap();
    let err = p
        .insert(&mut env.db.conn, explicit(first.id + 1, "given"))
        .unwrap_err();
    assert!(
        err.to_string().contains("LAST_INSERT_ID"),
        "the error says why: {err}"
    );
    assert_eq!(count(&mut env.db.conn), 1, "rolled back");
    transaction(&mut env.db.conn, |conn| {
        assert!(p.insert(conn, explicit(77, "in txn")).is_err());
        let kept = p.insert(conn, NewProduct::new("kept", 1))?;
        assert_eq!(kept.slug, "kept");
        Ok::<_, Error>(())
    })
    .unwrap();
    let slugs: Vec<String> = products::table
        .select(products::slug)
        .order(products::id)
        .load(&mut env.db.conn)
        .unwrap();
    assert_eq!(
        slugs,
        ["generated", "kept"],
        "only the refused insert was undone"
    );
}

/// Hooks inside transactions that Diesel did not open, on MySQL: the hook
/// asks the server, so it never sends a `BEGIN` (which would commit the
/// open transaction). On a tracked connection inside `BEGIN` it writes
/// under a savepoint and the user's `ROLLBACK` undoes everything; where
/// its invalidation could not wait for the commit (an untracked
/// connection, `SET autocommit = 0`) it is refused and writes nothing.
#[test]
fn mysql_hooks_inside_a_transaction_opened_by_sql_text_do_not_commit_it() {
    use diesel::connection::SimpleConnection;
    let Some(mut env) = cache_tests::env::mysql_redis("mysql_text_txn") else {
        return;
    };
    let p = &env.products;
    let id = p
        .insert(&mut env.db.conn, NewProduct::new("kept", 1))
        .unwrap()
        .id;
    let raw =
        "INSERT INTO products (slug, title, is_active, category_id) VALUES ('raw', 't', true, 1)";
    let rows = |conn: &mut diesel::MysqlConnection| -> Vec<(String, String)> {
        products::table
            .select((products::slug, products::title))
            .order(products::id)
            .load(conn)
            .unwrap()
    };
    let untouched = vec![("kept".to_string(), "Title of kept".to_string())];

    // Untracked, in BEGIN and with autocommit off: refused.
    for begin in ["BEGIN", "SET autocommit = 0"] {
        let mut conn = env.db.another();
        conn.batch_execute(begin).unwrap();
        conn.batch_execute(raw).unwrap();
        let err = p
            .update(&mut conn, id, products::title.eq("in txn".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("cannot follow"), "{begin}: {err}");
        assert!(p.insert(&mut conn, NewProduct::new("hooked", 1)).is_err());
        conn.batch_execute("ROLLBACK").unwrap();
        assert_eq!(rows(&mut conn), untouched, "{begin}");
    }

    // Tracked, in BEGIN and with autocommit off (which the tracker
    // follows): the hooks write, and the ROLLBACK undoes them.
    for begin in ["BEGIN", "SET autocommit = 0"] {
        let conn = &mut env.db.another();
        cache_diesel::track(conn);
        conn.batch_execute(begin).unwrap();
        conn.batch_execute(raw).unwrap();
        p.update(conn, id, products::title.eq("in txn".to_string()))
            .unwrap();
        p.insert(conn, NewProduct::new("hooked", 1)).unwrap();
        conn.batch_execute("ROLLBACK").unwrap();
        assert_eq!(
            rows(conn),
            untouched,
            "{begin}: the rollback undid the raw insert and both hooks"
        );
        assert_eq!(p.get(conn, id).unwrap().title, "Title of kept");
    }
}

/// On MySQL's default collation `TEA` finds the row `tea`: such a row is
/// returned but not cached under `TEA` (a write invalidates the spellings
/// it wrote, not every one the database matches), and a cached "not found"
/// under `COFFEE` is invalidated when an update makes a row `coffee`.
#[test]
fn mysql_lookups_under_another_spelling_are_never_stale() {
    let Some(mut env) = cache_tests::env::mysql_redis("mysql_collation") else {
        return;
    };
    env.track();
    let p = &env.products;
    let conn = &mut env.db.conn;
    let id = p.insert(conn, NewProduct::new("tea", 1)).unwrap().id;
    for spelling in ["TEA", "Tea", "tea "] {
        assert_eq!(p.get_by_slug(conn, spelling.into()).unwrap().id, id);
    }
    assert!(p.find_by_slug(conn, "COFFEE".into()).unwrap().is_none());
    p.update(conn, id, products::slug.eq("coffee".to_string()))
        .unwrap();
    for spelling in ["TEA", "Tea", "tea ", "tea"] {
        assert!(
            p.find_by_slug(conn, spelling.into()).unwrap().is_none(),
            "{spelling:?} after the slug changed"
        );
    }
    assert_eq!(
        p.find_by_slug(conn, "COFFEE".into()).unwrap().map(|r| r.id),
        Some(id),
        "the cached \"not found\" under another spelling was invalidated"
    );
}

mod accounts {
    diesel::table! {
        accounts (number) {
            number -> Integer,
            seq -> Integer,
            name -> Text,
        }
    }
}

/// An account whose key is given (`number`) while another column is the
/// table's `AUTO_INCREMENT` counter.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    serde::Serialize,
    serde::Deserialize,
    cache_diesel::Cached,
)]
#[diesel(table_name = accounts::accounts, primary_key(number))]
struct Account {
    number: i32,
    seq: i32,
    name: String,
}

/// On MySQL an insert reads its rows back by `LAST_INSERT_ID()` only when
/// the primary key is the `AUTO_INCREMENT` column: here another column is,
/// and the insert is refused (nothing written) instead of returning the row
/// whose key equals the counter; `insert_execute` writes it.
#[test]
fn mysql_inserts_read_back_only_by_an_auto_increment_primary_key() {
    use self::accounts::accounts::dsl::*;
    let Some((mut db, cache)) = cache_tests::env::mysql_and_redis("mysql_counter_column") else {
        return;
    };
    let conn = &mut db.conn;
    diesel::sql_query(
        "CREATE TABLE accounts (number INTEGER PRIMARY KEY, seq INTEGER NOT NULL AUTO_INCREMENT UNIQUE, name TEXT NOT NULL)",
    )
    .execute(conn)
    .unwrap();
    // The counter's next value (2) is an existing account's number.
    diesel::sql_query("INSERT INTO accounts (number, seq, name) VALUES (2, 1, 'two')")
        .execute(conn)
        .unwrap();
    let manager = AccountCache::new(cache);
    let err = manager
        .insert(conn, (number.eq(999), name.eq("new")))
        .unwrap_err();
    assert!(err.to_string().contains("AUTO_INCREMENT"), "{err}");
    assert_eq!(accounts.count().get_result::<i64>(conn).unwrap(), 1);
    assert!(manager.find(conn, 999).unwrap().is_none());
    assert_eq!(
        manager
            .insert_execute(conn, (number.eq(999), name.eq("new")))
            .unwrap(),
        1
    );
    assert_eq!(
        manager.find(conn, 999).unwrap().map(|a| a.name).as_deref(),
        Some("new"),
        "insert_execute invalidated the cached \"not found\""
    );
}
