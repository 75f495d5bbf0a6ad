//! Rolling-origin evaluation through past store views: what `portcast evaluate` prints.
//!
//! An origin is a period of the target (for `shanghai_teu`, of the vessel calls it is nowcast
//! from) inside the window; the forecast is made as of the moment that period's figure became
//! known (its `known_at`), so it sees exactly what had been published then — the production
//! pipeline at a past as-of time, no second code path. Every model is fitted at every origin, and
//! so is `auto` (the calibrated combination of `super::combine`, re-fitted at each origin on that
//! origin's training data): its forecast is drawn with the same seed, exactly what
//! `portcast forecast --as-of <that time>` would have printed.
//!
//! Outcomes are the values known at the evaluation's own as-of time. Scores per model and
//! horizon: mean CRPS, MAPE of the median, coverage of the central 50%, 80%, 90% and 95%
//! intervals, the CRPS skill against seasonal naive on the (origin, horizon) pairs both have, and
//! the probability integral transform (PIT = F(y)) in ten bins: uniform when the forecast is
//! calibrated, U-shaped when too narrow, hump-shaped when too wide.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::shocks::Shocks;
use super::{
    ForecastConfig, ForecastError, ModelChoice, ModelKind, Prepared, RequestError, aux_rng,
    default_freq, fit_target, nowcast, prepare, rngs,
};
use crate::analysis::score::{crps_sorted, interval_coverage, mape};
use crate::model::{Frequency, Period};
use crate::store::Store;

/// What to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct EvaluateRequest {
    pub series: String,
    pub freq: Option<Frequency>,
    /// Origins are the periods that start within `from..=to`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub horizon: usize,
    /// The evaluation's own as-of time: outcomes are the values known then.
    pub as_of: DateTime<Utc>,
    pub n_paths: usize,
    pub seed: u64,
}

/// Scores of one model at one horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalRow {
    /// `auto` or a model name.
    pub model: String,
    /// 1-based.
    pub horizon: usize,
    /// Number of (origin, outcome) pairs scored.
    pub n: usize,
    pub crps: f64,
    /// MAPE of the median, percent.
    pub mape: f64,
    pub cover50: f64,
    pub cover80: f64,
    pub cover90: f64,
    pub cover95: f64,
    /// Share of outcomes in each tenth of the forecast distribution (PIT histogram, ten bins).
    pub pit: [f64; PIT_BINS],
    /// `1 − CRPS / CRPS(snaive)` on the pairs both have; `None` for snaive itself or without
    /// common pairs.
    pub skill: Option<f64>,
    /// Pairs in common with seasonal naive (the skill's sample).
    pub n_common: usize,
}

/// Bins of the PIT histogram.
pub const PIT_BINS: usize = 10;

/// The whole evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub series: String,
    pub freq: Frequency,
    /// Origins in the window, and those where a forecast could be made.
    pub origins: usize,
    pub evaluated: usize,
    pub rows: Vec<EvalRow>,
    /// How often `auto` chose each model.
    pub auto_choices: BTreeMap<String, usize>,
    /// Origins without a forecast, and why.
    pub skipped: Vec<(Period, String)>,
}

/// One scored forecast of one period.
#[derive(Clone, Copy, Debug)]
struct Scored {
    origin: Period,
    crps: f64,
    median: f64,
    i50: (f64, f64),
    i80: (f64, f64),
    i90: (f64, f64),
    i95: (f64, f64),
    /// F(y): the share of samples below the outcome (ties count half).
    pit: f64,
    actual: f64,
}

/// Run the rolling-origin evaluation.
pub fn evaluate(
    store: &Store,
    req: &EvaluateRequest,
    cfg: &ForecastConfig,
) -> Result<Evaluation, ForecastError> {
    if req.horizon == 0 || req.n_paths == 0 {
        return Err(RequestError::NoHorizonOrPaths.into());
    }
    let freq = match req.freq {
        Some(f) => f,
        None => default_freq(&req.series)
            .ok_or_else(|| ForecastError::UnknownSeries(req.series.clone()))?,
    };
    if crate::series::catalog::spec(&req.series).is_none() {
        return Err(ForecastError::UnknownSeries(req.series.clone()));
    }
    let origin_series = if req.series == nowcast::TARGET {
        nowcast::INDICATOR
    } else {
        req.series.as_str()
    };
    let origins: Vec<(Period, DateTime<Utc>)> = store
        .view_at(origin_series, req.as_of, Some(freq))?
        .points
        .iter()
        .filter(|p| p.complete && p.precision.is_value())
        .filter(|p| p.period.start() >= req.from && p.period.start() <= req.to)
        .map(|p| (p.period, p.known_at))
        .collect();
    let actuals: BTreeMap<Period, f64> = store
        .view_at(&req.series, req.as_of, Some(freq))?
        .complete_values()
        .into_iter()
        .collect();

    let labels: Vec<String> = std::iter::once("auto".to_string())
        .chain(ModelKind::ALL.iter().map(|k| k.name().to_string()))
        .collect();
    // scored[label][h] = forecasts of horizon h + 1.
    let mut scored: BTreeMap<String, Vec<Vec<Scored>>> = labels
        .iter()
        .map(|l| (l.clone(), vec![Vec::new(); req.horizon]))
        .collect();
    let mut auto_choices: BTreeMap<String, usize> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut evaluated = 0;
    for &(origin, as_of) in &origins {
        let prepared = match prepare(
            store,
            &req.series,
            Some(freq),
            as_of,
            cfg,
            req.n_paths,
            req.seed,
        ) {
            Ok(p) => p,
            Err(e) => {
                skipped.push((origin, e.to_string()));
                continue;
            }
        };
        let per_model = forecast_every_model(&prepared, req);
        if per_model.iter().all(|r| r.1.is_none()) {
            skipped.push((origin, "no model could be fitted".into()));
            continue;
        }
        evaluated += 1;
        let auto = fit_target(prepared.clone(), ModelChoice::Auto, cfg, req.seed)
            .ok()
            .map(|t| {
                *auto_choices.entry(t.kind.name().to_string()).or_default() += 1;
                let (mut rng, mut aux) = rngs(req.seed);
                let shocks = Shocks::latin_hypercube(req.n_paths, req.horizon, &mut rng);
                t.simulate(&shocks, &mut aux)
            });
        let fit_origin = prepared.data.history.origin();
        let every = std::iter::once(("auto".to_string(), auto)).chain(
            per_model
                .into_iter()
                .map(|(k, paths)| (k.name().to_string(), paths)),
        );
        for (label, result) in every {
            let Some(paths) = result else { continue };
            for h in 0..req.horizon {
                let period = fit_origin.offset(h as i64 + 1);
                let Some(&actual) = actuals.get(&period) else {
                    continue;
                };
                let mut marginal: Vec<f64> =
                    paths.chunks_exact(req.horizon).map(|p| p[h]).collect();
                crate::analysis::distribution::sort_floats(&mut marginal);
                let q = |p: f64| type7(&marginal, p);
                let Ok(crps) = crps_sorted(&marginal, actual) else {
                    continue;
                };
                let below = marginal.partition_point(|v| *v < actual);
                let equal = marginal[below..].partition_point(|v| *v <= actual);
                let s = Scored {
                    origin,
                    crps,
                    median: q(0.5),
                    i50: (q(0.25), q(0.75)),
                    i80: (q(0.1), q(0.9)),
                    i90: (q(0.05), q(0.95)),
                    i95: (q(0.025), q(0.975)),
                    pit: (below as f64 + equal as f64 / 2.0) / marginal.len() as f64,
                    actual,
                };
                scored.get_mut(&label).expect("label")[h].push(s);
            }
        }
    }

    let mut rows = Vec::new();
    // `h` indexes the per-horizon lists of every model at once.
    #[allow(clippy::needless_range_loop)]
    for h in 0..req.horizon {
        let snaive: BTreeMap<Period, f64> = scored[ModelKind::SeasonalNaive.name()][h]
            .iter()
            .map(|s| (s.origin, s.crps))
            .collect();
        for label in &labels {
            let list = &scored[label][h];
            if list.is_empty() {
                continue;
            }
            let n = list.len() as f64;
            let common: Vec<(f64, f64)> = list
                .iter()
                .filter_map(|s| snaive.get(&s.origin).map(|b| (s.crps, *b)))
                .collect();
            let skill =
                (label != ModelKind::SeasonalNaive.name() && !common.is_empty()).then(|| {
                    let (a, b) = common
                        .iter()
                        .fold((0.0, 0.0), |acc, (a, b)| (acc.0 + a, acc.1 + b));
                    1.0 - a / b
                });
            let actual: Vec<f64> = list.iter().map(|s| s.actual).collect();
            let cover = |f: fn(&Scored) -> (f64, f64)| {
                interval_coverage(&list.iter().map(f).collect::<Vec<_>>(), &actual)
                    .unwrap_or(f64::NAN)
            };
            let mut pit = [0.0; PIT_BINS];
            for s in list {
                let bin = ((s.pit * PIT_BINS as f64) as usize).min(PIT_BINS - 1);
                pit[bin] += 1.0 / n;
            }
            rows.push(EvalRow {
                model: label.clone(),
                horizon: h + 1,
                n: list.len(),
                crps: list.iter().map(|s| s.crps).sum::<f64>() / n,
                mape: mape(&list.iter().map(|s| s.median).collect::<Vec<_>>(), &actual)
                    .unwrap_or(f64::NAN),
                cover50: cover(|s| s.i50),
                cover80: cover(|s| s.i80),
                cover90: cover(|s| s.i90),
                cover95: cover(|s| s.i95),
                pit,
                skill,
                n_common: common.len(),
            });
        }
    }
    Ok(Evaluation {
        series: req.series.clone(),
        freq,
        origins: origins.len(),
        evaluated,
        rows,
        auto_choices,
        skipped,
    })
}

/// Each model's sample paths (levels, path-major) at one origin, `None` where it cannot be
/// fitted. Shocks and auxiliary draws are those `super::forecast` uses with the same seed.
fn forecast_every_model(
    prepared: &Prepared,
    req: &EvaluateRequest,
) -> Vec<(ModelKind, Option<Vec<f64>>)> {
    let (mut rng, _) = rngs(req.seed);
    let shocks = Shocks::latin_hypercube(req.n_paths, req.horizon, &mut rng);
    ModelKind::ALL
        .iter()
        .map(|&kind| {
            let paths = super::fit_model(kind, &prepared.data).ok().map(|fitted| {
                let mut aux = aux_rng(req.seed, 0);
                let paths = fitted.simulate(&shocks, &mut aux);
                prepared.to_target(fitted.origin(), paths, req.horizon, &mut aux)
            });
            (kind, paths)
        })
        .collect()
}

/// Hyndman–Fan type-7 quantile of ascending samples (as `PredictiveDistribution::quantile`).
fn type7(sorted: &[f64], p: f64) -> f64 {
    let r = (sorted.len() - 1) as f64 * p;
    let lo = r.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (r - lo as f64) * (sorted[hi] - sorted[lo])
}
