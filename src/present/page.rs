//! The report page's parts from a run's results: sections, the sources table with data
//! freshness, the status line, the footer, and the forecast and nowcast charts.

use chrono::{DateTime, NaiveDate, Utc};

use super::source_line;
use crate::forecast::{self};
use crate::freshness::Freshness;
use crate::ingest::fetch::FetchReport;
use crate::report::chart::{Axis, FanChart, FanStep, Labels, LineChart, Series, SeriesStyle};
use crate::report::html::{Section, SourceRow, SourceState};
use crate::store::Store;

pub fn section(title: &str, intro: &str) -> Section {
    Section {
        title: title.into(),
        paragraphs: if intro.is_empty() {
            vec![]
        } else {
            vec![intro.into()]
        },
        ..Section::default()
    }
}

pub fn source_rows(freshness: &[Freshness], fetch: Option<&FetchReport>) -> Vec<SourceRow> {
    freshness
        .iter()
        .map(|f| {
            let (state, detail) = match fetch
                .and_then(|r| r.sources.iter().find(|s| s.source.as_str() == f.source.id))
            {
                None if f.source.id == "shanghai" => (
                    SourceState::Skipped,
                    "no API: `portcast data add`".to_string(),
                ),
                None => (SourceState::Skipped, "offline: stored data".to_string()),
                Some(s) if s.failed => (
                    SourceState::Failed,
                    s.error.clone().unwrap_or_else(|| "failed".into()),
                ),
                Some(s) => (
                    SourceState::Ok,
                    format!(
                        "{} new, {} revised, {} unchanged",
                        s.new, s.revised, s.unchanged
                    ),
                ),
            };
            SourceRow {
                source: f.source.label.into(),
                state,
                detail,
                latest_period: f.latest.map(|(p, _)| p.to_string()),
                known_at: f.latest.map(|(_, k)| k.format("%Y-%m-%d").to_string()),
                freshness: Some(freshness_cell(f)),
            }
        })
        .collect()
}

/// The data column of the freshness table: "fresh (next due 2024-01-31)", "stale: 2.9 years old".
pub fn freshness_cell(f: &Freshness) -> String {
    match (f.stale, f.age_days, f.next_due) {
        (true, Some(age), Some(due)) => format!(
            "stale: {} old, next was due {due}",
            crate::freshness::human_days(age)
        ),
        (false, _, Some(due)) => format!("fresh (next due {due})"),
        _ => f.word().to_string(),
    }
}

pub fn status_message(
    fetch: Option<&FetchReport>,
    offline: bool,
    problems: &[String],
    freshness: &[Freshness],
) -> String {
    let failed: Vec<&str> = fetch.map_or(vec![], |f| {
        f.sources
            .iter()
            .filter(|s| s.failed)
            .map(|s| s.source.as_str())
            .collect()
    });
    let mut parts = Vec::new();
    if offline {
        parts.push("offline: computed from stored data".to_string());
    } else if failed.is_empty() {
        parts.push("all sources fetched".to_string());
    } else {
        parts.push(format!(
            "source(s) failed, stored data used: {}",
            failed.join(", ")
        ));
    }
    let stale: Vec<&str> = freshness
        .iter()
        .filter(|f| f.stale)
        .map(|f| f.source.id)
        .collect();
    if stale.is_empty() {
        parts.push("every source is current".to_string());
    } else {
        parts.push(format!(
            "stale data from {} source(s): {}",
            stale.len(),
            stale.join(", ")
        ));
    }
    if !problems.is_empty() {
        parts.push(format!(
            "{} part(s) of the report could not be computed (see Problems)",
            problems.len()
        ));
    }
    parts.join("; ")
}

pub fn footer() -> Vec<String> {
    vec![
        "IMF PortWatch figures — Sources: Kpler; UN Global Platform; IMF PortWatch (portwatch.imf.org).".into(),
        "PMI: National Bureau of Statistics of China. SCFI: Shanghai Shipping Exchange. Port of Los Angeles container statistics. Port of Shanghai (SIPG) and Ministry of Transport releases.".into(),
        "Every figure carries its provenance in data/SOURCES.md and the store; forecasts are seeded and reproducible with --as-of.".into(),
    ]
}

pub fn fan_chart(store: &Store, f: &forecast::Forecast, as_of: DateTime<Utc>) -> FanChart {
    let spec = crate::series::catalog::spec(&f.series);
    let unit = spec.as_ref().map_or(String::new(), |s| s.unit.clone());
    // Two years of history before the forecast.
    let keep = f.freq.periods_per_year() * 2;
    let history: Vec<(NaiveDate, f64)> = f
        .history
        .iter()
        .rev()
        .take(keep)
        .rev()
        .map(|(p, v)| (p.start(), *v))
        .collect();
    let first = history.first().map(|h| h.0);
    let official: Vec<(NaiveDate, f64)> = if f.series == "shanghai_teu" {
        store
            .view("shanghai_teu", as_of)
            .map(|v| {
                v.complete_values()
                    .into_iter()
                    .map(|(p, v)| (p.start(), v))
                    .filter(|(d, _)| first.is_none_or(|f| *d >= f))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let q = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975];
    let forecast = f
        .periods
        .iter()
        .enumerate()
        .map(|(h, p)| {
            FanStep::from_quantiles(
                p.start(),
                q.map(|q| f.dist.quantile(h, q).unwrap_or(f64::NAN)),
            )
        })
        .collect();
    FanChart {
        labels: Labels::new(
            format!("{} by {}: forecast from {}", f.series, f.freq, f.origin),
            Axis::new(f.freq.as_str(), ""),
            Axis::new(&f.series, &unit),
            source_line(&[&f.series], as_of),
        ),
        history,
        official,
        forecast,
        // The as-of line only where it falls within the chart (stale data would stretch it).
        as_of: f
            .periods
            .last()
            .map(|p| p.end())
            .filter(|end| as_of.date_naive() <= *end)
            .map(|_| as_of.date_naive()),
    }
}

pub fn nowcast_chart(now: &forecast::nowcast::Nowcast) -> LineChart {
    let mut mean = Vec::new();
    let mut band = Vec::new();
    let mut official = Vec::new();
    for (i, m) in now.months.iter().enumerate() {
        let d = m.start();
        if let (Ok(mu), Ok(lo), Ok(hi)) = (
            now.draws.mean(i),
            now.draws.quantile(i, 0.05),
            now.draws.quantile(i, 0.95),
        ) {
            mean.push((d, mu));
            band.push((d, lo, hi));
        }
        if let Some((v, p)) = now.official[i]
            && p.is_value()
        {
            official.push((d, v));
        }
    }
    LineChart {
        labels: Labels::new(
            "Port of Shanghai monthly TEU: nowcast vs official prints",
            Axis::new("month", ""),
            Axis::new("container throughput", "TEU"),
            format!(
                "Source: IMF PortWatch vessel calls; SIPG / MoT prints; portcast as of {}",
                now.as_of.format("%Y-%m-%d")
            ),
        ),
        series: vec![
            Series::new("nowcast (mean)", mean, SeriesStyle::Line).with_band("90% interval", band),
            Series::new("official print", official, SeriesStyle::Markers),
        ],
        ref_lines: vec![],
        integer_y: false,
    }
}
