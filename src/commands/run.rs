//! `portcast run`: the batch a user puts in crontab. Fetch what is due (unless `--offline`), then
//! lead-lag tables, the claims audit, forecasts for every target, prices for every market, a
//! backtest summary, and the report — PNG charts, CSV tables, `summary.json` and one static
//! `index.html` — into `<out>/<as-of date>/`, published only when complete, with `<out>/latest`
//! pointing at the newest complete report.
//!
//! Cron safety: the store lock is held for the whole run (a second run exits 75 at once); the
//! report is written to a temporary directory and renamed into place (a killed run leaves
//! `latest` on the previous complete report); every path comes from a flag, the config or the
//! platform data directory, never the working directory; a quiet run prints nothing unless
//! something failed. The same as-of date and seed give the same report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use serde_json::json;

use super::markets::{self, ForecastSources, ForecastSpec, MarketsArgs};
use crate::analysis::lags::{self, LagOptions, PairSpec};
use crate::backtest::evaluate::Strategy;
use crate::exit::{Exit, UsageError};
use crate::forecast::{self, ForecastRequest, ModelChoice};
use crate::fsutil::RunLock;
use crate::ingest::fetch::{FetchOptions, FetchReport};
use crate::ingest::settings::IngestSettings;
use crate::markets::contract::Contract;
use crate::markets::file::{Market, MarketKind};
use crate::markets::price::PricedMarket;
use crate::model::{Frequency, Period};
use crate::report::ReportError;
use crate::report::chart::{
    Axis, Bucket, BucketChart, CcfBar, CcfChart, CdfChart, FanChart, FanStep, Labels, LineChart,
    PnlChart, ReliabilityChart, ReliabilityPoint, Series, SeriesStyle, SkillBar, SkillChart,
    Strike, empirical_cdf,
};
use crate::report::html::{
    self, Figure, Page, RunState, Section, SourceRow, SourceState, TableBlock,
};
use crate::report::rundir::OutputDir;
use crate::report::{self as report_files, csv as report_csv};
use crate::settings::Settings;
use crate::store::Store;

/// `portcast run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not fetch: compute everything from the stored data.
    #[arg(long)]
    pub offline: bool,
    /// Report directory: `<out>/<as-of date>/` and `<out>/latest`. Default: the config's
    /// `reports_dir`, else `reports` under the platform data directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub markets: MarketsArgs,
    /// Months ahead in the forecast charts (weekly targets: the same span in weeks).
    #[arg(long, default_value_t = 6)]
    pub horizon: usize,
    /// As-of steps of the backtest summary (one per market period, ending at the last date any
    /// figure became known).
    #[arg(long, default_value_t = 12)]
    pub backtest_steps: u32,
    /// Sample paths in the backtest summary's forecasts (fewer than pricing's, for speed).
    #[arg(long, default_value_t = 2_000)]
    pub backtest_paths: usize,
}

/// The forecast targets charted in every report: (series, grid).
pub const TARGETS: &[(&str, Frequency)] = &[
    ("shanghai_calls", Frequency::Month),
    ("shanghai_calls", Frequency::Week),
    ("scfi", Frequency::Week),
    ("la_teu", Frequency::Month),
    ("la_loaded_imports", Frequency::Month),
    ("shanghai_teu", Frequency::Month),
];

/// The default report directory: `reports` under the platform data directory.
fn default_out() -> anyhow::Result<PathBuf> {
    crate::settings::default_reports_dir().context(
        "no platform data directory (is $HOME set?): give --out or reports_dir in the config",
    )
}

pub fn run(settings: &Settings, args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let out_dir = match args
        .out
        .clone()
        .or_else(|| settings.config.reports_dir.clone())
    {
        Some(d) => d,
        None => default_out()?,
    };
    // The documented limits (README, Limits): weekly charts reach 13/3 × the horizon in weeks.
    crate::limits::check_flags(Some(args.horizon), args.markets.paths)?;
    crate::limits::check_flags(Some(args.horizon * 13 / 3), args.markets.paths).map_err(|e| {
        UsageError(format!(
            "--horizon {} (weekly: ×13/3): {}",
            args.horizon, e.0
        ))
    })?;
    crate::limits::check_flags(None, args.backtest_paths)
        .map_err(|e| UsageError(e.0.replace("--paths", "--backtest-paths")))?;
    let _lock = RunLock::acquire(&settings.store_dir)?;
    let as_of = settings.as_of;
    let mut lap = Lap::start();

    // 1. Fetch what is due; a failed source degrades the run, it does not stop it.
    let fetch = if args.offline {
        None
    } else {
        Some(fetch_all(settings, as_of).context("fetching")?)
    };
    let degraded = fetch.as_ref().is_some_and(FetchReport::any_failed);

    let store = Store::open(&settings.location)?;
    let markets_list = markets::load_markets(settings, &args.markets)?;
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let report_dir = OutputDir::create(&out_dir, as_of.date_naive())?;
    let dir = report_dir.path().to_path_buf();
    let mut problems: Vec<String> = Vec::new();
    let mut page = Page {
        title: "portcast report".into(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        footer: footer(),
        ..Page::default()
    };

    lap.done("fetch");
    // 2. Data freshness per source: stale data is the first thing the page says.
    let freshness = crate::freshness::assess(&store, &settings.location.lags, as_of);
    page.sources = source_rows(&freshness, fetch.as_ref());
    page.stale = freshness
        .iter()
        .filter(|f| f.stale)
        .map(|f| f.message())
        .collect();
    let data_list = super::data::list_table(&store, as_of)?;
    report_csv::write_table(&dir.join("data_list.csv"), &data_list)?;

    lap.done("store and freshness");

    // The backtest summary (step 6) is the largest piece of work and independent of steps
    // 3–5: it runs on its own threads meanwhile (its result does not depend on the timing).
    let bt_spec = ForecastSpec::new(settings, args.backtest_paths, args.markets.seed);
    let (_, to) = markets::default_window(&store, as_of);
    let months_back = args.backtest_steps.saturating_sub(1);
    let from = Period::containing(to, Frequency::Month)
        .offset(-i64::from(months_back))
        .start()
        .max(to - chrono::Duration::days(3660));
    let from = from.min(to);
    std::thread::scope(|scope| -> anyhow::Result<Exit> {
        let mut drawings = Drawings::new(scope, &dir);
        let backtest = scope.spawn(|| {
            let _t = ThreadTimer::new("backtest");
            markets::run_backtest(
                &store,
                &bt_spec,
                &markets_list,
                &markets::Window {
                    from,
                    to,
                    settle_by: as_of,
                    settled_only: true,
                    step: None,
                },
                &[Strategy::Model, Strategy::Rules],
            )
        });

        // 3. Forecasts for every target and the nowcast: independent computations, each on its
        // own thread while the markets are priced; their charts are drawn below, in a fixed order.
        let forecast_jobs: Vec<_> = TARGETS
            .iter()
            .map(|&(series, freq)| {
                let horizon = if freq == Frequency::Week {
                    args.horizon * 13 / 3
                } else {
                    args.horizon
                };
                let req = ForecastRequest {
                    series: series.into(),
                    freq: Some(freq),
                    horizon: horizon.max(1),
                    as_of,
                    model: ModelChoice::Auto,
                    n_paths: args.markets.paths,
                    seed: args.markets.seed,
                };
                let (store, cfg) = (&store, &settings.config.forecast);
                (
                    series,
                    freq,
                    scope.spawn(move || {
                        let _t = ThreadTimer::new(if freq == Frequency::Week {
                            "a weekly forecast chart"
                        } else {
                            "a monthly forecast chart"
                        });
                        forecast::forecast(store, &req, cfg)
                    }),
                )
            })
            .collect();
        let nowcast_job = scope.spawn(|| {
            let _t = ThreadTimer::new("nowcast");
            forecast::nowcast::nowcast(
                &store,
                as_of,
                &forecast::nowcast::NowcastOptions {
                    n_paths: args.markets.paths,
                    seed: args.markets.seed,
                    leave_one_out: true,
                },
            )
        });

        // 4. Markets priced now.
        let sources = ForecastSources::new(settings, args.markets.paths, args.markets.seed);
        let (priced, failures, awaiting) = markets::price_all(
            &store,
            &sources.model,
            &markets_list,
            &settings.location.lags,
            as_of,
        );
        for (id, e) in &failures {
            problems.push(format!(
                "market `{id}` not priced: {}",
                markets::in_file(settings, &args.markets, e)
            ));
        }
        let price_table = markets::price_table(&priced, &awaiting);
        report_csv::write_table(&dir.join("markets.csv"), &price_table)?;
        page.markets = Some(TableBlock {
        caption: "Markets: fair prices from the forecast (per contract, as a share of its payout); edge, fee per contract, side and fractional-Kelly stake where a price is given; a market whose figure is long overdue is awaiting it, not traded".into(),
        table: price_table,
        csv: Some("markets.csv".into()),
    });
        let market_section = section(
            "Market distributions",
            "Each market's predictive distribution with its strike(s) and the market price.",
        );
        for p in &priced {
            // A settled market has no distribution left to draw: its row says what it paid.
            if p.settled.is_none()
                && let Some(m) = markets_list.iter().find(|m| m.id == p.market)
                && let Some(chart) = market_chart(m, p, as_of)
            {
                let stem = format!("market_{}", m.id);
                drawings.draw(&market_section.title, &stem, chart, m.question.clone());
            }
        }

        lap.done("pricing and market charts");
        let forecast_section = section(
            "Forecasts",
            "History, the forecast median and 50/80/95% intervals (auto-selected model, seeded sample paths).",
        );
        for (series, freq, job) in forecast_jobs {
            match job.join().expect("a forecast thread panicked") {
                Ok(f) => {
                    let chart = fan_chart(&store, &f, as_of);
                    let caption =
                        format!("{series} by {freq}: model {}, origin {}", f.model, f.origin);
                    drawings.draw(
                        &forecast_section.title,
                        &format!("forecast_{series}_{freq}"),
                        Box::new(chart),
                        caption,
                    );
                }
                Err(e) => problems.push(format!("forecast of {series} by {freq}: {e}")),
            }
        }
        match nowcast_job.join().expect("the nowcast thread panicked") {
            Ok(now) => {
                let chart = nowcast_chart(&now);
                let mape = now.mape.map_or("n/a".into(), |m| format!("{m:.2}%"));
                let caption = format!(
                    "Official Shanghai TEU nowcast from vessel calls (Chow–Lin); leave-one-out MAPE {mape} on {} official months",
                    now.loo.len()
                );
                drawings.draw(
                    &forecast_section.title,
                    "nowcast_shanghai_teu",
                    Box::new(chart),
                    caption,
                );
            }
            Err(e) => problems.push(format!("nowcast: {e}")),
        }

        lap.done("forecast and nowcast charts");
        // 5. Lead-lag tables and the audit.
        let mut lag_section = section(
            "Lead-lag",
            "Pre-whitened cross-correlations of year-on-year growth (positive lag: x leads y), with the confidence band; the rolling best lag shows whether a relation held.",
        );
        let pairs: Vec<PairSpec> = match &settings.config.lags.pairs {
            Some(p) => p
                .iter()
                .map(|p| PairSpec {
                    x: p.x.clone(),
                    y: p.y.clone(),
                    freq: p.freq,
                })
                .collect(),
            None => lags::default_pairs(),
        };
        match lags::analyse_pairs(&store, as_of, &pairs, &LagOptions::default()) {
            Ok(reports) => {
                let t = super::lags::tables(&reports);
                for (name, table, caption) in [
                    ("lags.csv", &t.lags, "Cross-correlation by lag"),
                    ("granger.csv", &t.granger, "Granger causality F-tests"),
                    ("stability.csv", &t.stability, "Rolling-window best lag"),
                    ("lags_summary.csv", &t.summary, "Summary per pair"),
                ] {
                    report_csv::write_table(&dir.join(name), table)?;
                    if name == "lags_summary.csv" {
                        lag_section.tables.push(TableBlock {
                            caption: caption.into(),
                            table: table.clone(),
                            csv: Some(name.into()),
                        });
                    }
                }
                for r in &reports {
                    let Ok(a) = &r.outcome else { continue };
                    let stem = format!("ccf_{}_{}", r.pair.x, r.pair.y);
                    let chart = CcfChart {
                        labels: Labels::new(
                            format!(
                                "{} → {} ({}, {})",
                                r.pair.x,
                                r.pair.y,
                                r.freq,
                                r.transform.as_str()
                            ),
                            Axis::new("lag", format!("{}s; positive: {} leads", r.freq, r.pair.x)),
                            Axis::new("correlation", ""),
                            source_line(&[&r.pair.x, &r.pair.y], as_of),
                        ),
                        bars: a
                            .ccf
                            .lags
                            .iter()
                            .map(|l| CcfBar {
                                lag: l.lag as i64,
                                r: l.r,
                                band_low: l.band_low,
                                band_high: l.band_high,
                            })
                            .collect(),
                        best_lag: Some(a.ccf.best.lag as i64),
                        band_label: format!("{:.0}% band", a.ccf.level * 100.0),
                    };
                    let caption = format!(
                        "best lag {} (r = {:.2}, n = {}, adjusted p = {:.2})",
                        a.ccf.best.lag, a.ccf.best.r, a.ccf.best.n, a.ccf.best.p_adjusted
                    );
                    drawings.draw(&lag_section.title, &stem, Box::new(chart), caption);
                    let points: Vec<(NaiveDate, f64)> = a
                        .stability
                        .rows
                        .iter()
                        .filter_map(|w| w.best.as_ref().ok().map(|b| (w.to.end(), b.lag as f64)))
                        .collect();
                    if !points.is_empty() {
                        let chart = LineChart {
                            labels: Labels::new(
                                format!("Rolling best lag: {} → {}", r.pair.x, r.pair.y),
                                Axis::new("window end", ""),
                                Axis::new("best lag", format!("{}s", r.freq)),
                                source_line(&[&r.pair.x, &r.pair.y], as_of),
                            ),
                            series: vec![Series::new("best lag", points, SeriesStyle::Step)],
                            ref_lines: vec![],
                            integer_y: true,
                        };
                        drawings.draw(
                            &lag_section.title,
                            &format!("stability_{}_{}", r.pair.x, r.pair.y),
                            Box::new(chart),
                            "Best lag per rolling window",
                        );
                    }
                }
            }
            Err(e) => problems.push(format!("lead-lag: {e}")),
        }
        lap.done("lead-lag");
        let mut audit_section = section(
            "Trading guide's claims",
            "Each claim of the guide measured on the data, with n, interval and verdict.",
        );
        match crate::analysis::audit::audit(&store, as_of) {
            Ok(rows) => {
                let t = super::audit::table(&rows);
                report_csv::write_table(&dir.join("audit.csv"), &t)?;
                audit_section.tables.push(TableBlock {
                    caption: "Audit".into(),
                    table: t,
                    csv: Some("audit.csv".into()),
                });
            }
            Err(e) => problems.push(format!("audit: {e}")),
        }

        lap.done("audit");
        // 6. Backtest summary.
        let mut backtest_section = section("Backtest", "");
        backtest_section.paragraphs.push(format!(
        "Replayed point-in-time from {from} to {to} (each step sees only what was published by then; markets settle on first prints); {} sample paths per forecast. Only steps whose target has been printed by the as-of date are priced and scored; the others are listed in backtest_skipped.csv (the backtest command prices every step).",
        args.backtest_paths
    ));
        match backtest.join().expect("the backtest thread panicked") {
            Ok(bt) => {
                let (priced, skipped) = bt.replays.iter().fold((0, 0), |(p, s), (_, r)| {
                    let steps: std::collections::BTreeSet<_> =
                        r.rows.iter().map(|row| row.as_of).collect();
                    (p + steps.len(), s + r.skipped.len())
                });
                backtest_section.paragraphs.push(format!(
                    "{priced} market steps priced and settled; {skipped} skipped (not settled yet, or not priceable: see the reasons)."
                ));
                backtest_report(&bt, &dir, as_of, &mut backtest_section, &mut drawings)?
            }
            Err(e) => problems.push(format!("backtest: {e:#}")),
        }

        lap.done("backtest");
        // 7. Landed cost of the configured shipment, if any.
        let mut sections = vec![
            market_section,
            forecast_section,
            lag_section,
            audit_section,
            backtest_section,
        ];
        if let Some(path) = &settings.config.shipment_file {
            let mut landed = section("Landed cost", "");
            let result = crate::trade::landed::Shipment::read(path)
                .map_err(anyhow::Error::from)
                .and_then(|shipment| {
                    crate::markets::freight::landed_cost(
                        &store,
                        &sources.model,
                        &shipment,
                        &markets_list,
                        as_of,
                    )
                    .map_err(anyhow::Error::from)
                });
            match result {
                Ok(r) => {
                    let t = super::landed::summary_table(&r);
                    report_csv::write_table(&dir.join("landed_cost_summary.csv"), &t)?;
                    match super::landed::landed_chart(&r, &dir) {
                        Ok(fig) => landed.figures.push(fig),
                        Err(e) => problems.push(format!("landed-cost chart: {e}")),
                    }
                    landed.tables.push(TableBlock {
                        caption: format!("Landed cost per unit of {}", path.display()),
                        table: t,
                        csv: Some("landed_cost_summary.csv".into()),
                    });
                }
                Err(e) => problems.push(format!("landed cost of {}: {e:#}", path.display())),
            }
            sections.push(landed);
        }
        drawings.finish(&mut sections, &mut problems);
        page.sections = sections;

        lap.done("landed cost");
        // 8. Status, summary.json, the page.
        let stale = !page.stale.is_empty();
        page.state = if !problems.is_empty() {
            RunState::Failed
        } else if degraded {
            RunState::Degraded
        } else if stale {
            RunState::Stale
        } else {
            RunState::Ok
        };
        page.status_message = status_message(fetch.as_ref(), args.offline, &problems, &freshness);
        if !problems.is_empty() {
            page.sections.insert(
                0,
                Section {
                    title: "Problems".into(),
                    paragraphs: problems.clone(),
                    ..Section::default()
                },
            );
        }
        let summary = summary_json(&SummaryInputs {
            page: &page,
            settings,
            args,
            out_dir: &out_dir,
            report_dir: &out_dir.join(as_of.format("%Y-%m-%d").to_string()),
            priced: &priced,
            awaiting: &awaiting,
            freshness: &freshness,
            fetch: fetch.as_ref(),
            problems: &problems,
        });
        crate::fsutil::write_atomic(
            &dir.join("summary.json"),
            serde_json::to_string_pretty(&summary)?.as_bytes(),
        )?;
        page.files = vec![
            ("summary.json".into(), "summary.json".into()),
            ("markets.csv".into(), "markets.csv".into()),
            ("data_list.csv".into(), "data_list.csv".into()),
        ];
        html::write(&dir.join("index.html"), &page)?;
        hold_before_publish()?;
        let committed = report_dir.commit()?;
        lap.done("page and publish");
        // stdout: the summary with `--format json`, the markets table with `csv`, else the
        // page's path (nothing under --quiet).
        match settings.format {
            crate::output::Format::Json => {
                writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?
            }
            crate::output::Format::Csv => page
                .markets
                .as_ref()
                .map_or(Ok(()), |m| m.table.write(crate::output::Format::Csv, out))?,
            crate::output::Format::Table if !settings.quiet => {
                writeln!(out, "{}", committed.dir.join("index.html").display())?
            }
            crate::output::Format::Table => {}
        }
        for p in &problems {
            tracing::error!("{p}");
        }
        for line in &page.stale {
            tracing::warn!("stale data: {line}");
        }
        if let Some(f) = &fetch {
            for s in f.sources.iter().filter(|s| s.failed) {
                tracing::error!(
                    "source {} failed: {}",
                    s.source,
                    s.error.as_deref().unwrap_or("failed")
                );
            }
        }
        Ok(if !problems.is_empty() {
            Exit::Failure
        } else if degraded {
            Exit::Degraded
        } else if stale {
            Exit::Stale
        } else {
            Exit::Ok
        })
    })
}

/// Logs how long a piece of work on its own thread took, when dropped (debug level).
struct ThreadTimer(&'static str, std::time::Instant);

impl ThreadTimer {
    fn new(what: &'static str) -> Self {
        ThreadTimer(what, std::time::Instant::now())
    }
}

impl Drop for ThreadTimer {
    fn drop(&mut self) {
        tracing::debug!(
            "run: {} took {:.0} ms (own thread)",
            self.0,
            self.1.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// Phase timings of a run, logged at debug level (`-vv` or `PORTCAST_LOG=portcast=debug`).
struct Lap(std::time::Instant);

impl Lap {
    fn start() -> Self {
        Lap(std::time::Instant::now())
    }

    fn done(&mut self, phase: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            "run: {phase} took {:.0} ms",
            (now - self.0).as_secs_f64() * 1e3
        );
        self.0 = now;
    }
}

fn section(title: &str, intro: &str) -> Section {
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

/// A chart to draw: its section (by title), file stem, caption and the chart itself.
type ChartJob = (
    usize,
    Box<dyn FnOnce() -> Result<Figure, ReportError> + Send>,
);

/// Charts drawn and written on worker threads while the run goes on: each is independent of the
/// rest, and drawing them one after another on the main thread put a dozen milliseconds per chart
/// on the run's critical path. [`Drawings::finish`] puts the figures into their sections in the
/// order they were asked for, so the page never depends on which chart finished first.
struct Drawings<'scope> {
    jobs: Option<std::sync::mpsc::Sender<ChartJob>>,
    results: std::sync::mpsc::Receiver<(usize, Result<Figure, ReportError>)>,
    workers: Vec<std::thread::ScopedJoinHandle<'scope, ()>>,
    /// Per chart asked for, in order: its section's title and its stem.
    asked: Vec<(String, String)>,
    dir: PathBuf,
}

impl<'scope> Drawings<'scope> {
    fn new<'env>(scope: &'scope std::thread::Scope<'scope, 'env>, dir: &std::path::Path) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<ChartJob>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        let (done, results) = std::sync::mpsc::channel();
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let workers = (0..n)
            .map(|_| {
                let (queue, done) = (std::sync::Arc::clone(&queue), done.clone());
                scope.spawn(move || {
                    loop {
                        let job = queue.lock().expect("chart queue").recv();
                        let Ok((i, draw)) = job else { break };
                        // The receiver lives until every worker has finished.
                        let _ = done.send((i, draw()));
                    }
                })
            })
            .collect();
        Drawings {
            jobs: Some(jobs),
            results,
            workers,
            asked: Vec::new(),
            dir: dir.to_path_buf(),
        }
    }

    /// Queue `chart` for `<dir>/<stem>.png` and `.csv`, captioned, in the section titled
    /// `section`. Characters other than ASCII letters, digits, `-` and `_` in the stem become `_`.
    fn draw(
        &mut self,
        section: &str,
        stem: &str,
        chart: Box<dyn crate::report::chart::Chart + Send>,
        caption: impl Into<String>,
    ) {
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // Ids that differ only where they were replaced (`la/dec`, `la_dec`) or in case would
        // share a file: the later one gets `-2`, `-3`, ... (the order asked is fixed).
        let taken = |s: &str| self.asked.iter().any(|(_, t)| t.eq_ignore_ascii_case(s));
        let mut unique = stem.clone();
        let mut n = 2;
        while taken(&unique) {
            unique = format!("{stem}-{n}");
            n += 1;
        }
        let stem = unique;
        let (dir, file_stem, caption) = (self.dir.clone(), stem.clone(), caption.into());
        let job: ChartJob = (
            self.asked.len(),
            Box::new(move || report_files::write_chart(&dir, &file_stem, chart.as_ref(), caption)),
        );
        self.asked.push((section.to_string(), stem));
        if let Some(jobs) = &self.jobs {
            jobs.send(job).expect("chart workers run until finish");
        }
    }

    /// Wait for every chart; add the figures to their sections in the order asked, and a
    /// problem for each chart that could not be drawn or written.
    fn finish(mut self, sections: &mut [Section], problems: &mut Vec<String>) {
        drop(self.jobs.take());
        let mut drawn: Vec<Option<Result<Figure, ReportError>>> =
            (0..self.asked.len()).map(|_| None).collect();
        for (i, result) in self.results.iter().take(self.asked.len()) {
            drawn[i] = Some(result);
        }
        for w in self.workers {
            w.join().expect("a chart worker panicked");
        }
        for ((section, stem), result) in self.asked.into_iter().zip(drawn) {
            match result {
                Some(Ok(fig)) => match sections.iter_mut().find(|s| s.title == section) {
                    Some(s) => s.figures.push(fig),
                    None => problems.push(format!("chart {stem}: no section `{section}`")),
                },
                Some(Err(e)) => problems.push(format!("chart {stem}: {e}")),
                None => problems.push(format!("chart {stem}: not drawn")),
            }
        }
    }
}

/// Every source's fetch (all of them, concurrently), under the run's lock.
fn fetch_all(settings: &Settings, now: DateTime<Utc>) -> anyhow::Result<FetchReport> {
    let ingest = IngestSettings::from_env(&settings.config.sources)?;
    let store = Store::open(&settings.location)?;
    let progress = crate::progress::Progress::new(settings.quiet);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let report = runtime.block_on(crate::ingest::fetch::fetch(
        &store,
        &settings.store_dir,
        &ingest,
        &FetchOptions::default(),
        now,
        &|id| progress.spinner(id.as_str()),
    ))?;
    Ok(report)
}

fn source_rows(
    freshness: &[crate::freshness::Freshness],
    fetch: Option<&FetchReport>,
) -> Vec<SourceRow> {
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
fn freshness_cell(f: &crate::freshness::Freshness) -> String {
    match (f.stale, f.age_days, f.next_due) {
        (true, Some(age), Some(due)) => format!(
            "stale: {} old, next was due {due}",
            crate::freshness::human_days(age)
        ),
        (false, _, Some(due)) => format!("fresh (next due {due})"),
        _ => f.word().to_string(),
    }
}

fn status_message(
    fetch: Option<&FetchReport>,
    offline: bool,
    problems: &[String],
    freshness: &[crate::freshness::Freshness],
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

fn source_line(series: &[&str], as_of: DateTime<Utc>) -> String {
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

fn fan_chart(store: &Store, f: &forecast::Forecast, as_of: DateTime<Utc>) -> FanChart {
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

fn nowcast_chart(now: &forecast::nowcast::Nowcast) -> LineChart {
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

fn market_chart(
    m: &Market,
    p: &PricedMarket,
    as_of: DateTime<Utc>,
) -> Option<Box<dyn crate::report::chart::Chart + Send>> {
    let series: Vec<&str> = m.kind.series();
    let unit = crate::series::catalog::spec(series[0]).map_or(String::new(), |s| s.unit);
    let labels =
        |title: String, x: Axis, y: Axis| Labels::new(title, x, y, source_line(&series, as_of));
    match &m.kind {
        MarketKind::Buckets { .. } => Some(Box::new(BucketChart {
            labels: labels(
                format!("{}: bucket probabilities", m.id),
                Axis::new("bucket", &unit),
                Axis::new("probability", ""),
            ),
            buckets: p
                .rows
                .iter()
                .map(|r| Bucket {
                    label: r
                        .contract
                        .rsplit_once(' ')
                        .map_or(r.contract.clone(), |(_, b)| b.to_string()),
                    model: r.fair,
                    market: r.price,
                })
                .collect(),
        })),
        MarketKind::Single { contract, .. } | MarketKind::Basket { contract, .. } => {
            let samples = p.value_samples.as_ref()?;
            let row = p.rows.first()?;
            let strikes = match contract {
                Contract::Binary { strike, .. } => {
                    let k = p.strike?;
                    // The chart's curve is P(X ≤ x): a market on "X > k" shows 1 − price.
                    let upper = matches!(
                        strike,
                        crate::markets::contract::Strike::Greater
                            | crate::markets::contract::Strike::GreaterOrEqual
                    );
                    vec![Strike {
                        label: format!(
                            "{} {}",
                            strike.symbol(),
                            crate::report::chart::format_short(k)
                        ),
                        value: k,
                        model: Some(if upper { 1.0 - row.fair } else { row.fair }),
                        market: row.price.map(|pr| if upper { 1.0 - pr } else { pr }),
                    }]
                }
                Contract::Bracket { a, b } => vec![
                    Strike {
                        label: format!("a {}", crate::report::chart::format_short(*a)),
                        value: *a,
                        model: None,
                        market: None,
                    },
                    Strike {
                        label: format!("b {}", crate::report::chart::format_short(*b)),
                        value: *b,
                        model: None,
                        market: None,
                    },
                ],
                Contract::Scalar { lower, upper } => vec![
                    Strike {
                        label: format!("L {}", crate::report::chart::format_short(*lower)),
                        value: *lower,
                        model: None,
                        market: None,
                    },
                    Strike {
                        label: format!("U {}", crate::report::chart::format_short(*upper)),
                        value: *upper,
                        model: None,
                        market: None,
                    },
                ],
            };
            let what = if matches!(m.kind, MarketKind::Basket { .. }) {
                "composite"
            } else {
                series[0]
            };
            Some(Box::new(CdfChart {
                labels: labels(
                    format!("{}: predictive CDF", m.id),
                    Axis::new(what, if what == "composite" { "" } else { &unit }),
                    Axis::new("P(X ≤ x)", ""),
                ),
                curve: empirical_cdf(samples, 400),
                curve_label: "model".into(),
                strikes,
            }))
        }
    }
}

fn backtest_report(
    bt: &markets::BacktestRun,
    dir: &std::path::Path,
    as_of: DateTime<Utc>,
    section: &mut Section,
    drawings: &mut Drawings<'_>,
) -> anyhow::Result<()> {
    let scores = markets::scores_table(bt);
    report_csv::write_table(&dir.join("backtest_scores.csv"), &scores)?;
    report_csv::write_table(&dir.join("backtest_trades.csv"), &markets::trades_table(bt))?;
    report_csv::write_table(&dir.join("backtest_steps.csv"), &markets::steps_table(bt))?;
    report_csv::write_table(
        &dir.join("backtest_skipped.csv"),
        &markets::skipped_table(bt),
    )?;
    let src = format!(
        "Source: portcast backtest {} .. {} (as of {})",
        bt.from,
        bt.to,
        as_of.format("%Y-%m-%d")
    );
    if let Some((_, trades, scores_m)) = bt.results.iter().find(|(s, _, _)| *s == Strategy::Model) {
        let pooled = markets::pooled_scores(bt, Strategy::Model, trades);
        let rel = ReliabilityChart {
            labels: Labels::new(
                "Reliability of the model's probabilities (all markets)",
                Axis::new("predicted probability", ""),
                Axis::new("observed frequency", ""),
                src.clone(),
            ),
            bins: pooled
                .reliability
                .iter()
                .map(|b| ReliabilityPoint {
                    predicted: b.mean_predicted,
                    observed: b.observed_frequency,
                    low: b.interval_low,
                    high: b.interval_high,
                    count: b.count,
                })
                .collect(),
            interval_label: "Wilson 90%".into(),
        };
        drawings.draw(
            &section.title,
            "backtest_reliability",
            Box::new(rel),
            "Predicted vs observed frequency per bin, Wilson 90% intervals",
        );
        let mut cum = 0.0;
        let mut sorted: Vec<_> = trades.iter().collect();
        sorted.sort_by(|a, b| a.as_of.cmp(&b.as_of));
        let cumulative: Vec<(NaiveDate, f64)> = sorted
            .iter()
            .filter_map(|t| {
                cum += t.pnl;
                NaiveDate::parse_from_str(&t.as_of, "%Y-%m-%d")
                    .ok()
                    .map(|d| (d, cum))
            })
            .collect();
        let pnl = PnlChart {
            labels: Labels::new(
                "Model strategy: cumulative P&L after fees",
                Axis::new("as-of date", ""),
                Axis::new("P&L", "per order of the markets' contracts"),
                src.clone(),
            ),
            cumulative,
        };
        drawings.draw(
            &section.title,
            "backtest_pnl",
            Box::new(pnl),
            "Cumulative P&L after fees; drawdowns shaded",
        );
        let skill = SkillChart {
            labels: Labels::new(
                "Brier skill against climatology, by market",
                Axis::new("Brier skill score", ""),
                Axis::new("market", ""),
                src.clone(),
            ),
            bars: scores_m
                .iter()
                .filter_map(|s| {
                    s.bss_climatology.map(|k| SkillBar {
                        market: s.market.clone(),
                        skill: k,
                        n: Some(s.n),
                    })
                })
                .collect(),
        };
        drawings.draw(
            &section.title,
            "backtest_skill",
            Box::new(skill),
            "Brier skill score vs climatology (1 perfect, 0 no better)",
        );
    }
    section.tables.push(TableBlock {
        caption: "Scores per market and strategy".into(),
        table: scores,
        csv: Some("backtest_scores.csv".into()),
    });
    Ok(())
}

/// The version of `summary.json`'s layout (docs/summary-json.md): bumped when a field is
/// renamed or removed or changes meaning; new fields do not bump it.
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// What `summary.json` is made from.
struct SummaryInputs<'a> {
    page: &'a Page,
    settings: &'a Settings,
    args: &'a RunArgs,
    out_dir: &'a std::path::Path,
    report_dir: &'a std::path::Path,
    priced: &'a [PricedMarket],
    awaiting: &'a [markets::Awaiting],
    freshness: &'a [crate::freshness::Freshness],
    fetch: Option<&'a FetchReport>,
    problems: &'a [String],
}

/// `summary.json`: see docs/summary-json.md for every field.
fn summary_json(i: &SummaryInputs<'_>) -> serde_json::Value {
    let (status, exit) = match i.page.state {
        RunState::Ok => ("ok", Exit::Ok),
        RunState::Stale => ("stale", Exit::Stale),
        RunState::Degraded => ("degraded", Exit::Degraded),
        RunState::Failed => ("failed", Exit::Failure),
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
                "side": r.side.map(markets::side_name),
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
                "known_at": f.latest.map(|(_, k)| k.format("%Y-%m-%d").to_string()),
                "next_due": f.next_due.map(|d| d.to_string()),
                "age_days": f.age_days,
                "overdue_days": f.overdue_days,
                "remedy": f.source.remedy,
                "message": f.stale.then(|| f.message()),
            })
        })
        .collect();
    let settings = i.settings;
    let path = |p: &std::path::Path| p.display().to_string();
    json!({
        "schema_version": SUMMARY_SCHEMA_VERSION,
        "portcast_version": env!("CARGO_PKG_VERSION"),
        "status": status,
        "exit_code": exit as u8,
        "message": i.page.status_message,
        "as_of": settings.as_of.format("%Y-%m-%d").to_string(),
        "as_of_given": settings.as_of_given,
        "offline": i.args.offline,
        "seed": i.args.markets.seed,
        "sample_paths": i.args.markets.paths,
        "backtest_paths": i.args.backtest_paths,
        "paths": {
            "out_dir": path(i.out_dir),
            "report_dir": path(i.report_dir),
            "store_dir": path(&settings.store_dir),
            "data_dir": match &settings.location.data_dir {
                crate::store::DataDir::Path(p) => Some(path(p)),
                crate::store::DataDir::Embedded => None,
            },
            "config": settings.config_path.as_deref().filter(|p| p.exists()).map(path),
            "markets_file": i.args.markets.markets.clone().or_else(|| settings.config.markets_file.clone()).map(|p| path(&p)),
        },
        "stale": i.freshness.iter().any(|f| f.stale),
        "freshness": freshness,
        "fetch": fetch,
        "markets": markets,
        "problems": i.problems,
    })
}

fn footer() -> Vec<String> {
    vec![
        "IMF PortWatch figures — Sources: Kpler; UN Global Platform; IMF PortWatch (portwatch.imf.org).".into(),
        "PMI: National Bureau of Statistics of China. SCFI: Shanghai Shipping Exchange. Port of Los Angeles container statistics. Port of Shanghai (SIPG) and Ministry of Transport releases.".into(),
        "Every figure carries its provenance in data/SOURCES.md and the store; forecasts are seeded and reproducible with --as-of.".into(),
    ]
}

/// Test seam (tests/run.rs, the killed-run test): with `PORTCAST_TEST_HOLD_BEFORE_PUBLISH=FILE`,
/// the run writes `FILE` once its report is complete in the temporary directory and waits there
/// until its standard input closes, then gives up without publishing. The test kills it in that
/// state: an event, not a race with a timer.
fn hold_before_publish() -> anyhow::Result<()> {
    let Some(flag) = std::env::var_os("PORTCAST_TEST_HOLD_BEFORE_PUBLISH") else {
        return Ok(());
    };
    std::fs::write(&flag, b"writing")?;
    let _ = std::io::stdin().read_line(&mut String::new());
    anyhow::bail!("PORTCAST_TEST_HOLD_BEFORE_PUBLISH: released before publishing")
}
