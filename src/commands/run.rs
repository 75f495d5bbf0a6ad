//! `portcast run`: the batch a user puts in crontab (`crate::pipeline`: fetch, prices,
//! forecasts, lead-lag, audit, backtest summary, landed cost → a report in
//! `<out>/<as-of date>/`, `<out>/latest` pointing at the newest complete one). This file holds
//! the flags, their limits, the default report directory and what is printed: with
//! `--format json` the summary, with `csv` the markets table, else the page's path (nothing
//! under `--quiet`); problems, stale data and failed sources on stderr.
//!
//! Every path comes from a flag, the config or the platform data directory, never the working
//! directory; a quiet run prints nothing unless something failed.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::markets::MarketsArgs;
use crate::exit::{Exit, UsageError};
use crate::model::Frequency;
use crate::output::Format;
use crate::pipeline::{self, RunOptions, RunReport, chart_horizon};
use crate::settings::Settings;

/// `portcast run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not fetch: compute everything from the stored data.
    #[arg(long)]
    pub offline: bool,
    /// Report directory: `<out>/<as-of date>/` and `<out>/latest`. Default: the config's
    /// `reports_dir`, else `reports` under the platform data directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub markets: MarketsArgs,
    /// Months ahead in the forecast charts (weekly targets: the same span in weeks).
    #[arg(long, default_value_t = 6)]
    pub horizon: usize,
    /// As-of steps of the backtest summary (one per market period, ending at the last date any
    /// figure became known).
    #[arg(long, default_value_t = 12)]
    pub backtest_steps: u32,
    /// Sample paths in the backtest summary's forecasts (fewer than pricing's, for speed).
    #[arg(long, default_value_t = 2_000)]
    pub backtest_paths: usize,
}

/// The default report directory: `reports` under the platform data directory.
fn default_out() -> anyhow::Result<PathBuf> {
    crate::settings::default_reports_dir().context(
        "no platform data directory (is $HOME set?): give --out or reports_dir in the config",
    )
}

pub fn run(settings: &Settings, args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let out_dir = match args
        .out
        .clone()
        .or_else(|| settings.config.reports_dir.clone())
    {
        Some(d) => d,
        None => default_out()?,
    };
    check_limits(args)?;
    let opts = RunOptions {
        offline: args.offline,
        out_dir,
        markets_file: super::markets::markets_file(settings, &args.markets),
        seed: args.markets.seed,
        paths: args.markets.paths,
        horizon: args.horizon,
        backtest_steps: args.backtest_steps,
        backtest_paths: args.backtest_paths,
    };
    let report = pipeline::run(settings, &opts)?;
    print(settings, &report, out)?;
    Ok(pipeline::exit_of(report.state))
}

/// The documented limits (README, Limits): weekly charts reach 13/3 × the horizon in weeks.
fn check_limits(args: &RunArgs) -> Result<(), UsageError> {
    crate::limits::check_flags(Some(args.horizon), args.markets.paths)?;
    let weekly = chart_horizon(args.horizon, Frequency::Week);
    crate::limits::check_flags(Some(weekly), args.markets.paths).map_err(|e| {
        UsageError(format!(
            "--horizon {} (weekly: ×13/3): {}",
            args.horizon, e.0
        ))
    })?;
    crate::limits::check_flags(None, args.backtest_paths)
        .map_err(|e| UsageError(e.0.replace("--paths", "--backtest-paths")))
}

/// stdout: the summary with `--format json`, the markets table with `csv`, else the page's path
/// (nothing under --quiet); stderr: problems, stale data, failed sources.
fn print(settings: &Settings, report: &RunReport, out: &mut dyn Write) -> anyhow::Result<()> {
    match settings.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.summary)?)?,
        Format::Csv => report
            .markets
            .as_ref()
            .map_or(Ok(()), |t| t.write(Format::Csv, out))?,
        Format::Table if !settings.quiet => writeln!(out, "{}", report.index.display())?,
        Format::Table => {}
        Format::Parquet => unreachable!("--format parquet is refused before `run` starts"),
    }
    for p in &report.problems {
        tracing::error!("{p}");
    }
    for line in &report.stale {
        tracing::warn!("stale data: {line}");
    }
    if let Some(f) = &report.fetch {
        for s in f.sources.iter().filter(|s| s.failed) {
            tracing::error!(
                "source {} failed: {}",
                s.source,
                s.error.as_deref().unwrap_or("failed")
            );
        }
    }
    Ok(())
}
