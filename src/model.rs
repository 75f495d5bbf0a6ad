//! The data model every other module speaks: periods, frequencies, precision and observations.
//!
//! An [`Observation`] is one published figure: which series, which period, the value, how exact it
//! is, where it came from and *when it became known* (`known_at`). The point-in-time store
//! (`crate::store`) keeps every observation ever seen, revisions included, and views them as of a
//! timestamp; analysis code only ever sees such views.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How often a series is observed, or the calendar grid a series is aggregated onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Frequency {
    Day,
    Week,
    Month,
    Year,
}

impl Frequency {
    /// The frequency [`Frequency::as_str`] names (`day`, `week`, `month`, `year`).
    pub fn from_name(name: &str) -> Option<Frequency> {
        [
            Frequency::Day,
            Frequency::Week,
            Frequency::Month,
            Frequency::Year,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Day => "day",
            Frequency::Week => "week",
            Frequency::Month => "month",
            Frequency::Year => "year",
        }
    }

    /// The number of periods in a year at this frequency (the seasonal period): 364 days, 52 ISO
    /// weeks, 12 months, 1 year. Day and week use whole weeks so the weekday pattern lines up.
    pub fn periods_per_year(self) -> usize {
        match self {
            Frequency::Day => 364,
            Frequency::Week => 52,
            Frequency::Month => 12,
            Frequency::Year => 1,
        }
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar period: a day, an ISO week, a calendar month or a calendar year.
///
/// Periods of one frequency order chronologically; a series holds periods of a single frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Day(NaiveDate),
    /// ISO 8601 week: the ISO year (which can differ from the calendar year around 1 January) and
    /// week number 1..=53.
    Week {
        year: i32,
        week: u32,
    },
    Month {
        year: i32,
        month: u32,
    },
    Year(i32),
}

impl Period {
    pub fn month(year: i32, month: u32) -> Option<Period> {
        (1..=12)
            .contains(&month)
            .then_some(Period::Month { year, month })
    }

    pub fn week(year: i32, week: u32) -> Option<Period> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|_| Period::Week { year, week })
    }

    pub fn frequency(&self) -> Frequency {
        match self {
            Period::Day(_) => Frequency::Day,
            Period::Week { .. } => Frequency::Week,
            Period::Month { .. } => Frequency::Month,
            Period::Year(_) => Frequency::Year,
        }
    }

    /// First day of the period.
    pub fn start(&self) -> NaiveDate {
        match *self {
            Period::Day(d) => d,
            Period::Week { year, week } => {
                NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).expect("valid ISO week")
            }
            Period::Month { year, month } => {
                NaiveDate::from_ymd_opt(year, month, 1).expect("valid month")
            }
            Period::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1).expect("valid year"),
        }
    }

    /// Last day of the period (inclusive).
    pub fn end(&self) -> NaiveDate {
        self.next().start() - Duration::days(1)
    }

    /// Number of days the period spans.
    pub fn days(&self) -> i64 {
        (self.end() - self.start()).num_days() + 1
    }

    /// The following period of the same frequency.
    pub fn next(&self) -> Period {
        self.offset(1)
    }

    /// The period `n` steps later (earlier for negative `n`) at the same frequency.
    pub fn offset(&self, n: i64) -> Period {
        match *self {
            Period::Day(d) => Period::Day(d + Duration::days(n)),
            Period::Week { .. } => {
                Period::containing(self.start() + Duration::weeks(n), Frequency::Week)
            }
            Period::Month { year, month } => {
                let idx = year as i64 * 12 + (month as i64 - 1) + n;
                Period::Month {
                    year: idx.div_euclid(12) as i32,
                    month: idx.rem_euclid(12) as u32 + 1,
                }
            }
            Period::Year(y) => Period::Year(y + n as i32),
        }
    }

    /// How many periods lie from `self` to `other` (positive when `other` is later). Both must
    /// have the same frequency.
    pub fn steps_to(&self, other: &Period) -> i64 {
        debug_assert_eq!(self.frequency(), other.frequency());
        match (*self, *other) {
            (Period::Day(a), Period::Day(b)) => (b - a).num_days(),
            (Period::Week { .. }, Period::Week { .. }) => {
                (other.start() - self.start()).num_days() / 7
            }
            (
                Period::Month {
                    year: y1,
                    month: m1,
                },
                Period::Month {
                    year: y2,
                    month: m2,
                },
            ) => (y2 as i64 - y1 as i64) * 12 + (m2 as i64 - m1 as i64),
            (Period::Year(a), Period::Year(b)) => (b - a) as i64,
            _ => panic!("steps_to between periods of different frequencies"),
        }
    }

    /// The period of frequency `freq` that contains `date`.
    pub fn containing(date: NaiveDate, freq: Frequency) -> Period {
        match freq {
            Frequency::Day => Period::Day(date),
            Frequency::Week => {
                let w = date.iso_week();
                Period::Week {
                    year: w.year(),
                    week: w.week(),
                }
            }
            Frequency::Month => Period::Month {
                year: date.year(),
                month: date.month(),
            },
            Frequency::Year => Period::Year(date.year()),
        }
    }

    /// The period at a coarser (or equal) frequency that holds this one. A week belongs to the
    /// month (or year) of its Thursday, as ISO 8601 assigns weeks to years.
    pub fn coarsen(&self, freq: Frequency) -> Period {
        let anchor = match self {
            Period::Week { .. } if freq != Frequency::Week => self.start() + Duration::days(3),
            _ => self.start(),
        };
        Period::containing(anchor, freq)
    }

    /// Parse a period label of the given frequency: `2023-05-31`, `2023-W05`, `2023-05`, `2023`.
    pub fn parse(s: &str, freq: Frequency) -> Result<Period, PeriodParseError> {
        let s = s.trim();
        let bad = |expected: &'static str| PeriodParseError {
            text: s.to_string(),
            expected,
        };
        match freq {
            Frequency::Day => {
                if s.len() != 10 {
                    return Err(bad("date (YYYY-MM-DD)"));
                }
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Period::Day)
                    .map_err(|_| bad("date (YYYY-MM-DD)"))
            }
            Frequency::Week => {
                let (y, w) = s
                    .split_once("-W")
                    .ok_or_else(|| bad("ISO week (YYYY-Www)"))?;
                let year: i32 = y.parse().map_err(|_| bad("ISO week (YYYY-Www)"))?;
                let week: u32 = w.parse().map_err(|_| bad("ISO week (YYYY-Www)"))?;
                Period::week(year, week).ok_or_else(|| bad("valid ISO week"))
            }
            Frequency::Month => {
                let (y, m) = s.split_once('-').ok_or_else(|| bad("month (YYYY-MM)"))?;
                if y.len() != 4 || m.len() != 2 {
                    return Err(bad("month (YYYY-MM)"));
                }
                let year: i32 = y.parse().map_err(|_| bad("month (YYYY-MM)"))?;
                let month: u32 = m.parse().map_err(|_| bad("month (YYYY-MM)"))?;
                Period::month(year, month).ok_or_else(|| bad("valid month (01..12)"))
            }
            Frequency::Year => {
                if s.len() != 4 {
                    return Err(bad("year (YYYY)"));
                }
                s.parse().map(Period::Year).map_err(|_| bad("year (YYYY)"))
            }
        }
    }

    /// Parse any label, inferring the frequency from its shape.
    pub fn parse_any(s: &str) -> Result<Period, PeriodParseError> {
        let t = s.trim();
        let freq = if t.contains("-W") {
            Frequency::Week
        } else {
            match t.len() {
                4 => Frequency::Year,
                7 => Frequency::Month,
                _ => Frequency::Day,
            }
        };
        Period::parse(t, freq)
    }
}

/// A period label that does not parse: the text and what it should have been.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("`{text}` is not a {expected}")]
pub struct PeriodParseError {
    pub text: String,
    /// E.g. `month (YYYY-MM)`, `valid ISO week`.
    pub expected: &'static str,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Period::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// How exact a published figure is. A lower bound ("exceeded 4.3 million") is not a value: models
/// treat it as a constraint and scoring never settles on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    Exact,
    Rounded,
    LowerBound,
    UpperBound,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Exact => "exact",
            Precision::Rounded => "rounded",
            Precision::LowerBound => "lower-bound",
            Precision::UpperBound => "upper-bound",
        }
    }

    pub fn parse(s: &str) -> Option<Precision> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "exact" => Some(Precision::Exact),
            "rounded" => Some(Precision::Rounded),
            "lower-bound" | "lower bound" => Some(Precision::LowerBound),
            "upper-bound" | "upper bound" => Some(Precision::UpperBound),
            _ => None,
        }
    }

    /// True for a figure that is a value (exact or rounded), false for a bound.
    pub fn is_value(self) -> bool {
        matches!(self, Precision::Exact | Precision::Rounded)
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One published figure and when it became known.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub series: Arc<str>,
    pub period: Period,
    pub value: f64,
    pub unit: Arc<str>,
    pub precision: Precision,
    /// Provenance: where the figure was read (a URL, a file and line, "fetched from …").
    pub source: Arc<str>,
    pub known_at: DateTime<Utc>,
}

/// Midnight UTC at the start of `date`: the `known_at` of a figure published on that day.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The last instant of `date` in UTC: `--as-of DATE` means "everything published by the end of
/// that day".
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    start_of_day(date + Duration::days(1)) - Duration::nanoseconds(1)
}

/// `2023-06-15` (the end of that day, UTC) or an RFC 3339 timestamp.
pub fn parse_as_of(s: &str) -> Result<DateTime<Utc>, BadTime> {
    let t = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(end_of_day(d));
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| BadTime(t.to_string()))
}

/// A time given on the command line (`--as-of`, `--known-at`) that is neither a date nor an
/// RFC 3339 timestamp; it holds the text, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("`{0}` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp")]
pub struct BadTime(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn month_arithmetic_crosses_years() {
        let p = Period::month(2023, 11).unwrap();
        assert_eq!(p.offset(2).to_string(), "2024-01");
        assert_eq!(p.offset(-11).to_string(), "2022-12");
        assert_eq!(p.steps_to(&Period::month(2025, 1).unwrap()), 14);
        assert_eq!(p.end(), d("2023-11-30"));
        assert_eq!(Period::month(2024, 2).unwrap().days(), 29);
    }

    #[test]
    fn iso_weeks_follow_iso_years() {
        // 2021-01-03 is a Sunday in ISO week 2020-W53.
        let w = Period::containing(d("2021-01-03"), Frequency::Week);
        assert_eq!(w.to_string(), "2020-W53");
        assert_eq!(w.start(), d("2020-12-28"));
        assert_eq!(w.next().to_string(), "2021-W01");
        // The week of 2020-12-28 has its Thursday on 2020-12-31: it belongs to December 2020.
        assert_eq!(w.coarsen(Frequency::Month).to_string(), "2020-12");
        assert_eq!(Period::parse("2020-W53", Frequency::Week).unwrap(), w);
        assert!(Period::parse("2021-W53", Frequency::Week).is_err());
    }

    #[test]
    fn labels_round_trip() {
        for s in ["2023-05-31", "2023-W05", "2023-05", "2023"] {
            assert_eq!(Period::parse_any(s).unwrap().to_string(), s);
        }
        assert!(Period::parse("2023-13", Frequency::Month).is_err());
        assert!(Period::parse("2023-5", Frequency::Month).is_err());
        assert!(Period::parse("23-05-01", Frequency::Day).is_err());
    }

    #[test]
    fn precision_names() {
        for p in [
            Precision::Exact,
            Precision::Rounded,
            Precision::LowerBound,
            Precision::UpperBound,
        ] {
            assert_eq!(Precision::parse(p.as_str()), Some(p));
        }
        assert_eq!(Precision::parse("lower_bound"), Some(Precision::LowerBound));
        assert_eq!(Precision::parse("approx"), None);
    }
}
