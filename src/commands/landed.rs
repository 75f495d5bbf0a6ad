//! `portcast landed-cost`: the landed cost per unit of one shipment under freight-rate scenarios
//! (`crate::markets::freight`, on the arithmetic of `crate::trade::landed`), its chance of
//! exceeding the budget, and the SCFI contracts of a markets file that hedge it.
//!
//! Output sections: `summary` (an `item,value,unit` sheet: the shipment, the freight basis and
//! where the ship week's rate comes from, freight-rate and landed-cost quantiles, mean, spread,
//! the cost at the median rate, the budget and P(landed cost > budget)) and `hedge` (one row per
//! market used as a hedge, with `--markets`). The text table prints both, a blank line between;
//! `--format json` prints `{"summary": [...], "hedge": [...]}`; `--format csv` prints one section
//! (`summary` unless `--section hedge`), since a CSV file holds one table.
//!
//! The report's chart of the landed-cost distribution with the budget line is built here too
//! ([`landed_chart`]), for `portcast run` when the config names a `shipment_file`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::UsageError;
use crate::analysis::distribution::DEFAULT_PATHS;
use crate::config::ConfigError;
use crate::exit::Exit;
use crate::forecast::ModelChoice;
use crate::markets::file;
use crate::markets::freight::{self, Basis, LandedResult, RateSource};
use crate::markets::paths::ForecastPaths;
use crate::output::{Cell, Format, Table};
use crate::present::json_rows;
use crate::present::landed::{hedge_table, landed_chart, summary_table};
use crate::settings::Settings;
use crate::store::Store;
use crate::trade::landed::Shipment;

/// `portcast landed-cost`.
#[derive(Debug, Args)]
pub struct LandedArgs {
    /// Shipment file (TOML; see data/shipment.example.toml). Default: the config's
    /// `shipment_file`.
    #[arg(long, value_name = "FILE")]
    pub shipment: Option<PathBuf>,
    /// Markets file: every single contract on the weekly SCFI composite in it is priced on the
    /// same paths as the freight and sized as a hedge. Default: no hedges.
    #[arg(long, value_name = "FILE")]
    pub markets: Option<PathBuf>,
    /// Which table to print. Default: both (text, JSON); `summary` for CSV.
    #[arg(long, value_enum)]
    pub section: Option<Section>,
    /// Also write the landed-cost chart into this directory (`landed_cost.png` and its plotted
    /// data, `landed_cost.csv`).
    #[arg(long, value_name = "DIR")]
    pub chart_dir: Option<PathBuf>,
    /// Seed of the forecast's sample paths (same seed, same result).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths of the freight forecast.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

/// The output sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    All,
    Summary,
    Hedge,
}

pub fn run(settings: &Settings, args: &LandedArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    crate::limits::check_flags(None, args.paths)?;
    let section = args.section.unwrap_or(match settings.format {
        Format::Csv => Section::Summary,
        _ => Section::All,
    });
    if section == Section::All && settings.format == Format::Csv {
        return Err(
            UsageError("CSV holds one table: choose --section summary|hedge".into()).into(),
        );
    }
    let shipment = load_shipment(settings, args.shipment.as_deref())?;
    // A bad file named on the command line is a usage error, like any bad argument.
    let markets = match &args.markets {
        Some(path) => file::read(path).map_err(|e| UsageError(e.to_string()))?,
        None => Vec::new(),
    };
    let store = Store::open(&settings.location)?;
    let source = ForecastPaths::new(
        settings.config.forecast.clone(),
        ModelChoice::Auto,
        args.paths,
        args.seed,
    );
    let result = match freight::landed_cost(&store, &source, &shipment, &markets, settings.as_of) {
        // A ship date beyond the documented limit is a bad input: named with its file and key.
        Err(e @ freight::FreightError::ShipDateTooFar { .. }) => {
            let file = args
                .shipment
                .clone()
                .or_else(|| settings.config.shipment_file.clone())
                .unwrap_or_default();
            return Err(UsageError(format!("shipment file {}: {e}", file.display())).into());
        }
        r => r.context("landed cost")?,
    };
    log(&result, args.markets.as_deref());
    let (summary, hedge) = (summary_table(&result), hedge_table(&result));
    match (settings.format, section) {
        (Format::Json, Section::All) => {
            let mut obj = serde_json::Map::new();
            obj.insert("summary".into(), json_rows(&summary));
            obj.insert("hedge".into(), json_rows(&hedge));
            serde_json::to_writer_pretty(&mut *out, &obj)?;
            writeln!(out)?;
        }
        (Format::Table, Section::All) => {
            sheet_text(&summary).write(Format::Table, out)?;
            if !hedge.rows.is_empty() {
                writeln!(out)?;
                hedge.write(Format::Table, out)?;
            }
        }
        (Format::Table, Section::Summary) => sheet_text(&summary).write(Format::Table, out)?,
        (format, Section::All | Section::Summary) => summary.write(format, out)?,
        (format, Section::Hedge) => hedge.write(format, out)?,
    }
    if let Some(dir) = &args.chart_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the chart directory {}", dir.display()))?;
        landed_chart(&result, dir)?;
    }
    Ok(Exit::Ok)
}

/// The shipment named by `--shipment` (a bad one is a usage error, exit 2) or by the config's
/// `shipment_file` (a config error, exit 4: the cron job's config points at it).
pub fn load_shipment(settings: &Settings, flag: Option<&Path>) -> anyhow::Result<Shipment> {
    match (flag, &settings.config.shipment_file) {
        (Some(path), _) => Ok(Shipment::read(path).map_err(|e| UsageError(e.to_string()))?),
        (None, Some(path)) => Ok(Shipment::read(path).map_err(|e| ConfigError::Invalid {
            path: settings.config_path.clone().unwrap_or_default(),
            message: format!("shipment_file: {e}"),
        })?),
        (None, None) => Err(UsageError(
            "no shipment: give --shipment FILE or set shipment_file in the config".into(),
        )
        .into()),
    }
}

/// The basis, the rate's source and the markets left out, on stderr.
fn log(r: &LandedResult, markets: Option<&Path>) {
    match &r.basis {
        Basis::Scaled(a) => {
            tracing::info!("{}", r.basis.statement());
            let years = (r.as_of.date_naive() - a.composite_date).num_days() as f64 / 365.25;
            if years > 1.0 {
                tracing::warn!(
                    "the scaling ratio is from {}, {years:.1} years before the as-of date: a \
                     route's spread over the composite drifts, so treat the level as rough",
                    a.composite_date
                );
            }
        }
        Basis::NotExposed => tracing::info!(
            "{} goods: the seller pays the freight, so the landed cost does not depend on it",
            r.shipment.goods.term
        ),
        Basis::Route { .. } => tracing::info!("{}", r.basis.statement()),
    }
    match &r.source {
        RateSource::Known { period, value } if *period == r.ship_week => tracing::info!(
            "ship week {period} is already published ({}): its rate is a point mass",
            crate::output::format_number(*value)
        ),
        RateSource::Known { period, value } => tracing::info!(
            "ship week {} has no print; the last one before it, {period} ({}), is used as a point \
             mass",
            r.ship_week,
            crate::output::format_number(*value)
        ),
        RateSource::Forecast { origin, steps } => tracing::info!(
            "ship week {}: forecast {steps} weeks after the last complete week {origin} ({} paths)",
            r.ship_week,
            r.costs.len()
        ),
        RateSource::NotNeeded => {}
    }
    for (id, why) in &r.skipped {
        tracing::info!("market `{id}`: not used as a hedge: {why}");
    }
    if let Some(path) = markets
        && r.hedges.is_empty()
    {
        tracing::info!(
            "no market in {} is a single contract on the weekly SCFI composite to hedge with",
            path.display()
        );
    }
}

/// The sheet for reading: numbers written as text so the value column aligns left like the
/// text values around them (CSV and JSON keep them numbers).
fn sheet_text(t: &Table) -> Table {
    let mut t = t.clone();
    for row in &mut t.rows {
        if let Cell::Num(v) = row[1] {
            row[1] = Cell::Str(crate::output::format_number(v));
        }
    }
    t
}
