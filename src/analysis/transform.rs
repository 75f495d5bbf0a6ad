//! Transforms of a series before lead-lag work, and the alignment of two series on one grid.
//!
//! Lead-lag statistics (`super::ccf`, `super::granger`, `super::lags`) need two series on the same
//! calendar grid, each made stationary. This module takes store views (`crate::series::view`) to
//! a [`Regular`] grid (one slot per period, `None` where a period is missing), applies a
//! [`Transform`] (level, log, log difference, year-on-year log growth), optionally removes the
//! Chinese New Year effect of a monthly series ([`cny_adjust`], from `super::calendar`), and aligns
//! two series on the coarser of their frequencies ([`prepare_pair`]).
//!
//! Honesty rules: nothing is filled in. A period missing in the view (or partial: an aggregate
//! that lacks some of its days, or a figure that is only a bound) stays missing, and so does every
//! transformed value that would need it. A log of a value that is not positive is missing too, and
//! counted. Every pair reports how many periods each side and both sides have.

use chrono::{DateTime, Datelike, Utc};
use nalgebra::{DMatrix, DVector};
use thiserror::Error;

use super::calendar::{self, CalendarError};
use super::linalg::{LinalgError, least_squares};
use crate::model::{Frequency, Period};
use crate::series::catalog::{self, SeriesSpec};
use crate::series::view::SeriesView;
use crate::store::{Store, StoreError};

/// How a series is transformed before lead-lag work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transform {
    /// The value as it is.
    Level,
    /// `ln x_t`.
    Log,
    /// `ln x_t − ln x_{t−1}`: growth on the previous period.
    LogDiff,
    /// `ln x_t − ln x_{t−s}` with `s` = 12 months, 52 ISO weeks or 364 days
    /// ([`Frequency::periods_per_year`]): growth on the same period a year earlier, which also
    /// removes a fixed seasonal pattern.
    Yoy,
}

impl Transform {
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Level => "level",
            Transform::Log => "log",
            Transform::LogDiff => "logdiff",
            Transform::Yoy => "yoy",
        }
    }

    pub fn parse(s: &str) -> Option<Transform> {
        match s.trim().to_ascii_lowercase().as_str() {
            "level" => Some(Transform::Level),
            "log" => Some(Transform::Log),
            "logdiff" | "log-diff" => Some(Transform::LogDiff),
            "yoy" => Some(Transform::Yoy),
            _ => None,
        }
    }

    /// How many periods back the transform reaches (0 for level and log).
    pub fn reach(self, freq: Frequency) -> usize {
        match self {
            Transform::Level | Transform::Log => 0,
            Transform::LogDiff => 1,
            Transform::Yoy => freq.periods_per_year(),
        }
    }

    fn takes_log(self) -> bool {
        !matches!(self, Transform::Level)
    }
}

impl std::fmt::Display for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar adjustment applied to a monthly series before lead-lag work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Adjustment {
    /// Remove the Chinese New Year effect with the Spring Festival share regressor ([`cny_adjust`]).
    Cny,
}

impl Adjustment {
    pub fn as_str(self) -> &'static str {
        match self {
            Adjustment::Cny => "cny",
        }
    }
}

/// Why a series or pair could not be prepared.
#[derive(Debug, Error)]
pub enum TransformError {
    #[error("unknown series `{0}` (see `portcast data list`)")]
    UnknownSeries(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("series on different grids cannot be aligned: {x} and {y}")]
    MixedFrequency { x: Frequency, y: Frequency },
    #[error("the Chinese New Year adjustment is for monthly series; `{series}` is used by {freq}")]
    CnyNotMonthly { series: String, freq: Frequency },
    #[error(transparent)]
    Adjustment(#[from] AdjustmentError),
}

/// Why the Chinese New Year adjustment of a series cannot be fitted: a shortfall of that series'
/// data (the lead-lag analysis reports it for the pair instead of failing).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum AdjustmentError {
    #[error(
        "the Chinese New Year adjustment of `{series}` needs at least {needed} months with a value and a change in the holiday's share (January to March), has {got}"
    )]
    CnyTooFew {
        series: String,
        needed: usize,
        got: usize,
    },
    #[error("the Chinese New Year adjustment of `{series}` failed: {error}")]
    CnyFit {
        series: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: LinalgError,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl From<CalendarError> for TransformError {
    fn from(e: CalendarError) -> Self {
        TransformError::Adjustment(AdjustmentError::Calendar(e))
    }
}

/// A series on a regular grid: `values[i]` belongs to `start.offset(i)`, `None` where missing.
/// An empty series has no values (its `start` is then meaningless).
#[derive(Clone, Debug, PartialEq)]
pub struct Regular {
    pub freq: Frequency,
    pub start: Period,
    pub values: Vec<Option<f64>>,
}

impl Regular {
    /// From `(period, value)` pairs of one frequency (any order; a later duplicate wins).
    pub fn from_values(freq: Frequency, values: &[(Period, f64)]) -> Regular {
        let (Some(first), Some(last)) = (
            values.iter().map(|(p, _)| *p).min(),
            values.iter().map(|(p, _)| *p).max(),
        ) else {
            return Regular {
                freq,
                start: Period::Year(0),
                values: Vec::new(),
            };
        };
        let len = first.steps_to(&last) as usize + 1;
        let mut out = vec![None; len];
        for (p, v) in values {
            debug_assert_eq!(p.frequency(), freq);
            out[first.steps_to(p) as usize] = v.is_finite().then_some(*v);
        }
        Regular {
            freq,
            start: first,
            values: out,
        }
    }

    /// The view's complete values (see [`SeriesView::complete_values`]): partial aggregates and
    /// bounds are missing, never filled.
    pub fn from_view(view: &SeriesView) -> Regular {
        Regular::from_values(view.freq, &view.complete_values())
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of periods with a value.
    pub fn present(&self) -> usize {
        self.values.iter().filter(|v| v.is_some()).count()
    }

    /// The period of slot `i`.
    pub fn period(&self, i: usize) -> Period {
        self.start.offset(i as i64)
    }

    /// The value of `period`, if present.
    pub fn get(&self, period: Period) -> Option<f64> {
        if self.is_empty() || period.frequency() != self.freq {
            return None;
        }
        let i = self.start.steps_to(&period);
        usize::try_from(i)
            .ok()
            .and_then(|i| self.values.get(i).copied().flatten())
    }

    /// The transformed series on the same grid. A value whose inputs are missing is missing; so is
    /// the log of a value that is not positive (counted in [`Transformed::non_positive`]).
    pub fn transform(&self, t: Transform) -> Transformed {
        let mut non_positive = 0;
        let base: Vec<Option<f64>> = if t.takes_log() {
            self.values
                .iter()
                .map(|v| match *v {
                    Some(v) if v > 0.0 => Some(v.ln()),
                    Some(_) => {
                        non_positive += 1;
                        None
                    }
                    None => None,
                })
                .collect()
        } else {
            self.values.clone()
        };
        let reach = t.reach(self.freq);
        let values = match t {
            Transform::Level | Transform::Log => base,
            Transform::LogDiff | Transform::Yoy => (0..base.len())
                .map(|i| {
                    let back = i.checked_sub(reach)?;
                    Some(base[i]? - base[back]?)
                })
                .collect(),
        };
        Transformed {
            series: Regular {
                values,
                ..self.clone()
            },
            non_positive,
        }
    }
}

/// The output of [`Regular::transform`].
#[derive(Clone, Debug, PartialEq)]
pub struct Transformed {
    pub series: Regular,
    /// Values that were zero or negative where a log was needed (now missing).
    pub non_positive: usize,
}

/// Two series on one grid covering both spans (the union: a lead of `x` before `y` starts still
/// pairs with later `y`); `None` where a side is missing.
#[derive(Clone, Debug, PartialEq)]
pub struct Aligned {
    pub freq: Frequency,
    pub start: Period,
    pub x: Vec<Option<f64>>,
    pub y: Vec<Option<f64>>,
}

impl Aligned {
    pub fn len(&self) -> usize {
        self.x.len()
    }

    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The period of slot `i`.
    pub fn period(&self, i: usize) -> Period {
        self.start.offset(i as i64)
    }

    /// Periods where both sides have a value.
    pub fn overlap(&self) -> usize {
        self.x
            .iter()
            .zip(&self.y)
            .filter(|(a, b)| a.is_some() && b.is_some())
            .count()
    }

    /// Slots `from..from + len` (clipped to the series).
    pub fn window(&self, from: usize, len: usize) -> Aligned {
        let to = (from + len).min(self.len());
        let from = from.min(to);
        Aligned {
            freq: self.freq,
            start: self.period(from),
            x: self.x[from..to].to_vec(),
            y: self.y[from..to].to_vec(),
        }
    }

    /// The slots up to and including the last one where both sides are present, from the first
    /// one where either is: trims a tail or head where nothing can pair.
    fn trimmed(self) -> Aligned {
        let any = |i: &usize| self.x[*i].is_some() || self.y[*i].is_some();
        let Some(first) = (0..self.len()).find(any) else {
            return Aligned {
                x: Vec::new(),
                y: Vec::new(),
                ..self
            };
        };
        let last = (0..self.len()).rev().find(any).unwrap_or(first);
        self.window(first, last - first + 1)
    }
}

/// Align two series of the same frequency on the union of their spans.
pub fn align(x: &Regular, y: &Regular) -> Result<Aligned, TransformError> {
    if x.freq != y.freq {
        return Err(TransformError::MixedFrequency {
            x: x.freq,
            y: y.freq,
        });
    }
    let freq = x.freq;
    let spans: Vec<(Period, Period)> = [x, y]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| (s.start, s.period(s.len() - 1)))
        .collect();
    let (Some(start), Some(end)) = (
        spans.iter().map(|s| s.0).min(),
        spans.iter().map(|s| s.1).max(),
    ) else {
        return Ok(Aligned {
            freq,
            start: Period::Year(0),
            x: Vec::new(),
            y: Vec::new(),
        });
    };
    let len = start.steps_to(&end) as usize + 1;
    let fill = |s: &Regular| -> Vec<Option<f64>> {
        (0..len)
            .map(|i| s.get(start.offset(i as i64)))
            .collect::<Vec<_>>()
    };
    Ok(Aligned {
        freq,
        start,
        x: fill(x),
        y: fill(y),
    }
    .trimmed())
}

/// The grid a pair is analysed on: the coarser of the two series' cadences (a weekly SCFI print
/// and daily vessel calls meet on ISO weeks; PMI and anything meet on months), raised further to
/// `asked` when that is coarser. portcast never disaggregates, so asking for a finer grid than a
/// series has gives the coarser grid and a note saying so.
pub fn pair_frequency(
    x: &SeriesSpec,
    y: &SeriesSpec,
    asked: Option<Frequency>,
) -> (Frequency, Option<String>) {
    let coarsest = x.cadence.max(y.cadence);
    match asked {
        Some(a) if a >= coarsest => (a, None),
        Some(a) => {
            let which = if x.cadence >= y.cadence { x } else { y };
            (
                coarsest,
                Some(format!(
                    "by {coarsest}, not {a}: `{}` is {} data (never disaggregated)",
                    which.id,
                    which.cadence.as_str()
                )),
            )
        }
        None => (coarsest, None),
    }
}

/// The Spring Festival share regressor of a monthly grid under a transform: the share itself for
/// level and log, its change on the previous month for logdiff, its change on the same month a
/// year earlier for yoy (the regressor must be transformed like the series it explains).
pub fn cny_regressor(start: Period, len: usize, t: Transform) -> Result<Vec<f64>, TransformError> {
    let share = |p: Period| -> Result<f64, CalendarError> {
        let d = p.start();
        calendar::spring_festival_share(d.year(), d.month())
    };
    let reach = t.reach(Frequency::Month) as i64;
    (0..len as i64)
        .map(|i| {
            let p = start.offset(i);
            let s = share(p)?;
            Ok(if reach == 0 {
                s
            } else {
                s - share(p.offset(-reach))?
            })
        })
        .collect()
}

/// The fitted Chinese New Year effect of one series.
#[derive(Clone, Debug, PartialEq)]
pub struct CnyFit {
    /// Effect of a whole Spring Festival window on the transformed series (log points for the log
    /// transforms).
    pub beta: f64,
    /// Months used in the regression.
    pub n: usize,
}

/// Fewest months for the Chinese New Year regression.
pub const CNY_MIN_MONTHS: usize = 12;

/// Remove the Chinese New Year effect from a transformed monthly series.
///
/// Method: ordinary least squares of the transformed series `z_t` on a constant and the Spring
/// Festival share regressor `s_t` transformed the same way ([`cny_regressor`]; window: 7 days
/// before to 14 days after New Year's Day, `super::calendar`), over the months where `z_t` exists;
/// then `z_t − β·s_t`. The constant stays in the series: only the holiday's component is removed.
/// For year-on-year growth, `s_t` is the change in the month's holiday share on a year earlier, so
/// a January that held the holiday this year but not last year is lifted by `β·Δs`. β is estimated
/// on everything the view holds (all of it known at the as-of time).
pub fn cny_adjust(
    series: &Regular,
    id: &str,
    t: Transform,
) -> Result<(Regular, CnyFit), TransformError> {
    if series.freq != Frequency::Month {
        return Err(TransformError::CnyNotMonthly {
            series: id.to_string(),
            freq: series.freq,
        });
    }
    let s = cny_regressor(series.start, series.len(), t)?;
    let rows: Vec<usize> = (0..series.len())
        .filter(|&i| series.values[i].is_some())
        .collect();
    let moving = rows.iter().filter(|&&i| s[i] != 0.0).count();
    if rows.len() < CNY_MIN_MONTHS || moving < 2 {
        return Err(AdjustmentError::CnyTooFew {
            series: id.to_string(),
            needed: CNY_MIN_MONTHS,
            got: if moving < 2 { moving } else { rows.len() },
        }
        .into());
    }
    let design = DMatrix::from_fn(rows.len(), 2, |r, c| if c == 0 { 1.0 } else { s[rows[r]] });
    let response = DVector::from_iterator(
        rows.len(),
        rows.iter().map(|&i| series.values[i].unwrap_or(f64::NAN)),
    );
    let fit = least_squares(&design, &response).map_err(|error| AdjustmentError::CnyFit {
        series: id.to_string(),
        error,
    })?;
    let beta = fit.coef[1];
    let values = series
        .values
        .iter()
        .zip(&s)
        .map(|(v, s)| v.map(|v| v - beta * s))
        .collect();
    Ok((
        Regular {
            values,
            ..series.clone()
        },
        CnyFit {
            beta,
            n: rows.len(),
        },
    ))
}

/// A pair of series ready for lead-lag work.
#[derive(Clone, Debug, PartialEq)]
pub struct PairData {
    pub x: String,
    pub y: String,
    pub freq: Frequency,
    pub transform: Transform,
    pub adjust: Option<Adjustment>,
    /// Both transformed (and adjusted) series on one grid.
    pub aligned: Aligned,
    /// Periods with a transformed value, each side.
    pub n_x: usize,
    pub n_y: usize,
    /// Periods where both sides have one.
    pub overlap: usize,
    /// Fitted Chinese New Year effects (`x`, `y`) where adjusted.
    pub cny: (Option<CnyFit>, Option<CnyFit>),
    /// Plain statements about what was done (grid raised, values dropped, adjustment skipped).
    pub notes: Vec<String>,
}

/// Whether `--adjust cny` applies to a series: volumes (counts: TEU, vessel calls) carry the
/// holiday; PMI is published seasonally adjusted and SCFI is a price, so they are left alone.
pub fn adjusts(spec: &SeriesSpec) -> bool {
    spec.count
}

/// Views `x` and `y` as of `as_of` on their common grid ([`pair_frequency`]), each aggregated
/// with its own rule (sum of counts, mean of levels; partial periods missing), transformed and,
/// when asked, calendar-adjusted; then aligned.
pub fn prepare_pair(
    store: &Store,
    as_of: DateTime<Utc>,
    x: &str,
    y: &str,
    asked: Option<Frequency>,
    transform: Transform,
    adjust: Option<Adjustment>,
) -> Result<PairData, TransformError> {
    let spec =
        |id: &str| catalog::spec(id).ok_or_else(|| TransformError::UnknownSeries(id.to_string()));
    let (sx, sy) = (spec(x)?, spec(y)?);
    let (freq, note) = pair_frequency(&sx, &sy, asked);
    let mut notes: Vec<String> = note.into_iter().collect();
    let mut side = |s: &SeriesSpec| -> Result<(Regular, Option<CnyFit>), TransformError> {
        let view = store.view_at(&s.id, as_of, Some(freq))?;
        let out = Regular::from_view(&view).transform(transform);
        if out.non_positive > 0 {
            notes.push(format!(
                "{}: {} value(s) not positive, missing after the log",
                s.id, out.non_positive
            ));
        }
        match adjust {
            Some(Adjustment::Cny) if adjusts(s) && freq != Frequency::Month => {
                notes.push(format!(
                    "{}: no Chinese New Year adjustment by {freq} (the holiday-share regressor is monthly)",
                    s.id
                ));
                Ok((out.series, None))
            }
            Some(Adjustment::Cny) if adjusts(s) => {
                let (adjusted, fit) = cny_adjust(&out.series, &s.id, transform)?;
                notes.push(format!(
                    "{}: Chinese New Year effect removed (beta {:.4} per whole holiday window, {} months)",
                    s.id, fit.beta, fit.n
                ));
                Ok((adjusted, Some(fit)))
            }
            _ => Ok((out.series, None)),
        }
    };
    let (rx, fx) = side(&sx)?;
    let (ry, fy) = side(&sy)?;
    let aligned = align(&rx, &ry)?;
    Ok(PairData {
        x: x.to_string(),
        y: y.to_string(),
        freq,
        transform,
        adjust,
        n_x: rx.present(),
        n_y: ry.present(),
        overlap: aligned.overlap(),
        aligned,
        cny: (fx, fy),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(y: i32, mo: u32) -> Period {
        Period::month(y, mo).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn grid_keeps_gaps() {
        let r = Regular::from_values(
            Frequency::Month,
            &[(m(2020, 3), 3.0), (m(2020, 1), 1.0), (m(2020, 5), 5.0)],
        );
        assert_eq!(r.start, m(2020, 1));
        assert_eq!(r.values, [Some(1.0), None, Some(3.0), None, Some(5.0)]);
        assert_eq!(r.present(), 3);
        assert_eq!(r.get(m(2020, 5)), Some(5.0));
        assert_eq!(r.get(m(2019, 12)), None);
        assert!(Regular::from_values(Frequency::Month, &[]).is_empty());
    }

    #[test]
    fn transforms_by_hand() {
        let vals: Vec<(Period, f64)> = (0..15)
            .filter(|&i| i != 13)
            .map(|i| (m(2020, 1).offset(i), 100.0 + i as f64))
            .collect();
        let r = Regular::from_values(Frequency::Month, &vals);
        let yoy = r.transform(Transform::Yoy).series;
        // First 12 have no year-earlier value; Jan 2021 = ln(112/100); Feb 2021 missing (no value);
        // Mar 2021 = ln(114/102).
        assert!(yoy.values[..12].iter().all(Option::is_none));
        assert!(close(yoy.values[12].unwrap(), (112.0f64 / 100.0).ln()));
        assert_eq!(yoy.values[13], None);
        assert!(close(yoy.values[14].unwrap(), (114.0f64 / 102.0).ln()));
        let d = r.transform(Transform::LogDiff).series;
        assert_eq!(d.values[0], None);
        assert!(close(d.values[1].unwrap(), (101.0f64 / 100.0).ln()));
        // Both neighbours of the gap are missing.
        assert_eq!((d.values[13], d.values[14]), (None, None));
        let lv = r.transform(Transform::Level).series;
        assert_eq!(lv, r);
        let z = Regular::from_values(Frequency::Month, &[(m(2020, 1), 0.0), (m(2020, 2), 2.0)]);
        let out = z.transform(Transform::Log);
        assert_eq!(out.non_positive, 1);
        assert_eq!(out.series.values[0], None);
    }

    #[test]
    fn weekly_yoy_reaches_back_52_iso_weeks() {
        let w = |y, n| Period::week(y, n).unwrap();
        // 2020 has 53 ISO weeks: 2021-W01 minus 52 weeks is 2020-W02.
        let r = Regular::from_values(
            Frequency::Week,
            &[(w(2020, 2), 10.0), (w(2020, 53), 5.0), (w(2021, 1), 20.0)],
        );
        let yoy = r.transform(Transform::Yoy).series;
        assert!(close(yoy.get(w(2021, 1)).unwrap(), 2.0f64.ln()));
        assert_eq!(w(2021, 1).offset(-52), w(2020, 2));
    }

    #[test]
    fn alignment_is_the_union_with_gaps() {
        let a = Regular::from_values(Frequency::Month, &[(m(2020, 1), 1.0), (m(2020, 3), 3.0)]);
        let b = Regular::from_values(Frequency::Month, &[(m(2020, 2), 20.0), (m(2020, 4), 40.0)]);
        let al = align(&a, &b).unwrap();
        assert_eq!(al.start, m(2020, 1));
        assert_eq!(al.x, [Some(1.0), None, Some(3.0), None]);
        assert_eq!(al.y, [None, Some(20.0), None, Some(40.0)]);
        assert_eq!(al.overlap(), 0);
        let w = Regular::from_values(Frequency::Week, &[(Period::week(2020, 1).unwrap(), 1.0)]);
        assert!(align(&a, &w).is_err());
    }

    #[test]
    fn pair_grid_is_the_coarser_cadence() {
        let s = |id| catalog::spec(id).unwrap();
        assert_eq!(
            pair_frequency(&s("shanghai_calls"), &s("scfi"), None),
            (Frequency::Week, None)
        );
        assert_eq!(
            pair_frequency(&s("pmi"), &s("shanghai_calls"), None).0,
            Frequency::Month
        );
        let (f, note) = pair_frequency(&s("pmi"), &s("shanghai_calls"), Some(Frequency::Week));
        assert_eq!(f, Frequency::Month);
        assert!(note.unwrap().contains("`pmi` is month data"));
        assert_eq!(
            pair_frequency(&s("shanghai_calls"), &s("scfi"), Some(Frequency::Month)).0,
            Frequency::Month
        );
    }

    /// A synthetic series (test only): 100·(1 + 0.01 t) lowered by 30% of the Spring Festival share,
    /// i.e. ln x = ln(trend) + ln(1 − 0.3 s). On yoy growth the adjustment recovers a β close to
    /// ln(0.7) ≈ −0.357 (not exactly: ln(1 − 0.3 s) is not linear in s), and the adjusted
    /// series is much smoother than the raw one.
    #[test]
    fn cny_adjustment_removes_the_holiday() {
        let vals: Vec<(Period, f64)> = (0..72)
            .map(|i| {
                let p = m(2012, 1).offset(i);
                let s =
                    calendar::spring_festival_share(p.start().year(), p.start().month()).unwrap();
                (p, 100.0 * (1.0 + 0.01 * i as f64) * (1.0 - 0.3 * s))
            })
            .collect();
        let yoy = Regular::from_values(Frequency::Month, &vals)
            .transform(Transform::Yoy)
            .series;
        let (adj, fit) = cny_adjust(&yoy, "t", Transform::Yoy).unwrap();
        assert_eq!(fit.n, 60);
        assert!((fit.beta - 0.7f64.ln()).abs() < 0.05, "{fit:?}");
        let spread = |r: &Regular| {
            let v: Vec<f64> = r.values.iter().flatten().copied().collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
        };
        assert!(spread(&adj) < 0.05 * spread(&yoy));
        // Regressor by hand: CNY 2013-02-10 (all in February), 2012-01-23 (window 16 Jan – 6 Feb:
        // 16 of 22 days in January): Δs(Jan 2013) = 0 − 16/22.
        let s = cny_regressor(m(2013, 1), 1, Transform::Yoy).unwrap();
        assert!(close(s[0], -16.0 / 22.0));
        assert!(cny_adjust(&yoy, "t", Transform::Level).is_ok());
        let weekly =
            Regular::from_values(Frequency::Week, &[(Period::week(2020, 1).unwrap(), 1.0)]);
        assert!(matches!(
            cny_adjust(&weekly, "w", Transform::Yoy),
            Err(TransformError::CnyNotMonthly { .. })
        ));
    }
}
