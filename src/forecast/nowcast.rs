//! Nowcast of official Shanghai monthly TEU from vessel calls: temporal disaggregation in the
//! Chow–Lin family, benchmarked to every official print, with lower-bound prints kept as bounds.
//!
//! Official monthly figures are sparse (press releases), while daily vessel calls
//! (`shanghai_calls`, PortWatch, from 2019) are complete and the annual totals are known. The
//! monthly series `y` (millions of TEU, months of the vessel-call span) is modelled as
//!
//! `y = β·calls + u`, `u ~ N(0, σ² R)`, `R_ij = ρ^|i−j|` (AR(1), Chow–Lin 1971),
//!
//! — TEU per vessel call, with persistent deviations. (A constant term as well, `[1, calls]`,
//! reproduced the official months worse in leave-one-out on the bundled data, 5.37% MAPE against
//! 4.55%, and its negative intercept amplified the growth of calls.) Every official print inside
//! the span is a linear benchmark `zᵢ = cᵢ·y + ηᵢ` over the
//! months it covers: annual totals (`shanghai_teu_annual`), year-to-date (`shanghai_teu_ytd`) and
//! monthly prints (`shanghai_teu`). `ηᵢ` is the print's rounding: a figure is taken as rounded to
//! its last non-zero digit (an exact figure to at most 1,000 TEU, a rounded one to at most two
//! significant digits), uniform error, variance width²/12. Without it the prints contradict each
//! other: 2019's November year-to-date (40.1M, rounded) minus October's (36.485M) is 3.615M, while
//! November itself was printed as 3.55M.
//!
//! `ρ` and `σ` maximise the likelihood of the prints with `β` profiled out (Nelder–Mead from
//! `super::optim`; the algebra, free of the store, is `super::chow_lin`); given them, the months' distribution given the prints is Gaussian with the
//! BLUP mean `Xβ̂ + K(z − CXβ̂)`, `K = σ²RCᵀV⁻¹`, `V = σ²CRCᵀ + diag(τ²)`, and covariance
//! `σ²R − KCσ²R + M A⁻¹ Mᵀ` (`A = (CX)ᵀV⁻¹CX`, `M = X − KCX`; the last term is the uncertainty
//! of `β̂` under a flat prior).
//!
//! Lower-bound prints (annual 2021–2023 "exceeded …") are not values: they enter as the
//! constraints `bᵢ ≤ cᵢ·y < bᵢ + uᵢ`, `uᵢ` one unit of the printed number's last non-zero digit —
//! a press release's "exceeded X" is a floor the figure sits just above (2021's "exceeded 47.0m"
//! was 47.03M). Stated year-on-year changes are measurements with their own rounding
//! ([`stated_growth`]): an annual change measures the year from the previous year's print, a
//! monthly one the same month a year earlier. Draws come from the Gaussian truncated to them: the bound sums are
//! drawn from their truncated joint normal by Gibbs sampling, then the months from the Gaussian
//! conditional on those sums. The nowcast is the mean of the draws; intervals are their
//! quantiles.
//!
//! Leave-one-out: each official monthly figure inside the span is dropped (with the
//! year-to-date figure of the same month, which comes in the same release and would give it
//! away), the model refitted, and the month re-estimated; the MAPE of those estimates is how well
//! the nowcast reproduces official figures it has not seen.
//!
//! Forecasts of `shanghai_teu` run through [`Bridge`]: vessel calls are forecast by the usual
//! models (`super::forecast`), and each path is mapped to TEU by `β̂` with the AR(1) residual
//! continued from the last month's nowcast draws (the uncertainty of `β̂` itself is not carried
//! into the forward months).

use std::collections::BTreeMap;

use crate::forecast::shocks::SimRng;
use chrono::{DateTime, Utc};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use thiserror::Error;

use super::chow_lin::{BoundForm, ChowLin, ChowLinError, bounded_draws, chow_lin};
use crate::analysis::distribution::{DistributionError, PredictiveDistribution};
use crate::analysis::score::mape;
use crate::model::{Frequency, Period, Precision};
use crate::store::{Store, StoreError};

/// The series the nowcast estimates.
pub const TARGET: &str = "shanghai_teu";
/// The monthly indicator.
pub const INDICATOR: &str = "shanghai_calls";
const ANNUAL: &str = "shanghai_teu_annual";
const YTD: &str = "shanghai_teu_ytd";
/// Year-on-year changes (percent) stated beside the monthly and the annual prints.
pub const MONTHLY_YOY: &str = "shanghai_teu_yoy";
pub const ANNUAL_YOY: &str = "shanghai_teu_annual_yoy";
/// Internal unit: millions of TEU (keeps the matrices well scaled).
const UNIT: f64 = 1e6;

#[derive(Debug, Error)]
pub enum NowcastError {
    #[error(
        "the nowcast needs monthly vessel calls (`{INDICATOR}`) known at the as-of time; there are none"
    )]
    NoIndicator,
    #[error(
        "vessel calls are missing or partial for {count} month(s) inside their span (first: {first}); the nowcast needs an unbroken indicator"
    )]
    IndicatorGap { count: usize, first: Period },
    #[error(
        "the nowcast needs at least {needed} official figures (annual, year-to-date or monthly) inside the vessel-call months; {got} are known"
    )]
    TooFewBenchmarks { needed: usize, got: usize },
    #[error(
        "the benchmark equations are singular (official figures that repeat each other exactly?)"
    )]
    Singular,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Distribution(#[from] DistributionError),
}

/// The Chow–Lin algebra's failures in the nowcast's words.
impl From<ChowLinError> for NowcastError {
    fn from(e: ChowLinError) -> Self {
        match e {
            ChowLinError::TooFewBenchmarks { needed, got, .. } => {
                NowcastError::TooFewBenchmarks { needed, got }
            }
            ChowLinError::Singular => NowcastError::Singular,
        }
    }
}

/// Sizes and seed of a nowcast.
#[derive(Clone, Debug, PartialEq)]
pub struct NowcastOptions {
    pub n_paths: usize,
    pub seed: u64,
    /// Also run the leave-one-out evaluation (a refit per official monthly figure).
    pub leave_one_out: bool,
}

/// Which official series a benchmark comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BenchmarkKind {
    Annual,
    YearToDate,
    Monthly,
    /// A stated year-on-year change read as a measurement of the earlier (monthly) or later
    /// (annual) figure it relates to another print; see [`stated_growth`].
    StatedGrowth,
}

/// One official print over a run of months of the span.
#[derive(Clone, Debug, PartialEq)]
pub struct Benchmark {
    pub kind: BenchmarkKind,
    /// The print's own period (a year, or the month a year-to-date or monthly figure is for).
    pub period: Period,
    /// First and last month index (inclusive) in the span.
    pub first: usize,
    pub last: usize,
    /// TEU.
    pub value: f64,
    pub precision: Precision,
    /// Standard deviation of the measurement (TEU) when it is not the print's own rounding
    /// (a stated growth rate's rounding carried to the figure it implies).
    pub noise_sd: Option<f64>,
}

/// Hashes the exact content (the value by its bits).
impl std::hash::Hash for Benchmark {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (
            self.kind,
            self.period,
            self.first,
            self.last,
            self.precision,
        )
            .hash(state);
        self.value.to_bits().hash(state);
        self.noise_sd.map(f64::to_bits).hash(state);
    }
}

impl Benchmark {
    /// Standard deviation of the print's rounding error (uniform over its width), in TEU.
    fn rounding_sd(&self) -> f64 {
        self.noise_sd
            .unwrap_or_else(|| self.rounding_width() / 12f64.sqrt())
    }

    /// The interval a floor ("exceeded 49 million") leaves the figure in: from the printed
    /// number to one unit of its last non-zero digit above it (49,000,000 → [49.0M, 50.0M);
    /// 47,303,000 → [47.303M, 47.304M)).
    fn floor_interval(&self) -> (f64, f64) {
        (self.value, self.value + trailing_unit(self.value))
    }

    /// Width of the interval the printed figure was rounded from, in TEU.
    fn rounding_width(&self) -> f64 {
        let unit = trailing_unit(self.value);
        match self.precision {
            Precision::Exact => unit.min(1_000.0),
            _ => {
                // Two significant digits: 10^(digits − 2), exact in integers.
                let digits = self.value.abs().log10().floor().max(1.0) as u32;
                unit.min(10u64.pow(digits - 1) as f64)
            }
        }
    }
}

/// The largest power of ten dividing a whole number (1 for a non-integer).
fn trailing_unit(v: f64) -> f64 {
    let mut unit = 1.0;
    let v = v.abs().round();
    if v == 0.0 {
        return 1.0;
    }
    while (v / (unit * 10.0)).fract() == 0.0 && unit < 1e12 {
        unit *= 10.0;
    }
    unit
}

/// The nowcast leave-one-out result for one official monthly figure.
#[derive(Clone, Debug, PartialEq)]
pub struct LooResult {
    pub period: Period,
    pub official: f64,
    pub estimate: f64,
}

/// Official Shanghai monthly TEU over the vessel-call months, as known at the as-of time.
#[derive(Clone, Debug)]
pub struct Nowcast {
    pub as_of: DateTime<Utc>,
    pub months: Vec<Period>,
    /// Vessel calls per month.
    pub calls: Vec<f64>,
    /// The official monthly print of each month, if any (value or bound).
    pub official: Vec<Option<(f64, Precision)>>,
    /// Joint draws of the months (TEU); horizon index `i` is `months[i]`.
    pub draws: PredictiveDistribution,
    pub benchmarks: Vec<Benchmark>,
    /// `β̂`: TEU per vessel call.
    pub beta: f64,
    /// AR(1) coefficient and standard deviation (TEU) of the deviations from `β̂·calls`.
    pub rho: f64,
    pub sigma: f64,
    pub loo: Vec<LooResult>,
    /// MAPE (percent) of the leave-one-out estimates; `None` without any.
    pub mape: Option<f64>,
}

impl Nowcast {
    /// The indicator as `(month, calls)`.
    pub fn indicator_points(&self) -> Vec<(Period, f64)> {
        self.months
            .iter()
            .copied()
            .zip(self.calls.iter().copied())
            .collect()
    }

    /// The monthly series as shown: the official value where one exists, else the nowcast mean.
    pub fn shown(&self) -> Vec<(Period, f64)> {
        self.months
            .iter()
            .enumerate()
            .map(|(i, &p)| match self.official[i] {
                Some((v, prec)) if prec.is_value() => (p, v),
                _ => (p, self.draws.mean(i).unwrap_or(f64::NAN)),
            })
            .collect()
    }

    /// How forecasts of vessel calls become forecasts of official TEU.
    pub fn bridge(&self) -> Bridge {
        let last = self.months.len() - 1;
        let fitted_last = self.beta * self.calls[last];
        Bridge {
            beta: self.beta,
            rho: self.rho,
            sigma: self.sigma,
            last_residuals: self.draws.paths().map(|p| p[last] - fitted_last).collect(),
        }
    }
}

/// Maps paths of monthly vessel calls to paths of official TEU.
#[derive(Clone, Debug, PartialEq)]
pub struct Bridge {
    beta: f64,
    rho: f64,
    sigma: f64,
    /// Draws of the last nowcast month's residual `y − Xβ̂` (TEU).
    last_residuals: Vec<f64>,
}

/// Hashes the exact content (numbers by their bits).
impl std::hash::Hash for Bridge {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for v in [self.beta, self.rho, self.sigma] {
            v.to_bits().hash(state);
        }
        self.last_residuals.len().hash(state);
        for v in &self.last_residuals {
            v.to_bits().hash(state);
        }
    }
}

impl Bridge {
    /// `y_{T+h} = β·calls_{T+h} + u_{T+h}`, `u_{T+h} = ρ u_{T+h−1} + σ√(1−ρ²) ε`, with
    /// `u_T` a random draw of the last month's nowcast residual.
    pub fn map(&self, calls: &[f64], horizon: usize, aux: &mut SimRng) -> Vec<f64> {
        let innovation = self.sigma * (1.0 - self.rho * self.rho).max(0.0).sqrt();
        let mut out = Vec::with_capacity(calls.len());
        let n_paths = calls.len() / horizon;
        for (path, mut rng) in calls
            .chunks_exact(horizon)
            .zip(super::shocks::path_rngs(aux, n_paths))
        {
            let mut u = self.last_residuals[rng.random_range(0..self.last_residuals.len())];
            for &c in path {
                let e: f64 = StandardNormal.sample(&mut rng);
                u = self.rho * u + innovation * e;
                out.push(self.beta * c + u);
            }
        }
        out
    }
}

/// The inputs of a nowcast, read from the store as of a time.
struct Inputs {
    months: Vec<Period>,
    calls: Vec<f64>,
    official: Vec<Option<(f64, Precision)>>,
    benchmarks: Vec<Benchmark>,
}

fn read_inputs(store: &Store, as_of: DateTime<Utc>) -> Result<Inputs, NowcastError> {
    let calls_view = store.view_at(INDICATOR, as_of, Some(Frequency::Month))?;
    let complete = calls_view.complete_values();
    let (Some(&(first, _)), Some(&(last, _))) = (complete.first(), complete.last()) else {
        return Err(NowcastError::NoIndicator);
    };
    let by_month: BTreeMap<Period, f64> = complete.iter().copied().collect();
    let months: Vec<Period> = (0..=first.steps_to(&last))
        .map(|i| first.offset(i))
        .collect();
    let missing: Vec<Period> = months
        .iter()
        .filter(|m| !by_month.contains_key(m))
        .copied()
        .collect();
    if let Some(&first_missing) = missing.first() {
        return Err(NowcastError::IndicatorGap {
            count: missing.len(),
            first: first_missing,
        });
    }
    let calls: Vec<f64> = months.iter().map(|m| by_month[m]).collect();
    let index = |p: Period| {
        let i = first.steps_to(&p);
        (i >= 0 && i < months.len() as i64).then_some(i as usize)
    };
    let mut benchmarks = Vec::new();
    let mut official = vec![None; months.len()];
    for (series, kind) in [
        (TARGET, BenchmarkKind::Monthly),
        (YTD, BenchmarkKind::YearToDate),
        (ANNUAL, BenchmarkKind::Annual),
    ] {
        for p in store.view(series, as_of)?.points {
            let span = match (kind, p.period) {
                (BenchmarkKind::Annual, Period::Year(y)) => {
                    (Period::month(y, 1), Period::month(y, 12))
                }
                (BenchmarkKind::YearToDate, Period::Month { year, month }) => {
                    (Period::month(year, 1), Period::month(year, month))
                }
                (BenchmarkKind::Monthly, m @ Period::Month { .. }) => (Some(m), Some(m)),
                _ => continue,
            };
            let (Some(a), Some(b)) = (span.0.and_then(index), span.1.and_then(index)) else {
                continue;
            };
            if kind == BenchmarkKind::Monthly {
                official[a] = Some((p.value, p.precision));
            }
            benchmarks.push(Benchmark {
                kind,
                period: p.period,
                first: a,
                last: b,
                value: p.value,
                precision: p.precision,
                noise_sd: None,
            });
        }
    }
    benchmarks.extend(stated_growth(store, as_of, &index)?);
    Ok(Inputs {
        months,
        calls,
        official,
        benchmarks,
    })
}

/// The rounding unit of a printed decimal (3.6 → 0.1, 15.8 → 0.1, 1 → 1, −19.5 → 0.1).
fn decimal_unit(v: f64) -> f64 {
    (0..=4)
        .map(|k| 10f64.powi(-k))
        .find(|unit| {
            let x = v / unit;
            (x - x.round()).abs() < 1e-6
        })
        .unwrap_or(1e-4)
}

/// Stated year-on-year changes as measurements. A change `g` printed beside a figure relates it
/// to the figure a year earlier, and its own rounding (3.6% is 3.55–3.65%) is its precision:
///
/// - beside a monthly print `v` of month `M`: month `M − 12` is measured as `v / (1 + g)`, with
///   the variance of `g`'s rounding carried through (`v / (1 + g)² · width / √12`) plus `v`'s
///   own rounding;
/// - beside an annual print of year `Y`: year `Y` is measured as `base · (1 + g)`, `base` the
///   print of year `Y − 1` (a floor taken at the middle of the interval its rounding leaves,
///   with that interval's variance).
///
/// Only months inside the vessel-call span count (`index`).
fn stated_growth(
    store: &Store,
    as_of: DateTime<Utc>,
    index: &dyn Fn(Period) -> Option<usize>,
) -> Result<Vec<Benchmark>, NowcastError> {
    let print_sd = |value: f64, precision: Precision| {
        Benchmark {
            kind: BenchmarkKind::Monthly,
            period: Period::Year(0),
            first: 0,
            last: 0,
            value,
            precision,
            noise_sd: None,
        }
        .rounding_sd()
    };
    let mut out = Vec::new();
    let monthly: BTreeMap<Period, (f64, Precision)> = store
        .view(TARGET, as_of)?
        .points
        .into_iter()
        .map(|p| (p.period, (p.value, p.precision)))
        .collect();
    for p in store.view(MONTHLY_YOY, as_of)?.points {
        let Some(&(v, prec)) = monthly.get(&p.period) else {
            continue;
        };
        let Some(i) = index(p.period.offset(-12)) else {
            continue;
        };
        let g = 1.0 + p.value / 100.0;
        if !prec.is_value() || g <= 0.0 {
            continue;
        }
        let width = decimal_unit(p.value) / 100.0;
        let sd = ((v / (g * g) * width).powi(2) / 12.0 + (print_sd(v, prec) / g).powi(2)).sqrt();
        out.push(Benchmark {
            kind: BenchmarkKind::StatedGrowth,
            period: p.period,
            first: i,
            last: i,
            value: v / g,
            precision: Precision::Exact,
            noise_sd: Some(sd),
        });
    }
    let annual: BTreeMap<Period, (f64, Precision)> = store
        .view(ANNUAL, as_of)?
        .points
        .into_iter()
        .map(|p| (p.period, (p.value, p.precision)))
        .collect();
    for p in store.view(ANNUAL_YOY, as_of)?.points {
        let Period::Year(y) = p.period else { continue };
        let Some(&(prev, prec)) = annual.get(&Period::Year(y - 1)) else {
            continue;
        };
        let (Some(a), Some(b)) = (
            Period::month(y, 1).and_then(index),
            Period::month(y, 12).and_then(index),
        ) else {
            continue;
        };
        let (base, base_var) = match prec {
            Precision::LowerBound => {
                let unit = trailing_unit(prev);
                (prev + unit / 2.0, unit * unit / 12.0)
            }
            p if p.is_value() => (prev, print_sd(prev, p).powi(2)),
            _ => continue,
        };
        let g = 1.0 + p.value / 100.0;
        let width = decimal_unit(p.value) / 100.0;
        let sd = ((base * width).powi(2) / 12.0 + g * g * base_var).sqrt();
        out.push(Benchmark {
            kind: BenchmarkKind::StatedGrowth,
            period: p.period,
            first: a,
            last: b,
            value: base * g,
            precision: Precision::Exact,
            noise_sd: Some(sd),
        });
    }
    Ok(out)
}

/// Fit and draw from a set of benchmarks. Returns the fit and the draws (TEU, path-major).
fn estimate(
    calls: &[f64],
    benchmarks: &[&Benchmark],
    n_paths: usize,
    rng: &mut SimRng,
) -> Result<(ChowLin, Vec<f64>), NowcastError> {
    let n = calls.len();
    let x = DMatrix::from_fn(n, 1, |i, _| calls[i]);
    let (values, bounds): (Vec<&Benchmark>, Vec<&Benchmark>) =
        benchmarks.iter().partition(|b| b.precision.is_value());
    // The same months printed twice (a January year-to-date and January itself) keep one row.
    let mut rows: Vec<&Benchmark> = Vec::new();
    for b in values {
        if !rows.iter().any(|r| (r.first, r.last) == (b.first, b.last)) {
            rows.push(b);
        }
    }
    let q = rows.len();
    let runs: Vec<(usize, usize)> = rows.iter().map(|b| (b.first, b.last)).collect();
    let z = DVector::from_iterator(q, rows.iter().map(|b| b.value / UNIT));
    let tau2: Vec<f64> = rows
        .iter()
        .map(|b| (b.rounding_sd() / UNIT).powi(2))
        .collect();
    let fit = chow_lin(&x, &runs, &z, &tau2)?;
    let forms: Vec<BoundForm> = bounds
        .iter()
        .map(|b| {
            // A floor ("exceeded 49 million") also has the ceiling its rounding implies.
            let (lo, hi) = match b.precision {
                Precision::LowerBound => {
                    let (lo, hi) = b.floor_interval();
                    (lo / UNIT, hi / UNIT)
                }
                _ => (f64::NEG_INFINITY, b.value / UNIT),
            };
            BoundForm {
                first: b.first,
                last: b.last,
                lo,
                hi,
            }
        })
        .collect();
    let draws = bounded_draws(&fit, &forms, n_paths, rng)
        .into_iter()
        .map(|v| v * UNIT)
        .collect();
    Ok((fit, draws))
}

/// An estimate: the fit and the draws (TEU, path-major).
type Estimate = (ChowLin, Vec<f64>);

/// One estimate per fingerprint of its inputs, computed once even when several threads ask at
/// the same moment (the later ones wait for it). `None` records an estimate that failed (each
/// caller then computes it again, for its own error).
type EstimateCell = std::sync::Arc<std::sync::OnceLock<Option<std::sync::Arc<Estimate>>>>;

static ESTIMATES: std::sync::Mutex<Vec<(u128, EstimateCell)>> = std::sync::Mutex::new(Vec::new());

/// Estimates remembered (the latest ones; a run asks for one nowcast per as-of date).
const ESTIMATES_KEPT: usize = 4;

/// [`estimate`] seeded with `seed`, remembered: the estimate is a function of its inputs alone,
/// and one run asks for the same nowcast several times, often at once on different threads (the
/// nowcast chart, the Shanghai TEU forecast, the markets on it), each time with the same vessel
/// calls and official prints. Its draws are the largest allocation of a run.
fn estimate_memo(
    calls: &[f64],
    benchmarks: &[&Benchmark],
    n_paths: usize,
    seed: u64,
) -> Result<Estimate, NowcastError> {
    let bits: Vec<u64> = calls.iter().map(|c| c.to_bits()).collect();
    let key = super::fingerprint(&(bits, benchmarks, n_paths, seed));
    let cell: EstimateCell = {
        let mut kept = ESTIMATES.lock().expect("nowcast memo");
        match kept.iter().find(|(k, _)| *k == key) {
            Some((_, cell)) => std::sync::Arc::clone(cell),
            None => {
                if kept.len() >= ESTIMATES_KEPT {
                    kept.remove(0);
                }
                let cell = EstimateCell::default();
                kept.push((key, std::sync::Arc::clone(&cell)));
                cell
            }
        }
    };
    let compute = || {
        let mut rng = SimRng::seed_from_u64(seed);
        estimate(calls, benchmarks, n_paths, &mut rng)
    };
    let mut failure = None;
    let shared = cell.get_or_init(|| match compute() {
        Ok(e) => Some(std::sync::Arc::new(e)),
        Err(e) => {
            failure = Some(e);
            None
        }
    });
    match (shared, failure) {
        (Some(e), _) => Ok(e.as_ref().clone()),
        (None, Some(e)) => Err(e),
        (None, None) => compute(),
    }
}

/// Paths used for each leave-one-out refit.
const LOO_PATHS: usize = 2_000;

/// The nowcast as of `as_of`.
pub fn nowcast(
    store: &Store,
    as_of: DateTime<Utc>,
    options: &NowcastOptions,
) -> Result<Nowcast, NowcastError> {
    let inputs = read_inputs(store, as_of)?;
    let all: Vec<&Benchmark> = inputs.benchmarks.iter().collect();
    let (fit, draws) = estimate_memo(&inputs.calls, &all, options.n_paths.max(1), options.seed)?;
    let n = inputs.months.len();
    let mut loo = Vec::new();
    if options.leave_one_out {
        for b in inputs
            .benchmarks
            .iter()
            .filter(|b| b.kind == BenchmarkKind::Monthly && b.precision.is_value())
        {
            // Same release: the monthly figure and the year-to-date figure of that month.
            let kept: Vec<&Benchmark> = all
                .iter()
                .copied()
                .filter(|o| {
                    !(o.period == b.period
                        && matches!(o.kind, BenchmarkKind::Monthly | BenchmarkKind::YearToDate))
                        && !(o.kind == BenchmarkKind::StatedGrowth
                            && (o.period == b.period || (o.first, o.last) == (b.first, b.last)))
                })
                .collect();
            let mut loo_rng = SimRng::seed_from_u64(options.seed ^ 0x5eed);
            match estimate(&inputs.calls, &kept, LOO_PATHS, &mut loo_rng) {
                Ok((_, d)) => {
                    let est =
                        (0..LOO_PATHS).map(|p| d[p * n + b.first]).sum::<f64>() / LOO_PATHS as f64;
                    loo.push(LooResult {
                        period: b.period,
                        official: b.value,
                        estimate: est,
                    });
                }
                Err(e) => tracing::warn!("leave-one-out without {}: {e}", b.period),
            }
        }
    }
    let mape = (!loo.is_empty())
        .then(|| {
            let est: Vec<f64> = loo.iter().map(|l| l.estimate).collect();
            let off: Vec<f64> = loo.iter().map(|l| l.official).collect();
            mape(&est, &off).ok()
        })
        .flatten();
    Ok(Nowcast {
        as_of,
        months: inputs.months,
        calls: inputs.calls,
        official: inputs.official,
        draws: PredictiveDistribution::from_paths(n, draws)?,
        benchmarks: inputs.benchmarks,
        beta: fit.beta[0] * UNIT,
        rho: fit.rho,
        sigma: fit.sigma * UNIT,
        loo,
        mape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_widths() {
        let b = |value: f64, precision| Benchmark {
            kind: BenchmarkKind::Annual,
            period: Period::Year(2020),
            first: 0,
            last: 11,
            value,
            precision,
            noise_sd: None,
        };
        let w = |value, precision| b(value, precision).rounding_width();
        assert_eq!(w(43_500_000.0, Precision::Rounded), 100_000.0);
        assert_eq!(w(3_550_000.0, Precision::Rounded), 10_000.0);
        // 20,000,000 is taken as rounded to two significant digits at most.
        assert_eq!(w(20_000_000.0, Precision::Rounded), 1_000_000.0);
        assert_eq!(w(43_303_000.0, Precision::Exact), 1_000.0);
        assert_eq!(w(4_300_000.0, Precision::Exact), 1_000.0);
        assert_eq!(w(3_629_123.0, Precision::Exact), 1.0);
    }

    #[test]
    fn bounds_move_the_draws_above_them() {
        // Two "years" of three months; the second year's sum is only a lower bound far above
        // what the first year and the indicator imply.
        let calls = [10.0, 11.0, 12.0, 10.0, 11.0, 12.0];
        let b = |first, last, value: f64, precision| Benchmark {
            kind: BenchmarkKind::Annual,
            period: Period::Year(2020),
            first,
            last,
            value: value * UNIT,
            precision,
            noise_sd: None,
        };
        let marks = [
            b(0, 2, 33.0, Precision::Exact),
            b(0, 0, 10.1, Precision::Exact),
            b(1, 1, 11.0, Precision::Exact),
            b(3, 5, 40.0, Precision::LowerBound),
        ];
        let refs: Vec<&Benchmark> = marks.iter().collect();
        let mut rng = SimRng::seed_from_u64(4);
        let (_, draws) = estimate(&calls, &refs, 2000, &mut rng).unwrap();
        for p in 0..2000 {
            let year2: f64 = draws[p * 6 + 3..p * 6 + 6].iter().sum();
            assert!(year2 >= 40.0 * UNIT - 1.0, "{year2}");
            let year1: f64 = draws[p * 6..p * 6 + 3].iter().sum();
            assert!((year1 - 33.0 * UNIT).abs() < 2_000.0, "{year1}");
        }
    }
}
