//! How much the published days of a period are worth: the CRPS of a period's total by the number
//! of its days published at the as-of time, for portcast's forecast and for a plain rule (what
//! `portcast evaluate --by-known-days` prints).
//!
//! For every period of a daily count (summed to weeks or months) that starts in the window and is
//! complete at the evaluation's as-of time, and every as-of date from the period's first day to
//! its last day plus the release lag (when its last day is published), the forecast is made as of
//! the end of that date through the production entry points ([`super::prepare`],
//! [`super::forecast_prepared`]) and scored against the period's total known at the evaluation's
//! as-of time.
//!
//! The plain rule: the published days' sum plus the unpublished days × the mean of the last 28
//! published days, Gaussian with the standard deviation of the rule's own past errors for the
//! same number of unpublished days at the same distance from the last published day (every
//! window of the daily history known at the as-of date).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::{ForecastConfig, ForecastError, ForecastRequest, ModelChoice};
use crate::analysis::score::crps_sorted;
use crate::model::{Frequency, Period, end_of_day};
use crate::series::catalog;
use crate::store::Store;

/// What to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownDaysRequest {
    pub series: String,
    pub freq: Frequency,
    /// Periods that start within `from..=to`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Outcomes are the totals known at this time.
    pub as_of: DateTime<Utc>,
    pub model: ModelChoice,
    pub n_paths: usize,
    pub seed: u64,
}

/// Mean CRPS at one number of published days.
#[derive(Clone, Debug, PartialEq)]
pub struct KnownDaysRow {
    pub known_days: usize,
    /// (period, as-of date) pairs scored.
    pub n: usize,
    pub crps_model: f64,
    pub crps_rule: f64,
}

/// One scored (period, as-of date).
#[derive(Clone, Debug, PartialEq)]
pub struct KnownDaysCase {
    pub period: Period,
    pub as_of: NaiveDate,
    pub known_days: usize,
    pub known_value: f64,
    pub actual: f64,
    pub crps_model: f64,
    pub crps_rule: f64,
    /// The model's lowest quantile level's value (0.001) — for the known-sum floor.
    pub q_low: f64,
}

/// CRPS of `N(mu, sd²)` at `y` (closed form).
pub fn crps_gaussian(mu: f64, sd: f64, y: f64) -> f64 {
    if sd <= 0.0 {
        return (y - mu).abs();
    }
    let z = (y - mu) / sd;
    let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    sd * (z * (2.0 * super::shocks::normal_cdf(z) - 1.0) + 2.0 * pdf
        - 1.0 / std::f64::consts::PI.sqrt())
}

/// The plain rule's mean and standard deviation for the unpublished days `rest` (contiguous
/// dates after `gap` unpublished days) of a period whose published days sum to `known`, from the
/// daily values `days` (ascending) known at the as-of date.
pub fn plain_rule(days: &[(NaiveDate, f64)], known: f64, rest: usize, gap: usize) -> (f64, f64) {
    const WINDOW: usize = 28;
    let Some(&(first, _)) = days.first() else {
        return (known, 0.0);
    };
    let last = days.last().expect("non-empty").0;
    let n = (last - first).num_days() as usize + 1;
    let mut y = vec![f64::NAN; n];
    for &(d, v) in days {
        y[(d - first).num_days() as usize] = v;
    }
    let mut cs = vec![0.0; n + 1];
    let mut cnt = vec![0usize; n + 1];
    for i in 0..n {
        cs[i + 1] = cs[i] + if y[i].is_nan() { 0.0 } else { y[i] };
        cnt[i + 1] = cnt[i] + usize::from(!y[i].is_nan());
    }
    // Mean of the last 28 published days before index `end` (exclusive).
    let mean_before = |end: usize| -> Option<f64> {
        let start = end.checked_sub(WINDOW)?;
        let c = cnt[end] - cnt[start];
        (c > 0).then(|| (cs[end] - cs[start]) / c as f64)
    };
    let mean = known + rest as f64 * mean_before(n).unwrap_or(0.0);
    let mut errors = Vec::new();
    for o in WINDOW..n {
        let (a, b) = (o + gap, o + gap + rest);
        if b > n {
            break;
        }
        if cnt[b] - cnt[a] != rest {
            continue;
        }
        if let Some(m) = mean_before(o) {
            errors.push(cs[b] - cs[a] - rest as f64 * m);
        }
    }
    let k = errors.len() as f64;
    let sd = if k > 1.0 {
        let m = errors.iter().sum::<f64>() / k;
        (errors.iter().map(|e| (e - m).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Score every (period, as-of date) of the window; returns the cases and the table by number
/// of published days.
pub fn evaluate_known_days(
    store: &Store,
    req: &KnownDaysRequest,
    cfg: &ForecastConfig,
) -> Result<(Vec<KnownDaysCase>, Vec<KnownDaysRow>), ForecastError> {
    let spec = catalog::spec(&req.series)
        .ok_or_else(|| ForecastError::UnknownSeries(req.series.clone()))?;
    if spec.period != Frequency::Day || spec.aggregation != catalog::Aggregation::Sum {
        return Err(ForecastError::Frequency {
            series: req.series.clone(),
            freq: req.freq,
            reason: "days published are counted for daily counts summed to weeks or months".into(),
        });
    }
    let lag = spec.release_lag_days;
    let outcomes: BTreeMap<Period, f64> = store
        .view_at(&req.series, req.as_of, Some(req.freq))?
        .complete_values()
        .into_iter()
        .collect();
    let mut cases = Vec::new();
    let mut period = Period::containing(req.from, req.freq);
    if period.start() < req.from {
        period = period.next();
    }
    while period.start() <= req.to {
        let Some(&actual) = outcomes.get(&period) else {
            period = period.next();
            continue;
        };
        let mut date = period.start();
        while date <= period.end() + Duration::days(lag) {
            let as_of = end_of_day(date);
            let day_view = store.view_at(&req.series, as_of, Some(Frequency::Day))?;
            let days: Vec<(NaiveDate, f64)> = day_view
                .points
                .iter()
                .filter(|p| p.precision.is_value())
                .map(|p| (p.period.start(), p.value))
                .collect();
            let in_period: Vec<f64> = days
                .iter()
                .filter(|(d, _)| period.start() <= *d && *d <= period.end())
                .map(|(_, v)| *v)
                .collect();
            let known_days = in_period.len();
            if known_days as i64 == period.days() {
                break;
            }
            let known_value: f64 = in_period.iter().sum();
            let prepared = super::prepare(
                store,
                &req.series,
                Some(req.freq),
                as_of,
                cfg,
                req.n_paths,
                req.seed,
            )?;
            let origin = prepared.data.history.origin();
            let steps = origin.steps_to(&period);
            if steps < 1 {
                date += Duration::days(1);
                continue;
            }
            let fr = ForecastRequest {
                series: req.series.clone(),
                freq: Some(req.freq),
                horizon: steps as usize,
                as_of,
                model: req.model,
                n_paths: req.n_paths,
                seed: req.seed,
            };
            let fc = super::forecast_prepared(prepared, &fr, cfg)?;
            let marginal = fc.dist.marginal(steps as usize - 1)?;
            let sorted = marginal.sorted();
            let crps_model = crps_sorted(sorted, actual).unwrap_or(f64::NAN);
            let last = days.last().map_or(period.start(), |d| d.0);
            let rest = period.days() as usize - known_days;
            let gap = (period.start() - last).num_days().max(1) as usize - 1;
            let (mu, sd) = plain_rule(&days, known_value, rest, gap);
            cases.push(KnownDaysCase {
                period,
                as_of: date,
                known_days,
                known_value,
                actual,
                crps_model,
                crps_rule: crps_gaussian(mu, sd, actual),
                q_low: marginal.quantile(0.001)?,
            });
            date += Duration::days(1);
        }
        period = period.next();
    }
    let mut by_k: BTreeMap<usize, (usize, f64, f64)> = BTreeMap::new();
    for c in &cases {
        let e = by_k.entry(c.known_days).or_default();
        e.0 += 1;
        e.1 += c.crps_model;
        e.2 += c.crps_rule;
    }
    let rows = by_k
        .into_iter()
        .map(|(k, (n, m, r))| KnownDaysRow {
            known_days: k,
            n,
            crps_model: m / n as f64,
            crps_rule: r / n as f64,
        })
        .collect();
    Ok((cases, rows))
}
