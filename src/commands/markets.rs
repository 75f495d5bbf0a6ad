//! `portcast price` and `portcast backtest`: the markets file priced from the forecast at the
//! as-of date, and the same pricing replayed at past as-of dates with first-print settlement.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::analysis::distribution::DEFAULT_PATHS;
use crate::backtest::evaluate::{Strategy, Sweep};
use crate::backtest::run::{Window, check_limits, default_window, run_backtest};
use crate::exit::{Exit, UsageError};
use crate::markets::book::{self, Book, price_all};
use crate::markets::file::Market;
use crate::markets::paths::ForecastSpec;
use crate::markets::price;
use crate::model::Frequency;
use crate::present::backtest::{
    backtest_json, reliability_table, scores_table, skipped_table, steps_table, sweep_table,
    trades_table,
};
use crate::present::markets::price_table;
use crate::settings::Settings;
use crate::store::Store;

/// Flags shared by `price` and `backtest`.
#[derive(Debug, Args, Clone)]
pub struct MarketsArgs {
    /// Markets file (TOML). Default: the config's `markets_file`, else the bundled example
    /// (data/markets.example.toml).
    #[arg(long, value_name = "FILE")]
    pub markets: Option<PathBuf>,
    /// Seed of the forecast's sample paths (same seed, same prices).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths per forecast.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

/// The markets file named by `--markets` or the config; `None`: the bundled example.
pub fn markets_file(settings: &Settings, args: &MarketsArgs) -> Option<PathBuf> {
    args.markets
        .clone()
        .or_else(|| settings.config.markets_file.clone())
}

/// Read the markets named by the flags or the config, or the bundled example.
pub fn load_markets(settings: &Settings, args: &MarketsArgs) -> anyhow::Result<Vec<Market>> {
    crate::limits::check_flags(None, args.paths)?;
    Ok(book::load(markets_file(settings, args).as_deref())?)
}

/// `portcast price`.
#[derive(Debug, Args)]
pub struct PriceArgs {
    #[command(flatten)]
    pub markets: MarketsArgs,
}

pub fn price(settings: &Settings, args: &PriceArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let markets = load_markets(settings, &args.markets)?;
    let store = Store::open(&settings.location)?;
    let spec = ForecastSpec::new(
        &settings.config.forecast,
        args.markets.paths,
        args.markets.seed,
    );
    let sources = spec.sources();
    let lags = &settings.location.lags;
    let Book {
        priced,
        failures,
        awaiting,
    } = price_all(&store, &sources.model, &markets, lags, settings.as_of);
    price_table(&priced, &awaiting).write(settings.format, out)?;
    for (id, e) in &failures {
        tracing::error!(
            "market `{id}`: not priced: {}",
            in_file(settings, &args.markets, e)
        );
    }
    Ok(if failures.is_empty() {
        Exit::Ok
    } else if failures
        .iter()
        .any(|(_, e)| matches!(e, price::PriceError::TooFar { .. }))
    {
        // A target beyond the documented limits is a bad input, like a bad argument.
        Exit::Usage
    } else {
        Exit::Failure
    })
}

/// A pricing error, prefixed with the markets file when it is about the file's content.
pub fn in_file(settings: &Settings, args: &MarketsArgs, e: &price::PriceError) -> String {
    book::error_in_file(markets_file(settings, args).as_deref(), e)
}

/// Strategies to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Model,
    Rules,
    All,
}

/// Which table to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BacktestSection {
    /// Scores per market and strategy, and overall.
    Scores,
    /// Every trade.
    Trades,
    /// Reliability table per strategy (all markets' binary events).
    Reliability,
    /// Every replayed step: fair prices, references, outcome.
    Steps,
    /// Steps that could not be priced, and why.
    Skipped,
}

/// The window of the flags, else the default one; it must end by the as-of date. `keep_samples`:
/// a threshold sweep will re-price the steps.
fn window(
    settings: &Settings,
    args: &BacktestArgs,
    store: &Store,
    keep_samples: bool,
) -> Result<Window, UsageError> {
    let (dfrom, dto) = default_window(store, settings.as_of);
    let to = args.to.unwrap_or(dto);
    let from = args.from.unwrap_or(dfrom.min(to));
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")));
    }
    if to > settings.as_of.date_naive() {
        return Err(UsageError(format!(
            "--to {to} is after the as-of date {}: a backtest only replays the past",
            settings.as_of.date_naive()
        )));
    }
    Ok(Window {
        from,
        to,
        settle_by: settings.as_of,
        settled_only: args.settled_only,
        step: args.step.map(Into::into),
        keep_samples,
    })
}

/// `portcast backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub markets: MarketsArgs,
    /// First as-of date. Default: three years before --to.
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last as-of date. Default: --as-of, or the last date any figure became known, if earlier.
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "all")]
    pub strategy: StrategyArg,
    /// Only these markets (ids; repeat or comma-separate).
    #[arg(long = "market", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Price only the steps whose target has been printed by the as-of date (the others are
    /// listed as skipped): the scores are the same, the steps table shorter, the replay faster.
    #[arg(long)]
    pub settled_only: bool,
    /// Evaluate every variant, e.g. `threshold=4.0e6..4.6e6:0.05e6`, `kelly=0.1..0.5:0.1`,
    /// `min_edge=0..0.1:0.01`, `rule.pmi=50..54:0.5`; repeat for a grid. Ranked by P&L.
    #[arg(long, value_name = "NAME=LO..HI:STEP")]
    pub sweep: Vec<String>,
    /// Table to print (table and CSV formats; JSON prints every section).
    #[arg(long, value_enum, default_value = "scores")]
    pub section: BacktestSection,
    /// Decision dates on this grid (from --from: every day, every 7 days, every month) instead
    /// of one per market period: `--step day` replays a monthly market at each publication day
    /// of its month, so the scores show what the days already published are worth.
    #[arg(long, value_enum)]
    pub step: Option<StepArg>,
}

/// The grid of a backtest's decision dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepArg {
    Day,
    Week,
    Month,
}

impl From<StepArg> for Frequency {
    fn from(s: StepArg) -> Self {
        match s {
            StepArg::Day => Frequency::Day,
            StepArg::Week => Frequency::Week,
            StepArg::Month => Frequency::Month,
        }
    }
}

pub fn backtest(
    settings: &Settings,
    args: &BacktestArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let mut markets = load_markets(settings, &args.markets)?;
    if !args.only.is_empty() {
        for id in &args.only {
            if !markets.iter().any(|m| &m.id == id) {
                return Err(UsageError(format!("no market `{id}` in the markets file")).into());
            }
        }
        markets.retain(|m| args.only.contains(&m.id));
    }
    let sweeps = args
        .sweep
        .iter()
        .map(|s| Sweep::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(e.to_string()))?;
    let strategies: Vec<Strategy> = match args.strategy {
        StrategyArg::Model => vec![Strategy::Model],
        StrategyArg::Rules => vec![Strategy::Rules],
        StrategyArg::All => vec![Strategy::Model, Strategy::Rules],
    };
    let store = Store::open(&settings.location)?;
    let threshold_sweep = sweeps.iter().any(|s| s.name == "threshold");
    let window = window(settings, args, &store, threshold_sweep)?;
    check_limits(&markets, &window, &sweeps, &strategies, args.markets.paths)
        .map_err(|e| UsageError(e.to_string()))?;
    let (from, to) = (window.from, window.to);
    let spec = ForecastSpec::new(
        &settings.config.forecast,
        args.markets.paths,
        args.markets.seed,
    );
    tracing::info!("backtest {from} .. {to}: {} market(s)", markets.len());
    let run = run_backtest(&store, &spec, &markets, &window, &strategies)
        .context("replaying the markets")?;
    if !sweeps.is_empty() {
        sweep_table(&run, &sweeps, &strategies).write(settings.format, out)?;
        return Ok(Exit::Ok);
    }
    if settings.format == crate::output::Format::Json {
        serde_json::to_writer_pretty(&mut *out, &backtest_json(&run))?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    let table = match args.section {
        BacktestSection::Scores => scores_table(&run),
        BacktestSection::Trades => trades_table(&run),
        BacktestSection::Reliability => reliability_table(&run),
        BacktestSection::Steps => steps_table(&run),
        BacktestSection::Skipped => skipped_table(&run),
    };
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}
