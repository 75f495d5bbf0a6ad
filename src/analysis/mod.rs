//! Analysis on views of the store: lead-lag statistics (AR pre-whitening, two-sided CCF, Granger
//! causality), the Chinese calendar regressors, and predictive distributions.
//!
//! The kernels here work on plain slices aligned by period (`Option<f64>` where a period is
//! missing); the commands that use them build those slices from `crate::series::view` views.

pub mod ar;
pub mod audit;
pub mod calendar;
pub mod ccf;
pub mod distribution;
pub mod granger;
pub mod lags;
pub mod linalg;
pub mod transform;
