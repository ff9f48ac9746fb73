//! A model with a composite primary key (a join table with a payload
//! column) on SQLite + memory, PostgreSQL + Redis and MySQL + Redis:
//! lookups by the key tuple, lists ordered and paged by it, hook writes and
//! tracked writes that invalidate exactly what they touched. Database
//! queries are counted: 1 on a miss, 0 on a hit.

use cache_diesel::{Cache, Cached, Error, InsertQuery, ModelQueries, UpdateQuery};
use cache_tests::db::TestDb;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    enrollments (student_id, course_id) {
        student_id -> Integer,
        course_id -> Integer,
        grade -> Text,
    }
}

/// A student in a course, with a grade.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Serialize,
    Deserialize,
    Cached,
)]
#[diesel(table_name = enrollments, primary_key(student_id, course_id))]
#[cache(filter(student_id), order_by(grade))]
struct Enrollment {
    student_id: i32,
    course_id: i32,
    grade: String,
}

fn row(student_id: i32, course_id: i32, grade: &str) -> Enrollment {
    Enrollment {
        student_id,
        course_id,
        grade: grade.to_owned(),
    }
}

const DDL: &str = "CREATE TABLE enrollments (
    student_id INTEGER NOT NULL,
    course_id INTEGER NOT NULL,
    grade VARCHAR(8) NOT NULL,
    PRIMARY KEY (student_id, course_id))";

fn is_mysql<C: Connection>() -> bool {
    std::any::type_name::<C::Backend>().ends_with("::Mysql")
}

/// What the checks do with `Enrollment` on connection type `C`.
trait Queries<C>:
    ModelQueries<C>
    + InsertQuery<C, Vec<Enrollment>>
    + InsertQuery<C, Enrollment>
    + UpdateQuery<C, diesel::dsl::Eq<enrollments::grade, String>>
    + for<'a> UpdateQuery<C, &'a Enrollment>
{
}
impl<C, M> Queries<C> for M where
    M: ModelQueries<C>
        + InsertQuery<C, Vec<Enrollment>>
        + InsertQuery<C, Enrollment>
        + UpdateQuery<C, diesel::dsl::Eq<enrollments::grade, String>>
        + for<'a> UpdateQuery<C, &'a Enrollment>
{
}

/// The table, four rows (two students share course numbers and keys whose
/// digits run together: (1, 23) and (12, 3)), and a manager.
fn setup<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache) -> EnrollmentCache
where
    Enrollment: Queries<C>,
{
    db.conn.batch_execute(DDL).unwrap();
    db.track(cache);
    let manager = EnrollmentCache::new(cache.clone());
    let rows = vec![
        row(1, 10, "A"),
        row(1, 23, "C"),
        row(12, 3, "B"),
        row(2, 10, "B"),
    ];
    if is_mysql::<C>() {
        // No RETURNING, no generated key to read back by: refused, and
        // nothing written.
        let err = manager.insert_many(&mut db.conn, rows.clone()).unwrap_err();
        assert!(err.to_string().contains("insert_execute"), "{err}");
        assert_eq!(manager.insert_execute(&mut db.conn, rows).unwrap(), 4);
    } else {
        assert_eq!(
            manager.insert_many(&mut db.conn, rows.clone()).unwrap(),
            rows
        );
    }
    db.take_queries();
    manager
}

fn lookups_by_the_key_tuple_miss_then_hit<C: Connection + 'static>(
    db: &mut TestDb<C>,
    cache: &Cache,
) where
    Enrollment: Queries<C>,
{
    let m = setup(db, cache);
    for key in [(1, 23), (12, 3)] {
        let (first, q1) = db.counted(|c| m.get(c, key).unwrap());
        let (again, q2) = db.counted(|c| m.get(c, key).unwrap());
        assert_eq!((q1, q2), (1, 0), "{key:?}: a miss, then a hit");
        assert_eq!((first.student_id, first.course_id), key);
        assert_eq!(first, again);
    }
    assert_eq!(m.get(&mut db.conn, (1, 23)).unwrap().grade, "C");
    assert_eq!(m.get(&mut db.conn, (12, 3)).unwrap().grade, "B");
    let (missing, q) = db.counted(|c| m.find(c, (9, 9)).unwrap());
    assert_eq!((missing, q), (None, 1));
    let (_, q) = db.counted(|c| m.find(c, (9, 9)).unwrap());
    assert_eq!(q, 0, "\"not found\" is cached");
    m.insert_execute(&mut db.conn, row(9, 9, "A")).unwrap();
    assert_eq!(
        m.find(&mut db.conn, (9, 9)).unwrap(),
        Some(row(9, 9, "A")),
        "an insert invalidates cached absences"
    );
    assert!(matches!(
        m.get(&mut db.conn, (10, 1)),
        Err(Error::NotFound { .. })
    ));
}

fn batches_by_the_key_tuple_are_one_query<C: Connection + 'static>(
    db: &mut TestDb<C>,
    cache: &Cache,
) where
    Enrollment: Queries<C>,
{
    let m = setup(db, cache);
    m.get(&mut db.conn, (1, 23)).unwrap();
    let asked = vec![(12, 3), (9, 9), (1, 23), (12, 3)];
    let (found, q1) = db.counted(|c| m.find_many(c, asked.clone()).unwrap());
    let (again, q2) = db.counted(|c| m.find_many(c, asked.clone()).unwrap());
    assert_eq!(
        (q1, q2),
        (1, 0),
        "an OR of the tuples' conditions, then hits"
    );
    let keys: Vec<Option<(i32, i32)>> = found
        .iter()
        .map(|e| e.as_ref().map(|e| (e.student_id, e.course_id)))
        .collect();
    assert_eq!(keys, [Some((12, 3)), None, Some((1, 23)), Some((12, 3))]);
    assert_eq!(found, again);
    // More tuples than one query's chunk: one query per chunk.
    let many: Vec<(i32, i32)> = (0..150).map(|i| (100 + i, 1)).collect();
    let (found, q) = db.counted(|c| m.find_many(c, many.clone()).unwrap());
    assert_eq!((found.iter().flatten().count(), q), (0, 2));
}

fn lists_order_and_page_by_the_key<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    Enrollment: Queries<C>,
{
    let m = setup(db, cache);
    let keys = |rows: &[Enrollment]| -> Vec<(i32, i32)> {
        rows.iter().map(|r| (r.student_id, r.course_id)).collect()
    };
    let all = m.all(&mut db.conn, None, Default::default()).unwrap();
    assert_eq!(
        keys(&all),
        [(1, 10), (1, 23), (2, 10), (12, 3)],
        "key order"
    );
    let (_, q) = db.counted(|c| m.all(c, None, Default::default()).unwrap());
    assert_eq!(q, 0);
    let one = EnrollmentFilter::default().student_id(1);
    assert_eq!(
        keys(&m.all(&mut db.conn, None, one.clone()).unwrap()),
        [(1, 10), (1, 23)]
    );
    let by_grade = EnrollmentFilter::default().order_by(EnrollmentOrder::GradeDesc);
    assert_eq!(
        keys(&m.all(&mut db.conn, None, by_grade.clone()).unwrap()),
        [(1, 23), (12, 3), (2, 10), (1, 10)],
        "grade descending, ties by the key descending"
    );
    let by_key_desc = EnrollmentFilter::default().order_by(EnrollmentOrder::StudentIdCourseIdDesc);
    assert_eq!(
        keys(&m.all(&mut db.conn, None, by_key_desc).unwrap()),
        [(12, 3), (2, 10), (1, 23), (1, 10)]
    );
    // Keyset pages of two walk every row once, in order.
    for filter in [EnrollmentFilter::default(), by_grade] {
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let mut page = filter.clone().limit(2);
            if let Some(key) = after.take() {
                page = page.after(key);
            }
            let rows = m.all(&mut db.conn, None, page).unwrap();
            let Some(last) = rows.last() else { break };
            after = Some(EnrollmentSortKey::of(last));
            seen.extend(keys(&rows));
        }
        let whole = keys(&m.all(&mut db.conn, None, filter.without_window()).unwrap());
        assert_eq!(seen, whole);
    }
    assert_eq!(m.count(&mut db.conn, None, one).unwrap(), 2);
}

fn hook_writes_invalidate_by_the_key_tuple<C: Connection + 'static>(
    db: &mut TestDb<C>,
    cache: &Cache,
) where
    Enrollment: Queries<C>,
{
    let m = setup(db, cache);
    let one = EnrollmentFilter::default().student_id(1);
    let warm = |c: &mut C| {
        (
            m.get(c, (1, 10)).unwrap(),
            m.get(c, (1, 23)).unwrap(),
            m.all(c, None, one.clone()).unwrap(),
        )
    };
    warm(&mut db.conn);
    let (updated, _) = db.counted(|c| {
        m.update(c, (1, 10), enrollments::grade.eq("B".to_string()))
            .unwrap()
    });
    assert_eq!(updated, Some(row(1, 10, "B")));
    let ((a, b, list), q) = db.counted(warm);
    assert_eq!((a.grade.as_str(), b.grade.as_str()), ("B", "C"));
    assert_eq!(list[0].grade, "B");
    // (The row is not read again where the write put it in place: every
    // store but a cluster, write_through.rs.)
    let cluster = usize::from(cache.backend().kind() == "cluster");
    assert_eq!(
        q,
        1 + cluster,
        "the list invalidated, the row put in place (or invalidated), not (1, 23)"
    );

    let saved = m.save(&mut db.conn, &row(1, 23, "A")).unwrap();
    assert_eq!(saved, Some(row(1, 23, "A")));
    assert_eq!(m.get(&mut db.conn, (1, 23)).unwrap().grade, "A");

    assert_eq!(
        m.update(&mut db.conn, (7, 7), enrollments::grade.eq("F".to_string()))
            .unwrap(),
        None
    );
    let deleted = m.delete(&mut db.conn, (1, 10)).unwrap();
    assert_eq!(deleted, Some(row(1, 10, "B")));
    assert!(m.find(&mut db.conn, (1, 10)).unwrap().is_none());
    assert_eq!(m.all(&mut db.conn, None, one.clone()).unwrap().len(), 1);
    assert_eq!(m.delete(&mut db.conn, (1, 10)).unwrap(), None);

    let n = m
        .update_where(
            &mut db.conn,
            one.clone(),
            enrollments::grade.eq("D".to_string()),
        )
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(m.get(&mut db.conn, (1, 23)).unwrap().grade, "D");
}

fn tracked_writes_invalidate_the_table<C: Connection + 'static>(db: &mut TestDb<C>, cache: &Cache)
where
    Enrollment: Queries<C>,
{
    let m = setup(db, cache);
    assert_eq!(m.get(&mut db.conn, (2, 10)).unwrap().grade, "B");
    db.conn
        .batch_execute("UPDATE enrollments SET grade = 'E' WHERE student_id = 2 AND course_id = 10")
        .unwrap();
    let (again, q) = db.counted(|c| m.get(c, (2, 10)).unwrap());
    assert_eq!((again.grade.as_str(), q), ("E", 1));
    db.conn
        .batch_execute("DELETE FROM enrollments WHERE student_id = 12")
        .unwrap();
    assert!(m.find(&mut db.conn, (12, 3)).unwrap().is_none());
}

cache_tests::matrix!(
    parts; stores;
    lookups_by_the_key_tuple_miss_then_hit,
    batches_by_the_key_tuple_are_one_query,
    lists_order_and_page_by_the_key,
    hook_writes_invalidate_by_the_key_tuple,
    tracked_writes_invalidate_the_table,
);
