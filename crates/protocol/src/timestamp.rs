//! Timestamps: decoded values carry epoch seconds (JSON number); Query/XML use ISO 8601.
//! Calendar arithmetic is the `time` crate's (the engine's too), so the emulator has one
//! date/time implementation.

use serde_json::{Number, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// The UTC date and time of `secs` seconds since the epoch; `None` out of `time`'s range
/// (years -9999..=9999).
pub fn utc(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian); `None` for a date that does
/// not exist (February 30th) or is out of `time`'s range.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?)
        .ok()?;
    Some(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
}

/// The civil date (year, month 1-12, day 1-31) of a day counted from 1970-01-01, clamped to
/// `time`'s range.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let julian = (days + UNIX_EPOCH_JULIAN_DAY).clamp(
        i64::from(time::Date::MIN.to_julian_day()),
        i64::from(time::Date::MAX.to_julian_day()),
    );
    let date = time::Date::from_julian_day(julian as i32).unwrap_or(time::Date::MIN);
    (
        i64::from(date.year()),
        i64::from(u8::from(date.month())),
        i64::from(date.day()),
    )
}

/// Parses ISO 8601 (`2024-01-02T03:04:05Z`, optional fraction, `Z`, `±hh:mm` or `±hhmm`, or no
/// offset for UTC) or epoch seconds (`1704164645`, `1704164645.5`) into epoch seconds.
pub fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return f.is_finite().then_some(f);
    }
    // RFC 3339 is ISO 8601's profile with a mandatory offset with a colon; complete the
    // other forms clients send to it.
    let (date, clock) = s.split_once(['T', 't'])?;
    if date.len() != 10 {
        return None;
    }
    let normalized = match clock.rfind(['+', '-', 'Z', 'z']) {
        Some(pos) if clock[pos..].len() == 5 && !clock[pos..].contains(':') => {
            // `+0100` -> `+01:00`
            let (c, off) = clock.split_at(pos);
            format!("{date}T{c}{}:{}", &off[..3], &off[3..])
        }
        Some(_) => format!("{date}T{clock}"),
        None => format!("{date}T{clock}Z"),
    };
    let at = OffsetDateTime::parse(&normalized, &Rfc3339).ok()?;
    Some(at.unix_timestamp() as f64 + f64::from(at.nanosecond()) / 1e9)
}

/// Epoch seconds as a JSON number: an integer when whole, else a float.
pub(crate) fn to_value(secs: f64) -> Value {
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        Value::Number((secs as i64).into())
    } else {
        Number::from_f64(secs).map_or(Value::Null, Value::Number)
    }
}

/// Formats epoch seconds as AWS does in XML: `2024-01-02T03:04:05.000Z` (millisecond precision).
/// Out of `time`'s range (years beyond 9999), the nearest representable instant.
pub fn format_iso8601(secs: f64) -> String {
    const FORMAT: &[time::format_description::FormatItem<'static>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let millis = (secs * 1000.0).round() as i128;
    let at =
        OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(if millis < 0 {
            time::PrimitiveDateTime::MIN.assume_offset(UtcOffset::UTC)
        } else {
            time::PrimitiveDateTime::MAX.assume_offset(UtcOffset::UTC)
        });
    // Written digit by digit: SNS formats one for every delivery, and `format` with a format
    // description costs several times more. Years outside 0..=9999 take the general path.
    let year = at.year();
    if !(0..=9999).contains(&year) {
        return at.format(FORMAT).unwrap_or_default();
    }
    let mut out = String::with_capacity(24);
    let mut digits = |value: u32, width: u32, after: char| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
        }
        out.push(after);
    };
    digits(year as u32, 4, '-');
    digits(u8::from(at.month()).into(), 2, '-');
    digits(at.day().into(), 2, 'T');
    digits(at.hour().into(), 2, ':');
    digits(at.minute().into(), 2, ':');
    digits(at.second().into(), 2, '.');
    digits(at.millisecond().into(), 3, 'Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(parse("2024-01-02T03:04:05Z"), Some(1_704_164_645.0));
        assert_eq!(parse("2024-01-02T04:04:05+01:00"), Some(1_704_164_645.0));
        assert_eq!(parse("2024-01-02T03:04:05.250Z"), Some(1_704_164_645.25));
        assert_eq!(parse("1704164645"), Some(1_704_164_645.0));
        assert_eq!(parse("garbage"), None);
        assert_eq!(parse("9223372036854775807-01-01T00:00:00Z"), None);
        assert_eq!(parse("2024-01-01T99999999999999999999:00:00Z"), None);
        assert_eq!(parse("2024-13-02T03:04:05Z"), None);
        assert_eq!(format_iso8601(1_704_164_645.25), "2024-01-02T03:04:05.250Z");
        assert_eq!(format_iso8601(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(parse("2024-01-02T03:04:05"), Some(1_704_164_645.0));
        assert_eq!(parse("2024-01-02T04:04:05+0100"), Some(1_704_164_645.0));
        assert_eq!(parse("2024-01-02t03:04:05z"), Some(1_704_164_645.0));
        assert_eq!(format_iso8601(-1.5), "1969-12-31T23:59:58.500Z");
        // The digit-by-digit writer agrees with the time crate's formatter across its range.
        let reference = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        let mut millis: i64 = -62_167_219_200_000; // 0000-01-01
        while millis < 253_402_300_800_000 {
            let at =
                OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap();
            let secs = millis as f64 / 1000.0;
            assert_eq!(
                format_iso8601(secs),
                at.format(reference).unwrap(),
                "{millis}"
            );
            millis += 7_777_777_777 + 1_234; // every field value over the range
        }
        assert_eq!(days_from_civil(2024, 1, 2), Some(19_724));
        assert_eq!(days_from_civil(2024, 2, 30), None);
        assert_eq!(civil_from_days(19_724), (2024, 1, 2));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
