//! Regression on year-on-year log growth with lagged drivers, the Chinese New Year share and
//! structural-break indicators.
//!
//! With `x_t` the log level and `g_t = x_t − x_{t−m}` its year-on-year growth (`m` = 12 months or
//! 52 weeks), the model is
//!
//! `g_t = c + φ g_{t−1} + Σ_k b_k d_k(t − L_k) + κ Δcny_t + Σ_j δ_j ΔD_j(t) + e_t`
//!
//! - `d_k(t − L_k)`: driver `k` (config `[forecast.drivers]`, default headline PMI) `L_k` periods
//!   earlier, as a level (diffusion indices) or as its own year-on-year log growth (volumes);
//! - `Δcny_t`: the Spring Festival share of period `t` minus that of `t − m` — growth compares
//!   a period with the same period a year earlier, so what matters is how the holiday moved;
//! - `ΔD_j(t) = D_j(t) − D_j(t − m)` for the breaks of `super::history::BREAKS` (2020 Q1, April–May
//!   2022): a break is a level shock to those months, which shows in growth once when it happens
//!   and once, reversed, a year later (the base effect). An indicator with no data in the
//!   training rows is dropped;
//! - `φ g_{t−1}`: year-on-year growth is persistent (overlapping windows), and without this term
//!   the residuals would be strongly autocorrelated and the intervals wrong.
//!
//! Fitted by least squares (`crate::analysis::linalg`) on every row whose values are all present
//! (gaps only cost the rows that touch them). Errors: a smoothed bootstrap of the residuals,
//! scaled by `√(n / (n − k))` for the degrees of freedom the fit used; rows inside a break (whose
//! residuals the indicator absorbs) are left out of the pool. Sample paths iterate the equation:
//! a driver value not yet known at the as-of time is simulated on the path by an AR(1) fitted to
//! the driver's own history (`crate::analysis::ar`), and the level is the value a season earlier
//! (observed, interpolated across a gap by `History::filled_logs`, or from the path itself)
//! plus the simulated growth.

use std::collections::BTreeMap;

use crate::forecast::shocks::SimRng;
use chrono::NaiveDate;
use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, StandardNormal};

use super::config::DriverTransform;
use super::history::{BREAKS, CalendarFacts, festival_lag_days};
use super::shocks::{ErrorPool, Shocks};
use super::{FitError, Fitted, InSample, Model, ModelKind, TrainingData};
use crate::analysis::ar::ArModel;
use crate::analysis::linalg::least_squares;
use crate::model::{Frequency, Period};

const NAME: &str = "regression";

/// A lagged driver of the regression, with its values as known at the as-of time.
#[derive(Clone, Debug, PartialEq)]
pub struct Driver {
    pub series: String,
    /// The driver's grid (its own, or the target's when the driver is finer).
    pub freq: Frequency,
    /// Lag in periods of the target's frequency.
    pub lag: usize,
    pub transform: DriverTransform,
    /// Raw values by period.
    pub values: BTreeMap<Period, f64>,
}

/// Hashes the exact content (values by their bits).
impl std::hash::Hash for Driver {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.series.hash(state);
        self.freq.hash(state);
        self.lag.hash(state);
        self.transform.hash(state);
        self.values.len().hash(state);
        if let Some((first, _)) = self.values.first_key_value() {
            first.hash(state);
        }
        // The periods are consecutive in practice but need not be: each value goes with the
        // number of days from the first period, all in one write.
        let start = self.values.keys().next().map(|p| p.start());
        let bytes: Vec<u8> = self
            .values
            .iter()
            .flat_map(|(p, v)| {
                let day = start.map_or(0, |s| (p.start() - s).num_days());
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&day.to_le_bytes());
                b[8..].copy_from_slice(&v.to_bits().to_le_bytes());
                b
            })
            .collect();
        state.write(&bytes);
    }
}

impl Driver {
    pub fn new(
        series: &str,
        freq: Frequency,
        lag: usize,
        transform: DriverTransform,
        values: Vec<(Period, f64)>,
    ) -> Driver {
        Driver {
            series: series.to_string(),
            freq,
            lag,
            transform,
            values: values.into_iter().collect(),
        }
    }

    /// The driver with only the periods that ended by `end`.
    pub fn ending_by(&self, end: NaiveDate) -> Driver {
        Driver {
            values: self
                .values
                .iter()
                .filter(|(p, _)| p.end() <= end)
                .map(|(p, v)| (*p, *v))
                .collect(),
            ..self.clone()
        }
    }

    /// The driver's period that enters the equation of target period `t`.
    pub(super) fn period_for(&self, t: Period) -> Period {
        t.offset(-(self.lag as i64)).coarsen(self.freq)
    }

    /// Values after the transform (levels, or year-on-year log growth).
    pub(super) fn transformed(&self) -> BTreeMap<Period, f64> {
        match self.transform {
            DriverTransform::Level => self.values.clone(),
            DriverTransform::Yoy => {
                let m = self.freq.periods_per_year() as i64;
                self.values
                    .iter()
                    .filter_map(|(p, v)| {
                        let base = self.values.get(&p.offset(-m))?;
                        (*v > 0.0 && *base > 0.0).then(|| (*p, (v / base).ln()))
                    })
                    .collect()
            }
        }
    }

    pub(super) fn label(&self) -> String {
        match self.transform {
            DriverTransform::Level => format!("{}@{}", self.series, self.lag),
            DriverTransform::Yoy => format!("{}.yoy@{}", self.series, self.lag),
        }
    }
}

pub struct Regression;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Column {
    Const,
    GrowthLag,
    Driver(usize),
    Cny,
    Break(usize),
}

/// A driver's known values and the AR(1) that extends them along a path.
pub(super) struct DriverPath {
    known: BTreeMap<Period, f64>,
    last: Period,
    last_value: f64,
    intercept: f64,
    phi: f64,
    sigma: f64,
}

impl DriverPath {
    pub(super) fn fit(d: &Driver) -> Result<DriverPath, FitError> {
        let known = d.transformed();
        let err = |reason: String| FitError::Driver {
            model: NAME,
            driver: d.series.clone(),
            reason,
        };
        let (Some((&first, _)), Some((&last, _))) =
            (known.first_key_value(), known.last_key_value())
        else {
            return Err(err("no values known at the as-of time".into()));
        };
        let grid: Vec<Option<f64>> = (0..=first.steps_to(&last))
            .map(|i| known.get(&first.offset(i)).copied())
            .collect();
        let ar = ArModel::fit(&grid, 1)
            .map_err(|e| err(format!("cannot model its future values: {e}")))?;
        Ok(DriverPath {
            last,
            last_value: known[&last],
            intercept: ar.intercept,
            phi: ar.coefs[0],
            sigma: ar.sigma2.sqrt(),
            known,
        })
    }

    /// The value at driver period `p` when it is known (carried forward over a gap), the same
    /// on every path; `None` after the last known period.
    fn known_value(&self, p: Period) -> Option<f64> {
        (p <= self.last).then(|| {
            self.known
                .range(..=p)
                .next_back()
                .map_or(f64::NAN, |(_, v)| *v)
        })
    }

    /// Where the values at driver periods `periods` come from on every path: known (the same
    /// on every path), or simulated that many steps after the last known period. Worked out
    /// once per simulation, not once per path.
    fn plan(&self, periods: impl IntoIterator<Item = Period>) -> Vec<DriverStep> {
        periods
            .into_iter()
            .map(|p| match self.known_value(p) {
                Some(v) => DriverStep::Known(v),
                None => DriverStep::Simulated(self.last.steps_to(&p) as usize),
            })
            .collect()
    }

    /// The value of a planned step on this path (`sim` holds this path's simulated values after
    /// `last`, extended on demand).
    pub(super) fn value(&self, step: DriverStep, sim: &mut Vec<f64>, aux: &mut SimRng) -> f64 {
        let steps = match step {
            DriverStep::Known(v) => return v,
            DriverStep::Simulated(steps) => steps,
        };
        while sim.len() < steps {
            let prev = sim.last().copied().unwrap_or(self.last_value);
            let z: f64 = StandardNormal.sample(aux);
            sim.push(self.intercept + self.phi * prev + self.sigma * z);
        }
        sim[steps - 1]
    }
}

/// [`DriverPath::plan`] of each driver (with its path) at the driver periods of the target
/// periods `periods`.
pub(super) fn plan_drivers(
    drivers: &[Driver],
    paths: &[DriverPath],
    periods: &[Period],
) -> Vec<Vec<DriverStep>> {
    drivers
        .iter()
        .zip(paths)
        .map(|(d, path)| path.plan(periods.iter().map(|&t| d.period_for(t))))
        .collect()
}

/// A driver's value at one forecast step: see [`DriverPath::plan`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum DriverStep {
    Known(f64),
    /// Steps after the last known period (at least 1).
    Simulated(usize),
}

struct FittedRegression {
    /// Origin and one-step errors.
    in_sample: InSample,
    m: usize,
    /// The target's [`festival_lag_days`], for the calendar of the periods ahead.
    festival_lag: i64,
    columns: Vec<Column>,
    coef: Vec<f64>,
    drivers: Vec<Driver>,
    paths: Vec<DriverPath>,
    /// Filled log levels of the last `m` periods (bases of the first season ahead).
    bases: Vec<f64>,
    /// Growth at the origin.
    g_last: f64,
    pool: ErrorPool,
}

/// The deterministic part of a column at a period whose calendar is `now` (calendar columns),
/// or `None` for columns that depend on data; `prev` is the calendar of the period a season
/// before.
fn calendar_value(col: Column, now: &CalendarFacts, prev: &CalendarFacts) -> Option<f64> {
    match col {
        Column::Const => Some(1.0),
        Column::Cny => Some(now.spring_festival - prev.spring_festival),
        Column::Break(b) => Some(now.breaks[b] - prev.breaks[b]),
        Column::GrowthLag | Column::Driver(_) => None,
    }
}

impl Model for Regression {
    fn kind(&self) -> ModelKind {
        ModelKind::Regression
    }

    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError> {
        let h = &data.history;
        let m = h.season_length();
        let x = h.logs();
        let growth: Vec<Option<f64>> = (0..x.len())
            .map(|t| match (t >= m).then(|| (x[t], x[t - m])) {
                Some((Some(a), Some(b))) => Some(a - b),
                _ => None,
            })
            .collect();
        let transformed: Vec<BTreeMap<Period, f64>> =
            data.drivers.iter().map(Driver::transformed).collect();

        let mut columns = vec![Column::Const, Column::GrowthLag];
        columns.extend((0..data.drivers.len()).map(Column::Driver));
        columns.push(Column::Cny);
        columns.extend((0..BREAKS.len()).map(Column::Break));

        // Rows: every t with g_t, g_{t−1} and each driver's lagged value present.
        let mut rows: Vec<(usize, Vec<f64>, f64)> = Vec::new();
        for t in 1..x.len() {
            let (Some(g), Some(g_prev)) = (growth[t], growth[t - 1]) else {
                continue;
            };
            let p = h.period(t);
            // g_t exists, so t ≥ m: the period a season earlier is on the grid.
            let (now, prev) = (h.calendar(t), h.calendar(t - m));
            let mut row = Vec::with_capacity(columns.len());
            let mut complete = true;
            for &col in &columns {
                let v = match col {
                    Column::GrowthLag => Some(g_prev),
                    Column::Driver(k) => {
                        transformed[k].get(&data.drivers[k].period_for(p)).copied()
                    }
                    other => calendar_value(other, &now, &prev),
                };
                match v {
                    Some(v) => row.push(v),
                    None => {
                        complete = false;
                        break;
                    }
                }
            }
            if complete {
                rows.push((t, row, g));
            }
        }
        // Indicators (and the holiday column) that are zero on every row carry no information.
        let keep: Vec<usize> = (0..columns.len())
            .filter(|&j| {
                matches!(
                    columns[j],
                    Column::Const | Column::GrowthLag | Column::Driver(_)
                ) || rows.iter().any(|r| r.1[j] != 0.0)
            })
            .collect();
        let k = keep.len();
        let needed = (2 * k).max(12);
        if rows.len() < needed {
            let missing_driver = data
                .drivers
                .iter()
                .zip(&transformed)
                .find(|(_, t)| t.is_empty());
            if let Some((d, _)) = missing_driver {
                return Err(FitError::Driver {
                    model: NAME,
                    driver: d.series.clone(),
                    reason: "no values known at the as-of time".into(),
                });
            }
            return Err(FitError::TooShort {
                model: NAME,
                what: "periods with growth, last period's growth and every driver present",
                needed,
                got: rows.len(),
            });
        }
        let design = DMatrix::from_fn(rows.len(), k, |i, j| rows[i].1[keep[j]]);
        let response = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.2));
        let fit = least_squares(&design, &response).map_err(|source| FitError::LeastSquares {
            model: NAME,
            source,
        })?;
        let columns: Vec<Column> = keep.iter().map(|&j| columns[j]).collect();

        let in_any_break = |t: usize| h.calendar(t).breaks.iter().any(|b| *b != 0.0);
        let residuals: Vec<(Period, f64)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !in_any_break(r.0))
            .map(|(i, r)| {
                let fitted: f64 = (0..k).map(|j| design[(i, j)] * fit.coef[j]).sum();
                (h.period(r.0), r.2 - fitted)
            })
            .collect();
        let dof = rows.len() as f64 / (rows.len() - k) as f64;
        let pool = ErrorPool::new(residuals.iter().map(|r| r.1)).scaled(dof.sqrt());

        let paths = data
            .drivers
            .iter()
            .map(DriverPath::fit)
            .collect::<Result<Vec<_>, _>>()?;
        let filled = h.filled_logs();
        let n = filled.len();
        let base = |i: usize| {
            filled.get(i).copied().flatten().ok_or(FitError::NoBase {
                model: NAME,
                period: h.period(i + m),
            })
        };
        if n < m + 1 {
            return Err(FitError::TooShort {
                model: NAME,
                what: "periods of history",
                needed: m + 1,
                got: n,
            });
        }
        let bases = (n - m..n).map(base).collect::<Result<Vec<f64>, _>>()?;
        let g_last = match growth[n - 1] {
            Some(g) => g,
            None => base(n - 1)? - base(n - 1 - m)?,
        };
        Ok(Box::new(FittedRegression {
            m,
            festival_lag: festival_lag_days(h.series()),
            columns,
            coef: fit.coef,
            drivers: data.drivers.clone(),
            paths,
            bases,
            g_last,
            in_sample: InSample {
                origin: h.origin(),
                residuals,
            },
            pool,
        }))
    }
}

impl Fitted for FittedRegression {
    fn describe(&self) -> String {
        let drivers: Vec<String> = self.drivers.iter().map(Driver::label).collect();
        if drivers.is_empty() {
            NAME.to_string()
        } else {
            format!("{NAME}[{}]", drivers.join(","))
        }
    }

    fn in_sample(&self) -> &InSample {
        &self.in_sample
    }

    fn simulate(&self, shocks: &Shocks, aux: &mut SimRng) -> Vec<f64> {
        let horizon = shocks.horizon();
        let periods = self.in_sample.ahead(horizon);
        // Calendar part of the equation per step, the same on every path.
        let calendar: Vec<f64> = periods
            .iter()
            .map(|&t| {
                let (now, prev) = (
                    CalendarFacts::of(t, self.festival_lag),
                    CalendarFacts::of(t.offset(-(self.m as i64)), self.festival_lag),
                );
                self.columns
                    .iter()
                    .zip(&self.coef)
                    .filter_map(|(&c, b)| calendar_value(c, &now, &prev).map(|v| v * b))
                    .sum()
            })
            .collect();
        let plans = plan_drivers(&self.drivers, &self.paths, &periods);
        let mut out = vec![0.0; shocks.n_paths() * horizon];
        let mut logs = vec![0.0; horizon];
        let mut sims: Vec<Vec<f64>> = vec![Vec::new(); self.drivers.len()];
        let path_rngs = super::shocks::path_rngs(aux, shocks.n_paths());
        for ((p, row), mut rng) in out.chunks_exact_mut(horizon).enumerate().zip(path_rngs) {
            sims.iter_mut().for_each(Vec::clear);
            let mut g_prev = self.g_last;
            for h in 0..horizon {
                let mut g = calendar[h] + self.pool.draw(shocks.get(p, h));
                for (&col, b) in self.columns.iter().zip(&self.coef) {
                    g += b * match col {
                        Column::GrowthLag => g_prev,
                        Column::Driver(k) => {
                            self.paths[k].value(plans[k][h], &mut sims[k], &mut rng)
                        }
                        _ => 0.0,
                    };
                }
                let base = if h >= self.m {
                    logs[h - self.m]
                } else {
                    self.bases[h]
                };
                logs[h] = base + g;
                g_prev = g;
                row[h] = logs[h].exp();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::History;
    use rand::SeedableRng;

    /// Monthly target whose growth is exactly `0.02 + 0.5 g_{t−1} + 0.01 (pmi_{t−1} − 50)`, with
    /// PMI alternating 49, 51, 53, and a first year of flat values.
    fn synthetic() -> TrainingData {
        let start = Period::month(2010, 1).unwrap();
        let pmi = |i: i64| 49.0 + 2.0 * (i.rem_euclid(3)) as f64;
        let mut logs = vec![8.0; 12];
        let mut g_prev = 0.0;
        for i in 12..120 {
            let g = 0.02 + 0.5 * g_prev + 0.01 * (pmi(i - 1) - 50.0);
            logs.push(logs[i as usize - 12] + g);
            g_prev = g;
        }
        let pts: Vec<(Period, f64)> = logs
            .iter()
            .enumerate()
            .map(|(i, l)| (start.offset(i as i64), l.exp()))
            .collect();
        let driver_values = (0..125).map(|i| (start.offset(i), pmi(i))).collect();
        TrainingData {
            history: History::from_points("x", Frequency::Month, &pts).unwrap(),
            drivers: vec![Driver::new(
                "pmi",
                Frequency::Month,
                1,
                DriverTransform::Level,
                driver_values,
            )],
        }
    }

    #[test]
    fn recovers_the_coefficients_of_an_exact_model() {
        let fitted = Regression.fit(&synthetic()).unwrap();
        // Columns: const, growth lag, pmi (CNY and the breaks are zero/… only CNY survives: the
        // data end in 2019, before both breaks).
        let mut rng = SimRng::seed_from_u64(2);
        let shocks = Shocks::latin_hypercube(50, 3, &mut rng);
        let paths = fitted.simulate(&shocks, &mut rng);
        // The PMI for the next three months is known (values run to 2020-05), residuals are 0,
        // so every path is the exact continuation.
        let data = synthetic();
        let logs = data.history.logs();
        let n = logs.len();
        let pmi = |i: i64| 49.0 + 2.0 * (i.rem_euclid(3)) as f64;
        let mut g_prev = logs[n - 1].unwrap() - logs[n - 13].unwrap();
        let mut expect = Vec::new();
        for h in 0..3 {
            let i = (n + h) as i64;
            let g = 0.02 + 0.5 * g_prev + 0.01 * (pmi(i - 1) - 50.0);
            expect.push((logs[n + h - 12].unwrap() + g).exp());
            g_prev = g;
        }
        for p in 0..50 {
            for h in 0..3 {
                let got = paths[p * 3 + h];
                assert!(
                    (got / expect[h] - 1.0).abs() < 1e-8,
                    "{got} vs {}",
                    expect[h]
                );
            }
        }
        assert_eq!(fitted.describe(), "regression[pmi@1]");
    }

    #[test]
    fn a_driver_without_data_is_named() {
        let mut data = synthetic();
        data.drivers[0].values.clear();
        let err = Regression.fit(&data).err().unwrap();
        assert!(
            matches!(&err, FitError::Driver { driver, .. } if driver == "pmi"),
            "{err}"
        );
    }
}
