// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = products)]
// #[cache(unique(slug), list_timout = 60, filter(is_active))]
// pub struct Product {
//     pub id: i32,
//     pub slug: String,
//     pub is_active: bool,
// }

::core::compile_error! {
    "unknown #[cache] option; accepted are: key = \"..\", list_timeout = secs, detail_timeout = secs, not_found_timeout = secs, soft_timeout = secs, refresh = \"inline\"|\"background\", unique(field, ..), filter(field, ..), order_by(field, ..), version = n, select_related(relation, ..), prefetch(name(Model), name(Model, through = JoinModel), ..), prefetch_for_list = bool"
}
#[doc = concat!(
    "The cache manager of [`", stringify!(Product),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct ProductCache(::cache_diesel::Manager<Product>);
impl ::core::ops::Deref for ProductCache {
    type Target = ::cache_diesel::Manager<Product>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl ProductCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
    ///The `Product` whose `slug` is `value`, or `Error::NotFound`.
    pub fn get_by_slug<C>(
        &self,
        conn: &mut C,
        value: String,
    ) -> ::cache_diesel::Result<Product>
    where
        C: ::cache_diesel::__private::diesel::Connection + 'static,
        Product: ::cache_diesel::ModelQueries<C>,
    {
        self.0.get_unique(conn, ProductUnique::Slug(value))
    }
    ///The `Product` whose `slug` is `value`, if any.
    pub fn find_by_slug<C>(
        &self,
        conn: &mut C,
        value: String,
    ) -> ::cache_diesel::Result<::core::option::Option<Product>>
    where
        C: ::cache_diesel::__private::diesel::Connection + 'static,
        Product: ::cache_diesel::ModelQueries<C>,
    {
        self.0.find_unique(conn, ProductUnique::Slug(value))
    }
    ::cache_diesel::__if_async! {
        ///`get_by_slug` on an async (diesel-async) connection.
        pub async fn get_by_slug_async<C>(
            &self,
            conn: &mut C,
            value: String,
        ) -> ::cache_diesel::Result<Product>
        where
            C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static,
            Product: ::cache_diesel::AsyncModelQueries<C>,
        {
            self.0.get_unique_async(conn, ProductUnique::Slug(value)).await
        }
        ///`find_by_slug` on an async (diesel-async) connection.
        pub async fn find_by_slug_async<C>(
            &self,
            conn: &mut C,
            value: String,
        ) -> ::cache_diesel::Result<::core::option::Option<Product>>
        where
            C: ::cache_diesel::__private::diesel_async::AsyncConnection + 'static,
            Product: ::cache_diesel::AsyncModelQueries<C>,
        {
            self.0.find_unique_async(conn, ProductUnique::Slug(value)).await
        }
    }
}
impl Product {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static ProductCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<ProductCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| ProductCache(::cache_diesel::Manager::from_default_cache()))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(Product), "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum ProductUnique {
    #[doc = concat!("`", stringify!(Product), "` by `", stringify!(Id), "`.")]
    Id(i32),
    #[doc = concat!("`", stringify!(Product), "` by `", stringify!(Slug), "`.")]
    Slug(String),
}
impl ::cache_diesel::UniqueKey for ProductUnique {
    fn column(&self) -> &'static str {
        match self {
            Self::Id(_) => "id",
            Self::Slug(_) => "slug",
        }
    }
    fn value_key(&self) -> ::std::string::String {
        match self {
            Self::Id(value) => ::cache_diesel::__private::value_key(value),
            Self::Slug(value) => ::cache_diesel::__private::value_key(value),
        }
    }
}
///How a list of [`Product`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `id`, `-id`; ties are broken by the primary key in the same direction.
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
pub enum ProductOrder {
    ///By `id`, ascending (`id`).
    #[serde(rename = "id")]
    IdAsc,
    ///By `id`, descending (`-id`).
    #[serde(rename = "-id")]
    IdDesc,
}
impl ::core::default::Default for ProductOrder {
    fn default() -> Self {
        Self::IdAsc
    }
}
impl ProductOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &["id", "-id"];
}
impl ::core::fmt::Display for ProductOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::IdAsc => f.write_str("id"),
            Self::IdDesc => f.write_str("-id"),
        }
    }
}
impl ::core::str::FromStr for ProductOrder {
    type Err = ::cache_diesel::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
            "id" => ::core::result::Result::Ok(Self::IdAsc),
            "-id" => ::core::result::Result::Ok(Self::IdDesc),
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
    "Where a page of [`", stringify!(Product),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct ProductSortKey {
    #[doc = concat!("The row's `", stringify!(id), "`.")]
    pub id: i32,
}
impl ProductSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &Product) -> Self {
        Self {
            id: ::core::clone::Clone::clone(&row.id),
        }
    }
}
impl ::core::convert::From<&Product> for ProductSortKey {
    fn from(row: &Product) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(Product),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    #[doc = concat!("Condition on `", stringify!(is_active), "`.")]
    pub is_active: ::core::option::Option<::cache_diesel::FilterOp<bool>>,
    __page: ::cache_diesel::__private::Page<ProductOrder, ProductSortKey>,
}
impl ProductFilter {
    #[doc = concat!("Rows whose `", stringify!(is_active), "` equals `value`.")]
    pub fn is_active(mut self, value: bool) -> Self {
        self.is_active = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::Eq(value),
        );
        self
    }
    #[doc = concat!("Rows whose `", stringify!(is_active), "` is one of `values`.")]
    pub fn is_active_in(
        mut self,
        values: impl ::core::iter::IntoIterator<Item = bool>,
    ) -> Self {
        self.is_active = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::In(values.into_iter().collect()),
        );
        self
    }
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: ProductOrder) -> Self {
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
    pub fn after(mut self, key: ProductSortKey) -> Self {
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
impl ::cache_diesel::ListFilter for ProductFilter {
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
            stringify!(is_active),
            self.is_active.as_ref(),
        );
        key
    }
    fn is_window(&self) -> bool {
        self.__page.is_window()
    }
    fn value_condition(
        &self,
    ) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
        if let ::core::option::Option::Some(op) = &self.is_active {
            return ::core::option::Option::Some((
                stringify!(is_active),
                ::cache_diesel::__private::op_value_keys(op),
            ));
        }
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    impl ::cache_diesel::CacheForm for Product {
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
    impl ::cache_diesel::CachedModel for Product {
        type Id = i32;
        type Unique = ProductUnique;
        type Filter = ProductFilter;
        type Record = Self;
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "Product",
            key: "product",
            primary_key: "id",
            unique_columns: &["id", "slug"],
            schema_hash: "481e779f8bbf71fb",
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
        fn id(&self) -> i32 {
            ::core::unimplemented!()
        }
        fn unique_of_id(_: i32) -> ProductUnique {
            ::core::unimplemented!()
        }
        fn unique_keys(&self) -> ::std::vec::Vec<ProductUnique> {
            ::core::unimplemented!()
        }
        fn record_model(_: &Self) -> &Self {
            ::core::unimplemented!()
        }
    }
    macro_rules! __cache_diesel_stubs {
        ($conn:ty, $db:ty, $writes:ident) => {
            impl ::cache_diesel::ModelQueries<$conn> for Product {
                fn load_unique(
                    _: &mut $conn,
                    _: &ProductUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_list(
                    _: &mut $conn,
                    _: &ProductFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_record(
                    _: &mut $conn,
                    _: &ProductUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_records(
                    _: &mut $conn,
                    _: &ProductFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_many(
                    _: &mut $conn,
                    _: &[ProductUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn count_list(
                    _: &mut $conn,
                    _: &ProductFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<i64> {
                    ::core::unimplemented!()
                }
                fn related_tables() -> &'static [::std::string::String] {
                    ::core::unimplemented!()
                }
                fn delete_by_id(
                    _: &mut $conn,
                    _: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for Product {
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
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for Product {
                fn update_by_id(
                    _: &mut $conn,
                    _: &i32,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                > {
                    ::core::unimplemented!()
                }
                fn update_filtered(
                    _: &mut $conn,
                    _: &ProductFilter,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    ::core::unimplemented!()
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Product {
                type Expr = ::cache_diesel::__private::BoxedCondition<products::table, $db>;
                fn prepare_where(
                    _: ::cache_diesel::__private::BoxedCondition<products::table, $db>,
                    _: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    ::core::unimplemented!()
                }
            }
        };
        (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
            impl ::cache_diesel::AsyncModelQueries<$conn> for Product {
                async fn load_unique(
                    _: &mut $conn,
                    _: &ProductUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_list(
                    _: &mut $conn,
                    _: &ProductFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_record(
                    _: &mut $conn,
                    _: &ProductUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_records(
                    _: &mut $conn,
                    _: &ProductFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_many(
                    _: &mut $conn,
                    _: &[ProductUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn count_list(
                    _: &mut $conn,
                    _: &ProductFilter,
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Product {
                async fn delete_by_id(
                    _: &mut $conn,
                    _: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Product {
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
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Product {
                fn update_by_id<'__c>(
                    _: &'__c mut $conn,
                    _: i32,
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
                    _: ProductFilter,
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
