//! One predictive distribution per target and as-of date: a weighted combination of the models'
//! distributions, recalibrated, instead of one winner.
//!
//! **Why.** Picking one model on a dozen origins flips between near-ties; combinations of simple
//! models beat almost every single method in the M4 competition (FORECASTING.md), and the weights
//! and calibration are then a fixed property of (target, as-of), independent of the horizon asked.
//!
//! **How the distributions are combined.** Every model simulates from the same stratified shocks
//! (`super::shocks`), so path `p` of each model is driven by the same uniforms; the combined path
//! is the weighted average of the models' paths, `x_p = Σ_m w_m x_{m,p}`. At one step ahead each
//! model's value is an increasing function of the same uniform, so this is exactly quantile
//! averaging (Vincentisation): the combined quantile function is `Σ_m w_m Q_m(τ)`, which keeps the
//! shape and sharpness of the components where a mixture (linear pool) would be over-dispersed
//! (Gneiting & Ranjan 2013). Further ahead it stays a joint path of the models, so "within" events
//! and baskets read coherent paths.
//!
//! **Weights** are fitted by stacking on the training data's own rolling origins
//! (`super::select::Scoring`): the weights on the simplex that minimise the mean CRPS of the
//! combined quantiles, relative to the value (so every origin counts alike), by exponentiated
//! subgradient descent (the objective is convex and piecewise linear in the weights); then shrunk
//! half-way towards inverse-squared-CRPS weights, since estimated weights on a dozen origins
//! overfit (the "forecast combination puzzle"). Only models fitted at every scoring origin take
//! part; weights below 1% are dropped. A model that is best one step ahead is seldom best three
//! steps ahead (momentum against climatology), so each step then gets its own weights, fitted
//! the same way on that step's rows and shrunk towards the pooled weights by how many
//! independent rows the step has ([`SHRINK_WEIGHTS`]); steps beyond those scored use the last.
//! The combined path mixes the same models' paths with weights that change from step to step,
//! so it is still one path of every part, and month `k` is the same whatever horizon is asked.
//!
//! **Calibration.** The combined distribution's dispersion is then fitted on the same origins,
//! step by step: a factor `s_h` that stretches (s > 1) or narrows (s < 1) the log distribution of
//! step `h` around its median, `log x ↦ m + s_h (log x − m)`, chosen to minimise the mean CRPS of
//! the log forecast, shrunk towards the factor pooled over steps, and that towards 1, each by its
//! number of rows against `SHRINK_ORIGINS`. A step's own rows are counted by how much they
//! overlap: the errors `h` steps ahead of consecutive origins share `h − 1` periods, so a row of
//! step `h` counts as `1/h` of an independent one, and the factors of the longer steps, estimated
//! from fewer independent errors, lean more on the pooled factor. Steps beyond those
//! scored use the last factor. A stretch around the median keeps every path's rank, so joint
//! paths stay joint.

use std::sync::Arc;

use crate::forecast::shocks::SimRng;

use super::select::{QUANTILES, Scoring, tau};
use super::shocks::Shocks;
use super::{Candidate, Fitted, InSample, ModelKind};
use crate::model::Period;

/// The combination of one target at one as-of date.
#[derive(Clone, Debug, PartialEq)]
pub struct Combination {
    /// Models and weights (positive, summing to 1), largest first.
    pub weights: Vec<(ModelKind, f64)>,
    /// Dispersion factor per step (index 0 = one step ahead); steps beyond use the last.
    pub scale: Vec<f64>,
    /// Weights per step (index 0 = one step ahead), each aligned with `weights` and summing to
    /// 1; steps beyond use the last; empty = `weights` at every step.
    pub by_step: Vec<Vec<f64>>,
    /// (origin, step) pairs the weights were fitted on.
    pub fitted_on: usize,
}

impl Combination {
    /// One model alone, uncalibrated.
    pub fn single(kind: ModelKind) -> Combination {
        Combination {
            weights: vec![(kind, 1.0)],
            scale: vec![1.0],
            by_step: Vec::new(),
            fitted_on: 0,
        }
    }

    /// The dispersion factor of step `h` (0-based).
    pub fn scale_at(&self, h: usize) -> f64 {
        self.scale
            .get(h)
            .or(self.scale.last())
            .copied()
            .unwrap_or(1.0)
    }

    /// The same combination without `kind` (e.g. it could not be fitted on the full data),
    /// weights renormalised; `None` when nothing is left.
    pub fn without(&self, kind: ModelKind) -> Option<Combination> {
        let keep: Vec<bool> = self.weights.iter().map(|(k, _)| *k != kind).collect();
        let renormalised = |w: &[f64]| -> Option<Vec<f64>> {
            let total: f64 = w
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(w, _)| w)
                .sum();
            (total > 0.0).then(|| {
                w.iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(w, _)| w / total)
                    .collect()
            })
        };
        let pooled: Vec<f64> = self.weights.iter().map(|(_, w)| *w).collect();
        let weights = renormalised(&pooled)?;
        let by_step = self
            .by_step
            .iter()
            .map(|w| renormalised(w).unwrap_or_else(|| weights.clone()))
            .collect();
        Some(Combination {
            weights: self
                .weights
                .iter()
                .filter(|(k, _)| *k != kind)
                .zip(weights)
                .map(|((k, _), w)| (*k, w))
                .collect(),
            by_step,
            ..self.clone()
        })
    }

    /// The weight of the `i`-th model of `weights` at step `h` (0-based).
    pub fn weight_at(&self, i: usize, h: usize) -> f64 {
        self.by_step
            .get(h)
            .or(self.by_step.last())
            .map_or(self.weights[i].1, |w| w[i])
    }
}

/// The combination as a fitted model: its parts fitted on the full training data.
pub struct Combined {
    parts: Vec<(ModelKind, f64, Arc<dyn Fitted>)>,
    comb: Combination,
    /// Per part (in `parts`' order), its weight at each step; steps beyond use the last.
    step_weights: Vec<Vec<f64>>,
    /// The first part's origin and the weighted one-step errors.
    in_sample: InSample,
}

impl Combined {
    /// `parts`: (model, weight, fitted model), weights as in `comb`, all with one origin; at
    /// least one part (the caller combines only what it could fit).
    pub fn new(parts: Vec<(ModelKind, f64, Arc<dyn Fitted>)>, comb: Combination) -> Combined {
        let first = &parts
            .first()
            .expect("a combination has at least one part")
            .2;
        let steps = comb.by_step.len().max(1);
        let step_weights: Vec<Vec<f64>> = parts
            .iter()
            .map(
                |(kind, w, _)| match comb.weights.iter().position(|(k, _)| k == kind) {
                    Some(i) => (0..steps).map(|h| comb.weight_at(i, h)).collect(),
                    None => vec![*w],
                },
            )
            .collect();
        // The combination's one-step errors: the errors of the periods every part has, weighted
        // as the parts are one step ahead.
        let mut residuals: Vec<(Period, f64)> = Vec::new();
        for &(period, _) in first.residuals() {
            let errs: Option<f64> = parts
                .iter()
                .zip(&step_weights)
                .map(|((_, _, f), w)| {
                    f.residuals()
                        .iter()
                        .find(|(p, _)| *p == period)
                        .map(|(_, e)| w[0] * e)
                })
                .sum();
            if let Some(e) = errs {
                residuals.push((period, e));
            }
        }
        let in_sample = InSample {
            origin: first.origin(),
            residuals,
        };
        Combined {
            parts,
            comb,
            step_weights,
            in_sample,
        }
    }

    pub fn combination(&self) -> &Combination {
        &self.comb
    }
}

impl Fitted for Combined {
    fn describe(&self) -> String {
        // A part's weight, or its weight at each step where they differ.
        let parts: Vec<String> = self
            .parts
            .iter()
            .zip(&self.step_weights)
            .map(|((_, w, f), by_step)| {
                let weights: Vec<String> = by_step.iter().map(|w| format!("{w:.2}")).collect();
                if weights.iter().all(|v| *v == weights[0]) {
                    format!("{} {:.2}", f.describe(), w)
                } else {
                    format!("{} {}", f.describe(), weights.join("/"))
                }
            })
            .collect();
        let scale: Vec<String> = self.comb.scale.iter().map(|s| format!("{s:.2}")).collect();
        format!("combo[{}] x[{}]", parts.join(" + "), scale.join(","))
    }

    fn in_sample(&self) -> &InSample {
        &self.in_sample
    }

    fn simulate(&self, shocks: &Shocks, aux: &mut SimRng) -> Vec<f64> {
        let horizon = shocks.horizon();
        let cells = shocks.n_paths() * horizon;
        // The parts that never draw from `aux` are simulated side by side (while their paths
        // together stay small), and meanwhile the others in order on `aux`, so each part sees
        // the stream it would see one by one; the paths are summed in the parts' order: the
        // same result on any number of threads. (A part that does not draw from `aux` is handed
        // a throwaway stream it never reads.)
        let side_by_side = cells * self.parts.len() <= PARALLEL_CELLS;
        let (alone, drawn): (Vec<Option<Vec<f64>>>, Vec<Vec<f64>>) = if side_by_side {
            use rayon::prelude::*;
            rayon::join(
                || {
                    self.parts
                        .par_iter()
                        .map(|(_, _, f)| {
                            (!f.draws_aux()).then(|| {
                                let mut unused = <SimRng as rand::SeedableRng>::seed_from_u64(0);
                                f.simulate(shocks, &mut unused)
                            })
                        })
                        .collect()
                },
                || {
                    self.parts
                        .iter()
                        .filter(|(_, _, f)| f.draws_aux())
                        .map(|(_, _, f)| f.simulate(shocks, aux))
                        .collect()
                },
            )
        } else {
            (vec![None; self.parts.len()], Vec::new())
        };
        let mut drawn = drawn.into_iter();
        let mut out = vec![0.0; cells];
        for (((_, _, f), sim), w) in self.parts.iter().zip(alone).zip(&self.step_weights) {
            let sim = sim
                .or_else(|| drawn.next())
                .unwrap_or_else(|| f.simulate(shocks, aux));
            let last = w[w.len() - 1];
            for (path, vals) in out.chunks_mut(horizon).zip(sim.chunks(horizon)) {
                for (h, (o, v)) in path.iter_mut().zip(vals).enumerate() {
                    *o += w.get(h).copied().unwrap_or(last) * v;
                }
            }
        }
        apply_dispersion(&self.comb, &mut out, horizon);
        out
    }
}

/// Path cells (paths × steps × parts) up to which the parts are simulated side by side: 1M
/// cells, 8 MB of paths held at once. A one-target forecast (10,000 paths, a few steps, six or
/// seven parts) is under it; the report's year-long weekly forecasts, run on their own threads
/// anyway, are over it: at 4M they raised `run`'s peak RSS from 68 to 79 MB (median of 16
/// paired runs) for the same wall time.
const PARALLEL_CELLS: usize = 1_000_000;
/// Weight of the stacking solution against the inverse-CRPS reference weights.
const STACKING_SHARE: f64 = 0.5;
/// Iterations of the exponentiated subgradient descent.
const ITERATIONS: usize = 30;
/// Weights below this are dropped.
const MIN_WEIGHT: f64 = 0.01;
/// Pseudo-origins of shrinkage for the dispersion factors (towards the pooled factor, and that
/// towards 1). Chosen on the development windows of `benches/dev-eval.sh` (SCFI weekly origins
/// 2016–2019, Shanghai calls 2021–22, LA 2017–21): against 8, a prior of 48 scored rows lowered
/// the mean CRPS of the combined forecast by 0.5% over the ten window × horizon cells (LA by
/// 1–2%, SCFI within ±1%) and brought 80% coverage nearer 0.80; a dozen monthly origins are too
/// few to estimate a stretch well. (A step's own rows have since been counted by their overlap,
/// see the module docs.)
const SHRINK_ORIGINS: f64 = 48.0;
/// Pseudo-rows of shrinkage of a step's own weights towards the pooled ones (a step's rows
/// counted by their overlap). Chosen on the development windows of `benches/dev-eval.sh`
/// against pooled weights alone: with 6, the combined CRPS changed by +0.4/+1.0/−1.5% (Shanghai
/// calls 2021–22, one to three months), −1.2/+0.3/+0.0/−0.3% (SCFI 2018–19, one to four weeks),
/// −2.6/−0.5/+0.2/−0.6% (SCFI 2016–19) and −3.0/+0.2/−1.5% (LA 2017–21); 0 (each step's own
/// weights) gained more at one LA month (−4.6%) but lost 2.5% at two Shanghai months, 48 kept
/// a third of the gains.
const SHRINK_WEIGHTS: f64 = 6.0;
/// Bounds of a dispersion factor.
const SCALE_BOUNDS: (f64, f64) = (0.5, 2.0);

/// One scored (origin, step): each eligible model's quantiles divided by the value.
struct Row {
    step: usize,
    q: Vec<Vec<f64>>,
}

/// Fit the combination on a target's rolling-origin scoring. `ranking` is
/// `scoring.ranking()`. Without an eligible model (none fitted at every origin), the best-ranked
/// model alone.
pub fn fit(scoring: &Scoring, ranking: &[Candidate]) -> Combination {
    let eligible: Vec<(usize, &Candidate)> = ranking
        .iter()
        .filter(|c| c.failed == 0 && c.crps.is_some_and(|v| v.is_finite() && v > 0.0))
        .map(|c| {
            let m = ModelKind::ALL
                .iter()
                .position(|k| *k == c.kind)
                .expect("a known model");
            (m, c)
        })
        .collect();
    let Some(best) = ranking.first() else {
        return Combination::single(ModelKind::ALL[0]);
    };
    if eligible.is_empty() {
        return Combination::single(best.kind);
    }
    let rows: Vec<Row> = scoring
        .origins
        .iter()
        .flat_map(|o| {
            o.actual.iter().enumerate().filter_map(|(h, y)| {
                let y = (*y).filter(|y| *y > 0.0)?;
                let q = eligible
                    .iter()
                    .map(|(m, _)| {
                        let step = o.models[*m].as_ref()?.get(h)?.as_ref()?;
                        Some(step.q.iter().map(|v| f64::from(*v) / y).collect())
                    })
                    .collect::<Option<Vec<Vec<f64>>>>()?;
                Some(Row { step: h, q })
            })
        })
        .collect();
    let k = eligible.len();
    // Reference weights: inverse squared mean CRPS.
    let inv: Vec<f64> = eligible
        .iter()
        .map(|(_, c)| c.crps.map_or(0.0, |v| 1.0 / (v * v)))
        .collect();
    let total: f64 = inv.iter().sum();
    let reference: Vec<f64> = inv.iter().map(|v| v / total).collect();
    // The pooled stacking and each step's own (independent of each other) side by side.
    let (weights, own) = rayon::join(
        || {
            if rows.is_empty() || k == 1 {
                reference.clone()
            } else {
                let all: Vec<&Row> = rows.iter().collect();
                let stacked = stack(&all, &reference);
                stacked
                    .iter()
                    .zip(&reference)
                    .map(|(s, r)| STACKING_SHARE * s + (1.0 - STACKING_SHARE) * r)
                    .collect()
            }
        },
        || own_step_weights(&rows, k),
    );
    let mut pairs: Vec<(ModelKind, f64)> = eligible
        .iter()
        .zip(&weights)
        .filter(|(_, w)| **w >= MIN_WEIGHT)
        .map(|((_, c), w)| (c.kind, *w))
        .collect();
    let total: f64 = pairs.iter().map(|(_, w)| w).sum();
    for p in &mut pairs {
        p.1 /= total;
    }
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    // The combined quantiles with the final weights, for the calibration.
    let kept: Vec<f64> = eligible
        .iter()
        .map(|(_, c)| {
            pairs
                .iter()
                .find(|(k, _)| *k == c.kind)
                .map_or(0.0, |(_, w)| *w)
        })
        .collect();
    let by_step_eligible = step_weights(&own, &kept);
    let combined: Vec<(usize, Vec<f64>)> = rows
        .iter()
        .map(|r| {
            let w = by_step_eligible.get(r.step).unwrap_or(&kept);
            (r.step, combine_quantiles(&r.q, w))
        })
        .collect();
    let by_step = by_step_eligible
        .iter()
        .map(|w| {
            pairs
                .iter()
                .map(|(kind, _)| {
                    eligible
                        .iter()
                        .position(|(_, c)| c.kind == *kind)
                        .map_or(0.0, |i| w[i])
                })
                .collect()
        })
        .collect();
    Combination {
        weights: pairs,
        scale: dispersion(&combined),
        by_step,
        fitted_on: rows.len(),
    }
}

/// Each step's own weights (index 0 = one step ahead) for `k` models: the stacking and
/// reference weights fitted on that step's rows alone, mixed as the pooled ones are, with the
/// step's rows counted by their overlap (`1/(h + 1)` each, as for the dispersion); `None` for a
/// step without rows or a single model. Steps are fitted side by side.
fn own_step_weights(rows: &[Row], k: usize) -> Vec<Option<(Vec<f64>, f64)>> {
    use rayon::prelude::*;
    let steps = rows.iter().map(|r| r.step + 1).max().unwrap_or(0);
    (0..steps)
        .into_par_iter()
        .map(|h| {
            let at: Vec<&Row> = rows.iter().filter(|r| r.step == h).collect();
            if at.is_empty() || k == 1 {
                return None;
            }
            // Reference: inverse squared mean CRPS (relative to the value) at this step.
            let mut inv = vec![0.0; k];
            for r in &at {
                for (v, q) in inv.iter_mut().zip(&r.q) {
                    *v += quantile_crps(q, 1.0);
                }
            }
            for v in &mut inv {
                let mean = *v / at.len() as f64;
                *v = if mean > 0.0 { 1.0 / (mean * mean) } else { 0.0 };
            }
            let total: f64 = inv.iter().sum();
            let reference: Vec<f64> = inv.iter().map(|v| v / total).collect();
            let stacked = stack(&at, &reference);
            let own = stacked
                .iter()
                .zip(&reference)
                .map(|(s, r)| STACKING_SHARE * s + (1.0 - STACKING_SHARE) * r)
                .collect();
            Some((own, at.len() as f64 / (h + 1) as f64))
        })
        .collect()
}

/// Weights per step (index 0 = one step ahead), aligned with `pooled` (the combination's weights
/// over every step, 0 for a model left out): each step's own weights ([`own_step_weights`])
/// shrunk towards `pooled` by the step's independent rows against [`SHRINK_WEIGHTS`]; a step
/// without its own weights takes `pooled`. A model without pooled weight gets none at any step.
fn step_weights(own: &[Option<(Vec<f64>, f64)>], pooled: &[f64]) -> Vec<Vec<f64>> {
    own.iter()
        .map(|step| {
            let Some((own, n)) = step else {
                return pooled.to_vec();
            };
            let a = n / (n + SHRINK_WEIGHTS);
            let mut w: Vec<f64> = own
                .iter()
                .zip(pooled)
                .map(|(o, p)| {
                    if *p == 0.0 {
                        0.0
                    } else {
                        a * o + (1.0 - a) * p
                    }
                })
                .collect();
            let total: f64 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= total);
            w
        })
        .collect()
}

/// `Σ_m w_m q_m` quantile by quantile.
fn combine_quantiles(q: &[Vec<f64>], w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; QUANTILES];
    combine_into(q, w, &mut out);
    out
}

/// [`combine_quantiles`] into `out` (zeroed first), without allocating.
fn combine_into(q: &[Vec<f64>], w: &[f64], out: &mut [f64]) {
    out.fill(0.0);
    for (qm, wm) in q.iter().zip(w) {
        if *wm == 0.0 {
            continue;
        }
        for (o, v) in out.iter_mut().zip(qm) {
            *o += wm * v;
        }
    }
}

/// [`tau`]`(i)` for every quantile index, computed once (at compile time).
const TAUS: [f64; QUANTILES] = {
    let mut t = [0.0; QUANTILES];
    let mut i = 0;
    while i < QUANTILES {
        t[i] = tau(i);
        i += 1;
    }
    t
};

/// CRPS of quantiles `q` (at [`tau`], so `QUANTILES` of them) against the value `y`, by the
/// quantile (pinball) form `CRPS ≈ (2 / Q) Σ_i ρ_τi(y − q_i)`.
pub fn quantile_crps(q: &[f64], y: f64) -> f64 {
    debug_assert_eq!(q.len(), QUANTILES);
    let mut s = 0.0;
    for (qi, t) in q.iter().zip(&TAUS) {
        s += if y < *qi {
            (1.0 - t) * (qi - y)
        } else {
            t * (y - qi)
        };
    }
    2.0 * s / q.len() as f64
}

/// Stacking weights: minimise the mean relative CRPS of the combined quantiles over the simplex,
/// from `start`, by exponentiated subgradient steps; the best iterate.
fn stack(rows: &[&Row], start: &[f64]) -> Vec<f64> {
    let k = start.len();
    let mut w = start.to_vec();
    let mut best = (f64::INFINITY, w.clone());
    let mut grad = vec![0.0; k];
    let mut qc = [0.0; QUANTILES];
    let mut d = [0.0; QUANTILES];
    for t in 0..ITERATIONS {
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut loss = 0.0;
        for r in rows {
            combine_into(&r.q, &w, &mut qc);
            loss += quantile_crps(&qc, 1.0);
            // d pinball / d q_i = 1{y < q_i} − τ_i (y = 1 after scaling).
            for ((di, qi), tau) in d.iter_mut().zip(&qc).zip(&TAUS) {
                *di = if 1.0 < *qi { 1.0 } else { 0.0 } - tau;
            }
            // Model by model: each gradient sums its terms in the same order as quantile by
            // quantile would, so the result is the same to the last bit.
            for (g, qm) in grad.iter_mut().zip(&r.q) {
                for (di, v) in d.iter().zip(qm) {
                    *g += di * v;
                }
            }
        }
        loss /= rows.len() as f64;
        if loss < best.0 {
            best = (loss, w.clone());
        }
        let mean = grad.iter().sum::<f64>() / k as f64;
        let spread = grad.iter().map(|g| (g - mean).abs()).fold(0.0, f64::max);
        if spread <= 1e-15 {
            break;
        }
        let eta = 0.5 / ((t + 1) as f64).sqrt() / spread;
        for (wm, g) in w.iter_mut().zip(&grad) {
            *wm *= (-eta * (g - mean)).exp();
        }
        let total: f64 = w.iter().sum();
        w.iter_mut().for_each(|v| *v /= total);
    }
    best.1
}

/// Dispersion factors per step from the combined quantiles (relative to the value) of each
/// scored (step, quantiles): see the module docs.
fn dispersion(combined: &[(usize, Vec<f64>)]) -> Vec<f64> {
    let logs: Vec<(usize, Vec<f64>)> = combined
        .iter()
        .filter(|(_, q)| q.iter().all(|v| *v > 0.0))
        .map(|(h, q)| (*h, q.iter().map(|v| v.ln()).collect()))
        .collect();
    let Some(steps) = logs.iter().map(|(h, _)| h + 1).max() else {
        return vec![1.0];
    };
    let all: Vec<&Vec<f64>> = logs.iter().map(|(_, q)| q).collect();
    let shrink = |s: f64, n: f64, toward: f64| {
        let a = n / (n + SHRINK_ORIGINS);
        (a * s.ln() + (1.0 - a) * toward.ln()).exp()
    };
    // Rows of step h (0-based) overlap their neighbours in h periods: 1/(h + 1) of a row each.
    let effective = |h: usize| 1.0 / (h + 1) as f64;
    // The pooled factor by its raw count of rows: counting them by overlap as well (1/(h + 1)
    // each) pulled it nearer 1 and cost 0.4–0.7% CRPS one week ahead on the SCFI development
    // windows (2016–19, 2018–19), where by raw count the one-step factors are unchanged.
    // The pooled factor and each step's own, side by side; then each step's shrunk.
    let (pooled_raw, own) = rayon::join(
        || best_scale(&all),
        || {
            use rayon::prelude::*;
            (0..steps)
                .into_par_iter()
                .map(|h| {
                    let at: Vec<&Vec<f64>> = logs
                        .iter()
                        .filter(|(s, _)| *s == h)
                        .map(|(_, q)| q)
                        .collect();
                    (!at.is_empty()).then(|| (best_scale(&at), at.len() as f64))
                })
                .collect::<Vec<_>>()
        },
    );
    let pooled = shrink(pooled_raw, all.len() as f64, 1.0);
    own.into_iter()
        .enumerate()
        .map(|(h, own)| match own {
            None => pooled,
            Some((s, n)) => shrink(s, n * effective(h), pooled),
        })
        .collect()
}

/// The factor in [`SCALE_BOUNDS`] minimising the mean CRPS of log quantiles (value at 0) stretched
/// around their median, by golden-section search on log s (the loss is convex in s).
fn best_scale(logs: &[&Vec<f64>]) -> f64 {
    let medians: Vec<f64> = logs.iter().map(|q| median_of_quantiles(q)).collect();
    // Each quantile's distance from its median, computed once for every evaluation.
    let spread: Vec<[f64; QUANTILES]> = logs
        .iter()
        .zip(&medians)
        .map(|(q, m)| {
            let mut d = [0.0; QUANTILES];
            for (d, v) in d.iter_mut().zip(q.iter()) {
                *d = v - m;
            }
            d
        })
        .collect();
    let loss = |ls: f64| {
        let s = ls.exp();
        let mut total = 0.0;
        let mut buf = [0.0; QUANTILES];
        for (d, m) in spread.iter().zip(&medians) {
            for (b, d) in buf.iter_mut().zip(d) {
                *b = m + s * d;
            }
            total += quantile_crps(&buf, 0.0);
        }
        total
    };
    let (mut a, mut b) = (SCALE_BOUNDS.0.ln(), SCALE_BOUNDS.1.ln());
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut fc, mut fd) = (loss(c), loss(d));
    for _ in 0..40 {
        if fc <= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - r * (b - a);
            fc = loss(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + r * (b - a);
            fd = loss(d);
        }
    }
    ((a + b) / 2.0).exp()
}

/// The median of quantiles at [`tau`] (the two middle ones averaged).
pub fn median_of_quantiles(q: &[f64]) -> f64 {
    let n = q.len();
    if n % 2 == 1 {
        q[n / 2]
    } else {
        (q[n / 2 - 1] + q[n / 2]) / 2.0
    }
}

/// Stretch the sample paths of each step around that step's median on the log scale (on the
/// level scale where a step has a value ≤ 0) by the combination's factor; path-major samples.
///
/// Each step's median is found on the levels (the logarithm keeps the order, so the middle
/// log values are the logs of the middle levels), then every cell is stretched, paths side by
/// side: the same values as one cell after the other.
pub fn apply_dispersion(comb: &Combination, samples: &mut [f64], horizon: usize) {
    use rayon::prelude::*;
    let n = samples.len() / horizon;
    // Per step: (factor, median, on the log scale), or None where the factor is 1.
    let mut column = vec![0.0; n];
    let stretch: Vec<Option<(f64, f64, bool)>> = (0..horizon)
        .map(|h| {
            let s = comb.scale_at(h);
            if (s - 1.0).abs() < 1e-12 {
                return None;
            }
            for (p, c) in column.iter_mut().enumerate() {
                *c = samples[p * horizon + h];
            }
            let positive = column.iter().all(|v| *v > 0.0);
            let scale = |v: f64| if positive { v.ln() } else { v };
            let mid = n / 2;
            let hi = *column.select_nth_unstable_by(mid, f64::total_cmp).1;
            let median = if n % 2 == 1 {
                scale(hi)
            } else {
                let lo = column[..mid]
                    .iter()
                    .copied()
                    .fold(f64::NEG_INFINITY, f64::max);
                (scale(lo) + scale(hi)) / 2.0
            };
            Some((s, median, positive))
        })
        .collect();
    if stretch.iter().all(Option::is_none) {
        return;
    }
    // Paths in chunks of a few hundred: enough work per task to be worth a thread.
    samples.par_chunks_mut(horizon * 256).for_each(|chunk| {
        for path in chunk.chunks_mut(horizon) {
            for (v, st) in path.iter_mut().zip(&stretch) {
                let Some((s, median, positive)) = *st else {
                    continue;
                };
                *v = if positive {
                    (median + s * (v.ln() - median)).exp()
                } else {
                    median + s * (*v - median)
                };
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::select::{OriginScores, StepForecast};
    use crate::forecast::shocks::normal_quantile;

    /// Gaussian quantiles at `tau`, as f32.
    fn normal_q(mean: f64, sd: f64) -> Vec<f32> {
        (0..QUANTILES)
            .map(|i| (mean + sd * normal_quantile(tau(i))) as f32)
            .collect()
    }

    /// A step forecast of N(`mean`, `sd`) scored against `y`.
    fn normal_step(mean: f64, sd: f64, y: f64) -> Option<StepForecast> {
        let q = normal_q(mean, sd);
        let qf: Vec<f64> = q.iter().map(|v| f64::from(*v)).collect();
        Some(StepForecast {
            crps: quantile_crps(&qf, y),
            q,
        })
    }

    /// A scoring with two models (synthetic): `good` centred on the truth, `bad` biased by 10%.
    fn scoring(good_sd: f64, bad_bias: f64, truth_sd: f64, n: usize) -> Scoring {
        let mut origins = Vec::new();
        for i in 0..n {
            // Deterministic "outcomes" spread like N(100, truth_sd).
            let u = (i as f64 + 0.5) / n as f64;
            let y = 100.0 + truth_sd * normal_quantile(u);
            let mut models = vec![None; ModelKind::ALL.len()];
            models[0] = Some(vec![normal_step(100.0, good_sd, y)]);
            models[1] = Some(vec![normal_step(100.0 * (1.0 + bad_bias), good_sd, y)]);
            origins.push(OriginScores {
                actual: vec![Some(y)],
                models,
            });
        }
        Scoring { origins }
    }

    #[test]
    fn stacking_prefers_the_unbiased_model() {
        let s = scoring(5.0, 0.10, 5.0, 40);
        let c = fit(&s, &s.ranking());
        assert_eq!(c.weights[0].0, ModelKind::ALL[0]);
        assert!(c.weights[0].1 > 0.8, "{:?}", c.weights);
        let total: f64 = c.weights.iter().map(|w| w.1).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn dispersion_widens_a_too_narrow_forecast_and_narrows_a_too_wide_one() {
        // Forecast sd 5 against outcomes of sd 10: too narrow.
        let narrow = scoring(5.0, 0.0, 10.0, 60);
        let c = fit(&narrow, &narrow.ranking());
        assert!(c.scale[0] > 1.4, "{:?}", c.scale);
        // Forecast sd 10 against outcomes of sd 5: too wide.
        let wide = scoring(10.0, 0.0, 5.0, 60);
        let c = fit(&wide, &wide.ranking());
        assert!(c.scale[0] < 0.75, "{:?}", c.scale);
        // Calibrated: the factor stays near 1.
        let fine = scoring(5.0, 0.0, 5.0, 60);
        let c = fit(&fine, &fine.ranking());
        assert!((c.scale[0] - 1.0).abs() < 0.1, "{:?}", c.scale);
    }

    /// A scoring (synthetic) over two steps with outcomes spread like N(100, 5): model `m` (in
    /// [`ModelKind::ALL`]'s order) forecasts N(mean, sd) at each step as `models[m]` says.
    fn two_step_scoring(n: usize, models: &[[(f64, f64); 2]]) -> Scoring {
        let origins = (0..n)
            .map(|i| {
                let y = 100.0 + 5.0 * normal_quantile((i as f64 + 0.5) / n as f64);
                let mut scored = vec![None; ModelKind::ALL.len()];
                for (slot, steps) in scored.iter_mut().zip(models) {
                    *slot = Some(
                        steps
                            .iter()
                            .map(|(m, sd)| normal_step(*m, *sd, y))
                            .collect(),
                    );
                }
                OriginScores {
                    actual: vec![Some(y); 2],
                    models: scored,
                }
            })
            .collect();
        Scoring { origins }
    }

    /// One model, centred, with forecast sd `sd` per step.
    fn two_steps(sd: [f64; 2], n: usize) -> Scoring {
        two_step_scoring(n, &[[(100.0, sd[0]), (100.0, sd[1])]])
    }

    #[test]
    fn a_longer_step_leans_more_on_the_pooled_factor() {
        // The same too-wide forecast (sd 10 against 5) at step 2, the other step calibrated, or
        // the other way round: the same rows, so the same pooled factor, but step 2's rows
        // overlap, so its own factor counts half as much and stays nearer the pooled one.
        let fit_of = |s: Scoring| fit(&s, &s.ranking());
        let late = fit_of(two_steps([5.0, 10.0], 40));
        let early = fit_of(two_steps([10.0, 5.0], 40));
        // Both narrow the too-wide step, step 1 more than step 2 ...
        let wide = (early.scale[0], late.scale[1]);
        assert!(wide.0 < wide.1 && wide.1 < 1.0, "{early:?} {late:?}");
        // ... and the calibrated step 2 takes more of the pooled narrowing than step 1 does.
        assert!(early.scale[1] < late.scale[0], "{early:?} {late:?}");
    }

    /// Two models: model 0 unbiased at step 1 and 10% too high at step 2, model 1 the other way
    /// round.
    fn crossing(n: usize) -> Scoring {
        two_step_scoring(
            n,
            &[[(100.0, 5.0), (110.0, 5.0)], [(110.0, 5.0), (100.0, 5.0)]],
        )
    }

    #[test]
    fn each_step_leans_on_the_model_that_is_good_at_it() {
        let s = crossing(40);
        let c = fit(&s, &s.ranking());
        // Symmetric: the pooled weights are even, the steps' weights are not.
        assert_eq!(c.weights.len(), 2, "{c:?}");
        assert!((c.weights[0].1 - 0.5).abs() < 0.05, "{c:?}");
        let at = |kind: ModelKind, h: usize| {
            let i = c.weights.iter().position(|(k, _)| *k == kind).unwrap();
            c.weight_at(i, h)
        };
        let (a, b) = (ModelKind::ALL[0], ModelKind::ALL[1]);
        assert!(at(a, 0) > 0.75 && at(b, 1) > 0.75, "{c:?}");
        // Shrunk towards the pooled weights, and the second step's fewer independent rows
        // more so.
        assert!(at(a, 0) < 0.99 && at(b, 1) < at(a, 0), "{c:?}");
        // Steps beyond those scored keep the last step's weights.
        assert_eq!(at(b, 5), at(b, 1));
        for h in 0..2 {
            assert!((at(a, h) + at(b, h) - 1.0).abs() < 1e-12);
        }
        // Without one model the other has all the weight at every step.
        let rest = c.without(a).unwrap();
        assert_eq!(rest.weights, vec![(b, 1.0)]);
        assert_eq!((rest.weight_at(0, 0), rest.weight_at(0, 1)), (1.0, 1.0));
        assert!(rest.without(b).is_none());
    }

    #[test]
    fn the_combined_paths_use_each_steps_weights() {
        struct Constant(f64, InSample);
        impl Fitted for Constant {
            fn describe(&self) -> String {
                format!("c{}", self.0)
            }
            fn in_sample(&self) -> &InSample {
                &self.1
            }
            fn simulate(&self, shocks: &Shocks, _: &mut SimRng) -> Vec<f64> {
                vec![self.0; shocks.n_paths() * shocks.horizon()]
            }
        }
        let origin = Period::month(2024, 1).unwrap();
        // Each part with one one-step error at the origin.
        let part = |v: f64, e: f64| -> Arc<dyn Fitted> {
            Arc::new(Constant(
                v,
                InSample {
                    origin,
                    residuals: vec![(origin, e)],
                },
            ))
        };
        let (a, b) = (ModelKind::ALL[0], ModelKind::ALL[1]);
        let comb = Combination {
            weights: vec![(a, 0.5), (b, 0.5)],
            scale: vec![1.0],
            by_step: vec![vec![0.75, 0.25], vec![0.25, 0.75]],
            fitted_on: 2,
        };
        let combined = Combined::new(
            vec![(b, 0.5, part(200.0, -0.08)), (a, 0.5, part(100.0, 0.04))],
            comb,
        );
        // The one-step errors are weighted as the parts are one step ahead (0.25 and 0.75), not
        // by the pooled weights (which would give -0.02).
        let e = combined.residuals();
        assert_eq!(e.len(), 1);
        assert!((e[0].1 - 0.01).abs() < 1e-15, "{e:?}");
        let shocks = Shocks::from_uniforms(4, 3, vec![0.5; 12]);
        let paths = combined.simulate(
            &shocks,
            &mut <SimRng as rand::SeedableRng>::seed_from_u64(1),
        );
        for path in paths.chunks(3) {
            assert_eq!(path, [125.0, 175.0, 175.0]);
        }
        assert_eq!(
            combined.describe(),
            "combo[c200 0.25/0.75 + c100 0.75/0.25] x[1.00]"
        );
    }

    #[test]
    fn quantile_crps_approaches_the_gaussian_closed_form() {
        // CRPS of N(0, 1) at y = 0 is (√2 − 1)/√π ≈ 0.2337.
        let q: Vec<f64> = (0..400)
            .map(|i| normal_quantile((i as f64 + 0.5) / 400.0))
            .collect();
        let got = {
            let mut s = 0.0;
            for (i, qi) in q.iter().enumerate() {
                let t = (i as f64 + 0.5) / 400.0;
                s += if 0.0 < *qi { (1.0 - t) * qi } else { -t * qi };
            }
            2.0 * s / 400.0
        };
        let want = (2f64.sqrt() - 1.0) / std::f64::consts::PI.sqrt();
        assert!((got - want).abs() < 2e-3, "{got} vs {want}");
        // The QUANTILES-point version is within a few percent.
        let q40: Vec<f64> = (0..QUANTILES).map(|i| normal_quantile(tau(i))).collect();
        assert!((quantile_crps(&q40, 0.0) - want).abs() / want < 0.03);
    }

    #[test]
    fn dispersion_keeps_ranks_and_medians() {
        let c = Combination {
            weights: vec![(ModelKind::Ets, 1.0)],
            scale: vec![2.0],
            by_step: Vec::new(),
            fitted_on: 1,
        };
        let mut x = vec![1.0, 2.0, 4.0];
        apply_dispersion(&c, &mut x, 1);
        assert!((x[1] - 2.0).abs() < 1e-12);
        assert!((x[0] - 0.5).abs() < 1e-12 && (x[2] - 8.0).abs() < 1e-12);
    }
}
