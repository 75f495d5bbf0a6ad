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
//! - [`chow_lin`]: the nowcast's disaggregation algebra on plain vectors and matrices;
//! - [`evaluate`]: rolling-origin evaluation through past store views (what `portcast evaluate`
//!   prints);
//! - `pipeline.rs`: the public entry points [`forecast`] (training data by [`prepare`], the model
//!   chosen and fitted by [`fit_target`], paths drawn by [`forecast_fitted`]), re-exported here;
//! - `joint.rs`: [`forecast_joint`], several targets' shocks tied by a Gaussian copula;
//! - this file: the types and traits every part speaks ([`ModelKind`], [`Model`], [`Fitted`],
//!   [`InSample`], [`TrainingData`], [`Prepared`], [`ForecastRequest`], [`Forecast`], the
//!   errors), the memoised fit of one model ([`fit_model`]) and the seeds of the random streams.
//!
//! The result is a [`PredictiveDistribution`] (`crate::analysis::distribution`): `n_paths` joint
//! paths over the horizons, horizon index 0 = one period after the origin.

pub mod arima;
pub mod chow_lin;
pub mod climatology;
pub mod combine;
pub mod config;
pub mod ets;
pub mod evaluate;
pub mod history;
pub mod kalman;
pub mod known_days;
pub mod momentum;
pub mod month_cycle;
pub mod naive;
pub mod nowcast;
pub mod optim;
pub mod partial;
pub mod regression;
pub mod select;
pub mod shocks;

mod joint;
mod pipeline;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use crate::forecast::shocks::SimRng;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use thiserror::Error;

use crate::analysis::distribution::{DistributionError, PredictiveDistribution};
use crate::analysis::linalg::LinalgError;
use crate::model::{Frequency, Period};
use crate::series::catalog;
use crate::store::StoreError;
pub use config::{DriverSpec, DriverTransform, ForecastConfig};
pub use history::History;
pub use joint::{JointForecast, MIN_CORRELATION_OVERLAP, forecast_joint, forecast_joint_prepared};
pub use nowcast::{Nowcast, NowcastError};
pub use pipeline::{
    FittedTarget, fit_target, forecast, forecast_fitted, forecast_prepared, prepare,
};
pub use regression::Driver;
use shocks::Shocks;

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
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("bad forecast request: {0}")]
    Request(RequestError),
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("bad forecast request: {0}")]
    Limit(crate::limits::WorkError),
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

/// What is wrong with a forecast request (carried by [`ForecastError::Request`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error("the horizon must be at least 1")]
    NoHorizon,
    #[error("at least one sample path is needed")]
    NoPaths,
    #[error("the horizon and the number of paths must be at least 1")]
    NoHorizonOrPaths,
    #[error("one prepared target per request")]
    PreparedMismatch,
    #[error("no targets")]
    NoTargets,
    #[error("joint forecasts need one horizon, as-of time, number of paths and seed")]
    MixedJointSettings,
    #[error("joint forecasts need targets of one frequency")]
    MixedFrequency,
}

impl From<RequestError> for ForecastError {
    fn from(e: RequestError) -> Self {
        ForecastError::Request(e)
    }
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
    /// What every fitted model holds besides its parameters: origin and one-step errors.
    fn in_sample(&self) -> &InSample;
    /// The last period of the training data.
    fn origin(&self) -> Period {
        self.in_sample().origin
    }
    /// The one-step errors (log scale) by period, the same errors its simulation draws from;
    /// used to correlate the shocks of several targets in [`forecast_joint`].
    fn residuals(&self) -> &[(Period, f64)] {
        &self.in_sample().residuals
    }
    /// Sample paths, path-major (`out[path * horizon + h]`, `h = 0` one period ahead), of the
    /// series' levels. Step `h` of path `p` takes its main error from `shocks.get(p, h)`;
    /// `aux` serves any other randomness (e.g. a driver's own future).
    fn simulate(&self, shocks: &Shocks, aux: &mut SimRng) -> Vec<f64>;
    /// Whether [`Fitted::simulate`] draws from `aux` (a model that does not can be simulated
    /// beside others without changing what they draw).
    fn draws_aux(&self) -> bool {
        true
    }
}

/// What a fitted model knows of its training data, whatever the family: the origin and the
/// one-step errors ([`Fitted::in_sample`]). Each fitted model holds one.
#[derive(Clone, Debug, PartialEq)]
pub struct InSample {
    /// The last period of the training data.
    pub origin: Period,
    /// The one-step errors (log scale) by period, the same errors the simulation draws from.
    pub residuals: Vec<(Period, f64)>,
}

impl InSample {
    /// The `horizon` periods after the origin (horizon index 0 = one period after it).
    pub fn ahead(&self, horizon: usize) -> Vec<Period> {
        (1..=horizon as i64)
            .map(|h| self.origin.offset(h))
            .collect()
    }
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
    /// flows, vessel calls or TEU: February's 28 days are not a 10% fall), and paths are
    /// multiplied back.
    pub per_day: bool,
    /// For a weekly freight index: the month's rate cycle ([`month_cycle`]) the models see
    /// taken out, and paths get back.
    pub cycle: Option<month_cycle::MonthCycle>,
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
        self.cycle.hash(state);
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
    /// daily rates multiplied by each period's days, a freight index's month cycle put back, the
    /// period in progress conditioned on its published days, vessel calls mapped to official TEU.
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
        if let Some(cycle) = &self.cycle {
            cycle.restore(origin, &mut paths, horizon);
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
    /// The model used, with its variant (`ets(A,Ad,A)`, `nowcast+regression`,
    /// `month-cycle(5.1%)+combo[…]`, …).
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
    fit_model_keyed(kind, data, fingerprint(data))
}

/// [`fit_model`] with `data`'s [`fingerprint`] already computed: a caller fitting several models
/// to the same data hashes it once (hashing a long history is a large part of a cheap fit).
pub fn fit_model_keyed(
    kind: ModelKind,
    data: &TrainingData,
    data_key: u128,
) -> Result<Arc<dyn Fitted>, FitError> {
    let key = fingerprint(&(kind, data_key));
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

    #[test]
    fn a_bad_request_prints_its_cause_once() {
        let cases = [
            (RequestError::NoHorizon, "the horizon must be at least 1"),
            (RequestError::NoPaths, "at least one sample path is needed"),
            (
                RequestError::NoHorizonOrPaths,
                "the horizon and the number of paths must be at least 1",
            ),
            (
                RequestError::PreparedMismatch,
                "one prepared target per request",
            ),
            (RequestError::NoTargets, "no targets"),
            (
                RequestError::MixedJointSettings,
                "joint forecasts need one horizon, as-of time, number of paths and seed",
            ),
            (
                RequestError::MixedFrequency,
                "joint forecasts need targets of one frequency",
            ),
        ];
        for (e, cause) in cases {
            let err = anyhow::Error::from(ForecastError::from(e));
            assert_eq!(format!("{err:#}"), format!("bad forecast request: {cause}"));
        }
    }
}
