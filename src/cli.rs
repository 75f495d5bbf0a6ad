//! The raw command line (clap derive). Nothing here is validated beyond what clap checks;
//! `crate::settings` turns it, the config file and the environment into checked settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// Forecast container-port throughput and price prediction-market contracts from the forecast.
#[derive(Debug, Parser)]
#[command(
    name = "portcast",
    version,
    about,
    propagate_version = true,
    after_help = "Examples:
  portcast run --offline --as-of 2024-01-20 --out reports   the report on the bundled snapshot
  portcast data list                                       what the store holds, and how recent
  portcast price --as-of 2024-01-10                        fair prices of the example markets
  portcast completions bash > ~/.local/share/bash-completion/completions/portcast

Exit codes: 0 ok, 1 failure, 2 usage, 3 data problems, 4 config, 5 a source failed (degraded),
6 stale data (run), 75 locked. Docs: README.md, docs/DOMAIN.md, docs/summary-json.md."
)]
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
    /// More log output on stderr: -v debug, -vv trace (default: info; PORTCAST_LOG wins).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Colour in the logs on stderr: auto (a terminal, and NO_COLOR unset or empty), always,
    /// never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// When to colour the logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour: `auto` colours a terminal unless `NO_COLOR` is set to anything but
    /// the empty string (no-color.org); `always` and `never` win over `NO_COLOR`.
    pub fn enabled(self, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// Shells `portcast completions` writes a script for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect, validate, extend and export the data.
    #[command(subcommand)]
    Data(DataCommand),
    /// The cron job: fetch (unless --offline), lead-lag tables, audit, forecasts, prices,
    /// backtest summary, and the report (PNG, CSV, summary.json, index.html) in <out>/<date>/.
    /// Exit 6 when a source's data are stale (the page's first block says which).
    #[command(after_help = "Examples:
  portcast run --offline --as-of 2024-01-20 --out reports    the bundled snapshot as of its own date
  portcast run --quiet --config /etc/portcast/portcast.toml  cron: silent unless something is wrong
  portcast run --offline --format json | jq .freshness       the summary (docs/summary-json.md) on stdout")]
    Run(crate::commands::run::RunArgs),
    /// Price every market in the markets file from the forecast: fair price, edge after fees,
    /// side and fractional-Kelly stake; a market whose figure is long overdue is "awaiting".
    #[command(after_help = "Examples:
  portcast price --as-of 2024-01-10
  portcast price --markets my-markets.toml --format csv > prices.csv")]
    Price(crate::commands::markets::PriceArgs),
    /// Replay the markets at past as-of dates (only what was published then), settle on first
    /// prints, and score the model and the rules; `--sweep` ranks strategy variants.
    #[command(after_help = "Examples:
  portcast backtest --as-of 2024-01-10 --from 2021-01-31 --to 2023-12-31 --settled-only
  portcast backtest --market la-dec-2024-over-900k --section trades --format csv
  portcast backtest --strategy rules --sweep rule.pmi=50..54:0.5")]
    Backtest(crate::commands::markets::BacktestArgs),
    /// Convert an export price between FOB, CFR and CIF, with commission, discount and FX.
    #[command(after_help = "Examples:
  portcast quote --price 1000 --term CIF --to FOB --freight 88 --insurance-rate 0.0095
  portcast quote --price 850 --commission 0.05")]
    Quote(crate::commands::trade::QuoteArgs),
    /// Chargeable weight and freight of one shipment by air, sea LCL and sea FCL.
    #[command(after_help = "Example:
  portcast modes --units 100 --weight-kg 50 --volume-m3 4 --air-rate 7 --lcl-rate 80 --fcl-rate 2500")]
    Modes(crate::commands::trade::ModesArgs),
    /// Landed cost per unit of a shipment under SCFI freight-rate scenarios: quantiles,
    /// P(> budget), and the SCFI contracts of a markets file that hedge it.
    #[command(after_help = "Example:
  portcast landed-cost --shipment data/shipment.example.toml --markets data/markets.example.toml --as-of 2020-12-31")]
    LandedCost(crate::commands::landed::LandedArgs),
    /// Fetch the newest figures from the live sources (PortWatch, PMI, SCFI, Port of LA) into
    /// the store; exit code 5 if any source failed.
    #[command(after_help = "Examples:
  portcast fetch
  portcast fetch --source scfi,pmi --since 2024-01-01")]
    Fetch(crate::commands::fetch::FetchArgs),
    /// Lead-lag analysis of pairs of series: CCF, Granger, stability, out-of-sample value.
    #[command(after_help = "Examples:
  portcast lags --as-of 2023-12-31
  portcast lags --pair pmi_new_export_orders:shanghai_calls --freq month --section summary")]
    Lags(crate::commands::lags::LagsArgs),
    /// The trading guide's claims (docs/DOMAIN.md) measured on the data, each with a verdict.
    #[command(after_help = "Example:
  portcast audit --as-of 2023-12-31 --format csv > audit.csv")]
    Audit(crate::commands::audit::AuditArgs),
    /// Predictive distribution of a series: mean, quantiles and P(X > K) per forecast period.
    #[command(after_help = "Examples:
  portcast forecast --series shanghai_calls --freq month --as-of 2023-12-31
  portcast forecast --series la_teu --threshold 800000,900000 --as-of 2023-12-31")]
    Forecast(crate::commands::forecast::ForecastArgs),
    /// Official Shanghai monthly TEU estimated from vessel calls, with intervals and the
    /// leave-one-out MAPE on the official monthly figures.
    #[command(after_help = "Example:
  portcast nowcast --as-of 2023-12-31 --format csv")]
    Nowcast(crate::commands::forecast::NowcastArgs),
    /// Rolling-origin evaluation of every model (and `auto`) against seasonal naive: CRPS, MAPE,
    /// 80% and 90% interval coverage per model and horizon.
    #[command(after_help = "Example:
  portcast evaluate --series shanghai_calls --freq month --as-of 2023-12-31")]
    Evaluate(crate::commands::forecast::EvaluateArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = "Examples:
  portcast completions bash > ~/.local/share/bash-completion/completions/portcast
  portcast completions zsh > ~/.zfunc/_portcast      # with fpath+=(~/.zfunc) in ~/.zshrc
  portcast completions fish > ~/.config/fish/completions/portcast.fish")]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(after_help = "Examples:
  portcast man | man -l -
  portcast man > /usr/local/share/man/man1/portcast.1")]
    Man,
}

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
