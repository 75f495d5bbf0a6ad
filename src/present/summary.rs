//! `summary.json`, the report's record for machines (versioned; every field in
//! docs/summary-json.md).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::freshness::Freshness;
use crate::ingest::fetch::FetchReport;
use crate::markets::book::Awaiting;
use crate::markets::price::PricedMarket;
use crate::report::html::{Page, RunState};

/// The version of `summary.json`'s layout (docs/summary-json.md): bumped when a field is
/// renamed or removed or changes meaning; new fields do not bump it.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// What `summary.json` is made from.
pub struct SummaryInputs<'a> {
    pub page: &'a Page,
    pub run: &'a RunFacts,
    pub out_dir: &'a Path,
    pub report_dir: &'a Path,
    pub priced: &'a [PricedMarket],
    pub awaiting: &'a [Awaiting],
    pub freshness: &'a [Freshness],
    pub fetch: Option<&'a FetchReport>,
    pub problems: &'a [String],
    /// The exit code the run ends with (`crate::exit`'s documented codes).
    pub exit_code: u8,
}

/// The settings of a run that `summary.json` records.
#[derive(Clone, Debug)]
pub struct RunFacts {
    pub as_of: DateTime<Utc>,
    pub as_of_given: bool,
    pub offline: bool,
    pub seed: u64,
    pub sample_paths: usize,
    pub backtest_paths: usize,
    pub store_dir: PathBuf,
    /// `None`: the bundled data.
    pub data_dir: Option<PathBuf>,
    /// The config file, when it exists.
    pub config: Option<PathBuf>,
    pub markets_file: Option<PathBuf>,
}

/// `summary.json`: see docs/summary-json.md for every field.
pub fn summary_json(i: &SummaryInputs<'_>) -> serde_json::Value {
    let status = match i.page.state {
        RunState::Ok => "ok",
        RunState::Stale => "stale",
        RunState::Degraded => "degraded",
        RunState::Failed => "failed",
    };
    let markets: Vec<serde_json::Value> = i
        .priced
        .iter()
        .flat_map(|p| &p.rows)
        .map(|r| {
            let awaiting = i.awaiting.iter().find(|a| a.market == r.market);
            json!({
                "market": r.market,
                "contract": r.contract,
                "target": r.target.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                "status": if awaiting.is_some() { "awaiting" } else { "live" },
                "awaiting": awaiting.map(|a| json!({
                    "due": a.due.to_string(),
                    "overdue_days": a.overdue_days,
                    "message": a.status(),
                })),
                "fair_per_payout": r.fair,
                "price_per_payout": r.price,
                "edge_per_payout": r.edge,
                "fee_per_payout": r.fee,
                "edge_after_fees_per_payout": r.edge_after_fees,
                "side": r.side.map(super::markets::side_name),
                "kelly_fraction": r.kelly_fraction,
            })
        })
        .collect();
    let fetch: Vec<serde_json::Value> = match i.fetch {
        Some(f) => f
            .sources
            .iter()
            .map(|s| json!({"source": s.source.as_str(), "status": s.status.as_str(), "failed": s.failed, "new": s.new, "revised": s.revised, "unchanged": s.unchanged, "error": s.error}))
            .collect(),
        None => vec![],
    };
    let freshness: Vec<serde_json::Value> = i
        .freshness
        .iter()
        .map(|f| {
            json!({
                "source": f.source.id,
                "label": f.source.label,
                "series": f.source.series,
                "state": f.word(),
                "stale": f.stale,
                "latest_period": f.latest.map(|(p, _)| p.to_string()),
                "latest_series": f.latest_series,
                "known_at": f.latest.map(|(_, k)| k.format("%Y-%m-%d").to_string()),
                "next_due": f.next_due.map(|d| d.to_string()),
                "age_days": f.age_days,
                "overdue_days": f.overdue_days,
                "remedy": f.source.remedy,
                "message": f.stale.then(|| f.message()),
            })
        })
        .collect();
    let run = i.run;
    let path = |p: &Path| p.display().to_string();
    json!({
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "portcast_version": env!("CARGO_PKG_VERSION"),
        "status": status,
        "exit_code": i.exit_code,
        "message": i.page.status_message,
        "as_of": run.as_of.format("%Y-%m-%d").to_string(),
        "as_of_given": run.as_of_given,
        "offline": run.offline,
        "seed": run.seed,
        "sample_paths": run.sample_paths,
        "backtest_paths": run.backtest_paths,
        "paths": {
            "out_dir": path(i.out_dir),
            "report_dir": path(i.report_dir),
            "store_dir": path(&run.store_dir),
            "data_dir": run.data_dir.as_deref().map(path),
            "config": run.config.as_deref().map(path),
            "markets_file": run.markets_file.as_deref().map(path),
        },
        "stale": i.freshness.iter().any(|f| f.stale),
        "freshness": freshness,
        "fetch": fetch,
        "markets": markets,
        "problems": i.problems,
    })
}
