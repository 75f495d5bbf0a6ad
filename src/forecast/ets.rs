//! Exponential smoothing with additive seasonality on log levels (Holt–Winters; ETS(A,N,A) and
//! ETS(A,Ad,A) in Hyndman's taxonomy): the strong univariate peer the regression is judged against.
//!
//! State-space form, with `x` the log level, `m` the season length and `e_t` the one-step error:
//! `x̂_t = l + φb + s_{t−m}`, `l ← l + φb + αe`, `b ← φb + βe`, `s_t = s_{t−m} + γe`.
//! The smoothing parameters minimise the sum of squared one-step errors (Nelder–Mead from
//! `super::optim`, under the usual constraints `0 < α < 1`, `0 < β < α`, `0 < γ < 1 − α`,
//! `0.8 ≤ φ ≤ 0.98`); the initial states come from the first two seasons (classical
//! decomposition), and the variant with or without a damped trend is chosen by AICc.
//!
//! Gaps (Los Angeles has missing months) are handled as a state-space model handles them: at a
//! missing period the states move by the forecast alone (`e = 0`). The fit starts at the first
//! stretch with two well-covered seasons after the last gap longer than a season, so the sparse
//! early years of a series do not corrupt the initial states.
//!
//! Sample paths run the same recursions forward with errors from the smoothed bootstrap of the
//! in-sample one-step errors (after the first season), scaled by `√(n / (n − k))` for the
//! smoothing parameters and initial states the fit used (the `SSE / (n − k)` of R's `ets`), so
//! uncertainty grows with the horizon as the states absorb the drawn errors.
//!
//! Why not a crate: augurs-ets (the well-kept Rust ETS) does not implement seasonal models yet
//! and pulls a second rand and nalgebra; this file is the whole model.

use rand::rngs::StdRng;

use super::naive::MIN_ERRORS;
use super::optim::nelder_mead;
use super::shocks::{ErrorPool, Shocks};
use super::{FitError, Fitted, Model, ModelKind, TrainingData};
use crate::model::Period;

pub struct Ets;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trend {
    None,
    Damped,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Params {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

#[derive(Clone, Debug, PartialEq)]
struct State {
    level: f64,
    trend: f64,
    /// Seasonal states by grid index modulo `m`.
    season: Vec<f64>,
}

fn logistic(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

impl Params {
    /// Unconstrained coordinates → parameters inside the admissible region.
    fn from_free(z: &[f64], trend: Trend) -> Params {
        let alpha = 1e-4 + (1.0 - 2e-4) * logistic(z[0]);
        let gamma = (1.0 - alpha) * logistic(z[1]) * 0.999;
        match trend {
            Trend::None => Params {
                alpha,
                beta: 0.0,
                gamma,
                phi: 0.0,
            },
            Trend::Damped => Params {
                alpha,
                gamma,
                beta: alpha * logistic(z[2]) * 0.999,
                phi: 0.8 + 0.18 * logistic(z[3]),
            },
        }
    }

    fn start(trend: Trend) -> Vec<f64> {
        let base = vec![logit(0.3), logit(0.1)];
        match trend {
            Trend::None => base,
            Trend::Damped => [base, vec![logit(0.1), logit(0.5)]].concat(),
        }
    }
}

/// One pass of the recursions from `start` to the end of `x`.
struct Pass {
    sse: f64,
    n: usize,
    /// `(grid index, one-step error)` for observed periods after the first season.
    errors: Vec<(usize, f64)>,
    state: State,
}

fn run(x: &[Option<f64>], start: usize, init: &State, p: &Params, keep_errors: bool) -> Pass {
    let m = init.season.len();
    let mut s = init.clone();
    let (mut sse, mut n) = (0.0, 0);
    let mut errors = Vec::new();
    for (t, v) in x.iter().enumerate().skip(start) {
        let slot = t % m;
        let forecast = s.level + p.phi * s.trend + s.season[slot];
        let e = match v {
            Some(v) => {
                let e = v - forecast;
                sse += e * e;
                n += 1;
                if keep_errors && t >= start + m {
                    errors.push((t, e));
                }
                e
            }
            None => 0.0,
        };
        s.level += p.phi * s.trend + p.alpha * e;
        s.trend = p.phi * s.trend + p.beta * e;
        s.season[slot] += p.gamma * e;
    }
    Pass {
        sse,
        n,
        errors,
        state: s,
    }
}

/// Where the fit starts: the first index after the last run of more than `m` missing periods
/// whose two following seasons have every seasonal slot observed and at least 3/4 of the
/// periods. `None` if there is no such stretch.
fn fit_start(x: &[Option<f64>], m: usize) -> Option<usize> {
    let mut after_gap = 0;
    let mut run = 0;
    for (t, v) in x.iter().enumerate() {
        if v.is_none() {
            run += 1;
            if run > m {
                after_gap = t + 1;
            }
        } else {
            run = 0;
        }
    }
    (after_gap..x.len().saturating_sub(2 * m - 1)).find(|&s| {
        let window = &x[s..s + 2 * m];
        let observed = window.iter().filter(|v| v.is_some()).count();
        let slots_ok = (0..m).all(|j| window[j].is_some() || window[j + m].is_some());
        x[s].is_some() && slots_ok && 4 * observed >= 3 * 2 * m
    })
}

/// Initial states from the two seasons from `s`: level and trend from the seasons' means,
/// seasonal states from the detrended values (zero mean).
fn initial_state(x: &[Option<f64>], s: usize, m: usize, trend: Trend) -> State {
    let mean_of = |from: usize| {
        let v: Vec<f64> = x[from..from + m].iter().flatten().copied().collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (mean1, mean2) = (mean_of(s), mean_of(s + m));
    let slope = match trend {
        Trend::None => 0.0,
        Trend::Damped => (mean2 - mean1) / m as f64,
    };
    let centre = (m as f64 - 1.0) / 2.0;
    let line = |t: usize| {
        if t < s + m {
            mean1 + slope * (t as f64 - s as f64 - centre)
        } else if trend == Trend::None {
            mean2
        } else {
            mean1 + slope * (t as f64 - s as f64 - centre)
        }
    };
    let mut sums = vec![(0.0, 0usize); m];
    for (t, v) in x.iter().enumerate().skip(s).take(2 * m) {
        if let Some(v) = v {
            let e = &mut sums[t % m];
            e.0 += v - line(t);
            e.1 += 1;
        }
    }
    let mut season: Vec<f64> = sums
        .iter()
        .map(|&(sum, n)| if n > 0 { sum / n as f64 } else { 0.0 })
        .collect();
    let mean = season.iter().sum::<f64>() / m as f64;
    season.iter_mut().for_each(|v| *v -= mean);
    State {
        level: mean1 - slope * (centre + 1.0),
        trend: slope,
        season,
    }
}

struct Candidate {
    trend: Trend,
    params: Params,
    aicc: f64,
    /// Parameters and initial states the fit used (for AICc and the error scaling).
    k: f64,
    pass: Pass,
}

fn fit_variant(x: &[Option<f64>], start: usize, m: usize, trend: Trend) -> Candidate {
    let init = initial_state(x, start, m, trend);
    let scale = x.iter().flatten().map(|v| v * v).sum::<f64>().max(1e-300);
    let objective = |z: &[f64]| run(x, start, &init, &Params::from_free(z, trend), false).sse;
    let best = nelder_mead(objective, &Params::start(trend), 1.0, 1e-13 * scale, 800);
    let params = Params::from_free(&best.x, trend);
    let pass = run(x, start, &init, &params, true);
    let n = pass.n as f64;
    let k = match trend {
        Trend::None => 2.0 + 1.0 + m as f64,
        Trend::Damped => 4.0 + 2.0 + m as f64,
    };
    let aicc = if n - k - 1.0 > 0.0 && pass.sse > 0.0 {
        n * (pass.sse / n).ln() + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0)
    } else {
        f64::INFINITY
    };
    Candidate {
        trend,
        params,
        aicc,
        k,
        pass,
    }
}

struct FittedEts {
    trend: Trend,
    params: Params,
    state: State,
    /// Grid index of the period after the origin (its seasonal slot is `next % m`).
    next: usize,
    origin: Period,
    residuals: Vec<(Period, f64)>,
    pool: ErrorPool,
}

impl Model for Ets {
    fn kind(&self) -> ModelKind {
        ModelKind::Ets
    }

    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError> {
        let h = &data.history;
        let m = h.season_length();
        let x = h.logs();
        let start = fit_start(&x, m).ok_or(FitError::TooShort {
            model: "ets",
            what: "periods in two consecutive, well-covered seasons",
            needed: 2 * m,
            got: h.observed(),
        })?;
        let best = [Trend::None, Trend::Damped]
            .into_iter()
            .map(|trend| fit_variant(&x, start, m, trend))
            .min_by(|a, b| a.aicc.total_cmp(&b.aicc))
            .expect("two variants");
        if best.pass.errors.len() < MIN_ERRORS {
            return Err(FitError::TooShort {
                model: "ets",
                what: "one-step errors after the first season",
                needed: MIN_ERRORS,
                got: best.pass.errors.len(),
            });
        }
        let n = best.pass.n as f64;
        if n <= best.k + 2.0 {
            return Err(FitError::TooShort {
                model: "ets",
                what: "observations beyond its parameters and initial states",
                needed: best.k as usize + 3,
                got: best.pass.n,
            });
        }
        let residuals: Vec<(Period, f64)> = best
            .pass
            .errors
            .iter()
            .map(|&(t, e)| (h.period(t), e))
            .collect();
        Ok(Box::new(FittedEts {
            trend: best.trend,
            params: best.params,
            state: best.pass.state,
            next: x.len(),
            origin: h.origin(),
            // In-sample errors understate the forecast error by the degrees of freedom the fit
            // used (σ² = SSE / (n − k), as R's ets): scale them as the regression's.
            pool: ErrorPool::new(residuals.iter().map(|r| r.1)).scaled((n / (n - best.k)).sqrt()),
            residuals,
        }))
    }
}

impl Fitted for FittedEts {
    fn describe(&self) -> String {
        match self.trend {
            Trend::None => "ets(A,N,A)".into(),
            Trend::Damped => "ets(A,Ad,A)".into(),
        }
    }

    fn origin(&self) -> Period {
        self.origin
    }

    fn residuals(&self) -> &[(Period, f64)] {
        &self.residuals
    }

    fn simulate(&self, shocks: &Shocks, _aux: &mut StdRng) -> Vec<f64> {
        let horizon = shocks.horizon();
        let m = self.state.season.len();
        let p = &self.params;
        let mut out = vec![0.0; shocks.n_paths() * horizon];
        let mut season = self.state.season.clone();
        for (path, row) in out.chunks_exact_mut(horizon).enumerate() {
            season.copy_from_slice(&self.state.season);
            let (mut level, mut trend) = (self.state.level, self.state.trend);
            for (h, value) in row.iter_mut().enumerate() {
                let slot = (self.next + h) % m;
                let e = self.pool.draw(shocks.get(path, h));
                let x = level + p.phi * trend + season[slot] + e;
                level += p.phi * trend + p.alpha * e;
                trend = p.phi * trend + p.beta * e;
                season[slot] += p.gamma * e;
                *value = x.exp();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::History;
    use crate::model::Frequency;
    use rand::SeedableRng;

    fn data(values: &[Option<f64>]) -> TrainingData {
        let start = Period::month(2015, 1).unwrap();
        let pts: Vec<(Period, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (start.offset(i as i64), v)))
            .collect();
        TrainingData {
            history: History::from_points("x", Frequency::Month, &pts).unwrap(),
            drivers: Vec::new(),
        }
    }

    #[test]
    fn recursions_by_hand() {
        // m = 2, no trend, α = 0.5, γ = 0.25; initial l = 10, s = (1, −1); x = 12, 8, (gap), 10.
        // t0: x̂ = 11, e = 1, l = 10.5, s0 = 1.25.   t1: x̂ = 9.5, e = −1.5, l = 9.75, s1 = −1.375.
        // t2: gap, x̂ = 11, e = 0.                     t3: x̂ = 8.375, e = 1.625, l = 10.5625.
        let init = State {
            level: 10.0,
            trend: 0.0,
            season: vec![1.0, -1.0],
        };
        let p = Params {
            alpha: 0.5,
            beta: 0.0,
            gamma: 0.25,
            phi: 0.0,
        };
        let x = [Some(12.0), Some(8.0), None, Some(10.0)];
        let pass = run(&x, 0, &init, &p, true);
        let sse = 1.0 + 1.5f64.powi(2) + 1.625f64.powi(2);
        assert!((pass.sse - sse).abs() < 1e-12);
        assert_eq!(pass.n, 3);
        assert_eq!(pass.errors, vec![(3, 1.625)]);
        assert!((pass.state.level - 10.5625).abs() < 1e-12);
        assert!((pass.state.season[1] - (-1.375 + 0.25 * 1.625)).abs() < 1e-12);
    }

    #[test]
    fn learns_a_seasonal_pattern_with_noise_and_gaps() {
        // Four years of a fixed monthly pattern (±10%) with tiny deterministic noise; two gaps.
        let pattern = [
            0.0, -0.3, 0.1, 0.05, 0.1, 0.0, 0.08, 0.1, 0.02, 0.0, 0.05, 0.04,
        ];
        let values: Vec<Option<f64>> = (0..48)
            .map(|i| {
                if i == 30 || i == 41 {
                    None
                } else {
                    let noise = 0.01 * ((i * 7 % 5) as f64 - 2.0);
                    Some((8.0 + pattern[i % 12] + noise).exp())
                }
            })
            .collect();
        let fitted = Ets.fit(&data(&values)).unwrap();
        let mut rng = StdRng::seed_from_u64(9);
        let shocks = Shocks::latin_hypercube(2000, 12, &mut rng);
        let paths = fitted.simulate(&shocks, &mut rng);
        for h in 0..12 {
            let mean_log: f64 = (0..2000).map(|p| paths[p * 12 + h].ln()).sum::<f64>() / 2000.0;
            assert!(
                (mean_log - (8.0 + pattern[h])).abs() < 0.03,
                "h = {h}: {mean_log}"
            );
        }
    }

    #[test]
    fn sparse_history_is_refused_with_a_reason() {
        let mut values = vec![Some(100.0); 30];
        for v in values.iter_mut().step_by(2) {
            *v = None;
        }
        values[29] = Some(100.0);
        assert!(matches!(
            Ets.fit(&data(&values)),
            Err(FitError::TooShort { model: "ets", .. })
        ));
    }
}
