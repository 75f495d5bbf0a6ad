//! A whole backtest: the markets of a file replayed over a window of past as-of dates
//! ([`engine::replay`] per market and date, dates shared out over worker threads and joined in
//! date order), then evaluated per strategy ([`evaluate::evaluate`]); the window by default, and
//! the short window of `portcast run`'s summary; the scores of all markets pooled.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rayon::prelude::*;

use super::engine::{self, Replay, Sources};
use super::evaluate::{self, Scores, Strategy, Sweep, Trade, Variant};
use crate::limits::{MAX_BACKTEST_STEPS, MAX_KEPT_SAMPLES, MAX_SWEEP_ROWS};
use crate::markets::file::Market;
use crate::markets::paths::{ForecastSources, ForecastSpec};
use crate::model::{Frequency, Period};
use crate::store::{Store, StoreError};

/// A finished backtest: per market the replay, and per strategy the trades and scores.
pub struct BacktestRun {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub replays: Vec<(Market, Replay)>,
    pub results: Vec<(Strategy, Vec<Trade>, Vec<Scores>)>,
}

/// The dates a backtest replays and how its steps settle.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Steps settle on first prints known by this time (the run's as-of time).
    pub settle_by: DateTime<Utc>,
    /// Replay only the steps whose target has a first print by `settle_by`; the others are
    /// listed as skipped, unpriced. A summary that scores forecasts against outcomes needs
    /// nothing else, and pricing a step that can never be scored is most of the work when a
    /// series has stopped updating.
    pub settled_only: bool,
    /// The grid of decision dates; `None`: each market's own period (one date per period).
    pub step: Option<Frequency>,
    /// Keep each settled binary step's samples, so a threshold sweep can re-price it
    /// ([`engine::Steps::keep_samples`]; bounded by [`kept_samples_bound`]).
    pub keep_samples: bool,
}

impl Window {
    /// What a replay of this window prices and keeps.
    fn steps(&self) -> engine::Steps {
        engine::Steps {
            settled_only: self.settled_only,
            keep_samples: self.keep_samples,
        }
    }
}

/// What a backtest may not ask (README, Limits), refused before anything is replayed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error(
        "--sweep: {variants} variant(s) on {markets} market(s) make {rows} rows, over the limit \
         of {MAX_SWEEP_ROWS} (README, Limits); sweep fewer values or name fewer markets with \
         --market"
    )]
    SweepRows {
        variants: usize,
        markets: usize,
        rows: usize,
    },
    #[error(
        "{steps} steps ({markets} market(s) over {from} .. {to}{by}) is over the limit of \
         {MAX_BACKTEST_STEPS} (README, Limits); narrow --from/--to, use a coarser --step or name \
         fewer markets with --market"
    )]
    Steps {
        steps: usize,
        markets: usize,
        from: NaiveDate,
        to: NaiveDate,
        /// " by day" etc. for a `--step` grid, else empty.
        by: String,
    },
    #[error(
        "--sweep threshold=… re-prices every step of the binary markets from their samples: up \
         to {kept} values over {from} .. {to} with --paths {paths} is over the limit of \
         {MAX_KEPT_SAMPLES} (README, Limits); narrow --from/--to, name fewer markets with \
         --market or use fewer --paths"
    )]
    KeptSamples {
        kept: usize,
        from: NaiveDate,
        to: NaiveDate,
        paths: usize,
    },
}

/// Whether a backtest of `markets` over `window` with `paths` paths, evaluated for `sweeps`
/// under `strategies`, is within the limits: the sweep table's rows, the steps, and the samples
/// a threshold sweep keeps ([`kept_samples_bound`]).
pub fn check_limits(
    markets: &[Market],
    window: &Window,
    sweeps: &[Sweep],
    strategies: &[Strategy],
    paths: usize,
) -> Result<(), LimitError> {
    let rows = evaluate::sweep_rows(markets, sweeps, strategies);
    if !sweeps.is_empty() && rows > MAX_SWEEP_ROWS {
        return Err(LimitError::SweepRows {
            variants: evaluate::variant_count(sweeps),
            markets: markets.len(),
            rows,
        });
    }
    let steps = market_steps(markets, window);
    if steps > MAX_BACKTEST_STEPS {
        return Err(LimitError::Steps {
            steps,
            markets: markets.len(),
            from: window.from,
            to: window.to,
            by: window
                .step
                .map_or(String::new(), |f| format!(" by {}", f.as_str())),
        });
    }
    let kept = kept_samples_bound(markets, window, paths);
    if kept > MAX_KEPT_SAMPLES {
        return Err(LimitError::KeptSamples {
            kept,
            from: window.from,
            to: window.to,
            paths,
        });
    }
    Ok(())
}

/// The steps a replay of `markets` over `window` prices or skips: one per market and decision
/// date (bounded by [`check_limits`]).
pub fn market_steps(markets: &[Market], window: &Window) -> usize {
    markets.iter().map(|m| dates_of(m, window)).sum()
}

/// How many decision dates `market` has in `window`.
fn dates_of(market: &Market, window: &Window) -> usize {
    engine::step_dates(window.from, window.to, window.step.unwrap_or(market.freq)).len()
}

/// The most sample values a replay of `markets` over `window` with `paths` paths can keep: three
/// distributions (model, climatology, seasonal naive) of `paths` values at every step date of
/// every binary market, whether or not it settles; 0 when the window keeps none (bounded by
/// [`check_limits`]).
pub fn kept_samples_bound(markets: &[Market], window: &Window, paths: usize) -> usize {
    if !window.keep_samples {
        return 0;
    }
    markets
        .iter()
        .filter(|m| engine::threshold_strike(m).is_some())
        .map(|m| dates_of(m, window))
        .sum::<usize>()
        .saturating_mul(3)
        .saturating_mul(paths)
}

/// The default window: three years ending at the as-of date or at the last date anything
/// became known, whichever is earlier (so the bundled snapshot backtests over its last years).
pub fn default_window(store: &Store, as_of: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let last_known = store
        .last_known_at(as_of)
        .map_or(as_of.date_naive(), |t| t.date_naive());
    let to = last_known.min(as_of.date_naive());
    let from = NaiveDate::from_ymd_opt(to.year() - 3, to.month(), to.day().min(28))
        .unwrap_or(to - Duration::days(3 * 365));
    (from, to)
}

/// The window of `portcast run`'s backtest summary: `months` monthly steps ending where
/// [`default_window`] ends (at most ten years), settled steps only, settling at `as_of`.
pub fn summary_window(store: &Store, as_of: DateTime<Utc>, months: u32) -> Window {
    let (_, to) = default_window(store, as_of);
    let months_back = months.saturating_sub(1);
    let from = Period::containing(to, Frequency::Month)
        .offset(-i64::from(months_back))
        .start()
        .max(to - Duration::days(3660));
    Window {
        from: from.min(to),
        to,
        settle_by: as_of,
        settled_only: true,
        step: None,
        keep_samples: false,
    }
}

impl<'a> From<&'a ForecastSources> for Sources<'a> {
    fn from(s: &'a ForecastSources) -> Self {
        Sources {
            model: &s.model,
            climatology: &s.climatology,
            seasonal_naive: &s.seasonal_naive,
        }
    }
}

/// Replay and evaluate `markets` over the window's dates, on one thread per core.
pub fn run_backtest(
    store: &Store,
    spec: &ForecastSpec,
    markets: &[Market],
    window: &Window,
    strategies: &[Strategy],
) -> Result<BacktestRun, StoreError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_backtest_on(store, spec, markets, window, strategies, workers)
}

/// [`run_backtest`] on `workers` threads (the result is the same for any number).
pub fn run_backtest_on(
    store: &Store,
    spec: &ForecastSpec,
    markets: &[Market],
    window: &Window,
    strategies: &[Strategy],
    workers: usize,
) -> Result<BacktestRun, StoreError> {
    let replays = replay_all(store, spec, markets, window, workers)?;
    let mut results = Vec::new();
    for &s in strategies {
        let mut trades = Vec::new();
        let mut scores = Vec::new();
        for (m, r) in &replays {
            if s == Strategy::Rules && m.rule.is_none() {
                continue;
            }
            let (t, sc) = evaluate::evaluate(m, &r.rows, s, &Variant::default());
            trades.extend(t);
            scores.push(sc);
        }
        results.push((s, trades, scores));
    }
    Ok(BacktestRun {
        from: window.from,
        to: window.to,
        replays,
        results,
    })
}

/// Every market replayed at each of its dates in the window, on `workers` threads.
///
/// Date by date, every market stepping on that date: markets on one series share its
/// forecasts at the date (memoised per series, grid and as-of time), and the memo starts
/// empty at each date. Each (series, grid, as-of) is asked for by the markets in file order,
/// as a market-by-market replay would, so the paths and the results are the same. Dates are
/// independent of each other, so each date is a task on a pool of `workers` threads (one per
/// core), and the results are joined back in date order: they do not depend on the number of
/// threads or on which thread replayed which date.
fn replay_all(
    store: &Store,
    spec: &ForecastSpec,
    markets: &[Market],
    window: &Window,
    workers: usize,
) -> Result<Vec<(Market, Replay)>, StoreError> {
    let mut by_date: BTreeMap<NaiveDate, Vec<usize>> = Default::default();
    for (i, m) in markets.iter().enumerate() {
        for date in engine::step_dates(window.from, window.to, window.step.unwrap_or(m.freq)) {
            by_date.entry(date).or_default().push(i);
        }
    }
    let dates: Vec<(NaiveDate, Vec<usize>)> = by_date.into_iter().collect();
    let workers = workers.clamp(1, dates.len().max(1));
    let replay_dates = |chunk: &[(NaiveDate, Vec<usize>)]| {
        let sources = spec.sources();
        let mut steps: Vec<(usize, Replay)> = Vec::new();
        for (date, indices) in chunk {
            for &i in indices {
                let step = engine::replay(
                    store,
                    &markets[i],
                    &Sources::from(&sources),
                    &[*date],
                    window.settle_by,
                    window.steps(),
                    |_, _| {},
                )?;
                steps.push((i, step));
            }
            sources.clear();
        }
        Ok::<_, StoreError>(steps)
    };
    let chunks: Vec<Result<Vec<(usize, Replay)>, _>> = if workers <= 1 {
        vec![replay_dates(&dates)]
    } else {
        // One date per task on a pool of `workers` threads: a thread that finishes its dates
        // takes over some of another's (the dates' costs differ a lot: a weekly market's
        // dates need new weekly fits), and `collect` keeps the date order.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .expect("a thread pool");
        pool.install(|| dates.par_chunks(1).map(&replay_dates).collect())
    };
    let mut replays: Vec<(Market, Replay)> = markets
        .iter()
        .map(|m| (m.clone(), Replay::default()))
        .collect();
    for chunk in chunks {
        for (i, step) in chunk? {
            let replay = &mut replays[i].1;
            replay.rows.extend(step.rows);
            replay.skipped.extend(step.skipped);
        }
    }
    Ok(replays)
}

/// All markets' settled rows scored together (CRPS is left out: units differ by market).
pub fn pooled_scores(run: &BacktestRun, strategy: Strategy, trades: &[Trade]) -> Scores {
    let mut all_rows = Vec::new();
    for (m, r) in &run.replays {
        if strategy == Strategy::Rules && m.rule.is_none() {
            continue;
        }
        all_rows.extend(r.rows.iter().map(|row| {
            let mut row = row.clone();
            row.crps = None;
            row
        }));
    }
    let pseudo = run.replays.first().map(|(m, _)| m.clone());
    let mut scores = match pseudo {
        Some(m) => {
            evaluate::evaluate(
                &m,
                &all_rows,
                Strategy::Model,
                &Variant {
                    min_edge: Some(f64::INFINITY),
                    ..Variant::default()
                },
            )
            .1
        }
        None => Scores::default(),
    };
    scores.market = "ALL".into();
    scores.strategy = strategy.as_str().into();
    let pnl: Vec<f64> = trades.iter().map(|t| t.pnl).collect();
    scores.trades = trades.len();
    scores.pnl = pnl.iter().fold(0.0, |a, b| a + b);
    scores.hit_rate = crate::analysis::score::hit_rate(&pnl).ok();
    scores.max_drawdown = crate::analysis::score::max_drawdown(&pnl).unwrap_or(0.0);
    scores
}
