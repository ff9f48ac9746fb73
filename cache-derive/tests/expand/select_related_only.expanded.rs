// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = blog_posts, belongs_to(Author, foreign_key = writer_id))]
// #[cache(select_related(author), prefetch_for_list = false)]
// pub struct PostSummary {
//     pub id: i32,
//     pub title: String,
//     pub writer_id: i32,
// }

#[doc = concat!(
    "The cache manager of [`", stringify!(PostSummary),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct PostSummaryCache(::cache_diesel::Manager<PostSummary>);
impl ::core::ops::Deref for PostSummaryCache {
    type Target = ::cache_diesel::Manager<PostSummary>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl PostSummaryCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
}
impl PostSummary {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static PostSummaryCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<PostSummaryCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| PostSummaryCache(
                ::cache_diesel::Manager::from_default_cache(),
            ))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(PostSummary),
    "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum PostSummaryUnique {
    #[doc = concat!("`", stringify!(PostSummary), "` by `", stringify!(Id), "`.")]
    Id(i32),
}
impl ::cache_diesel::UniqueKey for PostSummaryUnique {
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
#[allow(clippy::needless_borrow)]
impl ::cache_diesel::CacheForm for PostSummaryRecord {
    fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        #[allow(unused_imports)]
        use ::cache_diesel::__private::{Packed as _, Plain as _};
        use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
        let mut tuple = serializer.serialize_tuple(2usize)?;
        (&::cache_diesel::__private::Field::<PostSummary>::new())
            .write(&self.post_summary, &mut tuple)?;
        (&::cache_diesel::__private::Field::<Author>::new())
            .write(&self.author, &mut tuple)?;
        tuple.end()
    }
    fn deserialize_form<'de, __D: ::cache_diesel::__private::serde::Deserializer<'de>>(
        deserializer: __D,
    ) -> ::core::result::Result<Self, __D::Error> {
        struct FormVisitor;
        impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de> for FormVisitor {
            type Value = PostSummaryRecord;
            fn expecting(
                &self,
                f: &mut ::core::fmt::Formatter<'_>,
            ) -> ::core::fmt::Result {
                f.write_str(concat!("the cached form of ", "PostSummaryRecord"))
            }
            fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                self,
                mut seq: __A,
            ) -> ::core::result::Result<PostSummaryRecord, __A::Error> {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::{Packed as _, Plain as _};
                ::core::result::Result::Ok(PostSummaryRecord {
                    post_summary: (&::cache_diesel::__private::Field::<
                        PostSummary,
                    >::new())
                        .read(&mut seq)?
                        .ok_or_else(|| ::cache_diesel::__private::too_short(
                            0usize,
                            2usize,
                            "PostSummaryRecord",
                        ))?,
                    author: (&::cache_diesel::__private::Field::<Author>::new())
                        .read(&mut seq)?
                        .ok_or_else(|| ::cache_diesel::__private::too_short(
                            1usize,
                            2usize,
                            "PostSummaryRecord",
                        ))?,
                })
            }
        }
        deserializer.deserialize_tuple(2usize, FormVisitor)
    }
}
#[doc = concat!(
    "A [`", stringify!(PostSummary), "`] with its related rows; derefs to the model."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct PostSummaryRecord {
    ///The row itself.
    pub post_summary: PostSummary,
    ///The `author` row (select_related).
    pub author: Author,
}
impl ::core::ops::Deref for PostSummaryRecord {
    type Target = PostSummary;
    fn deref(&self) -> &PostSummary {
        &self.post_summary
    }
}
///How a list of [`PostSummary`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `id`, `-id`; ties are broken by the primary key in the same direction.
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
pub enum PostSummaryOrder {
    ///By `id`, ascending (`id`).
    #[serde(rename = "id")]
    IdAsc,
    ///By `id`, descending (`-id`).
    #[serde(rename = "-id")]
    IdDesc,
}
impl ::core::default::Default for PostSummaryOrder {
    fn default() -> Self {
        Self::IdAsc
    }
}
impl PostSummaryOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &["id", "-id"];
}
impl ::core::fmt::Display for PostSummaryOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::IdAsc => f.write_str("id"),
            Self::IdDesc => f.write_str("-id"),
        }
    }
}
impl ::core::str::FromStr for PostSummaryOrder {
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
    "Where a page of [`", stringify!(PostSummary),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct PostSummarySortKey {
    #[doc = concat!("The row's `", stringify!(id), "`.")]
    pub id: i32,
}
impl PostSummarySortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &PostSummary) -> Self {
        Self {
            id: ::core::clone::Clone::clone(&row.id),
        }
    }
}
impl ::core::convert::From<&PostSummary> for PostSummarySortKey {
    fn from(row: &PostSummary) -> Self {
        Self::of(row)
    }
}
impl ::core::convert::From<&PostSummaryRecord> for PostSummarySortKey {
    fn from(record: &PostSummaryRecord) -> Self {
        Self::of(record)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(PostSummary),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct PostSummaryFilter {
    __page: ::cache_diesel::__private::Page<PostSummaryOrder, PostSummarySortKey>,
}
impl PostSummaryFilter {
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: PostSummaryOrder) -> Self {
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
    pub fn after(mut self, key: PostSummarySortKey) -> Self {
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
impl ::cache_diesel::ListFilter for PostSummaryFilter {
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
    impl ::cache_diesel::CacheForm for PostSummary {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(3usize)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.title, &mut tuple)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.writer_id, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = PostSummary;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "PostSummary"))
                }
                fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: __A,
                ) -> ::core::result::Result<PostSummary, __A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(PostSummary {
                        id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                3usize,
                                "PostSummary",
                            ))?,
                        title: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                3usize,
                                "PostSummary",
                            ))?,
                        writer_id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                2usize,
                                3usize,
                                "PostSummary",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(3usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for PostSummary {
        type Id = i32;
        type Unique = PostSummaryUnique;
        type Filter = PostSummaryFilter;
        type Record = PostSummaryRecord;
        fn record_model(record: &PostSummaryRecord) -> &Self {
            &record.post_summary
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "PostSummary",
            key: "post_summary",
            primary_key: "id",
            unique_columns: &["id"],
            schema_hash: "4934eac780579d76",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(86400u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(60u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(10u64),
            soft_timeout: ::core::option::Option::None,
            prefetch_for_list: false,
            background_refresh: false,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(blog_posts::table))
        }
        fn record_schema_hash() -> &'static str {
            static HASH: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            HASH.get_or_init(|| {
                ::cache_diesel::__private::record_schema_hash(
                    <Self as ::cache_diesel::CachedModel>::INFO.schema_hash,
                    &[
                        (
                            "author",
                            ::cache_diesel::__private::RelationKind::One,
                            <Author as ::cache_diesel::CachedModel>::INFO.schema_hash,
                        ),
                    ],
                )
            })
        }
        fn id(&self) -> i32 {
            ::core::clone::Clone::clone(&self.id)
        }
        fn unique_of_id(id: i32) -> PostSummaryUnique {
            PostSummaryUnique::Id(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<PostSummaryUnique> {
            ::std::vec![PostSummaryUnique::Id(::core::clone::Clone::clone(& self.id))]
        }
        fn maps_every_column() -> bool {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{NoTableColumns as _, TableColumns as _};
            static EVERY: ::cache_diesel::__private::OnceLock<bool> = ::cache_diesel::__private::OnceLock::new();
            *EVERY
                .get_or_init(|| ::cache_diesel::__private::maps_every_column(
                    (&::cache_diesel::__private::Probe::<
                        <blog_posts::table as ::cache_diesel::__private::diesel::Table>::AllColumns,
                    >::new())
                        .table_columns(),
                    &[
                        <blog_posts::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <blog_posts::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <blog_posts::writer_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ],
                ))
        }
        fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::ColumnValue> {
            ::std::vec![
                (stringify!(id), ::cache_diesel::__private::value_key(& self.id)),
                (stringify!(title), ::cache_diesel::__private::value_key(& self.title)),
                (stringify!(writer_id), ::cache_diesel::__private::value_key(& self
                .writer_id))
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
        > for PostSummary
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = blog_posts::table>,
            ::cache_diesel::__private::diesel::dsl::Returning<
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        blog_posts::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
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
                    blog_posts::table,
                    ::cache_diesel::__private::BoxedCondition<
                        blog_posts::table,
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
                        let key = PostSummaryUnique::Id(::core::clone::Clone::clone(id));
                        let ::core::option::Option::Some(old) = <Self as ::cache_diesel::ModelQueries<
                            ::cache_diesel::__private::diesel::sqlite::SqliteConnection,
                        >>::load_unique(conn, &key)? else {
                            return ::core::result::Result::Ok(::core::option::Option::None);
                        };
                        let row = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                            Self,
                        >(
                                ::cache_diesel::__private::diesel::update(
                                        blog_posts::table
                                            .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
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
                filter: &PostSummaryFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                let condition = ::cache_diesel::__private::FilterCondition::<
                    blog_posts::table,
                    ::cache_diesel::__private::diesel::sqlite::Sqlite,
                >::condition(filter);
                let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                    ::cache_diesel::__private::diesel::update(
                            blog_posts::table.filter(condition),
                        )
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
        for PostSummary
        where
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = blog_posts::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                blog_posts::table,
                blog_posts::id,
                ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (blog_posts::title, blog_posts::writer_id),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (String, i32)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                blog_posts::table,
                blog_posts::id,
                ::cache_diesel::__private::BoxedCondition<
                    blog_posts::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (blog_posts::id, blog_posts::title, blog_posts::writer_id),
            >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel::pg::PgConnection,
                (Self, (i32, String, i32)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    blog_posts::table,
                    ::cache_diesel::__private::BoxedCondition<
                        blog_posts::table,
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
                    <blog_posts::title as ::cache_diesel::__private::diesel::Column>::NAME,
                    <blog_posts::writer_id as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let statement: ::cache_diesel::__private::UpdateReturningOld<
                    blog_posts::table,
                    blog_posts::id,
                    ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (blog_posts::title, blog_posts::writer_id),
                > = ::cache_diesel::__private::update_returning_old(
                    blog_posts::table,
                    blog_posts::id,
                    blog_posts::id.eq(::core::clone::Clone::clone(id)),
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (blog_posts::title, blog_posts::writer_id),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    (Self, (String, i32)),
                >(statement, conn)
                    .optional()?;
                ::core::result::Result::Ok(
                    loaded
                        .map(|(row, (__old0, __old1))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                PostSummaryUnique::Id(::core::clone::Clone::clone(id)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                    (stringify!(title), ::cache_diesel::__private::value_key(&
                                    __old0)), (stringify!(writer_id),
                                    ::cache_diesel::__private::value_key(& __old1)),
                                ],
                            ),
                        }),
                )
            }
            fn update_filtered(
                conn: &mut ::cache_diesel::__private::diesel::pg::PgConnection,
                filter: &PostSummaryFilter,
                changes: __V,
            ) -> ::cache_diesel::__private::diesel::QueryResult<
                ::cache_diesel::__private::UpdatedRows<Self>,
            > {
                #[allow(unused_imports)]
                use ::cache_diesel::__private::diesel::prelude::*;
                const OLD_NAMES: &[&str] = &[
                    <blog_posts::id as ::cache_diesel::__private::diesel::Column>::NAME,
                    <blog_posts::title as ::cache_diesel::__private::diesel::Column>::NAME,
                    <blog_posts::writer_id as ::cache_diesel::__private::diesel::Column>::NAME,
                ];
                let condition = || ::cache_diesel::__private::FilterCondition::<
                    blog_posts::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >::condition(filter);
                let many = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                    i64,
                >(blog_posts::table.filter(condition()).count(), conn)?;
                if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                blog_posts::table.filter(condition()),
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
                    blog_posts::table,
                    blog_posts::id,
                    ::cache_diesel::__private::BoxedCondition<
                        blog_posts::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<
                        Self,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >,
                    (blog_posts::id, blog_posts::title, blog_posts::writer_id),
                > = ::cache_diesel::__private::update_where_returning_old(
                    blog_posts::table,
                    blog_posts::id,
                    condition,
                    changes,
                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >>::as_returning(),
                    (blog_posts::id, blog_posts::title, blog_posts::writer_id),
                    OLD_NAMES,
                );
                let loaded = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                    (Self, (i32, String, i32)),
                >(statement, conn)?;
                let rows = loaded
                    .into_iter()
                    .map(|(row, (__old_pk, __old0, __old1))| ::cache_diesel::__private::Updated {
                        row,
                        before: ::std::vec![
                            PostSummaryUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                        ],
                        old_values: ::core::option::Option::Some(
                            ::std::vec![
                                (stringify!(id), ::cache_diesel::__private::value_key(&
                                __old_pk)), (stringify!(title),
                                ::cache_diesel::__private::value_key(& __old0)),
                                (stringify!(writer_id), ::cache_diesel::__private::value_key(&
                                __old1)),
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
        > for PostSummary
        where
            __V: ::core::marker::Send + '__q,
            __V: ::cache_diesel::__private::diesel::AsChangeset<Target = blog_posts::table>,
            ::cache_diesel::__private::UpdateReturningOld<
                blog_posts::table,
                blog_posts::id,
                ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (blog_posts::title, blog_posts::writer_id),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (String, i32)),
            >,
            ::cache_diesel::__private::UpdateReturningOld<
                blog_posts::table,
                blog_posts::id,
                ::cache_diesel::__private::BoxedCondition<
                    blog_posts::table,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                ::cache_diesel::__private::diesel::dsl::AsSelect<
                    Self,
                    ::cache_diesel::__private::diesel::pg::Pg,
                >,
                (blog_posts::id, blog_posts::title, blog_posts::writer_id),
            >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<
                '__q,
                ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                (Self, (i32, String, i32)),
            >,
            ::cache_diesel::__private::diesel::dsl::Update<
                ::cache_diesel::__private::diesel::dsl::Filter<
                    blog_posts::table,
                    ::cache_diesel::__private::BoxedCondition<
                        blog_posts::table,
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
                        <blog_posts::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <blog_posts::writer_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let statement: ::cache_diesel::__private::UpdateReturningOld<
                        blog_posts::table,
                        blog_posts::id,
                        ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (blog_posts::title, blog_posts::writer_id),
                    > = ::cache_diesel::__private::update_returning_old(
                        blog_posts::table,
                        blog_posts::id,
                        blog_posts::id.eq(::core::clone::Clone::clone(id)),
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (blog_posts::title, blog_posts::writer_id),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        (Self, (String, i32)),
                    >(statement, conn)
                        .await
                        .optional()?;
                    ::core::result::Result::Ok(
                        loaded
                            .map(|(row, (__old0, __old1))| ::cache_diesel::__private::Updated {
                                row,
                                before: ::std::vec![
                                    PostSummaryUnique::Id(::core::clone::Clone::clone(id)),
                                ],
                                old_values: ::core::option::Option::Some(
                                    ::std::vec![
                                        (stringify!(id), ::cache_diesel::__private::value_key(id)),
                                        (stringify!(title), ::cache_diesel::__private::value_key(&
                                        __old0)), (stringify!(writer_id),
                                        ::cache_diesel::__private::value_key(& __old1)),
                                    ],
                                ),
                            }),
                    )
                })
            }
            fn update_filtered<'__c>(
                conn: &'__c mut ::cache_diesel::__private::diesel_async::AsyncPgConnection,
                filter: PostSummaryFilter,
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
                        <blog_posts::id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <blog_posts::title as ::cache_diesel::__private::diesel::Column>::NAME,
                        <blog_posts::writer_id as ::cache_diesel::__private::diesel::Column>::NAME,
                    ];
                    let condition = || ::cache_diesel::__private::FilterCondition::<
                        blog_posts::table,
                        ::cache_diesel::__private::diesel::pg::Pg,
                    >::condition(filter);
                    let many = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        i64,
                    >(blog_posts::table.filter(condition()).count(), conn)
                        .await?;
                    if many > ::cache_diesel::__private::MAX_PRECISE_BULK_ROWS as i64 {
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        blog_posts::table.filter(condition()),
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
                        blog_posts::table,
                        blog_posts::id,
                        ::cache_diesel::__private::BoxedCondition<
                            blog_posts::table,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        <__V as ::cache_diesel::__private::diesel::AsChangeset>::Changeset,
                        ::cache_diesel::__private::diesel::dsl::AsSelect<
                            Self,
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >,
                        (blog_posts::id, blog_posts::title, blog_posts::writer_id),
                    > = ::cache_diesel::__private::update_where_returning_old(
                        blog_posts::table,
                        blog_posts::id,
                        condition,
                        changes,
                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                            ::cache_diesel::__private::diesel::pg::Pg,
                        >>::as_returning(),
                        (blog_posts::id, blog_posts::title, blog_posts::writer_id),
                        OLD_NAMES,
                    );
                    let loaded = ::cache_diesel::__private::diesel_async::RunQueryDsl::load::<
                        (Self, (i32, String, i32)),
                    >(statement, conn)
                        .await?;
                    let rows = loaded
                        .into_iter()
                        .map(|(row, (__old_pk, __old0, __old1))| ::cache_diesel::__private::Updated {
                            row,
                            before: ::std::vec![
                                PostSummaryUnique::Id(::core::clone::Clone::clone(& __old_pk)),
                            ],
                            old_values: ::core::option::Option::Some(
                                ::std::vec![
                                    (stringify!(id), ::cache_diesel::__private::value_key(&
                                    __old_pk)), (stringify!(title),
                                    ::cache_diesel::__private::value_key(& __old0)),
                                    (stringify!(writer_id),
                                    ::cache_diesel::__private::value_key(& __old1)),
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
            impl __CacheDieselDelete<$conn> for PostSummary {
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
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::InsertQuery<$conn, __V> for PostSummary
            where
                __V: ::cache_diesel::__private::diesel::Insertable<blog_posts::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        blog_posts::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            blog_posts::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    blog_posts::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<blog_posts::table>>::Values,
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
                        ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                            .values(values)
                            .returning(
                                <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                        ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for PostSummary {
                type Expr = ::cache_diesel::__private::BoxedCondition<
                    ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                        blog_posts::table,
                        <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                    >,
                    $db,
                >;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = blog_posts::table
                        .inner_join(
                            <Author as ::cache_diesel::__private::diesel::associations::HasTable>::table(),
                        )
                        .filter(expr)
                        .select((
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        ))
                        .order(blog_posts::id.asc())
                        .into_boxed::<$db>();
                    let sql = ::cache_diesel::__private::diesel::debug_query::<$db, _>(&query)
                        .to_string();
                    (
                        sql,
                        ::std::boxed::Box::new(move |conn: &mut $conn| {
                            let rows = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                                (Self, Author),
                            >(query, conn)?;
                            let (
                                models,
                                joined,
                            ): (::std::vec::Vec<Self>, ::std::vec::Vec<(Author,)>) = rows
                                .into_iter()
                                .map(|(row, author)| (row, (author,)))
                                .unzip();
                            let mut out = ::std::vec::Vec::with_capacity(models.len());
                            for (row, (author,)) in models.into_iter().zip(joined) {
                                out.push(PostSummaryRecord {
                                    post_summary: row,
                                    author,
                                });
                            }
                            ::core::result::Result::Ok(out)
                        }),
                    )
                }
            }
        };
        (mysql, $conn:ty, $db:ty) => {
            impl __CacheDieselDelete<$conn> for PostSummary {
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
                                PostSummary,
                            >(
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
                                ),
                                conn,
                            )?;
                            ::core::result::Result::Ok(::core::option::Option::Some(old))
                        },
                    )
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for PostSummary
            where
                __V: ::cache_diesel::__private::diesel::Insertable<blog_posts::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    blog_posts::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<blog_posts::table>>::Values,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let table = <Self as ::cache_diesel::CachedModel>::table();
                    let key = <blog_posts::id as ::cache_diesel::__private::diesel::Column>::NAME;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            if !::cache_diesel::__private::mysql_reset_insert_id(conn, table, key)? {
                                return ::core::result::Result::Err(
                                    ::cache_diesel::__private::mysql_not_returnable("PostSummary"),
                                );
                            }
                            let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                                    .values(values),
                                conn,
                            )?;
                            if n == 0 {
                                return ::core::result::Result::Ok(::std::vec::Vec::new());
                            }
                            let found = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                                Self,
                            >(
                                blog_posts::table
                                    .filter(::cache_diesel::__private::mysql_inserted_ids(key, n))
                                    .order(blog_posts::id.asc())
                                    .select(
                                        <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_select(),
                                    ),
                                conn,
                            )?;
                            ::cache_diesel::__private::mysql_inserted("PostSummary", n, found)
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
                        ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for PostSummary
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = blog_posts::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        blog_posts::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        blog_posts::table,
                        ::cache_diesel::__private::BoxedCondition<blog_posts::table, $db>,
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
                                PostSummary,
                            >(
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        blog_posts::table
                                            .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
                                    )
                                    .set(changes),
                                conn,
                            )?;
                            let row = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Self,
                            >(
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        ),
                                    conn,
                                )
                                .optional()?
                                .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                    "PostSummary",
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
                    filter: &PostSummaryFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let condition = ::cache_diesel::__private::FilterCondition::<
                        blog_posts::table,
                        $db,
                    >::condition(filter);
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                blog_posts::table.filter(condition),
                            )
                            .set(changes),
                        conn,
                    )?;
                    ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for PostSummary {
                type Expr = ::cache_diesel::__private::BoxedCondition<
                    ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                        blog_posts::table,
                        <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                    >,
                    $db,
                >;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = blog_posts::table
                        .inner_join(
                            <Author as ::cache_diesel::__private::diesel::associations::HasTable>::table(),
                        )
                        .filter(expr)
                        .select((
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                            <Author as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        ))
                        .order(blog_posts::id.asc())
                        .into_boxed::<$db>();
                    let sql = ::cache_diesel::__private::diesel::debug_query::<$db, _>(&query)
                        .to_string();
                    (
                        sql,
                        ::std::boxed::Box::new(move |conn: &mut $conn| {
                            let rows = ::cache_diesel::__private::diesel::RunQueryDsl::load::<
                                (Self, Author),
                            >(query, conn)?;
                            let (
                                models,
                                joined,
                            ): (::std::vec::Vec<Self>, ::std::vec::Vec<(Author,)>) = rows
                                .into_iter()
                                .map(|(row, author)| (row, (author,)))
                                .unzip();
                            let mut out = ::std::vec::Vec::with_capacity(models.len());
                            for (row, (author,)) in models.into_iter().zip(joined) {
                                out.push(PostSummaryRecord {
                                    post_summary: row,
                                    author,
                                });
                            }
                            ::core::result::Result::Ok(out)
                        }),
                    )
                }
            }
        };
        (returning_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for PostSummary {
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
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
                                )
                                .returning(
                                    <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .await
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for PostSummary
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<blog_posts::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        blog_posts::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            blog_posts::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    blog_posts::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<blog_posts::table>>::Values,
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
                                ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                                    .values(values)
                                    .returning(
                                        <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
        };
        (mysql_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for PostSummary {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &i32,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                    let out = ::cache_diesel::__private::mysql_body(async {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                PostSummary,
                            >(
                                    blog_posts::table
                                        .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                        .select(
                                            <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        blog_posts::table
                                            .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
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
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for PostSummary
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<blog_posts::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    blog_posts::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<blog_posts::table>>::Values,
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
                        let key = <blog_posts::id as ::cache_diesel::__private::diesel::Column>::NAME;
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
                                        ::cache_diesel::__private::mysql_not_returnable(
                                            "PostSummary",
                                        ),
                                    );
                                }
                                let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                        ::cache_diesel::__private::diesel::insert_into(
                                                blog_posts::table,
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
                                        blog_posts::table
                                            .filter(
                                                ::cache_diesel::__private::mysql_inserted_ids(key, n),
                                            )
                                            .order(blog_posts::id.asc())
                                            .select(
                                                <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await?;
                                ::cache_diesel::__private::mysql_inserted("PostSummary", n, found)
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
                                ::cache_diesel::__private::diesel::insert_into(blog_posts::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for PostSummary
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = blog_posts::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        blog_posts::table,
                        ::cache_diesel::__private::diesel::dsl::Eq<blog_posts::id, i32>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        blog_posts::table,
                        ::cache_diesel::__private::BoxedCondition<blog_posts::table, $db>,
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
                                    PostSummary,
                                >(
                                        blog_posts::table
                                            .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                                blog_posts::table
                                                    .filter(blog_posts::id.eq(::core::clone::Clone::clone(id))),
                                            )
                                            .set(changes),
                                        conn,
                                    )
                                    .await?;
                                let row = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                    Self,
                                >(
                                        blog_posts::table
                                            .filter(blog_posts::id.eq(::core::clone::Clone::clone(id)))
                                            .select(
                                                <PostSummary as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await
                                    .optional()?
                                    .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                        "PostSummary",
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
                    filter: PostSummaryFilter,
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
                            blog_posts::table,
                            $db,
                        >::condition(filter);
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        blog_posts::table.filter(condition),
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
            impl ::cache_diesel::__private::FilterCondition<blog_posts::table, $db>
            for PostSummaryFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<blog_posts::table, $db> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        blog_posts::table,
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
                    ::cache_diesel::__private::BoxedCondition<blog_posts::table, $db>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            PostSummaryOrder::IdAsc => {
                                ::std::boxed::Box::new(
                                    blog_posts::id.gt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            PostSummaryOrder::IdDesc => {
                                ::std::boxed::Box::new(
                                    blog_posts::id.lt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                        },
                    )
                }
            }
            impl ::cache_diesel::__private::FilterCondition<
                ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                    blog_posts::table,
                    <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                >,
                $db,
            > for PostSummaryFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<
                    ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                        blog_posts::table,
                        <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                    >,
                    $db,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                            blog_posts::table,
                            <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                        >,
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
                    ::cache_diesel::__private::BoxedCondition<
                        ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource<
                            blog_posts::table,
                            <Author as ::cache_diesel::__private::diesel::associations::HasTable>::Table,
                        >,
                        $db,
                    >,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            PostSummaryOrder::IdAsc => {
                                ::std::boxed::Box::new(
                                    blog_posts::id.gt(::core::clone::Clone::clone(&after.id)),
                                )
                            }
                            PostSummaryOrder::IdDesc => {
                                ::std::boxed::Box::new(
                                    blog_posts::id.lt(::core::clone::Clone::clone(&after.id)),
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
            const _ : fn () = ::cache_diesel::__private::assert_loads_from:: <
            PostSummary, $db >; __cache_diesel_conditions! { $conditions, $db } impl
            ::cache_diesel:: $tr < $conn > for PostSummary { $($asy)* fn load_unique(conn
            : & mut $conn, key : & PostSummaryUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            match key { PostSummaryUnique::Id(value) => ::cache_diesel::__private:: $pre
            ::RunQueryDsl::first:: < Self > (blog_posts::table.filter(blog_posts::id
            .eq(::core::clone::Clone::clone(value))).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select()),
            conn,) $($aw)* .optional(), } } $($asy)* fn load_list(conn : & mut $conn,
            filter : & PostSummaryFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            query = blog_posts::table.filter(::cache_diesel::__private::FilterCondition::
            < blog_posts::table, $db > ::condition(filter)).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())
            .into_boxed:: < $db > (); if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: < blog_posts::table, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { PostSummaryOrder::IdAsc => query.order_by(blog_posts::id
            .asc()), PostSummaryOrder::IdDesc => query.order_by(blog_posts::id.desc()),
            }; if let ::core::option::Option::Some(n) = filter.__page.sql_limit() { query
            = query.limit(n); } if let ::core::option::Option::Some(n) = filter.__page
            .sql_offset() { query = query.offset(n); } ::cache_diesel::__private:: $pre
            ::RunQueryDsl::load:: < Self > (query, conn) $($aw)* } $($asy)* fn
            count_list(conn : & mut $conn, filter : & PostSummaryFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < i64 > {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            ::cache_diesel::__private:: $pre ::RunQueryDsl::get_result:: < i64 >
            (blog_posts::table.inner_join(< Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::table())
            .filter(::cache_diesel::__private::FilterCondition:: <
            ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource <
            blog_posts::table, < Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::Table >, $db >
            ::condition(filter)).count(), conn,) $($aw)* } __cache_diesel_delete_fn! {
            $writes, $conn } $($asy)* fn load_many(conn : & mut $conn, keys : &
            [PostSummaryUnique]) -> ::cache_diesel::__private::diesel::QueryResult <
            ::std::vec::Vec < PostSummaryRecord >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; let mut rows : ::std::vec::Vec <
            (Self, Author) > = ::std::vec::Vec::new(); let values : ::std::vec::Vec < &
            i32 > = keys.iter().filter_map(| key | match key {
            PostSummaryUnique::Id(value) => ::core::option::Option::Some(value),
            #[allow(unreachable_patterns)] _ => ::core::option::Option::None, })
            .collect(); for chunk in values.chunks(::cache_diesel::__private::MANY_CHUNK)
            { rows.extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < (Self,
            Author) > (blog_posts::table.inner_join(< Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::table())
            .filter(blog_posts::id.eq_any(chunk.iter().map(| v |
            ::core::clone::Clone::clone(* v)).collect:: < ::std::vec::Vec < i32 >> ()))
            .select((< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select(), < Author as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())),
            conn,) $($aw)* ?); } let _prefetch = true; let (models, joined) :
            (::std::vec::Vec < Self >, ::std::vec::Vec < (Author,) >) = rows.into_iter()
            .map(| (row, author) | (row, (author,))).unzip(); let mut out =
            ::std::vec::Vec::with_capacity(models.len()); for (row, (author,)) in models
            .into_iter().zip(joined) { out.push(PostSummaryRecord { post_summary : row,
            author, }); } ::core::result::Result::Ok(out) } $($asy)* fn load_record(conn
            : & mut $conn, key : & PostSummaryUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            PostSummaryRecord >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; let found = match key {
            PostSummaryUnique::Id(value) => ::cache_diesel::__private:: $pre
            ::RunQueryDsl::first:: < (Self, Author) > (blog_posts::table.inner_join(<
            Author as ::cache_diesel::__private::diesel::associations::HasTable >
            ::table()).filter(blog_posts::id.eq(::core::clone::Clone::clone(value)))
            .select((< Self as ::cache_diesel::__private::diesel::SelectableHelper < $db
            >> ::as_select(), < Author as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())),
            conn,) $($aw)* .optional() ?, }; let ::core::option::Option::Some((row,
            author)) = found else { return
            ::core::result::Result::Ok(::core::option::Option::None); };
            ::core::result::Result::Ok(::core::option::Option::Some(PostSummaryRecord {
            post_summary : row, author, })) } $($asy)* fn load_records(conn : & mut
            $conn, filter : & PostSummaryFilter, _prefetch : bool) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec <
            PostSummaryRecord >> { #[allow(unused_imports)] use
            ::cache_diesel::__private:: $pre :: *; let mut query = blog_posts::table
            .inner_join(< Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::table())
            .filter(::cache_diesel::__private::FilterCondition:: <
            ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource <
            blog_posts::table, < Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::Table >, $db >
            ::condition(filter)).select((< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select(), <
            Author as ::cache_diesel::__private::diesel::SelectableHelper < $db >>
            ::as_select())).into_boxed:: < $db > (); if let
            ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: <
            ::cache_diesel::__private::diesel::dsl::InnerJoinQuerySource <
            blog_posts::table, < Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::Table >, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { PostSummaryOrder::IdAsc => query.order_by(blog_posts::id
            .asc()), PostSummaryOrder::IdDesc => query.order_by(blog_posts::id.desc()),
            }; if let ::core::option::Option::Some(n) = filter.__page.sql_limit() { query
            = query.limit(n); } if let ::core::option::Option::Some(n) = filter.__page
            .sql_offset() { query = query.offset(n); } let rows =
            ::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < (Self, Author) >
            (query, conn) $($aw)* ?; let (models, joined) : (::std::vec::Vec < Self >,
            ::std::vec::Vec < (Author,) >) = rows.into_iter().map(| (row, author) | (row,
            (author,))).unzip(); let mut out = ::std::vec::Vec::with_capacity(models
            .len()); for (row, (author,)) in models.into_iter().zip(joined) { out
            .push(PostSummaryRecord { post_summary : row, author, }); }
            ::core::result::Result::Ok(out) } fn related_tables() -> & 'static
            [::std::string::String] { static TABLES : ::cache_diesel::__private::OnceLock
            < ::std::vec::Vec < ::std::string::String >> =
            ::cache_diesel::__private::OnceLock::new(); TABLES.get_or_init(||
            ::std::vec![::cache_diesel::__table_sql_name!(< Author as
            ::cache_diesel::__private::diesel::associations::HasTable > ::table())]) } }
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
            ::core::option::Option<PostSummary>,
        >;
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
