//! The raw command line (clap derive): the subcommands, each with the argument type its command
//! file defines, and the dispatch to them. Nothing here is validated beyond what clap checks;
//! `crate::settings` turns the global flags, the config file and the environment into checked
//! settings. At the end, [`code_for`] maps an error to its documented exit code.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::config::ConfigError;
use crate::exit::{Exit, UsageError};
use crate::ingest::settings::SourcesError;
use crate::settings::Settings;
use crate::settings::SettingsError;
use crate::store::StoreError;

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
    pub global: crate::settings::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect, validate, extend and export the data.
    #[command(subcommand)]
    Data(crate::commands::data::DataCommand),
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
        shell: crate::commands::shell::Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(after_help = "Examples:
  portcast man | man -l -
  portcast man > /usr/local/share/man/man1/portcast.1")]
    Man,
}

/// Run a parsed command. Returns the exit code for a run that completed (which may still be a
/// "problems found" code such as `data check`'s).
pub fn run(command: &Command, settings: &Settings, out: &mut dyn Write) -> anyhow::Result<Exit> {
    use crate::commands::*;
    tracing::debug!(
        "as of {}; data {}; store {}; config {}",
        settings.as_of.to_rfc3339(),
        settings.location.data_dir.describe(),
        settings.store_dir.display(),
        settings
            .config_path
            .as_ref()
            .filter(|p| p.exists())
            .map_or("none".to_string(), |p| p.display().to_string())
    );
    if settings.format == crate::output::Format::Parquet
        && !matches!(command, Command::Data(data::DataCommand::Export(_)))
    {
        return Err(crate::exit::UsageError(
            "--format parquet is a file format of `portcast data export --output FILE` only".into(),
        )
        .into());
    }
    match command {
        Command::Data(data::DataCommand::List) => data::list(settings, out),
        Command::Data(data::DataCommand::Show(args)) => data::show(settings, args, out),
        Command::Data(data::DataCommand::Check) => data::check(settings, out),
        Command::Data(data::DataCommand::Add(args)) => data::add(settings, args),
        Command::Data(data::DataCommand::Export(args)) => data::export(settings, args, out),
        Command::Quote(args) => trade::quote(args, settings.format, out),
        Command::Run(args) => run::run(settings, args, out),
        Command::Price(args) => markets::price(settings, args, out),
        Command::Backtest(args) => markets::backtest(settings, args, out),
        Command::Modes(args) => trade::modes(args, settings.format, out),
        Command::LandedCost(args) => landed::run(settings, args, out),
        Command::Fetch(args) => fetch::run(settings, args, out),
        Command::Lags(args) => lags::run(settings, args, out),
        Command::Audit(args) => audit::run(settings, args, out),
        Command::Forecast(args) => forecast::forecast(settings, args, out),
        Command::Nowcast(args) => forecast::nowcast(settings, args, out),
        Command::Evaluate(args) => forecast::evaluate(settings, args, out),
        // Handled by the binary before settings are read (they need no data or config).
        Command::Completions { .. } | Command::Man => Ok(Exit::Ok),
    }
}

/// The exit code for an error, found by looking through its cause chain.
pub fn code_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            if matches!(e, StoreError::Invalid(_)) {
                return Exit::DataProblem;
            }
        } else if cause.downcast_ref::<ConfigError>().is_some()
            || cause.downcast_ref::<SourcesError>().is_some()
        {
            return Exit::Config;
        } else if let Some(e) = cause.downcast_ref::<SettingsError>() {
            return match e {
                SettingsError::Config(_) => Exit::Config,
                SettingsError::AsOf(_) | SettingsError::Usage(_) => Exit::Usage,
            };
        } else if cause.downcast_ref::<UsageError>().is_some()
            || cause
                .downcast_ref::<crate::store::entry::EntryError>()
                .is_some()
            || cause
                .downcast_ref::<crate::markets::file::MarketsFileError>()
                .is_some()
        {
            // A markets file is an input named on the command line, like an argument.
            return Exit::Usage;
        } else if let Some(crate::fsutil::LockError::Held { .. }) = cause.downcast_ref() {
            return Exit::Locked;
        }
    }
    Exit::Failure
}
