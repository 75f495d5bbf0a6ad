//! The training data of a forecast: one target series on a regular grid of periods, gaps kept as
//! gaps, and the calendar regressors every monthly or weekly model may use.
//!
//! A [`History`] is built from a store view (`crate::series::view`) as of the forecast's as-of
//! time: complete periods with a value (never a bound, never a partial month) on the grid from the
//! first to the last such period. Models (`super::naive`, `super::ets`, …) work on its logarithms
//! — every target is a positive volume or price, and errors of such series are multiplicative.

use std::sync::{Arc, OnceLock};

use chrono::{Datelike, Duration, NaiveDate};

use super::FitError;
use crate::analysis::calendar::{SPRING_FESTIVAL_WINDOW, cny_date, spring_festival_share};
use crate::model::{Frequency, Period};

/// A target series on a regular grid: `values[i]` is the value of `start.offset(i)`, `None` for
/// a gap. The last value is always present: its period is the forecast's origin.
#[derive(Clone, Debug)]
pub struct History {
    series: String,
    freq: Frequency,
    start: Period,
    values: Vec<Option<f64>>,
    /// The grid's periods and their calendar facts, computed once and shared by the prefixes.
    grid: Arc<Grid>,
}

/// The periods of a history's grid, `start.offset(i)` for every index, and (computed on first
/// use) their [`CalendarFacts`]: models ask for periods by index tens of thousands of times per
/// forecast, the regression for the calendar of every row at every scoring origin, and a week's
/// offset, holiday share and month all go through calendar dates.
#[derive(Debug)]
struct Grid {
    periods: Box<[Period]>,
    calendar: OnceLock<Box<[CalendarFacts]>>,
}

/// What the calendar says about one period: the regressors every model may use.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CalendarFacts {
    /// The share of the Spring Festival window in the period, the window moved by the series'
    /// [`festival_lag_days`] ([`spring_festival_share_at`]).
    pub spring_festival: f64,
    /// [`in_break`] for each of [`BREAKS`].
    pub breaks: [f64; BREAKS.len()],
}

impl CalendarFacts {
    /// The facts of `p` for a series whose Spring Festival effect comes `festival_lag` days after
    /// Shanghai's ([`festival_lag_days`]).
    pub fn of(p: Period, festival_lag: i64) -> CalendarFacts {
        CalendarFacts {
            spring_festival: spring_festival_share_at(p, festival_lag),
            breaks: std::array::from_fn(|b| in_break(b, p)),
        }
    }
}

/// Equal when the content is: the cached grid of a prefix may run past its values.
impl PartialEq for History {
    fn eq(&self, other: &History) -> bool {
        self.series == other.series
            && self.freq == other.freq
            && self.start == other.start
            && self.values == other.values
    }
}

/// Hashes the exact content (values by their bits): what a model fitted to it sees.
impl std::hash::Hash for History {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.series.hash(state);
        self.freq.hash(state);
        self.start.hash(state);
        // One write of all the values (a gap as a NaN pattern no value has): hashing value by
        // value was a visible share of model selection's time.
        let bytes: Vec<u8> = self
            .values
            .iter()
            .flat_map(|v| v.map_or(u64::MAX, f64::to_bits).to_le_bytes())
            .collect();
        state.write(&bytes);
    }
}

impl History {
    /// A history from `(period, value)` pairs of one frequency (any order, no duplicates).
    /// Values must be positive: the models work on logarithms.
    pub fn from_points(
        series: &str,
        freq: Frequency,
        points: &[(Period, f64)],
    ) -> Result<History, FitError> {
        let mut points: Vec<(Period, f64)> = points.to_vec();
        points.sort_by_key(|p| p.0);
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(FitError::NoData {
                series: series.to_string(),
            });
        };
        if let Some(&(period, value)) = points.iter().find(|p| !(p.1 > 0.0 && p.1.is_finite())) {
            return Err(FitError::NonPositive {
                series: series.to_string(),
                period,
                value,
            });
        }
        let start = first.0;
        let len = start.steps_to(&last.0) as usize + 1;
        let mut values = vec![None; len];
        for &(p, v) in &points {
            values[start.steps_to(&p) as usize] = Some(v);
        }
        let periods = std::iter::successors(Some(start), |p| Some(p.next()))
            .take(len)
            .collect();
        Ok(History {
            series: series.to_string(),
            freq,
            start,
            values,
            grid: Arc::new(Grid {
                periods,
                calendar: OnceLock::new(),
            }),
        })
    }

    pub fn series(&self) -> &str {
        &self.series
    }

    pub fn freq(&self) -> Frequency {
        self.freq
    }

    /// Number of periods on the grid (gaps included).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false: a history has at least its origin.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of periods with a value.
    pub fn observed(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    pub fn start(&self) -> Period {
        self.start
    }

    /// The period at grid index `i` (may be past the end: forecast periods).
    pub fn period(&self, i: usize) -> Period {
        match self.grid.periods.get(i) {
            Some(p) => *p,
            None => self.start.offset(i as i64),
        }
    }

    /// The calendar facts of the period at grid index `i` (may be past the end).
    pub fn calendar(&self, i: usize) -> CalendarFacts {
        let grid = &self.grid;
        let facts = grid.calendar.get_or_init(|| {
            let lag = festival_lag_days(&self.series);
            grid.periods
                .iter()
                .map(|p| CalendarFacts::of(*p, lag))
                .collect()
        });
        match facts.get(i) {
            Some(f) => *f,
            None => CalendarFacts::of(self.period(i), festival_lag_days(&self.series)),
        }
    }

    /// The last period with a value: forecasts start at the period after it.
    pub fn origin(&self) -> Period {
        self.period(self.len() - 1)
    }

    pub fn values(&self) -> &[Option<f64>] {
        &self.values
    }

    /// The observed `(period, value)` pairs.
    pub fn points(&self) -> Vec<(Period, f64)> {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (self.period(i), v)))
            .collect()
    }

    /// Natural logarithms of the values.
    pub fn logs(&self) -> Vec<Option<f64>> {
        self.values.iter().map(|v| v.map(f64::ln)).collect()
    }

    /// Periods in a seasonal cycle: 12 months, 52 weeks.
    pub fn season_length(&self) -> usize {
        self.freq.periods_per_year()
    }

    /// The seasonal slot of a period: month − 1, or ISO week − 1 (week 53 shares slot 51 with
    /// week 52).
    pub fn season_of(&self, p: Period) -> usize {
        season_of(p)
    }

    /// Grid index of a period, if it lies on the grid.
    pub fn index_of(&self, p: Period) -> Option<usize> {
        let i = self.start.steps_to(&p);
        (i >= 0 && (i as usize) < self.len()).then_some(i as usize)
    }

    /// The history as it stood with only the first `len` periods (trailing gaps trimmed): the
    /// training data of an earlier forecast origin. `None` when nothing is left.
    pub fn prefix(&self, len: usize) -> Option<History> {
        let mut values: Vec<Option<f64>> = self.values[..len.min(self.len())].to_vec();
        while values.last().is_some_and(Option::is_none) {
            values.pop();
        }
        (!values.is_empty()).then(|| History {
            series: self.series.clone(),
            freq: self.freq,
            start: self.start,
            values,
            grid: self.grid.clone(),
        })
    }

    /// Log values with gaps filled, for use as *seasonal bases only* (the value a year before a
    /// forecast period), never as data a model is fitted to. A gap gets the value a season
    /// earlier plus the year-on-year growth interpolated between the nearest periods on either
    /// side that have one; without a base a season earlier, the log level is interpolated
    /// linearly between its neighbours. Gaps at the very start stay `None`.
    pub fn filled_logs(&self) -> Vec<Option<f64>> {
        let observed = self.logs();
        let mut logs = observed.clone();
        let m = self.season_length();
        let growth: Vec<Option<f64>> = (0..logs.len())
            .map(|t| match (t >= m).then(|| (logs[t], logs[t - m])) {
                Some((Some(a), Some(b))) => Some(a - b),
                _ => None,
            })
            .collect();
        // The nearest value on either side of every position, found in one pass each way (a
        // scan per gap would be quadratic in a long gap).
        let growth_near = Neighbours::of(&growth);
        let observed_near = Neighbours::of(&observed);
        let interpolate = |near: &Neighbours, t: usize| -> Option<f64> {
            match (near.before[t], near.after[t]) {
                (Some((i, a)), Some((j, b))) => Some(a + (b - a) * (t - i) as f64 / (j - i) as f64),
                (Some((_, a)), None) => Some(a),
                (None, Some((_, b))) => Some(b),
                (None, None) => None,
            }
        };
        for t in 0..logs.len() {
            if logs[t].is_some() {
                continue;
            }
            let seasonal = (t >= m)
                .then(|| logs[t - m])
                .flatten()
                .and_then(|base| interpolate(&growth_near, t).map(|g| base + g));
            logs[t] = seasonal.or_else(|| {
                // Only real observations on either side: a filled value never feeds another fill
                // by interpolation.
                let before = observed_near.before[t].is_some();
                before.then(|| interpolate(&observed_near, t)).flatten()
            });
        }
        logs
    }
}

/// For every position of a series with gaps, the nearest position before and after it that
/// holds a value, with that value.
struct Neighbours {
    before: Vec<Option<(usize, f64)>>,
    after: Vec<Option<(usize, f64)>>,
}

impl Neighbours {
    fn of(series: &[Option<f64>]) -> Neighbours {
        let n = series.len();
        let mut before = vec![None; n];
        let mut last = None;
        for (t, v) in series.iter().enumerate() {
            before[t] = last;
            if let Some(v) = v {
                last = Some((t, *v));
            }
        }
        let mut after = vec![None; n];
        let mut next = None;
        for (t, v) in series.iter().enumerate().rev() {
            after[t] = next;
            if let Some(v) = v {
                next = Some((t, *v));
            }
        }
        Neighbours { before, after }
    }
}

/// The seasonal slot of a period (see [`History::season_of`]).
pub fn season_of(p: Period) -> usize {
    match p {
        Period::Month { month, .. } => month as usize - 1,
        Period::Week { week, .. } => week.min(52) as usize - 1,
        Period::Day(d) => d.ordinal0() as usize % 364,
        Period::Year(_) => 0,
    }
}

/// Days after Shanghai's Spring Festival closures that a series feels them: the trans-Pacific
/// sailing to Los Angeles and Long Beach (14–18 days, DOMAIN.md; 16), so the lull of their
/// imports falls in the month after the festival when it comes late (LA's March/February
/// ratio 0.80 in 2018, festival 16 February; 1.26 in 2017, festival 28 January); 0 for every
/// other series (Chinese ports and prices feel them where they happen).
pub fn festival_lag_days(series: &str) -> i64 {
    if series.starts_with("la_") || series.starts_with("long_beach") {
        TRANSPACIFIC_DAYS
    } else {
        0
    }
}

/// Sailing days from Shanghai to the US West Coast used by [`festival_lag_days`].
pub const TRANSPACIFIC_DAYS: i64 = 16;

/// The share of the Spring Festival window, moved `lag_days` later, that falls in `p`
/// ([`spring_festival_share_of`] when the lag is 0).
pub fn spring_festival_share_at(p: Period, lag_days: i64) -> f64 {
    match p {
        _ if lag_days == 0 => spring_festival_share_of(p),
        Period::Year(_) => 1.0,
        _ => window_share(p, lag_days),
    }
}

/// Share of the Spring Festival window (7 days before to 14 days after Chinese New Year) that
/// falls in a month or an ISO week; 0 outside the embedded calendar (1990–2050).
pub fn spring_festival_share_of(p: Period) -> f64 {
    match p {
        Period::Month { year, month } => spring_festival_share(year, month).unwrap_or(0.0),
        Period::Week { .. } | Period::Day(_) => SHARES.with(|memo| {
            if let Some(v) = memo.borrow().get(&p) {
                return *v;
            }
            let v = window_share(p, 0);
            let mut memo = memo.borrow_mut();
            if memo.len() >= SHARES_CAPACITY {
                memo.clear();
            }
            memo.insert(p, v);
            v
        }),
        Period::Year(_) => 1.0,
    }
}

thread_local! {
    /// [`window_share`] of the weeks and days asked for on this thread: every regression fit
    /// asks for each period of its history again.
    static SHARES: std::cell::RefCell<std::collections::HashMap<Period, f64>> =
        Default::default();
}

/// Entries kept before [`SHARES`] is cleared (the calendar spans 61 years: ~3,200 weeks).
const SHARES_CAPACITY: usize = 8_192;

/// The share of the Spring Festival window, moved `lag_days` later, in a period, from the
/// calendar.
fn window_share(p: Period, lag_days: i64) -> f64 {
    let (start, end) = (p.start(), p.end());
    let window = SPRING_FESTIVAL_WINDOW;
    let days: i64 = (start.year() - 1..=end.year() + 1)
        .filter_map(cny_date)
        .map(|cny| {
            let from = cny - Duration::days(window.days_before().into()) + Duration::days(lag_days);
            let to = cny + Duration::days(window.days_after().into()) + Duration::days(lag_days);
            overlap_days(start, end, from, to)
        })
        .sum();
    days as f64 / f64::from(window.days())
}

fn overlap_days(a0: NaiveDate, a1: NaiveDate, b0: NaiveDate, b1: NaiveDate) -> i64 {
    ((a1.min(b1) - a0.max(b0)).num_days() + 1).max(0)
}

/// The structural breaks every regression carries an indicator for: the first COVID quarter
/// (January–March 2020) and the Shanghai lockdown (April–May 2022). DOMAIN.md: breaks, not noise.
pub const BREAKS: [Break; 2] = [
    Break {
        name: "covid_2020q1",
        from: (2020, 1),
        to: (2020, 3),
    },
    Break {
        name: "shanghai_lockdown_2022",
        from: (2022, 4),
        to: (2022, 5),
    },
];

/// A structural break: the months `from..=to` as (year, month).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Break {
    pub name: &'static str,
    pub from: (i32, u32),
    pub to: (i32, u32),
}

/// 1 when period `p` (a month, or a week by the month of its Thursday) lies in break `b` of
/// [`BREAKS`], else 0.
pub fn in_break(b: usize, p: Period) -> f64 {
    let Break { from, to, .. } = BREAKS[b];
    let Period::Month { year, month } = p.coarsen(Frequency::Month) else {
        return 0.0;
    };
    let key = (year, month);
    if key >= from && key <= to { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(y: i32, mo: u32) -> Period {
        Period::month(y, mo).unwrap()
    }

    #[test]
    fn the_cached_calendar_is_the_calendar_in_and_past_the_grid() {
        // Weekly, 2019-40 to 2020-30 (the 2020 Spring Festival, the first COVID quarter).
        let start = Period::week(2019, 40).unwrap();
        let pts: Vec<(Period, f64)> = (0..42).map(|i| (start.offset(i), 100.0)).collect();
        let h = History::from_points("x", Frequency::Week, &pts).unwrap();
        let short = h.prefix(10).unwrap();
        for i in 0..h.len() + 12 {
            let want = CalendarFacts::of(h.period(i), 0);
            assert_eq!(h.calendar(i), want, "index {i}");
            assert_eq!(short.calendar(i), want, "prefix, index {i}");
        }
        // 2020-W04 holds Chinese New Year (25 January) and lies in the COVID break.
        let w4 = h.index_of(Period::week(2020, 4).unwrap()).unwrap();
        let facts = h.calendar(w4);
        assert!(facts.spring_festival > 0.0, "{facts:?}");
        assert_eq!(facts.breaks, [1.0, 0.0]);
        assert_eq!(h.calendar(0).breaks, [0.0, 0.0]);
    }

    #[test]
    fn the_cached_grid_is_the_calendar_and_prefixes_equal_fresh_histories() {
        // Weekly across two ISO years with 53 weeks (2015, 2020) and a gap.
        let start = Period::week(2014, 40).unwrap();
        let pts: Vec<(Period, f64)> = (0..400)
            .filter(|i| i % 17 != 5)
            .map(|i| (start.offset(i), 100.0 + i as f64))
            .collect();
        let h = History::from_points("x", Frequency::Week, &pts).unwrap();
        for i in 0..h.len() + 10 {
            assert_eq!(h.period(i), start.offset(i as i64), "index {i}");
        }
        let p = h.prefix(200).unwrap();
        for i in 0..p.len() + 10 {
            assert_eq!(p.period(i), start.offset(i as i64), "prefix index {i}");
        }
        let fresh = History::from_points("x", Frequency::Week, &p.points()).unwrap();
        assert_eq!(p, fresh);
        use std::hash::{Hash, Hasher};
        let hash = |h: &History| {
            let mut s = std::collections::hash_map::DefaultHasher::new();
            h.hash(&mut s);
            s.finish()
        };
        assert_eq!(hash(&p), hash(&fresh));
    }

    #[test]
    fn los_angeles_feels_the_spring_festival_a_crossing_later() {
        // 2018: the festival on 16 February, its window 9 February – 2 March (22 days); at Los
        // Angeles 16 days later, 25 February – 18 March: 4 days in February, 18 in March.
        assert_eq!(festival_lag_days("la_teu"), 16);
        assert_eq!(festival_lag_days("long_beach_teu"), 16);
        assert_eq!(festival_lag_days("shanghai_calls"), 0);
        assert!((spring_festival_share_at(m(2018, 2), 0) - 20.0 / 22.0).abs() < 1e-12);
        assert!((spring_festival_share_at(m(2018, 2), 16) - 4.0 / 22.0).abs() < 1e-12);
        assert!((spring_festival_share_at(m(2018, 3), 16) - 18.0 / 22.0).abs() < 1e-12);
        assert_eq!(spring_festival_share_at(m(2018, 4), 16), 0.0);
        // A history of LA reads the moved window, any other history the festival's own.
        let pts = [(m(2018, 1), 1.0), (m(2018, 2), 1.0), (m(2018, 3), 1.0)];
        let la = History::from_points("la_teu", Frequency::Month, &pts).unwrap();
        let sh = History::from_points("shanghai_calls", Frequency::Month, &pts).unwrap();
        assert!((la.calendar(2).spring_festival - 18.0 / 22.0).abs() < 1e-12);
        assert!((sh.calendar(2).spring_festival - 2.0 / 22.0).abs() < 1e-12);
        // Past the grid too (the regression's calendar of the periods ahead): 2019's festival
        // on 5 February reaches LA 14 February – 7 March, 15 days of it in February.
        assert_eq!(la.calendar(4).spring_festival, 0.0);
        assert!((la.calendar(13).spring_festival - 15.0 / 22.0).abs() < 1e-12);
    }

    #[test]
    fn grid_keeps_gaps_and_prefixes_trim_them() {
        let h = History::from_points(
            "x",
            Frequency::Month,
            &[(m(2020, 3), 3.0), (m(2020, 1), 1.0), (m(2020, 5), 5.0)],
        )
        .unwrap();
        assert_eq!(h.len(), 5);
        assert_eq!(h.observed(), 3);
        assert_eq!(h.origin(), m(2020, 5));
        assert_eq!(h.values()[1], None);
        let p = h.prefix(4).unwrap();
        assert_eq!(p.origin(), m(2020, 3));
        assert_eq!(p.len(), 3);
        assert!(matches!(
            History::from_points("x", Frequency::Month, &[(m(2020, 1), 0.0)]),
            Err(FitError::NonPositive { .. })
        ));
    }

    #[test]
    fn filled_logs_use_seasonal_growth() {
        // Two years, the second exactly 10% (log) above the first, with 2021-06 missing.
        let mut pts = Vec::new();
        for mo in 1..=12 {
            let base = 100.0 + mo as f64;
            pts.push((m(2020, mo), base));
            if mo != 6 {
                pts.push((m(2021, mo), base * 0.1f64.exp()));
            }
        }
        let h = History::from_points("x", Frequency::Month, &pts).unwrap();
        let filled = h.filled_logs();
        let want = 106f64.ln() + 0.1;
        assert!((filled[17].unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn spring_festival_shares_by_week() {
        // CNY 2023-01-22: window 15 Jan – 5 Feb. ISO week 2023-W03 (16–22 Jan) holds 7 days.
        let w = Period::week(2023, 3).unwrap();
        assert!((spring_festival_share_of(w) - 7.0 / 22.0).abs() < 1e-12);
        let total: f64 = (1..=10)
            .map(|k| spring_festival_share_of(Period::week(2023, k).unwrap()))
            .sum();
        // 2023-W02 (9–15 Jan) holds 15 Jan: the ten weeks cover the whole window.
        assert!((total - 1.0).abs() < 1e-12, "{total}");
        assert!((spring_festival_share_of(m(2023, 1)) - 17.0 / 22.0).abs() < 1e-12);
    }

    #[test]
    fn breaks_by_month_and_week() {
        assert_eq!(in_break(0, m(2020, 3)), 1.0);
        assert_eq!(in_break(0, m(2020, 4)), 0.0);
        assert_eq!(in_break(1, m(2022, 5)), 1.0);
        // 2022-W17 runs 25 Apr – 1 May; its Thursday is 28 April.
        assert_eq!(in_break(1, Period::week(2022, 17).unwrap()), 1.0);
    }
}
