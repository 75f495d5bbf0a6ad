//! The batch of `portcast run`: fetch what is due (unless offline), then data freshness, prices
//! for every market, forecasts for every target and the nowcast, lead-lag tables, the claims
//! audit, a backtest summary and the landed cost of the configured shipment — written as a
//! report (PNG charts, CSV tables, `summary.json`, one static `index.html`) into
//! `<out>/<as-of date>/`, published only when complete. Returns what the command prints.
//!
//! Cron safety: the store lock is held for the whole run (a second run fails at once with
//! `LockError::Held`); the report is written to a temporary directory and renamed into place (a
//! killed run leaves `latest` on the previous complete report). The same as-of date and seed
//! give the same report: the independent parts run on their own threads (the backtest, each
//! forecast, the nowcast, the charts on rayon's pool) while the markets are priced, and their
//! results are put in place in a fixed order.

pub mod charts;

use std::path::{Path, PathBuf};
use std::thread::{Scope, ScopedJoinHandle};

use anyhow::Context;
use chrono::{DateTime, Utc};

use crate::analysis::lags::{self, LagOptions};
use crate::backtest::evaluate::Strategy;
use crate::backtest::run::{BacktestRun, Window, run_backtest, summary_window};
use crate::exit::Exit;
use crate::forecast::nowcast::{Nowcast, NowcastOptions};
use crate::forecast::{self, Forecast, ForecastRequest, ModelChoice};
use crate::fsutil::RunLock;
use crate::ingest::fetch::{FetchOptions, FetchReport};
use crate::ingest::settings::IngestSettings;
use crate::markets::book::{self, Book, price_all};
use crate::markets::file::Market;
use crate::markets::paths::{ForecastPaths, ForecastSpec};
use crate::model::Frequency;
use crate::output::Table;
use crate::present;
use crate::present::page::section;
use crate::present::summary::{RunFacts, SummaryInputs, summary_json};
use crate::report::csv as report_csv;
use crate::report::html::{self, Page, RunState, Section, TableBlock};
use crate::report::rundir::OutputDir;
use crate::settings::Settings;
use crate::store::{DataDir, Store};
use charts::Drawings;

/// The forecast targets charted in every report: (series, grid).
pub const TARGETS: &[(&str, Frequency)] = &[
    ("shanghai_calls", Frequency::Month),
    ("shanghai_calls", Frequency::Week),
    ("scfi", Frequency::Week),
    ("la_teu", Frequency::Month),
    ("la_loaded_imports", Frequency::Month),
    ("shanghai_teu", Frequency::Month),
];

/// The documented exit code of a run that ended in `state` (also recorded in `summary.json`).
pub fn exit_of(state: RunState) -> Exit {
    match state {
        RunState::Ok => Exit::Ok,
        RunState::Stale => Exit::Stale,
        RunState::Degraded => Exit::Degraded,
        RunState::Failed => Exit::Failure,
    }
}

/// The horizon of a chart on `freq` for a horizon given in months: weekly targets get the same
/// span in weeks (13/3 weeks a month).
pub fn chart_horizon(months: usize, freq: Frequency) -> usize {
    if freq == Frequency::Week {
        months * 13 / 3
    } else {
        months
    }
}

/// What a run is asked to do (checked by the caller against the documented limits).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Do not fetch: compute everything from the stored data.
    pub offline: bool,
    /// Report directory: `<out>/<as-of date>/` and `<out>/latest`.
    pub out_dir: PathBuf,
    /// The markets file; `None`: the bundled example.
    pub markets_file: Option<PathBuf>,
    /// Seed and sample paths of the forecasts and prices.
    pub seed: u64,
    pub paths: usize,
    /// Months ahead in the forecast charts ([`chart_horizon`] for weekly targets).
    pub horizon: usize,
    /// Monthly as-of steps of the backtest summary, and its sample paths.
    pub backtest_steps: u32,
    pub backtest_paths: usize,
}

/// A finished, published run: what the command prints and logs.
pub struct RunReport {
    /// Ok, stale, degraded (a source failed) or failed (a part could not be computed).
    pub state: RunState,
    /// `summary.json`.
    pub summary: serde_json::Value,
    /// The markets table (`markets.csv`).
    pub markets: Option<Table>,
    /// The published page, `<out>/<date>/index.html`.
    pub index: PathBuf,
    /// Parts of the report that could not be computed.
    pub problems: Vec<String>,
    /// One line per stale source.
    pub stale: Vec<String>,
    /// The fetch, unless offline.
    pub fetch: Option<FetchReport>,
}

/// What every step of a run reads.
struct Ctx<'a> {
    settings: &'a Settings,
    opts: &'a RunOptions,
    store: &'a Store,
    markets: &'a [Market],
    dir: &'a Path,
    as_of: DateTime<Utc>,
}

/// Run the batch and publish its report.
pub fn run(settings: &Settings, opts: &RunOptions) -> anyhow::Result<RunReport> {
    let _lock = RunLock::acquire(&settings.store_dir)?;
    let as_of = settings.as_of;
    let mut lap = Lap::start();

    // 1. Fetch what is due; a failed source degrades the run, it does not stop it.
    let fetch = if opts.offline {
        None
    } else {
        Some(fetch_all(settings, as_of).context("fetching")?)
    };
    let store = Store::open(&settings.location)?;
    let markets = book::load(opts.markets_file.as_deref())?;
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("cannot create {}", opts.out_dir.display()))?;
    let report_dir = OutputDir::create(&opts.out_dir, as_of.date_naive())?;
    let mut page = Page {
        title: "portcast report".into(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        footer: present::page::footer(),
        ..Page::default()
    };
    lap.done("fetch");

    // 2. Data freshness per source: stale data is the first thing the page says.
    let freshness = crate::freshness::assess(&store, &settings.location.lags, as_of);
    page.sources = present::page::source_rows(&freshness, fetch.as_ref());
    page.stale = freshness
        .iter()
        .filter(|f| f.stale)
        .map(|f| f.message())
        .collect();
    let dir = report_dir.path().to_path_buf();
    let data_list = present::data::list_table(&store, as_of)?;
    report_csv::write_table(&dir.join("data_list.csv"), &data_list)?;
    lap.done("store and freshness");

    let ctx = Ctx {
        settings,
        opts,
        store: &store,
        markets: &markets,
        dir: &dir,
        as_of,
    };
    let mut problems = Vec::new();
    let book = std::thread::scope(|scope| {
        rayon::in_place_scope(|pool| compute(&ctx, scope, pool, &mut page, &mut problems, &mut lap))
    })?;

    // 8. Status, summary.json, the page.
    let degraded = fetch.as_ref().is_some_and(FetchReport::any_failed);
    page.state = if !problems.is_empty() {
        RunState::Failed
    } else if degraded {
        RunState::Degraded
    } else if !page.stale.is_empty() {
        RunState::Stale
    } else {
        RunState::Ok
    };
    page.status_message =
        present::page::status_message(fetch.as_ref(), opts.offline, &problems, &freshness);
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
        run: &facts(settings, opts),
        out_dir: &opts.out_dir,
        report_dir: &opts.out_dir.join(as_of.format("%Y-%m-%d").to_string()),
        priced: &book.priced,
        awaiting: &book.awaiting,
        freshness: &freshness,
        fetch: fetch.as_ref(),
        problems: &problems,
        exit_code: exit_of(page.state) as u8,
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
    Ok(RunReport {
        state: page.state,
        summary,
        markets: page.markets.map(|m| m.table),
        index: committed.dir.join("index.html"),
        problems,
        stale: page.stale,
        fetch,
    })
}

/// Steps 3–7 on the threads of `scope` and the chart pool `pool`: the page's markets table and
/// sections filled, problems collected; returns the priced book.
fn compute<'s, 'e>(
    ctx: &'s Ctx<'e>,
    scope: &'s Scope<'s, 'e>,
    pool: &rayon::Scope<'_>,
    page: &mut Page,
    problems: &mut Vec<String>,
    lap: &mut Lap,
) -> anyhow::Result<Book> {
    let mut drawings = Drawings::new(pool, ctx.dir);
    // The backtest summary (step 6) is the largest piece of work and independent of steps
    // 3–5: it runs on its own threads meanwhile (its result does not depend on the timing).
    let window = summary_window(ctx.store, ctx.as_of, ctx.opts.backtest_steps);
    let backtest = scope.spawn(move || {
        let _t = ThreadTimer::new("backtest");
        let spec = ForecastSpec::new(
            &ctx.settings.config.forecast,
            ctx.opts.backtest_paths,
            ctx.opts.seed,
        );
        let strategies = [Strategy::Model, Strategy::Rules];
        run_backtest(ctx.store, &spec, ctx.markets, &window, &strategies)
    });
    // 3. Forecasts for every target and the nowcast: independent computations, each on its
    // own thread while the markets are priced; their charts are drawn below, in a fixed order.
    let forecasts = spawn_forecasts(ctx, scope);
    let nowcast = scope.spawn(move || {
        let _t = ThreadTimer::new("nowcast");
        let options = NowcastOptions {
            n_paths: ctx.opts.paths,
            seed: ctx.opts.seed,
            leave_one_out: true,
        };
        forecast::nowcast::nowcast(ctx.store, ctx.as_of, &options)
    });

    // 4. Markets priced now.
    let sources =
        ForecastSpec::new(&ctx.settings.config.forecast, ctx.opts.paths, ctx.opts.seed).sources();
    let (book, market_section) = price_markets(ctx, &sources.model, page, problems, &mut drawings)?;
    lap.done("pricing and market charts");
    let forecast_section = forecast_charts(ctx, forecasts, nowcast, problems, &mut drawings);
    lap.done("forecast and nowcast charts");
    // 5. Lead-lag tables and the audit.
    let lag_section = lag_section(ctx, problems, &mut drawings)?;
    lap.done("lead-lag");
    let audit_section = audit_section(ctx, problems)?;
    lap.done("audit");
    // 6. Backtest summary.
    let result = backtest.join().expect("the backtest thread panicked");
    let backtest_section = backtest_section(ctx, &window, result, problems, &mut drawings)?;
    lap.done("backtest");
    // 7. Landed cost of the configured shipment, if any.
    let mut sections = vec![
        market_section,
        forecast_section,
        lag_section,
        audit_section,
        backtest_section,
    ];
    if let Some(landed) = landed_section(ctx, &sources.model, problems)? {
        sections.push(landed);
    }
    drawings.finish(&mut sections, problems);
    page.sections = sections;
    lap.done("landed cost");
    Ok(book)
}

/// A forecast computed on its own thread.
type ForecastJob<'s> = ScopedJoinHandle<'s, Result<Forecast, forecast::ForecastError>>;

/// One thread per charted target.
fn spawn_forecasts<'s, 'e>(
    ctx: &'s Ctx<'e>,
    scope: &'s Scope<'s, 'e>,
) -> Vec<(&'static str, Frequency, ForecastJob<'s>)> {
    TARGETS
        .iter()
        .map(|&(series, freq)| {
            let req = ForecastRequest {
                series: series.into(),
                freq: Some(freq),
                horizon: chart_horizon(ctx.opts.horizon, freq).max(1),
                as_of: ctx.as_of,
                model: ModelChoice::Auto,
                n_paths: ctx.opts.paths,
                seed: ctx.opts.seed,
            };
            let job = scope.spawn(move || {
                let _t = ThreadTimer::new(if freq == Frequency::Week {
                    "a weekly forecast chart"
                } else {
                    "a monthly forecast chart"
                });
                forecast::forecast(ctx.store, &req, &ctx.settings.config.forecast)
            });
            (series, freq, job)
        })
        .collect()
}

/// Every market priced (`markets.csv`, the page's markets table) and the section of their
/// distributions' charts.
fn price_markets(
    ctx: &Ctx<'_>,
    source: &ForecastPaths,
    page: &mut Page,
    problems: &mut Vec<String>,
    drawings: &mut Drawings<'_, '_>,
) -> anyhow::Result<(Book, Section)> {
    let lags = &ctx.settings.location.lags;
    let book = price_all(ctx.store, source, ctx.markets, lags, ctx.as_of);
    for (id, e) in &book.failures {
        let why = book::error_in_file(ctx.opts.markets_file.as_deref(), e);
        problems.push(format!("market `{id}` not priced: {why}"));
    }
    let price_table = present::markets::price_table(&book.priced, &book.awaiting);
    report_csv::write_table(&ctx.dir.join("markets.csv"), &price_table)?;
    page.markets = Some(TableBlock {
        caption: "Markets: fair prices from the forecast (per contract, as a share of its payout); edge, fee per contract, side and fractional-Kelly stake where a price is given; a market whose figure is long overdue is awaiting it, not traded".into(),
        table: price_table,
        csv: Some("markets.csv".into()),
    });
    let market_section = section(
        "Market distributions",
        "Each market's predictive distribution with its strike(s) and the market price.",
    );
    for p in &book.priced {
        // A settled market has no distribution left to draw: its row says what it paid.
        if p.settled.is_none()
            && let Some(m) = ctx.markets.iter().find(|m| m.id == p.market)
            && let Some(chart) = present::markets::market_chart(m, p, ctx.as_of)
        {
            let stem = format!("market_{}", m.id);
            drawings.draw(&market_section.title, &stem, chart, m.question.clone());
        }
    }
    Ok((book, market_section))
}

/// The forecast and nowcast charts, in the order of [`TARGETS`], then the nowcast.
fn forecast_charts(
    ctx: &Ctx<'_>,
    forecasts: Vec<(&'static str, Frequency, ForecastJob<'_>)>,
    nowcast: ScopedJoinHandle<'_, Result<Nowcast, forecast::nowcast::NowcastError>>,
    problems: &mut Vec<String>,
    drawings: &mut Drawings<'_, '_>,
) -> Section {
    let forecast_section = section(
        "Forecasts",
        "History, the forecast median and 50/80/95% intervals (auto-selected model, seeded sample paths).",
    );
    for (series, freq, job) in forecasts {
        match job.join().expect("a forecast thread panicked") {
            Ok(f) => {
                let chart = present::page::fan_chart(ctx.store, &f, ctx.as_of);
                let caption = format!("{series} by {freq}: model {}, origin {}", f.model, f.origin);
                let stem = format!("forecast_{series}_{freq}");
                drawings.draw(&forecast_section.title, &stem, Box::new(chart), caption);
            }
            Err(e) => problems.push(format!("forecast of {series} by {freq}: {e}")),
        }
    }
    match nowcast.join().expect("the nowcast thread panicked") {
        Ok(now) => {
            let chart = present::page::nowcast_chart(&now);
            let mape = now.mape.map_or("n/a".into(), |m| format!("{m:.2}%"));
            let caption = format!(
                "Official Shanghai TEU nowcast from vessel calls (Chow–Lin); leave-one-out MAPE {mape} on {} official months",
                now.loo.len()
            );
            let title = &forecast_section.title;
            drawings.draw(title, "nowcast_shanghai_teu", Box::new(chart), caption);
        }
        Err(e) => problems.push(format!("nowcast: {e}")),
    }
    forecast_section
}

/// Lead-lag tables (four CSVs, the summary on the page) and each pair's charts.
fn lag_section(
    ctx: &Ctx<'_>,
    problems: &mut Vec<String>,
    drawings: &mut Drawings<'_, '_>,
) -> anyhow::Result<Section> {
    let mut lag_section = section(
        "Lead-lag",
        "Pre-whitened cross-correlations of year-on-year growth (positive lag: x leads y), with the confidence band; the rolling best lag shows whether a relation held.",
    );
    let pairs = lags::configured_pairs(&ctx.settings.config.lags);
    let reports = match lags::analyse_pairs(ctx.store, ctx.as_of, &pairs, &LagOptions::default()) {
        Ok(reports) => reports,
        Err(e) => {
            problems.push(format!("lead-lag: {e}"));
            return Ok(lag_section);
        }
    };
    let t = present::lags::tables(&reports);
    for (name, table) in [
        ("lags.csv", &t.lags),
        ("granger.csv", &t.granger),
        ("stability.csv", &t.stability),
        ("lags_summary.csv", &t.summary),
    ] {
        report_csv::write_table(&ctx.dir.join(name), table)?;
    }
    lag_section.tables.push(TableBlock {
        caption: "Summary per pair".into(),
        table: t.summary,
        csv: Some("lags_summary.csv".into()),
    });
    for r in &reports {
        let Ok(a) = &r.outcome else { continue };
        let (stem, chart, caption) = present::lags::ccf_chart(r, a, ctx.as_of);
        drawings.draw(&lag_section.title, &stem, Box::new(chart), caption);
        if let Some((stem, chart)) = present::lags::stability_chart(r, a, ctx.as_of) {
            let caption = "Best lag per rolling window";
            drawings.draw(&lag_section.title, &stem, Box::new(chart), caption);
        }
    }
    Ok(lag_section)
}

/// The trading guide's claims measured (`audit.csv`, and on the page).
fn audit_section(ctx: &Ctx<'_>, problems: &mut Vec<String>) -> anyhow::Result<Section> {
    let mut audit_section = section(
        "Trading guide's claims",
        "Each claim of the guide measured on the data, with n, interval and verdict.",
    );
    match crate::analysis::audit::audit(ctx.store, ctx.as_of) {
        Ok(rows) => {
            let t = present::audit::table(&rows);
            report_csv::write_table(&ctx.dir.join("audit.csv"), &t)?;
            audit_section.tables.push(TableBlock {
                caption: "Audit".into(),
                table: t,
                csv: Some("audit.csv".into()),
            });
        }
        Err(e) => problems.push(format!("audit: {e}")),
    }
    Ok(audit_section)
}

/// The backtest summary: what was replayed, the four CSVs, the scores on the page, the charts.
fn backtest_section(
    ctx: &Ctx<'_>,
    window: &Window,
    result: Result<BacktestRun, crate::store::StoreError>,
    problems: &mut Vec<String>,
    drawings: &mut Drawings<'_, '_>,
) -> anyhow::Result<Section> {
    let mut section = section("Backtest", "");
    section.paragraphs.push(format!(
        "Replayed point-in-time from {} to {} (each step sees only what was published by then; markets settle on first prints); {} sample paths per forecast. Only steps whose target has been printed by the as-of date are priced and scored; the others are listed in backtest_skipped.csv (the backtest command prices every step).",
        window.from, window.to, ctx.opts.backtest_paths
    ));
    let bt = match result {
        Ok(bt) => bt,
        Err(e) => {
            problems.push(format!("backtest: {:#}", anyhow::Error::from(e)));
            return Ok(section);
        }
    };
    let (priced, skipped) = bt.replays.iter().fold((0, 0), |(p, s), (_, r)| {
        let steps: std::collections::BTreeSet<_> = r.rows.iter().map(|row| row.as_of).collect();
        (p + steps.len(), s + r.skipped.len())
    });
    section.paragraphs.push(format!(
        "{priced} market steps priced and settled; {skipped} skipped (not settled yet, or not priceable: see the reasons)."
    ));
    let scores = present::backtest::scores_table(&bt);
    let dir = ctx.dir;
    report_csv::write_table(&dir.join("backtest_scores.csv"), &scores)?;
    let trades = present::backtest::trades_table(&bt);
    report_csv::write_table(&dir.join("backtest_trades.csv"), &trades)?;
    let steps = present::backtest::steps_table(&bt);
    report_csv::write_table(&dir.join("backtest_steps.csv"), &steps)?;
    let skipped = present::backtest::skipped_table(&bt);
    report_csv::write_table(&dir.join("backtest_skipped.csv"), &skipped)?;
    for (stem, chart, caption) in present::backtest::backtest_charts(&bt, ctx.as_of) {
        drawings.draw(&section.title, stem, chart, caption);
    }
    section.tables.push(TableBlock {
        caption: "Scores per market and strategy".into(),
        table: scores,
        csv: Some("backtest_scores.csv".into()),
    });
    Ok(section)
}

/// The landed cost of the config's `shipment_file` on the pricing paths, if one is configured.
fn landed_section(
    ctx: &Ctx<'_>,
    source: &ForecastPaths,
    problems: &mut Vec<String>,
) -> anyhow::Result<Option<Section>> {
    let Some(path) = &ctx.settings.config.shipment_file else {
        return Ok(None);
    };
    let mut landed = section("Landed cost", "");
    let result = crate::trade::landed::Shipment::read(path)
        .map_err(anyhow::Error::from)
        .and_then(|shipment| {
            crate::markets::freight::landed_cost(
                ctx.store,
                source,
                &shipment,
                ctx.markets,
                ctx.as_of,
            )
            .map_err(anyhow::Error::from)
        });
    match result {
        Ok(r) => {
            let t = present::landed::summary_table(&r);
            report_csv::write_table(&ctx.dir.join("landed_cost_summary.csv"), &t)?;
            match present::landed::landed_chart(&r, ctx.dir) {
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
    Ok(Some(landed))
}

/// The settings of the run that `summary.json` records.
fn facts(settings: &Settings, opts: &RunOptions) -> RunFacts {
    RunFacts {
        as_of: settings.as_of,
        as_of_given: settings.as_of_given,
        offline: opts.offline,
        seed: opts.seed,
        sample_paths: opts.paths,
        backtest_paths: opts.backtest_paths,
        store_dir: settings.store_dir.clone(),
        data_dir: match &settings.location.data_dir {
            DataDir::Path(p) => Some(p.clone()),
            DataDir::Embedded => None,
        },
        config: settings.config_path.clone().filter(|p| p.exists()),
        markets_file: opts.markets_file.clone(),
    }
}

/// Every source's fetch (all of them, concurrently), under the run's lock.
fn fetch_all(settings: &Settings, now: DateTime<Utc>) -> anyhow::Result<FetchReport> {
    let ingest = IngestSettings::from_env(&settings.config.sources)?;
    let store = Store::open(&settings.location)?;
    let progress = crate::progress::Progress::new(settings.quiet);
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let report = crate::ingest::fetch::fetch_blocking(
        &store,
        &settings.store_dir,
        &ingest,
        &FetchOptions::default(),
        now,
        &|id| progress.spinner(id.as_str()),
    )?;
    Ok(report)
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
