//! A series as seen at one moment: one value per period, the latest known by the as-of time, at
//! the series' own grid or aggregated to a coarser one, and as a polars frame.
//!
//! Views come from `crate::store::Store::view`; analysis, forecasting and reports read views only,
//! which is what keeps every result a function of (store, as-of, config).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use polars::prelude::*;

use super::catalog::{Aggregation, SeriesSpec};
use crate::model::{Frequency, Period, Precision};

/// One period's value in a view.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub period: Period,
    pub value: f64,
    pub precision: Precision,
    /// When this value became known: for an aggregate, when its last component did.
    pub known_at: DateTime<Utc>,
    pub source: Arc<str>,
    /// How many native observations make up this value (1 at the native grid).
    pub n: u32,
    /// False for an aggregate that is missing part of its period: never treat it as a full
    /// period's total.
    pub complete: bool,
}

/// A series at one as-of time and one frequency.
#[derive(Clone, Debug)]
pub struct SeriesView {
    pub spec: SeriesSpec,
    pub freq: Frequency,
    pub as_of: DateTime<Utc>,
    /// Sorted by period, one point per period.
    pub points: Vec<Point>,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error(
        "`{series}` is {native} data and cannot be shown by {asked}: portcast never disaggregates"
    )]
    Finer {
        series: String,
        native: Frequency,
        asked: Frequency,
    },
}

impl SeriesView {
    /// Aggregate to `freq` (a no-op at the series' own grid). Sums count the finer periods and are
    /// complete only when all are present. Means of weekly prints are complete when no stretch of
    /// the period goes more than two weeks without a print: one skipped week is normal (SCFI has
    /// no release in Chinese holiday weeks), more means the period is not covered.
    pub fn to_freq(self, freq: Frequency) -> Result<SeriesView, ViewError> {
        if freq == self.freq {
            return Ok(self);
        }
        if freq < self.freq {
            return Err(ViewError::Finer {
                series: self.spec.id.clone(),
                native: self.freq,
                asked: freq,
            });
        }
        let mut groups: BTreeMap<Period, Vec<&Point>> = BTreeMap::new();
        for p in &self.points {
            groups.entry(p.period.coarsen(freq)).or_default().push(p);
        }
        let points = groups
            .into_iter()
            .map(|(period, members)| {
                let n = members.len() as u32;
                let sum: f64 = members.iter().map(|p| p.value).sum();
                let (value, complete, what) = match self.spec.aggregation {
                    Aggregation::Sum => {
                        let expected = expected_members(period, self.freq);
                        let complete =
                            members.iter().all(|p| p.complete) && i64::from(n) == expected;
                        (sum, complete, "sum")
                    }
                    Aggregation::Mean => {
                        let complete = if self.spec.cadence > self.freq {
                            covers_with_prints(period, &members, MAX_PRINT_GAP_DAYS)
                        } else {
                            i64::from(n) == expected_members(period, self.freq)
                        };
                        (sum / f64::from(n), complete, "mean")
                    }
                };
                let precision = members
                    .iter()
                    .map(|p| p.precision)
                    .max()
                    .unwrap_or(Precision::Exact);
                let known_at = members
                    .iter()
                    .map(|p| p.known_at)
                    .max()
                    .expect("a group has members");
                Point {
                    period,
                    value,
                    precision,
                    known_at,
                    source: Arc::from(format!(
                        "{what} of {n} {}",
                        member_name(&self.spec, self.freq, n)
                    )),
                    n,
                    complete,
                }
            })
            .collect();
        Ok(SeriesView {
            freq,
            points,
            ..self
        })
    }

    /// Values by period, complete periods only: what a model may treat as data.
    pub fn complete_values(&self) -> Vec<(Period, f64)> {
        self.points
            .iter()
            .filter(|p| p.complete && p.precision.is_value())
            .map(|p| (p.period, p.value))
            .collect()
    }

    /// Periods between the first and the last point that have no point.
    pub fn missing_periods(&self, freq: Frequency) -> Vec<Period> {
        let present: std::collections::BTreeSet<Period> =
            self.points.iter().map(|p| p.period.coarsen(freq)).collect();
        let (Some(first), Some(last)) = (present.first(), present.last()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut p = *first;
        while p < *last {
            if !present.contains(&p) {
                out.push(p);
            }
            p = p.next();
        }
        out
    }

    /// The view as a polars frame: `period` (label), `start` (date), `value`, `precision`,
    /// `known_at` (UTC, ms), `source`, `n`, `complete`.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let pts = &self.points;
        DataFrame::new_infer_height(vec![
            Column::new(
                "period".into(),
                pts.iter().map(|p| p.period.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "start".into(),
                pts.iter().map(|p| p.period.start()).collect::<Vec<_>>(),
            ),
            Column::new(
                "value".into(),
                pts.iter().map(|p| p.value).collect::<Vec<_>>(),
            ),
            Column::new(
                "precision".into(),
                pts.iter().map(|p| p.precision.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "known_at".into(),
                pts.iter()
                    .map(|p| p.known_at.naive_utc())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "source".into(),
                pts.iter().map(|p| p.source.to_string()).collect::<Vec<_>>(),
            ),
            Column::new("n".into(), pts.iter().map(|p| p.n).collect::<Vec<_>>()),
            Column::new(
                "complete".into(),
                pts.iter().map(|p| p.complete).collect::<Vec<_>>(),
            ),
        ])
    }
}

/// "prints" for a series keyed by print date, else the native period name ("days", "months").
fn member_name(spec: &SeriesSpec, native: Frequency, n: u32) -> String {
    let noun = if spec.cadence > native {
        "print"
    } else {
        native.as_str()
    };
    if n == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

/// Longest stretch without a print that still counts as covered: a weekly print plus one skipped
/// holiday week.
const MAX_PRINT_GAP_DAYS: i64 = 14;

/// True when prints (sorted, inside `period`) leave no gap longer than `max_gap` days, counting
/// from the day before the period starts to the day after it ends.
fn covers_with_prints(period: Period, prints: &[&Point], max_gap: i64) -> bool {
    let mut prev = period.start() - Duration::days(1);
    for p in prints {
        let d = p.period.start();
        if (d - prev).num_days() > max_gap {
            return false;
        }
        prev = d;
    }
    (period.end() + Duration::days(1) - prev).num_days() <= max_gap
}

/// How many periods of `native` make up `period`.
fn expected_members(period: Period, native: Frequency) -> i64 {
    match native {
        Frequency::Day => period.days(),
        Frequency::Week => {
            // ISO weeks belong to the month/year of their Thursday.
            let mut n = 0;
            let mut w = Period::containing(period.start(), Frequency::Week);
            while w.start() <= period.end() {
                if w.coarsen(period.frequency()) == period {
                    n += 1;
                }
                w = w.next();
            }
            n
        }
        Frequency::Month => {
            Period::containing(period.start(), Frequency::Month)
                .steps_to(&Period::containing(period.end(), Frequency::Month))
                + 1
        }
        Frequency::Year => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::start_of_day;
    use crate::series::catalog::spec;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn daily(id: &str, from: NaiveDate, values: &[f64]) -> SeriesView {
        let points = values
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let d = from + Duration::days(i as i64);
                Point {
                    period: Period::Day(d),
                    value: v,
                    precision: Precision::Exact,
                    known_at: start_of_day(d + Duration::days(9)),
                    source: Arc::from("t"),
                    n: 1,
                    complete: true,
                }
            })
            .collect();
        SeriesView {
            spec: spec(id).unwrap(),
            freq: Frequency::Day,
            as_of: Utc::now(),
            points,
        }
    }

    #[test]
    fn sums_mark_partial_months() {
        // 31 days of January and the first 3 days of February.
        let v = daily("shanghai_calls", day(2023, 1, 1), &[1.0; 34])
            .to_freq(Frequency::Month)
            .unwrap();
        assert_eq!(v.points.len(), 2);
        assert_eq!(
            (v.points[0].value, v.points[0].complete, v.points[0].n),
            (31.0, true, 31)
        );
        assert_eq!(
            (v.points[1].value, v.points[1].complete, v.points[1].n),
            (3.0, false, 3)
        );
        assert_eq!(v.points[1].known_at, start_of_day(day(2023, 2, 12)));
        assert_eq!(v.complete_values().len(), 1);
    }

    #[test]
    fn iso_weeks_split_at_monday() {
        // 2023-01-01 is a Sunday (2022-W52); then W01 Monday 2 .. Sunday 8.
        let v = daily("shanghai_calls", day(2023, 1, 1), &[2.0; 8])
            .to_freq(Frequency::Week)
            .unwrap();
        let labels: Vec<String> = v.points.iter().map(|p| p.period.to_string()).collect();
        assert_eq!(labels, ["2022-W52", "2023-W01"]);
        assert!(!v.points[0].complete);
        assert!(v.points[1].complete);
        assert_eq!(v.points[1].value, 14.0);
    }

    #[test]
    fn weekly_prints_cover_a_month_unless_two_weeks_are_missing() {
        let prints = |days: &[u32]| -> Vec<Point> {
            days.iter()
                .map(|&d| Point {
                    period: Period::Day(day(2014, 2, d)),
                    value: 1000.0,
                    precision: Precision::Exact,
                    known_at: start_of_day(day(2014, 2, d)),
                    source: Arc::from("t"),
                    n: 1,
                    complete: true,
                })
                .collect()
        };
        let feb = Period::month(2014, 2).unwrap();
        let ok = prints(&[7, 14, 21, 28]);
        assert!(covers_with_prints(
            feb,
            &ok.iter().collect::<Vec<_>>(),
            MAX_PRINT_GAP_DAYS
        ));
        let holiday = prints(&[14, 21, 28]); // no print in the Spring Festival week
        assert!(covers_with_prints(
            feb,
            &holiday.iter().collect::<Vec<_>>(),
            MAX_PRINT_GAP_DAYS
        ));
        let sparse = prints(&[7]);
        assert!(!covers_with_prints(
            feb,
            &sparse.iter().collect::<Vec<_>>(),
            MAX_PRINT_GAP_DAYS
        ));
    }

    #[test]
    fn never_disaggregates() {
        let v = SeriesView {
            spec: spec("pmi").unwrap(),
            freq: Frequency::Month,
            as_of: Utc::now(),
            points: vec![],
        };
        assert!(v.to_freq(Frequency::Week).is_err());
    }

    #[test]
    fn frame_has_the_documented_columns() {
        let df = daily("shanghai_calls", day(2023, 1, 1), &[1.0, 2.0])
            .to_frame()
            .unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "period",
                "start",
                "value",
                "precision",
                "known_at",
                "source",
                "n",
                "complete"
            ]
        );
        assert_eq!(df.height(), 2);
    }
}
