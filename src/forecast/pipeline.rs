//! The forecast of one target, step by step: the training data known at the as-of time
//! ([`prepare`]: the history on its grid, drivers, the period in progress, for `shanghai_teu` the
//! nowcast's vessel calls), the model chosen and fitted ([`fit_target`]: the calibrated
//! combination of `super::combine` weighted on `super::select`'s rolling-origin scores, or a named
//! model with its fallbacks), and the paths drawn ([`forecast_fitted`]). [`forecast`] and
//! [`forecast_prepared`] chain the steps; `super::joint` draws several fitted targets together.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, Utc};

use super::shocks::{Shocks, SimRng};
use super::{
    Candidate, Driver, DriverTransform, FITS_CAPACITY, Fitted, Forecast, ForecastConfig,
    ForecastError, ForecastRequest, History, ModelChoice, ModelKind, Prepared, RequestError,
    Skipped, TrainingData, combine, default_freq, fingerprint, fit_model, fit_model_keyed,
    month_cycle, nowcast, partial, rngs, select,
};
use crate::analysis::distribution::PredictiveDistribution;
use crate::model::{Frequency, Period};
use crate::series::catalog;
use crate::store::Store;

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
            cycle: None,
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
    let cycle = month_cycle(series, freq, cfg, &values, as_of);
    let mut modelled = rates(&values, per_day);
    if let Some(c) = &cycle {
        modelled = c.adjust(&modelled);
    }
    let history = History::from_points(series, freq, &modelled)?;
    let drivers = build_drivers(store, series, freq, as_of, cfg)?;
    let partial = partial_period(store, series, history.origin(), as_of)?;
    Ok(Prepared {
        series: series.into(),
        freq,
        shown: History::from_points(series, freq, &values)?.points(),
        data: TrainingData { history, drivers },
        bridge: None,
        per_day,
        cycle,
        partial,
    })
}

/// The month cycle of `series` at `freq` (weekly prints of a freight index: not counts, a weekly
/// cadence) as of `as_of`, fitted on `values` before that quarter
/// ([`month_cycle::MonthCycle::fit_as_of`]), unless `[forecast] month_cycle = false` or too few
/// prints.
fn month_cycle(
    series: &str,
    freq: Frequency,
    cfg: &ForecastConfig,
    values: &[(Period, f64)],
    as_of: DateTime<Utc>,
) -> Option<month_cycle::MonthCycle> {
    let spec = catalog::spec(series)?;
    (freq == Frequency::Week && cfg.month_cycle() && spec.cadence == Frequency::Week && !spec.count)
        .then(|| month_cycle::MonthCycle::fit_as_of(values, as_of.date_naive()))
        .flatten()
}

/// Whether `series` at `freq` is modelled as a daily rate: monthly totals of a flow, whether
/// summed from daily counts (vessel calls) or published by the month (TEU)
/// (`[forecast] daily_rate`, default on). Weeks all have seven days.
fn per_day(series: &str, freq: Frequency, cfg: &ForecastConfig) -> bool {
    freq == Frequency::Month
        && cfg.daily_rate()
        && catalog::spec(series).is_some_and(|s| s.is_flow())
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

    /// The model's name as shown in outputs (`nowcast+` for a bridge to official TEU,
    /// `month-cycle(5.1%)+` where the models see a freight index without its month cycle, of
    /// that size peak to trough).
    pub fn describe(&self) -> String {
        let model = self.fitted.describe();
        match (&self.prepared.bridge, &self.prepared.cycle) {
            (Some(_), _) => format!("nowcast+{model}"),
            (None, Some(c)) => format!("month-cycle({:.1}%)+{model}", 100.0 * c.peak_to_trough()),
            (None, None) => model,
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
        let data_key = fingerprint(&prepared.data);
        let (mut comb, selection) = combination(&prepared.data, data_key, prepared.freq, cfg, seed);
        // Every part's final fit, side by side (fits do not depend on the weights); a part that
        // cannot be fitted is skipped and the others' weights renormalised (set below).
        let fits: Vec<_> = {
            use rayon::prelude::*;
            comb.weights
                .par_iter()
                .map(|&(kind, _)| (kind, fit_model_keyed(kind, &prepared.data, data_key)))
                .collect()
        };
        let mut parts: Vec<(ModelKind, f64, Arc<dyn Fitted>)> = Vec::new();
        for (kind, fit) in fits {
            match fit {
                Ok(f) => parts.push((kind, 0.0, f)),
                Err(reason) => {
                    skipped.push(Skipped { kind, reason });
                    match comb.without(kind) {
                        Some(rest) => comb = rest,
                        None => break,
                    }
                }
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

/// Memo of [`combination`], keyed by the training data, grid, selection settings and seed.
type CombinationMemo = HashMap<u128, (combine::Combination, Vec<Candidate>)>;
static COMBINATIONS: LazyLock<Mutex<CombinationMemo>> = LazyLock::new(Default::default);

/// The combination of a target (weights, calibration) and the ranking of its models: a pure
/// function of the training data (whose [`fingerprint`] is `data_key`), the selection settings
/// and the seed, memoised.
fn combination(
    data: &TrainingData,
    data_key: u128,
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
    let key = fingerprint(&(data_key, freq, &models, horizon, origins, paths, seed));
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

pub(super) fn check_request(req: &ForecastRequest) -> Result<(), ForecastError> {
    if req.horizon == 0 {
        return Err(RequestError::NoHorizon.into());
    }
    if req.n_paths == 0 {
        return Err(RequestError::NoPaths.into());
    }
    // The documented limits (src/limits.rs): paths × horizon are held at once.
    crate::limits::check_work(req.horizon, req.n_paths).map_err(ForecastError::Limit)
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
        return Err(RequestError::NoHorizonOrPaths.into());
    }
    let (mut rng, mut aux) = rngs(seed);
    let shocks = Shocks::latin_hypercube(n_paths, horizon, &mut rng);
    let samples = target.simulate(&shocks, &mut aux);
    finish(target, horizon, samples)
}

pub(super) fn with_as_of(e: ForecastError, as_of: DateTime<Utc>) -> ForecastError {
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

pub(super) fn finish(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_flows_are_modelled_per_day_and_nothing_else_is() {
        let on = ForecastConfig::default();
        for series in ["la_teu", "long_beach_teu", "shanghai_calls"] {
            assert!(per_day(series, Frequency::Month, &on), "{series}");
            // Weeks all have seven days.
            assert!(!per_day(series, Frequency::Week, &on), "{series}");
        }
        for series in ["la_teu_ytd", "pmi", "scfi", "no_such_series"] {
            assert!(!per_day(series, Frequency::Month, &on), "{series}");
        }
        let off = ForecastConfig {
            daily_rate: Some(false),
            ..ForecastConfig::default()
        };
        assert!(!per_day("la_teu", Frequency::Month, &off));
    }

    #[test]
    fn weekly_freight_indices_and_nothing_else_have_a_month_cycle() {
        // Synthetic weekly prints (not real data) with a jump in each month's last week.
        let start = Period::containing(
            chrono::NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
            Frequency::Week,
        );
        let prints: Vec<(Period, f64)> = (0..120)
            .map(|i| {
                let p = start.offset(i);
                let late = month_cycle::phase(p) > 0.8;
                (p, if late { 1100.0 } else { 1000.0 })
            })
            .collect();
        let on = ForecastConfig::default();
        let as_of = crate::model::end_of_day(chrono::NaiveDate::from_ymd_opt(2020, 6, 30).unwrap());
        for series in ["scfi", "scfi_uswc", "scfi_europe"] {
            assert!(
                month_cycle(series, Frequency::Week, &on, &prints, as_of).is_some(),
                "{series}"
            );
            assert!(month_cycle(series, Frequency::Month, &on, &prints, as_of).is_none());
        }
        for series in ["shanghai_calls", "pmi", "no_such_series"] {
            assert!(
                month_cycle(series, Frequency::Week, &on, &prints, as_of).is_none(),
                "{series}"
            );
        }
        let off = ForecastConfig {
            month_cycle: Some(false),
            ..ForecastConfig::default()
        };
        assert!(month_cycle("scfi", Frequency::Week, &off, &prints, as_of).is_none());
        // Half a year of prints is too few to fit one.
        assert!(month_cycle("scfi", Frequency::Week, &on, &prints[..26], as_of).is_none());
    }
}
