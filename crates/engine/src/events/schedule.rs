//! EventBridge `ScheduleExpression`s: `rate(value unit)` and `cron(fields)`, as `PutRule`
//! validates them, and when a rule with such a schedule fires.
//!
//! The grammar follows the EventBridge user guide ("Cron expressions reference", "Rate
//! expressions reference"). AWS answers every malformed expression with the same
//! `ValidationException`, "Parameter ScheduleExpression is not valid."; the variants of
//! [`ScheduleError`] only say which rule was broken, for logs and tests.
//!
//! EventBridge cron is the Quartz dialect with the seconds field dropped: six fields
//! `Minutes Hours Day-of-month Month Day-of-week Year`, day-of-week `1`=SUN..`7`=SAT, exactly
//! one of the two day fields is `?`, and the day fields know `L`, `W` and `#`. All times are UTC
//! and the granularity is one minute: a cron rule fires at second 0 of each matching minute.
//!
//! Finding the next firing never walks minute by minute: it jumps to the next matching year,
//! month, day, hour and minute with bit masks, so the cost is bounded by the number of months
//! in the year range (1970-2199), not by the distance to the next firing.

use time::{Date, Month, PrimitiveDateTime, Time};

const MS_PER_MINUTE: u64 = 60_000;
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2199;

/// A parsed `ScheduleExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `rate(value unit)`: every `value` units, counted from when the schedule was set.
    Rate(Rate),
    /// `cron(...)`: at the matching minutes, UTC.
    Cron(Cron),
}

/// Why an expression was rejected. Every variant displays as AWS's one message,
/// "Parameter ScheduleExpression is not valid."
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Neither `rate(...)` nor `cron(...)` (prefix, parentheses or case wrong).
    #[error("Parameter ScheduleExpression is not valid.")]
    NotRateOrCron,
    /// A rate without exactly `value unit` separated by one space.
    #[error("Parameter ScheduleExpression is not valid.")]
    RateSyntax,
    /// A rate value that is not a positive integer (or too large to count in milliseconds).
    #[error("Parameter ScheduleExpression is not valid.")]
    RateValue,
    /// A rate unit that is unknown, or singular/plural not matching the value.
    #[error("Parameter ScheduleExpression is not valid.")]
    RateUnit,
    /// A cron expression without exactly six fields.
    #[error("Parameter ScheduleExpression is not valid.")]
    CronFieldCount,
    /// A cron field that does not parse, or has a value or increment out of its range.
    #[error("Parameter ScheduleExpression is not valid.")]
    CronField(CronFieldName),
    /// Day-of-month and day-of-week both `?`, or neither `?`.
    #[error("Parameter ScheduleExpression is not valid.")]
    CronDayFields,
}

/// The six fields of a cron expression, for [`ScheduleError::CronField`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CronFieldName {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

/// The unit of a rate expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    Minute,
    Hour,
    Day,
}

impl RateUnit {
    fn ms(self) -> u64 {
        match self {
            RateUnit::Minute => MS_PER_MINUTE,
            RateUnit::Hour => 60 * MS_PER_MINUTE,
            RateUnit::Day => 24 * 60 * MS_PER_MINUTE,
        }
    }
}

/// `rate(value unit)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    value: u64,
    unit: RateUnit,
    period_ms: u64,
}

impl Rate {
    /// The number of units between two firings.
    pub fn value(&self) -> u64 {
        self.value
    }

    pub fn unit(&self) -> RateUnit {
        self.unit
    }

    /// The time between two firings.
    pub fn period_ms(&self) -> u64 {
        self.period_ms
    }

    /// Fires at `anchor + period`, `anchor + 2 * period`, ...: a rate expression "starts when
    /// you create the scheduled event rule".
    fn next_fire_after(&self, after_ms: u64, anchor_ms: u64) -> Option<u64> {
        let periods = if after_ms < anchor_ms {
            1
        } else {
            (after_ms - anchor_ms) / self.period_ms + 1
        };
        periods
            .checked_mul(self.period_ms)
            .and_then(|offset| anchor_ms.checked_add(offset))
    }
}

/// `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, compiled to bit masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// Bit `m` set: minute `m` (0-59) matches.
    minutes: u64,
    /// Bit `h` set: hour `h` (0-23) matches.
    hours: u64,
    /// Which days of a month match.
    days: DaySpec,
    /// Bit `m` set: month `m` (1-12) matches.
    months: u64,
    /// Bit `y - 1970` set: year `y` matches.
    years: [u64; 4],
}

/// The day part of a cron expression: exactly one of the two day fields is not `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DaySpec {
    /// Bit `d` set: day-of-month `d` (1-31) matches (when the month has it).
    MonthDays(u64),
    /// `L` in day-of-month: the last day of the month.
    LastDayOfMonth,
    /// `LW`: the last weekday (Monday-Friday) of the month.
    LastWeekdayOfMonth,
    /// `nW`: the weekday nearest to day `n`, without leaving the month.
    NearestWeekday(u8),
    /// Bit `w` set: day-of-week `w` (1 = Sunday .. 7 = Saturday) matches.
    WeekDays(u64),
    /// `wL` (or `L` alone, meaning Saturday): the last day-of-week `w` of the month.
    LastWeekDayOfMonth(u8),
    /// `w#k`: the `k`-th (1-5) day-of-week `w` of the month.
    NthWeekDay { weekday: u8, nth: u8 },
}

impl Schedule {
    /// Parses and validates as PutRule does (AWS's messages in ScheduleError's Display).
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        if let Some(inner) = strip_call(expression, "rate(") {
            parse_rate(inner).map(Schedule::Rate)
        } else if let Some(inner) = strip_call(expression, "cron(") {
            parse_cron(inner).map(Schedule::Cron)
        } else {
            Err(ScheduleError::NotRateOrCron)
        }
    }

    /// The first time strictly after `after_ms` (ms since epoch, UTC) at which the rule fires.
    /// `anchor_ms` is when the rule was created/last had its schedule set (rate schedules count
    /// from it). None if it never fires again (e.g. cron with a past year only).
    pub fn next_fire_after(&self, after_ms: u64, anchor_ms: u64) -> Option<u64> {
        match self {
            Schedule::Rate(rate) => rate.next_fire_after(after_ms, anchor_ms),
            Schedule::Cron(cron) => cron.next_fire_after(after_ms),
        }
    }
}

/// `prefix...)` → the text between the parentheses. No surrounding white space is allowed
/// (AWS rejects `" rate(10 minutes)"`).
fn strip_call<'a>(expression: &'a str, prefix: &str) -> Option<&'a str> {
    expression.strip_prefix(prefix)?.strip_suffix(')')
}

fn parse_rate(inner: &str) -> Result<Rate, ScheduleError> {
    // Exactly `value unit`: AWS rejects `rate( 10 minutes )`, `rate(10)` and `rate()`.
    let (value, unit) = inner.split_once(' ').ok_or(ScheduleError::RateSyntax)?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ScheduleError::RateValue);
    }
    let value: u64 = value.parse().map_err(|_| ScheduleError::RateValue)?;
    if value == 0 {
        return Err(ScheduleError::RateValue);
    }
    let unit = match (unit, value == 1) {
        ("minute", true) | ("minutes", false) => RateUnit::Minute,
        ("hour", true) | ("hours", false) => RateUnit::Hour,
        ("day", true) | ("days", false) => RateUnit::Day,
        _ => return Err(ScheduleError::RateUnit),
    };
    let period_ms = value
        .checked_mul(unit.ms())
        .ok_or(ScheduleError::RateValue)?;
    Ok(Rate {
        value,
        unit,
        period_ms,
    })
}

fn parse_cron(inner: &str) -> Result<Cron, ScheduleError> {
    // Fields are separated by white space; none may lead or trail inside the parentheses.
    if inner.starts_with(char::is_whitespace) || inner.ends_with(char::is_whitespace) {
        return Err(ScheduleError::CronFieldCount);
    }
    let fields: Vec<String> = inner.split_whitespace().map(skip_empty_items).collect();
    let [minutes, hours, day_of_month, month, day_of_week, year] = &fields[..] else {
        return Err(ScheduleError::CronFieldCount);
    };
    let minutes = parse_field(minutes, &MINUTES)?;
    let hours = parse_field(hours, &HOURS)?;
    let months = parse_field(month, &MONTHS)?;
    let year_mask = parse_field(year, &YEARS)?;
    let days = match (day_of_month.as_str(), day_of_week.as_str()) {
        ("?", "?") => return Err(ScheduleError::CronDayFields),
        (dom, "?") => parse_day_of_month(dom)?,
        ("?", dow) => parse_day_of_week(dow)?,
        _ => return Err(ScheduleError::CronDayFields),
    };
    Ok(Cron {
        minutes: mask_u64(&minutes),
        hours: mask_u64(&hours),
        days,
        months: mask_u64(&months) << 1,
        years: year_mask,
    })
}

/// A field with its empty `,`-separated items dropped: like Quartz, AWS reads `0/5,` as `0/5`
/// (it accepts `cron(0/5, 9-18, ?, *, MON-FRI, *)`, aws/aws-sdk#161). A field left empty
/// (`,`) fails to parse later.
fn skip_empty_items(field: &str) -> String {
    field
        .split(',')
        .filter(|item| !item.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// The range, names and increment limit of one numeric cron field.
struct FieldSpec {
    name: CronFieldName,
    min: u16,
    max: u16,
    /// `JAN`..`DEC` or `SUN`..`SAT`, standing for `min`, `min + 1`, ...
    names: &'static [&'static str],
    /// The largest increment after `/` (Quartz's limits: `*/60` in minutes is rejected).
    max_increment: u16,
    /// Whether `a-b` with `a > b` wraps around (`22-2` hours, `FRI-MON`); not for years.
    wraps: bool,
}

const MONTH_NAMES: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const MINUTES: FieldSpec = FieldSpec {
    name: CronFieldName::Minutes,
    min: 0,
    max: 59,
    names: &[],
    max_increment: 59,
    wraps: true,
};
const HOURS: FieldSpec = FieldSpec {
    name: CronFieldName::Hours,
    min: 0,
    max: 23,
    names: &[],
    max_increment: 23,
    wraps: true,
};
const DAYS_OF_MONTH: FieldSpec = FieldSpec {
    name: CronFieldName::DayOfMonth,
    min: 1,
    max: 31,
    names: &[],
    max_increment: 31,
    wraps: true,
};
const MONTHS: FieldSpec = FieldSpec {
    name: CronFieldName::Month,
    min: 1,
    max: 12,
    names: &MONTH_NAMES,
    max_increment: 12,
    wraps: true,
};
const DAYS_OF_WEEK: FieldSpec = FieldSpec {
    name: CronFieldName::DayOfWeek,
    min: 1,
    max: 7,
    names: &DAY_NAMES,
    max_increment: 7,
    wraps: true,
};
const YEARS: FieldSpec = FieldSpec {
    name: CronFieldName::Year,
    min: FIRST_YEAR as u16,
    max: LAST_YEAR as u16,
    names: &[],
    max_increment: LAST_YEAR as u16 - FIRST_YEAR as u16,
    wraps: false,
};

/// The set of values of a field as a bit set over `value - spec.min` (at most 256 values).
type ValueSet = [u64; 4];

fn mask_u64(set: &ValueSet) -> u64 {
    set[0]
}

fn insert(set: &mut ValueSet, offset: u16) {
    set[usize::from(offset / 64)] |= 1 << (offset % 64);
}

fn contains(set: &ValueSet, offset: u16) -> bool {
    set[usize::from(offset / 64)] & (1 << (offset % 64)) != 0
}

/// A field made of `,`-separated items, each `*`, `v`, `a-b`, with an optional `/step`
/// (`*/s`, `v/s`, `a-b/s`). The returned set is over `value - spec.min`; for the fields
/// starting at 0 it is directly the bit mask of values.
fn parse_field(field: &str, spec: &FieldSpec) -> Result<ValueSet, ScheduleError> {
    let bad = ScheduleError::CronField(spec.name);
    let mut set = [0; 4];
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(parse_increment(step, spec).ok_or(bad)?)),
            None => (item, None),
        };
        let (start, end) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = parse_value(a, spec).ok_or(bad)?;
            let b = parse_value(b, spec).ok_or(bad)?;
            if a > b && !spec.wraps {
                return Err(bad);
            }
            (a, b)
        } else {
            let v = parse_value(range, spec).ok_or(bad)?;
            // `v/s` runs from v to the end of the range; a lone `v` is just v.
            (v, if step.is_some() { spec.max } else { v })
        };
        let len = spec.max - spec.min + 1;
        let span = if end >= start {
            end - start
        } else {
            end + len - start
        };
        let step = step.unwrap_or(1);
        let mut offset = 0;
        while offset <= span {
            insert(&mut set, (start - spec.min + offset) % len);
            offset += step;
        }
    }
    Ok(set)
}

/// A number in the field's range, or one of its names (`JAN`, `MON`; any case).
fn parse_value(text: &str, spec: &FieldSpec) -> Option<u16> {
    if let Some(index) = spec
        .names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
    {
        return u16::try_from(index).ok().map(|i| spec.min + i);
    }
    let value = parse_number(text)?;
    (spec.min..=spec.max).contains(&value).then_some(value)
}

fn parse_increment(text: &str, spec: &FieldSpec) -> Option<u16> {
    let step = parse_number(text)?;
    (1..=spec.max_increment).contains(&step).then_some(step)
}

/// Decimal digits only (no sign, no spaces), at most 4 of them.
fn parse_number(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn parse_day_of_month(field: &str) -> Result<DaySpec, ScheduleError> {
    let bad = ScheduleError::CronField(CronFieldName::DayOfMonth);
    if field.eq_ignore_ascii_case("L") {
        return Ok(DaySpec::LastDayOfMonth);
    }
    if field.eq_ignore_ascii_case("LW") {
        return Ok(DaySpec::LastWeekdayOfMonth);
    }
    if let Some(day) = field.strip_suffix('W').or_else(|| field.strip_suffix('w')) {
        // `W` takes a single day, not a list or range.
        let day = parse_value(day, &DAYS_OF_MONTH).ok_or(bad)?;
        return u8::try_from(day)
            .map(DaySpec::NearestWeekday)
            .map_err(|_| ScheduleError::CronField(CronFieldName::DayOfMonth));
    }
    parse_field(field, &DAYS_OF_MONTH).map(|set| DaySpec::MonthDays(mask_u64(&set) << 1))
}

fn parse_day_of_week(field: &str) -> Result<DaySpec, ScheduleError> {
    let bad = ScheduleError::CronField(CronFieldName::DayOfWeek);
    if field.eq_ignore_ascii_case("L") {
        return Ok(DaySpec::LastWeekDayOfMonth(7));
    }
    if let Some((weekday, nth)) = field.split_once('#') {
        // One expression only: `3#1,6#3` is rejected.
        let weekday = parse_weekday(weekday).ok_or(bad)?;
        let nth = parse_number(nth)
            .filter(|n| (1..=5).contains(n))
            .and_then(|n| u8::try_from(n).ok())
            .ok_or(bad)?;
        return Ok(DaySpec::NthWeekDay { weekday, nth });
    }
    if let Some(weekday) = field.strip_suffix('L').or_else(|| field.strip_suffix('l')) {
        return parse_weekday(weekday)
            .map(DaySpec::LastWeekDayOfMonth)
            .ok_or(bad);
    }
    if field.contains('/') {
        // Day-of-week takes `, - * ? L #` only.
        return Err(bad);
    }
    parse_field(field, &DAYS_OF_WEEK).map(|set| DaySpec::WeekDays(mask_u64(&set) << 1))
}

fn parse_weekday(text: &str) -> Option<u8> {
    parse_value(text, &DAYS_OF_WEEK).and_then(|w| u8::try_from(w).ok())
}

/// The lowest set bit of `mask` at or above `from`, if any.
fn next_bit(mask: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let rest = mask & (u64::MAX << from);
    (rest != 0).then(|| rest.trailing_zeros())
}

impl Cron {
    /// The first matching minute that starts strictly after `after_ms`.
    fn next_fire_after(&self, after_ms: u64) -> Option<u64> {
        let first_minute = (after_ms / MS_PER_MINUTE).checked_add(1)?;
        let seconds = i64::try_from(first_minute.checked_mul(60)?).ok()?;
        let start = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
        let mut year = start.year();
        let mut month = u8::from(start.month());
        let mut day = u32::from(start.day());
        let mut hour = u32::from(start.hour());
        let mut minute = u32::from(start.minute());
        loop {
            if year > LAST_YEAR {
                return None;
            }
            if year < FIRST_YEAR || !self.has_year(year) {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0);
                continue;
            }
            let Some(next_month) = next_bit(self.months, u32::from(month)) else {
                (year, month, day, hour, minute) = (year + 1, 1, 1, 0, 0);
                continue;
            };
            if u32::from(month) != next_month {
                month = u8::try_from(next_month).ok()?;
                (day, hour, minute) = (1, 0, 0);
            }
            let Some(next_day) = next_bit(self.days_of(year, month)?, day) else {
                (month, day, hour, minute) = (month + 1, 1, 0, 0);
                if month > 12 {
                    (year, month) = (year + 1, 1);
                }
                continue;
            };
            if day != next_day {
                (day, hour, minute) = (next_day, 0, 0);
            }
            let Some(next_hour) = next_bit(self.hours, hour) else {
                // Past the last day of the month, `days_of` finds nothing and moves on.
                (day, hour, minute) = (day + 1, 0, 0);
                continue;
            };
            if hour != next_hour {
                (hour, minute) = (next_hour, 0);
            }
            let Some(next_minute) = next_bit(self.minutes, minute) else {
                (hour, minute) = (hour + 1, 0);
                continue;
            };
            return to_epoch_ms(year, month, day, hour, next_minute);
        }
    }

    fn has_year(&self, year: i32) -> bool {
        u16::try_from(year - FIRST_YEAR).is_ok_and(|offset| contains(&self.years, offset))
    }

    /// The matching days of one month, as a mask with bit `d` for day `d`.
    fn days_of(&self, year: i32, month: u8) -> Option<u64> {
        let month_enum = Month::try_from(month).ok()?;
        let length = u32::from(month_enum.length(year));
        let all_days = (u64::MAX >> (63 - length)) & !1;
        // Weekday of the 1st, 1 = Sunday .. 7 = Saturday.
        let first = Date::from_calendar_date(year, month_enum, 1)
            .ok()?
            .weekday()
            .number_from_sunday();
        let weekday_of = |day: u32| (u32::from(first) - 1 + day - 1) % 7 + 1;
        let mask = match self.days {
            DaySpec::MonthDays(mask) => mask & all_days,
            DaySpec::LastDayOfMonth => 1 << length,
            DaySpec::LastWeekdayOfMonth => {
                let day = match weekday_of(length) {
                    7 => length - 1,
                    1 => length - 2,
                    _ => length,
                };
                1 << day
            }
            DaySpec::NearestWeekday(target) => {
                let target = u32::from(target);
                if target > length {
                    0
                } else {
                    let day = match weekday_of(target) {
                        // Saturday: the Friday before, or the Monday after on the 1st.
                        7 if target == 1 => target + 2,
                        7 => target - 1,
                        // Sunday: the Monday after, or the Friday before on the last day.
                        1 if target == length => target - 2,
                        1 => target + 1,
                        _ => target,
                    };
                    1 << day
                }
            }
            DaySpec::WeekDays(weekdays) => (1..=length)
                .filter(|&day| weekdays & (1 << weekday_of(day)) != 0)
                .fold(0, |mask, day| mask | 1 << day),
            DaySpec::LastWeekDayOfMonth(weekday) => {
                let back = (weekday_of(length) + 7 - u32::from(weekday)) % 7;
                1 << (length - back)
            }
            DaySpec::NthWeekDay { weekday, nth } => {
                let first_match = 1 + (u32::from(weekday) + 7 - u32::from(first)) % 7;
                let day = first_match + 7 * (u32::from(nth) - 1);
                if day <= length {
                    1 << day
                } else {
                    0
                }
            }
        };
        Some(mask)
    }
}

fn to_epoch_ms(year: i32, month: u8, day: u32, hour: u32, minute: u32) -> Option<u64> {
    let date =
        Date::from_calendar_date(year, Month::try_from(month).ok()?, u8::try_from(day).ok()?)
            .ok()?;
    let time = Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, 0).ok()?;
    let seconds = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    u64::try_from(seconds).ok()?.checked_mul(1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::OffsetDateTime;

    const MESSAGE: &str = "Parameter ScheduleExpression is not valid.";

    fn ms(at: OffsetDateTime) -> u64 {
        u64::try_from(at.unix_timestamp_nanos() / 1_000_000).expect("after 1970")
    }

    fn parse(expression: &str) -> Schedule {
        Schedule::parse(expression)
            .unwrap_or_else(|e| panic!("{expression} should parse, got {e:?}"))
    }

    fn rejected(expression: &str) -> ScheduleError {
        match Schedule::parse(expression) {
            Ok(schedule) => panic!("{expression} should be rejected, parsed as {schedule:?}"),
            Err(error) => error,
        }
    }

    /// The next firing of a cron expression after `after`, as a date-time.
    fn next(expression: &str, after: OffsetDateTime) -> Option<OffsetDateTime> {
        parse(expression).next_fire_after(ms(after), 0).map(|at| {
            OffsetDateTime::from_unix_timestamp(i64::try_from(at / 1000).expect("i64"))
                .expect("valid timestamp")
        })
    }

    #[test]
    fn the_user_guide_cron_examples_parse() {
        for expression in [
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0/30 20-23 ? * MON-FRI *)",
            "cron(0/30 0-2 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 20 * * ? *)",
            "cron(1/10 * * * ? *)",
            "cron(0 12 ? * 3#2 *)",
        ] {
            assert!(
                matches!(parse(expression), Schedule::Cron(_)),
                "{expression}"
            );
        }
    }

    #[test]
    fn the_special_characters_parse_in_their_fields() {
        for expression in [
            "cron(0 12 L * ? *)",
            "cron(0 12 LW * ? *)",
            "cron(0 12 15W * ? *)",
            "cron(0 12 ? * L *)",
            "cron(0 12 ? * 6L *)",
            "cron(0 12 ? * FRIL *)",
            "cron(0 12 ? * FRI#3 *)",
            "cron(0 0 1 JAN,JUL ? 2025-2030)",
            "cron(0 0 1 jan-mar ? *)",
            "cron(0 0 9/10 * ? *)",
            "cron(0 0 1 */3 ? *)",
            "cron(0 0 1 1 ? 2025/5)",
            "cron(0 0 1 1 ? */10)",
            "cron(* * * * ? *)",
            "cron(*/1 * * * ? *)",
            "cron(0/59 * * * ? *)",
            "cron(00 08 * * ? *)",
            "cron(0 22-2 * * ? *)",
            "cron(0 0 ? * FRI-MON *)",
            "cron(0-30/10 1,3,5-7 * * ? 1970,2199)",
            "cron(0  10\t* * ? *)",
        ] {
            assert!(
                matches!(parse(expression), Schedule::Cron(_)),
                "{expression}"
            );
        }
    }

    /// aws/aws-sdk#161: PutRule accepts this; empty items between commas are ignored.
    #[test]
    fn trailing_commas_in_cron_fields_are_accepted_as_aws_does() {
        assert_eq!(
            parse("cron(0/5, 9-18, ?, *, MON-FRI, *)"),
            parse("cron(0/5 9-18 ? * MON-FRI *)")
        );
    }

    #[test]
    fn the_documented_rates_parse_with_their_periods() {
        for (expression, value, unit, period_ms) in [
            ("rate(1 minute)", 1, RateUnit::Minute, 60_000),
            ("rate(5 minutes)", 5, RateUnit::Minute, 300_000),
            ("rate(1 hour)", 1, RateUnit::Hour, 3_600_000),
            ("rate(2 hours)", 2, RateUnit::Hour, 7_200_000),
            ("rate(1 day)", 1, RateUnit::Day, 86_400_000),
            ("rate(7 days)", 7, RateUnit::Day, 604_800_000),
        ] {
            let Schedule::Rate(rate) = parse(expression) else {
                panic!("{expression} is a rate");
            };
            assert_eq!(
                (rate.value(), rate.unit(), rate.period_ms()),
                (value, unit, period_ms),
                "{expression}"
            );
        }
    }

    /// The list LocalStack validated against AWS (tests/aws/services/events/test_events_schedule.py)
    /// plus the documented singular/plural rule.
    #[test]
    fn rates_aws_rejects_are_rejected_with_aws_message() {
        for expression in [
            "rate(10 seconds)",
            "rate(10 years)",
            "rate(1 minutes)",
            "rate(1 hours)",
            "rate(1 days)",
            "rate(10 minute)",
            "rate(10 hour)",
            "rate(10 day)",
            "rate(5 hour)",
            "rate()",
            "rate(10)",
            "rate(10 minutess)",
            "rate(foo minutes)",
            "rate(0 minutes)",
            "rate(-10 minutes)",
            "rate(+10 minutes)",
            "rate(1.5 hours)",
            "rate(10 MINUTES)",
            "rate( 10 minutes )",
            "rate(10  minutes)",
            " rate(10 minutes)",
            "rate(10 minutes) ",
            "RATE(10 minutes)",
            "rate(10 minutes",
            "rate(99999999999999999999 minutes)",
            "rate(999999999999999999 days)",
            "",
            "every 5 minutes",
        ] {
            let error = rejected(expression);
            assert_eq!(error.to_string(), MESSAGE, "{expression}");
        }
    }

    #[test]
    fn crons_aws_rejects_are_rejected_with_aws_message() {
        for expression in [
            // aws/aws-sdk-js#4212: the increment must fit the field.
            "cron(*/60 * * * ? *)",
            // winglang/wing#7115
            "cron(15 12 ? * -1 *)",
            // localstack/localstack#12156: both day fields given.
            "cron(7 20 * * 1-7 *)",
            // Five fields (cds-snc/notification-terraform#344), seven fields.
            "cron(*/1 * * * *)",
            "cron(0 0 * * ? * *)",
            "cron()",
            // `?` only in a day field (aws-solutions/aws-waf-security-automations#261).
            "cron(* ? * * * *)",
            "cron(0 0 ? * ? *)",
            "cron(0 0 * * * *)",
            "cron(0 0 1 * 2 *)",
            // `#` only in day-of-week, and only one such expression.
            "cron(0 0 1#1 * ? *)",
            "cron(0 0 ? * 3#1,6#3 *)",
            "cron(0 0 ? * 2#6 *)",
            "cron(0 0 ? * 2#0 *)",
            "cron(0 0 ? * 8#1 *)",
            // Values out of range.
            "cron(60 0 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 0 32 * ? *)",
            "cron(0 0 0 * ? *)",
            "cron(0 0 * 13 ? *)",
            "cron(0 0 * 0 ? *)",
            "cron(0 0 ? * 8 *)",
            "cron(0 0 ? * 0 *)",
            "cron(0 0 * * ? 1969)",
            "cron(0 0 * * ? 2200)",
            "cron(0 0 * * ? 2000-1990)",
            // Increments.
            "cron(0/0 * * * ? *)",
            "cron(0 0/24 * * ? *)",
            "cron(0 0 1/32 * ? *)",
            "cron(0 0 1 1/13 ? *)",
            "cron(0 0 ? * MON/2 *)",
            "cron(0/ * * * ? *)",
            "cron(/5 * * * ? *)",
            // L and W only where they belong, and alone.
            "cron(L 0 * * ? *)",
            "cron(0 0 L,15 * ? *)",
            "cron(0 0 L-3 * ? *)",
            "cron(0 0 1-5W * ? *)",
            "cron(0 0 32W * ? *)",
            "cron(0 0 W * ? *)",
            "cron(0 0 ? * 2L,3 *)",
            "cron(0 0 * JANUARY ? *)",
            "cron(0 0 ? * MONDAY *)",
            "cron(0 0 * J ? *)",
            // Syntax around the fields.
            "cron(0 0 , * ? *)",
            "cron(0 0 1- * ? *)",
            "cron(0 0 -1 * ? *)",
            "cron(a 0 * * ? *)",
            " cron(0 0 * * ? *)",
            "cron( 0 0 * * ? *)",
            "cron(0 0 * * ? * )",
            "CRON(0 0 * * ? *)",
            "cron(0 0 * * ? *",
            "cron 0 0 * * ? *",
        ] {
            let error = rejected(expression);
            assert_eq!(error.to_string(), MESSAGE, "{expression}");
        }
    }

    #[test]
    fn errors_say_which_rule_was_broken() {
        assert_eq!(rejected("at(2024-01-01)"), ScheduleError::NotRateOrCron);
        assert_eq!(rejected("rate(10)"), ScheduleError::RateSyntax);
        assert_eq!(rejected("rate(0 minutes)"), ScheduleError::RateValue);
        assert_eq!(rejected("rate(1 minutes)"), ScheduleError::RateUnit);
        assert_eq!(rejected("cron(0 0 * * ?)"), ScheduleError::CronFieldCount);
        assert_eq!(rejected("cron(0 0 * * * *)"), ScheduleError::CronDayFields);
        assert_eq!(
            rejected("cron(0 0 * * ? 2200)"),
            ScheduleError::CronField(CronFieldName::Year)
        );
        assert_eq!(
            rejected("cron(0 0 ? * 2#6 *)"),
            ScheduleError::CronField(CronFieldName::DayOfWeek)
        );
        assert_eq!(
            rejected("cron(0 0 1W,2 * ? *)"),
            ScheduleError::CronField(CronFieldName::DayOfMonth)
        );
    }

    #[test]
    fn a_rate_fires_one_period_after_the_anchor_then_every_period() {
        let schedule = parse("rate(5 minutes)");
        let anchor = ms(datetime!(2024-01-01 10:00:17.250 UTC));
        let period = 300_000;
        assert_eq!(
            schedule.next_fire_after(anchor, anchor),
            Some(anchor + period)
        );
        assert_eq!(
            schedule.next_fire_after(anchor + period - 1, anchor),
            Some(anchor + period)
        );
        // Strictly after: a firing at `after` itself is not the next one.
        assert_eq!(
            schedule.next_fire_after(anchor + period, anchor),
            Some(anchor + 2 * period)
        );
        assert_eq!(
            schedule.next_fire_after(anchor + 10 * period + 1, anchor),
            Some(anchor + 11 * period)
        );
        // A time before the anchor (clock skew): still the first firing.
        assert_eq!(
            schedule.next_fire_after(anchor - 1_000, anchor),
            Some(anchor + period)
        );
    }

    #[test]
    fn a_daily_rate_keeps_the_time_of_day_of_its_anchor() {
        let schedule = parse("rate(1 day)");
        let anchor = ms(datetime!(2024-02-28 13:45:00 UTC));
        let after_leap_day = ms(datetime!(2024-02-29 20:00:00 UTC));
        assert_eq!(
            schedule.next_fire_after(after_leap_day, anchor),
            Some(ms(datetime!(2024-03-01 13:45:00 UTC)))
        );
    }

    #[test]
    fn a_rate_that_would_overflow_never_fires() {
        let schedule = parse("rate(1 day)");
        assert_eq!(schedule.next_fire_after(u64::MAX - 10, u64::MAX - 20), None);
    }

    #[test]
    fn cron_fires_at_second_zero_of_the_next_matching_minute_strictly_after() {
        let daily = "cron(0 10 * * ? *)";
        assert_eq!(
            next(daily, datetime!(2024-01-01 09:59:59.999 UTC)),
            Some(datetime!(2024-01-01 10:00 UTC))
        );
        assert_eq!(
            next(daily, datetime!(2024-01-01 10:00 UTC)),
            Some(datetime!(2024-01-02 10:00 UTC))
        );
        assert_eq!(
            next(daily, datetime!(2024-01-01 10:00:00.001 UTC)),
            Some(datetime!(2024-01-02 10:00 UTC))
        );
        assert_eq!(
            next("cron(15 12 * * ? *)", datetime!(2024-01-01 12:16 UTC)),
            Some(datetime!(2024-01-02 12:15 UTC))
        );
        // The anchor does not matter for cron.
        let schedule = parse(daily);
        let after = ms(datetime!(2024-01-01 09:00 UTC));
        assert_eq!(
            schedule.next_fire_after(after, 0),
            schedule.next_fire_after(after, after)
        );
    }

    #[test]
    fn every_minute_fires_every_minute() {
        let schedule = parse("cron(* * * * ? *)");
        let mut at = ms(datetime!(2023-12-31 23:58:30 UTC));
        let mut previous = at;
        for _ in 0..10_000 {
            at = schedule.next_fire_after(at, 0).expect("fires");
            assert_eq!(at % 60_000, 0);
            assert!(at > previous && at - previous <= 60_000);
            previous = at;
        }
        // The first firing is 23:59, the 10,000th 9,999 minutes later.
        assert_eq!(at, ms(datetime!(2024-01-07 22:38 UTC)));
    }

    #[test]
    fn increments_cross_hour_day_month_and_year_boundaries() {
        let quarter_hours = "cron(0/15 * * * ? *)";
        assert_eq!(
            next(quarter_hours, datetime!(2024-03-15 10:07:30 UTC)),
            Some(datetime!(2024-03-15 10:15 UTC))
        );
        assert_eq!(
            next(quarter_hours, datetime!(2024-12-31 23:45 UTC)),
            Some(datetime!(2025-01-01 00:00 UTC))
        );
        assert_eq!(
            next("cron(1/10 * * * ? *)", datetime!(2024-03-15 10:51 UTC)),
            Some(datetime!(2024-03-15 11:01 UTC))
        );
        assert_eq!(
            next("cron(0 8 1 * ? *)", datetime!(2024-01-31 12:00 UTC)),
            Some(datetime!(2024-02-01 08:00 UTC))
        );
        assert_eq!(
            next("cron(0 8 1 * ? *)", datetime!(2024-12-15 00:00 UTC)),
            Some(datetime!(2025-01-01 08:00 UTC))
        );
        // Day-of-month 9/10: the 9th, 19th and 29th.
        assert_eq!(
            next("cron(0 0 9/10 * ? *)", datetime!(2024-02-19 00:00 UTC)),
            Some(datetime!(2024-02-29 00:00 UTC))
        );
        assert_eq!(
            next("cron(0 0 9/10 * ? *)", datetime!(2023-02-19 00:00 UTC)),
            Some(datetime!(2023-03-09 00:00 UTC))
        );
    }

    #[test]
    fn weekday_ranges_skip_the_weekend() {
        // 2024-06-07 is a Friday.
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", datetime!(2024-06-07 18:00 UTC)),
            Some(datetime!(2024-06-10 18:00 UTC))
        );
        assert_eq!(
            next(
                "cron(0/5 8-17 ? * MON-FRI *)",
                datetime!(2024-06-07 17:55 UTC)
            ),
            Some(datetime!(2024-06-10 08:00 UTC))
        );
        assert_eq!(
            next(
                "cron(0/5 8-17 ? * MON-FRI *)",
                datetime!(2024-06-10 08:02 UTC)
            ),
            Some(datetime!(2024-06-10 08:05 UTC))
        );
        // Numeric day-of-week: 1 = Sunday, 7 = Saturday.
        assert_eq!(
            next("cron(0 0 ? * 1 *)", datetime!(2024-06-07 00:00 UTC)),
            Some(datetime!(2024-06-09 00:00 UTC))
        );
        assert_eq!(
            next("cron(0 0 ? * 7 *)", datetime!(2024-06-07 00:00 UTC)),
            Some(datetime!(2024-06-08 00:00 UTC))
        );
    }

    #[test]
    fn wrapping_ranges_run_through_the_end_of_the_field() {
        // Hours 22-2: 22, 23, 0, 1, 2.
        assert_eq!(
            next("cron(0 22-2 * * ? *)", datetime!(2024-06-07 02:00 UTC)),
            Some(datetime!(2024-06-07 22:00 UTC))
        );
        assert_eq!(
            next("cron(0 22-2 * * ? *)", datetime!(2024-06-07 23:00 UTC)),
            Some(datetime!(2024-06-08 00:00 UTC))
        );
        // FRI-MON: Friday, Saturday, Sunday, Monday. 2024-06-11 is a Tuesday.
        assert_eq!(
            next("cron(0 0 ? * FRI-MON *)", datetime!(2024-06-10 00:00 UTC)),
            Some(datetime!(2024-06-14 00:00 UTC))
        );
    }

    #[test]
    fn the_first_monday_of_the_month() {
        // 2024-01-01 is a Monday; February 2024 starts on a Thursday.
        assert_eq!(
            next("cron(0 9 ? * 2#1 *)", datetime!(2023-12-31 00:00 UTC)),
            Some(datetime!(2024-01-01 09:00 UTC))
        );
        assert_eq!(
            next("cron(0 9 ? * 2#1 *)", datetime!(2024-01-01 09:00 UTC)),
            Some(datetime!(2024-02-05 09:00 UTC))
        );
    }

    #[test]
    fn a_fifth_weekday_skips_months_without_one() {
        // Mondays 2024: Jan 29, Apr 29, Jul 29, Sep 30, Dec 30 are fifth Mondays.
        let fifth_monday = "cron(0 0 ? * MON#5 *)";
        assert_eq!(
            next(fifth_monday, datetime!(2024-01-29 00:00 UTC)),
            Some(datetime!(2024-04-29 00:00 UTC))
        );
        assert_eq!(
            next(fifth_monday, datetime!(2024-09-30 00:00 UTC)),
            Some(datetime!(2024-12-30 00:00 UTC))
        );
    }

    #[test]
    fn the_last_weekday_of_the_month_with_l_in_day_of_week() {
        // Last Friday: 2024-05-31, then 2024-06-28.
        assert_eq!(
            next("cron(0 12 ? * 6L *)", datetime!(2024-05-01 00:00 UTC)),
            Some(datetime!(2024-05-31 12:00 UTC))
        );
        assert_eq!(
            next("cron(0 12 ? * FRIL *)", datetime!(2024-05-31 12:00 UTC)),
            Some(datetime!(2024-06-28 12:00 UTC))
        );
        // `L` alone is the last day of the week, Saturday: 2024-08-31.
        assert_eq!(
            next("cron(0 12 ? * L *)", datetime!(2024-08-01 00:00 UTC)),
            Some(datetime!(2024-08-31 12:00 UTC))
        );
    }

    #[test]
    fn the_last_day_of_the_month_across_leap_years() {
        let last_day = "cron(0 12 L * ? *)";
        assert_eq!(
            next(last_day, datetime!(2024-04-30 12:00 UTC)),
            Some(datetime!(2024-05-31 12:00 UTC))
        );
        assert_eq!(
            next(last_day, datetime!(2024-02-01 00:00 UTC)),
            Some(datetime!(2024-02-29 12:00 UTC))
        );
        assert_eq!(
            next(last_day, datetime!(2023-02-01 00:00 UTC)),
            Some(datetime!(2023-02-28 12:00 UTC))
        );
        let end_of_february = "cron(0 12 L 2 ? *)";
        assert_eq!(
            next(end_of_february, datetime!(2024-02-29 12:00 UTC)),
            Some(datetime!(2025-02-28 12:00 UTC))
        );
        // Feb 29 only exists in leap years; 2100 is not one.
        let leap_day = "cron(0 0 29 2 ? *)";
        assert_eq!(
            next(leap_day, datetime!(2024-03-01 00:00 UTC)),
            Some(datetime!(2028-02-29 00:00 UTC))
        );
        assert_eq!(
            next(leap_day, datetime!(2096-03-01 00:00 UTC)),
            Some(datetime!(2104-02-29 00:00 UTC))
        );
    }

    #[test]
    fn the_31st_skips_shorter_months() {
        assert_eq!(
            next("cron(0 0 31 * ? *)", datetime!(2024-03-31 00:00 UTC)),
            Some(datetime!(2024-05-31 00:00 UTC))
        );
    }

    #[test]
    fn the_last_weekday_of_the_month_with_lw() {
        // 2024-08-31 is a Saturday, 2024-03-31 a Sunday: both move back to the Friday.
        assert_eq!(
            next("cron(0 12 LW * ? *)", datetime!(2024-08-01 00:00 UTC)),
            Some(datetime!(2024-08-30 12:00 UTC))
        );
        assert_eq!(
            next("cron(0 12 LW * ? *)", datetime!(2024-03-01 00:00 UTC)),
            Some(datetime!(2024-03-29 12:00 UTC))
        );
        // 2024-05-31 is a Friday.
        assert_eq!(
            next("cron(0 12 LW * ? *)", datetime!(2024-05-01 00:00 UTC)),
            Some(datetime!(2024-05-31 12:00 UTC))
        );
    }

    #[test]
    fn the_nearest_weekday_never_leaves_the_month() {
        // 2024-06-15 is a Saturday: the Friday before.
        assert_eq!(
            next("cron(0 12 15W * ? *)", datetime!(2024-06-01 00:00 UTC)),
            Some(datetime!(2024-06-14 12:00 UTC))
        );
        // 2024-09-15 is a Sunday: the Monday after.
        assert_eq!(
            next("cron(0 12 15W * ? *)", datetime!(2024-09-01 00:00 UTC)),
            Some(datetime!(2024-09-16 12:00 UTC))
        );
        // 2024-06-01 is a Saturday: not May 31 but Monday June 3.
        assert_eq!(
            next("cron(0 12 1W * ? *)", datetime!(2024-05-31 13:00 UTC)),
            Some(datetime!(2024-06-03 12:00 UTC))
        );
        // 2024-03-31 is a Sunday: not April 1 but Friday March 29. April has no 31st.
        assert_eq!(
            next("cron(0 12 31W * ? *)", datetime!(2024-03-01 00:00 UTC)),
            Some(datetime!(2024-03-29 12:00 UTC))
        );
        assert_eq!(
            next("cron(0 12 31W * ? *)", datetime!(2024-03-29 12:00 UTC)),
            Some(datetime!(2024-05-31 12:00 UTC))
        );
    }

    #[test]
    fn month_and_year_fields_restrict_the_firings() {
        assert_eq!(
            next("cron(0 0 1 JAN,JUL ? *)", datetime!(2024-01-01 00:00 UTC)),
            Some(datetime!(2024-07-01 00:00 UTC))
        );
        assert_eq!(
            next("cron(0 0 1 1 ? 2030)", datetime!(2024-05-05 00:00 UTC)),
            Some(datetime!(2030-01-01 00:00 UTC))
        );
        assert_eq!(
            next("cron(0 0 1 1 ? 2025/5)", datetime!(2026-01-01 00:00 UTC)),
            Some(datetime!(2030-01-01 00:00 UTC))
        );
        assert_eq!(
            next("cron(59 23 31 12 ? 2199)", datetime!(2024-05-05 00:00 UTC)),
            Some(datetime!(2199-12-31 23:59 UTC))
        );
    }

    #[test]
    fn a_cron_with_only_past_or_impossible_dates_never_fires() {
        assert_eq!(
            next("cron(0 0 1 1 ? 2030)", datetime!(2030-01-01 00:00 UTC)),
            None
        );
        assert_eq!(
            next("cron(0 0 * * ? 2020)", datetime!(2024-01-01 00:00 UTC)),
            None
        );
        assert_eq!(
            next("cron(0 0 30 2 ? *)", datetime!(2024-01-01 00:00 UTC)),
            None
        );
        assert_eq!(
            next("cron(* * * * ? *)", datetime!(2199-12-31 23:59 UTC)),
            None
        );
        assert_eq!(
            parse("cron(* * * * ? *)").next_fire_after(u64::MAX, 0),
            None
        );
    }

    /// A reference written from the user guide, independent of the mask arithmetic: each day
    /// of the span is checked against the fields directly, and the expected firings are that
    /// day's matching hours and minutes. The calendar-jumping search must find exactly those.
    #[test]
    fn next_fire_agrees_with_a_day_by_day_reference() {
        for expression in [
            "cron(0/20 9-17 ? * MON-FRI *)",
            "cron(30 6 L * ? *)",
            "cron(30 6 LW * ? *)",
            "cron(0 12 1W * ? *)",
            "cron(0 12 15W * ? *)",
            "cron(0 12 31W * ? *)",
            "cron(0 0 ? * 6L *)",
            "cron(0 0 ? * 3#2 *)",
            "cron(0 0 ? * SUN#5 *)",
            "cron(0 22-2 29-31 * ? *)",
            "cron(15 3 ? JAN,FEB,DEC SAT-SUN 2023-2025)",
            "cron(5/25 */7 */10 FEB-APR ? 2024,2026/2)",
            "cron(0 0 1 1 ? *)",
        ] {
            let Schedule::Cron(cron) = parse(expression) else {
                panic!("{expression} is a cron");
            };
            let fields: Vec<&str> = expression
                .trim_start_matches("cron(")
                .trim_end_matches(')')
                .split(' ')
                .collect();
            let minutes = reference_values(fields[0], &[], 0, 59);
            let hours = reference_values(fields[1], &[], 0, 23);
            let first = datetime!(2022-12-31 00:00 UTC).date();
            let last = datetime!(2028-03-01 00:00 UTC).date();
            let mut expected = Vec::new();
            let mut date = first;
            while date < last {
                if reference_day_matches(&fields, date) {
                    for &hour in &hours {
                        for &minute in &minutes {
                            let time = Time::from_hms(
                                u8::try_from(hour).expect("hour"),
                                u8::try_from(minute).expect("minute"),
                                0,
                            )
                            .expect("time");
                            expected.push(ms(PrimitiveDateTime::new(date, time).assume_utc()));
                        }
                    }
                }
                date = date.next_day().expect("date");
            }
            let end = ms(PrimitiveDateTime::new(last, Time::MIDNIGHT).assume_utc());
            let mut found = Vec::new();
            let mut at = ms(PrimitiveDateTime::new(first, Time::MIDNIGHT).assume_utc()) - 1;
            while let Some(fire) = cron.next_fire_after(at).filter(|&fire| fire < end) {
                found.push(fire);
                at = fire;
            }
            assert!(!expected.is_empty(), "{expression} fires in five years");
            assert_eq!(found, expected, "{expression}");
        }
    }

    /// The values an item list (`*`, `a`, `a-b`, `a/s`, `a-b/s`, wrapping) stands for.
    fn reference_values(field: &str, names: &[&str], min: u16, max: u16) -> Vec<u16> {
        let number = |s: &str| {
            names
                .iter()
                .position(|n| *n == s)
                .map(|i| min + u16::try_from(i).expect("small"))
                .unwrap_or_else(|| s.parse().expect("number"))
        };
        let mut values = Vec::new();
        for item in field.split(',') {
            let (range, step) = item.split_once('/').unwrap_or((item, "1"));
            let step: usize = step.parse().expect("step");
            let (a, b) = match range.split_once('-') {
                _ if range == "*" => (min, max),
                Some((a, b)) => (number(a), number(b)),
                None if item.contains('/') => (number(range), max),
                None => (number(range), number(range)),
            };
            let run: Vec<u16> = if a <= b {
                (a..=b).collect()
            } else {
                (a..=max).chain(min..=b).collect()
            };
            values.extend(run.into_iter().step_by(step));
        }
        values.sort_unstable();
        values.dedup();
        values
    }

    /// Whether the year, month and day fields match `date`, by a direct reading of the rules.
    fn reference_day_matches(fields: &[&str], date: Date) -> bool {
        let length = date.month().length(date.year());
        let day = date.day();
        let weekday = date.weekday().number_from_sunday();
        let is_weekday = |d: u8| {
            let w = Date::from_calendar_date(date.year(), date.month(), d)
                .expect("date")
                .weekday()
                .number_from_sunday();
            (2..=6).contains(&w)
        };
        let dom_matches = match fields[2] {
            "?" => true,
            "L" => day == length,
            "LW" => Some(day) == (1..=length).rev().find(|&d| is_weekday(d)),
            w if w.ends_with('W') => {
                let target: u8 = w.trim_end_matches('W').parse().expect("day");
                // The weekday of the month closest to the target (no ties are possible).
                target <= length
                    && Some(day)
                        == (1..=length)
                            .filter(|&d| is_weekday(d))
                            .min_by_key(|&d| d.abs_diff(target))
            }
            f => reference_values(f, &[], 1, 31).contains(&u16::from(day)),
        };
        let dow_matches = match fields[4] {
            "?" => true,
            f if f.ends_with('L') => {
                let w = reference_values(f.trim_end_matches('L'), &DAY_NAMES, 1, 7);
                w == [u16::from(weekday)] && day + 7 > length
            }
            f if f.contains('#') => {
                let (w, n) = f.split_once('#').expect("#");
                let w = reference_values(w, &DAY_NAMES, 1, 7);
                let n: u8 = n.parse().expect("nth");
                w == [u16::from(weekday)] && (day - 1) / 7 + 1 == n
            }
            f => reference_values(f, &DAY_NAMES, 1, 7).contains(&u16::from(weekday)),
        };
        let month = u16::from(u8::from(date.month()));
        let year = u16::try_from(date.year()).expect("year");
        dom_matches
            && dow_matches
            && reference_values(fields[3], &MONTH_NAMES, 1, 12).contains(&month)
            && reference_values(fields[5], &[], 1970, 2199).contains(&year)
    }
}
