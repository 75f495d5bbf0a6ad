//! The raw command line (clap derive). Nothing here is validated beyond what clap checks;
//! `crate::settings` turns it, the config file and the environment into checked settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// Forecast container-port throughput and price prediction-market contracts from the forecast.
#[derive(Debug, Parser)]
#[command(name = "portcast", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts, before or after the subcommand.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Directory of snapshot CSV files (same names and layout as the bundled data/) to use
    /// instead of the bundled snapshot.
    #[arg(long, global = true, env = "PORTCAST_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory of the point-in-time store (fetched and hand-entered figures). Default: the
    /// platform data directory, e.g. ~/.local/share/portcast/store.
    #[arg(long, global = true, env = "PORTCAST_STORE_DIR", value_name = "DIR")]
    pub store_dir: Option<PathBuf>,
    /// Config file (TOML). Default: the platform config directory's portcast.toml, if any.
    #[arg(long, global = true, env = "PORTCAST_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Compute as of this date (end of the day, UTC) or RFC 3339 timestamp: only figures
    /// published by then are used. Default: now.
    #[arg(long, global = true, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Output format.
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Print nothing but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect, validate and extend the data.
    #[command(subcommand)]
    Data(DataCommand),
    /// The cron job: fetch (unless --offline), lead-lag tables, audit, forecasts, prices,
    /// backtest summary, and the report (PNG, CSV, summary.json, index.html) in <out>/<date>/.
    Run(crate::commands::run::RunArgs),
    /// Price every market in the markets file from the forecast: fair price, edge after fees,
    /// side and fractional-Kelly stake.
    Price(crate::commands::markets::PriceArgs),
    /// Replay the markets at past as-of dates (only what was published then), settle on first
    /// prints, and score the model and the rules; `--sweep` ranks strategy variants.
    Backtest(crate::commands::markets::BacktestArgs),
    /// Convert an export price between FOB, CFR and CIF, with commission, discount and FX.
    Quote(crate::commands::trade::QuoteArgs),
    /// Chargeable weight and freight of one shipment by air, sea LCL and sea FCL.
    Modes(crate::commands::trade::ModesArgs),
    /// Landed cost per unit of a shipment under SCFI freight-rate scenarios: quantiles,
    /// P(> budget), and the SCFI contracts of a markets file that hedge it.
    LandedCost(crate::commands::landed::LandedArgs),
    /// Fetch the newest figures from the live sources (PortWatch, PMI, SCFI, Port of LA) into
    /// the store; exit code 5 if any source failed.
    Fetch(crate::commands::fetch::FetchArgs),
    /// Lead-lag analysis of pairs of series: CCF, Granger, stability, out-of-sample value.
    Lags(crate::commands::lags::LagsArgs),
    /// The trading guide's claims (DOMAIN.md) measured on the data, each with a verdict.
    Audit(crate::commands::audit::AuditArgs),
    /// Predictive distribution of a series: mean, quantiles and P(X > K) per forecast period.
    Forecast(crate::commands::forecast::ForecastArgs),
    /// Official Shanghai monthly TEU estimated from vessel calls, with intervals and the
    /// leave-one-out MAPE on the official monthly figures.
    Nowcast(crate::commands::forecast::NowcastArgs),
    /// Rolling-origin evaluation of every model (and `auto`) against seasonal naive: CRPS, MAPE,
    /// 80% and 90% interval coverage per model and horizon.
    Evaluate(crate::commands::forecast::EvaluateArgs),
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// One row per series: frequency, unit, first and last period, count, missing periods.
    List,
    /// The values of one series, as known at --as-of.
    Show(ShowArgs),
    /// Validate every input file; print each problem; exit 3 if there is any.
    Check,
    /// Append a hand-entered figure to the store (e.g. an official Shanghai monthly TEU release).
    Add(AddArgs),
}

/// Calendar grid to aggregate a series onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FreqArg {
    Week,
    Month,
    Year,
}

impl From<FreqArg> for crate::model::Frequency {
    fn from(f: FreqArg) -> Self {
        match f {
            FreqArg::Week => crate::model::Frequency::Week,
            FreqArg::Month => crate::model::Frequency::Month,
            FreqArg::Year => crate::model::Frequency::Year,
        }
    }
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Series id (see `portcast data list`).
    pub series: String,
    /// Aggregate daily or weekly data to ISO weeks, calendar months or years; partial periods
    /// are marked in the `complete` column.
    #[arg(long, value_enum)]
    pub freq: Option<FreqArg>,
}

/// How exact a hand-entered figure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PrecisionArg {
    Exact,
    Rounded,
    LowerBound,
    UpperBound,
}

impl From<PrecisionArg> for crate::model::Precision {
    fn from(p: PrecisionArg) -> Self {
        match p {
            PrecisionArg::Exact => crate::model::Precision::Exact,
            PrecisionArg::Rounded => crate::model::Precision::Rounded,
            PrecisionArg::LowerBound => crate::model::Precision::LowerBound,
            PrecisionArg::UpperBound => crate::model::Precision::UpperBound,
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
