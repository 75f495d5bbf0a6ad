//! The series catalog: every series id portcast knows, with its unit, cadence, how it aggregates
//! to coarser periods and its default release lag (how long after a period ends its figure is
//! published).
//!
//! Ids are stable strings used on the command line, in the store and in reports. Fetched sources
//! can bring ids that are not listed here (any PortWatch port or field, any SCFI route); those are
//! described by pattern in [`spec`]. The release lags are the defaults of docs/DOMAIN.md and can be
//! overridden per series in the config (`[release_lag_days]`).

use std::collections::BTreeMap;

use thiserror::Error;

use crate::model::Frequency;

/// How values of finer periods combine into a coarser period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    /// Counts and volumes: the coarser period's value is the sum, complete only when every
    /// finer period is present.
    Sum,
    /// Levels (indices, prices, diffusion indices): the mean of the prints inside the period.
    Mean,
}

/// What portcast knows about a series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSpec {
    pub id: String,
    pub description: String,
    pub unit: String,
    /// The grid a period of this series is keyed on (a weekly SCFI print is keyed by its date).
    pub period: Frequency,
    /// How often a new figure arrives (SCFI: weekly, although each print is keyed by its day).
    pub cadence: Frequency,
    pub aggregation: Aggregation,
    /// Values are counts and can never be negative.
    pub count: bool,
    /// Days after the last day of a period until its figure is public (the default `known_at`
    /// of a bundled figure).
    pub release_lag_days: i64,
}

impl SeriesSpec {
    /// The range a figure of this series can plausibly take, inclusive (README, Limits): a
    /// diffusion index lies in 0–100; counts are finite and at least 0, and no port handles a
    /// billion TEU in a period or a hundred thousand vessel calls in a day; freight rates and
    /// indices are positive and under 100,000. Outside it a figure is a typo or a garbled
    /// response, refused with the file and line or the URL before anything downstream chokes on it.
    pub fn plausible_range(&self) -> (f64, f64) {
        if self.unit.starts_with("index (50") {
            return (0.0, 100.0);
        }
        match self.unit.as_str() {
            "TEU" => (0.0, 1e9),
            "calls" => (0.0, 1e5),
            "metric tonnes" => (0.0, 1e10),
            // A stated change: a volume can fall by at most 100% and rarely grows tenfold.
            "percent" => (-100.0, 1000.0),
            _ if self.count => (0.0, 1e12),
            // Freight rates (USD per box) and index points.
            _ => (f64::MIN_POSITIVE, 1e5),
        }
    }

    /// `Ok` when `value` is finite and inside [`SeriesSpec::plausible_range`], else why not.
    pub fn check_plausible(&self, value: f64) -> Result<(), Implausible> {
        let (lo, hi) = self.plausible_range();
        if !value.is_finite() {
            return Err(Implausible::NotFinite {
                series: self.id.clone(),
                value,
            });
        }
        if self.count && value < 0.0 {
            return Err(Implausible::NegativeCount {
                series: self.id.clone(),
                unit: self.unit.clone(),
                value,
            });
        }
        if value < lo || value > hi {
            return Err(Implausible::OutOfRange {
                series: self.id.clone(),
                unit: self.unit.clone(),
                value,
                lo,
                hi,
            });
        }
        Ok(())
    }

    /// A running total since 1 January (`<port>_teu_ytd`, `cn_port.<port>_ytd`): a sum over the
    /// months so far, not a flow of its own month.
    pub fn is_year_to_date(&self) -> bool {
        self.id.ends_with("_ytd")
    }

    /// A count summed over its period (vessel calls per day, TEU per month), whose size grows
    /// with the period's days: a flow, not a level and not a running total.
    pub fn is_flow(&self) -> bool {
        self.aggregation == Aggregation::Sum && self.count && !self.is_year_to_date()
    }
}

/// A figure outside what its series can plausibly take ([`SeriesSpec::check_plausible`]).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum Implausible {
    #[error("`{series}`: {value} is not a finite number")]
    NotFinite { series: String, value: f64 },
    #[error("`{series}` counts {unit} and cannot be negative ({value})")]
    NegativeCount {
        series: String,
        unit: String,
        value: f64,
    },
    #[error("`{series}` = {value} is not plausible ({unit} lies {from} to {hi})", from = lower_words(.lo))]
    OutOfRange {
        series: String,
        unit: String,
        value: f64,
        lo: f64,
        hi: f64,
    },
}

/// The lower end of a plausible range in words: "above 0" for the positive ones.
fn lower_words(lo: &f64) -> String {
    if *lo == f64::MIN_POSITIVE {
        "above 0".to_string()
    } else {
        format!("from {lo}")
    }
}

struct Entry {
    id: &'static str,
    description: &'static str,
    unit: &'static str,
    period: Frequency,
    cadence: Frequency,
    aggregation: Aggregation,
    count: bool,
    lag: i64,
}

use Aggregation::{Mean, Sum};
use Frequency::{Day, Month, Week, Year};

// A positional constructor keeps the catalog table one line per series.
#[allow(clippy::too_many_arguments)]
const fn e(
    id: &'static str,
    description: &'static str,
    unit: &'static str,
    period: Frequency,
    cadence: Frequency,
    aggregation: Aggregation,
    count: bool,
    lag: i64,
) -> Entry {
    Entry {
        id,
        description,
        unit,
        period,
        cadence,
        aggregation,
        count,
        lag,
    }
}

/// Release lags from docs/DOMAIN.md: PMI on the last day of its month; PortWatch days 9 days after the
/// day; SCFI on its own date; official monthly TEU (Shanghai, LA, Long Beach, other Chinese ports)
/// 20 days after month end; annual totals 20 days after year end.
const PMI_LAG: i64 = 0;
const PORTWATCH_LAG: i64 = 9;
const SCFI_LAG: i64 = 0;
const MONTHLY_TEU_LAG: i64 = 20;
const ANNUAL_LAG: i64 = 20;

#[rustfmt::skip]
const CATALOG: &[Entry] = &[
    e("pmi", "China NBS manufacturing PMI", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("pmi_non_manufacturing", "China NBS non-manufacturing business activity index", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("pmi_new_export_orders", "China NBS manufacturing PMI: new export orders", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("pmi_production", "China NBS manufacturing PMI: production", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("pmi_new_orders", "China NBS manufacturing PMI: new orders", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("pmi_imports", "China NBS manufacturing PMI: imports", "index (50 = no change)", Month, Month, Mean, false, PMI_LAG),
    e("shanghai_teu", "Port of Shanghai container throughput, official monthly", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("shanghai_teu_ytd", "Port of Shanghai container throughput, year to date", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("shanghai_teu_annual", "Port of Shanghai container throughput, calendar year", "TEU", Year, Year, Sum, true, ANNUAL_LAG),
    e("shanghai_teu_yoy", "Port of Shanghai container throughput, official monthly: stated year-on-year change", "percent", Month, Month, Mean, false, MONTHLY_TEU_LAG),
    e("shanghai_teu_annual_yoy", "Port of Shanghai container throughput, calendar year: stated year-on-year change", "percent", Year, Year, Mean, false, ANNUAL_LAG),
    e("shanghai_calls", "Container vessel calls at Shanghai (PortWatch port1188 + Yangshan port2027)", "calls", Day, Day, Sum, true, PORTWATCH_LAG),
    e("shanghai_calls_all", "Vessel calls of all types at Shanghai (port1188 + port2027)", "calls", Day, Day, Sum, true, PORTWATCH_LAG),
    e("scfi", "Shanghai Containerized Freight Index, composite (print date)", "index points (2009-10-16 = 1000)", Day, Week, Mean, false, SCFI_LAG),
    e("scfi_uswc", "SCFI Shanghai to US West Coast (print date)", "USD/FEU", Day, Week, Mean, false, SCFI_LAG),
    e("scfi_usec", "SCFI Shanghai to US East Coast (print date)", "USD/FEU", Day, Week, Mean, false, SCFI_LAG),
    e("scfi_europe", "SCFI Shanghai to North Europe (print date)", "USD/TEU", Day, Week, Mean, false, SCFI_LAG),
    e("scfi_monthly_avg", "SCFI composite, exchange's monthly average", "index points", Month, Month, Mean, false, SCFI_LAG),
    e("scfi_uswc_monthly_avg", "SCFI US West Coast, exchange's monthly average", "USD/FEU", Month, Month, Mean, false, SCFI_LAG),
    e("la_teu", "Port of Los Angeles total TEU", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_loaded_imports", "Port of Los Angeles loaded imports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_empty_imports", "Port of Los Angeles empty imports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_total_imports", "Port of Los Angeles total imports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_loaded_exports", "Port of Los Angeles loaded exports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_empty_exports", "Port of Los Angeles empty exports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_total_exports", "Port of Los Angeles total exports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_empties", "Port of Los Angeles empty containers (imports + exports)", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_teu_ytd", "Port of Los Angeles total TEU, year to date", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("la_teu_annual", "Port of Los Angeles total TEU, calendar year", "TEU", Year, Year, Sum, true, ANNUAL_LAG),
    e("long_beach_teu", "Port of Long Beach total TEU", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("long_beach_loaded_imports", "Port of Long Beach loaded imports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("long_beach_loaded_exports", "Port of Long Beach loaded exports", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("long_beach_empties", "Port of Long Beach empty containers", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
    e("long_beach_teu_ytd", "Port of Long Beach total TEU, year to date", "TEU", Month, Month, Sum, true, MONTHLY_TEU_LAG),
];

/// Every catalogued series id, in catalog order.
pub fn known_ids() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|e| e.id)
}

/// The spec of a series id, from the catalog or, for the open families of fetched series, from
/// its pattern: `portwatch.<port>.<field>`, `<port>_teu[_ytd]` of other Chinese ports, and
/// `scfi.<route>`. `None` for an id that fits nothing.
pub fn spec(id: &str) -> Option<SeriesSpec> {
    if let Some(e) = CATALOG.iter().find(|e| e.id == id) {
        return Some(SeriesSpec {
            id: e.id.to_string(),
            description: e.description.to_string(),
            unit: e.unit.to_string(),
            period: e.period,
            cadence: e.cadence,
            aggregation: e.aggregation,
            count: e.count,
            release_lag_days: e.lag,
        });
    }
    let open =
        |description: String, unit: &str, period, cadence, aggregation, count, lag| SeriesSpec {
            id: id.to_string(),
            description,
            unit: unit.to_string(),
            period,
            cadence,
            aggregation,
            count,
            release_lag_days: lag,
        };
    if let Some(rest) = id.strip_prefix("portwatch.") {
        let (port, field) = rest.split_once('.')?;
        if port.is_empty() {
            return None;
        }
        return if field.starts_with("portcalls") {
            Some(open(
                format!("IMF PortWatch {port}: {field}"),
                "calls",
                Day,
                Day,
                Sum,
                true,
                PORTWATCH_LAG,
            ))
        } else if field.starts_with("import") || field.starts_with("export") {
            Some(open(
                format!("IMF PortWatch {port}: {field} (estimate)"),
                "metric tonnes",
                Day,
                Day,
                Sum,
                true,
                PORTWATCH_LAG,
            ))
        } else {
            None
        };
    }
    if let Some(route) = id.strip_prefix("scfi.") {
        return Some(open(
            format!("SCFI route {route} (print date)"),
            "USD per box",
            Day,
            Week,
            Mean,
            false,
            SCFI_LAG,
        ));
    }
    if let Some(port) = id.strip_prefix("cn_port.") {
        let ytd = port.ends_with("_ytd");
        let what = if ytd { "year to date" } else { "monthly" };
        return Some(open(
            format!("Container throughput {port} ({what})"),
            "TEU",
            Month,
            Month,
            Sum,
            true,
            MONTHLY_TEU_LAG,
        ));
    }
    None
}

/// Release lag per series: the catalog's default unless the config overrides it
/// (`[release_lag_days]`, checked against this catalog when the config is read).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monthly_and_daily_totals_are_flows_but_running_totals_and_levels_are_not() {
        for id in [
            "la_teu",
            "long_beach_teu",
            "shanghai_calls",
            "la_loaded_imports",
            "cn_port.ningbo_teu",
        ] {
            assert!(spec(id).unwrap().is_flow(), "{id}");
        }
        for id in [
            "la_teu_ytd",
            "shanghai_teu_ytd",
            "cn_port.ningbo_teu_ytd",
            "pmi",
            "scfi",
            "scfi_monthly_avg",
        ] {
            assert!(!spec(id).unwrap().is_flow(), "{id}");
        }
    }

    #[test]
    fn the_issue_names_are_catalogued() {
        for id in [
            "pmi",
            "pmi_non_manufacturing",
            "pmi_new_export_orders",
            "pmi_production",
            "pmi_new_orders",
            "pmi_imports",
            "shanghai_teu",
            "shanghai_teu_annual",
            "shanghai_calls",
            "scfi",
            "scfi_uswc",
            "la_teu",
            "la_loaded_imports",
            "long_beach_teu",
            "portwatch.port1188.portcalls_container",
            "portwatch.port2027.portcalls",
        ] {
            assert!(spec(id).is_some(), "{id}");
        }
        assert!(spec("portwatch.port1188.nonsense").is_none());
        assert!(spec("nonsense").is_none());
    }

    #[test]
    fn catalog_ids_are_unique() {
        let mut ids: Vec<_> = known_ids().collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
