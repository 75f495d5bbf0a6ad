//! Moving-holiday calendar regressors for monthly models: Chinese New Year and Golden Week.
//!
//! Factories close for one to three weeks around Chinese New Year (Spring Festival, the 1st day of
//! the 1st lunar month), which falls between 21 January and 20 February, so January and February
//! volumes swing with the month that holds the holiday. The standard monthly remedy is a regressor
//! equal to the share of a fixed holiday window that falls in each month; this module provides it
//! from an embedded table of dates. Unlike `super::ar`, `super::ccf` and `super::granger` (the
//! statistical kernels), it is pure calendar arithmetic; models use its shares as exogenous
//! regressors alongside them.
//!
//! The Chinese New Year dates for 1990–2050 are those of the Hong Kong Observatory's
//! "Gregorian–Lunar Calendar Conversion Table" (<https://www.hko.gov.hk/en/gts/time/conversion.htm>,
//! one table per year, 1901–2100), spot-checked against its yearly tables for 2009, 2014, 2020 and
//! 2028, and cross-checked for every year against the Python package `lunardate` 0.3.0
//! (`LunarDate(y, 1, 1).to_solar_date()`), which agrees on all 61 dates
//! (`golden/calendar_check.py` in the scratch crate parses this table and compares).

use chrono::{Datelike, Days, NaiveDate};
use thiserror::Error;

/// First year of the embedded Chinese New Year table.
pub const CNY_FIRST_YEAR: i32 = 1990;
/// Last year of the embedded Chinese New Year table.
pub const CNY_LAST_YEAR: i32 = 2050;

/// `(month, day)` of Chinese New Year for `CNY_FIRST_YEAR..=CNY_LAST_YEAR`, ten years a line.
#[rustfmt::skip]
const CNY_MONTH_DAY: [(u32, u32); 61] = [
    (1, 27), (2, 15), (2, 4), (1, 23), (2, 10), (1, 31), (2, 19), (2, 7), (1, 28), (2, 16), // 1990
    (2, 5), (1, 24), (2, 12), (2, 1), (1, 22), (2, 9), (1, 29), (2, 18), (2, 7), (1, 26),   // 2000
    (2, 14), (2, 3), (1, 23), (2, 10), (1, 31), (2, 19), (2, 8), (1, 28), (2, 16), (2, 5),  // 2010
    (1, 25), (2, 12), (2, 1), (1, 22), (2, 10), (1, 29), (2, 17), (2, 6), (1, 26), (2, 13), // 2020
    (2, 3), (1, 23), (2, 11), (1, 31), (2, 19), (2, 8), (1, 28), (2, 15), (2, 4), (1, 24),  // 2030
    (2, 12), (2, 1), (1, 22), (2, 10), (1, 30), (2, 17), (2, 6), (1, 26), (2, 14), (2, 2),  // 2040
    (1, 23),                                                                                // 2050
];

/// Why a holiday share could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// The Chinese New Year needed is outside the embedded table (or the year is outside what
    /// chrono can represent).
    #[error("Chinese New Year {year} is outside the embedded table ({first}–{last})")]
    YearOutOfRange { year: i32, first: i32, last: i32 },
    /// Months are 1–12.
    #[error("month must be 1–12, got {0}")]
    InvalidMonth(u32),
    /// Windows longer than [`HolidayWindow::MAX_DAYS`] on either side are not supported.
    #[error(
        "holiday window of {days_before} days before and {days_after} after exceeds {max} days on a side"
    )]
    WindowTooLong {
        days_before: u32,
        days_after: u32,
        max: u32,
    },
}

/// A window of days around a holiday's anchor date, both ends inclusive: from `days_before` days
/// before the anchor to `days_after` days after it, `days_before + days_after + 1` days in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HolidayWindow {
    days_before: u32,
    days_after: u32,
}

impl HolidayWindow {
    /// Longest supported reach on either side of the anchor. It keeps a Spring Festival window
    /// (anchor 21 January – 20 February) within 22 November – 21 April, so the share of a month
    /// depends on one festival only.
    pub const MAX_DAYS: u32 = 60;

    /// A window from `days_before` days before the anchor to `days_after` days after it.
    pub fn new(days_before: u32, days_after: u32) -> Result<Self, CalendarError> {
        if days_before > Self::MAX_DAYS || days_after > Self::MAX_DAYS {
            return Err(CalendarError::WindowTooLong {
                days_before,
                days_after,
                max: Self::MAX_DAYS,
            });
        }
        Ok(HolidayWindow {
            days_before,
            days_after,
        })
    }

    pub const fn days_before(self) -> u32 {
        self.days_before
    }

    pub const fn days_after(self) -> u32 {
        self.days_after
    }

    /// Number of days in the window.
    pub const fn days(self) -> u32 {
        self.days_before + self.days_after + 1
    }

    /// Share of this window around `anchor` that falls in `year`-`month`.
    pub fn share_in_month(
        self,
        anchor: NaiveDate,
        year: i32,
        month: u32,
    ) -> Result<f64, CalendarError> {
        if !(1..=12).contains(&month) {
            return Err(CalendarError::InvalidMonth(month));
        }
        let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| out_of_chrono(year))?;
        let last = (28..=31)
            .rev()
            .find_map(|day| first.with_day(day))
            .unwrap_or(first);
        let start = anchor
            .checked_sub_days(Days::new(self.days_before.into()))
            .unwrap_or(NaiveDate::MIN);
        let end = anchor
            .checked_add_days(Days::new(self.days_after.into()))
            .unwrap_or(NaiveDate::MAX);
        let overlap = (end.min(last) - start.max(first)).num_days() + 1;
        Ok(overlap.max(0) as f64 / f64::from(self.days()))
    }
}

/// The Spring Festival window: 7 days before to 14 days after Chinese New Year's Day, inclusive.
pub const SPRING_FESTIVAL_WINDOW: HolidayWindow = HolidayWindow {
    days_before: 7,
    days_after: 14,
};

/// Length of [`SPRING_FESTIVAL_WINDOW`]: 22 days.
pub const SPRING_FESTIVAL_WINDOW_DAYS: u32 = SPRING_FESTIVAL_WINDOW.days();

/// Golden Week: 1–7 October (anchor 1 October, 0 days before, 6 after).
pub const GOLDEN_WEEK_WINDOW: HolidayWindow = HolidayWindow {
    days_before: 0,
    days_after: 6,
};

/// Chinese New Year's Day (1st day of the 1st lunar month) of `year`, or `None` outside
/// [`CNY_FIRST_YEAR`]`..=`[`CNY_LAST_YEAR`].
pub fn cny_date(year: i32) -> Option<NaiveDate> {
    let index = usize::try_from(year.checked_sub(CNY_FIRST_YEAR)?).ok()?;
    let &(month, day) = CNY_MONTH_DAY.get(index)?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Share of the [`SPRING_FESTIVAL_WINDOW`] that falls in `year`-`month` (0 to 1; the shares of a
/// festival's months sum to 1).
pub fn spring_festival_share(year: i32, month: u32) -> Result<f64, CalendarError> {
    spring_festival_share_with(year, month, SPRING_FESTIVAL_WINDOW)
}

/// [`spring_festival_share`] for a custom window.
///
/// January–June take the festival of `year`; July–December the festival of `year + 1` (a window
/// of up to 60 days can start in late November). Shares are therefore available from January
/// [`CNY_FIRST_YEAR`] to June [`CNY_LAST_YEAR`]; outside that an error says which year is missing.
pub fn spring_festival_share_with(
    year: i32,
    month: u32,
    window: HolidayWindow,
) -> Result<f64, CalendarError> {
    if !(1..=12).contains(&month) {
        return Err(CalendarError::InvalidMonth(month));
    }
    let festival_year = if month <= 6 { year } else { year + 1 };
    let anchor = cny_date(festival_year).ok_or(CalendarError::YearOutOfRange {
        year: festival_year,
        first: CNY_FIRST_YEAR,
        last: CNY_LAST_YEAR,
    })?;
    window.share_in_month(anchor, year, month)
}

/// Share of [`GOLDEN_WEEK_WINDOW`] (1–7 October) in `year`-`month`: 1 for October, 0 otherwise.
pub fn golden_week_share(year: i32, month: u32) -> Result<f64, CalendarError> {
    golden_week_share_with(year, month, GOLDEN_WEEK_WINDOW)
}

/// [`golden_week_share`] for a custom window around 1 October of `year`.
pub fn golden_week_share_with(
    year: i32,
    month: u32,
    window: HolidayWindow,
) -> Result<f64, CalendarError> {
    let anchor = NaiveDate::from_ymd_opt(year, 10, 1).ok_or_else(|| out_of_chrono(year))?;
    window.share_in_month(anchor, year, month)
}

/// A year outside the dates chrono can represent.
fn out_of_chrono(year: i32) -> CalendarError {
    CalendarError::YearOutOfRange {
        year,
        first: NaiveDate::MIN.year(),
        last: NaiveDate::MAX.year(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn approx(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn table_is_plausible_and_matches_known_dates() {
        // HKO yearly tables: 2009-01-26, 2014-01-31, 2020-01-25, 2028-01-26; DOMAIN example 2023.
        for (y, m, d) in [
            (2009, 1, 26),
            (2014, 1, 31),
            (2020, 1, 25),
            (2023, 1, 22),
            (2028, 1, 26),
        ] {
            assert_eq!(cny_date(y), Some(ymd(y, m, d)));
        }
        assert_eq!(cny_date(CNY_FIRST_YEAR - 1), None);
        assert_eq!(cny_date(CNY_LAST_YEAR + 1), None);
        let mut previous: Option<NaiveDate> = None;
        for year in CNY_FIRST_YEAR..=CNY_LAST_YEAR {
            let d = cny_date(year).unwrap();
            assert!(d >= ymd(year, 1, 21) && d <= ymd(year, 2, 20), "{d}");
            if let Some(p) = previous {
                // A lunar year is 12 or 13 lunar months: 353–355 or 383–385 days.
                let gap = (d - p).num_days();
                assert!(
                    (353..=355).contains(&gap) || (383..=385).contains(&gap),
                    "{year}: {gap}"
                );
            }
            previous = Some(d);
        }
    }

    #[test]
    fn spring_festival_shares_by_hand() {
        assert_eq!(SPRING_FESTIVAL_WINDOW_DAYS, 22);
        // 2023-01-22: window 15 Jan – 5 Feb: 17 = 7 + 10 days in January, 5 in February.
        assert!(approx(spring_festival_share(2023, 1).unwrap(), 17.0 / 22.0));
        assert!(approx(spring_festival_share(2023, 2).unwrap(), 5.0 / 22.0));
        assert_eq!(spring_festival_share(2023, 3).unwrap(), 0.0);
        // 2015-02-19: window 12 Feb – 5 Mar: 17 days in February, 5 in March.
        assert!(approx(spring_festival_share(2015, 2).unwrap(), 17.0 / 22.0));
        assert!(approx(spring_festival_share(2015, 3).unwrap(), 5.0 / 22.0));
        // 2024-02-10 (leap year): window 3–24 Feb, all in February.
        assert_eq!(spring_festival_share(2024, 2).unwrap(), 1.0);
        // 2020-01-25: window 18 Jan – 8 Feb: 14 days in January, 8 in February.
        assert!(approx(spring_festival_share(2020, 1).unwrap(), 14.0 / 22.0));
        assert!(approx(spring_festival_share(2020, 2).unwrap(), 8.0 / 22.0));
        assert_eq!(spring_festival_share(2020, 12).unwrap(), 0.0);
    }

    #[test]
    fn shares_sum_to_one_every_year() {
        for year in CNY_FIRST_YEAR..=CNY_LAST_YEAR {
            let s: f64 = (1..=3)
                .map(|m| spring_festival_share(year, m).unwrap())
                .sum();
            assert!(approx(s, 1.0), "{year}: {s}");
            let all: f64 = (1..=12).map(|m| golden_week_share(year, m).unwrap()).sum();
            assert!(approx(all, 1.0));
        }
    }

    #[test]
    fn custom_windows() {
        // 30 days before CNY 2023-01-22 reaches back to 23 Dec 2022: 9 of 45 days.
        let w = HolidayWindow::new(30, 14).unwrap();
        assert!(approx(
            spring_festival_share_with(2022, 12, w).unwrap(),
            9.0 / 45.0
        ));
        let s: f64 = spring_festival_share_with(2022, 12, w).unwrap()
            + (1..=3)
                .map(|m| spring_festival_share_with(2023, m, w).unwrap())
                .sum::<f64>();
        assert!(approx(s, 1.0));
        // Golden Week widened to 29 Sep – 10 Oct: 2 of 12 days in September, 10 in October.
        let g = HolidayWindow::new(2, 9).unwrap();
        assert!(approx(
            golden_week_share_with(2024, 9, g).unwrap(),
            2.0 / 12.0
        ));
        assert!(approx(
            golden_week_share_with(2024, 10, g).unwrap(),
            10.0 / 12.0
        ));
        assert_eq!(golden_week_share(2024, 10).unwrap(), 1.0);
        assert_eq!(golden_week_share(2024, 11).unwrap(), 0.0);
    }

    #[test]
    fn errors() {
        assert_eq!(
            spring_festival_share(1989, 2),
            Err(CalendarError::YearOutOfRange {
                year: 1989,
                first: 1990,
                last: 2050
            })
        );
        assert_eq!(
            spring_festival_share(2050, 12),
            Err(CalendarError::YearOutOfRange {
                year: 2051,
                first: 1990,
                last: 2050
            })
        );
        assert_eq!(
            spring_festival_share(2024, 13),
            Err(CalendarError::InvalidMonth(13))
        );
        assert_eq!(
            golden_week_share(2024, 0),
            Err(CalendarError::InvalidMonth(0))
        );
        assert!(matches!(
            HolidayWindow::new(61, 0),
            Err(CalendarError::WindowTooLong { .. })
        ));
    }
}
