//! Autoregressive models AR(p) fitted by least squares, for pre-whitening and simple forecasts.
//!
//! `x_t = c + φ_1 x_{t−1} + … + φ_p x_{t−p} + e_t`, fitted by OLS through the shared QR solver in
//! `super::linalg` (the same one `super::granger` uses). [`ArModel::select`] chooses `p` by AIC;
//! `super::ccf` uses the selected model's [`ArModel::filter`] to pre-whiten both series of a
//! cross-correlation with the *same* filter (the one fitted to the leading series).
//!
//! Missing values (`None`, NaN, ±∞) are handled by using only the complete windows: row `t` enters
//! a fit when `x_t, x_{t−1}, …, x_{t−p}` are all present, so every contiguous stretch of data
//! contributes and a gap only costs the rows whose window touches it.

use thiserror::Error;

use super::linalg::{LinalgError, MaybeMissing, lagged_design, least_squares};

/// Why an autoregression could not be fitted or used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ArError {
    /// Too few complete windows `(x_{t−p}, …, x_t)` to fit the requested order.
    #[error(
        "AR({order}) needs at least {needed} complete windows of {window} consecutive observations, got {got}"
    )]
    TooFewObservations {
        order: usize,
        window: usize,
        needed: usize,
        got: usize,
    },
    /// The last `order` values of the history are not all present.
    #[error(
        "forecasting with AR({order}) needs the last {order} values present; the history has {len} values"
    )]
    InsufficientHistory { order: usize, len: usize },
    /// The least-squares problem itself failed (e.g. a constant series).
    #[error(transparent)]
    LeastSquares(#[from] LinalgError),
}

/// A fitted AR(p) with intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct ArModel {
    /// The constant `c` (not the process mean; the mean is `c / (1 − Σφ)`).
    pub intercept: f64,
    /// `φ_1, …, φ_p`; the order `p` is `coefs.len()`.
    pub coefs: Vec<f64>,
    /// Residual variance `RSS / nobs` (the maximum-likelihood estimate, as in statsmodels `AutoReg`).
    pub sigma2: f64,
    /// Number of observations `t` used in the fit.
    pub nobs: usize,
}

/// The outcome of [`ArModel::select`].
#[derive(Debug, Clone, PartialEq)]
pub struct ArSelection {
    /// The chosen order refitted on every complete window for that order.
    pub model: ArModel,
    /// `aic[p]` for `p = 0..=max_order`, all on the common sample.
    pub aic: Vec<f64>,
    /// Size of the common sample the AIC values were computed on.
    pub common_nobs: usize,
}

/// A default largest order for AIC selection on `n_obs` observations:
/// `min(⌊10·log10 n⌋, ⌊n / 4⌋)` (R's `ar()` default, capped so the common sample keeps at least
/// three quarters of the data).
pub fn default_max_order(n_obs: usize) -> usize {
    if n_obs < 4 {
        return 0;
    }
    let by_log = (10.0 * (n_obs as f64).log10()).floor() as usize;
    by_log.min(n_obs / 4)
}

impl ArModel {
    /// The order `p`.
    pub fn order(&self) -> usize {
        self.coefs.len()
    }

    /// Fits AR(`order`) with intercept by OLS on every complete window (see the module docs); on
    /// complete data that is `t = order, …, n − 1`, exactly statsmodels
    /// `AutoReg(x, lags=order, trend="c")`.
    pub fn fit<T: MaybeMissing>(x: &[T], order: usize) -> Result<ArModel, ArError> {
        let d = lagged_design(x, &[(x, order)], order);
        check_rows(order, d.rows.len())?;
        let fit = least_squares(&d.design, &d.response)?;
        Ok(ArModel {
            intercept: fit.coef[0],
            coefs: fit.coef[1..].to_vec(),
            sigma2: fit.rss / fit.nobs as f64,
            nobs: fit.nobs,
        })
    }

    /// Chooses `p` in `0..=max_order` by minimum AIC, then refits that order with [`ArModel::fit`].
    ///
    /// All orders are compared on a common sample: the rows `t ≥ max_order` whose window
    /// `x_{t−max_order}, …, x_t` is complete (so the AIC values are comparable). With `n` rows and
    /// `RSS_p` the residual sum of squares of AR(p) on them,
    /// `AIC(p) = n·ln(RSS_p / n) + 2k`, `k = p + 1` (intercept and lags). Ties go to the smaller
    /// order. This matches statsmodels `ar_select_order(x, max_order, ic="aic", trend="c")`, whose
    /// AIC differs from this one only by a constant.
    pub fn select<T: MaybeMissing>(x: &[T], max_order: usize) -> Result<ArSelection, ArError> {
        let full = lagged_design(x, &[(x, max_order)], max_order);
        let common_nobs = full.rows.len();
        check_rows(max_order, common_nobs)?;
        // AR(p) on the common sample uses the first p + 1 columns of the AR(max_order) design, so
        // one factorisation gives every RSS_p.
        let fit = least_squares(&full.design, &full.response)?;
        let n = common_nobs as f64;
        let aic: Vec<f64> = fit
            .prefix_rss
            .iter()
            .enumerate()
            .map(|(p, rss)| n * (rss / n).ln() + 2.0 * (p + 1) as f64)
            .collect();
        let best = (0..aic.len()).fold(0, |b, p| if aic[p] < aic[b] { p } else { b });
        Ok(ArSelection {
            model: Self::fit(x, best)?,
            aic,
            common_nobs,
        })
    }

    /// Residual at time `t` (`t ≥ p`), or `None` when a value in its window is missing.
    fn residual<T: MaybeMissing>(&self, x: &[T], t: usize) -> Option<f64> {
        let mut e = x[t].value()? - self.intercept;
        for (i, phi) in self.coefs.iter().enumerate() {
            e -= phi * x[t - 1 - i].value()?;
        }
        Some(e)
    }

    /// The AR filter `e_t = x_t − c − Σ_{i=1..p} φ_i x_{t−i}` applied to `x`.
    ///
    /// Alignment: the first `p` values have no complete window and are dropped, so `out[i]` is the
    /// residual at `t = i + p` and `out.len() == x.len().saturating_sub(p)`. Two series filtered by
    /// the same model therefore stay aligned with each other. A residual whose window contains a
    /// missing value is NaN.
    pub fn filter(&self, x: &[f64]) -> Vec<f64> {
        (self.order()..x.len())
            .map(|t| self.residual(x, t).unwrap_or(f64::NAN))
            .collect()
    }

    /// [`ArModel::filter`] for series with gaps: same alignment, `None` where the window is
    /// incomplete.
    pub fn filter_missing(&self, x: &[Option<f64>]) -> Vec<Option<f64>> {
        (self.order()..x.len())
            .map(|t| self.residual(x, t))
            .collect()
    }

    /// One-step-ahead forecast `c + Σ φ_i x_{T+1−i}` from the last `p` values of `history`
    /// (`history[len − 1]` is `x_T`).
    pub fn predict_next(&self, history: &[f64]) -> Result<f64, ArError> {
        let p = self.order();
        let err = ArError::InsufficientHistory {
            order: p,
            len: history.len(),
        };
        if history.len() < p {
            return Err(err);
        }
        let mut forecast = self.intercept;
        for (phi, x) in self.coefs.iter().zip(history.iter().rev()) {
            forecast += phi * x.value().ok_or(err.clone())?;
        }
        Ok(forecast)
    }
}

/// An AR(p) fit needs `p + 2` complete windows (p + 1 coefficients and one residual degree of
/// freedom).
fn check_rows(order: usize, got: usize) -> Result<(), ArError> {
    let needed = order + 2;
    if got < needed {
        return Err(ArError::TooFewObservations {
            order,
            window: order + 1,
            needed,
            got,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::linalg::test_support::Lcg;
    use super::*;

    /// x_t = 10 + 0.6 x_{t−1} − 0.3 x_{t−2} + e_t, x_0 = x_1 = 10, e from `Lcg::new(42).normal()`
    /// (draws for t = 0, 1 are consumed and discarded), n = 150.
    fn ar2_series() -> Vec<f64> {
        let mut rng = Lcg::new(42);
        let mut x = vec![10.0; 150];
        for t in 0..150 {
            let e = rng.normal();
            if t >= 2 {
                x[t] = 10.0 + 0.6 * x[t - 1] - 0.3 * x[t - 2] + e;
            }
        }
        x
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// Golden values from statsmodels 0.15.0, numpy 2.4.6 (`python3 golden/ar_golden.py` in the
    /// scratch crate; `Lcg` is the Python twin of `linalg::test_support::Lcg`):
    /// ```python
    /// from lcg import Lcg; import numpy as np
    /// from statsmodels.tsa.ar_model import AutoReg, ar_select_order
    /// r = Lcg(42); x = [10.0] * 150
    /// for t in range(150):
    ///     e = r.normal()
    ///     if t >= 2: x[t] = 10.0 + 0.6 * x[t-1] - 0.3 * x[t-2] + e
    /// x = np.array(x)
    /// sel = ar_select_order(x, maxlag=8, ic="aic", trend="c")
    /// print(sel.ar_lags)                                   # [1, 2, 3]
    /// aics = {len(k) if k else 0: v for k, v in sel.aic.items()}
    /// print([aics[p] - aics[0] for p in range(9)])         # AIC differs from ours by a constant
    /// res = AutoReg(x, lags=2, trend="c").fit()
    /// print(res.params, res.sigma2, res.nobs, res.resid[:3], res.resid[-1])
    /// print(res.predict(start=150, end=150))               # one step ahead
    /// res3 = AutoReg(x, lags=3, trend="c").fit()
    /// print(res3.params, res3.sigma2, res3.nobs)
    /// ```
    #[test]
    fn ar_matches_statsmodels() {
        let x = ar2_series();
        let sel = ArModel::select(&x, 8).unwrap();
        assert_eq!(sel.common_nobs, 142);
        const AIC_MINUS_AIC0: [f64; 9] = [
            0.0,
            -23.09920631801026,
            -31.43558785281715,
            -31.491347648999295,
            -29.68634718462397,
            -28.731480961870375,
            -27.366844542854494,
            -25.609069112458997,
            -24.97658959598988,
        ];
        for (p, want) in AIC_MINUS_AIC0.iter().enumerate() {
            let got = sel.aic[p] - sel.aic[0];
            assert!(close(got, *want, 1e-9), "p={p}: {got} vs {want}");
        }
        let m3 = &sel.model;
        assert_eq!(m3.order(), 3);
        assert_eq!(m3.nobs, 147);
        let want3 = [
            11.925087116482553,
            0.4622977690845286,
            -0.2082732247609473,
            -0.08682812838912093,
        ];
        assert!(close(m3.intercept, want3[0], 1e-9), "{m3:?}");
        for (got, want) in m3.coefs.iter().zip(&want3[1..]) {
            assert!(close(*got, *want, 1e-9), "{m3:?}");
        }
        assert!(close(m3.sigma2, 1.0386845275164953, 1e-9), "{m3:?}");

        let m = ArModel::fit(&x, 2).unwrap();
        assert_eq!(m.nobs, 148);
        assert!(close(m.intercept, 11.031065099566343, 1e-9), "{m:?}");
        assert!(close(m.coefs[0], 0.4866918520487822, 1e-9), "{m:?}");
        assert!(close(m.coefs[1], -0.2568404131842904, 1e-9), "{m:?}");
        assert!(close(m.sigma2, 1.0403761253480466, 1e-9), "{m:?}");
        let e = m.filter(&x);
        assert_eq!(e.len(), 148);
        let want_resid = [
            -0.00647079622332924,
            0.7215856649116787,
            -2.023653975241423,
            1.2519641153660253,
        ];
        for (got, want) in [e[0], e[1], e[2], e[147]].iter().zip(want_resid) {
            assert!(close(*got, want, 1e-9), "{got} vs {want}");
        }
        let f = m.predict_next(&x).unwrap();
        assert!(close(f, 15.120772088618436, 1e-9), "{f}");
    }

    #[test]
    fn gaps_only_cost_the_windows_that_touch_them() {
        let x: Vec<Option<f64>> = ar2_series().into_iter().map(Some).collect();
        let full = ArModel::fit(&x, 2).unwrap();
        let mut gappy = x.clone();
        gappy[50] = None;
        let m = ArModel::fit(&gappy, 2).unwrap();
        // Rows t = 50, 51, 52 need x_50.
        assert_eq!(m.nobs, full.nobs - 3);
        let e = m.filter_missing(&gappy);
        assert_eq!(e.len(), 148);
        assert!(e[48].is_none() && e[49].is_none() && e[50].is_none());
        assert!(e[47].is_some() && e[51].is_some());
    }

    #[test]
    fn errors_say_what_was_needed() {
        let x = [1.0, 2.0, f64::NAN, 4.0, 5.0];
        assert_eq!(
            ArModel::fit(&x, 1),
            Err(ArError::TooFewObservations {
                order: 1,
                window: 2,
                needed: 3,
                got: 2
            })
        );
        let m = ArModel {
            intercept: 1.0,
            coefs: vec![0.5, 0.25],
            sigma2: 1.0,
            nobs: 10,
        };
        assert_eq!(m.predict_next(&[4.0, 8.0]), Ok(1.0 + 4.0 + 1.0));
        assert_eq!(
            m.predict_next(&[8.0]),
            Err(ArError::InsufficientHistory { order: 2, len: 1 })
        );
        assert!(ArModel::fit(&[3.0; 20], 1).is_err(), "constant series");
        assert_eq!(default_max_order(2000), 33);
        assert_eq!(default_max_order(20), 5);
        assert_eq!(default_max_order(3), 0);
    }
}
