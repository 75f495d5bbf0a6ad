//! Chow–Lin temporal disaggregation as pure matrix algebra: months with regressors `x`,
//! benchmarks that are sums of runs of consecutive months with known noise variances, AR(1)
//! deviations `u ~ N(0, σ² R)`, `R_ij = ρ^|i−j|`. [`chow_lin_at`] is the GLS posterior of the
//! months at fixed `ρ`, `σ` (restricted likelihood, BLUP mean, covariance including the
//! uncertainty of `β̂`); [`chow_lin`] maximises the likelihood over them; [`bounded_draws`] samples
//! the posterior truncated to bounds on benchmark sums (Gibbs sampling of the sums, then the
//! months given them). `super::nowcast` builds the inputs from the store's official prints and
//! vessel calls; the formulas are written out in its documentation.

use crate::forecast::shocks::SimRng;
use nalgebra::{Cholesky, DMatrix, DVector, Dyn, SymmetricEigen};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

use super::optim::nelder_mead;
use super::shocks::normal_quantile;

/// Why the benchmarks do not determine a fit.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ChowLinError {
    #[error("{needed} benchmarks are needed for {regressors} regressor(s); {got} are given")]
    TooFewBenchmarks {
        needed: usize,
        regressors: usize,
        got: usize,
    },
    #[error("the benchmark equations are singular")]
    Singular,
}

/// Chow–Lin fit at given `ρ`, `σ`: the posterior of the months given the benchmarks.
#[derive(Clone, Debug)]
pub struct ChowLin {
    pub beta: Vec<f64>,
    pub rho: f64,
    pub sigma: f64,
    /// Posterior mean of the months (same unit as the inputs).
    pub mean: DVector<f64>,
    pub cov: DMatrix<f64>,
    /// Restricted log likelihood of the benchmarks (up to a constant).
    pub loglik: f64,
}

/// The GLS pieces shared by the likelihood and the posterior.
struct Gls {
    /// `C·G` (q×n), `G = σ²R`.
    cg: DMatrix<f64>,
    vchol: Cholesky<f64, Dyn>,
    cx: DMatrix<f64>,
    achol: Cholesky<f64, Dyn>,
    beta: DVector<f64>,
    resid: DVector<f64>,
    loglik: f64,
}

/// GLS of the benchmarks `z` (each the sum of the months `runs[a].0..=runs[a].1`, with noise
/// variance `tau2[a]`) on the regressors `x` (n×k) at fixed `rho`, `sigma`. Benchmarks are runs of
/// consecutive months, which makes `C·G` a sum of powers of `ρ` (no n×n product).
fn gls(
    x: &DMatrix<f64>,
    runs: &[(usize, usize)],
    z: &DVector<f64>,
    tau2: &[f64],
    rho: f64,
    sigma: f64,
) -> Option<Gls> {
    let (n, k, q) = (x.nrows(), x.ncols(), runs.len());
    let s2 = sigma * sigma;
    // Σ_{d < m} ρ^d, so that a run of powers is a difference: Σ_{d=a}^{b} ρ^d = P[b+1] − P[a].
    let mut geometric = vec![0.0; n + 1];
    let mut power = 1.0;
    for m in 0..n {
        geometric[m + 1] = geometric[m] + power;
        power *= rho;
    }
    let powers_sum = |a: usize, b: usize| geometric[b + 1] - geometric[a];
    let mut cg = DMatrix::<f64>::zeros(q, n);
    for (a, &(first, last)) in runs.iter().enumerate() {
        for j in 0..n {
            // Σ_{i=first}^{last} ρ^|i−j|, split at j.
            let sum = if j <= first {
                powers_sum(first - j, last - j)
            } else if j >= last {
                powers_sum(j - last, j - first)
            } else {
                powers_sum(0, j - first) + powers_sum(1, last - j)
            };
            cg[(a, j)] = s2 * sum;
        }
    }
    // Row prefix sums of C·G, so that summing a row over a run is one difference too.
    let mut cg_prefix = DMatrix::<f64>::zeros(q, n + 1);
    for a in 0..q {
        for j in 0..n {
            cg_prefix[(a, j + 1)] = cg_prefix[(a, j)] + cg[(a, j)];
        }
    }
    let v = DMatrix::from_fn(q, q, |a, b| {
        let (first, last) = runs[b];
        cg_prefix[(a, last + 1)] - cg_prefix[(a, first)] + if a == b { tau2[a] } else { 0.0 }
    });
    let cx = DMatrix::from_fn(q, k, |a, c| {
        let (first, last) = runs[a];
        (first..=last).map(|i| x[(i, c)]).sum::<f64>()
    });
    let vchol = v.cholesky()?;
    let vinv_cx = vchol.solve(&cx);
    let achol = (cx.transpose() * &vinv_cx).cholesky()?;
    let beta = achol.solve(&(vinv_cx.transpose() * z));
    let resid = z - &cx * &beta;
    let quad = resid.dot(&vchol.solve(&resid));
    let log_det: f64 = vchol.l().diagonal().iter().map(|d| 2.0 * d.ln()).sum();
    let log_det_a: f64 = achol.l().diagonal().iter().map(|d| 2.0 * d.ln()).sum();
    // Restricted (REML) likelihood: it accounts for estimating β, so σ is not biased down with
    // as few benchmarks as the official record has.
    Some(Gls {
        loglik: -0.5 * (log_det + log_det_a + quad),
        cg,
        vchol,
        cx,
        achol,
        beta,
        resid,
    })
}

/// The Chow–Lin posterior at fixed `rho` and `sigma`, for months with regressors `x` (n×k),
/// benchmarks over the month runs `runs` with values `z` and noise variances `tau2`. `None` if a
/// matrix that must be inverted is singular.
pub fn chow_lin_at(
    x: &DMatrix<f64>,
    runs: &[(usize, usize)],
    z: &DVector<f64>,
    tau2: &[f64],
    rho: f64,
    sigma: f64,
) -> Option<ChowLin> {
    let g = gls(x, runs, z, tau2, rho, sigma)?;
    let n = x.nrows();
    let prior = DMatrix::from_fn(n, n, |i, j| sigma * sigma * rho.powi(i.abs_diff(j) as i32));
    // K = G Cᵀ V⁻¹ (n×q).
    let k = g.vchol.solve(&g.cg).transpose();
    let mean = x * &g.beta + &k * &g.resid;
    let m = x - &k * &g.cx;
    let cov = prior - &k * &g.cg + &m * g.achol.solve(&m.transpose());
    Some(ChowLin {
        beta: g.beta.iter().copied().collect(),
        rho,
        sigma,
        mean,
        cov,
        loglik: g.loglik,
    })
}

/// Chow–Lin with `ρ ∈ [0, 0.99]` and `σ` by maximum restricted likelihood (Nelder–Mead over
/// `logit(ρ/0.99)` and `ln σ`).
pub fn chow_lin(
    x: &DMatrix<f64>,
    runs: &[(usize, usize)],
    z: &DVector<f64>,
    tau2: &[f64],
) -> Result<ChowLin, ChowLinError> {
    let k = x.ncols();
    if runs.len() < k + 1 {
        return Err(ChowLinError::TooFewBenchmarks {
            needed: k + 1,
            regressors: k,
            got: runs.len(),
        });
    }
    let to_params = |p: &[f64]| (0.99 / (1.0 + (-p[0]).exp()), p[1].exp());
    let objective = |p: &[f64]| {
        let (rho, sigma) = to_params(p);
        gls(x, runs, z, tau2, rho, sigma).map_or(f64::INFINITY, |g| -g.loglik)
    };
    // Start: ρ = 0.5 and σ from the spread of the benchmarks' monthly averages.
    let per_month: Vec<f64> = runs
        .iter()
        .zip(z.iter())
        .map(|(&(first, last), v)| v / (last - first + 1) as f64)
        .collect();
    let mean = per_month.iter().sum::<f64>() / per_month.len() as f64;
    let sd0 = (per_month.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / per_month.len() as f64)
        .sqrt()
        .max(1e-3 * mean.abs())
        .max(1e-9);
    let best = nelder_mead(objective, &[0.0, sd0.ln()], 1.0, 1e-9, 400);
    let (rho, sigma) = to_params(&best.x);
    chow_lin_at(x, runs, z, tau2, rho, sigma).ok_or(ChowLinError::Singular)
}

/// Bounds on a benchmark sum: `lo ≤ c·y ≤ hi` (either may be infinite).
#[derive(Clone, Debug, PartialEq)]
pub struct BoundForm {
    pub first: usize,
    pub last: usize,
    pub lo: f64,
    pub hi: f64,
}

/// Draws of the months from the Chow–Lin posterior truncated to the bounds; path-major, n_paths
/// × months.
pub fn bounded_draws(
    fit: &ChowLin,
    bounds: &[BoundForm],
    n_paths: usize,
    rng: &mut SimRng,
) -> Vec<f64> {
    let n = fit.mean.len();
    // Factor of the (singular) posterior covariance by eigenvalue clipping: F = V·diag(√λ⁺).
    let eig = SymmetricEigen::new(fit.cov.clone());
    let mut factor = eig.eigenvectors;
    for (j, mut column) in factor.column_iter_mut().enumerate() {
        column *= eig.eigenvalues[j].max(0.0).sqrt();
    }
    let sum_of = |b: &BoundForm, y: &[f64]| y[b.first..=b.last].iter().sum::<f64>();
    let cov_form = |b: &BoundForm| -> DVector<f64> {
        DVector::from_fn(n, |i, _| (b.first..=b.last).map(|j| fit.cov[(i, j)]).sum())
    };
    // Bound sums that the data pin down (no variance) cannot be sampled: drop them.
    let active: Vec<&BoundForm> = bounds
        .iter()
        .filter(|b| (b.first..=b.last).map(|i| cov_form(b)[i]).sum::<f64>() > 1e-12)
        .collect();
    let r = active.len();
    let cov_b: Vec<DVector<f64>> = active.iter().map(|b| cov_form(b)).collect(); // Σ bᵀ
    let mean: Vec<f64> = fit.mean.iter().copied().collect();
    let mu_w: Vec<f64> = active.iter().map(|b| sum_of(b, &mean)).collect();
    let s = DMatrix::from_fn(r, r, |a, c| {
        let b = active[c];
        (b.first..=b.last).map(|i| cov_b[a][i]).sum::<f64>()
    });
    let precision = s.clone().try_inverse();
    // gain = Σ Bᵀ S⁻¹ (n×r), row-major.
    let gain: Option<Vec<f64>> = precision.as_ref().map(|p| {
        let mut g = vec![0.0; n * r];
        for i in 0..n {
            for a in 0..r {
                g[i * r + a] = (0..r).map(|c| cov_b[c][i] * p[(c, a)]).sum();
            }
        }
        g
    });
    let mut w: Vec<f64> = (0..r)
        .map(|a| {
            let b = active[a];
            let sd = s[(a, a)].sqrt();
            if b.hi - b.lo < 0.2 * sd {
                0.5 * (b.lo + b.hi)
            } else {
                mu_w[a].clamp(b.lo + 0.1 * sd, b.hi - 0.1 * sd)
            }
        })
        .collect();
    let gibbs_sweep = |w: &mut Vec<f64>, rng: &mut SimRng| {
        let Some(p) = &precision else { return };
        for a in 0..r {
            let shift: f64 = (0..r)
                .filter(|&c| c != a)
                .map(|c| p[(a, c)] * (w[c] - mu_w[c]))
                .sum();
            let cond_mean = mu_w[a] - shift / p[(a, a)];
            let sd = (1.0 / p[(a, a)]).sqrt();
            let b = active[a];
            let u: f64 = rng.random();
            w[a] = truncated_between(cond_mean, sd, b.lo, b.hi, u);
        }
    };
    const BURN_IN: usize = 200;
    const THIN: usize = 2;
    if r > 0 {
        for _ in 0..BURN_IN {
            gibbs_sweep(&mut w, rng);
        }
    }
    // Per path, in this order from the generator: n standard normals, then the Gibbs sweeps of
    // the bound sums. The normals become correlated draws in one matrix product (column p of
    // `F·Ξ` is path p), the bound sums then condition each path (a kriging update).
    let mut xi = DMatrix::<f64>::zeros(n, n_paths);
    // (One slot per path even without bounds, so that every path gets its normals.)
    let mut sums = vec![0.0; n_paths * r.max(1)];
    for (mut column, w_path) in xi.column_iter_mut().zip(sums.chunks_exact_mut(r.max(1))) {
        for v in column.iter_mut() {
            *v = StandardNormal.sample(rng);
        }
        if r > 0 {
            for _ in 0..THIN {
                gibbs_sweep(&mut w, rng);
            }
            w_path.copy_from_slice(&w);
        }
    }
    let draws = &factor * &xi;
    drop(xi);
    // Column-major n × n_paths: the storage is path-major, as returned.
    let mut out: Vec<f64> = draws.data.into();
    for (p, y) in out.chunks_exact_mut(n).enumerate() {
        for (yi, m) in y.iter_mut().zip(&mean) {
            *yi += m;
        }
        if let (true, Some(gain)) = (r > 0, &gain) {
            let w = &sums[p * r..(p + 1) * r];
            let gap: Vec<f64> = (0..r).map(|a| w[a] - sum_of(active[a], y)).collect();
            for (i, yi) in y.iter_mut().enumerate() {
                *yi += (0..r).map(|a| gain[i * r + a] * gap[a]).sum::<f64>();
            }
        }
    }
    out
}

/// A draw from `N(mean, sd²)` truncated to `[lo, hi]` (either may be infinite), by the inverse
/// CDF at `u`, in the tail that keeps precision.
fn truncated_between(mean: f64, sd: f64, lo: f64, hi: f64, u: f64) -> f64 {
    match (lo.is_finite(), hi.is_finite()) {
        (false, false) => mean + sd * normal_quantile(u.clamp(1e-12, 1.0 - 1e-12)),
        (true, false) => truncated_normal(mean, sd, lo, true, u),
        (false, true) => truncated_normal(mean, sd, hi, false, u),
        (true, true) => {
            let (alpha, beta) = ((lo - mean) / sd, (hi - mean) / sd);
            if alpha < 0.0 && beta <= 0.0 {
                // Lower tail: mirror into the upper one.
                return -truncated_between(-mean, sd, -hi, -lo, 1.0 - u);
            }
            let std = Normal::standard();
            let u = u.clamp(1e-12, 1.0 - 1e-12);
            let z = if alpha > 0.0 {
                // Both in the upper tail: work with survival probabilities.
                let (sa, sb) = (std.sf(alpha), std.sf(beta));
                if sa - sb <= 1e-300 {
                    alpha
                } else {
                    -std.inverse_cdf((sa - u * (sa - sb)).max(1e-300))
                }
            } else {
                let (ca, cb) = (std.cdf(alpha), std.cdf(beta));
                normal_quantile(ca + u * (cb - ca))
            };
            mean + sd * z.clamp(alpha, beta)
        }
    }
}

/// A draw from `N(mean, sd²)` truncated to `≥ bound` (`lower`) or `≤ bound`, by the inverse CDF
/// at `u`, computed in the tail that keeps precision.
fn truncated_normal(mean: f64, sd: f64, bound: f64, lower: bool, u: f64) -> f64 {
    if !lower {
        return -truncated_normal(-mean, sd, -bound, true, u);
    }
    let std = Normal::standard();
    let alpha = (bound - mean) / sd;
    let u = u.clamp(1e-12, 1.0 - 1e-12);
    let z = if alpha <= 0.0 {
        let lo = std.cdf(alpha);
        normal_quantile(lo + u * (1.0 - lo))
    } else {
        // Upper tail: P(Z > z) = sf(α)·(1 − u); Φ⁻¹(1 − q) = −Φ⁻¹(q).
        let q = (std.sf(alpha) * (1.0 - u)).max(1e-300);
        -std.inverse_cdf(q)
    };
    mean + sd * z.max(alpha)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden values from numpy 2.4.6 for the same GLS formulas, computed independently:
    /// ```python
    /// import numpy as np
    /// n, rho, s = 6, 0.7, 0.2
    /// x = np.column_stack([np.ones(n), [10., 12., 11., 13., 15., 14.]])
    /// C = np.array([[1,1,1,0,0,0],[0,0,0,1,1,1],[0,1,0,0,0,0],[0,0,0,0,1,0]], float)
    /// z = np.array([33.5, 43.0, 12.3, 15.2]); tau2 = np.array([0.01, 0.0, 0.0, 0.0])
    /// G = s*s*rho**np.abs(np.subtract.outer(range(n), range(n)))
    /// V = C@G@C.T + np.diag(tau2); Vi = np.linalg.inv(V); CX = C@x
    /// A = CX.T@Vi@CX; beta = np.linalg.solve(A, CX.T@Vi@z)
    /// K = G@C.T@Vi; mean = x@beta + K@(z - CX@beta); M = x - K@CX
    /// cov = G - K@C@G + M@np.linalg.solve(A, M.T)
    /// print(beta, mean, np.diag(cov))
    /// ```
    /// prints beta = [-0.1637107906 1.0347095662],
    /// mean = [10.0832529909 12.3 11.1820259688 13.3537848012 15.2 14.4462151988],
    /// diag(cov) = [1.2325027119e-02 ~0 1.0795213693e-02 9.2823807996e-03 ~0 9.2823807996e-03].
    #[test]
    fn chow_lin_matches_numpy() {
        let n = 6;
        let calls = [10.0, 12.0, 11.0, 13.0, 15.0, 14.0];
        let x = DMatrix::from_fn(n, 2, |i, j| if j == 0 { 1.0 } else { calls[i] });
        let runs = [(0, 2), (3, 5), (1, 1), (4, 4)];
        let z = DVector::from_row_slice(&[33.5, 43.0, 12.3, 15.2]);
        let fit = chow_lin_at(&x, &runs, &z, &[0.01, 0.0, 0.0, 0.0], 0.7, 0.2).unwrap();
        let want_beta = [-0.1637107906, 1.0347095662];
        let want_mean = [
            10.0832529909,
            12.3,
            11.1820259688,
            13.3537848012,
            15.2,
            14.4462151988,
        ];
        let want_var = [
            1.2325027119e-02,
            0.0,
            1.0795213693e-02,
            9.2823807996e-03,
            0.0,
            9.2823807996e-03,
        ];
        for (g, w) in fit.beta.iter().zip(want_beta) {
            assert!((g - w).abs() < 1e-9, "{g} vs {w}");
        }
        for i in 0..n {
            assert!((fit.mean[i] - want_mean[i]).abs() < 1e-9, "{i}");
            assert!((fit.cov[(i, i)] - want_var[i]).abs() < 1e-9, "{i}");
        }
    }

    #[test]
    fn truncated_normal_respects_its_bound_far_in_the_tail() {
        for u in [1e-9, 0.1, 0.5, 0.9, 1.0 - 1e-9] {
            // Beyond 12σ the excess is nearly exponential with rate 12: even the 1 − 1e-9
            // quantile is only ln(1e9)/12 ≈ 1.7 above the bound.
            let v = truncated_normal(0.0, 1.0, 12.0, true, u);
            assert!((12.0..13.8).contains(&v), "{v}");
            let v = truncated_normal(0.0, 1.0, -1.0, true, u);
            assert!(v >= -1.0, "{v}");
            let v = truncated_normal(5.0, 2.0, 3.0, false, u);
            assert!(v <= 3.0, "{v}");
        }
        // Median of N(0,1) truncated below at 0 is Φ⁻¹(0.75).
        let med = truncated_normal(0.0, 1.0, 0.0, true, 0.5);
        assert!((med - 0.674489750196).abs() < 1e-9);
    }
}
