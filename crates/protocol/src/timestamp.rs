//! Timestamps: decoded values carry epoch seconds (JSON number); Query/XML use ISO 8601.
//! The calendar helpers here serve every place that prints a date by hand.

use serde_json::{Number, Value};

/// Days since 1970-01-01 of a civil date (proleptic Gregorian), H. Hinnant's algorithm.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day counted from 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses ISO 8601 (`2024-01-02T03:04:05Z`, optional fraction, `Z` or `±hh:mm`) or epoch
/// seconds (`1704164645`, `1704164645.5`) into epoch seconds.
pub fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return f.is_finite().then_some(f);
    }
    let (date, time) = s.split_once(['T', 't'])?;
    let mut dp = date.splitn(3, '-');
    let year = dp.next()?;
    if year.len() != 4 {
        return None;
    }
    let (y, mo, d) = (num(year)?, num(dp.next()?)?, num(dp.next()?)?);
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(pos) = time.rfind(['+', '-']) {
        let (c, off) = time.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let off = &off[1..];
        let (oh, om) = off
            .split_once(':')
            .unwrap_or((off.get(..2)?, off.get(2..)?));
        (c, sign * (num(oh)? * 3600 + num(om)? * 60))
    } else {
        (time, 0)
    };
    let mut cp = clock.splitn(3, ':');
    let (h, mi) = (num(cp.next()?)?, num(cp.next()?)?);
    let sec_s = cp.next()?;
    let (whole, frac) = sec_s.split_once('.').unwrap_or((sec_s, ""));
    let sec = num(whole)?;
    let frac: f64 = if frac.is_empty() {
        0.0
    } else {
        num(frac)?;
        format!("0.{frac}").parse().ok()?
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec - offset) as f64 + frac)
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
pub fn format_iso8601(secs: f64) -> String {
    let millis_total = (secs * 1000.0).round() as i64;
    let secs_total = millis_total.div_euclid(1000);
    let millis = millis_total.rem_euclid(1000);
    let days = secs_total.div_euclid(86_400);
    let rem = secs_total.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
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
    }
}
