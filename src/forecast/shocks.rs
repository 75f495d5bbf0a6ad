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
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use statrs::distribution::{ContinuousCDF, Normal};

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
    pub fn latin_hypercube(n_paths: usize, horizon: usize, rng: &mut StdRng) -> Shocks {
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
pub fn path_rngs(aux: &mut StdRng, n_paths: usize) -> impl Iterator<Item = StdRng> + use<> {
    let seeds: Vec<u64> = (0..n_paths).map(|_| aux.random()).collect();
    seeds
        .into_iter()
        .map(<StdRng as rand::SeedableRng>::seed_from_u64)
}

/// Keep a uniform strictly inside (0, 1) so that inverse CDFs stay finite.
fn clamp_open(u: f64) -> f64 {
    u.clamp(1e-12, 1.0 - 1e-12)
}

/// The standard normal quantile `Φ⁻¹(u)`.
pub fn normal_quantile(u: f64) -> f64 {
    standard_normal().inverse_cdf(clamp_open(u))
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
        let mut rng = StdRng::seed_from_u64(3);
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
