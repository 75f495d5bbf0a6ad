//! The randomness of a forecast: stratified uniform shocks, and error pools that turn them into
//! model errors.
//!
//! Every model in `crate::forecast` simulates its sample paths from a [`Shocks`] matrix — one
//! uniform number in (0, 1) per path and step — and maps each uniform to an error through the
//! inverse CDF of its own error distribution ([`ErrorPool::draw`]). Keeping the randomness outside
//! the models is what makes joint forecasts possible: `super::forecast_joint` correlates the
//! uniforms of several targets (a Gaussian copula) and every model's marginal stays exactly what
//! it would have been alone.
//!
//! The uniforms are Latin-hypercube stratified per step: among `n` paths, step `h` has exactly
//! one uniform in each interval `[i/n, (i+1)/n)`, in random order. A one-step marginal then has
//! Monte Carlo error of order `1/n` instead of `1/√n` (10,000 paths: about 1e-4 instead of 5e-3
//! on a probability), which is what lets a market price be quoted to three decimals. Steps are
//! permuted independently, so paths are still independent draws across steps.

use rand::RngExt;
use rand::seq::SliceRandom;
use statrs::distribution::{ContinuousCDF, Normal};

/// The random number generator of every forecast: PCG-64 (`rand_pcg::Pcg64`), a named
/// generator whose output for a seed is fixed by its algorithm, so "same seed, same report"
/// survives dependency upgrades (rand documents `SimRng` as free to change between versions).
pub type SimRng = rand_pcg::Pcg64;

/// One uniform number per path and step, path-major (`u[path * horizon + step]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Shocks {
    n_paths: usize,
    horizon: usize,
    u: Vec<f64>,
}

impl Shocks {
    /// Latin-hypercube uniforms: for each step, one draw in each of the `n_paths` equal strata of
    /// (0, 1), in an order shuffled independently per step.
    pub fn latin_hypercube(n_paths: usize, horizon: usize, rng: &mut SimRng) -> Shocks {
        let mut u = vec![0.0; n_paths * horizon];
        let mut perm: Vec<usize> = (0..n_paths).collect();
        for h in 0..horizon {
            perm.shuffle(rng);
            for (path, &stratum) in perm.iter().enumerate() {
                let jitter: f64 = rng.random();
                u[path * horizon + h] = clamp_open((stratum as f64 + jitter) / n_paths as f64);
            }
        }
        Shocks {
            n_paths,
            horizon,
            u,
        }
    }

    /// Shocks from given uniforms (path-major); values are clamped into the open interval (0, 1).
    pub fn from_uniforms(n_paths: usize, horizon: usize, mut u: Vec<f64>) -> Shocks {
        assert_eq!(u.len(), n_paths * horizon, "uniforms must fill whole paths");
        for v in &mut u {
            *v = clamp_open(*v);
        }
        Shocks {
            n_paths,
            horizon,
            u,
        }
    }

    pub fn n_paths(&self) -> usize {
        self.n_paths
    }

    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// The uniform of `path` at step `h` (0-based: `h = 0` is one period ahead).
    pub fn get(&self, path: usize, h: usize) -> f64 {
        self.u[path * self.horizon + h]
    }

    /// The uniforms of one path.
    pub fn path(&self, path: usize) -> &[f64] {
        &self.u[path * self.horizon..(path + 1) * self.horizon]
    }
}

/// One generator per path for a model's auxiliary randomness (a driver's simulated future, the
/// nowcast bridge's residuals), seeded from `aux`. Each path then consumes its own stream step by
/// step, so the first `h` steps of a forecast are the same whatever horizon was asked for.
pub fn path_rngs(aux: &mut SimRng, n_paths: usize) -> impl Iterator<Item = SimRng> + use<> {
    let seeds: Vec<u64> = (0..n_paths).map(|_| aux.random()).collect();
    seeds
        .into_iter()
        .map(<SimRng as rand::SeedableRng>::seed_from_u64)
}

/// Keep a uniform strictly inside (0, 1) so that inverse CDFs stay finite.
fn clamp_open(u: f64) -> f64 {
    u.clamp(1e-12, 1.0 - 1e-12)
}

/// The standard normal quantile `Φ⁻¹(u)` (`u` is clamped into (0, 1)), by Wichura's algorithm
/// AS 241 (`PPND16`, Applied Statistics 37, 1988; the one R's `qnorm` uses): rational
/// approximations with relative error about 1e-16.
///
/// Hand-written rather than `statrs`' `Normal::inverse_cdf` for speed: every sample path draws
/// one quantile per step (the error pools' kernel, the joint forecasts' copula), and statrs'
/// general `erf_inv` was a quarter of the CPU time of `portcast run`; this takes a few
/// nanoseconds. Tested against statrs to 1e-13 across (0, 1), tails included.
pub fn normal_quantile(u: f64) -> f64 {
    let p = clamp_open(u);
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num = ((((((2_509.080_928_730_122_7 * r + 33_430.575_583_588_13) * r
            + 67_265.770_927_008_7)
            * r
            + 45_921.953_931_549_87)
            * r
            + 13_731.693_765_509_46)
            * r
            + 1_971.590_950_306_551_3)
            * r
            + 133.141_667_891_784_38)
            * r
            + 3.387_132_872_796_366_5;
        let den = ((((((5_226.495_278_852_546 * r + 28_729.085_735_721_943) * r
            + 39_307.895_800_092_71)
            * r
            + 21_213.794_301_586_597)
            * r
            + 5_394.196_021_424_751)
            * r
            + 687.187_007_492_057_9)
            * r
            + 42.313_330_701_600_91)
            * r
            + 1.0;
        return q * num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        r -= 1.6;
        let num = ((((((7.745_450_142_783_414e-4 * r + 0.022_723_844_989_269_185) * r
            + 0.241_780_725_177_450_6)
            * r
            + 1.270_458_252_452_368_4)
            * r
            + 3.647_848_324_763_204_5)
            * r
            + 5.769_497_221_460_691)
            * r
            + 4.630_337_846_156_545)
            * r
            + 1.423_437_110_749_683_5;
        let den = ((((((1.050_750_071_644_416_8e-9 * r + 5.475_938_084_995_345e-4) * r
            + 0.015_198_666_563_616_457)
            * r
            + 0.148_103_976_427_480_07)
            * r
            + 0.689_767_334_985_1)
            * r
            + 1.676_384_830_183_803_8)
            * r
            + 2.053_191_626_637_759)
            * r
            + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.010_334_399_292_288e-7 * r + 2.711_555_568_743_487_6e-5) * r
            + 1.242_660_947_388_078_4e-3)
            * r
            + 0.026_532_189_526_576_124)
            * r
            + 0.296_560_571_828_504_9)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((2.044_263_103_389_939_8e-15 * r + 1.421_511_758_316_446e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_133e-4)
            * r
            + 0.014_875_361_290_850_615)
            * r
            + 0.136_929_880_922_735_8)
            * r
            + 0.599_832_206_555_887_9)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 { -z } else { z }
}

/// The standard normal CDF `Φ(z)`.
pub fn normal_cdf(z: f64) -> f64 {
    standard_normal().cdf(z)
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// A model's error distribution: the empirical distribution of its own past errors, smoothed by
/// a small Gaussian kernel (a smoothed bootstrap), so a forecast has no atoms and a binary
/// contract's probability does not jump in steps of `1/n` as its strike moves.
///
/// [`ErrorPool::draw`] is the inverse CDF of that distribution: `u·n` picks an error (its integer
/// part) and places the kernel draw (its fractional part), so stratified uniforms give stratified
/// errors.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorPool {
    sorted: Vec<f64>,
    bandwidth: f64,
}

impl ErrorPool {
    /// A pool of errors (non-finite ones are dropped). Bandwidth: Silverman's rule of thumb
    /// `0.9 · min(sd, IQR/1.34) · n^(−1/5)`, shrunk by half — enough to remove the atoms,
    /// small enough to leave the spread (variance grows by `bandwidth²`) nearly untouched.
    pub fn new(errors: impl IntoIterator<Item = f64>) -> ErrorPool {
        let mut sorted: Vec<f64> = errors.into_iter().filter(|e| e.is_finite()).collect();
        sorted.sort_unstable_by(f64::total_cmp);
        let n = sorted.len();
        let bandwidth = if n < 2 {
            0.0
        } else {
            let mean = sorted.iter().sum::<f64>() / n as f64;
            let sd =
                (sorted.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let q = |p: f64| {
                let r = (n - 1) as f64 * p;
                let lo = r.floor() as usize;
                let hi = (lo + 1).min(n - 1);
                sorted[lo] + (r - lo as f64) * (sorted[hi] - sorted[lo])
            };
            let iqr = (q(0.75) - q(0.25)) / 1.34;
            let spread = if iqr > 0.0 { sd.min(iqr) } else { sd };
            0.45 * spread * (n as f64).powf(-0.2)
        };
        ErrorPool { sorted, bandwidth }
    }

    /// Multiply every error by `factor` (e.g. `√(n / (n − k))` for a regression's residuals,
    /// which understate the error of a forecast by the degrees of freedom the fit used).
    pub fn scaled(mut self, factor: f64) -> ErrorPool {
        for e in &mut self.sorted {
            *e *= factor;
        }
        self.bandwidth *= factor;
        self
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The errors, ascending.
    pub fn errors(&self) -> &[f64] {
        &self.sorted
    }

    /// The error at uniform `u ∈ (0, 1)` (see the type's docs). Panics on an empty pool: models
    /// check the pool's size when they are fitted.
    pub fn draw(&self, u: f64) -> f64 {
        let n = self.sorted.len();
        let r = clamp_open(u) * n as f64;
        let i = (r.floor() as usize).min(n - 1);
        let within = r - i as f64;
        if self.bandwidth > 0.0 {
            self.sorted[i] + self.bandwidth * normal_quantile(within)
        } else {
            self.sorted[i]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn latin_hypercube_puts_one_draw_in_each_stratum() {
        let mut rng = SimRng::seed_from_u64(3);
        let s = Shocks::latin_hypercube(50, 3, &mut rng);
        for h in 0..3 {
            let mut strata: Vec<usize> = (0..50)
                .map(|p| (s.get(p, h) * 50.0).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..50).collect::<Vec<_>>(), "step {h}");
        }
        // Steps are shuffled independently: the path orders differ.
        let order = |h: usize| {
            (0..50)
                .map(|p| (s.get(p, h) * 50.0) as usize)
                .collect::<Vec<_>>()
        };
        assert_ne!(order(0), order(1));
    }

    #[test]
    fn normal_quantile_matches_statrs_across_the_unit_interval() {
        let exact = Normal::standard();
        let mut us: Vec<f64> = (1..100_000).map(|i| i as f64 / 100_000.0).collect();
        // The tails, down to the clamp, and the branch points (|q| = 0.425, r = 5).
        for k in 1..=12 {
            let t = 10f64.powi(-k);
            us.extend([t, 3.0 * t, 1.0 - t]);
        }
        us.extend([0.075, 0.925, 0.074_999_999, (-25.0f64).exp(), 1.389e-11]);
        for u in us {
            let (got, want) = (
                normal_quantile(u),
                exact.inverse_cdf(u.clamp(1e-12, 1.0 - 1e-12)),
            );
            let tol = 1e-13 * want.abs().max(1.0);
            assert!((got - want).abs() <= tol, "u = {u:e}: {got} vs {want}");
        }
        assert_eq!(normal_quantile(0.5), 0.0);
        assert_eq!(normal_quantile(0.0), normal_quantile(1e-12));
        assert!(normal_quantile(1.0).is_finite());
    }

    #[test]
    fn error_pool_reproduces_its_errors() {
        let pool = ErrorPool::new([3.0, -1.0, 2.0, f64::NAN, 0.0]);
        assert_eq!(pool.errors(), &[-1.0, 0.0, 2.0, 3.0]);
        // Each quarter of (0, 1) maps near one error; the median of a stratum is the error itself.
        for (i, e) in [-1.0, 0.0, 2.0, 3.0].iter().enumerate() {
            let u = (i as f64 + 0.5) / 4.0;
            assert!((pool.draw(u) - e).abs() < 1e-12, "{u}");
        }
        // Stratified draws keep the mean (the kernel is symmetric).
        let n = 4000;
        let mean: f64 = (0..n)
            .map(|i| pool.draw((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64;
        assert!((mean - 1.0).abs() < 1e-3, "{mean}");
        let scaled = pool.clone().scaled(2.0);
        assert_eq!(scaled.errors(), &[-2.0, 0.0, 4.0, 6.0]);
    }
}
