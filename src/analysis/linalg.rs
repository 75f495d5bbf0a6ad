//! Least squares shared by the analysis kernels.
//!
//! [`least_squares`] solves `min ‖y − Xβ‖²` by Householder QR (nalgebra) on a design whose columns
//! are first scaled to unit length; it never forms or inverts `XᵀX`. [`lagged_design`] builds the
//! regression "`y_t` on a constant and lags `1..=p` of some series" from series with gaps, keeping
//! only the rows where every needed value exists. Both autoregressions (`super::ar`, which
//! `super::ccf` uses for pre-whitening) and the Granger regressions (`super::granger`) are built on
//! these two functions, so there is exactly one least-squares path in the crate.
//!
//! Missing values: every kernel accepts `&[f64]` or `&[Option<f64>]` through [`MaybeMissing`];
//! `None`, NaN and ±∞ all count as missing.

use nalgebra::{DMatrix, DVector};
use thiserror::Error;

/// Why a least-squares problem could not be solved.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LinalgError {
    /// Not enough rows to leave at least one residual degree of freedom.
    #[error(
        "least squares with {columns} coefficients needs at least {needed} observations, got {got}"
    )]
    TooFewRows {
        columns: usize,
        needed: usize,
        got: usize,
    },
    /// A column is (numerically) zero or a linear combination of the columns before it, e.g. a
    /// constant series next to the intercept.
    #[error(
        "design matrix is rank deficient: column {column} is (numerically) a linear combination of the columns before it"
    )]
    RankDeficient { column: usize },
    /// The response and the design have different numbers of rows.
    #[error("the response has {response} rows but the design matrix has {design}")]
    DimensionMismatch { design: usize, response: usize },
}

/// A value that may be missing: `f64` (missing when not finite) or `Option<f64>` (missing when
/// `None` or not finite).
pub trait MaybeMissing: Copy {
    /// The value, or `None` when it is missing.
    fn value(self) -> Option<f64>;
}

impl MaybeMissing for f64 {
    fn value(self) -> Option<f64> {
        self.is_finite().then_some(self)
    }
}

impl MaybeMissing for Option<f64> {
    fn value(self) -> Option<f64> {
        self.filter(|v| v.is_finite())
    }
}

/// An ordinary-least-squares fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LeastSquares {
    /// Coefficients, in the order of the design's columns.
    pub coef: Vec<f64>,
    /// Residual sum of squares `Σ (y − Xβ)²`.
    pub rss: f64,
    /// `prefix_rss[j]` is the RSS of the regression on columns `0..=j` only: every nested model
    /// from the one factorisation (`prefix_rss[k − 1] == rss`). Differences of nested RSS come out
    /// as sums of squares, without cancellation.
    pub prefix_rss: Vec<f64>,
    /// Number of observations (rows).
    pub nobs: usize,
}

/// Ordinary least squares of `response` on the columns of `design` (include a column of ones for
/// an intercept).
///
/// Columns are scaled to unit Euclidean norm, factorised by Householder QR, and `Rβ = Qᵀy` is
/// solved by back substitution; the residual sums of squares come from the trailing part of
/// `Qᵀy`, as in LAPACK's `gels`. A column whose `|R_jj|` is at most `max|R_ii| · max(n, k) · ε` is
/// reported as [`LinalgError::RankDeficient`] instead of producing arbitrary coefficients.
pub fn least_squares(
    design: &DMatrix<f64>,
    response: &DVector<f64>,
) -> Result<LeastSquares, LinalgError> {
    let (n, k) = design.shape();
    if response.len() != n {
        return Err(LinalgError::DimensionMismatch {
            design: n,
            response: response.len(),
        });
    }
    if n <= k {
        return Err(LinalgError::TooFewRows {
            columns: k,
            needed: k + 1,
            got: n,
        });
    }
    let norms: Vec<f64> = design.column_iter().map(|c| c.norm()).collect();
    if let Some(column) = norms.iter().position(|&s| s == 0.0) {
        return Err(LinalgError::RankDeficient { column });
    }
    let mut scaled = design.clone();
    for (mut col, &s) in scaled.column_iter_mut().zip(&norms) {
        col /= s;
    }
    let qr = scaled.qr();
    let r = qr.r();
    let diag = r.diagonal();
    let tol = diag.amax() * n.max(k) as f64 * f64::EPSILON;
    if let Some(column) = diag.iter().position(|d| d.abs() <= tol) {
        return Err(LinalgError::RankDeficient { column });
    }
    let mut qty = response.clone();
    qr.q_tr_mul(&mut qty);
    let beta_scaled = r
        .solve_upper_triangular(&qty.rows(0, k).into_owned())
        .ok_or(LinalgError::RankDeficient { column: 0 })?;
    let coef: Vec<f64> = beta_scaled.iter().zip(&norms).map(|(b, s)| b / s).collect();
    // With Qᵀy = (c_0, …, c_{n−1}), the regression on columns 0..=j leaves RSS = Σ_{i>j} c_i².
    let mut tail = qty.iter().skip(k).map(|c| c * c).sum::<f64>();
    let mut prefix_rss = vec![0.0; k];
    for j in (0..k).rev() {
        prefix_rss[j] = tail;
        tail += qty[j] * qty[j];
    }
    Ok(LeastSquares {
        coef,
        rss: prefix_rss[k - 1],
        prefix_rss,
        nobs: n,
    })
}

/// A lag regression ready for [`least_squares`].
#[derive(Debug, Clone, PartialEq)]
pub struct LaggedDesign {
    /// Column 0 is the constant; then, for each regressor in order, its lags `1..=lags`.
    pub design: DMatrix<f64>,
    /// `response[t]` for every kept row.
    pub response: DVector<f64>,
    /// The time index `t` of every kept row.
    pub rows: Vec<usize>,
}

/// Builds the regression of `response[t]` on a constant and `series[t − 1], …, series[t − lags]`
/// for every `(series, lags)` in `regressors`.
///
/// Candidate rows are `t = max(first_row, largest lag) .. response.len()`; a row is kept only when
/// the response and every lagged value it needs are present (see [`MaybeMissing`]). A regressor
/// shorter than the response counts as missing past its end. Passing the same `first_row` for
/// several lag orders gives them a common sample (used for information criteria).
pub fn lagged_design<T: MaybeMissing>(
    response: &[T],
    regressors: &[(&[T], usize)],
    first_row: usize,
) -> LaggedDesign {
    let max_lag = regressors.iter().map(|&(_, l)| l).max().unwrap_or(0);
    let columns: Vec<(&[T], usize)> = regressors
        .iter()
        .flat_map(|&(s, lags)| (1..=lags).map(move |l| (s, l)))
        .collect();
    let at = |s: &[T], i: usize| s.get(i).and_then(|v| v.value());
    let rows: Vec<usize> = (first_row.max(max_lag)..response.len())
        .filter(|&t| {
            response[t].value().is_some() && columns.iter().all(|&(s, l)| at(s, t - l).is_some())
        })
        .collect();
    // Every value below exists: the rows were filtered on exactly these lookups.
    let mut design = DMatrix::from_element(rows.len(), columns.len() + 1, 1.0);
    for (mut col, &(s, l)) in design.column_iter_mut().skip(1).zip(&columns) {
        for (cell, &t) in col.iter_mut().zip(&rows) {
            *cell = s[t - l].value().unwrap_or(f64::NAN);
        }
    }
    let response = DVector::from_iterator(
        rows.len(),
        rows.iter()
            .map(|&t| response[t].value().unwrap_or(f64::NAN)),
    );
    LaggedDesign {
        design,
        response,
        rows,
    }
}

/// Deterministic pseudo-random numbers for tests (no `rand` dependency), reproducible in Python.
#[cfg(test)]
pub(crate) mod test_support {
    /// 64-bit linear congruential generator with Knuth's MMIX constants. Python equivalent:
    ///
    /// ```python
    /// class Lcg:
    ///     def __init__(self, seed): self.s = seed % 2**64
    ///     def uniform(self):
    ///         self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
    ///         return (self.s >> 11) / 2**53
    ///     def normal(self):  # Irwin-Hall: sum of 12 uniforms - 6 (exact arithmetic only)
    ///         return sum(self.uniform() for _ in range(12)) - 6.0
    /// ```
    pub struct Lcg(u64);

    impl Lcg {
        pub fn new(seed: u64) -> Self {
            Lcg(seed)
        }

        /// Uniform on `[0, 1)` with 53 random bits.
        pub fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        /// Approximately standard normal (sum of 12 uniforms minus 6).
        pub fn normal(&mut self) -> f64 {
            let mut s = 0.0;
            for _ in 0..12 {
                s += self.uniform();
            }
            s - 6.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fit_recovers_coefficients() {
        // y = 2 + 3 a − 0.5 b, with b on a very different scale from the intercept.
        let a = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [1e6, 3e6, 2e6, 5e6, 4e6, 7e6];
        let x = DMatrix::from_fn(6, 3, |i, j| [1.0, a[i], b[i]][j]);
        let y = DVector::from_fn(6, |i, _| 2.0 + 3.0 * a[i] - 0.5 * b[i]);
        let fit = least_squares(&x, &y).unwrap();
        assert!((fit.coef[0] - 2.0).abs() < 1e-6, "{:?}", fit.coef);
        assert!((fit.coef[1] - 3.0).abs() < 1e-9);
        assert!((fit.coef[2] + 0.5).abs() < 1e-12);
        assert!(fit.rss < 1e-12 * y.norm_squared());
    }

    #[test]
    fn prefix_rss_matches_separate_fits() {
        let a = [0.3, 1.1, 2.0, 2.8, 4.5, 5.1, 5.9, 7.4];
        let y = DVector::from_column_slice(&[1.0, 2.5, 2.0, 4.1, 3.9, 6.2, 5.5, 8.0]);
        let full = DMatrix::from_fn(8, 3, |i, j| [1.0, a[i], a[i] * a[i]][j]);
        let fit = least_squares(&full, &y).unwrap();
        for j in 0..3 {
            let sub = least_squares(&full.columns(0, j + 1).into_owned(), &y).unwrap();
            let direct = (&y - full.columns(0, j + 1) * DVector::from_vec(sub.coef)).norm_squared();
            assert!((fit.prefix_rss[j] - direct).abs() < 1e-12 * direct, "{j}");
        }
        assert_eq!(fit.rss, fit.prefix_rss[2]);
    }

    #[test]
    fn rank_deficiency_and_too_few_rows_are_errors() {
        let x = DMatrix::from_fn(5, 2, |i, j| if j == 0 { 1.0 } else { 2.0 + 0.0 * i as f64 });
        let y = DVector::from_element(5, 1.0);
        assert_eq!(
            least_squares(&x, &y),
            Err(LinalgError::RankDeficient { column: 1 })
        );
        let x = DMatrix::from_element(2, 2, 1.0);
        let y = DVector::from_element(2, 1.0);
        assert_eq!(
            least_squares(&x, &y),
            Err(LinalgError::TooFewRows {
                columns: 2,
                needed: 3,
                got: 2
            })
        );
    }

    #[test]
    fn lagged_design_skips_incomplete_rows() {
        let y = [Some(1.0), Some(2.0), None, Some(4.0), Some(5.0), Some(6.0)];
        let x = [
            Some(10.0),
            Some(20.0),
            Some(30.0),
            Some(40.0),
            None,
            Some(60.0),
        ];
        let d = lagged_design(&y, &[(&y, 1), (&x, 1)], 0);
        // t=1: y1, y0, x0 ok; t=2: y2 missing; t=3: y2 missing; t=4: ok (y3, x3); t=5: x4 missing.
        assert_eq!(d.rows, vec![1, 4]);
        assert_eq!(
            d.design.row(1).iter().copied().collect::<Vec<_>>(),
            [1.0, 4.0, 40.0]
        );
        assert_eq!(d.response.as_slice(), &[2.0, 5.0]);
    }
}
