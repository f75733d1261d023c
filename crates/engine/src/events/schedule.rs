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
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minutes, hours, day_of_month, month, day_of_week, year] = fields[..] else {
        return Err(ScheduleError::CronFieldCount);
    };
    let minutes = parse_field(minutes, &MINUTES)?;
    let hours = parse_field(hours, &HOURS)?;
    let months = parse_field(month, &MONTHS)?;
    let year_mask = parse_field(year, &YEARS)?;
    let days = match (day_of_month, day_of_week) {
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
    if let Some(day) = field
        .strip_suffix('W')
        .or_else(|| field.strip_suffix('w'))
    {
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
    if let Some(weekday) = field
        .strip_suffix('L')
        .or_else(|| field.strip_suffix('l'))
    {
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
    let date = Date::from_calendar_date(
        year,
        Month::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, 0).ok()?;
    let seconds = PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    u64::try_from(seconds).ok()?.checked_mul(1000)
}
