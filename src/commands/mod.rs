//! One file per command family. Each command takes checked [`Settings`] and writes its data to
//! the given writer (stdout in the binary), its logs through `tracing` (stderr).

pub mod audit;
pub mod data;
pub mod fetch;
pub mod forecast;
pub mod lags;
pub mod landed;
pub mod markets;
pub mod run;
pub mod shell;
pub mod trade;

use std::io::Write;

use crate::cli::{Command, DataCommand};
use crate::exit::Exit;
use crate::settings::Settings;

/// A mistake in a command's own arguments (exit code 2), found after clap's parsing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Run a parsed command. Returns the exit code for a run that completed (which may still be a
/// "problems found" code such as `data check`'s).
pub fn run(command: &Command, settings: &Settings, out: &mut dyn Write) -> anyhow::Result<Exit> {
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
        && !matches!(command, Command::Data(DataCommand::Export(_)))
    {
        return Err(UsageError(
            "--format parquet is a file format of `portcast data export --output FILE` only".into(),
        )
        .into());
    }
    match command {
        Command::Data(DataCommand::List) => data::list(settings, out),
        Command::Data(DataCommand::Show(args)) => data::show(settings, args, out),
        Command::Data(DataCommand::Check) => data::check(settings, out),
        Command::Data(DataCommand::Add(args)) => data::add(settings, args),
        Command::Data(DataCommand::Export(args)) => data::export(settings, args, out),
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
