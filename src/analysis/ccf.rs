//! Cross-correlation of two aligned series over a range of leads and lags, with honest bands.
//!
//! `r(k) = corr(x_t, y_{t+k})` for `k = −K..=K`: a positive `k` means `x` leads `y` by `k` periods.
//! Levels of trending or autocorrelated series correlate spuriously, so by default `x` is
//! pre-whitened: an AR model is fitted to `x` (order by AIC, `super::ar`), both `x` and `y` are
//! passed through that same filter, and the CCF of the filtered series is compared with the
//! white-noise band `±z/√n`. On request the raw CCF is computed instead, with a Bartlett band that
//! widens for autocorrelation. The best lag is then tested allowing for the number of lags
//! scanned. `super::granger` answers the complementary question (do lags of `x` improve a
//! regression forecast of `y`?).
//!
//! Missing values (`None`, NaN, ±∞) are dropped pairwise: each lag uses only the periods where both
//! `x_t` and `y_{t+k}` exist.

use std::ops::Range;

use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

use super::ar::{self, ArError, ArModel};
use super::linalg::MaybeMissing;

/// Fewest pairs for which a lag's correlation is reported (the Fisher interval needs `n > 3`).
pub const MIN_PAIRS: usize = 4;

/// Why a cross-correlation could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CcfError {
    /// `x` and `y` must cover the same periods.
    #[error("x and y must be aligned on the same periods: x has {x} values, y has {y}")]
    LengthMismatch { x: usize, y: usize },
    /// The confidence level must lie strictly between 0 and 1.
    #[error("confidence level must be strictly between 0 and 1, got {0}")]
    InvalidLevel(f64),
    /// No lag had enough overlapping (and non-constant) pairs.
    #[error(
        "cross-correlation needs at least {needed} overlapping non-constant pairs at some lag, got at most {got}"
    )]
    TooFewPairs { needed: usize, got: usize },
    /// Pre-whitening failed (not a `#[source]`: the message already ends with it).
    #[error("pre-whitening x failed: {0}")]
    Prewhitening(ArError),
}

impl From<ArError> for CcfError {
    fn from(e: ArError) -> Self {
        CcfError::Prewhitening(e)
    }
}

/// How to compute a cross-correlation.
#[derive(Debug, Clone, PartialEq)]
pub struct CcfOptions {
    /// Lags `−max_lag..=max_lag` are scanned.
    pub max_lag: usize,
    /// Pre-whiten with an AR filter fitted to `x` (default `true`).
    pub prewhiten: bool,
    /// Largest AR order tried when pre-whitening; `None` uses
    /// [`ar::default_max_order`] of the number of values present in `x`.
    pub ar_max_order: Option<usize>,
    /// Confidence level of the bands and of the best lag's interval (default 0.95); the
    /// significance level is `1 − level`.
    pub level: f64,
    /// Number `m` of autocorrelations in the Bartlett band (raw CCF only); `None` uses
    /// [`ar::default_max_order`] of the smaller count of values present in `x` and `y`.
    pub bartlett_lags: Option<usize>,
}

impl CcfOptions {
    /// Pre-whitened CCF over `−max_lag..=max_lag` at the 95% level.
    pub fn new(max_lag: usize) -> Self {
        CcfOptions {
            max_lag,
            prewhiten: true,
            ar_max_order: None,
            level: 0.95,
            bartlett_lags: None,
        }
    }

    /// The same options without pre-whitening.
    pub fn raw(self) -> Self {
        CcfOptions {
            prewhiten: false,
            ..self
        }
    }
}

/// One lag of the cross-correlation function.
#[derive(Debug, Clone, PartialEq)]
pub struct LagRow {
    /// `k` in `corr(x_t, y_{t+k})`; positive: `x` leads.
    pub lag: isize,
    /// Pearson correlation of the pairs at this lag; NaN when fewer than [`MIN_PAIRS`] pairs or one
    /// side is constant.
    pub r: f64,
    /// Lower edge of the null band (no correlation) at this lag; infinite when `n` is 0.
    pub band_low: f64,
    /// Upper edge of the null band.
    pub band_high: f64,
    /// Number of pairs used.
    pub n: usize,
    /// `r` lies outside the band: *pointwise*, not adjusted for the number of lags scanned (that
    /// adjustment is in [`BestLag`]).
    pub significant: bool,
}

/// The lag with the largest `|r|` (on a tie, the first in scan order), tested with the
/// multiplicity of the scan taken into account.
#[derive(Debug, Clone, PartialEq)]
pub struct BestLag {
    pub lag: isize,
    pub r: f64,
    /// Fisher-z confidence interval for the correlation at this lag (at the options' level).
    pub ci_low: f64,
    pub ci_high: f64,
    /// Number of pairs.
    pub n: usize,
    /// Sample size used for the interval and test: `n` when pre-whitened, `n / bartlett_factor`
    /// for the raw CCF.
    pub n_effective: f64,
    /// Two-sided p-value of this lag alone, from `atanh(r)·√(n_effective − 3)` ~ N(0, 1).
    pub p_value: f64,
    /// Šidák-adjusted p-value `1 − (1 − p)^m`, `m` = [`CcfResult::lags_tested`].
    pub p_adjusted: f64,
    /// `p_adjusted < 1 − level`.
    pub significant: bool,
}

/// A cross-correlation function with its bands and best lag.
#[derive(Debug, Clone, PartialEq)]
pub struct CcfResult {
    /// One row per lag, `−max_lag..=max_lag` in order.
    pub lags: Vec<LagRow>,
    pub best: BestLag,
    pub prewhitened: bool,
    /// Order of the AR filter fitted to `x` (pre-whitened only).
    pub ar_order: Option<usize>,
    /// Bartlett variance inflation `max(1, 1 + 2 Σ_{j=1..m} ρ_x(j) ρ_y(j))` (raw only).
    pub bartlett_factor: Option<f64>,
    /// `m` used in the Bartlett factor (raw only).
    pub bartlett_lags: Option<usize>,
    /// Number of lags with a defined `r` (the multiplicity for [`BestLag::p_adjusted`]).
    pub lags_tested: usize,
    /// Confidence level used.
    pub level: f64,
}

/// Cross-correlation of `x` and `y` (aligned on the same periods) over `−max_lag..=max_lag`.
///
/// * Each lag `k` is the Pearson correlation of the pairs `(x_t, y_{t+k})` where both exist, with
///   that lag's own means and standard deviations, i.e. pandas `x.corr(y.shift(-k))`.
/// * Pre-whitened (default): `x`'s AR(p) filter (see [`ArModel::select`]; order by AIC on the
///   complete windows of `x`) is applied to both series; the filtered series drop the first `p`
///   periods, which keeps them aligned and leaves the meaning of `k` unchanged. Band: `±z/√n`.
/// * Raw: band `±z·√(F/n)` with the Bartlett factor
///   `F = max(1, 1 + 2 Σ_{j=1..m} ρ_x(j) ρ_y(j))`, where `ρ` are the sample autocorrelations
///   (overall mean; numerator summed over the pairs present, denominator over all values present,
///   the standard biased estimator on complete data). `F` is floored at 1, so the band is never
///   narrower than the white-noise one.
///
/// `z` is the standard normal quantile at `1 − (1 − level)/2`. The best lag is the one with the
/// largest `|r|`; its p-value is Šidák-adjusted for the number of lags scanned (exact for
/// independent tests, which pre-whitened lags approximately are, and marginally less conservative
/// than Bonferroni's `min(1, m·p)`).
pub fn ccf<T: MaybeMissing>(x: &[T], y: &[T], opts: &CcfOptions) -> Result<CcfResult, CcfError> {
    if x.len() != y.len() {
        return Err(CcfError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    if !(opts.level > 0.0 && opts.level < 1.0) {
        return Err(CcfError::InvalidLevel(opts.level));
    }
    let mut xs = to_nan(x);
    let mut ys = to_nan(y);
    let mut ar_order = None;
    if opts.prewhiten {
        let max_order = opts
            .ar_max_order
            .unwrap_or_else(|| ar::default_max_order(count_present(&xs)));
        let model = ArModel::select(&xs, max_order)?.model;
        xs = model.filter(&xs);
        ys = model.filter(&ys);
        ar_order = Some(model.order());
    }
    let (px, py) = (Prepared::new(&xs), Prepared::new(&ys));
    let (mut bartlett_factor, mut bartlett_lags) = (None, None);
    if !opts.prewhiten {
        let m = opts
            .bartlett_lags
            .unwrap_or_else(|| ar::default_max_order(px.count().min(py.count())));
        let (ax, ay) = (px.autocorrelations(m), py.autocorrelations(m));
        let s: f64 = ax.iter().zip(&ay).map(|(a, b)| a * b).sum();
        bartlett_factor = Some((1.0 + 2.0 * s).max(1.0));
        bartlett_lags = Some(m);
    }
    let factor = bartlett_factor.unwrap_or(1.0);
    let std_normal = Normal::standard();
    let z = std_normal.inverse_cdf(1.0 - (1.0 - opts.level) / 2.0);

    let max_lag = opts.max_lag as isize;
    let lags: Vec<LagRow> = (-max_lag..=max_lag)
        .map(|lag| {
            let (r, n) = lag_correlation(&px, &py, lag);
            let half = z * (factor / n as f64).sqrt();
            LagRow {
                lag,
                r,
                band_low: -half,
                band_high: half,
                n,
                significant: r.abs() > half,
            }
        })
        .collect();

    let lags_tested = lags.iter().filter(|row| !row.r.is_nan()).count();
    let best_row = lags
        .iter()
        .filter(|row| !row.r.is_nan())
        .reduce(|b, row| if row.r.abs() > b.r.abs() { row } else { b })
        .ok_or_else(|| CcfError::TooFewPairs {
            needed: MIN_PAIRS,
            got: lags.iter().map(|row| row.n).max().unwrap_or(0),
        })?;

    let n_effective = best_row.n as f64 / factor;
    let (ci_low, ci_high, p_value) = if n_effective > 3.0 {
        let zr = best_row.r.atanh();
        let se = 1.0 / (n_effective - 3.0).sqrt();
        let p = 2.0 * std_normal.sf(zr.abs() / se);
        ((zr - z * se).tanh(), (zr + z * se).tanh(), p)
    } else {
        (-1.0, 1.0, 1.0)
    };
    // Šidák: 1 − (1 − p)^m, written to stay accurate for small p.
    let p_adjusted = -((lags_tested as f64) * (-p_value).ln_1p()).exp_m1();
    let best = BestLag {
        lag: best_row.lag,
        r: best_row.r,
        ci_low,
        ci_high,
        n: best_row.n,
        n_effective,
        p_value,
        p_adjusted,
        significant: p_adjusted < 1.0 - opts.level,
    };
    Ok(CcfResult {
        lags,
        best,
        prewhitened: opts.prewhiten,
        ar_order,
        bartlett_factor,
        bartlett_lags,
        lags_tested,
        level: opts.level,
    })
}

/// The series as `f64` with NaN for every missing value (one allocation per call, none per lag).
/// Pearson correlation of complete pairs `(a, b)` (two-pass, centred); NaN when either side is
/// constant.
pub fn pearson(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len() as f64;
    let (ma, mb) = (
        pairs.iter().map(|p| p.0).sum::<f64>() / n,
        pairs.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (a, b) in pairs {
        sab += (a - ma) * (b - mb);
        saa += (a - ma).powi(2);
        sbb += (b - mb).powi(2);
    }
    sab / (saa * sbb).sqrt()
}

fn to_nan<T: MaybeMissing>(x: &[T]) -> Vec<f64> {
    x.iter().map(|v| v.value().unwrap_or(f64::NAN)).collect()
}

fn count_present(x: &[f64]) -> usize {
    x.iter().filter(|v| !v.is_nan()).count()
}

/// A series laid out for the lag loop: `c_t = x_t − x̄` (`x̄` the mean of the values present) with
/// 0 where `x_t` is missing, prefix sums for O(1) window sums, and the positions of the gaps.
struct Prepared {
    centred: Vec<f64>,
    present: Vec<bool>,
    /// `prefix[i] = [Σ 1, Σ c, Σ c²]` over the values present in `0..i`.
    prefix: Vec<[f64; 3]>,
    /// Indices of the missing values, ascending.
    gaps: Vec<usize>,
}

impl Prepared {
    fn new(x: &[f64]) -> Self {
        let present: Vec<bool> = x.iter().map(|v| !v.is_nan()).collect();
        let gaps: Vec<usize> = (0..x.len()).filter(|&t| !present[t]).collect();
        let count = x.len() - gaps.len();
        let mean = x.iter().filter(|v| !v.is_nan()).sum::<f64>() / count.max(1) as f64;
        let centred: Vec<f64> = x
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { v - mean })
            .collect();
        let mut prefix = Vec::with_capacity(x.len() + 1);
        let mut running = [0.0; 3];
        prefix.push(running);
        for (&c, &p) in centred.iter().zip(&present) {
            running = [
                running[0] + f64::from(u8::from(p)),
                running[1] + c,
                running[2] + c * c,
            ];
            prefix.push(running);
        }
        Prepared {
            centred,
            present,
            prefix,
            gaps,
        }
    }

    fn count(&self) -> usize {
        self.centred.len() - self.gaps.len()
    }

    /// `[n, Σ c, Σ c²]` of this series over the pairs present, where window `own` of this series is
    /// paired element by element with window `other_w` of `other`: the window sums (from the prefix
    /// sums) minus the values paired with a gap in `other`. Costs O(log n + gaps in the window).
    fn sums_against(&self, own: Range<usize>, other: &Prepared, other_w: Range<usize>) -> [f64; 3] {
        let (lo, hi) = (self.prefix[own.start], self.prefix[own.end]);
        let mut sums = [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
        let first = other.gaps.partition_point(|&u| u < other_w.start);
        let last = other.gaps.partition_point(|&u| u < other_w.end);
        for &u in &other.gaps[first..last] {
            let t = u - other_w.start + own.start;
            if self.present[t] {
                let c = self.centred[t];
                sums[0] -= 1.0;
                sums[1] -= c;
                sums[2] -= c * c;
            }
        }
        sums
    }

    /// Sample autocorrelations `ρ(1..=m)`: `ρ(j) = Σ_t c_t c_{t+j} / Σ_t c_t²`, the numerator over
    /// the pairs present and the denominator over the values present (on complete data, the
    /// standard biased estimator). Zero past the end of the series or for a constant series.
    fn autocorrelations(&self, m: usize) -> Vec<f64> {
        let n = self.centred.len();
        let c0 = self.prefix[n][2];
        (1..=m)
            .map(|j| {
                if j >= n || c0 == 0.0 {
                    return 0.0;
                }
                dot(&self.centred[..n - j], &self.centred[j..]) / c0
            })
            .collect()
    }
}

/// Index windows of `x` and `y` (both of length `len`) holding the pairs `(x_t, y_{t+lag})`.
fn lag_windows(len: usize, lag: isize) -> (Range<usize>, Range<usize>) {
    let k = lag.unsigned_abs().min(len);
    if lag >= 0 {
        (0..len - k, k..len)
    } else {
        (k..len, 0..len - k)
    }
}

/// `Σ a_i b_i` with eight independent partial sums, so the additions pipeline (and vectorise)
/// instead of forming one dependency chain.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    const LANES: usize = 8;
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(u, v)| u * v)
        .sum();
    let mut acc = [0.0; LANES];
    for (u, v) in ca.zip(cb) {
        for ((s, u), v) in acc.iter_mut().zip(u).zip(v) {
            *s += u * v;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// Pearson correlation of the pairs `(x_t, y_{t+lag})` present in both, with this lag's own
/// means: `(Σxy − ΣxΣy/n) / √((Σx² − (Σx)²/n)(Σy² − (Σy)²/n))` in the centred units of
/// [`Prepared`] (centring on the whole series' means first keeps the subtractions accurate).
/// Returns `(r, n)`; `r` is NaN with fewer than [`MIN_PAIRS`] pairs or when a side is constant
/// over the pairs (its sum of squares about the lag's mean is below `1e-12` of that about the
/// whole series' mean).
fn lag_correlation(x: &Prepared, y: &Prepared, lag: isize) -> (f64, usize) {
    let (xw, yw) = lag_windows(x.centred.len(), lag);
    let [n, sx, sxx] = x.sums_against(xw.clone(), y, yw.clone());
    let [_, sy, syy] = y.sums_against(yw.clone(), x, xw.clone());
    let sxy = dot(&x.centred[xw], &y.centred[yw]);
    let pairs = n.round() as usize;
    if pairs < MIN_PAIRS {
        return (f64::NAN, pairs);
    }
    let vx = sxx - sx * sx / n;
    let vy = syy - sy * sy / n;
    if vx <= 1e-12 * sxx || vy <= 1e-12 * syy {
        return (f64::NAN, pairs);
    }
    let r = (sxy - sx * sy / n) / (vx * vy).sqrt();
    (r.clamp(-1.0, 1.0), pairs)
}

#[cfg(test)]
mod tests {
    use super::super::linalg::test_support::Lcg;
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    const X: [Option<f64>; 20] = [
        Some(1.2),
        Some(0.4),
        Some(-0.3),
        Some(2.1),
        None,
        Some(1.7),
        Some(0.2),
        Some(-1.1),
        Some(0.9),
        Some(1.5),
        Some(-0.6),
        Some(0.0),
        Some(2.4),
        Some(1.1),
        None,
        Some(-0.8),
        Some(0.6),
        Some(1.9),
        Some(-0.2),
        Some(0.7),
    ];
    const Y: [Option<f64>; 20] = [
        Some(0.5),
        Some(1.0),
        Some(1.3),
        Some(0.1),
        Some(-0.4),
        Some(2.2),
        None,
        Some(1.6),
        Some(0.3),
        Some(-1.0),
        Some(0.8),
        Some(1.4),
        Some(-0.5),
        Some(0.2),
        Some(2.0),
        Some(1.2),
        Some(-0.9),
        Some(0.4),
        Some(1.8),
        Some(0.1),
    ];
    /// (r, n) per lag −5..=5, Bartlett half-widths and factor: output of the snippet below.
    const GOLDEN_A: [(isize, f64, usize); 11] = [
        (-5, -0.36330422324662187, 13),
        (-4, -0.2063870605516342, 13),
        (-3, 0.1312564776602336, 14),
        (-2, 0.217828131159758, 15),
        (-1, -0.14570105227135383, 16),
        (0, -0.5152899835192313, 17),
        (1, 0.17049269375469936, 16),
        (2, 0.796931684005405, 16),
        (3, -0.292745644231161, 14),
        (4, -0.51064492605355, 13),
        (5, 0.19930820549957529, 12),
    ];
    const GOLDEN_A_BAND: [f64; 11] = [
        0.7001251555851958,
        0.7001251555851958,
        0.6746574811012056,
        0.6517810488848501,
        0.6310842869261567,
        0.6122416879209757,
        0.6310842869261567,
        0.6310842869261567,
        0.6746574811012056,
        0.7001251555851958,
        0.7287133658763192,
    ];
    const GOLDEN_A_FACTOR: f64 = 1.658817218332202;

    /// (a) Raw CCF with gaps against pandas 3.1.1 / numpy 2.4.6 / scipy 1.17.1
    /// (`python3 golden/ccf_raw_golden.py` in the scratch crate):
    /// ```python
    /// import numpy as np, pandas as pd
    /// from scipy.stats import norm
    /// nan = np.nan
    /// x = pd.Series([1.2, 0.4, -0.3, 2.1, nan, 1.7, 0.2, -1.1, 0.9, 1.5, -0.6, 0.0, 2.4, 1.1, nan, -0.8, 0.6, 1.9, -0.2, 0.7])
    /// y = pd.Series([0.5, 1.0, 1.3, 0.1, -0.4, 2.2, nan, 1.6, 0.3, -1.0, 0.8, 1.4, -0.5, 0.2, 2.0, 1.2, -0.9, 0.4, 1.8, 0.1])
    /// def acf(s, m):  # overall mean; numerator over pairs present, denominator over values present
    ///     d = s - s.mean()
    ///     return [(d * d.shift(-j)).sum() / (d * d).sum() for j in range(1, m + 1)]
    /// F = max(1.0, 1 + 2 * np.dot(acf(x, 4), acf(y, 4)))
    /// z = norm.ppf(0.975)
    /// print(repr(F))
    /// for k in range(-5, 6):
    ///     ys = y.shift(-k)
    ///     n = int((x.notna() & ys.notna()).sum())
    ///     print(f"({k}, {x.corr(ys)!r}, {n}),", repr(z * np.sqrt(F / n)))
    /// ```
    #[test]
    fn raw_ccf_matches_pandas() {
        let opts = CcfOptions {
            bartlett_lags: Some(4),
            ..CcfOptions::new(5).raw()
        };
        let res = ccf(&X, &Y, &opts).unwrap();
        assert!(!res.prewhitened && res.ar_order.is_none());
        let factor = res.bartlett_factor.unwrap();
        assert!(close(factor, GOLDEN_A_FACTOR, 1e-9), "{factor}");
        for ((row, (lag, r, n)), band) in res.lags.iter().zip(GOLDEN_A).zip(GOLDEN_A_BAND) {
            assert_eq!((row.lag, row.n), (lag, n));
            assert!(close(row.r, r, 1e-9), "lag {lag}: {} vs {r}", row.r);
            assert!(close(row.band_high, band, 1e-9), "lag {lag}");
            assert_eq!(row.band_low, -row.band_high);
        }
    }

    /// `x_t = 0.7 x_{t−1} + e_t` (AR(1), `x_0 = e_0`) and `y_t = x_{t−shift} + noise·u_t`
    /// (`y_t = noise·u_t` for `t < shift`); all `e` are drawn before all `u`.
    fn lead_lag_pair(seed: u64, n: usize, shift: usize, noise: f64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Lcg::new(seed);
        let mut x = vec![0.0; n];
        for t in 0..n {
            let e = rng.normal();
            x[t] = if t == 0 { e } else { 0.7 * x[t - 1] + e };
        }
        let y = (0..n)
            .map(|t| {
                let u = rng.normal();
                if t >= shift {
                    x[t - shift] + noise * u
                } else {
                    noise * u
                }
            })
            .collect();
        (x, y)
    }

    /// (r, n, white-noise half-width) per lag −6..=6: output of the snippet below.
    const GOLDEN_B: [(isize, f64, usize, f64); 13] = [
        (-6, 0.0874127554865275, 93, 0.2032387975379406),
        (-5, -0.05206995511546755, 94, 0.2021548495556653),
        (-4, -0.03613956420262957, 95, 0.20108806190046571),
        (-3, 0.01587345808726248, 96, 0.2000379865148046),
        (-2, 0.1450445753694078, 97, 0.19900419155027518),
        (-1, -0.01296132839909339, 98, 0.19798626062138255),
        (0, 0.0067113322919576425, 99, 0.1969837921008876),
        (1, 0.06983261416581373, 98, 0.19798626062138255),
        (2, 0.47585036529515, 97, 0.19900419155027518),
        (3, 0.08216557725158756, 96, 0.2000379865148046),
        (4, -0.04443338480113556, 95, 0.20108806190046571),
        (5, -0.06703332942977709, 94, 0.2021548495556653),
        (6, 0.17805949468767168, 93, 0.2032387975379406),
    ];

    /// (b) Pre-whitened CCF against statsmodels 0.15.0 (`ar_select_order` for the order, `AutoReg`
    /// for the OLS fit), pandas 3.1.1 and scipy 1.17.1 (`python3 golden/ccf_prewhitened_golden.py`
    /// in the scratch crate; `lcg.Lcg` is the Python twin of `linalg::test_support::Lcg`):
    /// ```python
    /// from lcg import Lcg; import numpy as np, pandas as pd
    /// from scipy.stats import norm
    /// from statsmodels.tsa.ar_model import AutoReg, ar_select_order
    /// r = Lcg(7); n = 100; x = [0.0] * n
    /// for t in range(n):
    ///     e = r.normal(); x[t] = e if t == 0 else 0.7 * x[t-1] + e
    /// y = []
    /// for t in range(n):
    ///     e = r.normal(); y.append(x[t-2] + 1.0 * e if t >= 2 else 1.0 * e)
    /// x, y = np.array(x), np.array(y)
    /// sel = ar_select_order(x, maxlag=20, ic="aic", trend="c")   # 20 = min(floor(10*log10(100)), 100//4)
    /// p = len(sel.ar_lags or []); print("p =", p)
    /// res = AutoReg(x, lags=p, trend="c").fit(); c, phi = res.params[0], res.params[1:]
    /// def filt(s):  # e_t = s_t - c - sum_i phi_i s_{t-i}, t = p..n-1
    ///     return pd.Series([s[t] - c - sum(phi[i] * s[t-1-i] for i in range(p)) for t in range(p, len(s))])
    /// fx, fy = filt(x), filt(y)
    /// z = norm.ppf(0.975); rows = []
    /// for k in range(-6, 7):
    ///     ys = fy.shift(-k); m = int((fx.notna() & ys.notna()).sum())
    ///     rows.append((k, fx.corr(ys), m)); print(f"({k}, {fx.corr(ys)!r}, {m}),", repr(z / np.sqrt(m)))
    /// k, rb, m = max(rows, key=lambda t: abs(t[1]))
    /// zr, se = np.arctanh(rb), 1 / np.sqrt(m - 3)
    /// pv = 2 * norm.sf(abs(zr) / se); padj = 1 - (1 - pv) ** len(rows)
    /// print("best", k, repr(rb), m, repr(np.tanh(zr - z * se)), repr(np.tanh(zr + z * se)), repr(pv), repr(padj))
    /// ```
    #[test]
    fn prewhitened_ccf_matches_statsmodels() {
        let (x, y) = lead_lag_pair(7, 100, 2, 1.0);
        let res = ccf(&x, &y, &CcfOptions::new(6)).unwrap();
        assert!(res.prewhitened);
        assert_eq!(res.ar_order, Some(1));
        assert_eq!(res.lags_tested, 13);
        for (row, (lag, r, n, band)) in res.lags.iter().zip(GOLDEN_B) {
            assert_eq!((row.lag, row.n), (lag, n));
            assert!(close(row.r, r, 1e-9), "lag {lag}: {} vs {r}", row.r);
            assert!(close(row.band_high, band, 1e-9), "lag {lag}");
            assert_eq!(row.significant, lag == 2, "lag {lag}");
        }
        let b = &res.best;
        assert_eq!((b.lag, b.n), (2, 97));
        assert!(close(b.r, 0.47585036529515, 1e-9));
        assert!(close(b.ci_low, 0.30538824442512513, 1e-9));
        assert!(close(b.ci_high, 0.6167612744879049, 1e-9));
        assert!(close(b.p_value, 5.210946721305021e-07, 1e-9));
        assert!(close(b.p_adjusted, 6.774209556970057e-06, 1e-9));
        assert!(b.significant);
    }

    /// (c) y is x three periods later plus noise: the pre-whitened scan finds lag +3 (x leads).
    #[test]
    fn finds_a_three_period_lead() {
        let (x, y) = lead_lag_pair(11, 200, 3, 1.0);
        let res = ccf(&x, &y, &CcfOptions::new(12)).unwrap();
        assert_eq!(res.best.lag, 3, "{:?}", res.best);
        assert!(
            res.best.significant && res.best.p_adjusted < 1e-6,
            "{:?}",
            res.best
        );
        assert!(res.best.ci_low > 0.0);
        // Reversing the roles turns the lead into a lag.
        let rev = ccf(&y, &x, &CcfOptions::new(12)).unwrap();
        assert_eq!(rev.best.lag, -3);
    }

    /// (d) Two independent random walks: the levels look correlated against the naive white-noise
    /// band, but neither the pre-whitened scan nor the Bartlett-banded raw scan calls the best lag
    /// significant.
    #[test]
    fn independent_random_walks_are_not_significant() {
        let mut rng = Lcg::new(5);
        let mut walk = || {
            let mut level = 0.0;
            (0..200)
                .map(|_| {
                    level += rng.normal();
                    level
                })
                .collect::<Vec<f64>>()
        };
        let (x, y) = (walk(), walk());
        let raw = ccf(&x, &y, &CcfOptions::new(12).raw()).unwrap();
        let naive_band = 1.96 / (raw.best.n as f64).sqrt();
        assert!(
            raw.best.r.abs() > 3.0 * naive_band,
            "spurious level correlation expected"
        );
        assert!(raw.bartlett_factor.unwrap() > 5.0);
        assert!(!raw.best.significant, "{:?}", raw.best);
        let pw = ccf(&x, &y, &CcfOptions::new(12)).unwrap();
        assert!(!pw.best.significant, "{:?}", pw.best);
        assert!(pw.best.p_adjusted > 0.05);
    }

    /// (d′) The same over 40 seeds: at the 5% level the pre-whitened, Šidák-adjusted scan should
    /// flag about 2 of 40 pairs of independent walks; the naive level correlation flags nearly all.
    #[test]
    fn false_positive_rate_on_random_walks_is_near_nominal() {
        let (mut prewhitened, mut bartlett, mut naive) = (0, 0, 0);
        for seed in 1..=40 {
            let mut rng = Lcg::new(seed);
            let mut walk = || {
                let mut level = 0.0;
                (0..200)
                    .map(|_| {
                        level += rng.normal();
                        level
                    })
                    .collect::<Vec<f64>>()
            };
            let (x, y) = (walk(), walk());
            let raw = ccf(&x, &y, &CcfOptions::new(12).raw()).unwrap();
            let pw = ccf(&x, &y, &CcfOptions::new(12)).unwrap();
            naive += usize::from(raw.best.r.abs() > 1.96 / (raw.best.n as f64).sqrt());
            bartlett += usize::from(raw.best.significant);
            prewhitened += usize::from(pw.best.significant);
        }
        eprintln!("naive {naive}, bartlett {bartlett}, prewhitened {prewhitened} of 40");
        assert!(naive >= 30);
        assert!(prewhitened <= 5 && bartlett <= 5);
    }

    /// Straightforward two-pass pairwise Pearson correlation, the reference for the fast kernel.
    fn naive_r(x: &[Option<f64>], y: &[Option<f64>], lag: isize) -> (f64, usize) {
        let pairs: Vec<(f64, f64)> = (0..x.len() as isize)
            .filter_map(|t| {
                let u = usize::try_from(t + lag).ok()?;
                Some(((*x.get(t as usize)?)?, (*y.get(u)?)?))
            })
            .collect();
        let n = pairs.len() as f64;
        let (mx, my) = pairs
            .iter()
            .fold((0.0, 0.0), |(a, b), (u, v)| (a + u / n, b + v / n));
        let (sxy, sxx, syy) = pairs.iter().fold((0.0, 0.0, 0.0), |(a, b, c), (u, v)| {
            (
                a + (u - mx) * (v - my),
                b + (u - mx) * (u - mx),
                c + (v - my) * (v - my),
            )
        });
        (sxy / (sxx * syy).sqrt(), pairs.len())
    }

    /// The prefix-sum-and-gap-correction kernel against the naive computation: scattered gaps,
    /// a missing leading block, and levels of port-throughput size (millions) with a trend.
    #[test]
    fn fast_kernel_matches_naive_pairwise_pearson() {
        let mut rng = Lcg::new(3);
        let n = 300;
        let mut x: Vec<Option<f64>> = Vec::with_capacity(n);
        let mut y: Vec<Option<f64>> = Vec::with_capacity(n);
        for t in 0..n {
            let level = 4.2e6 + 1.5e3 * t as f64;
            let (gx, gy) = (rng.uniform() < 0.2, rng.uniform() < 0.2 || t < 25);
            let (ex, ey) = (rng.normal(), rng.normal());
            x.push((!gx).then_some(level + 5e4 * ex));
            y.push((!gy).then_some(0.5 * level + 3e4 * (ex + ey)));
        }
        let res = ccf(&x, &y, &CcfOptions::new(40).raw()).unwrap();
        for row in &res.lags {
            let (r, count) = naive_r(&x, &y, row.lag);
            assert_eq!(row.n, count, "lag {}", row.lag);
            assert!(
                (row.r - r).abs() < 1e-12,
                "lag {}: {} vs {r}",
                row.lag,
                row.r
            );
        }
    }

    #[test]
    fn errors_and_degenerate_input() {
        let x = [Some(1.0), Some(2.0), Some(3.0)];
        assert_eq!(
            ccf(&x, &x[..2], &CcfOptions::new(1)),
            Err(CcfError::LengthMismatch { x: 3, y: 2 })
        );
        let bad = CcfOptions {
            level: 1.0,
            ..CcfOptions::new(1)
        };
        assert_eq!(ccf(&x, &x, &bad), Err(CcfError::InvalidLevel(1.0)));
        assert_eq!(
            ccf(&x, &x, &CcfOptions::new(1).raw()),
            Err(CcfError::TooFewPairs { needed: 4, got: 3 })
        );
        // Lags longer than the series give NaN rows, not a panic.
        let long = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
        let res = ccf(&long, &long, &CcfOptions::new(12).raw()).unwrap();
        assert_eq!(res.lags.len(), 25);
        assert!(res.lags[0].r.is_nan() && res.lags[0].n == 0);
        assert_eq!(res.best.lag, 0);
        assert!((res.best.r - 1.0).abs() < 1e-12);
    }
}
