//! Granger-causality F-tests: do past values of `x` improve a linear forecast of `y`?
//!
//! For each lag order `p`, the restricted regression is `y_t` on a constant and `y_{t−1..t−p}`;
//! the unrestricted one adds `x_{t−1..t−p}`. Both are fitted by the shared QR least squares of
//! `super::linalg` on the same rows, and
//! `F = ((RSS_r − RSS_u) / p) / (RSS_u / (n − 2p − 1))` is referred to `F(p, n − 2p − 1)`.
//! This is statsmodels' `grangercausalitytests` "ssr_ftest". Where `super::ccf` measures
//! contemporaneous-or-lagged correlation, this asks the forecasting question, in-sample; neither
//! replaces an out-of-sample check.
//!
//! Missing values (`None`, NaN, ±∞): a row `t` is used only when `y_t`, `y_{t−1..t−p}` and
//! `x_{t−1..t−p}` all exist, so each order reports its own `n`.

use statrs::distribution::{ContinuousCDF, FisherSnedecor};
use thiserror::Error;

use super::linalg::{LinalgError, MaybeMissing, lagged_design, least_squares};

/// Why a Granger test could not be run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GrangerError {
    /// `x` and `y` must cover the same periods.
    #[error("x and y must be aligned on the same periods: x has {x} values, y has {y}")]
    LengthMismatch { x: usize, y: usize },
    /// Lag orders start at 1.
    #[error("the largest lag order must be at least 1")]
    ZeroOrder,
    /// Too few complete rows for an order: the unrestricted model has `2p + 1` coefficients and
    /// needs at least one residual degree of freedom.
    #[error(
        "Granger test with {order} lags needs at least {needed} complete rows (y_t, {order} lags of y and of x), got {got}"
    )]
    TooFewObservations {
        order: usize,
        needed: usize,
        got: usize,
    },
    /// A regression could not be solved (e.g. a constant series).
    #[error(transparent)]
    LeastSquares(#[from] LinalgError),
}

/// The test at one lag order.
#[derive(Debug, Clone, PartialEq)]
pub struct GrangerRow {
    /// Number of lags `p` of each series.
    pub order: usize,
    /// The F statistic.
    pub f: f64,
    /// Numerator degrees of freedom, `p`.
    pub df1: usize,
    /// Denominator degrees of freedom, `n − 2p − 1`.
    pub df2: usize,
    /// `P(F(df1, df2) > f)`. An exact unrestricted fit gives `f = ∞` and `p_value = 0`; when both
    /// fits are exact both are NaN.
    pub p_value: f64,
    /// Rows used (same for both regressions).
    pub n: usize,
    /// Residual sum of squares without the lags of `x`.
    pub rss_restricted: f64,
    /// Residual sum of squares with them.
    pub rss_unrestricted: f64,
}

/// Tests whether `x` Granger-causes `y` at every lag order `1..=max_order`.
///
/// Order `p` uses the rows `t ≥ p` that are complete for that order (on complete data: `n − p`
/// rows, exactly as statsmodels `grangercausalitytests(np.column_stack([y, x]), maxlag)`).
/// `RSS_r` and `RSS_u` come from one QR factorisation of the unrestricted design (the restricted
/// design is its leading columns).
pub fn granger<T: MaybeMissing>(
    y: &[T],
    x: &[T],
    max_order: usize,
) -> Result<Vec<GrangerRow>, GrangerError> {
    if x.len() != y.len() {
        return Err(GrangerError::LengthMismatch {
            x: x.len(),
            y: y.len(),
        });
    }
    if max_order == 0 {
        return Err(GrangerError::ZeroOrder);
    }
    (1..=max_order)
        .map(|p| {
            // Columns: constant, y lags 1..=p, x lags 1..=p.
            let d = lagged_design(y, &[(y, p), (x, p)], p);
            let n = d.rows.len();
            let needed = 2 * p + 2;
            if n < needed {
                return Err(GrangerError::TooFewObservations {
                    order: p,
                    needed,
                    got: n,
                });
            }
            let fit = least_squares(&d.design, &d.response)?;
            let (rss_r, rss_u) = (fit.prefix_rss[p], fit.rss);
            let df2 = n - 2 * p - 1;
            let f = ((rss_r - rss_u) / p as f64) / (rss_u / df2 as f64);
            let dist = FisherSnedecor::new(p as f64, df2 as f64)
                .expect("degrees of freedom are at least 1");
            Ok(GrangerRow {
                order: p,
                f,
                df1: p,
                df2,
                // F is NaN only when both fits are exact (0/0); statrs would panic on it.
                p_value: if f.is_nan() { f64::NAN } else { dist.sf(f) },
                n,
                rss_restricted: rss_r,
                rss_unrestricted: rss_u,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::linalg::test_support::Lcg;
    use super::*;

    /// `x_t` white noise, `y_t = 0.3 y_{t−1} + 0.4 x_{t−2} + e_t` (`y_t = e_t` for t < 2); all `x`
    /// are drawn before all `e`.
    fn series() -> (Vec<f64>, Vec<f64>) {
        let mut rng = Lcg::new(2024);
        let x: Vec<f64> = (0..80).map(|_| rng.normal()).collect();
        let mut y = vec![0.0; 80];
        for t in 0..80 {
            let e = rng.normal();
            y[t] = if t >= 2 {
                0.3 * y[t - 1] + 0.4 * x[t - 2] + e
            } else {
                e
            };
        }
        (x, y)
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// (e) Golden values from statsmodels 0.15.0 / numpy 2.4.6 / scipy 1.17.1
    /// (`python3 golden/granger_golden.py` in the scratch crate; `lcg.Lcg` is the Python twin of
    /// `linalg::test_support::Lcg`):
    /// ```python
    /// from lcg import Lcg; import numpy as np
    /// from scipy.stats import f as fdist
    /// from statsmodels.tsa.stattools import grangercausalitytests
    /// r = Lcg(2024); n = 80
    /// x = [r.normal() for _ in range(n)]
    /// y = [0.0] * n
    /// for t in range(n):
    ///     e = r.normal()
    ///     y[t] = (0.3 * y[t-1] + 0.4 * x[t-2] + e) if t >= 2 else e
    /// x, y = np.array(x), np.array(y)
    /// # Complete data: statsmodels ssr F-test; does x Granger-cause y (column 2 -> column 1)?
    /// res = grangercausalitytests(np.column_stack([y, x]), maxlag=4)
    /// for p in range(1, 5):
    ///     F, pv, df2, df1 = res[p][0]["ssr_ftest"]
    ///     print(f"({p}, {F!r}, {int(df1)}, {int(df2)}, {pv!r}),")
    /// # Gaps (y[30], x[50] missing): numpy lstsq on the rows where every needed value exists.
    /// yg, xg = y.copy(), x.copy(); yg[30] = np.nan; xg[50] = np.nan
    /// for p in range(1, 5):
    ///     rows = [t for t in range(p, n) if not np.isnan(yg[t-p:t+1]).any() and not np.isnan(xg[t-p:t]).any()]
    ///     Y = yg[rows]
    ///     Xr = np.column_stack([np.ones(len(rows))] + [yg[[t - i for t in rows]] for i in range(1, p + 1)])
    ///     Xu = np.column_stack([Xr] + [xg[[t - i for t in rows]] for i in range(1, p + 1)])
    ///     rss = lambda X: np.sum((Y - X @ np.linalg.lstsq(X, Y, rcond=None)[0]) ** 2)
    ///     df2 = len(rows) - 2 * p - 1
    ///     F = (rss(Xr) - rss(Xu)) / p / (rss(Xu) / df2)
    ///     print(f"({p}, {F!r}, {p}, {df2}, {fdist.sf(F, p, df2)!r}, {len(rows)}),")
    /// ```
    #[test]
    fn granger_matches_statsmodels() {
        // (order, F, df1, df2, p-value) from statsmodels' ssr_ftest.
        const GOLDEN: [(usize, f64, usize, usize, f64); 4] = [
            (1, 0.5183780296644356, 1, 76, 0.4737428546117706),
            (2, 8.411464779465087, 2, 73, 0.0005160015812217584),
            (3, 6.453600745019909, 3, 70, 0.0006392238136339981),
            (4, 5.118768948882568, 4, 67, 0.0011665281135936133),
        ];
        let (x, y) = series();
        let rows = granger(&y, &x, 4).unwrap();
        assert_eq!(rows.len(), 4);
        for (row, (order, f, df1, df2, p)) in rows.iter().zip(GOLDEN) {
            assert_eq!(
                (row.order, row.df1, row.df2, row.n),
                (order, df1, df2, 80 - order)
            );
            assert!(close(row.f, f, 1e-9), "order {order}: F {} vs {f}", row.f);
            assert!(
                close(row.p_value, p, 1e-9),
                "order {order}: p {} vs {p}",
                row.p_value
            );
        }
    }

    #[test]
    fn granger_with_gaps_matches_numpy() {
        // (order, F, df1, df2, p-value, n) from the numpy/scipy part of the snippet above.
        const GOLDEN: [(usize, f64, usize, usize, f64, usize); 4] = [
            (1, 0.7041374882255923, 1, 73, 0.40413647730485036, 76),
            (2, 7.666105528687065, 2, 68, 0.0009946361909152668, 73),
            (3, 5.925383542692607, 3, 63, 0.0012584258667340433, 70),
            (4, 5.222172309595196, 4, 58, 0.0011599652886466335, 67),
        ];
        let (x, y) = series();
        let mut y: Vec<Option<f64>> = y.into_iter().map(Some).collect();
        let mut x: Vec<Option<f64>> = x.into_iter().map(Some).collect();
        y[30] = None;
        x[50] = None;
        let rows = granger(&y, &x, 4).unwrap();
        for (row, (order, f, df1, df2, p, n)) in rows.iter().zip(GOLDEN) {
            assert_eq!((row.order, row.df1, row.df2, row.n), (order, df1, df2, n));
            assert!(close(row.f, f, 1e-9), "order {order}: F {} vs {f}", row.f);
            assert!(
                close(row.p_value, p, 1e-9),
                "order {order}: p {} vs {p}",
                row.p_value
            );
        }
    }

    #[test]
    fn exact_fits_do_not_panic() {
        // y_t = x_{t−1} exactly: RSS_u = 0, F = ∞, p = 0.
        let x: Vec<f64> = (0..30).map(|t| ((t * 7919) % 31) as f64).collect();
        let y: Vec<f64> = (0..30)
            .map(|t| if t == 0 { 0.0 } else { x[t - 1] })
            .collect();
        let rows = granger(&y, &x, 1).unwrap();
        assert!(rows[0].f.is_infinite() || rows[0].f > 1e20, "{:?}", rows[0]);
        assert!(rows[0].p_value < 1e-12);
    }

    #[test]
    fn errors() {
        let (x, y) = series();
        assert_eq!(
            granger(&y, &x[..10], 1),
            Err(GrangerError::LengthMismatch { x: 10, y: 80 })
        );
        assert_eq!(granger(&y, &x, 0), Err(GrangerError::ZeroOrder));
        assert_eq!(
            granger(&y[..8], &x[..8], 3),
            Err(GrangerError::TooFewObservations {
                order: 3,
                needed: 8,
                got: 5
            })
        );
    }
}
