// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = colours)]
// pub enum Colour { Red, Green }

::core::compile_error! {
    "#[derive(Cached)] supports structs with named fields, not enums"
}
