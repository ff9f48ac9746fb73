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

::core::compile_error! {
    "filter(`shelf`): a nullable column cannot be a filter column (`= value` never matches NULL); list it by condition with `all_where` (e.g. `shelf.is_null()`)"
}
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
    ::cache_diesel::__if_async! {
        ///`get_by_code` on an async (diesel-async) connection.
        pub async fn get_by_code_async<C>(
            &self,
            conn: &mut C,
            value: String,
        ) -> ::cache_diesel::Result<CatalogItem>
        where
            C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static,
            CatalogItem: ::cache_diesel::AsyncModelQueries<C>,
        {
            self.0.get_unique_async(conn, CatalogItemUnique::Code(value)).await
        }
        ///`find_by_code` on an async (diesel-async) connection.
        pub async fn find_by_code_async<C>(
            &self,
            conn: &mut C,
            value: String,
        ) -> ::cache_diesel::Result<::core::option::Option<CatalogItem>>
        where
            C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static,
            CatalogItem: ::cache_diesel::AsyncModelQueries<C>,
        {
            self.0.find_unique_async(conn, CatalogItemUnique::Code(value)).await
        }
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
    type Err = ::cache_diesel::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
            "sku" => ::core::result::Result::Ok(Self::SkuAsc),
            "-sku" => ::core::result::Result::Ok(Self::SkuDesc),
            _ => {
                ::core::result::Result::Err(::cache_diesel::ParseOrderError {
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
    ///At most `n` rows (`LIMIT n`, an `i64` as Diesel's `limit` takes; the database judges a negative one).
    pub fn limit(mut self, n: i64) -> Self {
        self.__page.limit = ::core::option::Option::Some(n);
        self
    }
    ///Skips the first `n` rows (`OFFSET n`, an `i64` as Diesel's `offset` takes).
    pub fn offset(mut self, n: i64) -> Self {
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
    fn value_condition(
        &self,
    ) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
        if let ::core::option::Option::Some(op) = &self.shelf {
            return ::core::option::Option::Some((
                stringify!(shelf_no),
                ::cache_diesel::__private::op_value_keys(op),
            ));
        }
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    impl ::cache_diesel::CacheForm for CatalogItem {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            _: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            ::core::unimplemented!()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(_: __D) -> ::core::result::Result<Self, __D::Error> {
            ::core::unimplemented!()
        }
    }
    impl ::cache_diesel::CachedModel for CatalogItem {
        type Id = String;
        type Unique = CatalogItemUnique;
        type Filter = CatalogItemFilter;
        type Record = Self;
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
            ::core::unimplemented!()
        }
        fn id(&self) -> String {
            ::core::unimplemented!()
        }
        fn unique_of_id(_: String) -> CatalogItemUnique {
            ::core::unimplemented!()
        }
        fn unique_keys(&self) -> ::std::vec::Vec<CatalogItemUnique> {
            ::core::unimplemented!()
        }
        fn record_model(_: &Self) -> &Self {
            ::core::unimplemented!()
        }
    }
    macro_rules! __cache_diesel_stubs {
        ($conn:ty, $db:ty, $writes:ident) => {
            impl ::cache_diesel::ModelQueries<$conn> for CatalogItem {
                fn load_unique(
                    _: &mut $conn,
                    _: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_list(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_record(
                    _: &mut $conn,
                    _: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_records(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_many(
                    _: &mut $conn,
                    _: &[CatalogItemUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn count_list(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<i64> {
                    ::core::unimplemented!()
                }
                fn related_tables() -> &'static [::std::string::String] {
                    ::core::unimplemented!()
                }
                fn delete_by_id(
                    _: &mut $conn,
                    _: &String,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for CatalogItem {
                fn insert_returning(
                    _: &mut $conn,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn insert_execute(
                    _: &mut $conn,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                    ::core::unimplemented!()
                }
            }
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for CatalogItem {
                fn update_by_id(
                    _: &mut $conn,
                    _: &String,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                > {
                    ::core::unimplemented!()
                }
                fn update_filtered(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    ::core::unimplemented!()
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for CatalogItem {
                type Expr = ::cache_diesel::__private::BoxedCondition<
                    crate::schema::catalog_items::table,
                    $db,
                >;
                fn prepare_where(
                    _: ::cache_diesel::__private::BoxedCondition<
                        crate::schema::catalog_items::table,
                        $db,
                    >,
                    _: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    ::core::unimplemented!()
                }
            }
        };
        (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
            impl ::cache_diesel::AsyncModelQueries<$conn> for CatalogItem {
                async fn load_unique(
                    _: &mut $conn,
                    _: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_list(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_record(
                    _: &mut $conn,
                    _: &CatalogItemUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_records(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_many(
                    _: &mut $conn,
                    _: &[CatalogItemUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn count_list(
                    _: &mut $conn,
                    _: &CatalogItemFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<i64> {
                    ::core::unimplemented!()
                }
                fn related_tables() -> &'static [::std::string::String] {
                    ::core::unimplemented!()
                }
            }
            __cache_diesel_stubs! {
                @ writes $writes, $conn
            }
        };
        (@ writes none, $conn:ty) => {};
        (@ writes $writes:ident, $conn:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for CatalogItem {
                async fn delete_by_id(
                    _: &mut $conn,
                    _: &String,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for CatalogItem {
                fn insert_returning<'__c>(
                    _: &'__c mut $conn,
                    _: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>>,
                >
                where
                    '__q: '__c,
                {
                    ::core::unimplemented!()
                }
                fn insert_execute<'__c>(
                    _: &'__c mut $conn,
                    _: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<usize>,
                >
                where
                    '__q: '__c,
                {
                    ::core::unimplemented!()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for CatalogItem {
                fn update_by_id<'__c>(
                    _: &'__c mut $conn,
                    _: String,
                    _: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<
                        ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                    >,
                >
                where
                    '__q: '__c,
                {
                    ::core::unimplemented!()
                }
                fn update_filtered<'__c>(
                    _: &'__c mut $conn,
                    _: CatalogItemFilter,
                    _: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<
                        ::cache_diesel::__private::UpdatedRows<Self>,
                    >,
                >
                where
                    '__q: '__c,
                {
                    ::core::unimplemented!()
                }
            }
        };
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_stubs);
};
