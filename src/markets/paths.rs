//! The forecasting core as a [`PathSource`] for pricing: joint sample paths of the market's
//! series from `crate::forecast`, far enough ahead to reach the market's target period.
//!
//! One source per model choice: the automatic choice prices markets; climatology and seasonal
//! naive are the references a backtest must beat. A reference that cannot be fitted is an error
//! (it is never silently replaced by another model, which would mislabel the comparison).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::price::{PathSource, PathsError, SeriesPaths};
use crate::forecast::{
    self, ForecastConfig, ForecastError, ForecastRequest, ModelChoice, ModelKind, Prepared,
};
use crate::model::{Frequency, Period};
use crate::store::Store;

/// Training data are memoised per (series, grid, as-of).
type PreparedKey = (String, Frequency, DateTime<Utc>);
/// The memoised training data, or why they could not be built (shared by every market asking).
type PreparedOrWhy = Result<Prepared, Arc<ForecastError>>;
/// Joint paths are memoised per (series, grid, as-of).
type PathsKey = (Vec<String>, Frequency, DateTime<Utc>);
/// The latest forecast of (series, grid), with the fingerprint of what it was computed from.
type LatestKey = (Vec<String>, Frequency);

/// Sample paths from `crate::forecast` with one model choice.
///
/// Forecasts are memoised per (series, grid, as-of): markets on the same series at the same
/// as-of time share one forecast (reaching the furthest target asked for so far), so pricing a
/// file of markets fits each series once. The training data (`forecast::prepare`: for
/// `shanghai_teu` a nowcast) are memoised the same way and shared with the sources made by
/// [`ForecastPaths::with_model`], so the origin of a rolling target and the model and reference
/// forecasts of one step read and nowcast the store once. The caches live as long as the source
/// or until [`ForecastPaths::clear`].
///
/// Across as-of dates, the latest forecast of each (series, grid) is also kept with a
/// fingerprint of its inputs (the training data, horizon, model, paths and seed): a forecast is a
/// function of those alone, so when a later date finds the same inputs — a series that has not
/// been updated, priced again for the same target — the paths are reused instead of recomputed.
/// [`ForecastPaths::clear`] keeps it (one forecast per series and grid).
#[derive(Debug)]
pub struct ForecastPaths {
    pub cfg: ForecastConfig,
    pub model: ModelChoice,
    pub n_paths: usize,
    pub seed: u64,
    /// Condition the period in progress on its published days (`crate::forecast::partial`);
    /// off for the references a backtest compares with, which are the plain period models.
    pub known_days: bool,
    prepared: Rc<RefCell<HashMap<PreparedKey, PreparedOrWhy>>>,
    cache: RefCell<HashMap<PathsKey, Vec<SeriesPaths>>>,
    latest: RefCell<HashMap<LatestKey, (u128, Vec<SeriesPaths>)>>,
}

impl ForecastPaths {
    pub fn new(cfg: ForecastConfig, model: ModelChoice, n_paths: usize, seed: u64) -> Self {
        ForecastPaths {
            cfg,
            model,
            n_paths,
            seed,
            known_days: true,
            prepared: Rc::default(),
            cache: RefCell::default(),
            latest: RefCell::default(),
        }
    }

    /// A source with the same settings and another model, sharing this one's training data
    /// (they do not depend on the model).
    pub fn with_model(&self, model: ModelChoice) -> Self {
        ForecastPaths {
            cfg: self.cfg.clone(),
            model,
            n_paths: self.n_paths,
            seed: self.seed,
            known_days: true,
            prepared: Rc::clone(&self.prepared),
            cache: RefCell::default(),
            latest: RefCell::default(),
        }
    }

    /// The same source, ignoring the days already published of the period in progress (a
    /// reference that shows what the published days add).
    pub fn without_known_days(mut self) -> Self {
        self.known_days = false;
        self
    }

    /// Forget every memoised forecast and training data (e.g. after each backtest date, to
    /// bound memory); the shared training data are forgotten for every source sharing them.
    pub fn clear(&self) {
        self.prepared.borrow_mut().clear();
        self.cache.borrow_mut().clear();
    }

    /// Build (once) the training data of `series` as known at `as_of`, then look at them.
    fn with_prepared<T>(
        &self,
        store: &Store,
        series: &str,
        freq: Frequency,
        as_of: DateTime<Utc>,
        look: impl FnOnce(&PreparedOrWhy) -> T,
    ) -> T {
        let key = (series.to_string(), freq, as_of);
        if let Some(p) = self.prepared.borrow().get(&key) {
            return look(p);
        }
        let p = forecast::prepare(
            store,
            series,
            Some(freq),
            as_of,
            &self.cfg,
            self.n_paths,
            self.seed,
        )
        .map_err(Arc::new);
        let out = look(&p);
        self.prepared.borrow_mut().insert(key, p);
        out
    }
}

impl PathSource for ForecastPaths {
    fn origin(
        &self,
        store: &Store,
        series: &str,
        freq: Frequency,
        as_of: DateTime<Utc>,
    ) -> Option<Period> {
        self.with_prepared(store, series, freq, as_of, |p| {
            p.as_ref().ok().map(|p| p.data.history.origin())
        })
    }

    fn paths(
        &self,
        store: &Store,
        series: &[&str],
        freq: Frequency,
        as_of: DateTime<Utc>,
        until: Period,
    ) -> Result<Vec<SeriesPaths>, PathsError> {
        let key = (
            series.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            freq,
            as_of,
        );
        if let Some(hit) = self.cache.borrow().get(&key)
            && hit.iter().all(|sp| sp.horizon_of(until).is_some())
        {
            return Ok(hit.clone());
        }
        // The horizon that reaches `until` from the earliest forecast origin.
        let mut horizon = 0i64;
        for s in series {
            let origin =
                self.origin(store, s, freq, as_of)
                    .ok_or_else(|| PathsError::NoHistory {
                        series: s.to_string(),
                        as_of: as_of.format("%Y-%m-%d").to_string(),
                    })?;
            horizon = horizon.max(origin.steps_to(&until));
        }
        if horizon < 1 {
            return Err(PathsError::InHistory {
                until,
                series: series.join(", "),
            });
        }
        let request = |s: &str| ForecastRequest {
            series: s.to_string(),
            freq: Some(freq),
            horizon: horizon as usize,
            as_of,
            model: self.model,
            n_paths: self.n_paths,
            seed: self.seed,
        };
        let check = |f: &forecast::Forecast| match self.model {
            ModelChoice::Named(kind) if f.kind != kind => Err(PathsError::FellBack {
                kind,
                series: f.series.clone(),
                model: f.model.clone(),
            }),
            _ => Ok(()),
        };
        let mut data = series
            .iter()
            .map(|s| self.with_prepared(store, s, freq, as_of, Clone::clone))
            .collect::<Result<Vec<_>, _>>()
            .map_err(PathsError::Forecast)?;
        if !self.known_days {
            for d in &mut data {
                d.partial = None;
            }
        }
        let latest_key = (key.0.clone(), freq);
        let inputs = forecast::fingerprint(&(&data, horizon, self.model, self.n_paths, self.seed));
        if let Some((fp, paths)) = self.latest.borrow().get(&latest_key)
            && *fp == inputs
        {
            self.cache.borrow_mut().insert(key, paths.clone());
            return Ok(paths.clone());
        }
        let paths = if let [s] = series {
            let data = data.into_iter().next().expect("one series");
            let f = forecast::forecast_prepared(data, &request(s), &self.cfg)?;
            check(&f)?;
            vec![SeriesPaths {
                origin: f.origin,
                dist: f.dist,
                correlation: Vec::new(),
            }]
        } else {
            let reqs: Vec<ForecastRequest> = series.iter().map(|s| request(s)).collect();
            let joint = forecast::forecast_joint_prepared(data, &reqs, &self.cfg)?;
            let correlation = joint.correlation;
            joint
                .components
                .into_iter()
                .zip(correlation)
                .map(|(f, correlation)| {
                    check(&f)?;
                    Ok(SeriesPaths {
                        origin: f.origin,
                        dist: f.dist,
                        correlation,
                    })
                })
                .collect::<Result<Vec<_>, PathsError>>()?
        };
        self.latest
            .borrow_mut()
            .insert(latest_key, (inputs, paths.clone()));
        self.cache.borrow_mut().insert(key, paths.clone());
        Ok(paths)
    }
}

/// What the forecast sources of a pricing or a backtest are made from: the `[forecast]` config,
/// sample paths and seed. Plain data (`Send + Sync`), so each worker thread of a backtest makes
/// its own [`ForecastSources`] (whose memo is single-threaded) from one spec.
#[derive(Clone, Debug)]
pub struct ForecastSpec {
    pub cfg: ForecastConfig,
    pub n_paths: usize,
    pub seed: u64,
}

impl ForecastSpec {
    pub fn new(cfg: &ForecastConfig, n_paths: usize, seed: u64) -> Self {
        ForecastSpec {
            cfg: cfg.clone(),
            n_paths,
            seed,
        }
    }

    /// Fresh sources: the model and the two references, sharing their training data. The
    /// references are the plain period models: they ignore the published days of the period in
    /// progress, so a score against them includes what those days are worth.
    pub fn sources(&self) -> ForecastSources {
        let model =
            ForecastPaths::new(self.cfg.clone(), ModelChoice::Auto, self.n_paths, self.seed);
        ForecastSources {
            climatology: model
                .with_model(ModelChoice::Named(ModelKind::Climatology))
                .without_known_days(),
            seasonal_naive: model
                .with_model(ModelChoice::Named(ModelKind::SeasonalNaive))
                .without_known_days(),
            model,
        }
    }
}

/// The forecast sources: the model, and the two references (the three share their training
/// data: one nowcast per series and date).
pub struct ForecastSources {
    pub model: ForecastPaths,
    pub climatology: ForecastPaths,
    pub seasonal_naive: ForecastPaths,
}

impl ForecastSources {
    /// Forget every memoised forecast.
    pub fn clear(&self) {
        self.model.clear();
        self.climatology.clear();
        self.seasonal_naive.clear();
    }
}
