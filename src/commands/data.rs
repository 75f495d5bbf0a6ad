//! `portcast data list|show|check|add|export`: look at the data, validate it, keep it current by
//! hand (official Shanghai monthly TEU has no API), and export the vintage table.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};

use crate::exit::{Exit, UsageError};
use crate::model::{Frequency, Precision};
use crate::output::Table;
use crate::present::data::list_table;
use crate::series::catalog;
use crate::settings::{Settings, freq_arg};
use crate::store::entry::{Entry, revision_known_at};
use crate::store::{Store, file};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// One row per series: frequency, unit, first and last period, count, missing periods.
    #[command(after_help = "Examples:
  portcast data list
  portcast data list --as-of 2023-06-30 --format csv")]
    List,
    /// The values of one series, as known at --as-of.
    #[command(after_help = "Examples:
  portcast data show shanghai_calls --freq month --format csv
  portcast data show pmi --as-of 2023-06-15")]
    Show(ShowArgs),
    /// Validate every input file; print each problem; exit 3 if there is any.
    #[command(after_help = "Example:
  portcast data check --data-dir ./my-snapshot")]
    Check,
    /// Append a hand-entered figure to the store (e.g. an official Shanghai monthly TEU release).
    #[command(after_help = "Example:
  portcast data add shanghai_teu 2024-10 4300000 --precision lower-bound --source \"SIPG: exceeded 4.3 million\"")]
    Add(AddArgs),
    /// Write the store's vintage table (every figure with the time it became known, revisions
    /// included) to a file, for pandas, polars, R or a spreadsheet.
    #[command(after_help = "Examples:
  portcast data export --output vintages.csv
  portcast data export --format json --output vintages.json
  portcast data export --format parquet --output vintages.parquet
  portcast data export --as-of 2023-12-31 --output -     only what was known by then, on stdout")]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// File to write (atomically); `-` for stdout. The format is --format: csv (default for
    /// export), json or parquet (README, `portcast data export`).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Only these series (repeat or comma-separate). Default: every stored series.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    pub series: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Series id (see `portcast data list`).
    pub series: String,
    /// Aggregate daily or weekly data to ISO weeks, calendar months or years; partial periods
    /// are marked in the `complete` column.
    #[arg(long, value_parser = freq_arg(&["week", "month", "year"]))]
    pub freq: Option<Frequency>,
}

/// How exact a hand-entered figure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    Exact,
    Rounded,
    LowerBound,
    UpperBound,
}

impl From<PrecisionArg> for Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::Exact => Precision::Exact,
            PrecisionArg::Rounded => Precision::Rounded,
            PrecisionArg::LowerBound => Precision::LowerBound,
            PrecisionArg::UpperBound => Precision::UpperBound,
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Series id, e.g. shanghai_teu.
    pub series: String,
    /// Period in the series' grid: 2024-10 (month), 2024-W42 (week), 2024-10-18 (day), 2024 (year).
    pub period: String,
    /// The figure, e.g. 4300000 or 4,300,000.
    #[arg(allow_negative_numbers = true)]
    pub value: String,
    /// How exact the figure is ("exceeded 4.3 million" is a lower bound).
    #[arg(long, value_enum, default_value = "exact")]
    pub precision: PrecisionArg,
    /// Where the figure comes from (a URL or a release's title).
    #[arg(long, default_value = "entered by hand")]
    pub source: String,
    /// When the figure was published (date or RFC 3339). Default: the series' release date for
    /// that period by its release lag, or now if that is still in the future.
    #[arg(long, value_name = "DATE")]
    pub known_at: Option<String>,
}

/// `data list`: one row per series with data as of the as-of time.
pub fn list(settings: &Settings, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let store = Store::open(&settings.location)?;
    let table = list_table(&store, settings.as_of)?;
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}

/// `data show SERIES`: the series as known at the as-of time, at its own grid or aggregated.
pub fn show(settings: &Settings, args: &ShowArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    if catalog::spec(&args.series).is_none() {
        return Err(UsageError(format!(
            "unknown series `{}` (see `portcast data list`)",
            args.series
        ))
        .into());
    }
    let store = Store::open(&settings.location)?;
    let view = store.view_at(&args.series, settings.as_of, args.freq)?;
    let frame = view.to_frame()?;
    let columns: &[&str] = if args.freq.is_some() {
        &[
            "period",
            "value",
            "precision",
            "known_at",
            "source",
            "n",
            "complete",
        ]
    } else {
        &["period", "value", "precision", "known_at", "source"]
    };
    let frame = frame.select(columns.iter().copied())?;
    Table::from_frame(&frame).write(settings.format, out)?;
    Ok(Exit::Ok)
}

/// `data check`: validate the snapshot and the store; print every problem.
pub fn check(settings: &Settings, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let problems = Store::check(&settings.location);
    let mut table = Table::new(["file", "line", "problem"]);
    for p in &problems {
        table.push(vec![
            p.file.as_str().into(),
            p.line.map(|l| l as i64).into(),
            p.message.as_str().into(),
        ]);
    }
    if !problems.is_empty() || settings.format != crate::output::Format::Table {
        table.write(settings.format, out)?;
    }
    if problems.is_empty() {
        tracing::info!(
            "no problems in {} or {}",
            settings.location.data_dir.describe(),
            settings.store_dir.display()
        );
        Ok(Exit::Ok)
    } else {
        tracing::error!("{} problem(s) found", problems.len());
        Ok(Exit::DataProblem)
    }
}

/// `data add SERIES PERIOD VALUE`: append one hand-entered figure to the store, atomically.
pub fn add(settings: &Settings, args: &AddArgs) -> anyhow::Result<Exit> {
    let entry = Entry {
        series: &args.series,
        period: &args.period,
        value: &args.value,
        precision: Precision::from(args.precision),
        source: &args.source,
        known_at: args.known_at.as_deref(),
    };
    let now = Utc::now();
    let mut obs = entry.check(&settings.location.lags, now)?;
    // The same lock as `fetch`: two writers appending at once would lose one's rows.
    let dir = &settings.store_dir;
    let _lock = crate::fsutil::RunLock::acquire(dir)?;
    // Refuse to append to a store that does not load: the user should see its problems first.
    let store = Store::open(&settings.location)?;
    let revision_of = store
        .view(&args.series, now)?
        .points
        .into_iter()
        .find(|p| p.period == obs.period);
    if let Some(prev) = &revision_of
        && prev.value == obs.value
        && prev.precision == obs.precision
    {
        tracing::warn!(
            "{} {} = {} is already stored; nothing written",
            obs.series,
            obs.period,
            prev.value
        );
        return Ok(Exit::Ok);
    }
    // A revision is known from when it is entered (or an explicit later `--known-at`), never at
    // or before any figure already stored for the period: the same (series, period, known_at)
    // twice would make the view ambiguous, and an earlier one would rewrite history.
    let latest = store
        .observations(&args.series)
        .iter()
        .filter(|o| o.period == obs.period)
        .map(|o| o.known_at)
        .max();
    if let Some(latest) = latest {
        obs.known_at = revision_known_at(args.known_at.is_some(), &obs, latest, now)?;
    }
    file::append(&settings.store_dir, std::slice::from_ref(&obs)).with_context(|| {
        format!(
            "cannot write {}",
            file::path_in(&settings.store_dir).display()
        )
    })?;
    let what = match revision_of {
        Some(prev) => format!(
            " (a revision: {} was known since {})",
            prev.value,
            prev.known_at.format("%Y-%m-%d")
        ),
        None => String::new(),
    };
    tracing::info!(
        "added {} {} = {} ({}), known at {}{what}",
        obs.series,
        obs.period,
        obs.value,
        obs.precision,
        obs.known_at.to_rfc3339(),
    );
    Ok(Exit::Ok)
}

/// `data export`: the store's vintage table (every stored figure with `known_at`, revisions
/// included; with `--as-of`, only what was known by then) as CSV (the default), JSON or Parquet
/// (the polars frame of [`Store::vintage_frame`], typed), written atomically to `--output` or to
/// stdout for `-` (Parquet only when stdout is not a terminal).
pub fn export(settings: &Settings, args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    for id in &args.series {
        if catalog::spec(id).is_none() {
            return Err(
                UsageError(format!("unknown series `{id}` (see `portcast data list`)")).into(),
            );
        }
    }
    let store = Store::open(&settings.location)?;
    let known_by = settings.as_of_given.then_some(settings.as_of);
    if settings.format == crate::output::Format::Parquet {
        let mut frame = store.vintage_frame(&args.series, known_by)?;
        let mut bytes = Vec::new();
        crate::parquet::write_frame(&mut frame, &mut bytes)?;
        if args.output.as_os_str() == "-" {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                return Err(UsageError(
                    "Parquet is binary: give --output FILE or redirect stdout".into(),
                )
                .into());
            }
            out.write_all(&bytes)?;
        } else {
            crate::fsutil::write_atomic(&args.output, &bytes)
                .with_context(|| format!("cannot write {}", args.output.display()))?;
            tracing::info!(
                "{} figures written to {} (Parquet, {} bytes)",
                frame.height(),
                args.output.display(),
                bytes.len()
            );
        }
        return Ok(Exit::Ok);
    }
    let table = store.vintage_table(&args.series, known_by);
    let format = match settings.format {
        crate::output::Format::Table => crate::output::Format::Csv,
        f => f,
    };
    if args.output.as_os_str() == "-" {
        table.write(format, out)?;
    } else {
        let mut bytes = Vec::new();
        table.write(format, &mut bytes)?;
        crate::fsutil::write_atomic(&args.output, &bytes)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        tracing::info!(
            "{} figures of {} series written to {}",
            table.rows.len(),
            store
                .vintages(&args.series, known_by)
                .iter()
                .map(|o| o.series.clone())
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            args.output.display()
        );
    }
    Ok(Exit::Ok)
}
