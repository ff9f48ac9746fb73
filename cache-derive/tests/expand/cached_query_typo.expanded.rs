// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[cached_query(timeout = "soon", colour = 1)]
// fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
//     products::table.count().get_result(conn)
// }

::core::compile_error! {
    "expects whole seconds as an integer literal, e.g. timeout = 300"
}
::core::compile_error! {
    "unknown #[cached_query] option; accepted are: key = \"..\", timeout = secs, soft_timeout = secs, depends_on(Model, ..)"
}
::core::compile_error! {
    "#[cached_query] needs depends_on(Model, ..): the models whose writes invalidate it"
}
fn product_count(conn: &mut SqliteConnection) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}
