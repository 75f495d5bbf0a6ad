//! The configuration file (`portcast.toml`) and the checked settings built from it.
//!
//! Precedence is command line over environment over config file over defaults. The file is read
//! with `deny_unknown_fields`, so a typo in a cron job's config is an error with a line and column
//! rather than a silently ignored key. `portcast.example.toml` at the top of the repository
//! documents every key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::analysis::lags::LagsConfig;
use crate::forecast::ForecastConfig;
use crate::forecast::config::ForecastConfigError;
use crate::ingest::settings::{SourcesConfig, SourcesConfigError};
use crate::limits::describe_toml_error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("config file {path}: [sources] {error}")]
    Sources {
        path: PathBuf,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: SourcesConfigError,
    },
    #[error("config file {path}: {error}")]
    Forecast {
        path: PathBuf,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: ForecastConfigError,
    },
    #[error(
        "no platform directory for portcast's {what} (is $HOME set?); give --store-dir or set it in the config"
    )]
    NoPlatformDir { what: &'static str },
}

/// The file as written by the user; every field optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Directory of snapshot CSV files to use instead of the bundled ones.
    pub data_dir: Option<PathBuf>,
    /// Directory of the point-in-time store (fetched and hand-entered figures).
    pub store_dir: Option<PathBuf>,
    /// The markets file `price`, `backtest` and `run` use when `--markets` is not given.
    pub markets_file: Option<PathBuf>,
    /// The shipment `landed-cost` (and the report of `portcast run`) uses when `--shipment` is
    /// not given (`crate::trade::landed::Shipment`, e.g. data/shipment.example.toml).
    pub shipment_file: Option<PathBuf>,
    /// Where `portcast run` writes its reports (default: `reports` under the platform data
    /// directory).
    pub reports_dir: Option<PathBuf>,
    /// Per-series release lag in days after the end of the period, overriding the defaults.
    #[serde(default)]
    pub release_lag_days: BTreeMap<String, i64>,
    /// The live sources (`portcast fetch`): base URLs, PortWatch ports, HTTP limits.
    #[serde(default)]
    pub sources: SourcesConfig,
    /// Defaults of `portcast lags` and its pairs (command-line flags override them).
    #[serde(default)]
    pub lags: LagsConfig,
    /// Forecast settings: regression drivers and lags, selection sizes (`crate::forecast::config`).
    #[serde(default)]
    pub forecast: ForecastConfig,
}

impl ConfigFile {
    /// Read a config file. Relative paths in it are taken relative to the file's own directory,
    /// so a cron job does not depend on its working directory.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = crate::limits::read_text_capped(path, crate::limits::MAX_TOML_FILE_BYTES)
            .map_err(|error| ConfigError::Read {
                path: path.to_path_buf(),
                error,
            })?;
        let mut cfg = Self::parse(path, &text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for dir in [
            &mut cfg.data_dir,
            &mut cfg.store_dir,
            &mut cfg.markets_file,
            &mut cfg.shipment_file,
            &mut cfg.reports_dir,
        ]
        .into_iter()
        .flatten()
        {
            if dir.is_relative() {
                *dir = base.join(&*dir);
            }
        }
        Ok(cfg)
    }

    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let cfg: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: describe_toml_error(text, &e),
        })?;
        for (id, days) in &cfg.release_lag_days {
            if crate::series::catalog::spec(id).is_none() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "release_lag_days: `{id}` is not a known series id (see `portcast data list`)"
                    ),
                });
            }
            if !(0..=400).contains(days) {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("release_lag_days.{id} = {days}: expected 0..=400 days"),
                });
            }
        }
        crate::ingest::settings::check_sources_config(&cfg.sources).map_err(|error| {
            ConfigError::Sources {
                path: path.to_path_buf(),
                error,
            }
        })?;
        if let Some(pairs) = &cfg.lags.pairs {
            for id in pairs.iter().flat_map(|p| [&p.x, &p.y]) {
                if crate::series::catalog::spec(id).is_none() {
                    return Err(ConfigError::Invalid {
                        path: path.to_path_buf(),
                        message: format!(
                            "lags.pairs: `{id}` is not a known series id (see `portcast data list`)"
                        ),
                    });
                }
            }
        }
        cfg.forecast
            .validate()
            .map_err(|error| ConfigError::Forecast {
                path: path.to_path_buf(),
                error,
            })?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::catalog::ReleaseLags;

    #[test]
    fn unknown_keys_are_errors_with_a_position() {
        let err = ConfigFile::parse(Path::new("c.toml"), "data_dir = \"x\"\nstore_dri = \"y\"\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("config file c.toml: line 2, column 1: unknown field `store_dri`"),
            "{msg}"
        );
    }

    #[test]
    fn the_example_config_parses_with_every_key_set() {
        let example = include_str!("../portcast.example.toml");
        // Uncomment every `# key = value` line: each documented key must be accepted.
        let text: String = example
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
                {
                    format!("{rest}\n")
                }
                _ => format!("{l}\n"),
            })
            .collect();
        let cfg = ConfigFile::parse(Path::new("portcast.example.toml"), &text).unwrap();
        assert_eq!(cfg.sources.retries, Some(3));
        assert_eq!(cfg.sources.ports.as_deref().map(<[String]>::len), Some(3));
        // The documented defaults of the forecast section are the code's.
        let f = &cfg.forecast;
        let defaults = crate::forecast::ForecastConfig::default();
        assert_eq!(f.month_cycle, Some(defaults.month_cycle()));
        assert_eq!(f.daily_rate, Some(defaults.daily_rate()));
        assert_eq!(f.selection_paths, Some(defaults.selection_paths()));
        assert_eq!(
            f.selection_origins,
            Some(defaults.selection_origins(crate::model::Frequency::Month))
        );
        assert_eq!(
            cfg.sources.dbnomics_url.as_deref(),
            Some("https://api.db.nomics.world/v22")
        );
        assert!(
            ConfigFile::parse(Path::new("c.toml"), "[sources]\ntimeout_secs = 0\n")
                .unwrap_err()
                .to_string()
                .contains("[sources] timeout_secs")
        );
    }

    #[test]
    fn release_lags_override_the_catalog() {
        let cfg = ConfigFile::parse(
            Path::new("c.toml"),
            "[release_lag_days]\nshanghai_teu = 15\n",
        )
        .unwrap();
        let lags = ReleaseLags::new(cfg.release_lag_days);
        let spec = crate::series::catalog::spec("shanghai_teu").unwrap();
        assert_eq!(lags.lag_days(&spec), 15);
        let pmi = crate::series::catalog::spec("pmi").unwrap();
        assert_eq!(lags.lag_days(&pmi), 0);
        assert!(ConfigFile::parse(Path::new("c.toml"), "[release_lag_days]\nnope = 1\n").is_err());
    }

    #[test]
    fn lags_table_is_checked() {
        let cfg = ConfigFile::parse(
            Path::new("c.toml"),
            "[lags]\ntransform = \"logdiff\"\nmax_lag = 6\npairs = [{ x = \"pmi\", y = \"la_teu\", freq = \"month\" }]\n",
        )
        .unwrap();
        let pairs = cfg.lags.pairs.unwrap();
        assert_eq!(pairs[0].freq, Some(crate::model::Frequency::Month));
        assert_eq!(
            cfg.lags.transform,
            Some(crate::analysis::transform::Transform::LogDiff)
        );
        let typo = ConfigFile::parse(Path::new("c.toml"), "[lags]\nmax_lags = 6\n").unwrap_err();
        assert!(
            typo.to_string()
                .contains("line 2, column 1: unknown field `max_lags`"),
            "{typo}"
        );
        let bad = ConfigFile::parse(
            Path::new("c.toml"),
            "[lags]\npairs = [{ x = \"pmi\", y = \"nope\" }]\n",
        )
        .unwrap_err();
        assert!(
            bad.to_string().contains("`nope` is not a known series"),
            "{bad}"
        );
    }
}
