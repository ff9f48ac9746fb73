//! chrono's timestamps and dates as integers.
//!
//! A timestamp is one integer, microseconds since the Unix epoch (what
//! PostgreSQL stores), or, when that would lose something (nanoseconds, a
//! leap second), the pair `(seconds, nanoseconds)`. A date is its day
//! number counted from 1 January of year 1.

use super::CacheForm;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

const MICROS: i64 = 1_000_000;

fn write_instant<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let (secs, nanos) = (at.timestamp(), at.timestamp_subsec_nanos());
    let micros = (nanos < 1_000_000_000 && nanos % 1_000 == 0)
        .then(|| {
            secs.checked_mul(MICROS)?
                .checked_add(i64::from(nanos / 1_000))
        })
        .flatten();
    match micros {
        Some(micros) => serializer.serialize_i64(micros),
        None => serde::Serialize::serialize(&(secs, nanos), serializer),
    }
}

struct Instant;

impl<'de> Visitor<'de> for Instant {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("microseconds since the epoch, or (seconds, nanoseconds)")
    }

    fn visit_i64<E: de::Error>(self, micros: i64) -> Result<Self::Value, E> {
        DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(micros), &self))
    }

    fn visit_u64<E: de::Error>(self, micros: u64) -> Result<Self::Value, E> {
        let signed = i64::try_from(micros)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(micros), &self))?;
        self.visit_i64(signed)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let secs: i64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let nanos: u32 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Signed(secs), &self))
    }
}

impl CacheForm for DateTime<Utc> {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_instant(self, serializer)
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Instant)
    }
}

impl CacheForm for NaiveDateTime {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_instant(&self.and_utc(), serializer)
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(deserializer.deserialize_any(Instant)?.naive_utc())
    }
}

struct Day;

impl<'de> Visitor<'de> for Day {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a day number from the common era")
    }

    fn visit_i64<E: de::Error>(self, days: i64) -> Result<NaiveDate, E> {
        i32::try_from(days)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Signed(days), &self))
    }

    fn visit_u64<E: de::Error>(self, days: u64) -> Result<NaiveDate, E> {
        let signed = i64::try_from(days)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(days), &self))?;
        self.visit_i64(signed)
    }
}

impl CacheForm for NaiveDate {
    fn serialize_form<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use chrono::Datelike;
        serializer.serialize_i32(self.num_days_from_ce())
    }

    fn deserialize_form<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_i64(Day)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Form, FormRef};
    use super::*;
    use chrono::{NaiveTime, TimeDelta};

    fn round_trip<T: CacheForm>(value: &T) -> (T, usize) {
        let bytes = rmp_serde::to_vec(&FormRef(value)).unwrap();
        let back: Form<T> = rmp_serde::from_slice(&bytes).unwrap();
        (back.0, bytes.len())
    }

    fn naive(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn timestamps_round_trip_exactly() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_time(NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap());
        for value in [
            naive("2024-05-06T07:08:09"),
            naive("2024-05-06T07:08:09.123456"),
            naive("2024-05-06T07:08:09.123456789"),
            naive("1969-12-31T23:59:59.999999"),
            naive("1900-01-01T00:00:00.000000001"),
            leap,
            NaiveDateTime::MIN,
            NaiveDateTime::MAX,
            DateTime::UNIX_EPOCH.naive_utc(),
        ] {
            assert_eq!(round_trip(&value).0, value, "{value:?}");
            let utc = value.and_utc();
            assert_eq!(round_trip(&utc).0, utc, "{utc:?}");
        }
    }

    #[test]
    fn microsecond_timestamps_are_one_short_integer() {
        let value = naive("2024-05-06T07:08:09.123456");
        let text = rmp_serde::to_vec(&value).unwrap().len();
        let (_, packed) = round_trip(&value);
        assert_eq!(packed, 9, "marker + 8 bytes");
        assert!(packed * 3 <= text, "{packed} vs {text}");
    }

    #[test]
    fn dates_and_options_round_trip() {
        for date in [
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
        ] {
            assert_eq!(round_trip(&date).0, date);
        }
        let some = Some(naive("2024-05-06T07:08:09") + TimeDelta::nanoseconds(7));
        assert_eq!(round_trip(&some).0, some);
        assert_eq!(round_trip(&None::<NaiveDateTime>).0, None);
        let list = vec![Some(NaiveDate::MIN), None];
        assert_eq!(round_trip(&list).0, list);
    }

    #[test]
    fn out_of_range_integers_are_errors_not_wrong_values() {
        let too_late = rmp_serde::to_vec(&i64::MAX).unwrap();
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&too_late).is_err());
        let huge = rmp_serde::to_vec(&u64::MAX).unwrap();
        assert!(rmp_serde::from_slice::<Form<DateTime<Utc>>>(&huge).is_err());
        let bad_nanos = rmp_serde::to_vec(&(0i64, 3_000_000_000u32)).unwrap();
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&bad_nanos).is_err());
        let bad_day = rmp_serde::to_vec(&i64::MAX).unwrap();
        assert!(rmp_serde::from_slice::<Form<NaiveDate>>(&bad_day).is_err());
        let text = rmp_serde::to_vec("2024-05-06T07:08:09").unwrap();
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&text).is_err());
    }
}
