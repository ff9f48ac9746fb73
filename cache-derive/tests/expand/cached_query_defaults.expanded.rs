// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[cached_query(depends_on(Product))]
// fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
//     products::table.count().get_result(conn)
// }

fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    static __CACHED_QUERY: ::cache_diesel::CachedQuery = ::cache_diesel::CachedQuery::new(
            "product_count",
            ::cache_diesel::__private::Duration::from_secs(300u64),
            ::core::option::Option::None,
            &[::cache_diesel::__private::table_of::<Product>],
        )
        .result_type("fd74771edc3574ac");
    #[::cache_diesel::__private::linkme::distributed_slice(
        ::cache_diesel::__private::CACHED_QUERIES
    )]
    #[linkme(crate = ::cache_diesel::__private::linkme)]
    fn __cached_query_entry() -> &'static ::cache_diesel::CachedQuery {
        &__CACHED_QUERY
    }
    let __args = ::cache_diesel::__private::args_key(&());
    __CACHED_QUERY
        .call(
            conn,
            __args,
            move |conn: &mut SqliteConnection| -> QueryResult<i64> {
                products::table.count().get_result(conn)
            },
        )
}
