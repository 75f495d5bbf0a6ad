//! The predictive distribution: what every model hands to the pricing and scoring code.
//!
//! A forecast is kept as joint Monte Carlo sample paths, not as per-horizon summaries, so that
//! questions about a whole path ("is any of the next two months above 4.4M TEU?") and about
//! combinations of correlated quantities (an index basket) can be answered with the same
//! draws. Models in `crate::analysis` produce a [`PredictiveDistribution`]; contract pricing in
//! `crate::markets::contract` reads probabilities and expectations off it, and
//! `crate::analysis::score` judges it against what was later published.
//!
//! Conventions:
//! - Horizon indices are **0-based**: `h = 0` is the first forecast step (one period ahead).
//!   The "horizon" axis may equally carry the components of a basket: it is simply the
//!   coordinate of a joint draw.
//! - Probabilities are empirical frequencies over the paths, with exact strict/non-strict
//!   comparisons (`prob_above` is `P(X > k)`, `prob_at_least` is `P(X ≥ k)`).
//! - A NaN threshold gives a NaN probability (as any float arithmetic would), never a
//!   silently wrong number.
//! - Quantiles are Hyndman–Fan **type 7** (linear interpolation between order statistics, the
//!   default of numpy and R; polars 0.55 defaults to "nearest"). statrs' `Data::quantile` is
//!   type 8; do not mix them.

use std::fmt;

use rand::SeedableRng;
use thiserror::Error;

/// The random number generator of every forecast: PCG-64 (`rand_pcg::Pcg64`), a named
/// generator whose output for a seed is fixed by its algorithm, so "same seed, same report"
/// survives dependency upgrades (rand documents `StdRng` as free to change between versions).
pub type SimRng = rand_pcg::Pcg64;

/// Number of sample paths a model should draw unless it has a reason to do otherwise.
pub const DEFAULT_PATHS: usize = 10_000;

/// Sort floats ascending in the order of [`f64::total_cmp`], about 1.6 times as fast as
/// `sort_unstable_by(f64::total_cmp)`: each value is mapped in place to the bits of its
/// order-preserving unsigned key (the same map `total_cmp` applies at every comparison), the
/// slice is sorted by plain integer comparisons, and the map is undone. Sorting sample
/// marginals is a large share of forecasting and scoring time.
pub fn sort_floats(v: &mut [f64]) {
    const SIGN: u64 = 1 << 63;
    for x in v.iter_mut() {
        let b = x.to_bits();
        *x = f64::from_bits(if b & SIGN != 0 { !b } else { b | SIGN });
    }
    v.sort_unstable_by_key(|x| x.to_bits());
    for x in v.iter_mut() {
        let k = x.to_bits();
        *x = f64::from_bits(if k & SIGN != 0 { k & !SIGN } else { !k });
    }
}

/// Why a predictive distribution could not be built or queried.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DistributionError {
    #[error("a predictive distribution needs at least one horizon")]
    NoHorizons,
    #[error("a predictive distribution needs at least one sample path")]
    NoPaths,
    #[error("{len} samples do not split into whole paths of {horizons} horizons")]
    RaggedPaths { len: usize, horizons: usize },
    #[error("sample of path {path} at horizon {horizon} is not finite ({value})")]
    NonFinite {
        path: usize,
        horizon: usize,
        value: f64,
    },
    #[error("horizon {h} is out of range: this distribution covers horizons 0..{horizons}")]
    HorizonOutOfRange { h: usize, horizons: usize },
    #[error("{n_paths} paths of {horizons} horizons are too many to store")]
    TooLarge { horizons: usize, n_paths: usize },
    #[error("quantile level {0} is outside [0, 1]")]
    InvalidLevel(f64),
}

/// Joint sample paths of a forecast: `n_paths` draws, each a vector over `horizons` steps.
///
/// Samples are stored path-major (`samples[path * horizons + h]`), and a sorted copy of a
/// horizon's marginal is made the first time that horizon is asked for and kept, so
/// [`Marginal::cdf`] and [`Marginal::quantile`] are then `O(log n)` and `O(1)`. (Sorting on first
/// use matters when a distribution reaches far: a market priced three years past a stale series
/// reads one horizon of a hundred and fifty.)
#[derive(Clone)]
pub struct PredictiveDistribution {
    horizons: usize,
    n_paths: usize,
    /// Path-major: path `i` is `samples[i * horizons..(i + 1) * horizons]`.
    samples: Vec<f64>,
    /// Per horizon, its samples sorted ascending, once asked for.
    sorted: Vec<std::sync::OnceLock<Box<[f64]>>>,
}

/// Equal samples make equal distributions, whichever marginals have been sorted so far.
impl PartialEq for PredictiveDistribution {
    fn eq(&self, other: &Self) -> bool {
        self.horizons == other.horizons && self.samples == other.samples
    }
}

impl fmt::Debug for PredictiveDistribution {
    // Deriving Debug would print every sample: tens of thousands of numbers in a test failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PredictiveDistribution")
            .field("horizons", &self.horizons)
            .field("n_paths", &self.n_paths)
            .finish_non_exhaustive()
    }
}

impl PredictiveDistribution {
    /// Builds a distribution from path-major samples: `samples.len()` must be a non-zero
    /// multiple of `horizons`, and every sample finite.
    pub fn from_paths(horizons: usize, samples: Vec<f64>) -> Result<Self, DistributionError> {
        if horizons == 0 {
            return Err(DistributionError::NoHorizons);
        }
        if samples.is_empty() {
            return Err(DistributionError::NoPaths);
        }
        if !samples.len().is_multiple_of(horizons) {
            return Err(DistributionError::RaggedPaths {
                len: samples.len(),
                horizons,
            });
        }
        if let Some(i) = samples.iter().position(|v| !v.is_finite()) {
            return Err(DistributionError::NonFinite {
                path: i / horizons,
                horizon: i % horizons,
                value: samples[i],
            });
        }
        let n_paths = samples.len() / horizons;
        Ok(Self {
            horizons,
            n_paths,
            samples,
            sorted: (0..horizons).map(|_| std::sync::OnceLock::new()).collect(),
        })
    }

    /// Builds a one-horizon distribution from draws of a single quantity.
    pub fn from_marginal_samples(samples: Vec<f64>) -> Result<Self, DistributionError> {
        Self::from_paths(1, samples)
    }

    /// Draws `n_paths` paths with `sample_path`, which fills one path (a slice of length
    /// `horizons`) per call from the shared generator.
    ///
    /// The generator is `SimRng::seed_from_u64(seed)`: the same seed and closure give identical
    /// samples (PCG-64's stream is fixed by its algorithm, unlike rand's `StdRng`, whose stream
    /// may change between rand versions).
    pub fn from_sampler(
        horizons: usize,
        n_paths: usize,
        seed: u64,
        mut sample_path: impl FnMut(&mut SimRng, &mut [f64]),
    ) -> Result<Self, DistributionError> {
        if horizons == 0 {
            return Err(DistributionError::NoHorizons);
        }
        let len = horizons
            .checked_mul(n_paths)
            .ok_or(DistributionError::TooLarge { horizons, n_paths })?;
        let mut rng = SimRng::seed_from_u64(seed);
        let mut samples = vec![0.0; len];
        for path in samples.chunks_exact_mut(horizons) {
            sample_path(&mut rng, path);
        }
        Self::from_paths(horizons, samples)
    }

    /// A degenerate forecast: `n` identical paths equal to `values_per_horizon` (for a
    /// known outcome, or a point forecast used as a baseline).
    pub fn point_mass(values_per_horizon: &[f64], n: usize) -> Result<Self, DistributionError> {
        let horizons = values_per_horizon.len();
        if horizons.checked_mul(n).is_none() {
            return Err(DistributionError::TooLarge {
                horizons,
                n_paths: n,
            });
        }
        Self::from_paths(horizons, values_per_horizon.repeat(n))
    }

    /// Number of horizons (the length of each path).
    pub fn horizons(&self) -> usize {
        self.horizons
    }

    /// Number of sample paths.
    pub fn n_paths(&self) -> usize {
        self.n_paths
    }

    /// All samples, path-major.
    pub fn samples(&self) -> &[f64] {
        &self.samples
    }

    /// Iterates over the sample paths, each a slice of length [`Self::horizons`].
    pub fn paths(&self) -> std::slice::ChunksExact<'_, f64> {
        self.samples.chunks_exact(self.horizons)
    }

    /// Sort every horizon's samples now, horizons side by side (each marginal is otherwise
    /// sorted on first use, one after the other): for callers about to read them all.
    pub fn sort_marginals(&self) {
        use rayon::prelude::*;
        (0..self.horizons).into_par_iter().for_each(|h| {
            let _ = self.marginal(h);
        });
    }

    /// The marginal distribution at horizon `h` (0-based).
    pub fn marginal(&self, h: usize) -> Result<Marginal<'_>, DistributionError> {
        if h >= self.horizons {
            return Err(DistributionError::HorizonOutOfRange {
                h,
                horizons: self.horizons,
            });
        }
        let sorted = self.sorted[h].get_or_init(|| {
            let mut column: Box<[f64]> = self
                .samples
                .iter()
                .skip(h)
                .step_by(self.horizons)
                .copied()
                .collect();
            sort_floats(&mut column);
            column
        });
        Ok(Marginal { sorted })
    }

    /// `P(X_h ≤ x)`.
    pub fn cdf(&self, h: usize, x: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.cdf(x))
    }

    /// Type-7 quantile of `X_h` at level `p` (see [`Marginal::quantile`]).
    pub fn quantile(&self, h: usize, p: f64) -> Result<f64, DistributionError> {
        self.marginal(h)?.quantile(p)
    }

    /// `E[X_h]`.
    pub fn mean(&self, h: usize) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.mean())
    }

    /// `P(X_h > k)`.
    pub fn prob_above(&self, h: usize, k: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.prob_above(k))
    }

    /// `P(X_h ≥ k)`.
    pub fn prob_at_least(&self, h: usize, k: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.prob_at_least(k))
    }

    /// `P(X_h < k)`.
    pub fn prob_below(&self, h: usize, k: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.prob_below(k))
    }

    /// `P(X_h ≤ k)`.
    pub fn prob_at_most(&self, h: usize, k: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.prob_at_most(k))
    }

    /// `P(a ≤ X_h ≤ b)`, both ends inclusive; 0 when `a > b`.
    pub fn prob_between(&self, h: usize, a: f64, b: f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.prob_between(a, b))
    }

    /// `E[g(X_h)]`.
    pub fn expect(&self, h: usize, g: impl FnMut(f64) -> f64) -> Result<f64, DistributionError> {
        Ok(self.marginal(h)?.expect(g))
    }

    /// Probability of an event defined on a whole path, e.g. "some month within the first
    /// two is above k": `|p| p[..2].iter().any(|&x| x > k)`.
    pub fn prob_path(&self, mut event: impl FnMut(&[f64]) -> bool) -> f64 {
        let hits = self.paths().filter(|p| event(p)).count();
        hits as f64 / self.n_paths as f64
    }

    /// Expectation of a function of a whole path, e.g. the payout of a basket whose
    /// components are the path's coordinates.
    pub fn expect_path(&self, g: impl FnMut(&[f64]) -> f64) -> f64 {
        self.paths().map(g).sum::<f64>() / self.n_paths as f64
    }
}

/// A view of one horizon's marginal: its samples, sorted ascending (never empty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marginal<'a> {
    sorted: &'a [f64],
}

impl<'a> Marginal<'a> {
    /// The samples of this horizon in ascending order.
    pub fn sorted(&self) -> &'a [f64] {
        self.sorted
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always false: a distribution has at least one path. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// Share of samples for which `count` holds, or NaN for a NaN threshold.
    fn share(&self, x: f64, count: impl FnOnce(&[f64], f64) -> usize) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        count(self.sorted, x) as f64 / self.sorted.len() as f64
    }

    /// `P(X ≤ x)`, the empirical CDF.
    pub fn cdf(&self, x: f64) -> f64 {
        self.prob_at_most(x)
    }

    /// `P(X ≤ k)`.
    pub fn prob_at_most(&self, k: f64) -> f64 {
        self.share(k, count_at_most)
    }

    /// `P(X < k)`.
    pub fn prob_below(&self, k: f64) -> f64 {
        self.share(k, count_below)
    }

    /// `P(X > k)`.
    pub fn prob_above(&self, k: f64) -> f64 {
        self.share(k, |s, k| s.len() - count_at_most(s, k))
    }

    /// `P(X ≥ k)`.
    pub fn prob_at_least(&self, k: f64) -> f64 {
        self.share(k, |s, k| s.len() - count_below(s, k))
    }

    /// `P(a ≤ X ≤ b)`, both ends inclusive; 0 when `a > b` (the empty interval), NaN if either
    /// end is NaN.
    pub fn prob_between(&self, a: f64, b: f64) -> f64 {
        if a.is_nan() {
            return f64::NAN;
        }
        self.share(b, |s, b| {
            count_at_most(s, b).saturating_sub(count_below(s, a))
        })
    }

    /// Probability that `lower ≤ X < upper` (half-open), with `None` for an open end. Used
    /// for bucket sets, whose buckets tile the line without sharing boundary points.
    pub fn prob_half_open(&self, lower: Option<f64>, upper: Option<f64>) -> f64 {
        if lower.is_some_and(f64::is_nan) || upper.is_some_and(f64::is_nan) {
            return f64::NAN;
        }
        let n = self.sorted.len();
        let from = lower.map_or(0, |a| count_below(self.sorted, a));
        let to = upper.map_or(n, |b| count_below(self.sorted, b));
        to.saturating_sub(from) as f64 / n as f64
    }

    /// `E[X]`.
    pub fn mean(&self) -> f64 {
        self.expect(|x| x)
    }

    /// `E[g(X)]`, the average of `g` over the samples.
    pub fn expect(&self, mut g: impl FnMut(f64) -> f64) -> f64 {
        self.sorted.iter().map(|&x| g(x)).sum::<f64>() / self.sorted.len() as f64
    }

    /// The Hyndman–Fan type-7 quantile at level `p ∈ [0, 1]`: with sorted samples
    /// `x[0..n]`, `r = (n − 1)·p`, the result is `x[⌊r⌋] + (r − ⌊r⌋)·(x[⌊r⌋+1] − x[⌊r⌋])`.
    /// This is numpy's default and R's `type = 7`, and polars' `QuantileMethod::Linear` (polars
    /// 0.55 defaults to `Nearest`, which differs): `[1, 2, 3, 4]` → median 2.5, q0.25 = 1.75.
    pub fn quantile(&self, p: f64) -> Result<f64, DistributionError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(DistributionError::InvalidLevel(p));
        }
        let x = self.sorted;
        let r = (x.len() - 1) as f64 * p;
        let lo = r.floor() as usize;
        let frac = r - lo as f64;
        Ok(match x.get(lo + 1) {
            Some(&next) if frac > 0.0 => x[lo] + frac * (next - x[lo]),
            _ => x[lo],
        })
    }
}

/// Number of sorted samples strictly below `x`.
fn count_below(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v < x)
}

/// Number of sorted samples at most `x`.
fn count_at_most(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v <= x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_floats_orders_as_total_cmp() {
        let mut rng = SimRng::seed_from_u64(9);
        let mut v: Vec<f64> = (0..5_000)
            .map(|_| (rng.random::<f64>() - 0.5) * 1e6)
            .collect();
        v.extend([
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
            1.0,
            1.0,
            -1.0,
        ]);
        let mut want = v.clone();
        want.sort_by(f64::total_cmp);
        sort_floats(&mut v);
        let bits = |s: &[f64]| s.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&v), bits(&want));
        let mut empty: [f64; 0] = [];
        sort_floats(&mut empty);
    }
    use rand::RngExt;
    use rand_distr::{Distribution, Normal};

    fn tiny() -> PredictiveDistribution {
        // Deliberately unsorted, with a tie at 2.
        PredictiveDistribution::from_marginal_samples(vec![3.0, 1.0, 4.0, 2.0, 2.0]).unwrap()
    }

    #[test]
    fn type7_quantiles_match_hand_example() {
        // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
        let d = PredictiveDistribution::from_marginal_samples(vec![4.0, 2.0, 1.0, 3.0]).unwrap();
        let m = d.marginal(0).unwrap();
        for (p, want) in [(0.0, 1.0), (0.25, 1.75), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)] {
            assert!((m.quantile(p).unwrap() - want).abs() < 1e-12, "p = {p}");
        }
        assert_eq!(m.quantile(1.5), Err(DistributionError::InvalidLevel(1.5)));
        assert!(m.quantile(f64::NAN).is_err());
    }

    #[test]
    fn strict_and_inclusive_probabilities_differ_at_ties() {
        let d = tiny(); // samples 1, 2, 2, 3, 4
        assert_eq!(d.prob_above(0, 2.0).unwrap(), 0.4);
        assert_eq!(d.prob_at_least(0, 2.0).unwrap(), 0.8);
        assert_eq!(d.prob_below(0, 2.0).unwrap(), 0.2);
        assert_eq!(d.prob_at_most(0, 2.0).unwrap(), 0.6);
        assert_eq!(d.cdf(0, 2.0).unwrap(), 0.6);
        assert_eq!(d.prob_between(0, 2.0, 3.0).unwrap(), 0.6);
        assert_eq!(d.prob_between(0, 3.0, 2.0).unwrap(), 0.0);
        assert_eq!(d.mean(0).unwrap(), 2.4);
        assert_eq!(d.expect(0, |x| x * x).unwrap(), 34.0 / 5.0);
        let m = d.marginal(0).unwrap();
        assert_eq!(m.prob_half_open(Some(2.0), Some(3.0)), 0.4);
        assert_eq!(m.prob_half_open(None, Some(2.0)), 0.2);
        assert_eq!(m.prob_half_open(Some(3.0), None), 0.4);
        assert!(m.prob_above(f64::NAN).is_nan());
        assert!(m.prob_between(f64::NAN, 1.0).is_nan());
        assert_eq!(m.prob_above(f64::NEG_INFINITY), 1.0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        use DistributionError as E;
        assert_eq!(
            PredictiveDistribution::from_paths(0, vec![1.0]),
            Err(E::NoHorizons)
        );
        assert_eq!(
            PredictiveDistribution::from_paths(2, vec![]),
            Err(E::NoPaths)
        );
        assert_eq!(
            PredictiveDistribution::from_paths(2, vec![1.0, 2.0, 3.0]),
            Err(E::RaggedPaths {
                len: 3,
                horizons: 2
            })
        );
        let err = PredictiveDistribution::from_paths(2, vec![1.0, 2.0, 3.0, f64::INFINITY]);
        assert!(matches!(
            err,
            Err(E::NonFinite {
                path: 1,
                horizon: 1,
                ..
            })
        ));
        assert_eq!(
            tiny().cdf(1, 0.0),
            Err(E::HorizonOutOfRange { h: 1, horizons: 1 })
        );
        assert_eq!(
            PredictiveDistribution::point_mass(&[], 3),
            Err(E::NoHorizons)
        );
        assert_eq!(
            PredictiveDistribution::point_mass(&[1.0], 0),
            Err(E::NoPaths)
        );
    }

    #[test]
    fn marginals_and_path_events_use_the_joint_draws() {
        // Paths (h0, h1): (1, 10), (5, 2), (3, 7)
        let d = PredictiveDistribution::from_paths(2, vec![1.0, 10.0, 5.0, 2.0, 3.0, 7.0]).unwrap();
        assert_eq!(d.n_paths(), 3);
        assert_eq!(d.marginal(0).unwrap().sorted(), &[1.0, 3.0, 5.0]);
        assert_eq!(d.marginal(1).unwrap().sorted(), &[2.0, 7.0, 10.0]);
        assert_eq!(d.paths().nth(1), Some(&[5.0, 2.0][..]));
        // Any step above 6: paths 1 and 3. Both above 2: paths 1 and 3... (1,10) no: 1 ≤ 2.
        assert_eq!(d.prob_path(|p| p.iter().any(|&x| x > 6.0)), 2.0 / 3.0);
        assert_eq!(d.prob_path(|p| p.iter().all(|&x| x > 2.0)), 1.0 / 3.0);
        // A basket 0.5·h0 + 0.5·h1: 5.5, 3.5, 5.0 → mean 14/3.
        let basket = d.expect_path(|p| 0.5 * p[0] + 0.5 * p[1]);
        assert!((basket - 14.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn point_mass_repeats_the_values() {
        let d = PredictiveDistribution::point_mass(&[4.2, 4.4], 5).unwrap();
        assert_eq!(d.n_paths(), 5);
        assert_eq!(d.quantile(1, 0.3).unwrap(), 4.4);
        assert_eq!(d.prob_at_least(0, 4.2).unwrap(), 1.0);
        assert_eq!(d.prob_above(0, 4.2).unwrap(), 0.0);
    }

    #[test]
    fn same_seed_same_samples() {
        let normal = Normal::new(0.0, 1.0).unwrap();
        let draw = |seed| {
            PredictiveDistribution::from_sampler(3, 100, seed, |rng, path| {
                let mut level = 0.0;
                for x in path {
                    level += normal.sample(rng) + rng.random_range(0.0..0.1);
                    *x = level;
                }
            })
            .unwrap()
        };
        assert_eq!(draw(7).samples(), draw(7).samples());
        assert_ne!(draw(7).samples(), draw(8).samples());
    }

    #[test]
    fn normal_samples_match_closed_forms() {
        use statrs::distribution::{ContinuousCDF, Normal as StatNormal};
        let (mu, sigma) = (4.3, 0.2);
        let normal = Normal::new(mu, sigma).unwrap();
        let d = PredictiveDistribution::from_sampler(1, DEFAULT_PATHS, 42, |rng, path| {
            path[0] = normal.sample(rng);
        })
        .unwrap();
        let exact = StatNormal::new(mu, sigma).unwrap();
        for x in [4.0, 4.2, 4.3, 4.5] {
            assert!(
                (d.cdf(0, x).unwrap() - exact.cdf(x)).abs() < 0.015,
                "x = {x}"
            );
        }
        // Standard error of the mean is σ/100 = 0.002.
        assert!((d.mean(0).unwrap() - mu).abs() < 0.008);
        let q90 = d.quantile(0, 0.9).unwrap();
        assert!((q90 - exact.inverse_cdf(0.9)).abs() < 0.01);
    }
}
