//! Names that once broke the derive compile and work: models named like
//! the generated code's generic parameters (`V`, `D`, `A`, `S`; `C` with
//! a `unique(..)` column, whose lookups were generic over `C`), models
//! whose snake-case names are keywords with relations (`Type` joined,
//! `Move` joined as `select_related(r#move)`), raw
//! identifiers in `unique`, `filter` and `order_by`, and sort keys built
//! from records with `From`.

use cache_diesel::{Cache, Cached};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    /// Rows with a keyword column.
    nm_rows (id) {
        /// Primary key.
        id -> Integer,
        /// A column named with a keyword.
        r#type -> Text,
        /// The owner.
        owner_id -> Integer,
    }
}
diesel::table! {
    /// Owners.
    nm_owners (id) {
        /// Primary key.
        id -> Integer,
    }
}
diesel::joinable!(nm_rows -> nm_owners (owner_id));
diesel::allow_tables_to_appear_in_same_query!(nm_rows, nm_owners);

macro_rules! single_letter_models {
    ($($name:ident),*) => {$(
        #[doc = "A model named like a generic parameter."]
        #[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached)]
        #[diesel(table_name = nm_owners)]
        pub struct $name {
            /// Primary key.
            pub id: i32,
        }
    )*};
}
single_letter_models!(V, D, A, S);

macro_rules! single_letter_models_with_lookups {
    ($($name:ident),*) => {$(
        #[doc = "A model named like a generic parameter, with lookups, filters and pages."]
        #[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached)]
        #[diesel(table_name = nm_rows)]
        #[cache(unique(r#type), filter(owner_id), order_by(r#type))]
        pub struct $name {
            /// Primary key.
            pub id: i32,
            /// A keyword-named field.
            pub r#type: String,
            /// The owner.
            pub owner_id: i32,
        }
    )*};
}
single_letter_models_with_lookups!(C, M, T, K);

/// An owner (the related model).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached)]
#[diesel(table_name = nm_owners)]
pub struct Owner {
    /// Primary key.
    pub id: i32,
}

/// An owner whose snake-case name is a keyword (`move`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached)]
#[diesel(table_name = nm_owners)]
pub struct Move {
    /// Primary key.
    pub id: i32,
}

/// A model whose snake-case name is a keyword (`type`), joined to a
/// parent whose name is one too.
#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, Associations, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = nm_rows, belongs_to(Move, foreign_key = owner_id))]
#[cache(select_related(r#move))]
pub struct Type {
    /// Primary key.
    pub id: i32,
    /// A keyword-named field.
    pub r#type: String,
    /// The owner.
    pub owner_id: i32,
}

/// A row whose field is a raw identifier.
#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, Associations, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = nm_rows, belongs_to(Owner))]
#[cache(
    unique(r#type),
    filter(r#type),
    order_by(r#type),
    select_related(owner)
)]
pub struct Row {
    /// Primary key.
    pub id: i32,
    /// A keyword-named field.
    pub r#type: String,
    /// The owner.
    pub owner_id: i32,
}

/// Reads through each model's manager on a new in-memory SQLite database
/// with the in-process cache (panics on the first wrong answer).
pub fn run() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE nm_owners (id INTEGER PRIMARY KEY);
         CREATE TABLE nm_rows (id INTEGER PRIMARY KEY, type TEXT NOT NULL UNIQUE, owner_id INTEGER NOT NULL);
         INSERT INTO nm_owners VALUES (1);
         INSERT INTO nm_rows VALUES (1, 'b', 1), (2, 'a', 1);",
    )
    .unwrap();
    let cache = Cache::from_url("memory://").unwrap();
    assert_eq!(VCache::new(cache.clone()).get(&mut conn, 1).unwrap().id, 1);
    assert_eq!(DCache::new(cache.clone()).get(&mut conn, 1).unwrap().id, 1);
    assert_eq!(ACache::new(cache.clone()).get(&mut conn, 1).unwrap().id, 1);
    assert_eq!(SCache::new(cache.clone()).get(&mut conn, 1).unwrap().id, 1);
    macro_rules! looked_up {
        ($($manager:ident, $filter:ident);*) => {$(
            let manager = $manager::new(cache.clone());
            assert_eq!(manager.get_by_type(&mut conn, "a".into()).unwrap().id, 2);
            assert_eq!(manager.count(&mut conn, None, $filter::default().owner_id(1)).unwrap(), 2);
        )*};
    }
    looked_up!(CCache, CFilter; MCache, MFilter; TCache, TFilter; KCache, KFilter);
    let typed = TypeCache::new(cache.clone()).get(&mut conn, 2).unwrap();
    assert_eq!((typed.r#type.id, typed.r#move.id), (2, 1));
    let rows = RowCache::new(cache);
    assert_eq!(rows.get_by_type(&mut conn, "a".into()).unwrap().id, 2);
    assert_eq!("-type".parse::<RowOrder>().unwrap(), RowOrder::TypeDesc);
    let first = RowFilter::default().order_by(RowOrder::TypeAsc).limit(1);
    let page = rows.all(&mut conn, None, first.clone()).unwrap();
    assert_eq!(page[0].r#type, "a");
    let next = first.after(RowSortKey::from(&page[0]));
    assert_eq!(rows.all(&mut conn, None, next).unwrap()[0].r#type, "b");
    let typed = RowFilter::default().r#type("b".into());
    assert_eq!(rows.count(&mut conn, None, typed).unwrap(), 1);
}
