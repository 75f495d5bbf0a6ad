//! `portcast fetch`: pull the newest figures from the live sources into the store.
//!
//! The work is `crate::ingest::fetch` (sources concurrently, point-in-time writes, each source
//! failing on its own); this file holds the command line, the lock, the tokio runtime, the
//! progress bars and the summary: a table on stderr (nothing under `--quiet` unless a source
//! failed), CSV or JSON on stdout with `--format`. Exit code 5 (degraded) when any source failed.

use std::io::Write;

use anyhow::Context;
use chrono::{NaiveDate, SubsecRound, Utc};
use clap::Args;

use super::UsageError;
use crate::exit::Exit;
use crate::ingest::fetch::{FetchOptions, FetchReport, fetch};
use crate::ingest::settings::IngestSettings;
use crate::ingest::source::SourceId;
use crate::output::{Format, Table};
use crate::present::fetch::summary_table;
use crate::progress::Progress;
use crate::settings::Settings;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Sources to fetch (repeat the flag or separate with commas). Default: all. `shanghai` has
    /// no API and only says so.
    #[arg(
        long = "source",
        value_enum,
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub sources: Vec<SourceId>,
    /// Ask the sources for figures from this date (YYYY-MM-DD) on, instead of from the last
    /// stored period minus the overlap window (`overlap_days` under [sources], default 28).
    #[arg(long, value_name = "DATE")]
    pub since: Option<NaiveDate>,
}

/// Revisions listed one per line under the table; `--format json` lists all.
const REVISIONS_SHOWN: usize = 20;

pub fn run(settings: &Settings, args: &FetchArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    if settings.as_of_given {
        return Err(UsageError(
            "fetch records what the sources publish now; --as-of does not apply to it \
             (use --as-of with the commands that read the store)"
                .into(),
        )
        .into());
    }
    // Whole seconds: `data show` prints known_at in seconds, and `--as-of` with a printed
    // known_at must see the figure.
    let now = Utc::now().trunc_subsecs(0);
    if let Some(since) = args.since
        && since > now.date_naive()
    {
        return Err(UsageError(format!("--since {since} is in the future")).into());
    }
    let ingest = IngestSettings::from_env(&settings.config.sources)?;
    let wants_scfi = args.sources.is_empty() || args.sources.contains(&SourceId::Scfi);
    if wants_scfi
        && ingest.endpoints.scfi == crate::ingest::scfi::DEFAULT_BASE_URL
        && ingest.client.connect_timeout.as_secs_f64() < 6.0
    {
        tracing::warn!(
            "connect_timeout_secs = {} is below 6 s: connections to the SCFI host usually fail",
            ingest.client.connect_timeout.as_secs_f64()
        );
    }

    let dir = &settings.store_dir;
    // Held until the end of the run: two fetches appending at once would lose rows.
    let _lock = crate::store::lock::RunLock::acquire(dir)?;
    let store = Store::open(&settings.location)?;

    let progress = Progress::new(settings.quiet);
    let options = FetchOptions {
        sources: args.sources.clone(),
        since: args.since,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(fetch(&store, dir, &ingest, &options, now, &|id| {
        progress.spinner(id.as_str())
    }))?;
    drop(runtime);

    let table = summary_table(&report);
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        Format::Csv => table.write(Format::Csv, out)?,
        Format::Table => {
            if !settings.quiet {
                let stderr = std::io::stderr();
                let mut err = stderr.lock();
                progress.suspend(|| write_summary(&table, &report, &mut err))?;
            }
        }
    }
    // Errors reach stderr even under --quiet (the table above already shows them otherwise).
    if settings.quiet || settings.format != Format::Table {
        for s in report.sources.iter().filter(|s| s.failed) {
            tracing::error!("{}: {}", s.source, s.error.as_deref().unwrap_or("failed"));
        }
    }
    Ok(if report.any_failed() {
        Exit::Degraded
    } else {
        Exit::Ok
    })
}

/// The table, then the revisions, for people.
fn write_summary(table: &Table, report: &FetchReport, w: &mut dyn Write) -> std::io::Result<()> {
    table.write(Format::Table, w)?;
    let revisions: Vec<_> = report
        .sources
        .iter()
        .flat_map(|s| s.revisions.iter())
        .collect();
    if !revisions.is_empty() {
        writeln!(w, "revisions (kept beside the earlier figures):")?;
        for r in revisions.iter().take(REVISIONS_SHOWN) {
            writeln!(
                w,
                "  {} {}: {} (known since {}) -> {}",
                r.series,
                r.period,
                r.previous,
                r.previous_known_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                r.value
            )?;
        }
        if revisions.len() > REVISIONS_SHOWN {
            writeln!(
                w,
                "  ... and {} more (--format json lists them all)",
                revisions.len() - REVISIONS_SHOWN
            )?;
        }
    }
    Ok(())
}
