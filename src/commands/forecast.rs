//! `portcast forecast`, `portcast nowcast` and `portcast evaluate`: the command-line faces of
//! `crate::forecast` (predictive distributions, the Shanghai TEU nowcast, rolling-origin
//! evaluation). Argument checking and output tables live here; all logic is in the library.

use std::io::Write;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::analysis::distribution::DEFAULT_PATHS;
use crate::exit::{Exit, UsageError};
use crate::forecast::evaluate::{EvaluateRequest, evaluate as run_evaluation};
use crate::forecast::nowcast::{self, NowcastOptions};
use crate::forecast::{ForecastRequest, ModelChoice, ModelKind, forecast as run_forecast};
use crate::model::{Frequency, Period};
use crate::output::format_number;
use crate::present;
use crate::series::catalog;
use crate::settings::{Settings, freq_arg};
use crate::store::Store;

/// Which model to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelArg {
    /// The lowest rolling-origin CRPS on the training data.
    Auto,
    /// Year-on-year log growth on lagged drivers, Chinese New Year share and break indicators.
    Regression,
    /// Holt–Winters exponential smoothing (additive seasonality on logs, optional damped trend).
    Ets,
    /// Seasonal ARIMA with regression on the drivers, orders chosen automatically (AICc).
    Arima,
    /// A random walk whose steps follow each other (AR(1) on the log changes, recent volatility).
    Momentum,
    /// Momentum around the drift of the last quarter of a season (13 weeks, 3 months).
    Trend,
    /// Seasonal naive: the same period a year earlier.
    Snaive,
    /// Naive: the last value.
    Naive,
    /// The past values of the same month or week.
    Climatology,
}

impl From<ModelArg> for ModelChoice {
    fn from(m: ModelArg) -> Self {
        match m {
            ModelArg::Auto => ModelChoice::Auto,
            ModelArg::Regression => ModelChoice::Named(ModelKind::Regression),
            ModelArg::Ets => ModelChoice::Named(ModelKind::Ets),
            ModelArg::Arima => ModelChoice::Named(ModelKind::Arima),
            ModelArg::Momentum => ModelChoice::Named(ModelKind::Momentum),
            ModelArg::Trend => ModelChoice::Named(ModelKind::Trend),
            ModelArg::Snaive => ModelChoice::Named(ModelKind::SeasonalNaive),
            ModelArg::Naive => ModelChoice::Named(ModelKind::Naive),
            ModelArg::Climatology => ModelChoice::Named(ModelKind::Climatology),
        }
    }
}

/// The default quantile levels of `forecast`.
pub const DEFAULT_QUANTILES: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// Series id: shanghai_calls, scfi, la_teu, la_loaded_imports, shanghai_teu (via the
    /// nowcast), or any other monthly or weekly series.
    #[arg(long)]
    pub series: String,
    /// Forecasting grid. Default: weekly for SCFI-like weekly prints, monthly otherwise.
    #[arg(long, value_parser = freq_arg(&["week", "month"]))]
    pub freq: Option<Frequency>,
    /// Number of periods after the last one known at --as-of.
    #[arg(long, default_value_t = 6)]
    pub horizon: usize,
    /// Model; `auto` picks the lowest rolling-origin CRPS on the training data. A model that
    /// cannot be fitted gives way to the next (regression, ets, snaive, naive, climatology).
    #[arg(long, value_enum, default_value = "auto")]
    pub model: ModelArg,
    /// Quantile levels (type 7), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_QUANTILES)]
    pub quantiles: Vec<f64>,
    /// Add a column p_above_K with P(X > K); repeat or separate by commas for several.
    #[arg(long, value_delimiter = ',', value_name = "K")]
    pub threshold: Vec<f64>,
    /// Seed of every random draw (same seed, data and as-of: same output).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

#[derive(Debug, Args)]
pub struct NowcastArgs {
    /// The series to nowcast (only shanghai_teu: official monthly TEU from vessel calls).
    #[arg(long, default_value = nowcast::TARGET)]
    pub series: String,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Draws of the monthly series.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Series id (as for `forecast`).
    #[arg(long)]
    pub series: String,
    /// Forecasting grid (as for `forecast`).
    #[arg(long, value_parser = freq_arg(&["week", "month"]))]
    pub freq: Option<Frequency>,
    /// First origin: the periods that start on or after this date (YYYY-MM-DD or YYYY-MM).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last origin: the periods that start on or before this date (YYYY-MM-DD, or YYYY-MM for
    /// the end of that month).
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// Horizons 1..=H are scored.
    #[arg(long, default_value_t = 1)]
    pub horizon: usize,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths per model and origin.
    #[arg(long, default_value_t = 2_000)]
    pub paths: usize,
    /// Print the PIT histogram instead (share of outcomes in each tenth of the forecast
    /// distribution, per model and horizon: flat when calibrated, U-shaped when too narrow).
    #[arg(long)]
    pub pit: bool,
    /// Instead: for each period starting in the window, forecast it as of every date from its
    /// first day until its last day is published, and print the mean CRPS of its total by the
    /// number of its days published, against the plain rule (published sum + remaining days ×
    /// the mean of the last 28 published days). Daily counts only (`shanghai_calls`,
    /// `portwatch.<port>.<field>`).
    #[arg(long)]
    pub by_known_days: bool,
}

/// The series must exist and be forecastable at the asked grid (weekly or monthly, never finer
/// than its own; official Shanghai TEU only monthly).
fn check_series(series: &str, freq: Option<Frequency>) -> Result<(), UsageError> {
    let Some(spec) = catalog::spec(series) else {
        return Err(UsageError(format!(
            "unknown series `{series}` (see `portcast data list`)"
        )));
    };
    let freq = match freq {
        Some(f) => f,
        None => crate::forecast::default_freq(series).unwrap_or(spec.period),
    };
    if !matches!(freq, Frequency::Week | Frequency::Month) {
        return Err(UsageError(format!(
            "`{series}` is {} data: forecasts are weekly or monthly",
            spec.period
        )));
    }
    if spec.period > freq || (series == nowcast::TARGET && freq != Frequency::Month) {
        return Err(UsageError(format!(
            "`{series}` is {} data and cannot be forecast by {freq}",
            spec.period
        )));
    }
    Ok(())
}

/// `portcast forecast`: one row per forecast period.
pub fn forecast(
    settings: &Settings,
    args: &ForecastArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    check_series(&args.series, args.freq)?;
    if let Some(q) = args.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(UsageError(format!("--quantiles: {q} is not a level in [0, 1]")).into());
    }
    crate::limits::check_flags(Some(args.horizon), args.paths)?;
    let store = Store::open(&settings.location)?;
    let req = ForecastRequest {
        series: args.series.clone(),
        freq: args.freq,
        horizon: args.horizon,
        as_of: settings.as_of,
        model: args.model.into(),
        n_paths: args.paths,
        seed: args.seed,
    };
    let fc = run_forecast(&store, &req, &settings.config.forecast)
        .with_context(|| format!("cannot forecast {}", args.series))?;
    for c in &fc.selection {
        tracing::debug!(
            "selection: {} mean CRPS {} over {} forecasts ({} origins not fitted)",
            c.kind,
            c.crps.map_or("-".into(), format_number),
            c.scored,
            c.failed
        );
    }
    tracing::info!(
        "{}: model {} from origin {} ({} values known as of {})",
        fc.series,
        fc.model,
        fc.origin,
        fc.history.len(),
        settings.as_of.format("%Y-%m-%d")
    );
    present::forecast::forecast_table(&fc, &args.quantiles, &args.threshold)?
        .write(settings.format, out)?;
    Ok(Exit::Ok)
}

/// `portcast nowcast`: the monthly series over the vessel-call months, then the leave-one-out
/// MAPE as a last row.
pub fn nowcast(
    settings: &Settings,
    args: &NowcastArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    if args.series != nowcast::TARGET {
        return Err(UsageError(format!(
            "only `{}` is nowcast (from `{}`); got `{}`",
            nowcast::TARGET,
            nowcast::INDICATOR,
            args.series
        ))
        .into());
    }
    crate::limits::check_flags(None, args.paths)?;
    let store = Store::open(&settings.location)?;
    let options = NowcastOptions {
        n_paths: args.paths,
        seed: args.seed,
        leave_one_out: true,
    };
    let now = nowcast::nowcast(&store, settings.as_of, &options).context("cannot nowcast")?;
    tracing::info!(
        "TEU = {:.1} × calls + AR(1) deviation (ρ = {:.2}, σ = {:.0} TEU); {} official figures as benchmarks",
        now.beta,
        now.rho,
        now.sigma,
        now.benchmarks.len()
    );
    let table = present::forecast::nowcast_table(&now)?;
    match now.mape {
        Some(m) => tracing::info!(
            "leave-one-out MAPE on {} official monthly figures: {m:.2}%",
            now.loo.len()
        ),
        None => tracing::warn!(
            "no official monthly figure inside the vessel-call months: no leave-one-out MAPE"
        ),
    }
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}

/// A window end: `YYYY-MM-DD`, or `YYYY-MM` (its first day for --from, its last for --to).
fn parse_window(s: &str, end: bool, flag: &str) -> Result<NaiveDate, UsageError> {
    let p = Period::parse(s, Frequency::Day)
        .or_else(|_| Period::parse(s, Frequency::Month))
        .map_err(|e| UsageError(format!("{flag}: {e}")))?;
    Ok(if end { p.end() } else { p.start() })
}

/// `portcast evaluate`: one row per model and horizon.
pub fn evaluate(
    settings: &Settings,
    args: &EvaluateArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    check_series(&args.series, args.freq)?;
    let from = parse_window(&args.from, false, "--from")?;
    let to = parse_window(&args.to, true, "--to")?;
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")).into());
    }
    crate::limits::check_flags(Some(args.horizon), args.paths)?;
    let store = Store::open(&settings.location)?;
    if args.by_known_days {
        return evaluate_known_days(settings, args, &store, from, to, out);
    }
    let req = EvaluateRequest {
        series: args.series.clone(),
        freq: args.freq,
        from,
        to,
        horizon: args.horizon,
        as_of: settings.as_of,
        n_paths: args.paths,
        seed: args.seed,
    };
    let ev = run_evaluation(&store, &req, &settings.config.forecast)
        .with_context(|| format!("cannot evaluate {}", args.series))?;
    present::forecast::log_evaluation(&ev);
    let table = if args.pit {
        present::forecast::pit_table(&ev)
    } else {
        present::forecast::evaluation_table(&ev)
    };
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}

/// `portcast evaluate --by-known-days`: one row per number of published days.
fn evaluate_known_days(
    settings: &Settings,
    args: &EvaluateArgs,
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    use crate::forecast::known_days::{KnownDaysRequest, evaluate_known_days as run};
    let freq = args
        .freq
        .or_else(|| crate::forecast::default_freq(&args.series))
        .unwrap_or(Frequency::Month);
    let req = KnownDaysRequest {
        series: args.series.clone(),
        freq,
        from,
        to,
        as_of: settings.as_of,
        model: ModelChoice::Auto,
        n_paths: args.paths,
        seed: args.seed,
    };
    let (cases, rows) = run(store, &req, &settings.config.forecast)
        .with_context(|| format!("cannot evaluate {} by days published", args.series))?;
    let below = cases
        .iter()
        .filter(|c| c.q_low < c.known_value - 1e-9)
        .count();
    tracing::info!(
        "{} (period, as-of date) pairs; {below} with a 0.1% quantile below the published sum",
        cases.len()
    );
    let table = present::forecast::known_days_table(&rows);
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}
