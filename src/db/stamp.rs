//! Reading timestamps without trying formats one after the other.
//!
//! diesel reads an SQLite timestamp (text) by trying `time` format
//! descriptions in turn, three of them for a whole-second value; under W1
//! (bench/run) that was 10 % of the server's CPU. Every timestamp Guildhall
//! stores is `YYYY-MM-DD HH:MM:SS` with an optional fraction (diesel's own
//! writing, SQLite's CURRENT_TIMESTAMP, the seed), so [`parse`] reads that
//! layout directly; anything else is an error, not a guess. PostgreSQL
//! sends timestamps in binary and keeps diesel's reading.
//!
//! Models opt in per field: `#[diesel(deserialize_as = Stamp)]` on a
//! `PrimitiveDateTime`, `MaybeStamp` on an `Option<PrimitiveDateTime>`.

use super::conn::MultiBackend;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::sql_types::{Nullable, Timestamp};
use time::PrimitiveDateTime;

/// `t` cut to whole milliseconds: it reads back equal on both backends,
/// so it can mark a claim (a lease) that an UPDATE later matches.
pub fn whole_millis(t: PrimitiveDateTime) -> PrimitiveDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap_or(t)
}

#[derive(diesel::deserialize::FromSqlRow)]
pub struct Stamp(PrimitiveDateTime);

#[derive(diesel::deserialize::FromSqlRow)]
pub struct MaybeStamp(Option<PrimitiveDateTime>);

impl From<Stamp> for PrimitiveDateTime {
    fn from(s: Stamp) -> Self {
        s.0
    }
}

impl From<MaybeStamp> for Option<PrimitiveDateTime> {
    fn from(s: MaybeStamp) -> Self {
        s.0
    }
}

/// `YYYY-MM-DD HH:MM:SS` (or `T` between), optionally `.` and 1–9 digits.
#[cfg(any(feature = "sqlite", test))]
pub fn parse(s: &str) -> Option<PrimitiveDateTime> {
    use time::{Date, Month, Time};
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range.clone())?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20..b.len())?;
            n * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let month = Month::try_from(u8::try_from(num(5..7)?).ok()?).ok()?;
    let date = Date::from_calendar_date(num(0..4)? as i32, month, num(8..10)? as u8).ok()?;
    let time = Time::from_hms_nano(
        num(11..13)? as u8,
        num(14..16)? as u8,
        num(17..19)? as u8,
        nanos,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

#[cfg(feature = "sqlite")]
impl FromSql<Timestamp, diesel::sqlite::Sqlite> for Stamp {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // Borrowed from SQLite's row: no String per timestamp.
        let text = value.read_text();
        parse(text)
            .map(Stamp)
            .ok_or_else(|| format!("not a timestamp Guildhall writes: {text:?}").into())
    }
}

#[cfg(feature = "postgres")]
impl FromSql<Timestamp, diesel::pg::Pg> for Stamp {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <PrimitiveDateTime as FromSql<Timestamp, diesel::pg::Pg>>::from_sql(value).map(Stamp)
    }
}

/// Through `DbConn` (MultiConnection): the backend's own reading.
impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

impl<DB> FromSql<Nullable<Timestamp>, DB> for MaybeStamp
where
    DB: Backend,
    Stamp: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Stamp::from_sql(value).map(|s| MaybeStamp(Some(s.0)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(v) => Self::from_sql(v),
            None => Ok(MaybeStamp(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use time::macros::datetime;

    #[test]
    fn reads_the_layouts_guildhall_writes() {
        for (text, want) in [
            ("2026-11-30 17:05:09", datetime!(2026-11-30 17:05:09)),
            ("2026-11-30T17:05:09", datetime!(2026-11-30 17:05:09)),
            (
                "2026-11-30 17:05:09.123456",
                datetime!(2026-11-30 17:05:09.123456),
            ),
            ("2026-01-01 00:00:00.5", datetime!(2026-01-01 00:00:00.5)),
            (
                "2026-01-01 00:00:00.000000001",
                datetime!(2026-01-01 00:00:00.000000001),
            ),
        ] {
            assert_eq!(parse(text), Some(want), "{text}");
        }
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "2026-11-30",
            "2026-11-30 17:05",
            "2026-13-01 00:00:00",
            "2026-02-30 00:00:00",
            "2026-11-30 24:00:00",
            "2026-11-30 17:05:09.",
            "2026-11-30 17:05:09.1234567890",
            "2026-11-30 17:05:09Z",
            "2026-11-30 17:05:09+01:00",
            "2026-11-3x 17:05:09",
            "2460645.5",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    /// The same values diesel's own (slower) reading gives.
    #[cfg(feature = "sqlite")]
    #[test]
    fn agrees_with_diesel_on_sqlite() {
        use super::{MaybeStamp, Stamp};
        use diesel::prelude::*;
        use diesel::sql_types::{Nullable, Timestamp};
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        for text in [
            "2026-11-30 17:05:09",
            "2026-11-30 17:05:09.250000",
            "1999-12-31 23:59:59.999",
        ] {
            let q = diesel::dsl::sql::<Timestamp>(&format!("'{text}'"));
            let ours: time::PrimitiveDateTime = diesel::select(q.clone())
                .get_result::<Stamp>(&mut c)
                .unwrap()
                .into();
            let theirs: time::PrimitiveDateTime = diesel::select(q).get_result(&mut c).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
        let none: Option<time::PrimitiveDateTime> =
            diesel::select(diesel::dsl::sql::<Nullable<Timestamp>>("NULL"))
                .get_result::<MaybeStamp>(&mut c)
                .unwrap()
                .into();
        assert_eq!(none, None);
    }
}
