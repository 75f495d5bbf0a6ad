//! Forecasts of several targets drawn jointly ([`forecast_joint`]), for baskets and other
//! contracts on more than one series: each target fitted as alone (`super::pipeline`), their
//! shocks tied by a Gaussian copula whose correlation is that of the models' one-step errors
//! (normal scores over common periods, made positive semi-definite), shared by calendar period.

use nalgebra::{DMatrix, SymmetricEigen};

use super::pipeline::{FittedTarget, check_request, finish, fit_target, prepare, with_as_of};
use super::shocks::{Shocks, normal_cdf, normal_quantile};
use super::{
    Forecast, ForecastConfig, ForecastError, ForecastRequest, Prepared, RequestError, aux_rng, rngs,
};
use crate::analysis::distribution::PredictiveDistribution;
use crate::model::Period;
use crate::store::Store;

/// Forecasts of several targets drawn jointly, for baskets and other contracts on more than one
/// series.
#[derive(Clone, Debug)]
pub struct JointForecast {
    /// Each target's forecast; `components[k].dist` is the marginal of target `k`, made of the
    /// same paths as `dist`.
    pub components: Vec<Forecast>,
    /// All targets on one path: coordinate `k * horizon + h` is target `k` at horizon index `h`
    /// (see [`JointForecast::coordinate`]); path `p` of every target is one joint draw.
    pub dist: PredictiveDistribution,
    /// Correlation of the targets' shocks (normal scores of their one-step errors in periods
    /// where all pairs have them), as used.
    pub correlation: Vec<Vec<f64>>,
    /// Number of common periods each pairwise correlation was estimated on.
    pub overlap: Vec<Vec<usize>>,
}

impl JointForecast {
    /// The coordinate of target `component` at horizon index `h` in [`JointForecast::dist`].
    pub fn coordinate(&self, component: usize, h: usize) -> usize {
        component * self.dist.horizons() / self.components.len() + h
    }
}

/// Fewest common periods for a pairwise shock correlation; with fewer the pair is independent.
pub const MIN_CORRELATION_OVERLAP: usize = 12;

/// Forecast several targets jointly: each target's model is chosen and fitted as in
/// [`forecast`](super::forecast), and their shocks are correlated by a Gaussian copula whose correlation is that
/// of the models' one-step errors over common periods. Step shocks are shared by calendar period,
/// so two targets' forecasts of the same month move together even when their origins differ.
/// Each target's marginal is the same distribution its single forecast would have (up to Monte
/// Carlo noise); only the dependence between targets is added.
///
/// All requests must share the frequency, horizon, as-of time, number of paths and seed.
pub fn forecast_joint(
    store: &Store,
    reqs: &[ForecastRequest],
    cfg: &ForecastConfig,
) -> Result<JointForecast, ForecastError> {
    for r in reqs {
        check_request(r)?;
    }
    let prepared = reqs
        .iter()
        .map(|r| prepare(store, &r.series, r.freq, r.as_of, cfg, r.n_paths, r.seed))
        .collect::<Result<Vec<_>, _>>()?;
    forecast_joint_prepared(prepared, reqs, cfg)
}

/// [`forecast_joint`] from training data already built for each request by [`prepare`] (see
/// [`forecast_prepared`](super::forecast_prepared)), in the order of `reqs`.
pub fn forecast_joint_prepared(
    prepared: Vec<Prepared>,
    reqs: &[ForecastRequest],
    cfg: &ForecastConfig,
) -> Result<JointForecast, ForecastError> {
    if prepared.len() != reqs.len() {
        return Err(RequestError::PreparedMismatch.into());
    }
    let Some(first) = reqs.first() else {
        return Err(RequestError::NoTargets.into());
    };
    for r in reqs {
        check_request(r)?;
        if (r.horizon, r.as_of, r.n_paths, r.seed)
            != (first.horizon, first.as_of, first.n_paths, first.seed)
        {
            return Err(RequestError::MixedJointSettings.into());
        }
    }
    let (horizon, n) = (first.horizon, first.n_paths);
    let mut targets = Vec::new();
    for (r, prepared) in reqs.iter().zip(prepared) {
        if prepared.freq
            != targets
                .first()
                .map_or(prepared.freq, |t: &FittedTarget| t.prepared.freq)
        {
            return Err(RequestError::MixedFrequency.into());
        }
        targets
            .push(fit_target(prepared, r.model, cfg, r.seed).map_err(|e| with_as_of(e, r.as_of))?);
    }
    let k = targets.len();
    let residuals: Vec<&[(Period, f64)]> = targets.iter().map(|t| t.fitted.residuals()).collect();
    let (correlation, overlap) = shock_correlation(&residuals);
    let chol = psd_factor(&correlation);

    // One block of shocks per calendar period from the earliest first step to the latest last.
    let origins: Vec<Period> = targets.iter().map(|t| t.fitted.origin()).collect();
    let grid_start = origins.iter().map(|o| o.next()).min().expect("targets");
    let grid_end = origins
        .iter()
        .map(|o| o.offset(horizon as i64))
        .max()
        .expect("targets");
    let g = grid_start.steps_to(&grid_end) as usize + 1;
    let (mut rng, _) = rngs(first.seed);
    // Independent stratified normals per (period, target), mixed by the correlation's factor.
    let base = Shocks::latin_hypercube(n, g * k, &mut rng);
    let mut uniforms: Vec<Vec<f64>> = vec![vec![0.0; n * horizon]; k];
    let mut z = vec![0.0; k];
    for p in 0..n {
        for step in 0..g {
            for (j, zj) in z.iter_mut().enumerate() {
                *zj = normal_quantile(base.get(p, step * k + j));
            }
            for (i, target_u) in uniforms.iter_mut().enumerate() {
                let offset = grid_start.steps_to(&origins[i].next());
                let h = step as i64 - offset;
                if h < 0 || h >= horizon as i64 {
                    continue;
                }
                let mixed: f64 = (0..k).map(|j| chol[(i, j)] * z[j]).sum();
                target_u[p * horizon + h as usize] = normal_cdf(mixed);
            }
        }
    }
    let mut joint = vec![0.0; n * horizon * k];
    let mut components = Vec::with_capacity(k);
    for (i, (target, u)) in targets.into_iter().zip(uniforms).enumerate() {
        let shocks = Shocks::from_uniforms(n, horizon, u);
        let mut aux = aux_rng(first.seed, i as u64);
        let samples = target.simulate(&shocks, &mut aux);
        for p in 0..n {
            joint[p * horizon * k + i * horizon..p * horizon * k + (i + 1) * horizon]
                .copy_from_slice(&samples[p * horizon..(p + 1) * horizon]);
        }
        components.push(finish(&target, horizon, samples)?);
    }
    Ok(JointForecast {
        components,
        dist: PredictiveDistribution::from_paths(horizon * k, joint)?,
        correlation: (0..k)
            .map(|i| (0..k).map(|j| correlation[(i, j)]).collect())
            .collect(),
        overlap,
    })
}

/// Pairwise correlation of normal scores of the residuals over their common periods (pairs with
/// fewer than [`MIN_CORRELATION_OVERLAP`] common periods are uncorrelated).
fn shock_correlation(residuals: &[&[(Period, f64)]]) -> (DMatrix<f64>, Vec<Vec<usize>>) {
    let k = residuals.len();
    let scores: Vec<std::collections::BTreeMap<Period, f64>> =
        residuals.iter().map(|r| normal_scores(r)).collect();
    let mut corr = DMatrix::identity(k, k);
    let mut overlap = vec![vec![0; k]; k];
    for i in 0..k {
        overlap[i][i] = scores[i].len();
        for j in i + 1..k {
            let pairs: Vec<(f64, f64)> = scores[i]
                .iter()
                .filter_map(|(p, a)| scores[j].get(p).map(|b| (*a, *b)))
                .collect();
            overlap[i][j] = pairs.len();
            overlap[j][i] = pairs.len();
            if pairs.len() >= MIN_CORRELATION_OVERLAP {
                let r = crate::analysis::ccf::pearson(&pairs);
                if r.is_finite() {
                    corr[(i, j)] = r;
                    corr[(j, i)] = r;
                }
            }
        }
    }
    (corr, overlap)
}

/// Van der Waerden normal scores: `Φ⁻¹((rank + 0.5) / n)`, robust to the heavy tails of
/// 2020's errors.
fn normal_scores(r: &[(Period, f64)]) -> std::collections::BTreeMap<Period, f64> {
    let mut order: Vec<usize> = (0..r.len()).collect();
    order.sort_by(|&a, &b| r[a].1.total_cmp(&r[b].1));
    let n = r.len() as f64;
    order
        .iter()
        .enumerate()
        .map(|(rank, &i)| (r[i].0, normal_quantile((rank as f64 + 0.5) / n)))
        .collect()
}

/// A factor `L` with `L Lᵀ` the nearest correlation matrix to `c` by eigenvalue clipping
/// (pairwise estimates need not be positive semi-definite), rows normalised to unit length so
/// every marginal stays standard normal.
fn psd_factor(c: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new(c.clone());
    let k = c.nrows();
    let mut l = DMatrix::zeros(k, k);
    for j in 0..k {
        let s = eig.eigenvalues[j].max(0.0).sqrt();
        for i in 0..k {
            l[(i, j)] = eig.eigenvectors[(i, j)] * s;
        }
    }
    for i in 0..k {
        let norm = l.row(i).norm();
        if norm > 0.0 {
            for j in 0..k {
                l[(i, j)] /= norm;
            }
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::naive;
    use crate::forecast::shocks::SimRng;
    use crate::forecast::{History, Model, TrainingData};
    use crate::model::Frequency;
    use rand::SeedableRng;

    /// Synthetic data (stated as such): two monthly random walks, 200 months, whose log
    /// innovations have a known correlation. Fitting each with a model and correlating the
    /// models' one-step errors recovers it within ±0.1.
    #[test]
    fn shock_correlation_recovers_a_known_correlation_from_model_errors() {
        use rand_distr::{Distribution, StandardNormal};
        let start = Period::parse("2000-01", Frequency::Month).unwrap();
        let mut rng = SimRng::seed_from_u64(11);
        for rho in [0.0, 0.6, -0.4, 0.9] {
            let (mut a, mut b) = (7.0f64, 9.0f64);
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            for i in 0..=200 {
                let z1: f64 = StandardNormal.sample(&mut rng);
                let z2: f64 = StandardNormal.sample(&mut rng);
                a += 0.05 * z1;
                b += 0.08 * (rho * z1 + (1.0 - rho * rho).sqrt() * z2);
                pa.push((start.offset(i), a.exp()));
                pb.push((start.offset(i), b.exp()));
            }
            let fit = |pts: &[(Period, f64)]| {
                naive::Naive
                    .fit(&TrainingData {
                        history: History::from_points("x", Frequency::Month, pts).unwrap(),
                        drivers: Vec::new(),
                    })
                    .unwrap()
            };
            let (fa, fb) = (fit(&pa), fit(&pb));
            let (c, overlap) = shock_correlation(&[fa.residuals(), fb.residuals()]);
            assert!(overlap[0][1] >= 190, "{overlap:?}");
            assert!(
                (c[(0, 1)] - rho).abs() < 0.1,
                "rho {rho}: estimated {}",
                c[(0, 1)]
            );
        }
    }

    #[test]
    fn psd_factor_reproduces_a_valid_correlation() {
        let c = DMatrix::from_row_slice(3, 3, &[1.0, 0.6, 0.3, 0.6, 1.0, 0.5, 0.3, 0.5, 1.0]);
        let l = psd_factor(&c);
        let back = &l * l.transpose();
        assert!((back - c).amax() < 1e-12);
        // An impossible pairwise set (not PSD) still gives unit variances.
        let bad = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0]);
        let back = {
            let l = psd_factor(&bad);
            &l * l.transpose()
        };
        for i in 0..3 {
            assert!((back[(i, i)] - 1.0).abs() < 1e-12);
        }
    }
}
