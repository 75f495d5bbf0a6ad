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

use crate::series::catalog::SeriesSpec;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
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
    /// Per-series release lag in days after the end of the period, overriding the defaults.
    #[serde(default)]
    pub release_lag_days: BTreeMap<String, i64>,
    /// Forecast settings: regression drivers and lags, selection sizes (`crate::forecast::config`).
    #[serde(default)]
    pub forecast: crate::forecast::ForecastConfig,
}

impl ConfigFile {
    /// Read a config file. Relative paths in it are taken relative to the file's own directory,
    /// so a cron job does not depend on its working directory.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut cfg = Self::parse(path, &text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for dir in [&mut cfg.data_dir, &mut cfg.store_dir]
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
        cfg.forecast
            .validate()
            .map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(cfg)
    }
}

/// A TOML error as "line L, column C: message".
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// Release lag per series: the catalog's default unless the config overrides it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReleaseLags {
    overrides: BTreeMap<String, i64>,
}

impl ReleaseLags {
    pub fn new(overrides: BTreeMap<String, i64>) -> Self {
        ReleaseLags { overrides }
    }

    pub fn lag_days(&self, spec: &SeriesSpec) -> i64 {
        self.overrides
            .get(&spec.id)
            .copied()
            .unwrap_or(spec.release_lag_days)
    }
}

/// Where portcast keeps its own state when no directory is given: the platform data directory
/// (`~/.local/share/portcast` on Linux).
pub fn default_store_dir() -> Result<PathBuf, ConfigError> {
    directories::ProjectDirs::from("org", "portcast", "portcast")
        .map(|d| d.data_dir().join("store"))
        .ok_or(ConfigError::NoPlatformDir { what: "store" })
}

/// The default config file, if the platform config directory has one.
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "portcast", "portcast")
        .map(|d| d.config_dir().join("portcast.toml"))
        .filter(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
