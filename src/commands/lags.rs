//! `portcast lags`: lead-lag tables for pairs of series (`crate::analysis::lags`), as of
//! `--as-of`.
//!
//! Output sections: `lags` (a row per pair and lag: `pair,lag,r,band_low,band_high,n,significant`),
//! `granger` (a row per pair and order), `stability` (a row per pair and rolling window) and
//! `summary` (a row per pair: best lag, its interval, Granger p, the out-of-sample verdict). The
//! text table prints every section, pair by pair; `--format json` prints an object with one array
//! per section; `--format csv` prints one section (`lags` unless `--section` says otherwise),
//! since a CSV file holds one table.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::analysis::lags::{self, LagOptions, OosModel, PairReport, PairSpec, analyse_pairs};
use crate::analysis::transform::{Adjustment, Transform};
use crate::exit::{Exit, UsageError};
use crate::model::Frequency;
use crate::output::{Format, Table};
use crate::present::json_rows;
use crate::present::lags::{LagTables, tables, write_text};
use crate::settings::{Settings, freq_arg};
use crate::store::Store;

/// Flags of `portcast lags`.
#[derive(Debug, Args)]
pub struct LagsArgs {
    /// A pair X:Y to analyse (x leads y at positive lags); repeat for several. Default: the
    /// config's [lags] pairs, else PMI and new export orders → Shanghai calls, PMI → Shanghai TEU,
    /// Shanghai calls ↔ SCFI (weekly), Shanghai calls → LA TEU and LA loaded imports.
    #[arg(long = "pair", value_name = "X:Y")]
    pub pairs: Vec<String>,
    /// Grid for every pair (default: each pair's own; never finer than a series' cadence).
    #[arg(long, value_parser = freq_arg(&["week", "month"]))]
    pub freq: Option<Frequency>,
    /// Transform of both series before the analysis (default yoy: year-on-year log growth).
    #[arg(long, value_enum)]
    pub transform: Option<TransformArg>,
    /// Remove the Chinese New Year effect from monthly volume series first (TEU, vessel calls).
    #[arg(long, value_enum)]
    pub adjust: Option<AdjustArg>,
    /// Largest lead and lag scanned, in periods (default 12 months, 13 weeks; never more than a
    /// quarter of the overlapping periods).
    #[arg(long, value_name = "K")]
    pub max_lag: Option<usize>,
    /// Raw CCF with Bartlett bands instead of the pre-whitened one.
    #[arg(long)]
    pub raw: bool,
    /// Rolling-window length in periods for the stability table (default 24 months, 26 weeks).
    #[arg(long, value_name = "N")]
    pub window: Option<usize>,
    /// Step between rolling windows in periods (default 6 months, 13 weeks).
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    /// Largest Granger lag order (default 6, at most the largest lag scanned).
    #[arg(long, value_name = "P")]
    pub granger_order: Option<usize>,
    /// Base model of the out-of-sample test.
    #[arg(long, value_enum)]
    pub oos_model: Option<OosArg>,
    /// Which table to print (table and json: all by default; csv: lags by default).
    #[arg(long, value_enum)]
    pub section: Option<Section>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransformArg {
    /// Year-on-year log growth (12 months, 52 ISO weeks).
    Yoy,
    /// Log growth on the previous period.
    Logdiff,
    /// The level (trending levels correlate spuriously: read with care).
    Level,
    /// The log level.
    Log,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AdjustArg {
    /// Chinese New Year (Spring Festival share regressor).
    Cny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OosArg {
    /// AR model of y, order by AIC at each origin.
    Ar,
    /// Seasonal naive (same period a year earlier).
    Snaive,
}

/// The output sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    All,
    Lags,
    Granger,
    Stability,
    Summary,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::All => "all",
            Section::Lags => "lags",
            Section::Granger => "granger",
            Section::Stability => "stability",
            Section::Summary => "summary",
        }
    }
}

/// Options from the flags over the config's `[lags]` table over the defaults.
pub fn options(args: &LagsArgs, settings: &Settings) -> LagOptions {
    let cfg = &settings.config.lags;
    LagOptions {
        transform: args
            .transform
            .map(|t| match t {
                TransformArg::Yoy => Transform::Yoy,
                TransformArg::Logdiff => Transform::LogDiff,
                TransformArg::Level => Transform::Level,
                TransformArg::Log => Transform::Log,
            })
            .or(cfg.transform)
            .unwrap_or(Transform::Yoy),
        adjust: args.adjust.map(|_| Adjustment::Cny).or(cfg.adjust),
        freq: args.freq,
        max_lag: args.max_lag.or(cfg.max_lag),
        prewhiten: !args.raw,
        window: args.window.or(cfg.window),
        step: args.step.or(cfg.step),
        granger_order: args.granger_order.or(cfg.granger_order),
        oos_model: args
            .oos_model
            .map(|m| match m {
                OosArg::Ar => OosModel::Ar,
                OosArg::Snaive => OosModel::Snaive,
            })
            .or(cfg.oos_model)
            .unwrap_or(OosModel::Ar),
        level: 0.95,
    }
}

/// The pairs to analyse: `--pair` flags, else the config's, else the built-in defaults.
pub fn pairs(args: &LagsArgs, settings: &Settings) -> Result<Vec<PairSpec>, UsageError> {
    if !args.pairs.is_empty() {
        return args
            .pairs
            .iter()
            .map(|p| PairSpec::parse(p).map_err(|e| UsageError(e.to_string())))
            .collect();
    }
    Ok(lags::configured_pairs(&settings.config.lags))
}

/// `portcast lags`.
pub fn run(settings: &Settings, args: &LagsArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let pairs = pairs(args, settings)?;
    for p in &pairs {
        for id in [&p.x, &p.y] {
            if crate::series::catalog::spec(id).is_none() {
                return Err(UsageError(format!(
                    "unknown series `{id}` (see `portcast data list`)"
                ))
                .into());
            }
        }
    }
    let section = args.section.unwrap_or(match settings.format {
        Format::Csv => Section::Lags,
        _ => Section::All,
    });
    if section == Section::All && settings.format == Format::Csv {
        return Err(UsageError(
            "CSV holds one table: choose --section lags|granger|stability|summary".into(),
        )
        .into());
    }
    let opts = options(args, settings);
    let store = Store::open(&settings.location)?;
    let reports = analyse_pairs(&store, settings.as_of, &pairs, &opts)?;
    for r in &reports {
        if let Err(why) = &r.outcome {
            tracing::warn!("{}: {why}", r.label());
        }
    }
    write(&reports, section, settings.format, out)?;
    Ok(Exit::Ok)
}

/// The table of one section (`all` is the lags table).
fn section_table(t: &LagTables, s: Section) -> &Table {
    match s {
        Section::Granger => &t.granger,
        Section::Stability => &t.stability,
        Section::Summary => &t.summary,
        Section::Lags | Section::All => &t.lags,
    }
}

/// Write the chosen section(s) in the chosen format.
pub fn write(
    reports: &[PairReport],
    section: Section,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let t = tables(reports);
    let sections = [
        Section::Lags,
        Section::Granger,
        Section::Stability,
        Section::Summary,
    ];
    match (format, section) {
        (Format::Json, Section::All) => {
            let mut obj = serde_json::Map::new();
            for s in sections {
                obj.insert(s.name().into(), json_rows(section_table(&t, s)));
            }
            serde_json::to_writer_pretty(&mut *out, &obj)?;
            writeln!(out)?;
        }
        (Format::Table, _) => {
            let want = |name: &str| section == Section::All || section.name() == name;
            write_text(reports, &t, &want, out)?
        }
        (_, s) => section_table(&t, s).write(format, out)?,
    }
    Ok(())
}
