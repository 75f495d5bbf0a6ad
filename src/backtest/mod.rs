//! Judging forecasts and strategies point-in-time: the replay of the pricing pipeline at past
//! as-of dates with first-print settlement (`engine`), strategies and sweeps over the replay
//! (`evaluate`), and the scores (`score`: Brier, log, CRPS, reliability with Wilson intervals,
//! coverage, MAPE, P&L and drawdown).

pub mod engine;
pub mod evaluate;
pub mod score;
