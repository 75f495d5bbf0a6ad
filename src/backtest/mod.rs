//! Judging forecasts and strategies point-in-time: the replay of the pricing pipeline at past
//! as-of dates with first-print settlement (`engine`), strategies and sweeps over the replay
//! (`evaluate`), a whole backtest over a window on worker threads (`run`), and the scores
//! (`score`: Brier, log, CRPS, reliability with Wilson intervals, coverage, MAPE, P&L and
//! drawdown).

pub mod engine;
pub mod evaluate;
pub mod run;
pub mod score;
