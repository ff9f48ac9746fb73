// Snapshot of the expansion of the input below (cache-derive/src/snapshots.rs).
// Rewrite with `UPDATE_SNAPSHOTS=1 cargo test -p cache-derive`; review the diff.
//
// #[derive(Cached)]
// #[diesel(table_name = enrollments, primary_key(student_id, course_id))]
// #[cache(filter(student_id), order_by(grade))]
// pub struct Enrollment {
//     pub student_id: i32,
//     pub course_id: i32,
//     pub grade: String,
// }

#[doc = concat!(
    "The cache manager of [`", stringify!(Enrollment),
    "`]; derefs to `cache_diesel::Manager`."
)]
pub struct EnrollmentCache(::cache_diesel::Manager<Enrollment>);
impl ::core::ops::Deref for EnrollmentCache {
    type Target = ::cache_diesel::Manager<Enrollment>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
impl EnrollmentCache {
    ///A manager over an explicit cache (tests, or applications with several caches).
    pub fn new(cache: ::cache_diesel::Cache) -> Self {
        Self(::cache_diesel::Manager::new(cache))
    }
}
impl Enrollment {
    ///The process-wide cache manager of this model, over the default cache (`CACHE_URL`).
    pub fn cache() -> &'static EnrollmentCache {
        static MANAGER: ::cache_diesel::__private::OnceLock<EnrollmentCache> = ::cache_diesel::__private::OnceLock::new();
        MANAGER
            .get_or_init(|| EnrollmentCache(
                ::cache_diesel::Manager::from_default_cache(),
            ))
    }
}
#[doc = concat!(
    "A unique value of [`", stringify!(Enrollment),
    "`]: something one row is looked up by."
)]
#[derive(Clone, Debug)]
pub enum EnrollmentUnique {
    #[doc = concat!(
        "`", stringify!(Enrollment), "` by `", stringify!(StudentIdCourseId), "`."
    )]
    StudentIdCourseId((i32, i32)),
}
impl ::cache_diesel::UniqueKey for EnrollmentUnique {
    fn column(&self) -> &'static str {
        match self {
            Self::StudentIdCourseId(_) => "student_id,course_id",
        }
    }
    fn value_key(&self) -> ::std::string::String {
        match self {
            Self::StudentIdCourseId(value) => ::cache_diesel::__private::value_key(value),
        }
    }
}
///How a list of [`Enrollment`] is ordered (`order_by` on the filter); the primary key ascending by default. Parses from and serializes as `student_id,course_id`, `-student_id,course_id`, `grade`, `-grade`; ties are broken by the primary key in the same direction.
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
pub enum EnrollmentOrder {
    ///By `student_id`, `course_id`, ascending (`student_id,course_id`).
    #[serde(rename = "student_id,course_id")]
    StudentIdCourseIdAsc,
    ///By `student_id`, `course_id`, descending (`-student_id,course_id`).
    #[serde(rename = "-student_id,course_id")]
    StudentIdCourseIdDesc,
    ///By `grade`, ascending (`grade`).
    #[serde(rename = "grade")]
    GradeAsc,
    ///By `grade`, descending (`-grade`).
    #[serde(rename = "-grade")]
    GradeDesc,
}
impl ::core::default::Default for EnrollmentOrder {
    fn default() -> Self {
        Self::StudentIdCourseIdAsc
    }
}
impl EnrollmentOrder {
    ///Every accepted text form, in declaration order.
    pub const ACCEPTED: &'static [&'static str] = &[
        "student_id,course_id",
        "-student_id,course_id",
        "grade",
        "-grade",
    ];
}
impl ::core::fmt::Display for EnrollmentOrder {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            Self::StudentIdCourseIdAsc => f.write_str("student_id,course_id"),
            Self::StudentIdCourseIdDesc => f.write_str("-student_id,course_id"),
            Self::GradeAsc => f.write_str("grade"),
            Self::GradeDesc => f.write_str("-grade"),
        }
    }
}
impl ::core::str::FromStr for EnrollmentOrder {
    type Err = ::cache_diesel::ParseOrderError;
    fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
        match s {
            "student_id,course_id" => {
                ::core::result::Result::Ok(Self::StudentIdCourseIdAsc)
            }
            "-student_id,course_id" => {
                ::core::result::Result::Ok(Self::StudentIdCourseIdDesc)
            }
            "grade" => ::core::result::Result::Ok(Self::GradeAsc),
            "-grade" => ::core::result::Result::Ok(Self::GradeDesc),
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
    "Where a page of [`", stringify!(Enrollment),
    "`] rows ends, for keyset pagination (`after` on the filter): the primary key and every `order_by` column of the last row."
)]
#[derive(
    Clone,
    Debug,
    ::cache_diesel::__private::serde::Serialize,
    ::cache_diesel::__private::serde::Deserialize
)]
#[serde(crate = "::cache_diesel::__private::serde")]
pub struct EnrollmentSortKey {
    #[doc = concat!("The row's `", stringify!(student_id), "`.")]
    pub student_id: i32,
    #[doc = concat!("The row's `", stringify!(course_id), "`.")]
    pub course_id: i32,
    #[doc = concat!("The row's `", stringify!(grade), "`.")]
    pub grade: String,
}
impl EnrollmentSortKey {
    ///The sort key of `row` (a record coerces to its model).
    #[allow(unused_variables)]
    pub fn of(row: &Enrollment) -> Self {
        Self {
            student_id: ::core::clone::Clone::clone(&row.student_id),
            course_id: ::core::clone::Clone::clone(&row.course_id),
            grade: ::core::clone::Clone::clone(&row.grade),
        }
    }
}
impl ::core::convert::From<&Enrollment> for EnrollmentSortKey {
    fn from(row: &Enrollment) -> Self {
        Self::of(row)
    }
}
#[doc = concat!(
    "Conditions on the list of [`", stringify!(Enrollment),
    "`] rows (`all`, `count`), its order and its window."
)]
#[derive(Clone, Debug, Default)]
pub struct EnrollmentFilter {
    #[doc = concat!("Condition on `", stringify!(student_id), "`.")]
    pub student_id: ::core::option::Option<::cache_diesel::FilterOp<i32>>,
    __page: ::cache_diesel::__private::Page<EnrollmentOrder, EnrollmentSortKey>,
}
impl EnrollmentFilter {
    #[doc = concat!("Rows whose `", stringify!(student_id), "` equals `value`.")]
    pub fn student_id(mut self, value: i32) -> Self {
        self.student_id = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::Eq(value),
        );
        self
    }
    #[doc = concat!("Rows whose `", stringify!(student_id), "` is one of `values`.")]
    pub fn student_id_in(
        mut self,
        values: impl ::core::iter::IntoIterator<Item = i32>,
    ) -> Self {
        self.student_id = ::core::option::Option::Some(
            ::cache_diesel::FilterOp::In(values.into_iter().collect()),
        );
        self
    }
    ///Orders the list (the primary key ascending by default; ties are broken by the primary key).
    pub fn order_by(mut self, order: EnrollmentOrder) -> Self {
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
    pub fn after(mut self, key: EnrollmentSortKey) -> Self {
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
impl ::cache_diesel::ListFilter for EnrollmentFilter {
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
            stringify!(student_id),
            self.student_id.as_ref(),
        );
        key
    }
    fn is_window(&self) -> bool {
        self.__page.is_window()
    }
    fn value_condition(
        &self,
    ) -> ::core::option::Option<(&'static str, ::std::vec::Vec<::std::string::String>)> {
        if let ::core::option::Option::Some(op) = &self.student_id {
            return ::core::option::Option::Some((
                stringify!(student_id),
                ::cache_diesel::__private::op_value_keys(op),
            ));
        }
        ::core::option::Option::None
    }
}
#[allow(non_local_definitions, clippy::all)]
const _: () = {
    #[allow(clippy::needless_borrow)]
    impl ::cache_diesel::CacheForm for Enrollment {
        fn serialize_form<__S: ::cache_diesel::__private::serde::Serializer>(
            &self,
            serializer: __S,
        ) -> ::core::result::Result<__S::Ok, __S::Error> {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{Packed as _, Plain as _};
            use ::cache_diesel::__private::serde::ser::SerializeTuple as _;
            let mut tuple = serializer.serialize_tuple(3usize)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.student_id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<i32>::new())
                .write(&self.course_id, &mut tuple)?;
            (&::cache_diesel::__private::Field::<String>::new())
                .write(&self.grade, &mut tuple)?;
            tuple.end()
        }
        fn deserialize_form<
            'de,
            __D: ::cache_diesel::__private::serde::Deserializer<'de>,
        >(deserializer: __D) -> ::core::result::Result<Self, __D::Error> {
            struct FormVisitor;
            impl<'de> ::cache_diesel::__private::serde::de::Visitor<'de>
            for FormVisitor {
                type Value = Enrollment;
                fn expecting(
                    &self,
                    f: &mut ::core::fmt::Formatter<'_>,
                ) -> ::core::fmt::Result {
                    f.write_str(concat!("the cached form of ", "Enrollment"))
                }
                fn visit_seq<__A: ::cache_diesel::__private::serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: __A,
                ) -> ::core::result::Result<Enrollment, __A::Error> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::{Packed as _, Plain as _};
                    ::core::result::Result::Ok(Enrollment {
                        student_id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                0usize,
                                3usize,
                                "Enrollment",
                            ))?,
                        course_id: (&::cache_diesel::__private::Field::<i32>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                1usize,
                                3usize,
                                "Enrollment",
                            ))?,
                        grade: (&::cache_diesel::__private::Field::<String>::new())
                            .read(&mut seq)?
                            .ok_or_else(|| ::cache_diesel::__private::too_short(
                                2usize,
                                3usize,
                                "Enrollment",
                            ))?,
                    })
                }
            }
            deserializer.deserialize_tuple(3usize, FormVisitor)
        }
    }
    impl ::cache_diesel::CachedModel for Enrollment {
        type Id = (i32, i32);
        type Unique = EnrollmentUnique;
        type Filter = EnrollmentFilter;
        type Record = Self;
        fn record_model(record: &Self) -> &Self {
            record
        }
        const INFO: ::cache_diesel::ModelInfo = ::cache_diesel::ModelInfo {
            name: "Enrollment",
            key: "enrollment",
            primary_key: "student_id,course_id",
            unique_columns: &["student_id,course_id"],
            schema_hash: "3b0207679b264d39",
            list_timeout: ::cache_diesel::__private::Duration::from_secs(86400u64),
            detail_timeout: ::cache_diesel::__private::Duration::from_secs(60u64),
            not_found_timeout: ::cache_diesel::__private::Duration::from_secs(10u64),
            soft_timeout: ::core::option::Option::None,
            prefetch_for_list: true,
            background_refresh: false,
        };
        fn table() -> &'static str {
            static NAME: ::cache_diesel::__private::OnceLock<::std::string::String> = ::cache_diesel::__private::OnceLock::new();
            NAME.get_or_init(|| ::cache_diesel::__table_sql_name!(enrollments::table))
        }
        fn id(&self) -> (i32, i32) {
            (
                ::core::clone::Clone::clone(&self.student_id),
                ::core::clone::Clone::clone(&self.course_id),
            )
        }
        fn unique_of_id(id: (i32, i32)) -> EnrollmentUnique {
            EnrollmentUnique::StudentIdCourseId(id)
        }
        fn unique_keys(&self) -> ::std::vec::Vec<EnrollmentUnique> {
            ::std::vec![
                EnrollmentUnique::StudentIdCourseId((::core::clone::Clone::clone(& self
                .student_id), ::core::clone::Clone::clone(& self.course_id),))
            ]
        }
        fn maps_every_column() -> bool {
            #[allow(unused_imports)]
            use ::cache_diesel::__private::{NoTableColumns as _, TableColumns as _};
            static EVERY: ::cache_diesel::__private::OnceLock<bool> = ::cache_diesel::__private::OnceLock::new();
            *EVERY
                .get_or_init(|| ::cache_diesel::__private::maps_every_column(
                    (&::cache_diesel::__private::Probe::<
                        <enrollments::table as ::cache_diesel::__private::diesel::Table>::AllColumns,
                    >::new())
                        .table_columns(),
                    &[
                        <enrollments::student_id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <enrollments::course_id as ::cache_diesel::__private::diesel::Column>::NAME,
                        <enrollments::grade as ::cache_diesel::__private::diesel::Column>::NAME,
                    ],
                ))
        }
        fn column_values(&self) -> ::std::vec::Vec<::cache_diesel::ColumnValue> {
            ::std::vec![
                (stringify!(student_id), ::cache_diesel::__private::value_key(& self
                .student_id)), (stringify!(course_id),
                ::cache_diesel::__private::value_key(& self.course_id)),
                (stringify!(grade), ::cache_diesel::__private::value_key(& self.grade))
            ]
        }
    }
    macro_rules! __cache_diesel_writes {
        (returning, $conn:ty, $db:ty) => {
            impl __CacheDieselDelete<$conn> for Enrollment {
                fn delete(
                    conn: &mut $conn,
                    id: &(i32, i32),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                        Self,
                    >(
                            ::cache_diesel::__private::diesel::delete(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        ),
                                )
                                .returning(
                                    <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::InsertQuery<$conn, __V> for Enrollment
            where
                __V: ::cache_diesel::__private::diesel::Insertable<enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        enrollments::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            enrollments::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    enrollments::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<
                        enrollments::table,
                    >>::Values,
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
                        ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                            .values(values)
                            .returning(
                                <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                        ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl<'__q, __V> ::cache_diesel::UpdateQuery<$conn, __V> for Enrollment
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::dsl::Update<
                        ::cache_diesel::__private::diesel::dsl::Filter<
                            enrollments::table,
                            ::cache_diesel::__private::diesel::dsl::And<
                                ::cache_diesel::__private::diesel::dsl::Eq<
                                    enrollments::student_id,
                                    i32,
                                >,
                                ::cache_diesel::__private::diesel::dsl::Eq<
                                    enrollments::course_id,
                                    i32,
                                >,
                            >,
                        >,
                        __V,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel::query_dsl::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id(
                    conn: &mut $conn,
                    id: &(i32, i32),
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::core::option::Option<::cache_diesel::__private::Updated<Self>>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let row = ::cache_diesel::__private::diesel::RunQueryDsl::get_result::<
                        Self,
                    >(
                            ::cache_diesel::__private::diesel::update(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        ),
                                )
                                .set(changes)
                                .returning(
                                    <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_returning(),
                                ),
                            conn,
                        )
                        .optional()?;
                    ::core::result::Result::Ok(
                        row
                            .map(|row| ::cache_diesel::__private::Updated {
                                row,
                                before: ::std::vec![
                                    EnrollmentUnique::StudentIdCourseId(::core::clone::Clone::clone(id))
                                ],
                                old_values: ::core::option::Option::None,
                            }),
                    )
                }
                fn update_filtered(
                    conn: &mut $conn,
                    filter: &EnrollmentFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let condition = ::cache_diesel::__private::FilterCondition::<
                        enrollments::table,
                        $db,
                    >::condition(filter);
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                enrollments::table.filter(condition),
                            )
                            .set(changes),
                        conn,
                    )?;
                    ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Enrollment {
                type Expr = ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = enrollments::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order((enrollments::student_id.asc(), enrollments::course_id.asc()))
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
            impl __CacheDieselDelete<$conn> for Enrollment {
                fn delete(
                    conn: &mut $conn,
                    id: &(i32, i32),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::mysql_atomic(
                        conn,
                        |conn| {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Enrollment,
                            >(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        )
                                        .select(
                                            <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        ),
                                ),
                                conn,
                            )?;
                            ::core::result::Result::Ok(::core::option::Option::Some(old))
                        },
                    )
                }
            }
            impl<__V> ::cache_diesel::InsertQuery<$conn, __V> for Enrollment
            where
                __V: ::cache_diesel::__private::diesel::Insertable<enrollments::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    enrollments::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<
                        enrollments::table,
                    >>::Values,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn insert_returning(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<::std::vec::Vec<Self>> {
                    let _ = (conn, values);
                    ::core::result::Result::Err(
                        ::cache_diesel::__private::mysql_not_returnable("Enrollment"),
                    )
                }
                fn insert_execute(
                    conn: &mut $conn,
                    values: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<usize> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                            .values(values),
                        conn,
                    )
                }
            }
            impl<__V> ::cache_diesel::UpdateQuery<$conn, __V> for Enrollment
            where
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::diesel::dsl::And<
                            ::cache_diesel::__private::diesel::dsl::Eq<enrollments::student_id, i32>,
                            ::cache_diesel::__private::diesel::dsl::Eq<enrollments::course_id, i32>,
                        >,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel::query_dsl::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id(
                    conn: &mut $conn,
                    id: &(i32, i32),
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
                                Enrollment,
                            >(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        )
                                        .select(
                                            <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        enrollments::table
                                            .filter(
                                                enrollments::student_id
                                                    .eq(::core::clone::Clone::clone(&(id).0))
                                                    .and(
                                                        enrollments::course_id
                                                            .eq(::core::clone::Clone::clone(&(id).1)),
                                                    ),
                                            ),
                                    )
                                    .set(changes),
                                conn,
                            )?;
                            let row = ::cache_diesel::__private::diesel::RunQueryDsl::first::<
                                Self,
                            >(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        )
                                        .select(
                                            <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
                                                $db,
                                            >>::as_select(),
                                        ),
                                    conn,
                                )
                                .optional()?
                                .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                    "Enrollment",
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
                    filter: &EnrollmentFilter,
                    changes: __V,
                ) -> ::cache_diesel::__private::diesel::QueryResult<
                    ::cache_diesel::__private::UpdatedRows<Self>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let condition = ::cache_diesel::__private::FilterCondition::<
                        enrollments::table,
                        $db,
                    >::condition(filter);
                    let n = ::cache_diesel::__private::diesel::RunQueryDsl::execute(
                        ::cache_diesel::__private::diesel::update(
                                enrollments::table.filter(condition),
                            )
                            .set(changes),
                        conn,
                    )?;
                    ::core::result::Result::Ok(::cache_diesel::__private::UpdatedRows::Counted(n))
                }
            }
            impl ::cache_diesel::WhereQuery<$conn> for Enrollment {
                type Expr = ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>;
                fn prepare_where(
                    expr: Self::Expr,
                    _prefetch: bool,
                ) -> (::std::string::String, ::cache_diesel::__private::WhereLoader<$conn, Self>) {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let query = enrollments::table
                        .filter(expr)
                        .select(
                            <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                $db,
                            >>::as_select(),
                        )
                        .order((enrollments::student_id.asc(), enrollments::course_id.asc()))
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
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Enrollment {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &(i32, i32),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                        Self,
                    >(
                            ::cache_diesel::__private::diesel::delete(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        ),
                                )
                                .returning(
                                    <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
                                        $db,
                                    >>::as_select(),
                                ),
                            conn,
                        )
                        .await
                        .optional()
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Enrollment
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                        enrollments::table,
                        <__V as ::cache_diesel::__private::diesel::Insertable<
                            enrollments::table,
                        >>::Values,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    enrollments::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<
                        enrollments::table,
                    >>::Values,
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
                                ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                                    .values(values)
                                    .returning(
                                        <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Enrollment
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Returning<
                    ::cache_diesel::__private::diesel::dsl::Update<
                        ::cache_diesel::__private::diesel::dsl::Filter<
                            enrollments::table,
                            ::cache_diesel::__private::diesel::dsl::And<
                                ::cache_diesel::__private::diesel::dsl::Eq<
                                    enrollments::student_id,
                                    i32,
                                >,
                                ::cache_diesel::__private::diesel::dsl::Eq<
                                    enrollments::course_id,
                                    i32,
                                >,
                            >,
                        >,
                        __V,
                    >,
                    ::cache_diesel::__private::diesel::dsl::AsSelect<Self, $db>,
                >: ::cache_diesel::__private::diesel_async::methods::LoadQuery<'__q, $conn, Self>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id<'__c>(
                    conn: &'__c mut $conn,
                    id: (i32, i32),
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
                        let row = ::cache_diesel::__private::diesel_async::RunQueryDsl::get_result::<
                            Self,
                        >(
                                ::cache_diesel::__private::diesel::update(
                                        enrollments::table
                                            .filter(
                                                enrollments::student_id
                                                    .eq(::core::clone::Clone::clone(&(id).0))
                                                    .and(
                                                        enrollments::course_id
                                                            .eq(::core::clone::Clone::clone(&(id).1)),
                                                    ),
                                            ),
                                    )
                                    .set(changes)
                                    .returning(
                                        <Self as ::cache_diesel::__private::diesel::SelectableHelper<
                                            $db,
                                        >>::as_returning(),
                                    ),
                                conn,
                            )
                            .await
                            .optional()?;
                        ::core::result::Result::Ok(
                            row
                                .map(|row| ::cache_diesel::__private::Updated {
                                    row,
                                    before: ::std::vec![
                                        EnrollmentUnique::StudentIdCourseId(::core::clone::Clone::clone(id))
                                    ],
                                    old_values: ::core::option::Option::None,
                                }),
                        )
                    })
                }
                fn update_filtered<'__c>(
                    conn: &'__c mut $conn,
                    filter: EnrollmentFilter,
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
                            enrollments::table,
                            $db,
                        >::condition(filter);
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        enrollments::table.filter(condition),
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
        (mysql_async, $conn:ty, $db:ty) => {
            impl ::cache_diesel::AsyncDeleteQuery<$conn> for Enrollment {
                async fn delete_by_id(
                    conn: &mut $conn,
                    id: &(i32, i32),
                ) -> ::cache_diesel::__private::diesel::QueryResult<::core::option::Option<Self>> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let atomic = ::cache_diesel::__private::mysql_atomic_begin(conn).await?;
                    let out = ::cache_diesel::__private::mysql_body(async {
                            let ::core::option::Option::Some(old) = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                Enrollment,
                            >(
                                    enrollments::table
                                        .filter(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&(id).0))
                                                .and(
                                                    enrollments::course_id
                                                        .eq(::core::clone::Clone::clone(&(id).1)),
                                                ),
                                        )
                                        .select(
                                            <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                        enrollments::table
                                            .filter(
                                                enrollments::student_id
                                                    .eq(::core::clone::Clone::clone(&(id).0))
                                                    .and(
                                                        enrollments::course_id
                                                            .eq(::core::clone::Clone::clone(&(id).1)),
                                                    ),
                                            ),
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
            impl<'__q, __V> ::cache_diesel::AsyncInsertQuery<'__q, $conn, __V> for Enrollment
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::Insertable<enrollments::table>,
                ::cache_diesel::__private::diesel::query_builder::InsertStatement<
                    enrollments::table,
                    <__V as ::cache_diesel::__private::diesel::Insertable<
                        enrollments::table,
                    >>::Values,
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
                        let _ = (conn, values);
                        ::core::result::Result::Err(
                            ::cache_diesel::__private::mysql_not_returnable("Enrollment"),
                        )
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
                                ::cache_diesel::__private::diesel::insert_into(enrollments::table)
                                    .values(values),
                                conn,
                            )
                            .await
                    })
                }
            }
            impl<'__q, __V> ::cache_diesel::AsyncUpdateQuery<'__q, $conn, __V> for Enrollment
            where
                __V: ::core::marker::Send + '__q,
                __V: ::cache_diesel::__private::diesel::AsChangeset<Target = enrollments::table>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::diesel::dsl::And<
                            ::cache_diesel::__private::diesel::dsl::Eq<enrollments::student_id, i32>,
                            ::cache_diesel::__private::diesel::dsl::Eq<enrollments::course_id, i32>,
                        >,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
                ::cache_diesel::__private::diesel::dsl::Update<
                    ::cache_diesel::__private::diesel::dsl::Filter<
                        enrollments::table,
                        ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>,
                    >,
                    __V,
                >: ::cache_diesel::__private::diesel_async::methods::ExecuteDsl<$conn>,
            {
                fn update_by_id<'__c>(
                    conn: &'__c mut $conn,
                    id: (i32, i32),
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
                                    Enrollment,
                                >(
                                        enrollments::table
                                            .filter(
                                                enrollments::student_id
                                                    .eq(::core::clone::Clone::clone(&(id).0))
                                                    .and(
                                                        enrollments::course_id
                                                            .eq(::core::clone::Clone::clone(&(id).1)),
                                                    ),
                                            )
                                            .select(
                                                <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
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
                                                enrollments::table
                                                    .filter(
                                                        enrollments::student_id
                                                            .eq(::core::clone::Clone::clone(&(id).0))
                                                            .and(
                                                                enrollments::course_id
                                                                    .eq(::core::clone::Clone::clone(&(id).1)),
                                                            ),
                                                    ),
                                            )
                                            .set(changes),
                                        conn,
                                    )
                                    .await?;
                                let row = ::cache_diesel::__private::diesel_async::RunQueryDsl::first::<
                                    Self,
                                >(
                                        enrollments::table
                                            .filter(
                                                enrollments::student_id
                                                    .eq(::core::clone::Clone::clone(&(id).0))
                                                    .and(
                                                        enrollments::course_id
                                                            .eq(::core::clone::Clone::clone(&(id).1)),
                                                    ),
                                            )
                                            .select(
                                                <Enrollment as ::cache_diesel::__private::diesel::SelectableHelper<
                                                    $db,
                                                >>::as_select(),
                                            ),
                                        conn,
                                    )
                                    .await
                                    .optional()?
                                    .ok_or_else(|| ::cache_diesel::__private::mysql_key_changed(
                                        "Enrollment",
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
                    filter: EnrollmentFilter,
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
                            enrollments::table,
                            $db,
                        >::condition(filter);
                        let n = ::cache_diesel::__private::diesel_async::RunQueryDsl::execute(
                                ::cache_diesel::__private::diesel::update(
                                        enrollments::table.filter(condition),
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
            impl ::cache_diesel::__private::FilterCondition<enrollments::table, $db>
            for EnrollmentFilter {
                fn condition(
                    &self,
                ) -> ::cache_diesel::__private::BoxedCondition<enrollments::table, $db> {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    #[allow(unused_mut)]
                    let mut condition: ::cache_diesel::__private::BoxedCondition<
                        enrollments::table,
                        $db,
                    > = ::std::boxed::Box::new(
                        ::cache_diesel::__private::diesel::dsl::sql::<
                            ::cache_diesel::__private::diesel::sql_types::Bool,
                        >("1 = 1"),
                    );
                    if let ::core::option::Option::Some(op) = &self.student_id {
                        condition = match op {
                            ::cache_diesel::FilterOp::Eq(value) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(value)),
                                        ),
                                )
                            }
                            ::cache_diesel::FilterOp::In(values) => {
                                ::std::boxed::Box::new(
                                    condition
                                        .and(
                                            enrollments::student_id
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
                    ::cache_diesel::__private::BoxedCondition<enrollments::table, $db>,
                > {
                    #[allow(unused_imports)]
                    use ::cache_diesel::__private::diesel::prelude::*;
                    let after = self.__page.after.as_ref()?;
                    ::core::option::Option::Some(
                        match self.__page.order {
                            EnrollmentOrder::StudentIdCourseIdAsc => {
                                ::std::boxed::Box::new(
                                    enrollments::student_id
                                        .gt(::core::clone::Clone::clone(&after.student_id))
                                        .or(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&after.student_id))
                                                .and(
                                                    enrollments::course_id
                                                        .gt(::core::clone::Clone::clone(&after.course_id)),
                                                ),
                                        ),
                                )
                            }
                            EnrollmentOrder::StudentIdCourseIdDesc => {
                                ::std::boxed::Box::new(
                                    enrollments::student_id
                                        .lt(::core::clone::Clone::clone(&after.student_id))
                                        .or(
                                            enrollments::student_id
                                                .eq(::core::clone::Clone::clone(&after.student_id))
                                                .and(
                                                    enrollments::course_id
                                                        .lt(::core::clone::Clone::clone(&after.course_id)),
                                                ),
                                        ),
                                )
                            }
                            EnrollmentOrder::GradeAsc => {
                                ::std::boxed::Box::new(
                                    enrollments::grade
                                        .gt(::core::clone::Clone::clone(&after.grade))
                                        .or(
                                            enrollments::grade
                                                .eq(::core::clone::Clone::clone(&after.grade))
                                                .and(
                                                    enrollments::student_id
                                                        .gt(::core::clone::Clone::clone(&after.student_id))
                                                        .or(
                                                            enrollments::student_id
                                                                .eq(::core::clone::Clone::clone(&after.student_id))
                                                                .and(
                                                                    enrollments::course_id
                                                                        .gt(::core::clone::Clone::clone(&after.course_id)),
                                                                ),
                                                        ),
                                                ),
                                        ),
                                )
                            }
                            EnrollmentOrder::GradeDesc => {
                                ::std::boxed::Box::new(
                                    enrollments::grade
                                        .lt(::core::clone::Clone::clone(&after.grade))
                                        .or(
                                            enrollments::grade
                                                .eq(::core::clone::Clone::clone(&after.grade))
                                                .and(
                                                    enrollments::student_id
                                                        .lt(::core::clone::Clone::clone(&after.student_id))
                                                        .or(
                                                            enrollments::student_id
                                                                .eq(::core::clone::Clone::clone(&after.student_id))
                                                                .and(
                                                                    enrollments::course_id
                                                                        .lt(::core::clone::Clone::clone(&after.course_id)),
                                                                ),
                                                        ),
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
                id: &(i32, i32),
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
            Enrollment, $db >; __cache_diesel_conditions! { $conditions, $db } impl
            ::cache_diesel:: $tr < $conn > for Enrollment { $($asy)* fn load_unique(conn
            : & mut $conn, key : & EnrollmentUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            match key { EnrollmentUnique::StudentIdCourseId(value) =>
            ::cache_diesel::__private:: $pre ::RunQueryDsl::first:: < Self >
            (enrollments::table.filter(enrollments::student_id
            .eq(::core::clone::Clone::clone(& (value).0)).and(enrollments::course_id
            .eq(::core::clone::Clone::clone(& (value).1)))).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select()),
            conn,) $($aw)* .optional(), } } $($asy)* fn load_list(conn : & mut $conn,
            filter : & EnrollmentFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            query = enrollments::table
            .filter(::cache_diesel::__private::FilterCondition:: < enrollments::table,
            $db > ::condition(filter)).select(< Self as
            ::cache_diesel::__private::diesel::SelectableHelper < $db >> ::as_select())
            .into_boxed:: < $db > (); if let ::core::option::Option::Some(keyset) =
            ::cache_diesel::__private::FilterCondition:: < enrollments::table, $db >
            ::keyset(filter) { query = query.filter(keyset); } query = match filter
            .__page.order { EnrollmentOrder::StudentIdCourseIdAsc => query
            .order_by((enrollments::student_id.asc(), enrollments::course_id.asc(),)),
            EnrollmentOrder::StudentIdCourseIdDesc => query
            .order_by((enrollments::student_id.desc(), enrollments::course_id.desc(),)),
            EnrollmentOrder::GradeAsc => query.order_by((enrollments::grade.asc(),
            enrollments::student_id.asc(), enrollments::course_id.asc(),)),
            EnrollmentOrder::GradeDesc => query.order_by((enrollments::grade.desc(),
            enrollments::student_id.desc(), enrollments::course_id.desc(),)), }; if let
            ::core::option::Option::Some(n) = filter.__page.sql_limit() { query = query
            .limit(n); } if let ::core::option::Option::Some(n) = filter.__page
            .sql_offset() { query = query.offset(n); } ::cache_diesel::__private:: $pre
            ::RunQueryDsl::load:: < Self > (query, conn) $($aw)* } $($asy)* fn
            count_list(conn : & mut $conn, filter : & EnrollmentFilter) ->
            ::cache_diesel::__private::diesel::QueryResult < i64 > {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *;
            ::cache_diesel::__private:: $pre ::RunQueryDsl::get_result:: < i64 >
            (enrollments::table.filter(::cache_diesel::__private::FilterCondition:: <
            enrollments::table, $db > ::condition(filter)).count(), conn,) $($aw)* }
            __cache_diesel_delete_fn! { $writes, $conn } $($asy)* fn load_many(conn : &
            mut $conn, keys : & [EnrollmentUnique]) ->
            ::cache_diesel::__private::diesel::QueryResult < ::std::vec::Vec < Self >> {
            #[allow(unused_imports)] use ::cache_diesel::__private:: $pre :: *; let mut
            rows = ::std::vec::Vec::new(); let values : ::std::vec::Vec < & (i32, i32,) >
            = keys.iter().filter_map(| key | match key {
            EnrollmentUnique::StudentIdCourseId(value) =>
            ::core::option::Option::Some(value), #[allow(unreachable_patterns)] _ =>
            ::core::option::Option::None, }).collect(); for chunk in values
            .chunks(::cache_diesel::__private::MANY_CHUNK_COMPOSITE) { rows
            .extend(::cache_diesel::__private:: $pre ::RunQueryDsl::load:: < Self >
            (enrollments::table.filter({ let mut condition :
            ::cache_diesel::__private::BoxedCondition < enrollments::table, $db > =
            ::std::boxed::Box::new(enrollments::student_id
            .eq(::core::clone::Clone::clone(& (chunk[0]).0)).and(enrollments::course_id
            .eq(::core::clone::Clone::clone(& (chunk[0]).1)))); for value in & chunk[1..]
            { condition = ::std::boxed::Box::new(condition.or(enrollments::student_id
            .eq(::core::clone::Clone::clone(& (value).0)).and(enrollments::course_id
            .eq(::core::clone::Clone::clone(& (value).1))))); } condition }).select(<
            Self as ::cache_diesel::__private::diesel::SelectableHelper < $db >>
            ::as_select()), conn,) $($aw)* ?); } ::core::result::Result::Ok(rows) }
            $($asy)* fn load_record(conn : & mut $conn, key : & EnrollmentUnique) ->
            ::cache_diesel::__private::diesel::QueryResult < ::core::option::Option <
            Self >> { < Self as ::cache_diesel:: $tr < $conn >> ::load_unique(conn, key)
            $($aw)* } $($asy)* fn load_records(conn : & mut $conn, filter : &
            EnrollmentFilter, _prefetch : bool) ->
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
            id: &(i32, i32),
        ) -> ::cache_diesel::__private::diesel::QueryResult<
            ::core::option::Option<Enrollment>,
        >;
    }
    ::cache_diesel::__for_each_connection!(__cache_diesel_queries);
};
