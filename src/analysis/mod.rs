//! Analysis on views of the store: lead-lag statistics (AR pre-whitening, two-sided CCF, Granger
//! causality), the Chinese calendar regressors, predictive distributions, and the scores and
//! interval statistics that judge them (`score`: CRPS, Brier, log score, reliability, Wilson
//! intervals, coverage, MAPE, P&L), used by `crate::forecast` and `crate::backtest` alike.
//!
//! The kernels here work on plain slices aligned by period (`Option<f64>` where a period is
//! missing). `transform` builds those slices from `crate::series::view` views (grid, transform,
//! calendar adjustment, alignment of a pair); `lags` runs the kernels on a pair (CCF, Granger,
//! stability, out-of-sample value); `audit` turns the trading guide's claims into measurements
//! and verdicts.

pub mod ar;
pub mod audit;
pub mod calendar;
pub mod ccf;
pub mod distribution;
pub mod granger;
pub mod lags;
pub mod linalg;
pub mod score;
pub mod transform;
