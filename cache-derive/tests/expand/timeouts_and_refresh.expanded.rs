// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = products)]
// #[cache(
//     key = "product",
//     list_timeout = 120,
//     detail_timeout = 30,
//     not_found_timeout = 5,
//     soft_timeout = 20,
//     refresh = "background",
//     version = 3
// )]
// pub(crate) struct ProductV3 {
//     pub id: i64,
//     pub slug: String,
// }

#[doc = concat!(
    "The cache manager of [`", stringify!(ProductV3),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub(crate) struct ProductV3Cache(::cache_diesel::Manager<ProductV3>);
impl ::core::ops::Deref for ProductV3Cache {
    type Target = ::cache_diesel::Manager<ProductV3>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl ProductV3Cache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
}
impl ProductV3 {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub(crate) fn cache() -> &'static ProductV3Cache {
        static MANAGER: ::cache_diesel::__private::OnceLock<ProductV3Cache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| ProductV3Cache(
                ::cache_diesel::Manager::from_default_cache(),
            ))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(ProductV3),
    "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub(crate) enum ProductV3Unique {
    #[doc = concat!("`", stringify!(ProductV3), "` by `", stringify!(Id), "`.")]
    Id(i64),
}
impl ::cache_diesel::UniqueKey for ProductV3Unique {
    fn column(&self) -> &'static str {
        match self {
            Self::Id(_) => "id",
        }
    }
    fn value_key(&self) -> ::std::string::String {
        match self {
            Self::Id(value) => ::cache_diesel::__private::value_key(value),
        }
    }
}
///How a list of [`ProductV3`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `id`, `-id`; ties are broken by the primary key in the same direction.
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
pub(crate) enum ProductV3Order {
    ///By `id`, ascending (`id`).
    #[serde(rename = "id")]
    IdAsc,
    ///By `id`, descending (`-id`).
    #[serde(rename = "-id")]
    IdDesc,
}
impl ::core::default::Default for ProductV3Order {
    fn default() -> Self {
        Self::IdAsc
    }
}
impl ProductV3Order {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &["id", "-id"];
}
impl ::core::fmt::Display for ProductV3Order {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::IdAsc => f.write_str("id"),
            Self::IdDesc => f.write_str("-id"),
        }
    }
}
impl ::core::str::FromStr for ProductV3Order {
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
    "Where a page of [`", stringify!(ProductV3),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub(crate) struct ProductV3SortKey {
    #[doc = concat!("The row's `", stringify!(id), "`.")]
    pub id: i64,
}
impl ProductV3SortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &ProductV3) -> Self {
        Self {
            id: ::core::clone::Clone::clone(&row.id),
        }
    }
}
impl ::core::convert::From<&ProductV3> for ProductV3SortKey {
    fn from(row: &ProductV3) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(ProductV3),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub(crate) struct ProductV3Filter {
    __page: ::cache_diesel::__private::Page<ProductV3Order, ProductV3SortKey>,
}
impl ProductV3Filter {
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: ProductV3Order) -> Self {
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
    pub fn after(mut self, key: ProductV3SortKey) -> Self {
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
impl ::cache_diesel::ListFilter for ProductV3Filter {
    fn cache_key(&self) -> ::std::string::String {
        let mut key = self.conditions_key();
        ::cache_diesel::__private::append_page_key(&mut key, &self.__page);
        key
    }
    fn conditions_key(&self) -> ::std::string::String {
        #[allow(unused_mut)]
        let mut key = ::std::string::String::new();
        key
    }
    fn is_window(&self) -> bool {
        self.__page.is_window()
    }
    fn value_condition(
        &self,
    ) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    #[allow(clippy::needless_borrow)]
    impl ::cache_diesel::CacheForm for ProductV3 {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(2usize)?;
            (&::cache_diesel::__private::Field::<i64>::new())
                .write(&self.id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.slug, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = ProductV3;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "ProductV3"))
                }
                fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: __A,
                ) -> ::core::result::Result<ProductV3, __A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(ProductV3 {
                        id: (&::cache_diesel::__private::Field::<i64>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                2usize,
                                "ProductV3",
                            ))?,
                        slug: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                2usize,
                                "ProductV3",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(2usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for ProductV3 {
        type Id = i64;
        type Unique = ProductV3Unique;
        type Filter = ProductV3Filter;
        type Record = Self;
        fn record_model(record: &Self) -> &Self {
            record
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "ProductV3",
            key: "product",
            primary_key: "id",
            unique_columns: &["id"],
            schema_hash: "9f0db595b5626d53",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(120u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(30u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(5u64),
            soft_timeout: ::core::option::Option::Some(
                ::cache_diesel::__private::Duration::from_secs(20u64),
            ),
            prefetch_for_list: true,
            background_refresh: true,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(products::table))
        }
        fn id(&self) -> i64 {
            ::core::clone::Clone::clone(&self.id)
        }
        fn unique_of_id(id: i64) -> ProductV3Unique {
            ProductV3Unique::Id(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<ProductV3Unique> {
            ::std::vec![ProductV3Unique::Id(::core::clone::Clone::clone(& self.id))]
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
                    ],
                ))
        }
        fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::ColumnValue> {
            ::std::vec![
                (stringify!(id), ::cache_diesel::__private::value_key(& self.id)),
                (stringify!(slug), ::cache_diesel::__private::value_key(& self.slug))
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
        > for ProductV3
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::diesel::dsl::Returning<
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
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
                id: &i64,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                ::cache_diesel::__private::sqlite_atomic(
                    conn,
                    |conn| {
                        let key = ProductV3Unique::Id(::core::clone::Clone::clone(id));
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
                filter: &ProductV3Filter,
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
        for ProductV3
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (products::slug,),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (String,)),
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
                (products::id, products::slug),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (i64, String)),
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
                id: &i64,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    products::table,
                    products::id,
                    ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (products::slug,),
                > = ::cache_diesel::__private::update_returning_old(
                    products::table,
                    products::id,
                    products::id.eq(::core::clone::Clone::clone(id)),
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (products::slug,),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    (Self, (String,)),
                >(statement, conn)
                    .optional()?;
                ::core::result::Result::Ok(
                    loaded
                        .map(|(row, (__old0,))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                ProductV3Unique::Id(::core::clone::Clone::clone(id)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                    (stringify!(slug), ::cache_diesel::__private::value_key(&
                                    __old0)),
                                ],
                            ),
                        }),
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                filter: &ProductV3Filter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <products::id as ::cache_diesel::__private::diesel::Column>::NAME,
                    <products::slug as ::cache_diesel::__private::diesel::Column>::NAME,
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
                    (products::id, products::slug),
                > = ::cache_diesel::__private::update_where_returning_old(
                    products::table,
                    products::id,
                    condition,
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (products::id, products::slug),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                    (Self, (i64, String)),
                >(statement, conn)?;
                let rows = loaded
                    .into_iter()
                    .map(|(row, (__old_pk, __old0))| ::cache_diesel::__private::Updated {
                        row,
                        before: ::std::vec![
                            ProductV3Unique::Id(::core::clone::Clone::clone(& __old_pk)),
                        ],
                        old_values: ::core::option::Option::Some(
                            ::std::vec![
                                (stringify!(id), ::cache_diesel::__private::value_key(&
                                __old_pk)), (stringify!(slug),
                                ::cache_diesel::__private::value_key(& __old0)),
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
        > for ProductV3
        where
            __V: ::core::marker::Send + '__q,
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                products::table,
                products::id,
                ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (products::slug,),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (String,)),
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
                (products::id, products::slug),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (i64, String)),
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
                id: i64,
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
                    ];
                    let statement: ::cache_diesel::__private::UpdateReturningOld<
                        products::table,
                        products::id,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (products::slug,),
                    > = ::cache_diesel::__private::update_returning_old(
                        products::table,
                        products::id,
                        products::id.eq(::core::clone::Clone::clone(id)),
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (products::slug,),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        (Self, (String,)),
                    >(statement, conn)
                        .await
                        .optional()?;
                    ::core::result::Result::Ok(
                        loaded
                            .map(|(row, (__old0,))| ::cache_diesel::__private::Updated {
                                row,
                                before: ::std::vec![
                                    ProductV3Unique::Id(::core::clone::Clone::clone(id)),
                                ],
                                old_values: ::core::option::Option::Some(
                                    ::std::vec![
                                        (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                        (stringify!(slug), ::cache_diesel::__private::value_key(&
                                        __old0)),
                                    ],
                                ),
                            }),
                    )
                })
            }
            fn update_filtered<'__c>(
                conn: &'__c mut ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                filter: ProductV3Filter,
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
                        (products::id, products::slug),
                    > = ::cache_diesel::__private::update_where_returning_old(
                        products::table,
                        products::id,
                        condition,
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (products::id, products::slug),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::load::<
                        (Self, (i64, String)),
                    >(statement, conn)
                        .await?;
                    let rows = loaded
                        .into_iter()
                        .map(|(row, (__old_pk, __old0))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                ProductV3Unique::Id(::core::clone::Clone::clone(& __old_pk)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(&
                                    __old_pk)), (stringify!(slug),
                                    ::cache_diesel::__private::value_key(& __old0)),
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
            impl __CacheDieselDelete<$conn> for ProductV3 {
                fn delete(
                    conn: &mut $conn,
                    id: &i64,
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
                                    <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::InsertQuery<$conn, __V> for ProductV3
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
                                <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
            impl ::cache_diesel::WhereQuery<$conn> for ProductV3 {
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
            impl __CacheDieselDelete<$conn> for ProductV3 {
                fn delete(
                    conn: &mut $conn,
                    id: &i64,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                ProductV3,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for ProductV3
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
                                    ::cache_diesel::__private::mysql_not_returnable("ProductV3"),
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
                                        <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_select(),
                                    ),
                                conn,
                            )?;
                            ::cache_diesel::__private::mysql_inserted("ProductV3", n, found)
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
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for ProductV3
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
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
                    id: &i64,
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
                                ProductV3,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                            <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        ),
                                    conn,
                                )
                                .optional()?
                                .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                    "ProductV3",
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
                    filter: &ProductV3Filter,
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
            impl ::cache_diesel::WhereQuery<$conn> for ProductV3 {
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for ProductV3 {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i64,
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
                                    <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .await
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for ProductV3
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
                                        <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for ProductV3 {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i64,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                    let out = ::cache_diesel::__private::mysql_body(async {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                ProductV3,
                            >(
                                    products::table
                                        .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for ProductV3
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
                                        ::cache_diesel::__private::mysql_not_returnable("ProductV3"),
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
                                                <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await?;
                                ::cache_diesel::__private::mysql_inserted("ProductV3", n, found)
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
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for ProductV3
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = products::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        products::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<products::id, i64>,
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
                    id: i64,
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
                                    ProductV3,
                                >(
                                        products::table
                                            .filter(products::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                                <ProductV3 as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await
                                    .optional()?
                                    .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                        "ProductV3",
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
                    filter: ProductV3Filter,
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
            for ProductV3Filter {
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
                            ProductV3Order::IdAsc => {
                                ::std::boxed::Box::new(
                                    products::id.gt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            ProductV3Order::IdDesc => {
                                ::std::boxed::Box::new(
                                    products::id.lt(::core::clone::Clone::clone(&after.id)),
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
                id: &i64,
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
            const _ : fn () = ::cache_diesel::__private::assert_loads_from:: < ProductV3,
            $db >; __cache_diesel_conditions! { $conditions, $db } impl ::cache_diesel::
            $tr < $conn > for ProductV3 { $($asy)* fn load_unique(conn : & mut $conn, key
            : & ProductV3Unique) -> ::cache_diesel::__private::diesel::QueryResult <
            ::core::option::Option < Self >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; match key { ProductV3Unique::Id(value)
            => ::cache_diesel::__private:: $pre ::RunQueryDsl::first:: < Self >
            (products::table.filter(products::id.eq(::core::clone::Clone::clone(value)))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* .optional(), } } $($asy)* fn load_list(conn
            : & mut $conn, filter : & ProductV3Filter) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            query = products::table.filter(::cache_diesel::__private::FilterCondition:: <
            products::table, $db > ::condition(filter)).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())
            .into_boxed:: < $db > (); if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: < products::table, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { ProductV3Order::IdAsc => query.order_by(products::id.asc()),
            ProductV3Order::IdDesc => query.order_by(products::id.desc()), }; if let
            ::core::option::Option::Some(n) = filter.__page.sql_limit() { query = query
            .limit(n); } if let ::core::option::Option::Some(n) = filter.__page
            .sql_offset() { query = query.offset(n); } ::cache_diesel::__private:: $pre
            ::RunQueryDsl::load:: < Self > (query, conn) $($aw)* } $($asy)* fn
            count_list(conn : & mut $conn, filter : & ProductV3Filter) ->
            ::cache_diesel::__private::diesel::QueryResult < i64 > {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            ::cache_diesel::__private:: $pre ::RunQueryDsl::get_result:: < i64 >
            (products::table.filter(::cache_diesel::__private::FilterCondition:: <
            products::table, $db > ::condition(filter)).count(), conn,) $($aw)* }
            __cache_diesel_delete_fn! { $writes, $conn } $($asy)* fn load_many(conn : &
            mut $conn, keys : & [ProductV3Unique]) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            rows = ::std::vec::Vec::new(); let values : ::std::vec::Vec < & i64 > = keys
            .iter().filter_map(| key | match key { ProductV3Unique::Id(value) =>
            ::core::option::Option::Some(value), #[allow(unreachable_patterns)] _ =>
            ::core::option::Option::None, }).collect(); for chunk in values
            .chunks(::cache_diesel::__private::MANY_CHUNK) { rows
            .extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (products::table.filter(products::id.eq_any(chunk.iter().map(| v |
            ::core::clone::Clone::clone(* v)).collect:: < ::std::vec::Vec < i64 >> ()))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* ?); } ::core::result::Result::Ok(rows) }
            $($asy)* fn load_record(conn : & mut $conn, key : & ProductV3Unique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { < Self as ::cache_diesel:: $tr < $conn >> ::load_unique(conn, key)
            $($aw)* } $($asy)* fn load_records(conn : & mut $conn, filter : &
            ProductV3Filter, _prefetch : bool) ->
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
            id: &i64,
        ) -> ::cache_diesel::__private::diesel::QueryResult<
            ::core::option::Option<ProductV3>,
        >;
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
