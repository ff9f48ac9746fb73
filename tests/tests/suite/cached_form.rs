//! The form `#[derive(Cached)]` caches rows in: chrono fields as integers,
//! exact to the nanosecond, read back equal through both caches; the model's
//! own serde output (RFC 3339 text) never reaches the cache. (`DateTime<Utc>`
//! has no column type common to SQLite and PostgreSQL; its form is covered
//! by cache-diesel's unit tests.)

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
    let Some(url) = services::redis_url() else {
        return;
    };
    let cache = env::cache_with_prefix(&url, "form_redis");
    round_trips(cache.clone());
    cache.clear().unwrap();
}
