//! A `CACHE_URL` that cannot be used is not a silent "store nothing": reads
//! still come from the database, and each is counted as an error and an
//! uncached read. Its own test binary: it sets the
//! process's `CACHE_URL`.

use cache_tests::db;
use cache_tests::models::{NewProduct, Product};

#[test]
fn reads_work_and_count_the_unusable_cache() {
    // SAFETY: the only test of this binary, before any thread reads the variable.
    unsafe { std::env::set_var("CACHE_URL", "redis://127.0.0.1:6379?prefx=typo") };
    let mut test_db = db::sqlite();
    let conn = &mut test_db.conn;
    let p = Product::cache();
    assert_eq!(p.cache().backend().kind(), "unusable");
    p.insert(conn, NewProduct::new("a", 1)).unwrap();
    for _ in 0..2 {
        assert_eq!(p.get(conn, 1).unwrap().slug, "a");
    }
    let stats = p.stats();
    assert_eq!(
        (stats.errors, stats.uncached, stats.hits),
        (2, 2, 0),
        "{stats:?}"
    );
}
