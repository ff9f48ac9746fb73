// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = authors)]
// pub struct Author {
//     pub id: i32,
//     pub name: String,
// }

#[doc = concat!(
    "The cache manager of [`", stringify!(Author),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct AuthorCache(::cache_diesel::Manager<Author>);
impl ::core::ops::Deref for AuthorCache {
    type Target = ::cache_diesel::Manager<Author>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl AuthorCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
}
impl Author {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static AuthorCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<AuthorCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| AuthorCache(::cache_diesel::Manager::from_default_cache()))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(Author), "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum AuthorUnique {
    #[doc = concat!("`", stringify!(Author), "` by `", stringify!(Id), "`.")]
    Id(i32),
}
impl ::cache_diesel::UniqueKey for AuthorUnique {
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
///How a list of [`Author`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `id`, `-id`; ties are broken by the primary key in the same direction.
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
pub enum AuthorOrder {
    ///By `id`, ascending (`id`).
    #[serde(rename = "id")]
    IdAsc,
    ///By `id`, descending (`-id`).
    #[serde(rename = "-id")]
    IdDesc,
}
impl ::core::default::Default for AuthorOrder {
    fn default() -> Self {
        Self::IdAsc
    }
}
impl AuthorOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &["id", "-id"];
}
impl ::core::fmt::Display for AuthorOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::IdAsc => f.write_str("id"),
            Self::IdDesc => f.write_str("-id"),
        }
    }
}
impl ::core::str::FromStr for AuthorOrder {
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
    "Where a page of [`", stringify!(Author),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct AuthorSortKey {
    #[doc = concat!("The row's `", stringify!(id), "`.")]
    pub id: i32,
}
impl AuthorSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &Author) -> Self {
        Self {
            id: ::core::clone::Clone::clone(&row.id),
        }
    }
}
impl ::core::convert::From<&Author> for AuthorSortKey {
    fn from(row: &Author) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(Author),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct AuthorFilter {
    __page: ::cache_diesel::__private::Page<AuthorOrder, AuthorSortKey>,
}
impl AuthorFilter {
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: AuthorOrder) -> Self {
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
    pub fn after(mut self, key: AuthorSortKey) -> Self {
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
impl ::cache_diesel::ListFilter for AuthorFilter {
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
    impl ::cache_diesel::CacheForm for Author {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(2usize)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.name, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = Author;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "Author"))
                }
                fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: __A,
                ) -> ::core::result::Result<Author, __A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(Author {
                        id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                2usize,
                                "Author",
                            ))?,
                        name: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                2usize,
                                "Author",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(2usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for Author {
        type Id = i32;
        type Unique = AuthorUnique;
        type Filter = AuthorFilter;
        type Record = Self;
        fn record_model(record: &Self) -> &Self {
            record
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "Author",
            key: "author",
            primary_key: "id",
            unique_columns: &["id"],
            schema_hash: "bc93e7b529c4c6f1",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(86400u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(60u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(10u64),
            soft_timeout: ::core::option::Option::None,
            prefetch_for_list: true,
            background_refresh: false,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(authors::table))
        }
        fn id(&self) -> i32 {
            ::core::clone::Clone::clone(&self.id)
        }
        fn unique_of_id(id: i32) -> AuthorUnique {
            AuthorUnique::Id(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<AuthorUnique> {
            ::std::vec![AuthorUnique::Id(::core::clone::Clone::clone(& self.id))]
        }
        fn maps_every_column() -> bool {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{NoTableColumns as _, TableColumns as _};
            static EVERY: ::cache_diesel::__private::OnceLock<bool> = ::cache_diesel::__private::OnceLock::new();
            *EVERY
                .get_or_init(|| ::cache_diesel::__private::maps_every_column(
                    (&::cache_diesel::__private::Probe::<
                        <authors::table as ::cache_diesel::__private::diesel::Table>::AllColumns,
                    >::new())
                        .table_columns(),
                    &[
                        <authors::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <authors::name as ::cache_diesel::__private::diesel::Column>::NAME,
                    ],
                ))
        }
        fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::ColumnValue> {
            ::std::vec![
                (stringify!(id), ::cache_diesel::__private::value_key(& self.id)),
                (stringify!(name), ::cache_diesel::__private::value_key(& self.name))
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
        > for Author
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = authors::table>,
            ::cache_diesel::__private::diesel::dsl::Returning<
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        authors::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
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
                    authors::table,
                    ::cache_diesel::__private::BoxedCondition<
                        authors::table,
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
                        let key = AuthorUnique::Id(::core::clone::Clone::clone(id));
                        let ::core::option::Option::Some(old) = <Self as ::cache_diesel::ModelQueries<
                            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                        >>::load_unique(conn, &key)? else {
                            return ::core::result::Result::Ok(::core::option::Option::None);
                        };
                        let row = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                            Self,
                        >(
                                ::cache_diesel::__private::diesel::update(
                                        authors::table
                                            .filter(authors::id.eq(::core::clone::Clone::clone(id))),
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
                filter: &AuthorFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                let condition = ::cache_diesel::__private::FilterCondition::<
                    authors::table,
                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                >::condition(filter);
                let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                    ::cache_diesel::__private::diesel::update(authors::table.filter(condition))
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
        for Author
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = authors::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                authors::table,
                authors::id,
                ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (authors::name,),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (String,)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                authors::table,
                authors::id,
                ::cache_diesel::__private::BoxedCondition<
                    authors::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (authors::id, authors::name),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (i32, String)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    authors::table,
                    ::cache_diesel::__private::BoxedCondition<
                        authors::table,
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
                    <authors::name as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    authors::table,
                    authors::id,
                    ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (authors::name,),
                > = ::cache_diesel::__private::update_returning_old(
                    authors::table,
                    authors::id,
                    authors::id.eq(::core::clone::Clone::clone(id)),
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (authors::name,),
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
                                AuthorUnique::Id(::core::clone::Clone::clone(id)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                    (stringify!(name), ::cache_diesel::__private::value_key(&
                                    __old0)),
                                ],
                            ),
                        }),
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                filter: &AuthorFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <authors::id as ::cache_diesel::__private::diesel::Column>::NAME,
                    <authors::name as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let condition = || ::cache_diesel::__private::FilterCondition::<
                    authors::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >::condition(filter);
                let many = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    i64,
                >(authors::table.filter(condition()).count(), conn)?;
                if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                authors::table.filter(condition()),
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
                    authors::table,
                    authors::id,
                    ::cache_diesel::__private::BoxedCondition<
                        authors::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (authors::id, authors::name),
                > = ::cache_diesel::__private::update_where_returning_old(
                    authors::table,
                    authors::id,
                    condition,
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (authors::id, authors::name),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                    (Self, (i32, String)),
                >(statement, conn)?;
                let rows = loaded
                    .into_iter()
                    .map(|(row, (__old_pk, __old0))| ::cache_diesel::__private::Updated {
                        row,
                        before: ::std::vec![
                            AuthorUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                        ],
                        old_values: ::core::option::Option::Some(
                            ::std::vec![
                                (stringify!(id), ::cache_diesel::__private::value_key(&
                                __old_pk)), (stringify!(name),
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
        > for Author
        where
            __V: ::core::marker::Send + '__q,
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = authors::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                authors::table,
                authors::id,
                ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (authors::name,),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (String,)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                authors::table,
                authors::id,
                ::cache_diesel::__private::BoxedCondition<
                    authors::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (authors::id, authors::name),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (i32, String)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    authors::table,
                    ::cache_diesel::__private::BoxedCondition<
                        authors::table,
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
                        <authors::name as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let statement: ::cache_diesel::__private::UpdateReturningOld<
                        authors::table,
                        authors::id,
                        ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (authors::name,),
                    > = ::cache_diesel::__private::update_returning_old(
                        authors::table,
                        authors::id,
                        authors::id.eq(::core::clone::Clone::clone(id)),
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (authors::name,),
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
                                    AuthorUnique::Id(::core::clone::Clone::clone(id)),
                                ],
                                old_values: ::core::option::Option::Some(
                                    ::std::vec![
                                        (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                        (stringify!(name), ::cache_diesel::__private::value_key(&
                                        __old0)),
                                    ],
                                ),
                            }),
                    )
                })
            }
            fn update_filtered<'__c>(
                conn: &'__c mut ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                filter: AuthorFilter,
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
                        <authors::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <authors::name as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let condition = || ::cache_diesel::__private::FilterCondition::<
                        authors::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >::condition(filter);
                    let many = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        i64,
                    >(authors::table.filter(condition()).count(), conn)
                        .await?;
                    if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        authors::table.filter(condition()),
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
                        authors::table,
                        authors::id,
                        ::cache_diesel::__private::BoxedCondition<
                            authors::table,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (authors::id, authors::name),
                    > = ::cache_diesel::__private::update_where_returning_old(
                        authors::table,
                        authors::id,
                        condition,
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (authors::id, authors::name),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::load::<
                        (Self, (i32, String)),
                    >(statement, conn)
                        .await?;
                    let rows = loaded
                        .into_iter()
                        .map(|(row, (__old_pk, __old0))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                AuthorUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(&
                                    __old_pk)), (stringify!(name),
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
            impl __CacheDieselDelete<$conn> for Author {
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
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::InsertQuery<$conn, __V> for Author
            where
                __V: ::cache_diesel::__private::diesel::Insertable<authors::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        authors::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            authors::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    authors::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<authors::table>>::Values,
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
                        ::cache_diesel::__private::diesel::insert_into(authors::table)
                            .values(values)
                            .returning(
                                <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                        ::cache_diesel::__private::diesel::insert_into(authors::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Author {
                type Expr = ::cache_diesel::__private::BoxedCondition<authors::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = authors::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order(authors::id.asc())
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
            impl __CacheDieselDelete<$conn> for Author {
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
                                Author,
                            >(
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id))),
                                ),
                                conn,
                            )?;
                            ::core::result::Result::Ok(::core::option::Option::Some(old))
                        },
                    )
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for Author
            where
                __V: ::cache_diesel::__private::diesel::Insertable<authors::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    authors::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<authors::table>>::Values,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let table = <Self as ::cache_diesel::CachedModel>::table();
                    let key = <authors::id as ::cache_diesel::__private::diesel::Column>::NAME;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            if !::cache_diesel::__private::mysql_reset_insert_id(conn, table, key)? {
                                return ::core::result::Result::Err(
                                    ::cache_diesel::__private::mysql_not_returnable("Author"),
                                );
                            }
                            let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::insert_into(authors::table)
                                    .values(values),
                                conn,
                            )?;
                            if n == 0 {
                                return ::core::result::Result::Ok(::std::vec::Vec::new());
                            }
                            let found = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                                Self,
                            >(
                                authors::table
                                    .filter(::cache_diesel::__private::mysql_inserted_ids(key, n))
                                    .order(authors::id.asc())
                                    .select(
                                        <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_select(),
                                    ),
                                conn,
                            )?;
                            ::cache_diesel::__private::mysql_inserted("Author", n, found)
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
                        ::cache_diesel::__private::diesel::insert_into(authors::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for Author
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = authors::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        authors::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        authors::table,
                        ::cache_diesel::__private::BoxedCondition<authors::table, $db>,
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
                                Author,
                            >(
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        authors::table
                                            .filter(authors::id.eq(::core::clone::Clone::clone(id))),
                                    )
                                    .set(changes),
                                conn,
                            )?;
                            let row = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Self,
                            >(
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        ),
                                    conn,
                                )
                                .optional()?
                                .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                    "Author",
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
                    filter: &AuthorFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let condition = ::cache_diesel::__private::FilterCondition::<
                        authors::table,
                        $db,
                    >::condition(filter);
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(authors::table.filter(condition))
                            .set(changes),
                        conn,
                    )?;
                    ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Author {
                type Expr = ::cache_diesel::__private::BoxedCondition<authors::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = authors::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order(authors::id.asc())
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Author {
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
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .await
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Author
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<authors::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        authors::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            authors::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    authors::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<authors::table>>::Values,
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
                                ::cache_diesel::__private::diesel::insert_into(authors::table)
                                    .values(values)
                                    .returning(
                                        <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                ::cache_diesel::__private::diesel::insert_into(authors::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
        };
        (mysql_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Author {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                    let out = ::cache_diesel::__private::mysql_body(async {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                Author,
                            >(
                                    authors::table
                                        .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        authors::table
                                            .filter(authors::id.eq(::core::clone::Clone::clone(id))),
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
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Author
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<authors::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    authors::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<authors::table>>::Values,
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
                        let key = <authors::id as ::cache_diesel::__private::diesel::Column>::NAME;
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
                                        ::cache_diesel::__private::mysql_not_returnable("Author"),
                                    );
                                }
                                let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                        ::cache_diesel::__private::diesel::insert_into(
                                                authors::table,
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
                                        authors::table
                                            .filter(
                                                ::cache_diesel::__private::mysql_inserted_ids(key, n),
                                            )
                                            .order(authors::id.asc())
                                            .select(
                                                <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await?;
                                ::cache_diesel::__private::mysql_inserted("Author", n, found)
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
                                ::cache_diesel::__private::diesel::insert_into(authors::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Author
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = authors::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        authors::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<authors::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        authors::table,
                        ::cache_diesel::__private::BoxedCondition<authors::table, $db>,
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
                                    Author,
                                >(
                                        authors::table
                                            .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <Author as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                                authors::table
                                                    .filter(authors::id.eq(::core::clone::Clone::clone(id))),
                                            )
                                            .set(changes),
                                        conn,
                                    )
                                    .await?;
                                let row = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                    Self,
                                >(
                                        authors::table
                                            .filter(authors::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await
                                    .optional()?
                                    .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                        "Author",
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
                    filter: AuthorFilter,
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
                            authors::table,
                            $db,
                        >::condition(filter);
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        authors::table.filter(condition),
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
            impl ::cache_diesel::__private::FilterCondition<authors::table, $db> for AuthorFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<authors::table, $db> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        authors::table,
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
                    ::cache_diesel::__private::BoxedCondition<authors::table, $db>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            AuthorOrder::IdAsc => {
                                ::std::boxed::Box::new(
                                    authors::id.gt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            AuthorOrder::IdDesc => {
                                ::std::boxed::Box::new(
                                    authors::id.lt(::core::clone::Clone::clone(&after.id)),
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
            const _ : fn () = ::cache_diesel::__private::assert_loads_from:: < Author,
            $db >; __cache_diesel_conditions! { $conditions, $db } impl ::cache_diesel::
            $tr < $conn > for Author { $($asy)* fn load_unique(conn : & mut $conn, key :
            & AuthorUnique) -> ::cache_diesel::__private::diesel::QueryResult <
            ::core::option::Option < Self >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; match key { AuthorUnique::Id(value) =>
            ::cache_diesel::__private:: $pre ::RunQueryDsl::first:: < Self >
            (authors::table.filter(authors::id.eq(::core::clone::Clone::clone(value)))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* .optional(), } } $($asy)* fn load_list(conn
            : & mut $conn, filter : & AuthorFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            query = authors::table.filter(::cache_diesel::__private::FilterCondition:: <
            authors::table, $db > ::condition(filter)).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())
            .into_boxed:: < $db > (); if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: < authors::table, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { AuthorOrder::IdAsc => query.order_by(authors::id.asc()),
            AuthorOrder::IdDesc => query.order_by(authors::id.desc()), }; if let
            ::core::option::Option::Some(n) = filter.__page.sql_limit() { query = query
            .limit(n); } if let ::core::option::Option::Some(n) = filter.__page
            .sql_offset() { query = query.offset(n); } ::cache_diesel::__private:: $pre
            ::RunQueryDsl::load:: < Self > (query, conn) $($aw)* } $($asy)* fn
            count_list(conn : & mut $conn, filter : & AuthorFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < i64 > {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            ::cache_diesel::__private:: $pre ::RunQueryDsl::get_result:: < i64 >
            (authors::table.filter(::cache_diesel::__private::FilterCondition:: <
            authors::table, $db > ::condition(filter)).count(), conn,) $($aw)* }
            __cache_diesel_delete_fn! { $writes, $conn } $($asy)* fn load_many(conn : &
            mut $conn, keys : & [AuthorUnique]) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            rows = ::std::vec::Vec::new(); let values : ::std::vec::Vec < & i32 > = keys
            .iter().filter_map(| key | match key { AuthorUnique::Id(value) =>
            ::core::option::Option::Some(value), #[allow(unreachable_patterns)] _ =>
            ::core::option::Option::None, }).collect(); for chunk in values
            .chunks(::cache_diesel::__private::MANY_CHUNK) { rows
            .extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (authors::table.filter(authors::id.eq_any(chunk.iter().map(| v |
            ::core::clone::Clone::clone(* v)).collect:: < ::std::vec::Vec < i32 >> ()))
            .select(< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select()), conn,) $($aw)* ?); } ::core::result::Result::Ok(rows) }
            $($asy)* fn load_record(conn : & mut $conn, key : & AuthorUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { < Self as ::cache_diesel:: $tr < $conn >> ::load_unique(conn, key)
            $($aw)* } $($asy)* fn load_records(conn : & mut $conn, filter : &
            AuthorFilter, _prefetch : bool) ->
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
            ::core::option::Option<Author>,
        >;
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
