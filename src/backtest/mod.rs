//! Judging forecasts and strategies: proper scores (Brier, log, CRPS), reliability tables with
//! Wilson intervals, coverage, MAPE, and trading statistics (`score`).

pub mod score;
