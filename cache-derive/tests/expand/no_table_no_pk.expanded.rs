// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[cache(filter(title))]
// pub struct Orphan {
//     pub title: String,
// }

::core::compile_error! {
    "#[derive(Cached)] needs the model's table: add #[diesel(table_name = your_table)]"
}
::core::compile_error! {
    "no field `id` to use as the primary key; name it with #[diesel(primary_key(field))]"
}
#[doc = concat!(
    "The cache manager of [`", stringify!(Orphan),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct OrphanCache(::cache_diesel::Manager<Orphan>);
impl ::core::ops::Deref for OrphanCache {
    type Target = ::cache_diesel::Manager<Orphan>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl OrphanCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
}
impl Orphan {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static OrphanCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<OrphanCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| OrphanCache(::cache_diesel::Manager::from_default_cache()))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(Orphan), "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum OrphanUnique {}
impl ::cache_diesel::UniqueKey for OrphanUnique {
    fn column(&self) -> &'static str {
        match *self {}
    }
    fn value_key(&self) -> ::std::string::String {
        match *self {}
    }
}
///How a list of [`Orphan`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as ; ties are broken by the primary key in the same direction.
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
pub enum OrphanOrder {}
impl ::core::default::Default for OrphanOrder {
    fn default() -> Self {
        ::core::unimplemented!()
    }
}
impl OrphanOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &[];
}
impl ::core::fmt::Display for OrphanOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match *self {}
    }
}
impl ::core::str::FromStr for OrphanOrder {
    type Err = ::cache_diesel::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
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
    "Where a page of [`", stringify!(Orphan),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct OrphanSortKey {}
impl OrphanSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &Orphan) -> Self {
        Self {}
    }
}
impl ::core::convert::From<&Orphan> for OrphanSortKey {
    fn from(row: &Orphan) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(Orphan),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct OrphanFilter {
    #[doc = concat!("Condition on `", stringify!(title), "`.")]
    pub title: ::core::option::Option<::cache_diesel::FilterOp<String>>,
    __page: ::cache_diesel::__private::Page<OrphanOrder, OrphanSortKey>,
}
impl OrphanFilter {
    #[doc = concat!("Rows whose `", stringify!(title), "` equals `value`.")]
    pub fn title(mut self, value: String) -> Self {
        self.title = ::core::option::Option::Some(::cache_diesel::FilterOp::Eq(value));
        self
    }
    #[doc = concat!("Rows whose `", stringify!(title), "` is one of `values`.")]
    pub fn title_in(
        mut self,
        values: impl ::core::iter::IntoIterator<Item = String>,
    ) -> Self {
        self.title = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::In(values.into_iter().collect()),
        );
        self
    }
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: OrphanOrder) -> Self {
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
    pub fn after(mut self, key: OrphanSortKey) -> Self {
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
impl ::cache_diesel::ListFilter for OrphanFilter {
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
            stringify!(title),
            self.title.as_ref(),
        );
        key
    }
    fn is_window(&self) -> bool {
        self.__page.is_window()
    }
    fn value_condition(
        &self,
    ) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
        if let ::core::option::Option::Some(op) = &self.title {
            return ::core::option::Option::Some((
                stringify!(title),
                ::cache_diesel::__private::op_value_keys(op),
            ));
        }
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    impl ::cache_diesel::CacheForm for Orphan {
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
    impl ::cache_diesel::CachedModel for Orphan {
        type Id = ();
        type Unique = OrphanUnique;
        type Filter = OrphanFilter;
        type Record = Self;
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "Orphan",
            key: "orphan",
            primary_key: "",
            unique_columns: &[],
            schema_hash: "dbf32cee61d1c1b6",
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
        fn id(&self) -> () {
            ::core::unimplemented!()
        }
        fn unique_of_id(_: ()) -> OrphanUnique {
            ::core::unimplemented!()
        }
        fn unique_keys(&self) -> ::std::vec::Vec<OrphanUnique> {
            ::core::unimplemented!()
        }
        fn record_model(_: &Self) -> &Self {
            ::core::unimplemented!()
        }
    }
    macro_rules! __cache_diesel_stubs {
        ($conn:ty, $db:ty, $writes:ident) => {
            impl ::cache_diesel::ModelQueries<$conn> for Orphan {
                fn load_unique(
                    _: &mut $conn,
                    _: &OrphanUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_list(
                    _: &mut $conn,
                    _: &OrphanFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_record(
                    _: &mut $conn,
                    _: &OrphanUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                fn load_records(
                    _: &mut $conn,
                    _: &OrphanFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn load_many(
                    _: &mut $conn,
                    _: &[OrphanUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                fn count_list(
                    _: &mut $conn,
                    _: &OrphanFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<i64> {
                    ::core::unimplemented!()
                }
                fn related_tables() -> &'static [::std::string::String] {
                    ::core::unimplemented!()
                }
                fn delete_by_id(
                    _: &mut $conn,
                    _: &(),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for Orphan {
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
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for Orphan {
                fn update_by_id(
                    _: &mut $conn,
                    _: &(),
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                > {
                    ::core::unimplemented!()
                }
                fn update_filtered(
                    _: &mut $conn,
                    _: &OrphanFilter,
                    _: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    ::core::unimplemented!()
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Orphan {
                type Expr = ();
                fn prepare_where(
                    _: (),
                    _: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    ::core::unimplemented!()
                }
            }
        };
        (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
            impl ::cache_diesel::AsyncModelQueries<$conn> for Orphan {
                async fn load_unique(
                    _: &mut $conn,
                    _: &OrphanUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_list(
                    _: &mut $conn,
                    _: &OrphanFilter,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_record(
                    _: &mut $conn,
                    _: &OrphanUnique,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_records(
                    _: &mut $conn,
                    _: &OrphanFilter,
                    _: bool,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn load_many(
                    _: &mut $conn,
                    _: &[OrphanUnique],
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    ::core::unimplemented!()
                }
                async fn count_list(
                    _: &mut $conn,
                    _: &OrphanFilter,
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Orphan {
                async fn delete_by_id(
                    _: &mut $conn,
                    _: &(),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    ::core::unimplemented!()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Orphan {
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
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Orphan {
                fn update_by_id<'__c>(
                    _: &'__c mut $conn,
                    _: (),
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
                    _: OrphanFilter,
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
