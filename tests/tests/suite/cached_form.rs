//! The form `#[derive(Cached)]` caches rows in: chrono fields as integers,
//! exact to the nanosecond, read back equal through both caches; the model's
//! own serde output (RFC 3339 text) never reaches the cache. (`DateTime<Utc>`
//! has no column type common to SQLite and PostgreSQL; its form is covered
//! by cache-diesel's unit tests.) Integers, texts and booleans, which have
//! forms of their own, at their edges, beside floats and bytes (their own
//! serde), read back as the database holds them.

use cache_diesel::{Cache, Cached};
use cache_tests::{env, services};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! {
    form_events (id) {
        id -> Integer,
        title -> Text,
        at -> Timestamp,
        maybe_at -> Nullable<Timestamp>,
        day -> Date,
        note -> Nullable<Text>,
    }
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = form_events)]
#[cache(list_timeout = 600, detail_timeout = 600)]
pub struct FormEvent {
    pub id: i32,
    pub title: String,
    pub at: NaiveDateTime,
    pub maybe_at: Option<NaiveDateTime>,
    pub day: NaiveDate,
    pub note: Option<String>,
}

fn rows() -> Vec<FormEvent> {
    let at: NaiveDateTime = "2024-05-06T07:08:09.123456789".parse().unwrap();
    vec![
        FormEvent {
            id: 1,
            title: "nanoseconds".into(),
            at,
            maybe_at: Some(at),
            day: at.date(),
            note: None,
        },
        FormEvent {
            id: 2,
            title: "whole seconds, before 1970".into(),
            at: "1969-07-20T20:17:40".parse().unwrap(),
            maybe_at: None,
            day: NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            note: Some("2024-01-01T00:00:00".into()),
        },
    ]
}

fn setup() -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE form_events (id INTEGER PRIMARY KEY, title TEXT NOT NULL, \
         at TIMESTAMP NOT NULL, maybe_at TIMESTAMP, \
         day DATE NOT NULL, note TEXT)",
    )
    .unwrap();
    diesel::insert_into(form_events::table)
        .values(rows())
        .execute(&mut conn)
        .unwrap();
    conn
}

fn round_trips(cache: Cache) {
    let mut conn = setup();
    let events = FormEventCache::new(cache.clone());
    let expected = rows();
    // A miss and its fill; the entry's bytes, read before a hit decodes
    // them (the in-process store then holds the value decoded only).
    assert_eq!(events.get(&mut conn, 1).unwrap(), expected[0]);
    let stored = cache
        .backend()
        .get(&events.detail_key(&FormEventUnique::Id(1)))
        .unwrap()
        .expect("the detail entry");
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains("nanoseconds"), "the title is in the entry");
    assert!(
        !text.contains("2024-05-06"),
        "timestamps are integers, not text: {text:?}"
    );
    for _ in 0..3 {
        // hits (decoded from the bytes, then kept), and misses and fills
        assert_eq!(events.get(&mut conn, 1).unwrap(), expected[0]);
        assert_eq!(events.get(&mut conn, 2).unwrap(), expected[1]);
        assert_eq!(
            events.all(&mut conn, None, Default::default()).unwrap(),
            expected
        );
    }
    assert!(events.stats().hits >= 6, "{:?}", events.stats());
}

#[test]
fn rows_round_trip_exactly_through_the_in_process_cache() {
    round_trips(env::cache_with_prefix("memory://", "form_memory"));
}

#[test]
fn rows_round_trip_exactly_through_redis() {
    through_redis("form_redis", round_trips);
}

/// Runs `test` over the shared Redis under its own `prefix`, then clears
/// that prefix (skipped where Redis is not set up).
fn through_redis(prefix: &str, test: fn(Cache)) {
    let Some(url) = services::redis_url() else {
        return;
    };
    let cache = env::cache_with_prefix(&url, prefix);
    test(cache.clone());
    cache.clear().unwrap();
}

diesel::table! {
    form_scalars (id) {
        id -> BigInt,
        small -> SmallInt,
        maybe_small -> Nullable<SmallInt>,
        ratio -> Double,
        weight -> Float,
        blob -> Binary,
        flag -> Bool,
        text -> Text,
    }
}

/// Every field type with a form of its own (integers, texts, booleans)
/// at its edges, beside types that go through their own serde (floats,
/// bytes).
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = form_scalars)]
#[cache(list_timeout = 600, detail_timeout = 600)]
pub struct FormScalar {
    pub id: i64,
    pub small: i16,
    pub maybe_small: Option<i16>,
    pub ratio: f64,
    pub weight: f32,
    pub blob: Vec<u8>,
    pub flag: bool,
    pub text: String,
}

fn scalar_rows() -> Vec<FormScalar> {
    vec![
        FormScalar {
            id: 1,
            small: i16::MIN,
            maybe_small: Some(i16::MAX),
            ratio: -0.0,
            weight: f32::MAX,
            blob: vec![],
            flag: true,
            text: String::new(),
        },
        FormScalar {
            id: i64::MAX,
            small: -1,
            maybe_small: None,
            ratio: f64::MIN_POSITIVE,
            weight: -1.5,
            blob: (0..=255).collect(),
            flag: false,
            text: "ünï € 𝄞 ".repeat(40),
        },
    ]
}

/// The rows read back equal: a miss, then hits (decoded from the entry's
/// bytes on Redis), one by one and as a list.
fn scalars_round_trip(cache: Cache) {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE form_scalars (id INTEGER PRIMARY KEY, small SMALLINT NOT NULL, \
         maybe_small SMALLINT, ratio DOUBLE NOT NULL, weight FLOAT NOT NULL, \
         blob BLOB NOT NULL, flag BOOLEAN NOT NULL, text TEXT NOT NULL)",
    )
    .unwrap();
    diesel::insert_into(form_scalars::table)
        .values(scalar_rows())
        .execute(&mut conn)
        .unwrap();
    // What the database holds (SQLite keeps -0.0 as 0): the floor.
    let expected: Vec<FormScalar> = form_scalars::table
        .order(form_scalars::id)
        .select(FormScalar::as_select())
        .load(&mut conn)
        .unwrap();
    assert_eq!(expected.len(), 2);
    assert_eq!(expected[1].blob.len(), 256);
    let scalars = FormScalarCache::new(cache);
    for _ in 0..3 {
        for row in &expected {
            let got = scalars.get(&mut conn, row.id).unwrap();
            assert_eq!(got, *row);
            // -0.0 == 0.0: the sign is compared apart.
            assert_eq!(got.ratio.is_sign_negative(), row.ratio.is_sign_negative());
        }
        assert_eq!(
            scalars.all(&mut conn, None, Default::default()).unwrap(),
            expected
        );
    }
    assert!(scalars.stats().hits >= 6, "{:?}", scalars.stats());
}

#[test]
fn scalar_fields_round_trip_exactly_through_the_in_process_cache() {
    scalars_round_trip(env::cache_with_prefix("memory://", "form_scalars_memory"));
}

#[test]
fn scalar_fields_round_trip_exactly_through_redis() {
    through_redis("form_scalars_redis", scalars_round_trip);
}
