// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = crate::schema::catalog_items, primary_key(sku))]
// #[cache(unique(code), filter(shelf))]
// pub struct CatalogItem {
//     pub sku: String,
//     #[diesel(column_name = product_code)]
//     pub code: String,
//     #[diesel(column_name = shelf_no)]
//     pub shelf: Option<i16>,
// }

#[doc = concat!(
    "The cache manager of [`", stringify!(CatalogItem),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct CatalogItemCache(::cache_diesel::Manager<CatalogItem>);
impl ::core::ops::Deref for CatalogItemCache {
    type Target = ::cache_diesel::Manager<CatalogItem>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl CatalogItemCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
    ///The `CatalogItem` whose `code` is `value`, or `Error::NotFound`.
    pub fn get_by_code<C>(
        &self,
        conn: &mut C,
        value: String,
    ) -> ::cache_diesel::Result<CatalogItem>
    where
        C: ::cache_diesel::__private::diesel::Connection + 'static,
        CatalogItem: ::cache_diesel::ModelQueries<C>,
    {
        self.0.get_unique(conn, CatalogItemUnique::Code(value))
    }
    ///The `CatalogItem` whose `code` is `value`, if any.
    pub fn find_by_code<C>(
        &self,
        conn: &mut C,
        value: String,
    ) -> ::cache_diesel::Result<::core::option::Option<CatalogItem>>
    where
        C: ::cache_diesel::__private::diesel::Connection + 'static,
        CatalogItem: ::cache_diesel::ModelQueries<C>,
    {
        self.0.find_unique(conn, CatalogItemUnique::Code(value))
    }
}
impl CatalogItem {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static CatalogItemCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<CatalogItemCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| CatalogItemCache(
                ::cache_diesel::Manager::from_default_cache(),
            ))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(CatalogItem),
    "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum CatalogItemUnique {
    #[doc = concat!("`", stringify!(CatalogItem), "` by `", stringify!(Sku), "`.")]
    Sku(String),
    #[doc = concat!("`", stringify!(CatalogItem), "` by `", stringify!(Code), "`.")]
    Code(String),
}
impl ::cache_diesel::UniqueKey for CatalogItemUnique {
    fn column(&self) -> &'static str {
        match self {
            Self::Sku(_) => "sku",
            Self::Code(_) => "product_code",
        }
    }
    fn value_key(&self) -> ::std::string::String {
        match self {
            Self::Sku(value) => ::cache_diesel::__private::value_key(value),
            Self::Code(value) => ::cache_diesel::__private::value_key(value),
        }
    }
}
///How a list of [`CatalogItem`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `sku`, `-sku`; ties are broken by the primary key in the same direction.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub enum CatalogItemOrder {
    ///By `sku`, ascending (`sku`).
    #[serde(rename = "sku")]
    SkuAsc,
    ///By `sku`, descending (`-sku`).
    #[serde(rename = "-sku")]
    SkuDesc,
}
impl ::core::default::Default for CatalogItemOrder {
    fn default() -> Self {
        Self::SkuAsc
    }
}
impl CatalogItemOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &["sku", "-sku"];
}
impl ::core::fmt::Display for CatalogItemOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::SkuAsc => f.write_str("sku"),
            Self::SkuDesc => f.write_str("-sku"),
        }
    }
}
impl ::core::str::FromStr for CatalogItemOrder {
    type Err = ::cache_diesel::filter::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
            "sku" => ::core::result::Result::Ok(Self::SkuAsc),
            "-sku" => ::core::result::Result::Ok(Self::SkuDesc),
            _ => {
                ::core::result::Result::Err(::cache_diesel::filter::ParseOrderError {
                    given: ::std::string::ToString::to_string(s),
                    accepted: Self::ACCEPTED,
                })
            }
        }
    }
}
#[doc = concat!(
    "Where a page of [`", stringify!(CatalogItem),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct CatalogItemSortKey {
    #[doc = concat!("The row's `", stringify!(sku), "`.")]
    pub sku: String,
}
impl CatalogItemSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &CatalogItem) -> Self {
        Self {
            sku: ::core::clone::Clone::clone(&row.sku),
        }
    }
}
impl ::core::convert::From<&CatalogItem> for CatalogItemSortKey {
    fn from(row: &CatalogItem) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(CatalogItem),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct CatalogItemFilter {
    #[doc = concat!("Condition on `", stringify!(shelf), "`.")]
    pub shelf: ::core::option::Option<::cache_diesel::FilterOp<Option<i16>>>,
    __page: ::cache_diesel::__private::Page<CatalogItemOrder, CatalogItemSortKey>,
}
impl CatalogItemFilter {
    #[doc = concat!("Rows whose `", stringify!(shelf), "` equals `value`.")]
    pub fn shelf(mut self, value: Option<i16>) -> Self {
        self.shelf = ::core::option::Option::Some(::cache_diesel::FilterOp::Eq(value));
        self
    }
    #[doc = concat!("Rows whose `", stringify!(shelf), "` is one of `values`.")]
    pub fn shelf_in(
        mut self,
        values: impl ::core::iter::IntoIterator<Item = Option<i16>>,
    ) -> Self {
        self.shelf = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::In(values.into_iter().collect()),
        );
        self
    }
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: CatalogItemOrder) -> Self {
        self.__page.order = order;
        self
    }
    ///At most `n` rows.
    pub fn limit(mut self, n: u32) -> Self {
        self.__page.limit = ::core::option::Option::Some(n);
        self
    }
    ///Skips the first `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.__page.offset = ::core::option::Option::Some(n);
        self
    }
    ///Keyset pagination: only the rows after `key` (the sort key of the previous page's last row) in this filter's order.
    pub fn after(mut self, key: CatalogItemSortKey) -> Self {
        self.__page.after = ::core::option::Option::Some(key);
        self
    }
    ///The same conditions and order without the window (limit, offset and `after`): every row the pages walk through.
    pub fn without_window(mut self) -> Self {
        self.__page.limit = ::core::option::Option::None;
        self.__page.offset = ::core::option::Option::None;
        self.__page.after = ::core::option::Option::None;
        self
    }
}
impl ::cache_diesel::ListFilter for CatalogItemFilter {
    fn cache_key(&self) -> ::std::string::String {
        let mut key = self.conditions_key();
        ::cache_diesel::__private::append_page_key(&mut key, &self.__page);
        key
    }
    fn conditions_key(&self) -> ::std::string::String {
        #[allow(unused_mut)]
        let mut key = ::std::string::String::new();
        ::cache_diesel::__private::append_key(
            &mut key,
            stringify!(shelf),
            self.shelf.as_ref(),
        );
        key
    }
    fn is_window(&self) -> bool {
        self.__page.is_window()
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    #[allow(clippy::needless_borrow)]
    impl ::cache_diesel::CacheForm for CatalogItem {
        fn serialize_form<S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: S,
        ) -> ::core::result::Result<S::Ok, S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(3usize)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.sku, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.code, &mut tuple)?;
            (&::cache_diesel::__private::Field::<Option<i16>>::new())
                .write(&self.shelf, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<'de, D: ::cache_diesel::__private::serde::Deserializer<'de>>(
            deserializer: D,
        ) -> ::core::result::Result<Self, D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = CatalogItem;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "CatalogItem"))
                }
                fn visit_seq<A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> ::core::result::Result<CatalogItem, A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(CatalogItem {
                        sku: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                3usize,
                                "CatalogItem",
                            ))?,
                        code: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                3usize,
                                "CatalogItem",
                            ))?,
                        shelf: (&::cache_diesel::__private::Field::<Option<i16>>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                2usize,
                                3usize,
                                "CatalogItem",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(3usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for CatalogItem {
        type Id = String;
        type Unique = CatalogItemUnique;
        type Filter = CatalogItemFilter;
        type Record = Self;
        fn record_model(record: &Self) -> &Self {
            record
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "CatalogItem",
            key: "catalog_item",
            primary_key: "sku",
            unique_columns: &["sku", "product_code"],
            schema_hash: "4007724ba2189fac",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(86400u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(60u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(10u64),
            soft_timeout: ::core::option::Option::None,
            prefetch_for_list: true,
            background_refresh: false,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| {
                ::cache_diesel::__table_sql_name!(crate ::schema::catalog_items::table)
            })
        }
        fn id(&self) -> String {
            ::core::clone::Clone::clone(&self.sku)
        }
        fn unique_of_id(id: String) -> CatalogItemUnique {
            CatalogItemUnique::Sku(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<CatalogItemUnique> {
            ::std::vec![
                CatalogItemUnique::Sku(::core::clone::Clone::clone(& self.sku)),
                CatalogItemUnique::Code(::core::clone::Clone::clone(& self.code))
            ]
        }
    }
    ::cache_diesel::__if_sqlite! {
        impl<
            '__q,
            V,
        > ::cache_diesel::UpdateQuery<
            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
            V,
        > for CatalogItem
        where
            V: ::cache_diesel::__private::diesel::AsChangeset<
                Target = crate::schema::catalog_items::table,
            >,
            ::cache_diesel::__private::diesel::dsl::Returning<
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        crate::schema::catalog_items::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<
                            crate::schema::catalog_items::sku,
                            String,
                        >,
                    >,
                    V,
                >,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                >,
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                Self,
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    crate::schema::catalog_items::table,
                    ::cache_diesel::__private::BoxedCondition<
                        crate::schema::catalog_items::table,
                        ::cache_diesel::__private::diesel::sqlite::Sqlite,
                    >,
                >,
                V,
            >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<
                ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
            >,
        {
            fn update_by_id(
                conn: &mut ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                id: &String,
                changes: V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                use ::cache_diesel::__private::diesel::prelude::*;
                ::cache_diesel::__private::sqlite_atomic(
                    conn,
                    |conn| {
                        let key = CatalogItemUnique::Sku(::core::clone::Clone::clone(id));
                        let ::core::option::Option::Some(old) = <Self as ::cache_diesel::ModelQueries<
                            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                        >>::load_unique(conn, &key)? else {
                            return ::core::result::Result::Ok(::core::option::Option::None);
                        };
                        let row = ::cache_diesel::__private::diesel::update(
                                crate::schema::catalog_items::table
                                    .filter(
                                        crate::schema::catalog_items::sku
                                            .eq(::core::clone::Clone::clone(id)),
                                    ),
                            )
                            .set(changes)
                            .returning(
                                <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                                >>::as_returning(),
                            )
                            .get_result::<Self>(conn)
                            .optional()?;
                        ::core::result::Result::Ok(
                            row
                                .map(|row| ::cache_diesel::__private::Updated {
                                    row,
                                    before: ::cache_diesel::CachedModel::unique_keys(&old),
                                }),
                        )
                    },
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                filter: &CatalogItemFilter,
                changes: V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                use ::cache_diesel::__private::diesel::prelude::*;
                let condition = ::cache_diesel::__private::FilterCondition::<
                    crate::schema::catalog_items::table,
                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                >::condition(filter);
                ::cache_diesel::__private::diesel::update(
                        crate::schema::catalog_items::table.filter(condition),
                    )
                    .set(changes)
                    .execute(conn)
            }
        }
    }
    ::cache_diesel::__if_postgres! {
        impl<
            '__q,
            V,
        > ::cache_diesel::UpdateQuery<::cache_diesel::__private::diesel::pg::PgConnection, V>
        for CatalogItem
        where
            V: ::cache_diesel::__private::diesel::AsChangeset<
                Target = crate::schema::catalog_items::table,
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                crate::schema::catalog_items::table,
                crate::schema::catalog_items::sku,
                ::cache_diesel::__private::diesel::dsl::Eq<
                    crate::schema::catalog_items::sku,
                    String,
                >,
                <V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (crate::schema::catalog_items::product_code,),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (String,)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    crate::schema::catalog_items::table,
                    ::cache_diesel::__private::BoxedCondition<
                        crate::schema::catalog_items::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                >,
                V,
            >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<
                ::cache_diesel::__private::diesel::pg::PgConnection,
            >,
        {
            fn update_by_id(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                id: &String,
                changes: V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <crate::schema::catalog_items::product_code as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    crate::schema::catalog_items::table,
                    crate::schema::catalog_items::sku,
                    ::cache_diesel::__private::diesel::dsl::Eq<
                        crate::schema::catalog_items::sku,
                        String,
                    >,
                    <V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (crate::schema::catalog_items::product_code,),
                > = ::cache_diesel::__private::update_returning_old(
                    crate::schema::catalog_items::table,
                    crate::schema::catalog_items::sku,
                    crate::schema::catalog_items::sku.eq(::core::clone::Clone::clone(id)),
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (crate::schema::catalog_items::product_code,),
                    OLD_NAMES,
                );
                let loaded = statement.get_result::<(Self, (String,))>(conn).optional()?;
                ::core::result::Result::Ok(
                    loaded
                        .map(|(row, (__old0,))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                CatalogItemUnique::Sku(::core::clone::Clone::clone(id)),
                                CatalogItemUnique::Code(__old0),
                            ],
                        }),
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                filter: &CatalogItemFilter,
                changes: V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                use ::cache_diesel::__private::diesel::prelude::*;
                let condition = ::cache_diesel::__private::FilterCondition::<
                    crate::schema::catalog_items::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >::condition(filter);
                ::cache_diesel::__private::diesel::update(
                        crate::schema::catalog_items::table.filter(condition),
                    )
                    .set(changes)
                    .execute(conn)
            }
        }
    }
    macro_rules! __cache_diesel_queries {
        ($conn:ty, $db:ty) => {
            const _: fn() = ::cache_diesel::__private::assert_loads_from::<CatalogItem, $db>;
            impl ::cache_diesel::__private::FilterCondition<
                crate::schema::catalog_items::table,
                $db,
            > for CatalogItemFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<
                    crate::schema::catalog_items::table,
                    $db,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        crate::schema::catalog_items::table,
                        $db,
                    > = ::std::boxed::Box::new(
                        ::cache_diesel::__private::diesel::dsl::sql::<
                            ::cache_diesel::__private::diesel::sql_types::Bool,
                        >("1 = 1"),
                    );
                    if let ::core::option::Option::Some(op) = &self.shelf {
                        condition = match op {
                            ::cache_diesel::FilterOp::Eq(value) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            crate::schema::catalog_items::shelf_no
                                                .eq(::core::clone::Clone::clone(value)),
                                        ),
                                )
                            }
                            ::cache_diesel::FilterOp::In(values) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            crate::schema::catalog_items::shelf_no
                                                .eq_any(::core::clone::Clone::clone(values)),
                                        ),
                                )
                            }
                        };
                    }
                    condition
                }
                fn keyset(
                    &self,
                ) -> ::core::option::Option<
                    ::cache_diesel::__private::BoxedCondition<
                        crate::schema::catalog_items::table,
                        $db,
                    >,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            CatalogItemOrder::SkuAsc => {
                                ::std::boxed::Box::new(
                                    crate::schema::catalog_items::sku
                                        .gt(::core::clone::Clone::clone(&after.sku)),
                                )
                            }
                            CatalogItemOrder::SkuDesc => {
                                ::std::boxed::Box::new(
                                    crate::schema::catalog_items::sku
                                        .lt(::core::clone::Clone::clone(&after.sku)),
                                )
                            }
                        },
                    )
                }
            }
            impl ::cache_diesel::ModelQueries<$conn> for CatalogItem {
                fn load_unique(
                    conn: &mut $conn,
                    key: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    match key {
                        CatalogItemUnique::Sku(value) => {
                            crate::schema::catalog_items::table
                                .filter(
                                    crate::schema::catalog_items::sku
                                        .eq(::core::clone::Clone::clone(value)),
                                )
                                .select(
                                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                )
                                .first::<Self>(conn)
                                .optional()
                        }
                        CatalogItemUnique::Code(value) => {
                            crate::schema::catalog_items::table
                                .filter(
                                    crate::schema::catalog_items::product_code
                                        .eq(::core::clone::Clone::clone(value)),
                                )
                                .select(
                                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                )
                                .first::<Self>(conn)
                                .optional()
                        }
                    }
                }
                fn load_list(
                    conn: &mut $conn,
                    filter: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let mut query = crate::schema::catalog_items::table
                        .filter(
                            ::cache_diesel::__private::FilterCondition::<
                                crate::schema::catalog_items::table,
                                $db,
                            >::condition(filter),
                        )
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .into_boxed::<$db>();
                    if let ::core::option::Option::Some(keyset) = ::cache_diesel::__private::FilterCondition::<
                        crate::schema::catalog_items::table,
                        $db,
                    >::keyset(filter) {
                        query = query.filter(keyset);
                    }
                    query = match filter.__page.order {
                        CatalogItemOrder::SkuAsc => {
                            query.order_by(crate::schema::catalog_items::sku.asc())
                        }
                        CatalogItemOrder::SkuDesc => {
                            query.order_by(crate::schema::catalog_items::sku.desc())
                        }
                    };
                    if let ::core::option::Option::Some(n) = filter.__page.sql_limit() {
                        query = query.limit(n);
                    }
                    if let ::core::option::Option::Some(n) = filter.__page.sql_offset() {
                        query = query.offset(n);
                    }
                    query.load::<Self>(conn)
                }
                fn count_list(
                    conn: &mut $conn,
                    filter: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<i64> {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    crate::schema::catalog_items::table
                        .filter(
                            ::cache_diesel::__private::FilterCondition::<
                                crate::schema::catalog_items::table,
                                $db,
                            >::condition(filter),
                        )
                        .count()
                        .get_result::<i64>(conn)
                }
                fn delete_by_id(
                    conn: &mut $conn,
                    id: &String,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::delete(
                            crate::schema::catalog_items::table
                                .filter(
                                    crate::schema::catalog_items::sku
                                        .eq(::core::clone::Clone::clone(id)),
                                ),
                        )
                        .returning(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .get_result::<Self>(conn)
                        .optional()
                }
                fn load_record(
                    conn: &mut $conn,
                    key: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    <Self as ::cache_diesel::ModelQueries<$conn>>::load_unique(conn, key)
                }
                fn load_records(
                    conn: &mut $conn,
                    filter: &CatalogItemFilter,
                    _prefetch: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    <Self as ::cache_diesel::ModelQueries<$conn>>::load_list(conn, filter)
                }
                fn related_tables() -> &'static [::std::string::String] {
                    &[]
                }
            }
            impl<'__q, V> ::cache_diesel::InsertQuery<$conn, V> for CatalogItem
            where
                V: ::cache_diesel::__private::diesel::Insertable<
                    crate::schema::catalog_items::table,
                >,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        crate::schema::catalog_items::table,
                        <V as ::cache_diesel::__private::diesel::Insertable<
                            crate::schema::catalog_items::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::insert_into(
                            crate::schema::catalog_items::table,
                        )
                        .values(values)
                        .returning(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .get_results::<Self>(conn)
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for CatalogItem {
                type Expr = ::cache_diesel::__private::BoxedCondition<
                    crate::schema::catalog_items::table,
                    $db,
                >;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::model::WhereLoader<$conn, Self>) {
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = crate::schema::catalog_items::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order(crate::schema::catalog_items::sku.asc())
                        .into_boxed::<$db>();
                    let sql = ::cache_diesel::__private::diesel::debug_query::<$db, _>(&query)
                        .to_string();
                    (sql, ::std::boxed::Box::new(move |conn: &mut $conn| query.load::<Self>(conn)))
                }
            }
        };
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
