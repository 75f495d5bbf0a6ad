//! Rolling-origin scoring of every model on the training data only: what the combination of
//! models (`super::combine`) is weighted and calibrated on, and the ranking shown to users.
//!
//! For each of the last `origins` periods of the training history (each leaving at least one
//! later value to score), every model is fitted to the history up to that origin (drivers cut at
//! the same point, `TrainingData::prefix`), simulated, and scored against the values the
//! training data holds for the following periods, up to a **fixed selection horizon** (see
//! `ForecastConfig::selection_horizon`) — never the horizon a caller asked for, so the model set,
//! weights and calibration of a target at an as-of date are the same whatever horizon is asked
//! and a month's distribution never depends on how far ahead a market reaches. Nothing after the
//! as-of time is ever read: the scoring values are themselves training data.
//!
//! Each (origin, step, model) keeps the CRPS of its level samples and [`QUANTILES`] quantiles of
//! them, which is what the combination's weights and dispersion are fitted on.
//!
//! Selection uses fewer paths than the final forecast (`[forecast] selection_paths`, default
//! 500): CRPS differences between models are far larger than the Monte Carlo error of the
//! stratified draws.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use chrono::Datelike;
use rayon::prelude::*;

use super::shocks::Shocks;
use super::{Candidate, ModelKind, TrainingData, aux_rng, fingerprint};
use crate::analysis::distribution::sort_floats;
use crate::analysis::score::crps_sorted;

/// Quantiles kept per scored forecast, at the midpoints `τ_i = (i + ½) / QUANTILES`.
pub const QUANTILES: usize = 40;

/// The level `τ_i` of quantile `i` of [`StepForecast::q`].
pub const fn tau(i: usize) -> f64 {
    (i as f64 + 0.5) / QUANTILES as f64
}

/// One model's forecast of one step at one selection origin, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct StepForecast {
    /// CRPS of the level samples against the value.
    pub crps: f64,
    /// Quantiles of the level samples at [`tau`]`(i)`, ascending.
    pub q: Vec<f32>,
}

/// The scores of every model at one origin: per model (in [`ModelKind::ALL`]'s order) the
/// forecast of each step, or `None` when the model could not be fitted; a step without a value
/// (or whose score failed) is `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct OriginScores {
    /// The values of the steps after the origin (levels), `None` where missing.
    pub actual: Vec<Option<f64>>,
    pub models: Vec<Option<Vec<Option<StepForecast>>>>,
}

/// The rolling-origin scoring of one target.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scoring {
    pub origins: Vec<OriginScores>,
}

impl Scoring {
    /// Every model once, best first: models fitted at every origin by mean CRPS, then the rest in
    /// preference order.
    pub fn ranking(&self) -> Vec<Candidate> {
        let mut ranked: Vec<Candidate> = ModelKind::ALL
            .iter()
            .enumerate()
            .map(|(m, &kind)| {
                let (mut sum, mut scored, mut failed) = (0.0, 0, 0);
                for o in &self.origins {
                    match &o.models[m] {
                        Some(steps) => {
                            for s in steps.iter().flatten() {
                                sum += s.crps;
                                scored += 1;
                            }
                        }
                        None => failed += 1,
                    }
                }
                Candidate {
                    kind,
                    crps: (scored > 0).then(|| sum / scored as f64),
                    scored,
                    failed,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            let complete = |c: &Candidate| c.failed == 0 && c.crps.is_some();
            match (complete(a), complete(b)) {
                (true, true) => a
                    .crps
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.crps.unwrap_or(f64::INFINITY))
                    .then(a.kind.cmp(&b.kind)),
                (true, false) => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                (false, false) => a.kind.cmp(&b.kind),
            }
        });
        ranked
    }
}

/// Score every model for `data` over the last `origins` origins and `horizon` steps (see the
/// module docs).
pub fn score(
    data: &TrainingData,
    models: &[ModelKind],
    horizon: usize,
    origins: usize,
    n_paths: usize,
    seed: u64,
) -> Scoring {
    let len = data.history.len();
    let values = data.history.values();
    // Origins: the last `origins` grid positions that leave a later observed value.
    let last_observed_before_end = len.saturating_sub(1);
    let first_origin = last_observed_before_end.saturating_sub(origins);
    let origin_idx: Vec<usize> = (first_origin..last_observed_before_end)
        .filter(|&o| values[o].is_some())
        .collect();
    // Origins are independent (each has its own seed, derived from its period), so they are
    // scored on rayon's pool and collected in order: the result is the same on any number of
    // threads.
    let origins = origin_idx
        .par_iter()
        .filter_map(|&o| {
            let train = data.prefix(o + 1)?;
            let steps = horizon.min(len - 1 - o);
            Some(origin_scores(
                &train,
                models,
                &values[o + 1..o + 1 + steps],
                n_paths,
                seed,
            ))
        })
        .collect();
    Scoring { origins }
}

/// A memo entry: the values scored (by their bits) and the scores.
#[derive(Clone, Debug)]
struct OriginEntry {
    actual: Vec<Option<u64>>,
    scores: OriginScores,
}

impl OriginEntry {
    /// The scores over the first `actual.len()` steps, if this entry scored those very values.
    fn scores_for(&self, actual: &[Option<u64>]) -> Option<OriginScores> {
        let steps = actual.len();
        (self.actual.len() >= steps && self.actual[..steps] == *actual).then(|| OriginScores {
            actual: self.scores.actual[..steps].to_vec(),
            models: self
                .scores
                .models
                .iter()
                .map(|m| m.as_ref().map(|per_step| per_step[..steps].to_vec()))
                .collect(),
        })
    }
}

/// Memo of [`score_origin`], keyed by a 128-bit fingerprint of the training data up to the
/// origin, the number of paths and the origin's seed.
///
/// Scoring one origin is a pure function of those and of the values it is scored against (the
/// origin's seed is derived from its period, not from its position among the origins). The
/// first `k` steps of a simulation are the same whatever the horizon (`super::shocks`), so an
/// entry scored over more steps serves any shorter horizon with the same values. Successive
/// as-of dates of a backtest or a report select over windows of origins that overlap in all but
/// one or two, so each origin is fitted and simulated about once per process instead of once per
/// date; a revised figure changes the fingerprint or the values, and is scored afresh. The memo
/// is bounded (cleared when full) and never changes a result, only how often it is computed.
static MEMO: LazyLock<Mutex<HashMap<u128, OriginEntry>>> = LazyLock::new(Default::default);

/// Entries kept before the memo is cleared (a few kilobytes each).
const MEMO_CAPACITY: usize = 5_000;

/// The scores of every model at one origin: fitted to `train`, scored against `actual` (the
/// values of the periods after the origin, up to the horizon), memoised.
fn origin_scores(
    train: &TrainingData,
    models: &[ModelKind],
    actual: &[Option<f64>],
    n_paths: usize,
    seed: u64,
) -> OriginScores {
    // The origin's seed depends on its period, so the same origin draws the same paths at
    // every as-of date that scores it.
    let origin_day = train.history.origin().start().num_days_from_ce() as u64;
    let seed_o = seed ^ (origin_day.wrapping_add(1)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let data_key = fingerprint(train);
    let key = fingerprint(&(data_key, models, n_paths, seed_o));
    let bits: Vec<Option<u64>> = actual.iter().map(|v| v.map(f64::to_bits)).collect();
    if let Some(hit) = MEMO
        .lock()
        .expect("selection memo")
        .get(&key)
        .and_then(|e| e.scores_for(&bits))
    {
        return hit;
    }
    let entry = OriginEntry {
        scores: score_origin(train, data_key, models, actual, n_paths, seed_o),
        actual: bits,
    };
    let scores = entry.scores.clone();
    let mut memo = MEMO.lock().expect("selection memo");
    if memo.len() >= MEMO_CAPACITY {
        memo.clear();
    }
    match memo.get(&key) {
        // Keep the longer of two entries for the same values.
        Some(old)
            if old.actual.len() > entry.actual.len() && old.scores_for(&entry.actual).is_some() => {
        }
        _ => {
            memo.insert(key, entry);
        }
    }
    scores
}

/// Fit every model to `train`, simulate `n_paths` paths over `actual.len()` steps, and summarise
/// each step with a value: per model, the CRPS and quantiles per step.
fn score_origin(
    train: &TrainingData,
    data_key: u128,
    models: &[ModelKind],
    actual: &[Option<f64>],
    n_paths: usize,
    seed_o: u64,
) -> OriginScores {
    let steps = actual.len();
    let mut rng = <super::shocks::SimRng as rand::SeedableRng>::seed_from_u64(seed_o);
    let shocks = Shocks::latin_hypercube(n_paths, steps, &mut rng);
    let mut marginal = vec![0.0; n_paths];
    let models = ModelKind::ALL
        .iter()
        .map(|kind| {
            if !models.contains(kind) {
                return None;
            }
            let fitted = super::fit_model_keyed(*kind, train, data_key).ok()?;
            let mut aux = aux_rng(seed_o, 0);
            let paths = fitted.simulate(&shocks, &mut aux);
            let per_step = actual
                .iter()
                .enumerate()
                .map(|(h, actual)| {
                    let actual = (*actual)?;
                    for (p, v) in marginal.iter_mut().enumerate() {
                        *v = paths[p * steps + h];
                    }
                    sort_floats(&mut marginal);
                    let crps = crps_sorted(&marginal, actual).ok()?;
                    let q = (0..QUANTILES)
                        .map(|i| {
                            let at = ((tau(i) * n_paths as f64) as usize).min(n_paths - 1);
                            marginal[at] as f32
                        })
                        .collect();
                    Some(StepForecast { crps, q })
                })
                .collect();
            Some(per_step)
        })
        .collect();
    OriginScores {
        actual: actual.to_vec(),
        models,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::{ForecastConfig, prepare};
    use crate::model::{Frequency, end_of_day};
    use crate::series::catalog::ReleaseLags;
    use crate::store::{DataDir, Store, StoreLocation};

    fn training(series: &str, freq: Frequency) -> TrainingData {
        let store = Store::open(&StoreLocation {
            data_dir: DataDir::Embedded,
            store_dir: None,
            lags: ReleaseLags::default(),
        })
        .expect("bundled data");
        let as_of = end_of_day(chrono::NaiveDate::from_ymd_opt(2023, 6, 30).unwrap());
        prepare(
            &store,
            series,
            Some(freq),
            as_of,
            &ForecastConfig::default(),
            100,
            1,
        )
        .expect("prepared")
        .data
    }

    /// The memo serves a shorter horizon from a longer scoring, which needs the first steps of
    /// every model's simulation to be the same whatever the horizon (the regression's simulated
    /// driver futures included): on the bundled data, a 3-step scoring is the start of an
    /// 8-step one, model by model.
    #[test]
    fn a_shorter_scoring_is_the_start_of_a_longer_one() {
        for (series, freq) in [
            ("shanghai_calls", Frequency::Month),
            ("la_teu", Frequency::Month),
            ("shanghai_calls", Frequency::Week),
        ] {
            let data = training(series, freq);
            let o = data.history.len() - 9;
            let train = data.prefix(o + 1).expect("prefix");
            let actual = &data.history.values()[o + 1..o + 9];
            let all = &ModelKind::ALL;
            let key = fingerprint(&train);
            let long = score_origin(&train, key, all, actual, 200, 7).models;
            let short = score_origin(&train, key, all, &actual[..3], 200, 7).models;
            assert_eq!(long.len(), ModelKind::ALL.len());
            for (kind, (l, s)) in ModelKind::ALL.iter().zip(long.iter().zip(&short)) {
                match (l, s) {
                    (Some(l), Some(s)) => assert_eq!(&l[..3], &s[..], "{series} {freq} {kind}"),
                    (None, None) => {}
                    _ => panic!("{series} {freq} {kind}: fitted at one horizon only"),
                }
            }
            assert!(
                long.iter().filter(|m| m.is_some()).count() >= 4,
                "{series} {freq}: most models fit"
            );
        }
    }

    /// A ranking served from the memo — filled by a longer horizon first, then asked again —
    /// equals one computed with the memo empty.
    fn rank(
        data: &TrainingData,
        horizon: usize,
        origins: usize,
        n: usize,
        seed: u64,
    ) -> Vec<Candidate> {
        score(data, &ModelKind::ALL, horizon, origins, n, seed).ranking()
    }

    #[test]
    fn a_memoised_ranking_equals_a_fresh_one() {
        let data = training("la_teu", Frequency::Month);
        let seed = 7_777;
        let long = rank(&data, 6, 12, 200, seed);
        let short_from_memo = rank(&data, 2, 12, 200, seed);
        assert_eq!(rank(&data, 6, 12, 200, seed), long);
        MEMO.lock().unwrap().clear();
        let short_fresh = rank(&data, 2, 12, 200, seed);
        assert_eq!(short_from_memo, short_fresh);
        assert!(short_fresh.iter().all(|c| c.scored > 0 || c.failed > 0));
    }
}
