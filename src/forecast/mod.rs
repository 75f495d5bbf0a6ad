//! Forecasting: predictive distributions (joint sample paths) for each target and horizon, fitted
//! only on what the store knew at the as-of time — what markets are priced from.
//!
//! The pieces:
//! - [`history`]: the target on a regular grid of periods (gaps kept), calendar regressors;
//! - the models, one file per family, behind the [`Model`] / [`Fitted`] traits: [`naive`] (naive
//!   and seasonal naive), [`climatology`], [`regression`] (year-on-year log growth on lagged
//!   drivers, Chinese New Year share and structural breaks), [`ets`] (Holt–Winters-class
//!   exponential smoothing, with [`optim`]'s Nelder–Mead), [`arima`] (seasonal ARIMA with
//!   regression on the drivers, exact likelihood by [`kalman`], automatic orders);
//! - [`shocks`]: the uniforms every model turns into errors (so several targets can share
//!   correlated shocks), and the smoothed residual bootstrap;
//! - [`select`]: model choice per target by rolling-origin CRPS on the training data only;
//! - [`partial`]: the period in progress conditioned on its published days (a daily model of the
//!   remaining days, reconciled with the period model's paths);
//! - [`nowcast`]: official Shanghai monthly TEU estimated from vessel calls, benchmarked to the
//!   official annual, year-to-date and monthly prints (Chow–Lin), bounds respected;
//! - [`evaluate`]: rolling-origin evaluation through past store views (what `portcast evaluate`
//!   prints);
//! - this file: the public entry points [`forecast`] and [`forecast_joint`].
//!
//! The result is a [`PredictiveDistribution`] (`crate::analysis::distribution`): `n_paths` joint
//! paths over the horizons, horizon index 0 = one period after the origin.

pub mod arima;
pub mod climatology;
pub mod combine;
pub mod config;
pub mod ets;
pub mod evaluate;
pub mod history;
pub mod kalman;
pub mod known_days;
pub mod momentum;
pub mod naive;
pub mod nowcast;
pub mod optim;
pub mod partial;
pub mod regression;
pub mod select;
pub mod shocks;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use crate::forecast::shocks::SimRng;
use chrono::{DateTime, Utc};
use nalgebra::{DMatrix, SymmetricEigen};
use rand::SeedableRng;
use thiserror::Error;

use crate::analysis::distribution::{DistributionError, PredictiveDistribution};
use crate::analysis::linalg::LinalgError;
use crate::model::{Frequency, Period};
use crate::series::catalog;
use crate::store::{Store, StoreError};
pub use config::{DriverSpec, DriverTransform, ForecastConfig};
pub use history::History;
pub use nowcast::{Nowcast, NowcastError};
pub use regression::Driver;
use shocks::{Shocks, normal_cdf, normal_quantile};

/// The model families, in order of preference: when a model cannot be fitted the next one in
/// this order is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    Regression,
    Ets,
    Arima,
    Momentum,
    Trend,
    SeasonalNaive,
    Naive,
    Climatology,
}

impl ModelKind {
    /// Every model, in order of preference.
    pub const ALL: [ModelKind; 8] = [
        ModelKind::Regression,
        ModelKind::Ets,
        ModelKind::Arima,
        ModelKind::Momentum,
        ModelKind::Trend,
        ModelKind::SeasonalNaive,
        ModelKind::Naive,
        ModelKind::Climatology,
    ];

    /// The name used on the command line and in outputs.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Regression => "regression",
            ModelKind::Ets => "ets",
            ModelKind::Arima => "arima",
            ModelKind::Momentum => "momentum",
            ModelKind::Trend => "trend",
            ModelKind::SeasonalNaive => "snaive",
            ModelKind::Naive => "naive",
            ModelKind::Climatology => "climatology",
        }
    }

    pub fn parse(s: &str) -> Option<ModelKind> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "regression" => Some(ModelKind::Regression),
            "ets" | "holt-winters" => Some(ModelKind::Ets),
            "arima" | "sarima" => Some(ModelKind::Arima),
            "momentum" => Some(ModelKind::Momentum),
            "trend" => Some(ModelKind::Trend),
            "snaive" | "seasonal-naive" => Some(ModelKind::SeasonalNaive),
            "naive" => Some(ModelKind::Naive),
            "climatology" => Some(ModelKind::Climatology),
            _ => None,
        }
    }

    /// The model itself.
    pub fn model(self) -> Box<dyn Model> {
        match self {
            ModelKind::Regression => Box::new(regression::Regression),
            ModelKind::Ets => Box::new(ets::Ets),
            ModelKind::Arima => Box::new(arima::Arima),
            ModelKind::Momentum => Box::new(momentum::Momentum),
            ModelKind::Trend => Box::new(momentum::Trend),
            ModelKind::SeasonalNaive => Box::new(naive::SeasonalNaive),
            ModelKind::Naive => Box::new(naive::Naive),
            ModelKind::Climatology => Box::new(climatology::Climatology),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which model a forecast uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelChoice {
    /// The lowest rolling-origin CRPS on the training data ([`select`]).
    Auto,
    /// This model; if it cannot be fitted, the next in [`ModelKind::ALL`]'s order.
    Named(ModelKind),
}

/// Why a model could not be fitted to a history. The forecast then moves on to the next model
/// and reports this reason.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FitError {
    #[error("`{series}` has no complete values to fit")]
    NoData { series: String },
    #[error(
        "`{series}` has the value {value} at {period}; models work on logarithms of positive values"
    )]
    NonPositive {
        series: String,
        period: Period,
        value: f64,
    },
    #[error("{model} needs at least {needed} {what}; the history has {got}")]
    TooShort {
        model: &'static str,
        what: &'static str,
        needed: usize,
        got: usize,
    },
    #[error("{model} has no value (observed or interpolated) a season before {period} to build on")]
    NoBase { model: &'static str, period: Period },
    #[error("{model}: driver `{driver}`: {reason}")]
    Driver {
        model: &'static str,
        driver: String,
        reason: String,
    },
    #[error("{model}: the least-squares fit failed")]
    LeastSquares {
        model: &'static str,
        #[source]
        source: LinalgError,
    },
}

/// Why a forecast could not be made.
#[derive(Debug, Error)]
pub enum ForecastError {
    #[error("unknown series `{0}` (see `portcast data list`)")]
    UnknownSeries(String),
    #[error("`{series}` cannot be forecast by {freq}: {reason}")]
    Frequency {
        series: String,
        freq: Frequency,
        reason: String,
    },
    #[error("bad forecast request: {0}")]
    Request(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error("no model could be fitted to `{series}` as of {as_of}: {reasons}")]
    NoModel {
        series: String,
        as_of: String,
        reasons: String,
    },
    #[error(transparent)]
    Distribution(#[from] DistributionError),
    #[error(transparent)]
    Nowcast(#[from] NowcastError),
}

/// A model family: fits itself to training data known at the as-of time.
pub trait Model {
    fn kind(&self) -> ModelKind;
    /// Fit to `data` (everything in it was known at the as-of time), or say why not.
    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError>;
}

/// A fitted model: simulates joint sample paths of the levels for the periods after its origin.
/// Fitted models are shared between threads and memoised ([`fit_model`]).
pub trait Fitted: Send + Sync {
    /// Name with the variant, e.g. `ets(A,Ad,A)`.
    fn describe(&self) -> String;
    /// The last period of the training data.
    fn origin(&self) -> Period;
    /// The one-step errors (log scale) by period, the same errors its simulation draws from;
    /// used to correlate the shocks of several targets in [`forecast_joint`].
    fn residuals(&self) -> &[(Period, f64)];
    /// Sample paths, path-major (`out[path * horizon + h]`, `h = 0` one period ahead), of the
    /// series' levels. Step `h` of path `p` takes its main error from `shocks.get(p, h)`;
    /// `aux` serves any other randomness (e.g. a driver's own future).
    fn simulate(&self, shocks: &Shocks, aux: &mut SimRng) -> Vec<f64>;
}

/// What a model is fitted to: the target's history and its regression drivers, all as known at
/// the as-of time. Its hash covers the exact content (a fitted model is a function of it).
#[derive(Clone, Debug, Hash)]
pub struct TrainingData {
    pub history: History,
    pub drivers: Vec<Driver>,
}

impl TrainingData {
    /// The training data of an earlier origin: the first `len` periods of the history, and the
    /// driver values of periods that ended by the end of that origin's period (what a driver
    /// could have shown then, ignoring its release lag within the period).
    pub fn prefix(&self, len: usize) -> Option<TrainingData> {
        let history = self.history.prefix(len)?;
        let end = history.origin().end();
        Some(TrainingData {
            drivers: self.drivers.iter().map(|d| d.ending_by(end)).collect(),
            history,
        })
    }
}

/// What the forecast of one target needs before a model is chosen. Its hash covers the exact
/// content: a forecast is a function of it and of the request's horizon, model, paths and seed.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub series: String,
    pub freq: Frequency,
    /// What the models are fitted to (for `shanghai_teu`: the vessel calls it is nowcast from).
    pub data: TrainingData,
    /// For `shanghai_teu`: how calls map to official TEU (from the nowcast).
    pub bridge: Option<nowcast::Bridge>,
    /// The target's own history as shown to users (for `shanghai_teu`: official figures where
    /// they exist, else the nowcast's mean).
    pub shown: Vec<(Period, f64)>,
    /// The models see the period's total divided by its number of days (monthly totals of
    /// daily counts: February's 28 days are not a 10% fall), and paths are multiplied back.
    pub per_day: bool,
    /// For a daily count summed to weeks or months (for `shanghai_teu`: its vessel calls): the
    /// period in progress with the days of it already published and the daily model of the rest.
    pub partial: Option<partial::Partial>,
}

impl std::hash::Hash for Prepared {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.series.hash(state);
        self.freq.hash(state);
        self.data.hash(state);
        self.bridge.hash(state);
        self.per_day.hash(state);
        self.partial.hash(state);
        self.shown.len().hash(state);
        for (p, v) in &self.shown {
            p.hash(state);
            v.to_bits().hash(state);
        }
    }
}

impl Prepared {
    /// A model's paths (path-major, `horizon` steps after `origin`) as paths of the target:
    /// daily rates multiplied by each period's days, the period in progress conditioned on its
    /// published days, vessel calls mapped to official TEU.
    pub fn to_target(
        &self,
        origin: Period,
        mut paths: Vec<f64>,
        horizon: usize,
        aux: &mut SimRng,
    ) -> Vec<f64> {
        if self.per_day {
            let days: Vec<f64> = (1..=horizon as i64)
                .map(|h| origin.offset(h).days() as f64)
                .collect();
            for path in paths.chunks_exact_mut(horizon) {
                for (v, d) in path.iter_mut().zip(&days) {
                    *v *= d;
                }
            }
        }
        // The period in progress: its published days and the daily model of the rest.
        if let Some(partial) = &self.partial
            && partial.period == origin.next()
        {
            use rand::RngExt;
            partial.condition(&mut paths, horizon, aux.random());
        }
        match &self.bridge {
            Some(bridge) => bridge.map(&paths, horizon, aux),
            None => paths,
        }
    }
}

/// A forecast request: what every caller (the `forecast` command, markets, backtests) passes.
#[derive(Clone, Debug, PartialEq)]
pub struct ForecastRequest {
    /// Series id (`shanghai_calls`, `scfi`, `la_teu`, `la_loaded_imports`, `shanghai_teu`, …).
    pub series: String,
    /// Week or month; `None` for the series' natural grid ([`default_freq`]).
    pub freq: Option<Frequency>,
    /// Number of periods after the origin, at least 1.
    pub horizon: usize,
    /// Only figures known by this time are used.
    pub as_of: DateTime<Utc>,
    pub model: ModelChoice,
    /// Sample paths (default [`crate::analysis::distribution::DEFAULT_PATHS`]).
    pub n_paths: usize,
    /// Seed of every random draw: the same request and store give the same forecast.
    pub seed: u64,
}

/// One model's score in the rolling-origin selection.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub kind: ModelKind,
    /// Mean CRPS over the (origin, horizon) pairs scored; `None` when none could be.
    pub crps: Option<f64>,
    /// Number of (origin, horizon) pairs scored.
    pub scored: usize,
    /// Selection origins at which the model could not be fitted.
    pub failed: usize,
}

/// A model that could not be fitted, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub kind: ModelKind,
    pub reason: FitError,
}

/// The predictive distribution of one target.
#[derive(Clone, Debug)]
pub struct Forecast {
    pub series: String,
    pub freq: Frequency,
    /// The last period of the training data.
    pub origin: Period,
    /// The forecast periods: `periods[h]` is horizon index `h` of `dist` (origin + h + 1).
    pub periods: Vec<Period>,
    /// The model used, with its variant (`ets(A,Ad,A)`, `nowcast+regression`, …).
    pub model: String,
    pub kind: ModelKind,
    pub dist: PredictiveDistribution,
    /// The target's history up to the origin (levels).
    pub history: Vec<(Period, f64)>,
    /// The rolling-origin selection (empty for a named model).
    pub selection: Vec<Candidate>,
    /// Models that could not be fitted before the one used, with the reason.
    pub skipped: Vec<Skipped>,
    /// The period in progress (horizon index 0) and what of it is already published, when its
    /// paths are conditioned on published days ([`partial`]).
    pub known: Option<partial::Known>,
}

/// The natural forecasting grid of a series: SCFI-like weekly prints by ISO week, daily counts
/// by month, others at their own grid.
pub fn default_freq(series: &str) -> Option<Frequency> {
    let spec = catalog::spec(series)?;
    Some(match spec.period {
        Frequency::Day if spec.cadence == Frequency::Week => Frequency::Week,
        Frequency::Day => Frequency::Month,
        f => f,
    })
}

/// Build the training data of one target as of `as_of`.
pub fn prepare(
    store: &Store,
    series: &str,
    freq: Option<Frequency>,
    as_of: DateTime<Utc>,
    cfg: &ForecastConfig,
    nowcast_paths: usize,
    seed: u64,
) -> Result<Prepared, ForecastError> {
    let freq = match freq {
        Some(f) => f,
        None => default_freq(series).ok_or_else(|| ForecastError::UnknownSeries(series.into()))?,
    };
    if !matches!(freq, Frequency::Month | Frequency::Week) {
        return Err(ForecastError::Frequency {
            series: series.into(),
            freq,
            reason: "forecasts are monthly or weekly".into(),
        });
    }
    if series == nowcast::TARGET {
        if freq != Frequency::Month {
            return Err(ForecastError::Frequency {
                series: series.into(),
                freq,
                reason: "official Shanghai TEU is monthly".into(),
            });
        }
        let options = nowcast::NowcastOptions {
            n_paths: nowcast_paths,
            seed,
            leave_one_out: false,
        };
        let now = nowcast::nowcast(store, as_of, &options)?;
        let per_day = per_day(nowcast::INDICATOR, freq, cfg);
        let history = History::from_points(
            nowcast::INDICATOR,
            freq,
            &rates(&now.indicator_points(), per_day),
        )?;
        let drivers = build_drivers(store, nowcast::INDICATOR, freq, as_of, cfg)?;
        let partial = partial_period(store, nowcast::INDICATOR, history.origin(), as_of)?;
        return Ok(Prepared {
            series: series.into(),
            freq,
            data: TrainingData { history, drivers },
            shown: now.shown(),
            bridge: Some(now.bridge()),
            per_day,
            partial,
        });
    }
    let spec = catalog::spec(series).ok_or_else(|| ForecastError::UnknownSeries(series.into()))?;
    if spec.period > freq {
        return Err(ForecastError::Frequency {
            series: series.into(),
            freq,
            reason: format!(
                "it is {} data and portcast never disaggregates",
                spec.period
            ),
        });
    }
    let view = store.view_at(series, as_of, Some(freq))?;
    let values = view.complete_values();
    let per_day = per_day(series, freq, cfg);
    let history = History::from_points(series, freq, &rates(&values, per_day))?;
    let drivers = build_drivers(store, series, freq, as_of, cfg)?;
    let partial = partial_period(store, series, history.origin(), as_of)?;
    Ok(Prepared {
        series: series.into(),
        freq,
        shown: History::from_points(series, freq, &values)?.points(),
        data: TrainingData { history, drivers },
        bridge: None,
        per_day,
        partial,
    })
}

/// Whether `series` at `freq` is modelled as a daily rate: monthly totals of a daily count
/// (`[forecast] daily_rate`, default on). Weeks all have seven days.
fn per_day(series: &str, freq: Frequency, cfg: &ForecastConfig) -> bool {
    freq == Frequency::Month
        && cfg.daily_rate()
        && catalog::spec(series).is_some_and(|s| {
            s.period == Frequency::Day && s.aggregation == catalog::Aggregation::Sum
        })
}

/// Period totals as daily rates when `per_day`.
fn rates(points: &[(Period, f64)], per_day: bool) -> Vec<(Period, f64)> {
    points
        .iter()
        .map(|&(p, v)| (p, if per_day { v / p.days() as f64 } else { v }))
        .collect()
}

/// The period after `origin` conditioned on its published days, for a daily count summed to
/// coarser periods (see [`partial`]); `None` for other series or too short a daily history.
fn partial_period(
    store: &Store,
    series: &str,
    origin: Period,
    as_of: DateTime<Utc>,
) -> Result<Option<partial::Partial>, ForecastError> {
    let Some(spec) = catalog::spec(series) else {
        return Ok(None);
    };
    if spec.period != Frequency::Day
        || spec.cadence != Frequency::Day
        || spec.aggregation != catalog::Aggregation::Sum
    {
        return Ok(None);
    }
    let view = store.view_at(series, as_of, Some(Frequency::Day))?;
    let days: Vec<(chrono::NaiveDate, f64)> = view
        .points
        .iter()
        .filter(|p| p.precision.is_value())
        .map(|p| (p.period.start(), p.value))
        .collect();
    Ok(partial::Partial::fit(&days, origin.next()))
}

fn build_drivers(
    store: &Store,
    target: &str,
    freq: Frequency,
    as_of: DateTime<Utc>,
    cfg: &ForecastConfig,
) -> Result<Vec<Driver>, ForecastError> {
    cfg.drivers_for(target, freq)
        .iter()
        .map(|spec| {
            let dspec = catalog::spec(&spec.series)
                .ok_or_else(|| ForecastError::UnknownSeries(spec.series.clone()))?;
            // A driver finer than the target is aggregated to the target's grid; a coarser one
            // (monthly PMI for a weekly target) is kept at its own grid and looked up by date.
            let grid = dspec.period.max(freq);
            let view = store.view_at(&spec.series, as_of, Some(grid))?;
            let transform = spec.transform.unwrap_or(if dspec.count {
                DriverTransform::Yoy
            } else {
                DriverTransform::Level
            });
            Ok(Driver::new(
                &spec.series,
                grid,
                spec.lag,
                transform,
                view.complete_values(),
            ))
        })
        .collect()
}

/// A target with its model chosen and fitted on everything known at the as-of time.
pub struct FittedTarget {
    pub prepared: Prepared,
    pub fitted: Arc<dyn Fitted>,
    pub kind: ModelKind,
    pub selection: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
}

impl FittedTarget {
    /// A fitted target; the models that could not be fitted are logged with their reasons.
    fn new(
        prepared: Prepared,
        fitted: Arc<dyn Fitted>,
        kind: ModelKind,
        selection: Vec<Candidate>,
        skipped: Vec<Skipped>,
    ) -> FittedTarget {
        for s in &skipped {
            let Skipped { kind, reason } = s;
            tracing::info!("{}: {kind} not used: {reason}", prepared.series);
        }
        FittedTarget {
            prepared,
            fitted,
            kind,
            selection,
            skipped,
        }
    }

    /// Simulate `shocks.n_paths()` paths over `shocks.horizon()` steps; the period in progress
    /// is conditioned on its published days ([`partial`]) before any bridge to another unit.
    pub fn simulate(&self, shocks: &Shocks, aux: &mut SimRng) -> Vec<f64> {
        let paths = self.fitted.simulate(shocks, aux);
        self.prepared
            .to_target(self.fitted.origin(), paths, shocks.horizon(), aux)
    }

    /// The model's name as shown in outputs.
    pub fn describe(&self) -> String {
        match &self.prepared.bridge {
            Some(_) => format!("nowcast+{}", self.fitted.describe()),
            None => self.fitted.describe(),
        }
    }
}

/// Choose and fit the model of a prepared target: for [`ModelChoice::Auto`] the combination of
/// every model that scored at every rolling origin, weighted and calibrated on those origins
/// ([`combine`]); for a named model that model alone (a model that cannot be fitted gives way to
/// the next in [`ModelKind::ALL`]'s order). The scoring runs over the fixed selection horizon of
/// the target's frequency, never the horizon asked, so the result does not depend on it.
pub fn fit_target(
    prepared: Prepared,
    choice: ModelChoice,
    cfg: &ForecastConfig,
    seed: u64,
) -> Result<FittedTarget, ForecastError> {
    let mut skipped = Vec::new();
    if choice == ModelChoice::Auto {
        let (mut comb, selection) = combination(&prepared.data, prepared.freq, cfg, seed);
        let mut parts: Vec<(ModelKind, f64, Arc<dyn Fitted>)> = Vec::new();
        loop {
            let failed = comb.weights.iter().find_map(|&(kind, w)| {
                if parts.iter().any(|p| p.0 == kind) {
                    return None;
                }
                match fit_model(kind, &prepared.data) {
                    Ok(f) => {
                        parts.push((kind, w, f));
                        None
                    }
                    Err(reason) => Some((kind, reason)),
                }
            });
            let Some((kind, reason)) = failed else { break };
            skipped.push(Skipped { kind, reason });
            parts.retain(|p| p.0 != kind);
            match comb.without(kind) {
                Some(rest) => comb = rest,
                None => break,
            }
        }
        if !parts.is_empty() && parts.len() == comb.weights.len() {
            for p in &mut parts {
                p.1 = comb
                    .weights
                    .iter()
                    .find(|w| w.0 == p.0)
                    .map_or(0.0, |w| w.1);
            }
            parts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let kind = parts[0].0;
            let fitted: Arc<dyn Fitted> =
                if parts.len() == 1 && comb.scale.iter().all(|s| *s == 1.0) {
                    parts.pop().expect("one part").2
                } else {
                    Arc::new(combine::Combined::new(parts, comb))
                };
            return Ok(FittedTarget::new(
                prepared, fitted, kind, selection, skipped,
            ));
        }
        // Nothing of the combination could be fitted: fall back to the preference order.
        return fit_in_order(prepared, ModelKind::ALL.to_vec(), selection, skipped);
    }
    let ModelChoice::Named(k) = choice else {
        unreachable!("auto handled above")
    };
    let mut order = vec![k];
    order.extend(ModelKind::ALL.iter().filter(|&&o| o != k));
    fit_in_order(prepared, order, Vec::new(), skipped)
}

/// Memo of [`fit_model`]: a fitted model is a pure function of its family and training data.
/// A model fitted at one as-of date is the model a later date's rolling-origin scoring fits at
/// that origin, and a backtest asks for the same target and data on many dates, so each is
/// fitted once per process. Bounded (cleared when full); never changes a result.
static FITS: LazyLock<Mutex<FitMemo>> = LazyLock::new(Default::default);

type FitMemo = HashMap<u128, Result<Arc<dyn Fitted>, FitError>>;

/// Entries kept before [`FITS`] is cleared (a fitted model holds a few kilobytes).
const FITS_CAPACITY: usize = 20_000;

/// `kind` fitted to `data`, memoised.
pub fn fit_model(kind: ModelKind, data: &TrainingData) -> Result<Arc<dyn Fitted>, FitError> {
    let key = fingerprint(&(kind, data));
    if let Some(hit) = FITS.lock().expect("fit memo").get(&key) {
        return hit.clone();
    }
    let fitted: Result<Arc<dyn Fitted>, FitError> = kind.model().fit(data).map(Arc::from);
    let mut memo = FITS.lock().expect("fit memo");
    if memo.len() >= FITS_CAPACITY {
        memo.clear();
    }
    memo.insert(key, fitted.clone());
    fitted
}

/// Memo of [`combination`], keyed by the training data, grid, selection settings and seed.
type CombinationMemo = HashMap<u128, (combine::Combination, Vec<Candidate>)>;
static COMBINATIONS: LazyLock<Mutex<CombinationMemo>> = LazyLock::new(Default::default);

/// The combination of a target (weights, calibration) and the ranking of its models: a pure
/// function of the training data, the selection settings and the seed, memoised.
fn combination(
    data: &TrainingData,
    freq: Frequency,
    cfg: &ForecastConfig,
    seed: u64,
) -> (combine::Combination, Vec<Candidate>) {
    let (horizon, origins, paths) = (
        cfg.selection_horizon(freq),
        cfg.selection_origins(freq),
        cfg.selection_paths(),
    );
    let models = cfg.auto_models(freq);
    let key = fingerprint(&(data, freq, &models, horizon, origins, paths, seed));
    if let Some(hit) = COMBINATIONS.lock().expect("combination memo").get(&key) {
        return hit.clone();
    }
    let scoring = select::score(data, &models, horizon, origins, paths, seed);
    let selection = scoring.ranking();
    let result = (combine::fit(&scoring, &selection), selection);
    let mut memo = COMBINATIONS.lock().expect("combination memo");
    if memo.len() >= FITS_CAPACITY {
        memo.clear();
    }
    memo.insert(key, result.clone());
    result
}

/// The first model of `order` that can be fitted.
fn fit_in_order(
    prepared: Prepared,
    order: Vec<ModelKind>,
    selection: Vec<Candidate>,
    mut skipped: Vec<Skipped>,
) -> Result<FittedTarget, ForecastError> {
    for kind in order {
        match fit_model(kind, &prepared.data) {
            Ok(fitted) => {
                return Ok(FittedTarget::new(
                    prepared, fitted, kind, selection, skipped,
                ));
            }
            Err(reason) => {
                if !skipped.iter().any(|s: &Skipped| s.kind == kind) {
                    skipped.push(Skipped { kind, reason });
                }
            }
        }
    }
    let reasons = skipped
        .iter()
        .map(|s| format!("{}: {}", s.kind, s.reason))
        .collect::<Vec<_>>()
        .join("; ");
    Err(ForecastError::NoModel {
        series: prepared.series.clone(),
        as_of: String::new(),
        reasons,
    })
}

fn check_request(req: &ForecastRequest) -> Result<(), ForecastError> {
    if req.horizon == 0 {
        return Err(ForecastError::Request(
            "the horizon must be at least 1".into(),
        ));
    }
    if req.n_paths == 0 {
        return Err(ForecastError::Request(
            "at least one sample path is needed".into(),
        ));
    }
    // The documented limits (src/limits.rs): paths × horizon are held at once.
    crate::limits::check_work(req.horizon, req.n_paths).map_err(ForecastError::Request)
}

/// A 128-bit fingerprint of a value's content: two 64-bit SipHash digests, the second salted.
/// Memos of pure functions (`select`'s origin scores, the pricing layer's forecasts) key on it,
/// so that equal inputs reached at different as-of dates are computed once.
pub(crate) fn fingerprint(value: &impl std::hash::Hash) -> u128 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut a = DefaultHasher::new();
    value.hash(&mut a);
    let mut b = DefaultHasher::new();
    0x5eed_u64.hash(&mut b);
    value.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// The random number generators of a request: the shocks' and the auxiliary one (derived, so
/// adding a draw to one never shifts the other).
fn rngs(seed: u64) -> (SimRng, SimRng) {
    (SimRng::seed_from_u64(seed), aux_rng(seed, 0))
}

/// The auxiliary generator of stream `stream` (one per target of a joint forecast).
pub(crate) fn aux_rng(seed: u64, stream: u64) -> SimRng {
    SimRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15 ^ stream.wrapping_mul(0xbf58_476d_1ce4_e5b9))
}

/// Forecast one target: its predictive distribution over `req.horizon` periods after the last
/// period known at `req.as_of`.
///
/// This is the entry point for pricing and backtesting: a pure function of (store, request,
/// config) — the same inputs give the same paths, and nothing known after `req.as_of` is read.
pub fn forecast(
    store: &Store,
    req: &ForecastRequest,
    cfg: &ForecastConfig,
) -> Result<Forecast, ForecastError> {
    check_request(req)?;
    let prepared = prepare(
        store,
        &req.series,
        req.freq,
        req.as_of,
        cfg,
        req.n_paths,
        req.seed,
    )?;
    forecast_prepared(prepared, req, cfg)
}

/// [`forecast`] from training data already built for `req` by [`prepare`] (same series, grid,
/// as-of time, paths and seed): a caller that needs the data first — the backtest learns the
/// forecast origin from it, and prices three models on it — prepares once (for `shanghai_teu`
/// that is a nowcast).
pub fn forecast_prepared(
    prepared: Prepared,
    req: &ForecastRequest,
    cfg: &ForecastConfig,
) -> Result<Forecast, ForecastError> {
    check_request(req)?;
    let target =
        fit_target(prepared, req.model, cfg, req.seed).map_err(|e| with_as_of(e, req.as_of))?;
    forecast_fitted(&target, req.horizon, req.n_paths, req.seed)
}

/// The forecast of a target already fitted by [`fit_target`] (which takes no horizon: the model
/// set, weights and calibration of a target do not depend on how far ahead it is asked), over
/// `horizon` periods from `n_paths` paths drawn with `seed` — the draw [`forecast_prepared`] makes.
pub fn forecast_fitted(
    target: &FittedTarget,
    horizon: usize,
    n_paths: usize,
    seed: u64,
) -> Result<Forecast, ForecastError> {
    if horizon == 0 || n_paths == 0 {
        return Err(ForecastError::Request(
            "the horizon and the number of paths must be at least 1".into(),
        ));
    }
    let (mut rng, mut aux) = rngs(seed);
    let shocks = Shocks::latin_hypercube(n_paths, horizon, &mut rng);
    let samples = target.simulate(&shocks, &mut aux);
    finish(target, horizon, samples)
}

fn with_as_of(e: ForecastError, as_of: DateTime<Utc>) -> ForecastError {
    match e {
        ForecastError::NoModel {
            series, reasons, ..
        } => ForecastError::NoModel {
            series,
            as_of: as_of.format("%Y-%m-%d").to_string(),
            reasons,
        },
        other => other,
    }
}

fn finish(
    target: &FittedTarget,
    horizon: usize,
    samples: Vec<f64>,
) -> Result<Forecast, ForecastError> {
    let origin = target.fitted.origin();
    let known = target
        .prepared
        .partial
        .as_ref()
        .filter(|p| p.period == origin.next())
        .map(|p| p.known(target.prepared.bridge.is_none()));
    Ok(Forecast {
        known,
        model: target.describe(),
        series: target.prepared.series.clone(),
        freq: target.prepared.freq,
        origin,
        periods: (1..=horizon as i64).map(|h| origin.offset(h)).collect(),
        kind: target.kind,
        dist: PredictiveDistribution::from_paths(horizon, samples)?,
        history: target.prepared.shown.clone(),
        selection: target.selection.clone(),
        skipped: target.skipped.clone(),
    })
}

/// Forecasts of several targets drawn jointly, for baskets and other contracts on more than one
/// series.
#[derive(Clone, Debug)]
pub struct JointForecast {
    /// Each target's forecast; `components[k].dist` is the marginal of target `k`, made of the
    /// same paths as `dist`.
    pub components: Vec<Forecast>,
    /// All targets on one path: coordinate `k * horizon + h` is target `k` at horizon index `h`
    /// (see [`JointForecast::coordinate`]); path `p` of every target is one joint draw.
    pub dist: PredictiveDistribution,
    /// Correlation of the targets' shocks (normal scores of their one-step errors in periods
    /// where all pairs have them), as used.
    pub correlation: Vec<Vec<f64>>,
    /// Number of common periods each pairwise correlation was estimated on.
    pub overlap: Vec<Vec<usize>>,
}

impl JointForecast {
    /// The coordinate of target `component` at horizon index `h` in [`JointForecast::dist`].
    pub fn coordinate(&self, component: usize, h: usize) -> usize {
        component * self.dist.horizons() / self.components.len() + h
    }
}

/// Fewest common periods for a pairwise shock correlation; with fewer the pair is independent.
pub const MIN_CORRELATION_OVERLAP: usize = 12;

/// Forecast several targets jointly: each target's model is chosen and fitted as in
/// [`forecast`], and their shocks are correlated by a Gaussian copula whose correlation is that
/// of the models' one-step errors over common periods. Step shocks are shared by calendar period,
/// so two targets' forecasts of the same month move together even when their origins differ.
/// Each target's marginal is the same distribution its single forecast would have (up to Monte
/// Carlo noise); only the dependence between targets is added.
///
/// All requests must share the frequency, horizon, as-of time, number of paths and seed.
pub fn forecast_joint(
    store: &Store,
    reqs: &[ForecastRequest],
    cfg: &ForecastConfig,
) -> Result<JointForecast, ForecastError> {
    for r in reqs {
        check_request(r)?;
    }
    let prepared = reqs
        .iter()
        .map(|r| prepare(store, &r.series, r.freq, r.as_of, cfg, r.n_paths, r.seed))
        .collect::<Result<Vec<_>, _>>()?;
    forecast_joint_prepared(prepared, reqs, cfg)
}

/// [`forecast_joint`] from training data already built for each request by [`prepare`] (see
/// [`forecast_prepared`]), in the order of `reqs`.
pub fn forecast_joint_prepared(
    prepared: Vec<Prepared>,
    reqs: &[ForecastRequest],
    cfg: &ForecastConfig,
) -> Result<JointForecast, ForecastError> {
    if prepared.len() != reqs.len() {
        return Err(ForecastError::Request(
            "one prepared target per request".into(),
        ));
    }
    let Some(first) = reqs.first() else {
        return Err(ForecastError::Request("no targets".into()));
    };
    for r in reqs {
        check_request(r)?;
        if (r.horizon, r.as_of, r.n_paths, r.seed)
            != (first.horizon, first.as_of, first.n_paths, first.seed)
        {
            return Err(ForecastError::Request(
                "joint forecasts need one horizon, as-of time, number of paths and seed".into(),
            ));
        }
    }
    let (horizon, n) = (first.horizon, first.n_paths);
    let mut targets = Vec::new();
    for (r, prepared) in reqs.iter().zip(prepared) {
        if prepared.freq
            != targets
                .first()
                .map_or(prepared.freq, |t: &FittedTarget| t.prepared.freq)
        {
            return Err(ForecastError::Request(
                "joint forecasts need targets of one frequency".into(),
            ));
        }
        targets
            .push(fit_target(prepared, r.model, cfg, r.seed).map_err(|e| with_as_of(e, r.as_of))?);
    }
    let k = targets.len();
    let residuals: Vec<&[(Period, f64)]> = targets.iter().map(|t| t.fitted.residuals()).collect();
    let (correlation, overlap) = shock_correlation(&residuals);
    let chol = psd_factor(&correlation);

    // One block of shocks per calendar period from the earliest first step to the latest last.
    let origins: Vec<Period> = targets.iter().map(|t| t.fitted.origin()).collect();
    let grid_start = origins.iter().map(|o| o.next()).min().expect("targets");
    let grid_end = origins
        .iter()
        .map(|o| o.offset(horizon as i64))
        .max()
        .expect("targets");
    let g = grid_start.steps_to(&grid_end) as usize + 1;
    let (mut rng, _) = rngs(first.seed);
    // Independent stratified normals per (period, target), mixed by the correlation's factor.
    let base = Shocks::latin_hypercube(n, g * k, &mut rng);
    let mut uniforms: Vec<Vec<f64>> = vec![vec![0.0; n * horizon]; k];
    let mut z = vec![0.0; k];
    for p in 0..n {
        for step in 0..g {
            for (j, zj) in z.iter_mut().enumerate() {
                *zj = normal_quantile(base.get(p, step * k + j));
            }
            for (i, target_u) in uniforms.iter_mut().enumerate() {
                let offset = grid_start.steps_to(&origins[i].next());
                let h = step as i64 - offset;
                if h < 0 || h >= horizon as i64 {
                    continue;
                }
                let mixed: f64 = (0..k).map(|j| chol[(i, j)] * z[j]).sum();
                target_u[p * horizon + h as usize] = normal_cdf(mixed);
            }
        }
    }
    let mut joint = vec![0.0; n * horizon * k];
    let mut components = Vec::with_capacity(k);
    for (i, (target, u)) in targets.into_iter().zip(uniforms).enumerate() {
        let shocks = Shocks::from_uniforms(n, horizon, u);
        let mut aux = aux_rng(first.seed, i as u64);
        let samples = target.simulate(&shocks, &mut aux);
        for p in 0..n {
            joint[p * horizon * k + i * horizon..p * horizon * k + (i + 1) * horizon]
                .copy_from_slice(&samples[p * horizon..(p + 1) * horizon]);
        }
        components.push(finish(&target, horizon, samples)?);
    }
    Ok(JointForecast {
        components,
        dist: PredictiveDistribution::from_paths(horizon * k, joint)?,
        correlation: (0..k)
            .map(|i| (0..k).map(|j| correlation[(i, j)]).collect())
            .collect(),
        overlap,
    })
}

/// Pairwise correlation of normal scores of the residuals over their common periods (pairs with
/// fewer than [`MIN_CORRELATION_OVERLAP`] common periods are uncorrelated).
fn shock_correlation(residuals: &[&[(Period, f64)]]) -> (DMatrix<f64>, Vec<Vec<usize>>) {
    let k = residuals.len();
    let scores: Vec<std::collections::BTreeMap<Period, f64>> =
        residuals.iter().map(|r| normal_scores(r)).collect();
    let mut corr = DMatrix::identity(k, k);
    let mut overlap = vec![vec![0; k]; k];
    for i in 0..k {
        overlap[i][i] = scores[i].len();
        for j in i + 1..k {
            let pairs: Vec<(f64, f64)> = scores[i]
                .iter()
                .filter_map(|(p, a)| scores[j].get(p).map(|b| (*a, *b)))
                .collect();
            overlap[i][j] = pairs.len();
            overlap[j][i] = pairs.len();
            if pairs.len() >= MIN_CORRELATION_OVERLAP {
                let r = crate::analysis::ccf::pearson(&pairs);
                if r.is_finite() {
                    corr[(i, j)] = r;
                    corr[(j, i)] = r;
                }
            }
        }
    }
    (corr, overlap)
}

/// Van der Waerden normal scores: `Φ⁻¹((rank + 0.5) / n)`, robust to the heavy tails of
/// 2020's errors.
fn normal_scores(r: &[(Period, f64)]) -> std::collections::BTreeMap<Period, f64> {
    let mut order: Vec<usize> = (0..r.len()).collect();
    order.sort_by(|&a, &b| r[a].1.total_cmp(&r[b].1));
    let n = r.len() as f64;
    order
        .iter()
        .enumerate()
        .map(|(rank, &i)| (r[i].0, normal_quantile((rank as f64 + 0.5) / n)))
        .collect()
}

/// A factor `L` with `L Lᵀ` the nearest correlation matrix to `c` by eigenvalue clipping
/// (pairwise estimates need not be positive semi-definite), rows normalised to unit length so
/// every marginal stays standard normal.
fn psd_factor(c: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(c.clone());
    let k = c.nrows();
    let mut l = DMatrix::zeros(k, k);
    for j in 0..k {
        let s = eig.eigenvalues[j].max(0.0).sqrt();
        for i in 0..k {
            l[(i, j)] = eig.eigenvectors[(i, j)] * s;
        }
    }
    for i in 0..k {
        let norm = l.row(i).norm();
        if norm > 0.0 {
            for j in 0..k {
                l[(i, j)] /= norm;
            }
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_round_trip() {
        for k in ModelKind::ALL {
            assert_eq!(ModelKind::parse(k.name()), Some(k));
        }
        assert_eq!(
            ModelKind::parse("seasonal_naive"),
            Some(ModelKind::SeasonalNaive)
        );
        assert_eq!(ModelKind::parse("arima"), Some(ModelKind::Arima));
    }

    /// Synthetic data (stated as such): two monthly random walks, 200 months, whose log
    /// innovations have a known correlation. Fitting each with a model and correlating the
    /// models' one-step errors recovers it within ±0.1.
    #[test]
    fn shock_correlation_recovers_a_known_correlation_from_model_errors() {
        use rand_distr::{Distribution, StandardNormal};
        let start = Period::parse("2000-01", Frequency::Month).unwrap();
        let mut rng = SimRng::seed_from_u64(11);
        for rho in [0.0, 0.6, -0.4, 0.9] {
            let (mut a, mut b) = (7.0f64, 9.0f64);
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            for i in 0..=200 {
                let z1: f64 = StandardNormal.sample(&mut rng);
                let z2: f64 = StandardNormal.sample(&mut rng);
                a += 0.05 * z1;
                b += 0.08 * (rho * z1 + (1.0 - rho * rho).sqrt() * z2);
                pa.push((start.offset(i), a.exp()));
                pb.push((start.offset(i), b.exp()));
            }
            let fit = |pts: &[(Period, f64)]| {
                naive::Naive
                    .fit(&TrainingData {
                        history: History::from_points("x", Frequency::Month, pts).unwrap(),
                        drivers: Vec::new(),
                    })
                    .unwrap()
            };
            let (fa, fb) = (fit(&pa), fit(&pb));
            let (c, overlap) = shock_correlation(&[fa.residuals(), fb.residuals()]);
            assert!(overlap[0][1] >= 190, "{overlap:?}");
            assert!(
                (c[(0, 1)] - rho).abs() < 0.1,
                "rho {rho}: estimated {}",
                c[(0, 1)]
            );
        }
    }

    #[test]
    fn psd_factor_reproduces_a_valid_correlation() {
        let c = DMatrix::from_row_slice(3, 3, &[1.0, 0.6, 0.3, 0.6, 1.0, 0.5, 0.3, 0.5, 1.0]);
        let l = psd_factor(&c);
        let back = &l * l.transpose();
        assert!((back - c).amax() < 1e-12);
        // An impossible pairwise set (not PSD) still gives unit variances.
        let bad = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        let back = {
            let l = psd_factor(&bad);
            &l * l.transpose()
        };
        for i in 0..3 {
            assert!((back[(i, i)] - 1.0).abs() < 1e-12);
        }
    }
}
