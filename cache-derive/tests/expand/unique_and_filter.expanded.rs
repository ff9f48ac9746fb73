// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = products)]
// #[cache(unique(slug), filter(is_active, category_id), order_by(title, category_id), list_timeout = 3600, detail_timeout = 60)]
// pub struct Product {
//     pub id: i32,
//     pub slug: String,
//     pub title: String,
//     pub is_active: bool,
//     pub category_id: i32,
// }

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
///How a list of [`Product`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `id`, `-id`, `title`, `-title`, `category_id`, `-category_id`; ties are broken by the primary key in the same direction.
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
    ///By `title`, ascending (`title`).
    #[serde(rename = "title")]
    TitleAsc,
    ///By `title`, descending (`-title`).
    #[serde(rename = "-title")]
    TitleDesc,
    ///By `category_id`, ascending (`category_id`).
    #[serde(rename = "category_id")]
    CategoryIdAsc,
    ///By `category_id`, descending (`-category_id`).
    #[serde(rename = "-category_id")]
    CategoryIdDesc,
}
impl ::core::default::Default for ProductOrder {
    fn default() -> Self {
        Self::IdAsc
    }
}
impl ProductOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &[
        "id",
        "-id",
        "title",
        "-title",
        "category_id",
        "-category_id",
    ];
}
impl ::core::fmt::Display for ProductOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::IdAsc => f.write_str("id"),
            Self::IdDesc => f.write_str("-id"),
            Self::TitleAsc => f.write_str("title"),
            Self::TitleDesc => f.write_str("-title"),
            Self::CategoryIdAsc => f.write_str("category_id"),
            Self::CategoryIdDesc => f.write_str("-category_id"),
        }
    }
}
impl ::core::str::FromStr for ProductOrder {
    type Err = ::cache_diesel::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
            "id" => ::core::result::Result::Ok(Self::IdAsc),
            "-id" => ::core::result::Result::Ok(Self::IdDesc),
            "title" => ::core::result::Result::Ok(Self::TitleAsc),
            "-title" => ::core::result::Result::Ok(Self::TitleDesc),
            "category_id" => ::core::result::Result::Ok(Self::CategoryIdAsc),
            "-category_id" => ::core::result::Result::Ok(Self::CategoryIdDesc),
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
    #[doc = concat!("The row's `", stringify!(title), "`.")]
    pub title: String,
    #[doc = concat!("The row's `", stringify!(category_id), "`.")]
    pub category_id: i32,
}
impl ProductSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &Product) -> Self {
        Self {
            id: ::core::clone::Clone::clone(&row.id),
            title: ::core::clone::Clone::clone(&row.title),
            category_id: ::core::clone::Clone::clone(&row.category_id),
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
    #[doc = concat!("Condition on `", stringify!(category_id), "`.")]
    pub category_id: ::core::option::Option<::cache_diesel::FilterOp<i32>>,
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
    #[doc = concat!("Rows whose `", stringify!(category_id), "` equals `value`.")]
    pub fn category_id(mut self, value: i32) -> Self {
        self.category_id = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::Eq(value),
        );
        self
    }
    #[doc = concat!("Rows whose `", stringify!(category_id), "` is one of `values`.")]
    pub fn category_id_in(
        mut self,
        values: impl ::core::iter::IntoIterator<Item = i32>,
    ) -> Self {
        self.category_id = ::core::option::Option::Some(
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
        ::cache_diesel::__private::append_key(
            &mut key,
            stringify!(category_id),
            self.category_id.as_ref(),
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
        if let ::core::option::Option::Some(op) = &self.category_id {
            return ::core::option::Option::Some((
                stringify!(category_id),
                ::cache_diesel::__private::op_value_keys(op),
            ));
        }
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    #[allow(clippy::needless_borrow)]
    impl ::cache_diesel::CacheForm for Product {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(5usize)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.slug, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.title, &mut tuple)?;
            (&::cache_diesel::__private::Field::<bool>::new())
                .write(&self.is_active, &mut tuple)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.category_id, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = Product;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "Product"))
                }
                fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: __A,
                ) -> ::core::result::Result<Product, __A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(Product {
                        id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                5usize,
                                "Product",
                            ))?,
                        slug: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                5usize,
                                "Product",
                            ))?,
                        title: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                2usize,
                                5usize,
                                "Product",
                            ))?,
                        is_active: (&::cache_diesel::__private::Field::<bool>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                3usize,
                                5usize,
                                "Product",
                            ))?,
                        category_id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                4usize,
                                5usize,
                                "Product",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(5usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for Product {
        type Id = i32;
        type Unique = ProductUnique;
        type Filter = ProductFilter;
        type Record = Self;
        fn record_model(record: &Self) -> &Self {
            record
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "Product",
            key: "product",
            primary_key: "id",
            unique_columns: &["id", "slug"],
            schema_hash: "c56125373413b052",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(3600u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(60u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(10u64),
            soft_timeout: ::core::option::Option::None,
            prefetch_for_list: true,
            background_refresh: false,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(products::table))
        }
        fn id(&self) -> i32 {
            ::core::clone::Clone::clone(&self.id)
        }
        fn unique_of_id(id: i32) -> ProductUnique {
            ProductUnique::Id(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<ProductUnique> {
            ::std::vec![
                ProductUnique::Id(::core::clone::Clone::clone(& self.id)),
                ProductUnique::Slug(::core::clone::Clone::clone(& self.slug))
            ]
        }
        fn maps_every_column() -> bool {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{NoTableColumns as _, TableColumns as _};
            static EVERY: ::cache_diesel::__private::OnceLock<bool> = ::cache_diesel::__private::OnceLock::new();
            *EVERY
                .get_or_init(|| ::cache_diesel::__private::maps_every_column(
                    (&::cache_diesel::__private::Probe::<
                        <products::table as ::cache_diesel::__private::diesel::Table>::AllColumns,
                    >::new())
                        .table_columns(),
                    &[
                        <products::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::is_active as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::category_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ],
                ))
        }
        fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::ColumnValue> {
            ::std::vec![
                (stringify!(id), ::cache_diesel::__private::value_key(& self.id)),
                (stringify!(slug), ::cache_diesel::__private::value_key(& self.slug)),
                (stringify!(title), ::cache_diesel::__private::value_key(& self.title)),
                (stringify!(is_active), ::cache_diesel::__private::value_key(& self
                .is_active)), (stringify!(category_id),
                ::cache_diesel::__private::value_key(& self.category_id))
            ]
        }
    }
    ::cache_diesel::__if_sqlite! {
        impl<
            '__q,
            __V,
        > ::cache_diesel::UpdateQuery<
            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
            __V,
        > for Product
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::diesel::dsl::Returning<
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                    >,
                    __V,
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
                    products::table,
                    ::cache_diesel::__private::BoxedCondition<
                        products::table,
                        ::cache_diesel::__private::diesel::sqlite::Sqlite,
                    >,
                >,
                __V,
            >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<
                ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
            >,
        {
            fn update_by_id(
                conn: &mut ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                id: &i32,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                ::cache_diesel::__private::sqlite_atomic(
                    conn,
                    |conn| {
                        let key = ProductUnique::Id(::core::clone::Clone::clone(id));
                        let ::core::option::Option::Some(old) = <Self as ::cache_diesel::ModelQueries<
                            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                        >>::load_unique(conn, &key)? else {
                            return ::core::result::Result::Ok(::core::option::Option::None);
                        };
                        let row = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                            Self,
                        >(
                                ::cache_diesel::__private::diesel::update(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                    )
                                    .set(changes)
                                    .returning(
                                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                            ::cache_diesel::__private::diesel::sqlite::Sqlite,
                                        >>::as_returning(),
                                    ),
                                conn,
                            )
                            .optional()?;
                        ::core::result::Result::Ok(
                            row
                                .map(|row| ::cache_diesel::__private::Updated {
                                    row,
                                    before: ::cache_diesel::CachedModel::unique_keys(&old),
                                    old_values: ::core::option::Option::Some(
                                        ::cache_diesel::CachedModel::column_values(&old),
                                    ),
                                }),
                        )
                    },
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                filter: &ProductFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                let condition = ::cache_diesel::__private::FilterCondition::<
                    products::table,
                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                >::condition(filter);
                let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                    ::cache_diesel::__private::diesel::update(products::table.filter(condition))
                        .set(changes),
                    conn,
                )?;
                ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
            }
        }
    }
    ::cache_diesel::__if_postgres! {
        impl<
            '__q,
            __V,
        > ::cache_diesel::UpdateQuery<::cache_diesel::__private::diesel::pg::PgConnection, __V>
        for Product
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (products::slug, products::title, products::is_active, products::category_id),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (String, String, bool, i32)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::BoxedCondition<
                    products::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (
                    products::id,
                    products::slug,
                    products::title,
                    products::is_active,
                    products::category_id,
                ),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (i32, String, String, bool, i32)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    products::table,
                    ::cache_diesel::__private::BoxedCondition<
                        products::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                >,
                __V,
            >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<
                ::cache_diesel::__private::diesel::pg::PgConnection,
            >,
        {
            fn update_by_id(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                id: &i32,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::title as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::is_active as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::category_id as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    products::table,
                    products::id,
                    ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (products::slug, products::title, products::is_active, products::category_id),
                > = ::cache_diesel::__private::update_returning_old(
                    products::table,
                    products::id,
                    products::id.eq(::core::clone::Clone::clone(id)),
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (
                        products::slug,
                        products::title,
                        products::is_active,
                        products::category_id,
                    ),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    (Self, (String, String, bool, i32)),
                >(statement, conn)
                    .optional()?;
                ::core::result::Result::Ok(
                    loaded
                        .map(|(row, (__old0, __old1, __old2, __old3))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                ProductUnique::Id(::core::clone::Clone::clone(id)),
                                ProductUnique::Slug(::core::clone::Clone::clone(& __old0)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                    (stringify!(slug), ::cache_diesel::__private::value_key(&
                                    __old0)), (stringify!(title),
                                    ::cache_diesel::__private::value_key(& __old1)),
                                    (stringify!(is_active),
                                    ::cache_diesel::__private::value_key(& __old2)),
                                    (stringify!(category_id),
                                    ::cache_diesel::__private::value_key(& __old3)),
                                ],
                            ),
                        }),
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                filter: &ProductFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <products::id as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::title as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::is_active as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::category_id as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let condition = || ::cache_diesel::__private::FilterCondition::<
                    products::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >::condition(filter);
                let many = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    i64,
                >(products::table.filter(condition()).count(), conn)?;
                if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                products::table.filter(condition()),
                            )
                            .set(changes),
                        conn,
                    )?;
                    return ::core::result::Result::Ok(
                        ::cache_diesel::__private::UpdatedRows::Counted(n),
                    );
                }
                let condition = condition();
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    products::table,
                    products::id,
                    ::cache_diesel::__private::BoxedCondition<
                        products::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (
                        products::id,
                        products::slug,
                        products::title,
                        products::is_active,
                        products::category_id,
                    ),
                > = ::cache_diesel::__private::update_where_returning_old(
                    products::table,
                    products::id,
                    condition,
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (
                        products::id,
                        products::slug,
                        products::title,
                        products::is_active,
                        products::category_id,
                    ),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                    (Self, (i32, String, String, bool, i32)),
                >(statement, conn)?;
                let rows = loaded
                    .into_iter()
                    .map(|(row, (__old_pk, __old0, __old1, __old2, __old3))| ::cache_diesel::__private::Updated {
                        row,
                        before: ::std::vec![
                            ProductUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                            ProductUnique::Slug(::core::clone::Clone::clone(& __old0)),
                        ],
                        old_values: ::core::option::Option::Some(
                            ::std::vec![
                                (stringify!(id), ::cache_diesel::__private::value_key(&
                                __old_pk)), (stringify!(slug),
                                ::cache_diesel::__private::value_key(& __old0)),
                                (stringify!(title), ::cache_diesel::__private::value_key(&
                                __old1)), (stringify!(is_active),
                                ::cache_diesel::__private::value_key(& __old2)),
                                (stringify!(category_id), ::cache_diesel::__private::value_key(&
                                __old3)),
                            ],
                        ),
                    });
                ::core::result::Result::Ok(
                    ::cache_diesel::__private::UpdatedRows::Rows(rows.collect()),
                )
            }
        }
    }
    ::cache_diesel::__if_async_postgres! {
        impl<
            '__q,
            __V,
        > ::cache_diesel::AsyncUpdateQuery<
            '__q,
            ::cache_diesel::__private::diesel_async::AsyncPgConnection,
            __V,
        > for Product
        where
            __V: ::core::marker::Send + '__q,
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (products::slug, products::title, products::is_active, products::category_id),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (String, String, bool, i32)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::BoxedCondition<
                    products::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (
                    products::id,
                    products::slug,
                    products::title,
                    products::is_active,
                    products::category_id,
                ),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (i32, String, String, bool, i32)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    products::table,
                    ::cache_diesel::__private::BoxedCondition<
                        products::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                >,
                __V,
            >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
            >,
        {
            fn update_by_id<'__c>(
                conn: &'__c mut ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                id: i32,
                changes: __V,
            ) -> ::cache_diesel::__private::BoxFuture<
                '__c,
                ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                >,
            >
            where
                '__q: '__c,
            {
                ::std::boxed::Box::pin(async move {
                    let id = &id;
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    const OLD_NAMES: &[&str] = &[
                        <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::is_active as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::category_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let statement: ::cache_diesel::__private::UpdateReturningOld<
                        products::table,
                        products::id,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (
                            products::slug,
                            products::title,
                            products::is_active,
                            products::category_id,
                        ),
                    > = ::cache_diesel::__private::update_returning_old(
                        products::table,
                        products::id,
                        products::id.eq(::core::clone::Clone::clone(id)),
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (
                            products::slug,
                            products::title,
                            products::is_active,
                            products::category_id,
                        ),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        (Self, (String, String, bool, i32)),
                    >(statement, conn)
                        .await
                        .optional()?;
                    ::core::result::Result::Ok(
                        loaded
                            .map(|(row, (__old0, __old1, __old2, __old3))| ::cache_diesel::__private::Updated {
                                row,
                                before: ::std::vec![
                                    ProductUnique::Id(::core::clone::Clone::clone(id)),
                                    ProductUnique::Slug(::core::clone::Clone::clone(& __old0)),
                                ],
                                old_values: ::core::option::Option::Some(
                                    ::std::vec![
                                        (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                        (stringify!(slug), ::cache_diesel::__private::value_key(&
                                        __old0)), (stringify!(title),
                                        ::cache_diesel::__private::value_key(& __old1)),
                                        (stringify!(is_active),
                                        ::cache_diesel::__private::value_key(& __old2)),
                                        (stringify!(category_id),
                                        ::cache_diesel::__private::value_key(& __old3)),
                                    ],
                                ),
                            }),
                    )
                })
            }
            fn update_filtered<'__c>(
                conn: &'__c mut ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                filter: ProductFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::BoxFuture<
                '__c,
                ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                >,
            >
            where
                '__q: '__c,
            {
                ::std::boxed::Box::pin(async move {
                    let filter = &filter;
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    const OLD_NAMES: &[&str] = &[
                        <products::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::is_active as ::cache_diesel::__private::diesel::Column>::NAME,
                        <products::category_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let condition = || ::cache_diesel::__private::FilterCondition::<
                        products::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >::condition(filter);
                    let many = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        i64,
                    >(products::table.filter(condition()).count(), conn)
                        .await?;
                    if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        products::table.filter(condition()),
                                    )
                                    .set(changes),
                                conn,
                            )
                            .await?;
                        return ::core::result::Result::Ok(
                            ::cache_diesel::__private::UpdatedRows::Counted(n),
                        );
                    }
                    let condition = condition();
                    let statement: ::cache_diesel::__private::UpdateReturningOld<
                        products::table,
                        products::id,
                        ::cache_diesel::__private::BoxedCondition<
                            products::table,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (
                            products::id,
                            products::slug,
                            products::title,
                            products::is_active,
                            products::category_id,
                        ),
                    > = ::cache_diesel::__private::update_where_returning_old(
                        products::table,
                        products::id,
                        condition,
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (
                            products::id,
                            products::slug,
                            products::title,
                            products::is_active,
                            products::category_id,
                        ),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::load::<
                        (Self, (i32, String, String, bool, i32)),
                    >(statement, conn)
                        .await?;
                    let rows = loaded
                        .into_iter()
                        .map(|(row, (__old_pk, __old0, __old1, __old2, __old3))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                ProductUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                                ProductUnique::Slug(::core::clone::Clone::clone(& __old0)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(&
                                    __old_pk)), (stringify!(slug),
                                    ::cache_diesel::__private::value_key(& __old0)),
                                    (stringify!(title), ::cache_diesel::__private::value_key(&
                                    __old1)), (stringify!(is_active),
                                    ::cache_diesel::__private::value_key(& __old2)),
                                    (stringify!(category_id),
                                    ::cache_diesel::__private::value_key(& __old3)),
                                ],
                            ),
                        });
                    ::core::result::Result::Ok(
                        ::cache_diesel::__private::UpdatedRows::Rows(rows.collect()),
                    )
                })
            }
        }
    }
    macro_rules! __cache_diesel_writes {
        (returning, $conn:ty, $db:ty) => {
            impl __CacheDieselDelete<$conn> for Product {
                fn delete(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                        Self,
                    >(
                            ::cache_diesel::__private::diesel::delete(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::InsertQuery<$conn, __V> for Product
            where
                __V: ::cache_diesel::__private::diesel::Insertable<products::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        products::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            products::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    products::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<products::table>>::Values,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::get_results::<
                        Self,
                    >(
                        ::cache_diesel::__private::diesel::insert_into(products::table)
                            .values(values)
                            .returning(
                                <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                    $db,
                                >>::as_select(),
                            ),
                        conn,
                    )
                }
                fn insert_execute(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::insert_into(products::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Product {
                type Expr = ::cache_diesel::__private::BoxedCondition<products::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = products::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order(products::id.asc())
                        .into_boxed::<$db>();
                    let sql = ::cache_diesel::__private::diesel::debug_query::<$db, _>(&query)
                        .to_string();
                    (
                        sql,
                        ::std::boxed::Box::new(move |conn: &mut $conn| ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                            Self,
                        >(query, conn)),
                    )
                }
            }
        };
        (mysql, $conn:ty, $db:ty) => {
            impl __CacheDieselDelete<$conn> for Product {
                fn delete(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Product,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        )
                                        .for_update(),
                                    conn,
                                )
                                .optional()? else {
                                return ::core::result::Result::Ok(::core::option::Option::None);
                            };
                            ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::delete(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                ),
                                conn,
                            )?;
                            ::core::result::Result::Ok(::core::option::Option::Some(old))
                        },
                    )
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for Product
            where
                __V: ::cache_diesel::__private::diesel::Insertable<products::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    products::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<products::table>>::Values,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let table = <Self as ::cache_diesel::CachedModel>::table();
                    let key = <products::id as ::cache_diesel::__private::diesel::Column>::NAME;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            if !::cache_diesel::__private::mysql_reset_insert_id(conn, table, key)? {
                                return ::core::result::Result::Err(
                                    ::cache_diesel::__private::mysql_not_returnable("Product"),
                                );
                            }
                            let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::insert_into(products::table)
                                    .values(values),
                                conn,
                            )?;
                            if n == 0 {
                                return ::core::result::Result::Ok(::std::vec::Vec::new());
                            }
                            let found = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                                Self,
                            >(
                                products::table
                                    .filter(::cache_diesel::__private::mysql_inserted_ids(key, n))
                                    .order(products::id.asc())
                                    .select(
                                        <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_select(),
                                    ),
                                conn,
                            )?;
                            ::cache_diesel::__private::mysql_inserted("Product", n, found)
                        },
                    )
                }
                fn insert_execute(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::insert_into(products::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for Product
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::BoxedCondition<products::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id(
                    conn: &mut $conn,
                    id: &i32,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Product,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        )
                                        .for_update(),
                                    conn,
                                )
                                .optional()? else {
                                return ::core::result::Result::Ok(::core::option::Option::None);
                            };
                            ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                    )
                                    .set(changes),
                                conn,
                            )?;
                            let row = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Self,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        ),
                                    conn,
                                )
                                .optional()?
                                .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                    "Product",
                                ))?;
                            ::core::result::Result::Ok(
                                ::core::option::Option::Some(::cache_diesel::__private::Updated {
                                    row,
                                    before: ::cache_diesel::CachedModel::unique_keys(&old),
                                    old_values: ::core::option::Option::Some(
                                        ::cache_diesel::CachedModel::column_values(&old),
                                    ),
                                }),
                            )
                        },
                    )
                }
                fn update_filtered(
                    conn: &mut $conn,
                    filter: &ProductFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let condition = ::cache_diesel::__private::FilterCondition::<
                        products::table,
                        $db,
                    >::condition(filter);
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(products::table.filter(condition))
                            .set(changes),
                        conn,
                    )?;
                    ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Product {
                type Expr = ::cache_diesel::__private::BoxedCondition<products::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = products::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order(products::id.asc())
                        .into_boxed::<$db>();
                    let sql = ::cache_diesel::__private::diesel::debug_query::<$db, _>(&query)
                        .to_string();
                    (
                        sql,
                        ::std::boxed::Box::new(move |conn: &mut $conn| ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                            Self,
                        >(query, conn)),
                    )
                }
            }
        };
        (returning_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Product {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        Self,
                    >(
                            ::cache_diesel::__private::diesel::delete(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .await
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Product
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<products::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        products::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            products::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    products::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<products::table>>::Values,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning<'__c>(
                    conn: &'__c mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>>,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        ::cache_diesel::__private::diesel_async::RunQueryDsl::get_results::<
                            Self,
                        >(
                                ::cache_diesel::__private::diesel::insert_into(products::table)
                                    .values(values)
                                    .returning(
                                        <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_select(),
                                    ),
                                conn,
                            )
                            .await
                    })
                }
                fn insert_execute<'__c>(
                    conn: &'__c mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<usize>,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::insert_into(products::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
        };
        (mysql_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Product {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                    let out = ::cache_diesel::__private::mysql_body(async {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                Product,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        )
                                        .for_update(),
                                    conn,
                                )
                                .await
                                .optional()? else {
                                return ::core::result::Result::Ok(::core::option::Option::None);
                            };
                            ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                    ::cache_diesel::__private::diesel::delete(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                    ),
                                    conn,
                                )
                                .await?;
                            ::core::result::Result::Ok(::core::option::Option::Some(old))
                        })
                        .await;
                    ::cache_diesel::__private::mysql_atomic_end(conn, atomic, out).await
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Product
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<products::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    products::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<products::table>>::Values,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning<'__c>(
                    conn: &'__c mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>>,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        let table = <Self as ::cache_diesel::CachedModel>::table();
                        let key = <products::id as ::cache_diesel::__private::diesel::Column>::NAME;
                        let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                        let out = ::cache_diesel::__private::mysql_body(async {
                                if !::cache_diesel::__private::mysql_reset_insert_id_async(
                                        conn,
                                        table,
                                        key,
                                    )
                                    .await?
                                {
                                    return ::core::result::Result::Err(
                                        ::cache_diesel::__private::mysql_not_returnable("Product"),
                                    );
                                }
                                let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                        ::cache_diesel::__private::diesel::insert_into(
                                                products::table,
                                            )
                                            .values(values),
                                        conn,
                                    )
                                    .await?;
                                if n == 0 {
                                    return ::core::result::Result::Ok(::std::vec::Vec::new());
                                }
                                let found = ::cache_diesel::__private::diesel_async::RunQueryDsl::load::<
                                    Self,
                                >(
                                        products::table
                                            .filter(
                                                ::cache_diesel::__private::mysql_inserted_ids(key, n),
                                            )
                                            .order(products::id.asc())
                                            .select(
                                                <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await?;
                                ::cache_diesel::__private::mysql_inserted("Product", n, found)
                            })
                            .await;
                        ::cache_diesel::__private::mysql_atomic_end(conn, atomic, out).await
                    })
                }
                fn insert_execute<'__c>(
                    conn: &'__c mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<usize>,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::insert_into(products::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Product
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::BoxedCondition<products::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id<'__c>(
                    conn: &'__c mut $conn,
                    id: i32,
                    changes: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<
                        ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                    >,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        let id = &id;
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                        let out = ::cache_diesel::__private::mysql_body(async {
                                let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                    Product,
                                >(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            )
                                            .for_update(),
                                        conn,
                                    )
                                    .await
                                    .optional()? else {
                                    return ::core::result::Result::Ok(::core::option::Option::None);
                                };
                                ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                        ::cache_diesel::__private::diesel::update(
                                                products::table
                                                    .filter(products::id.eq(::core::clone::Clone::clone(id))),
                                            )
                                            .set(changes),
                                        conn,
                                    )
                                    .await?;
                                let row = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                    Self,
                                >(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <Product as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await
                                    .optional()?
                                    .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                        "Product",
                                    ))?;
                                ::core::result::Result::Ok(
                                    ::core::option::Option::Some(::cache_diesel::__private::Updated {
                                        row,
                                        before: ::cache_diesel::CachedModel::unique_keys(&old),
                                        old_values: ::core::option::Option::Some(
                                            ::cache_diesel::CachedModel::column_values(&old),
                                        ),
                                    }),
                                )
                            })
                            .await;
                        ::cache_diesel::__private::mysql_atomic_end(conn, atomic, out).await
                    })
                }
                fn update_filtered<'__c>(
                    conn: &'__c mut $conn,
                    filter: ProductFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::BoxFuture<
                    '__c,
                    ::cache_diesel::__private::diesel::QueryResult<
                        ::cache_diesel::__private::UpdatedRows<Self>,
                    >,
                >
                where
                    '__q: '__c,
                {
                    ::std::boxed::Box::pin(async move {
                        let filter = &filter;
                        #[allow(unused_imports)]
                        use ::cache_diesel::__private::diesel::prelude::*;
                        let condition = ::cache_diesel::__private::FilterCondition::<
                            products::table,
                            $db,
                        >::condition(filter);
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        products::table.filter(condition),
                                    )
                                    .set(changes),
                                conn,
                            )
                            .await?;
                        ::core::result::Result::Ok(
                            ::cache_diesel::__private::UpdatedRows::Counted(n),
                        )
                    })
                }
            }
        };
        (none, $conn:ty, $db:ty) => {};
    }
    /// The filter conditions, once per backend (`none`: a sync
    /// connection of the same backend has them).
    macro_rules! __cache_diesel_conditions {
        (conditions, $db:ty) => {
            impl ::cache_diesel::__private::FilterCondition<products::table, $db>
            for ProductFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<products::table, $db> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        products::table,
                        $db,
                    > = ::std::boxed::Box::new(
                        ::cache_diesel::__private::diesel::dsl::sql::<
                            ::cache_diesel::__private::diesel::sql_types::Bool,
                        >("1 = 1"),
                    );
                    if let ::core::option::Option::Some(op) = &self.is_active {
                        condition = match op {
                            ::cache_diesel::FilterOp::Eq(value) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            products::is_active.eq(::core::clone::Clone::clone(value)),
                                        ),
                                )
                            }
                            ::cache_diesel::FilterOp::In(values) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            products::is_active
                                                .eq_any(::core::clone::Clone::clone(values)),
                                        ),
                                )
                            }
                        };
                    }
                    if let ::core::option::Option::Some(op) = &self.category_id {
                        condition = match op {
                            ::cache_diesel::FilterOp::Eq(value) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            products::category_id.eq(::core::clone::Clone::clone(value)),
                                        ),
                                )
                            }
                            ::cache_diesel::FilterOp::In(values) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            products::category_id
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
                    ::cache_diesel::__private::BoxedCondition<products::table, $db>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            ProductOrder::IdAsc => {
                                ::std::boxed::Box::new(
                                    products::id.gt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            ProductOrder::IdDesc => {
                                ::std::boxed::Box::new(
                                    products::id.lt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            ProductOrder::TitleAsc => {
                                ::std::boxed::Box::new(
                                    products::title
                                        .gt(::core::clone::Clone::clone(&after.title))
                                        .or(
                                            products::title
                                                .eq(::core::clone::Clone::clone(&after.title))
                                                .and(
                                                    products::id.gt(::core::clone::Clone::clone(&after.id)),
                                                ),
                                        ),
                                )
                            }
                            ProductOrder::TitleDesc => {
                                ::std::boxed::Box::new(
                                    products::title
                                        .lt(::core::clone::Clone::clone(&after.title))
                                        .or(
                                            products::title
                                                .eq(::core::clone::Clone::clone(&after.title))
                                                .and(
                                                    products::id.lt(::core::clone::Clone::clone(&after.id)),
                                                ),
                                        ),
                                )
                            }
                            ProductOrder::CategoryIdAsc => {
                                ::std::boxed::Box::new(
                                    products::category_id
                                        .gt(::core::clone::Clone::clone(&after.category_id))
                                        .or(
                                            products::category_id
                                                .eq(::core::clone::Clone::clone(&after.category_id))
                                                .and(
                                                    products::id.gt(::core::clone::Clone::clone(&after.id)),
                                                ),
                                        ),
                                )
                            }
                            ProductOrder::CategoryIdDesc => {
                                ::std::boxed::Box::new(
                                    products::category_id
                                        .lt(::core::clone::Clone::clone(&after.category_id))
                                        .or(
                                            products::category_id
                                                .eq(::core::clone::Clone::clone(&after.category_id))
                                                .and(
                                                    products::id.lt(::core::clone::Clone::clone(&after.id)),
                                                ),
                                        ),
                                )
                            }
                        },
                    )
                }
            }
        };
        (none, $db:ty) => {};
    }
    macro_rules! __cache_diesel_delete_fn {
        (none, $conn:ty) => {};
        (returning_async, $conn:ty) => {};
        (mysql_async, $conn:ty) => {};
        ($writes:ident, $conn:ty) => {
            fn delete_by_id(
                conn: &mut $conn,
                id: &i32,
            ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                <Self as __CacheDieselDelete<$conn>>::delete(conn, id)
            }
        };
    }
    /// The reads on a connection type: `ModelQueries` (sync) or
    /// `AsyncModelQueries` (diesel-async), from one body.
    macro_rules! __cache_diesel_queries {
        ($conn:ty, $db:ty, $writes:ident) => {
            __cache_diesel_queries! {
                @ ModelQueries, prelude, [], [], conditions, $conn, $db, $writes
            }
        };
        (async $conn:ty, $db:ty, $conditions:ident, $writes:ident) => {
            __cache_diesel_queries! {
                @ AsyncModelQueries, async_prelude, [async], [. await], $conditions, $conn, $db,
                $writes
            }
        };
        (
            @ $tr:ident, $pre:ident, [$($asy:tt)*], [$($aw:tt)*], $conditions:ident,
            $conn:ty, $db:ty, $writes:ident
        ) => {
            const _ : fn () = ::cache_diesel::__private::assert_loads_from:: < Product,
            $db >; __cache_diesel_conditions! { $conditions, $db } impl ::cache_diesel::
            $tr < $conn > for Product { $($asy)* fn load_unique(conn : & mut $conn, key :
            & ProductUnique) -> ::cache_diesel::__private::diesel::QueryResult <
            ::core::option::Option < Self >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; match key { ProductUnique::Id(value)
            => ::cache_diesel::__private:: $pre ::RunQueryDsl::first:: < Self >
            (products::table.filter(products::id.eq(::core::clone::Clone::clone(value)))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* .optional(), ProductUnique::Slug(value) =>
            ::cache_diesel::__private:: $pre ::RunQueryDsl::first:: < Self >
            (products::table.filter(products::slug
            .eq(::core::clone::Clone::clone(value))).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select()),
            conn,) $($aw)* .optional(), } } $($asy)* fn load_list(conn : & mut $conn,
            filter : & ProductFilter) -> ::cache_diesel::__private::diesel::QueryResult <
            ::std::vec::Vec < Self >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; let mut query = products::table
            .filter(::cache_diesel::__private::FilterCondition:: < products::table, $db >
            ::condition(filter)).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())
            .into_boxed:: < $db > (); if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: < products::table, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { ProductOrder::IdAsc => query.order_by(products::id.asc()),
            ProductOrder::IdDesc => query.order_by(products::id.desc()),
            ProductOrder::TitleAsc => query.order_by((products::title.asc(), products::id
            .asc(),)), ProductOrder::TitleDesc => query.order_by((products::title.desc(),
            products::id.desc(),)), ProductOrder::CategoryIdAsc => query
            .order_by((products::category_id.asc(), products::id.asc(),)),
            ProductOrder::CategoryIdDesc => query.order_by((products::category_id.desc(),
            products::id.desc(),)), }; if let ::core::option::Option::Some(n) = filter
            .__page.sql_limit() { query = query.limit(n); } if let
            ::core::option::Option::Some(n) = filter.__page.sql_offset() { query = query
            .offset(n); } ::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (query, conn) $($aw)* } $($asy)* fn count_list(conn : & mut $conn, filter : &
            ProductFilter) -> ::cache_diesel::__private::diesel::QueryResult < i64 > {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            ::cache_diesel::__private:: $pre ::RunQueryDsl::get_result:: < i64 >
            (products::table.filter(::cache_diesel::__private::FilterCondition:: <
            products::table, $db > ::condition(filter)).count(), conn,) $($aw)* }
            __cache_diesel_delete_fn! { $writes, $conn } $($asy)* fn load_many(conn : &
            mut $conn, keys : & [ProductUnique]) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            rows = ::std::vec::Vec::new(); let values : ::std::vec::Vec < & i32 > = keys
            .iter().filter_map(| key | match key { ProductUnique::Id(value) =>
            ::core::option::Option::Some(value), #[allow(unreachable_patterns)] _ =>
            ::core::option::Option::None, }).collect(); for chunk in values
            .chunks(::cache_diesel::__private::MANY_CHUNK) { rows
            .extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (products::table.filter(products::id.eq_any(chunk.iter().map(| v |
            ::core::clone::Clone::clone(* v)).collect:: < ::std::vec::Vec < i32 >> ()))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* ?); } let values : ::std::vec::Vec < &
            String > = keys.iter().filter_map(| key | match key {
            ProductUnique::Slug(value) => ::core::option::Option::Some(value),
            #[allow(unreachable_patterns)] _ => ::core::option::Option::None, })
            .collect(); for chunk in values.chunks(::cache_diesel::__private::MANY_CHUNK)
            { rows.extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (products::table.filter(products::slug.eq_any(chunk.iter().map(| v |
            ::core::clone::Clone::clone(* v)).collect:: < ::std::vec::Vec < String >>
            ())).select(< Self as ::cache_diesel::__private::diesel::SelectableHelper <
            $db >> ::as_select()), conn,) $($aw)* ?); } ::core::result::Result::Ok(rows)
            } $($asy)* fn load_record(conn : & mut $conn, key : & ProductUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { < Self as ::cache_diesel:: $tr < $conn >> ::load_unique(conn, key)
            $($aw)* } $($asy)* fn load_records(conn : & mut $conn, filter : &
            ProductFilter, _prefetch : bool) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            < Self as ::cache_diesel:: $tr < $conn >> ::load_list(conn, filter) $($aw)* }
            fn related_tables() -> & 'static [::std::string::String] { & [] } }
            __cache_diesel_writes! { $writes, $conn, $db }
        };
    }
    /// How a model's row is deleted on a connection type (the
    /// `returning` or `mysql` arm of `__cache_diesel_writes`).
    trait __CacheDieselDelete<C> {
        fn delete(
            conn: &mut C,
            id: &i32,
        ) -> ::cache_diesel::__private::diesel::QueryResult<
            ::core::option::Option<Product>,
        >;
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
