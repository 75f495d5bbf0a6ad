//! The presentation layer: results of the library (prices, backtests, lead-lag analyses, the
//! audit, landed costs, forecasts, a run's status) turned into plain data for the leaves —
//! `output::Table`s and the chart structs of `report::chart` — and `summary.json`. Nothing here
//! computes a result; every table and chart of the commands and of the report is built here
//! once, so `portcast price` and the report's `markets.csv` cannot disagree.

pub mod audit;
pub mod backtest;
pub mod data;
pub mod fetch;
pub mod lags;
pub mod landed;
pub mod markets;
pub mod page;
pub mod summary;

use chrono::{DateTime, Utc};

use crate::output::{Format, Table};

/// A table as a JSON array (the `Table` JSON writer's own output, parsed back).
pub fn json_rows(t: &Table) -> serde_json::Value {
    let mut buf = Vec::new();
    t.write(Format::Json, &mut buf).expect("in-memory JSON");
    serde_json::from_slice(&buf).expect("valid JSON")
}

pub fn source_line(series: &[&str], as_of: DateTime<Utc>) -> String {
    let mut src = Vec::new();
    for s in series {
        let name = if s.starts_with("shanghai_calls") || s.starts_with("portwatch") {
            "IMF PortWatch (Kpler; UN Global Platform)"
        } else if s.starts_with("pmi") {
            "NBS China"
        } else if s.starts_with("scfi") {
            "Shanghai Shipping Exchange"
        } else if s.starts_with("la_") {
            "Port of Los Angeles"
        } else if s.starts_with("shanghai_teu") {
            "SIPG / Ministry of Transport"
        } else {
            "see data/SOURCES.md"
        };
        if !src.contains(&name) {
            src.push(name);
        }
    }
    format!(
        "Source: {}; portcast as of {}",
        src.join("; "),
        as_of.format("%Y-%m-%d")
    )
}
