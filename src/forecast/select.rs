//! Model choice per target by rolling-origin CRPS on the training data only.
//!
//! For each of the last `origins` periods of the training history (each leaving at least one
//! later value to score), every model is fitted to the history up to that origin (drivers cut at
//! the same point, `TrainingData::prefix`), simulated, and scored by CRPS against the values the
//! training data holds for the following periods, up to the requested horizon. Nothing after the
//! as-of time is ever read: the scoring values are themselves training data. The model with the
//! lowest mean CRPS wins; a model that could not be fitted at some origin ranks after those that
//! could (in the preference order of `ModelKind::ALL`), so the choice is always between models
//! scored on the same origins and horizons.
//!
//! Selection uses fewer paths than the final forecast (`[forecast] selection_paths`, default
//! 1,000): CRPS differences between models are far larger than the Monte Carlo error of the
//! stratified draws.

use super::shocks::Shocks;
use super::{Candidate, ModelKind, TrainingData, aux_rng};
use crate::backtest::score::crps_sorted;

/// Rank every model for `data` by rolling-origin CRPS (see the module docs). The result lists
/// every model once, best first.
pub fn rank(
    data: &TrainingData,
    horizon: usize,
    origins: usize,
    n_paths: usize,
    seed: u64,
) -> Vec<Candidate> {
    let len = data.history.len();
    let values = data.history.values();
    // Origins: the last `origins` grid positions that leave a later observed value.
    let last_observed_before_end = len.saturating_sub(1);
    let first_origin = last_observed_before_end.saturating_sub(origins);
    let origin_idx: Vec<usize> = (first_origin..last_observed_before_end)
        .filter(|&o| values[o].is_some())
        .collect();
    let mut totals: Vec<(ModelKind, f64, usize, usize)> =
        ModelKind::ALL.iter().map(|&k| (k, 0.0, 0, 0)).collect();
    for (n_origin, &o) in origin_idx.iter().enumerate() {
        let Some(train) = data.prefix(o + 1) else {
            continue;
        };
        let steps = horizon.min(len - 1 - o);
        let seed_o = seed.wrapping_add(1 + n_origin as u64);
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed_o);
        let shocks = Shocks::latin_hypercube(n_paths, steps, &mut rng);
        for entry in totals.iter_mut() {
            let fitted = match entry.0.model().fit(&train) {
                Ok(f) => f,
                Err(_) => {
                    entry.3 += 1;
                    continue;
                }
            };
            let mut aux = aux_rng(seed_o, 0);
            let paths = fitted.simulate(&shocks, &mut aux);
            let mut marginal = vec![0.0; n_paths];
            for h in 0..steps {
                let Some(actual) = values[o + 1 + h] else {
                    continue;
                };
                for (p, v) in marginal.iter_mut().enumerate() {
                    *v = paths[p * steps + h];
                }
                marginal.sort_unstable_by(f64::total_cmp);
                if let Ok(c) = crps_sorted(&marginal, actual) {
                    entry.1 += c;
                    entry.2 += 1;
                }
            }
        }
    }
    let mut ranked: Vec<Candidate> = totals
        .into_iter()
        .map(|(kind, sum, scored, failed)| Candidate {
            kind,
            crps: (scored > 0).then(|| sum / scored as f64),
            scored,
            failed,
        })
        .collect();
    // Complete (fitted at every origin) first, by CRPS; then the rest in preference order.
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
