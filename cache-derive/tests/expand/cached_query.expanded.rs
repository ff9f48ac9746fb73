// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[cached_query(key = "top_products", timeout = 60, soft_timeout = 10, depends_on(Product, crate::models::Category))]
// /// The best products of a category.
// pub fn top_products(conn: &mut PgConnection, category: i32, limit: i64) -> QueryResult<Vec<Product>> {
//     products::table.filter(products::category_id.eq(category)).limit(limit).load(conn)
// }

/// The best products of a category.
pub fn top_products(
    conn: &mut PgConnection,
    category: i32,
    limit: i64,
) -> QueryResult<Vec<Product>> {
    static __CACHED_QUERY: ::cache_diesel::CachedQuery = ::cache_diesel::CachedQuery::new(
            "top_products",
            ::cache_diesel::__private::Duration::from_secs(60u64),
            ::core::option::Option::Some(
                ::cache_diesel::__private::Duration::from_secs(10u64),
            ),
            &[
                ::cache_diesel::__private::table_of::<Product>,
                ::cache_diesel::__private::table_of::<crate::models::Category>,
            ],
        )
        .result_type("0ef0da054fec67b8");
    #[::cache_diesel::__private::linkme::distributed_slice(
        ::cache_diesel::__private::CACHED_QUERIES
    )]
    #[linkme(crate = ::cache_diesel::__private::linkme)]
    fn __cached_query_entry() -> &'static ::cache_diesel::CachedQuery {
        &__CACHED_QUERY
    }
    let __args = ::cache_diesel::__private::args_key(&(&category, &limit));
    __CACHED_QUERY
        .call(
            conn,
            __args,
            move |conn: &mut PgConnection| -> QueryResult<Vec<Product>> {
                products::table
                    .filter(products::category_id.eq(category))
                    .limit(limit)
                    .load(conn)
            },
        )
}
