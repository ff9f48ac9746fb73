//! chrono's timestamps and dates as integers.
//!
//! A timestamp is one integer, microseconds since the Unix epoch (what
//! PostgreSQL stores), or, when that would lose something (nanoseconds, a
//! leap second), the pair `(seconds, nanoseconds)`. A date is its day
//! number counted from 1 January of year 1.

use super::{CacheForm, FormError, FormReader, FormWriter};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

const MICROS: i64 = 1_000_000;

fn write_instant(at: &DateTime<Utc>, w: &mut FormWriter<'_>) -> Result<(), FormError> {
    let (secs, nanos) = (at.timestamp(), at.timestamp_subsec_nanos());
    let micros = (nanos < 1_000_000_000 && nanos % 1_000 == 0)
        .then(|| {
            secs.checked_mul(MICROS)?
                .checked_add(i64::from(nanos / 1_000))
        })
        .flatten();
    match micros {
        Some(micros) => {
            w.int(micros);
            Ok(())
        }
        None => {
            w.tuple(2)?;
            w.int(secs);
            w.int(i64::from(nanos));
            Ok(())
        }
    }
}

fn read_instant(r: &mut FormReader<'_>) -> Result<DateTime<Utc>, FormError> {
    let out_of_range = |what: &str| FormError::new(format!("{what}: not a timestamp chrono holds"));
    if r.at_tuple() {
        r.tuple_of(2, "a timestamp")?;
        let secs = r.int()?;
        let nanos = u32::try_from(r.int()?).map_err(|_| out_of_range("nanoseconds"))?;
        return DateTime::from_timestamp(secs, nanos).ok_or_else(|| out_of_range("seconds"));
    }
    let micros = r.int()?;
    DateTime::from_timestamp_micros(micros).ok_or_else(|| out_of_range("microseconds"))
}

impl CacheForm for DateTime<Utc> {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        write_instant(self, w)
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        read_instant(r)
    }
}

impl CacheForm for NaiveDateTime {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        write_instant(&self.and_utc(), w)
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        Ok(read_instant(r)?.naive_utc())
    }
}

impl CacheForm for NaiveDate {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        w.int(i64::from(self.num_days_from_ce()));
        Ok(())
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        let days = r.int()?;
        i32::try_from(days)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| FormError::new(format!("{days}: not a day chrono holds")))
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
        assert_eq!(packed, 11, "the binary's 2-byte header, marker + 8 bytes");
        // The form itself (without the binary's header) against the text.
        assert!((packed - 2) * 3 <= text, "{packed} vs {text}");
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
        fn form_of<T: serde::Serialize>(value: &T) -> Vec<u8> {
            crate::form::tests::as_form_bytes(&rmp_serde::to_vec(value).unwrap())
        }
        let too_late = form_of(&i64::MAX);
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&too_late).is_err());
        let huge = form_of(&u64::MAX);
        assert!(rmp_serde::from_slice::<Form<DateTime<Utc>>>(&huge).is_err());
        let bad_nanos = form_of(&(0i64, 3_000_000_000u32));
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&bad_nanos).is_err());
        let bad_day = form_of(&i64::MAX);
        assert!(rmp_serde::from_slice::<Form<NaiveDate>>(&bad_day).is_err());
        let text = form_of(&"2024-05-06T07:08:09");
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&text).is_err());
        // The same integers in range do decode: the errors above are the
        // ranges', not the wrapping's.
        assert!(rmp_serde::from_slice::<Form<NaiveDate>>(&form_of(&738_000i64)).is_ok());
        assert!(rmp_serde::from_slice::<Form<NaiveDateTime>>(&form_of(&(0i64, 5u32))).is_ok());
    }
}
