//! Checked settings for a run, built from the global flags ([`GlobalArgs`]), the environment
//! and the config file (`crate::config`). The library below this layer sees only these.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};

use crate::analysis::lags::LagsConfig;
use crate::config::{ConfigError, ConfigFile};
use crate::forecast::ForecastConfig;
use crate::ingest::settings::SourcesConfig;
// The as-of parser lives with the time helpers it uses; the settings' callers name it here.
use crate::model::Frequency;
pub use crate::model::{BadTime, parse_as_of};
use crate::output::Format;
use crate::series::catalog::ReleaseLags;
use crate::store::{DataDir, StoreLocation};

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

/// Everything a command needs to know about where it runs and as of when.
#[derive(Clone, Debug)]
pub struct Settings {
    pub location: StoreLocation,
    /// The store directory to write to (fetches, `data add`).
    pub store_dir: PathBuf,
    pub as_of: DateTime<Utc>,
    /// True when `--as-of` was given (a past view), false for "now".
    pub as_of_given: bool,
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    /// The config file's sections, each in its area's type.
    pub config: AreaConfig,
    pub config_path: Option<PathBuf>,
}

/// What the config file sets for the areas below this layer, each section in its area's own type
/// (checked when the file was read); a command's flags override them.
#[derive(Clone, Debug, Default)]
pub struct AreaConfig {
    pub markets_file: Option<PathBuf>,
    pub shipment_file: Option<PathBuf>,
    pub reports_dir: Option<PathBuf>,
    pub sources: SourcesConfig,
    pub lags: LagsConfig,
    pub forecast: ForecastConfig,
}

impl AreaConfig {
    fn from_file(file: ConfigFile) -> AreaConfig {
        AreaConfig {
            markets_file: file.markets_file,
            shipment_file: file.shipment_file,
            reports_dir: file.reports_dir,
            sources: file.sources,
            lags: file.lags,
            forecast: file.forecast,
        }
    }
}

impl Settings {
    pub fn from_args(args: &GlobalArgs) -> Result<Settings, SettingsError> {
        let config_path = args.config.clone().or_else(default_config_path);
        let config = match &config_path {
            Some(p) => ConfigFile::read(p)?,
            None => ConfigFile::default(),
        };
        let data_dir = match (&args.data_dir, &config.data_dir) {
            (Some(dir), _) => {
                if !dir.is_dir() {
                    return Err(SettingsError::Usage(format!(
                        "--data-dir {}: not a directory",
                        dir.display()
                    )));
                }
                DataDir::Path(dir.clone())
            }
            // From the config: the config's key is at fault (exit 4), not a flag.
            (None, Some(dir)) => {
                if !dir.is_dir() {
                    return Err(SettingsError::Config(ConfigError::Invalid {
                        path: config_path.clone().unwrap_or_default(),
                        message: format!("data_dir = {}: not a directory", dir.display()),
                    }));
                }
                DataDir::Path(dir.clone())
            }
            (None, None) => DataDir::Embedded,
        };
        let store_dir = match args.store_dir.clone().or_else(|| config.store_dir.clone()) {
            Some(d) => d,
            None => default_store_dir()?,
        };
        let (as_of, as_of_given) = match &args.as_of {
            Some(s) => (parse_as_of(s)?, true),
            None => (Utc::now(), false),
        };
        Ok(Settings {
            location: StoreLocation {
                data_dir,
                store_dir: Some(store_dir.clone()),
                lags: ReleaseLags::new(config.release_lag_days.clone()),
            },
            store_dir,
            as_of,
            as_of_given,
            format: args.format.unwrap_or_default(),
            quiet: args.quiet,
            verbose: args.verbose,
            config: AreaConfig::from_file(config),
            config_path,
        })
    }
}

impl Settings {
    /// A value the config file names that turns out unusable when a command reads it (exit 4,
    /// naming the config file).
    pub fn config_invalid(&self, message: String) -> SettingsError {
        SettingsError::Config(ConfigError::Invalid {
            path: self.config_path.clone().unwrap_or_default(),
            message,
        })
    }
}

/// portcast's platform directories (`~/.local/share/portcast`, `~/.config/portcast` on Linux).
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("org", "portcast", "portcast")
}

/// Where portcast keeps its own state when no directory is given: the platform data directory
/// (`~/.local/share/portcast` on Linux).
pub fn default_store_dir() -> Result<PathBuf, ConfigError> {
    project_dirs()
        .map(|d| d.data_dir().join("store"))
        .ok_or(ConfigError::NoPlatformDir { what: "store" })
}

/// The default config file, if the platform config directory has one.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs()
        .map(|d| d.config_dir().join("portcast.toml"))
        .filter(|p| p.is_file())
}

/// Where `portcast run` writes its reports when neither `--out` nor `reports_dir` says:
/// `reports` under the platform data directory.
pub fn default_reports_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().join("reports"))
}

/// A `--freq` flag that takes only `names` (the grids a command works on) as a [`Frequency`].
pub fn freq_arg(names: &'static [&'static str]) -> impl TypedValueParser<Value = Frequency> {
    PossibleValuesParser::new(names.iter().copied())
        .map(|name| Frequency::from_name(&name).expect("a possible value names a frequency"))
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    AsOf(#[from] BadTime),
    #[error("{0}")]
    Usage(String),
}
