//! The `[forecast]` table of `portcast.toml`: the regression's drivers and lags per target, and
//! the sizes of the Monte Carlo and of the model selection.
//!
//! The lead-lag analysis (issue 4, `portcast lags`) is where driver lags should come from; until
//! it is wired in, the lags are configured here, with defaults from DOMAIN.md's reasoning (PMI
//! leads Shanghai volume by 30–45 days: one month; Shanghai to Los Angeles adds 14–18 days'
//! sailing: two months for LA; weekly targets: four weeks).

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use crate::model::Frequency;

/// The `[forecast]` table; every key optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ForecastConfig {
    /// Regression drivers per target, by the target's frequency:
    /// `[forecast.drivers.month] shanghai_calls = [{ series = "pmi", lag = 1 }]`. A target not
    /// listed gets [`default_drivers`]; an empty list means no drivers.
    #[serde(default)]
    pub drivers: DriverTables,
    /// Origins of the rolling-origin model selection (default 12 for monthly targets, 16 for
    /// weekly: see [`DEFAULT_WEEKLY_ORIGINS`]).
    pub selection_origins: Option<usize>,
    /// Sample paths per model and origin during selection (default
    /// [`DEFAULT_SELECTION_PATHS`]).
    pub selection_paths: Option<usize>,
    /// Steps after each selection origin that are scored (default 3 for monthly targets, 4 for
    /// weekly). Fixed per frequency, never the horizon a caller asks for, so a target's
    /// combination at an as-of date does not depend on how far ahead a market reaches.
    pub selection_horizon: Option<usize>,
    /// Model monthly totals of flows (vessel calls, TEU) as daily rates, so the number of days in
    /// a month is not mistaken for a change (default true).
    pub daily_rate: Option<bool>,
    /// Take the month's rate cycle out of weekly freight indices before the models see them
    /// (`super::month_cycle`; default true).
    pub month_cycle: Option<bool>,
    /// Models left out of `auto` (not scored, not combined): one list for every frequency
    /// (`exclude = ["arima"]`) or one per frequency (`exclude = { month = ["trend"] }`, a
    /// frequency not named keeping its default). Default [`default_excluded`]: `["arima"]` for
    /// weekly targets and `["arima", "trend"]` for monthly ones. A named `--model` is unaffected.
    ///
    /// ARIMA is left out for speed (README, `portcast forecast`): in the monthly combinations
    /// (`exclude = { month = ["trend"] }`) it lowers the combined CRPS by 2.7–4.0% on the LA
    /// development window and 0.7–1.3% on the bench's LA task (Shanghai calls: +0.2–0.4% on the
    /// development window, up to +1.6% on the bench), and makes `portcast run --offline` take
    /// 1.8× the wall time: its stepwise fits are redone at every scoring origin, and on LA's
    /// gappy grid every filter step is a full covariance update. In the weekly combinations it
    /// changed nothing on the weekly development window.
    /// Trend on monthly targets: on the monthly development windows (`benches/dev-eval.sh`) it
    /// changed the combined CRPS by −1% to +2% whatever its drift window (3, 6 or 12 months), a
    /// cost at three months ahead on both; on weekly freight rates it is what follows a boom.
    pub exclude: Option<Exclude>,
}

/// `[forecast] exclude`: one list for every frequency, or a list per frequency.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(
    untagged,
    expecting = "a list of model names, or a table of them per frequency: \
                 { month = [...], week = [...] }"
)]
pub enum Exclude {
    Every(Vec<String>),
    PerFrequency(ExcludeTable),
}

/// `exclude = { month = [...], week = [...] }`; a frequency not named keeps its default.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExcludeTable {
    pub month: Option<Vec<String>>,
    pub week: Option<Vec<String>>,
}

/// Driver lists per target, one table per frequency.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriverTables {
    #[serde(default)]
    pub month: BTreeMap<String, Vec<DriverSpec>>,
    #[serde(default)]
    pub week: BTreeMap<String, Vec<DriverSpec>>,
}

/// One lagged driver of a regression.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DriverSpec {
    /// Series id of the driver (e.g. `pmi`, `pmi_new_export_orders`, `shanghai_calls`).
    pub series: String,
    /// Lag in periods of the target's frequency (months or weeks), at least 1.
    pub lag: usize,
    /// `level` (diffusion indices such as PMI: the level is already a growth signal) or `yoy`
    /// (year-on-year log growth, for volumes). Default: `yoy` for count series, else `level`.
    pub transform: Option<DriverTransform>,
}

/// How a driver enters the regression.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum DriverTransform {
    Level,
    Yoy,
}

impl DriverTransform {
    pub fn as_str(self) -> &'static str {
        match self {
            DriverTransform::Level => "level",
            DriverTransform::Yoy => "yoy",
        }
    }
}

/// Left out of `auto` unless `[forecast] exclude` says otherwise (see `exclude`).
pub fn default_excluded(freq: Frequency) -> &'static [&'static str] {
    match freq {
        Frequency::Week => &["arima"],
        _ => &["arima", "trend"],
    }
}

/// Sample paths per model and origin in the selection. 250 against 500 changed the combined CRPS
/// by −0.1% to +0.1% on every development window and horizon (`benches/dev-eval.sh`: Shanghai
/// calls 2021–22, SCFI 2018–19, LA 2017–21) and halves the selection's simulation and sorting.
pub const DEFAULT_SELECTION_PATHS: usize = 250;

/// Selection origins of a weekly target: the last 16 weeks. Against 26 (with 250 paths), on the
/// SCFI development windows the combined CRPS changed by +0.6/−0.9/−1.9/−2.6% at one to four weeks
/// on 2018–19 and +0.7/+0.2/−0.2/−0.5% on 2016–19 (older origins describe a freight market that
/// has moved on; the weights and the spread follow a turn sooner), and 80% coverage on 2018–19
/// rose from 0.85/0.79/0.76/0.76 to 0.89/0.86/0.80/0.83; a weekly forecast call takes 0.75× the
/// wall time (0.68× the CPU).
pub const DEFAULT_WEEKLY_ORIGINS: usize = 16;

impl ForecastConfig {
    /// The drivers of `target` at `freq`: the configured list, else the default.
    pub fn drivers_for(&self, target: &str, freq: Frequency) -> Vec<DriverSpec> {
        let table = match freq {
            Frequency::Week => &self.drivers.week,
            _ => &self.drivers.month,
        };
        table
            .get(target)
            .cloned()
            .unwrap_or_else(|| default_drivers(target, freq))
    }

    /// Rolling-origin selection origins at `freq`.
    pub fn selection_origins(&self, freq: Frequency) -> usize {
        self.selection_origins.unwrap_or(match freq {
            Frequency::Week => DEFAULT_WEEKLY_ORIGINS,
            _ => 12,
        })
    }

    /// The names of the models left out of `auto` for targets at `freq`.
    pub fn excluded(&self, freq: Frequency) -> Vec<String> {
        let given = match &self.exclude {
            Some(Exclude::Every(list)) => Some(list),
            Some(Exclude::PerFrequency(table)) => match freq {
                Frequency::Week => table.week.as_ref(),
                _ => table.month.as_ref(),
            },
            None => None,
        };
        given.cloned().unwrap_or_else(|| {
            default_excluded(freq)
                .iter()
                .map(|e| e.to_string())
                .collect()
        })
    }

    /// The models `auto` scores and combines for targets at `freq`: every model but the
    /// excluded ones.
    pub fn auto_models(&self, freq: Frequency) -> Vec<super::ModelKind> {
        let excluded = self.excluded(freq);
        super::ModelKind::ALL
            .iter()
            .copied()
            .filter(|k| {
                !excluded
                    .iter()
                    .any(|e| super::ModelKind::parse(e) == Some(*k))
            })
            .collect()
    }

    /// Whether monthly totals of flows are modelled as daily rates.
    pub fn daily_rate(&self) -> bool {
        self.daily_rate.unwrap_or(true)
    }

    /// Whether weekly freight indices are modelled without their month cycle.
    pub fn month_cycle(&self) -> bool {
        self.month_cycle.unwrap_or(true)
    }

    /// Steps scored after each selection origin at `freq`.
    pub fn selection_horizon(&self, freq: Frequency) -> usize {
        self.selection_horizon.unwrap_or(match freq {
            Frequency::Week => 4,
            _ => 3,
        })
    }

    pub fn selection_paths(&self) -> usize {
        self.selection_paths.unwrap_or(DEFAULT_SELECTION_PATHS)
    }

    /// Check series ids and lags; the error names the key.
    pub fn validate(&self) -> Result<(), ForecastConfigError> {
        for (freq, table) in [("month", &self.drivers.month), ("week", &self.drivers.week)] {
            for (target, list) in table {
                if crate::series::catalog::spec(target).is_none() {
                    return Err(ForecastConfigError::UnknownTarget {
                        freq,
                        target: target.clone(),
                    });
                }
                for d in list {
                    if crate::series::catalog::spec(&d.series).is_none() {
                        return Err(ForecastConfigError::UnknownDriver {
                            freq,
                            target: target.clone(),
                            driver: d.series.clone(),
                        });
                    }
                    if d.lag == 0 {
                        return Err(ForecastConfigError::ZeroLag {
                            freq,
                            target: target.clone(),
                            driver: d.series.clone(),
                        });
                    }
                }
            }
        }
        if self.selection_paths == Some(0) {
            return Err(ForecastConfigError::ZeroSelectionPaths);
        }
        for (freq, name) in [(Frequency::Month, "month"), (Frequency::Week, "week")] {
            let key = match self.exclude {
                Some(Exclude::PerFrequency(_)) => format!("forecast.exclude.{name}"),
                _ => "forecast.exclude".to_string(),
            };
            for e in &self.excluded(freq) {
                if super::ModelKind::parse(e).is_none() {
                    let names: Vec<&str> = super::ModelKind::ALL.iter().map(|k| k.name()).collect();
                    return Err(ForecastConfigError::UnknownModel {
                        key,
                        name: e.clone(),
                        models: names.join(", "),
                    });
                }
            }
            if self.auto_models(freq).is_empty() {
                return Err(ForecastConfigError::NoModelLeft { key });
            }
        }
        if self.selection_horizon == Some(0) {
            return Err(ForecastConfigError::ZeroSelectionHorizon);
        }
        Ok(())
    }
}

/// What is wrong with the `[forecast]` table; each message names the key.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ForecastConfigError {
    #[error("forecast.drivers.{freq}: `{target}` is not a known series id")]
    UnknownTarget { freq: &'static str, target: String },
    #[error("forecast.drivers.{freq}.{target}: driver `{driver}` is not a known series id")]
    UnknownDriver {
        freq: &'static str,
        target: String,
        driver: String,
    },
    #[error(
        "forecast.drivers.{freq}.{target}: driver `{driver}` needs a lag of at least 1 \
         (a lag of 0 would need the driver's figure for the very period being forecast)"
    )]
    ZeroLag {
        freq: &'static str,
        target: String,
        driver: String,
    },
    #[error("forecast.selection_paths must be at least 1")]
    ZeroSelectionPaths,
    #[error("{key}: `{name}` is not a model ({models})")]
    UnknownModel {
        key: String,
        name: String,
        models: String,
    },
    #[error("{key} leaves no model for auto")]
    NoModelLeft { key: String },
    #[error("forecast.selection_horizon must be at least 1")]
    ZeroSelectionHorizon,
}

/// Drivers used when the config names none for a target: headline PMI (complete since 2005; the
/// sub-indices in the bundled snapshot are too sparse to fit on) at one month for Shanghai and
/// other series, two months for Los Angeles, four weeks for weekly targets.
pub fn default_drivers(target: &str, freq: Frequency) -> Vec<DriverSpec> {
    let lag = match freq {
        Frequency::Week => 4,
        _ if target.starts_with("la_") || target.starts_with("long_beach") => 2,
        _ => 1,
    };
    vec![DriverSpec {
        series: "pmi".into(),
        lag,
        transform: Some(DriverTransform::Level),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_drivers_replace_the_default() {
        let cfg: ForecastConfig = toml::from_str(
            r#"
            selection_origins = 6
            [drivers.month]
            la_teu = [{ series = "shanghai_calls", lag = 1 }]
            scfi = []
            "#,
        )
        .unwrap();
        cfg.validate().unwrap();
        assert_eq!(
            cfg.drivers_for("la_teu", Frequency::Month)[0].series,
            "shanghai_calls"
        );
        assert!(cfg.drivers_for("scfi", Frequency::Month).is_empty());
        assert_eq!(
            cfg.drivers_for("shanghai_calls", Frequency::Month)[0].lag,
            1
        );
        assert_eq!(cfg.drivers_for("la_teu", Frequency::Week)[0].lag, 4);
        assert_eq!(cfg.selection_origins(Frequency::Week), 6);
        let bad: ForecastConfig =
            toml::from_str("[drivers.month]\nla_teu = [{ series = \"pmi\", lag = 0 }]").unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("at least 1")
        );
        assert!(toml::from_str::<ForecastConfig>("pahts = 3").is_err());
    }

    #[test]
    fn auto_leaves_out_arima_and_monthly_trend_unless_told_and_checks_the_names() {
        use crate::forecast::ModelKind;
        let (week, month) = (Frequency::Week, Frequency::Month);
        let default = ForecastConfig::default();
        assert!(!default.auto_models(week).contains(&ModelKind::Arima));
        assert!(default.auto_models(week).contains(&ModelKind::Trend));
        assert_eq!(default.auto_models(week).len(), ModelKind::ALL.len() - 1);
        assert!(!default.auto_models(month).contains(&ModelKind::Trend));
        assert_eq!(default.auto_models(month).len(), ModelKind::ALL.len() - 2);
        let all: ForecastConfig = toml::from_str("exclude = []").unwrap();
        assert_eq!(all.auto_models(month), ModelKind::ALL.to_vec());
        let some: ForecastConfig =
            toml::from_str("exclude = [\"climatology\", \"naive\"]").unwrap();
        some.validate().unwrap();
        for f in [week, month] {
            assert!(some.auto_models(f).contains(&ModelKind::Arima));
            assert_eq!(some.auto_models(f).len(), ModelKind::ALL.len() - 2);
        }
        let bad: ForecastConfig = toml::from_str("exclude = [\"foo\"]").unwrap();
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("`foo` is not a model")
        );
        let none: ForecastConfig = toml::from_str(
            "exclude = [\"regression\", \"ets\", \"arima\", \"momentum\", \"trend\", \"snaive\", \"naive\", \"climatology\"]",
        )
        .unwrap();
        assert!(
            none.validate()
                .unwrap_err()
                .to_string()
                .contains("leaves no model")
        );
        // One list per frequency; a frequency not named keeps its default.
        let monthly_arima: ForecastConfig =
            toml::from_str("exclude = { month = [\"trend\"] }").unwrap();
        monthly_arima.validate().unwrap();
        assert!(monthly_arima.auto_models(month).contains(&ModelKind::Arima));
        assert!(!monthly_arima.auto_models(month).contains(&ModelKind::Trend));
        assert_eq!(monthly_arima.auto_models(week), default.auto_models(week));
        let weekly: ForecastConfig = toml::from_str("exclude = { week = [] }").unwrap();
        assert_eq!(weekly.auto_models(week), ModelKind::ALL.to_vec());
        assert_eq!(weekly.auto_models(month), default.auto_models(month));
        let bad_week: ForecastConfig =
            toml::from_str("exclude = { week = [\"arima\", \"fo\"] }").unwrap();
        assert_eq!(
            bad_week.validate().unwrap_err().to_string(),
            "forecast.exclude.week: `fo` is not a model (regression, ets, arima, momentum, \
             trend, snaive, naive, climatology)"
        );
        let every = "[\"regression\", \"ets\", \"arima\", \"momentum\", \"trend\", \"snaive\", \
                     \"naive\", \"climatology\"]";
        let no_month: ForecastConfig =
            toml::from_str(&format!("exclude = {{ month = {every} }}")).unwrap();
        assert_eq!(
            no_month.validate().unwrap_err().to_string(),
            "forecast.exclude.month leaves no model for auto"
        );
        assert!(toml::from_str::<ForecastConfig>("exclude = { monthly = [] }").is_err());
        assert!(toml::from_str::<ForecastConfig>("exclude = \"arima\"").is_err());
    }

    #[test]
    fn the_example_config_parses_with_its_drivers_uncommented() {
        let text = include_str!("../../portcast.example.toml");
        let path = std::path::Path::new("portcast.example.toml");
        crate::config::ConfigFile::parse(path, text).unwrap();
        // The commented driver lines are valid too.
        let uncommented = text
            .replace("# shanghai_calls = ", "shanghai_calls = ")
            .replace("# la_loaded_imports = ", "la_loaded_imports = ");
        let cfg = crate::config::ConfigFile::parse(path, &uncommented).unwrap();
        let d = cfg
            .forecast
            .drivers_for("la_loaded_imports", Frequency::Month);
        assert_eq!(d[0].transform, Some(DriverTransform::Yoy));
        // The commented `exclude` line spells out the defaults.
        let exclude = text.replace("# exclude = ", "exclude = ");
        assert_ne!(exclude, text);
        let cfg = crate::config::ConfigFile::parse(path, &exclude).unwrap();
        assert!(cfg.forecast.exclude.is_some());
        for f in [Frequency::Week, Frequency::Month] {
            assert_eq!(
                cfg.forecast.auto_models(f),
                ForecastConfig::default().auto_models(f)
            );
        }
    }
}
