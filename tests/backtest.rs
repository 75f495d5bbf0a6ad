//! The backtest's point-in-time guarantees, on the bundled data: no figure read while a step
//! decides was published after the step's as-of time (and a source that peeks is caught), a
//! market settles on the first print however it is revised later (stored and derived series),
//! a window gives the same output whether the data directory ends with it or holds more, and
//! the example markets file prices and backtests end to end.
//!
//! Replays here use 500 paths and a few steps: the properties do not depend on precision, and
//! the test profile is unoptimised.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use portcast::analysis::distribution::PredictiveDistribution;
use portcast::backtest::engine::{self, Replay, Sources};
use portcast::forecast::{ForecastConfig, ForecastError, ModelChoice, ModelKind};
use portcast::markets::book::EXAMPLE_MARKETS;
use portcast::markets::file::{self, Market};
use portcast::markets::paths::ForecastPaths;
use portcast::markets::price::{self, PathSource, PathsError, SeriesPaths};
use portcast::model::{Frequency, Observation, Period, Precision, end_of_day, start_of_day};
use portcast::series::catalog::ReleaseLags;
use portcast::store::{DataDir, Read, Store, StoreLocation, bundle};

use crate::util::{copy_of_data, csv_rows, portcast, run};

const PATHS: usize = 500;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn location() -> StoreLocation {
    StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    }
}

fn bundled() -> Store {
    Store::open(&location()).expect("bundled data loads")
}

fn example(id: &str) -> Market {
    file::parse("markets.example.toml", EXAMPLE_MARKETS)
        .unwrap()
        .into_iter()
        .find(|m| m.id == id)
        .unwrap_or_else(|| panic!("no market `{id}` in the example file"))
}

/// The model and the two references, as `portcast backtest` builds them.
struct Forecasts {
    model: ForecastPaths,
    climatology: ForecastPaths,
    seasonal_naive: ForecastPaths,
}

impl Forecasts {
    fn new() -> Self {
        let with = |m| ForecastPaths::new(ForecastConfig::default(), m, PATHS, 1);
        Forecasts {
            model: with(ModelChoice::Auto),
            climatology: with(ModelChoice::Named(ModelKind::Climatology)),
            seasonal_naive: with(ModelChoice::Named(ModelKind::SeasonalNaive)),
        }
    }

    fn sources(&self) -> Sources<'_> {
        Sources {
            model: &self.model,
            climatology: &self.climatology,
            seasonal_naive: &self.seasonal_naive,
        }
    }
}

/// What the detector saw over one replay.
struct Detected {
    replay: Replay,
    /// Decision phases seen, and how many of them read nothing at all.
    steps: usize,
    silent_steps: usize,
    reads: usize,
    /// Reads of figures published after their step's as-of time: look-ahead.
    late: Vec<(DateTime<Utc>, Read)>,
}

/// Replay `market` with the store's read log on, checking every figure each decision phase read
/// against the step's as-of time. Settlement (which must read later prints) runs outside the
/// decision phase and is not counted; it is allowed every print in the store here.
fn replay_with_detector(
    store: &Store,
    market: &Market,
    sources: &Sources<'_>,
    dates: &[NaiveDate],
) -> Detected {
    let (mut steps, mut silent_steps, mut reads) = (0, 0, 0);
    let mut late = Vec::new();
    let replay = engine::replay(
        store,
        market,
        sources,
        dates,
        DateTime::<Utc>::MAX_UTC,
        engine::Steps::default(),
        |as_of, step_reads| {
            steps += 1;
            silent_steps += usize::from(step_reads.is_empty());
            reads += step_reads.len();
            late.extend(
                step_reads
                    .into_iter()
                    .filter(|r| r.known_at > as_of)
                    .map(|r| (as_of, r)),
            );
        },
    )
    .expect("replays");
    Detected {
        replay,
        steps,
        silent_steps,
        reads,
        late,
    }
}

fn show(late: &[(DateTime<Utc>, Read)]) -> String {
    late.iter()
        .take(5)
        .map(|(as_of, r)| {
            format!(
                "step {} read {} {} known {}",
                as_of.date_naive(),
                r.series,
                r.period,
                r.known_at
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The look-ahead detector over the example's markets of every shape the engine handles: a
/// stored monthly series (scalar), a joint basket of a derived daily series and a monthly one,
/// a weekly bucket set on the derived PortWatch series, and a rule market on PMI sub-indices
/// with a "within" target (the model nowcasts Shanghai TEU from PortWatch calls).
#[test]
fn no_backtest_step_reads_a_figure_published_after_its_as_of_date() {
    let mut store = bundled();
    store.enable_read_log();
    let forecasts = Forecasts::new();
    let monthly = engine::step_dates(d("2022-07-31"), d("2022-12-31"), Frequency::Month);
    let weekly = engine::step_dates(d("2022-11-07"), d("2022-12-12"), Frequency::Week);
    // (Shanghai's monthly TEU has no bundled prints after 2020: the rule market never settles.)
    for (id, dates, settles) in [
        ("la-loaded-imports-scalar", &monthly, true),
        ("trade-basket-above-2019", &monthly, true),
        ("shanghai-calls-next-week", &weekly, true),
        ("rule-pmi52-no53", &monthly, false),
    ] {
        let market = example(id);
        let seen = replay_with_detector(&store, &market, &forecasts.sources(), dates);
        assert!(
            seen.late.is_empty(),
            "{id}: look-ahead: {}",
            show(&seen.late)
        );
        // The detector really watched: every step read figures, and steps were priced and
        // settled (settlement read prints published after the step, outside the decision).
        assert_eq!(seen.steps, dates.len(), "{id}");
        assert_eq!(seen.silent_steps, 0, "{id}: a step read nothing");
        assert!(seen.reads > 100 * dates.len(), "{id}: {} reads", seen.reads);
        assert_eq!(
            seen.replay.rows.len(),
            rows_per_step(&market) * dates.len(),
            "{id}"
        );
        assert!(seen.replay.rows.iter().all(|r| r.market == id), "{id}");
        assert!(
            !settles || seen.replay.rows.iter().any(|r| r.outcome.is_some()),
            "{id}: nothing settled: {:?}",
            seen.replay.skipped
        );
    }
}

fn rows_per_step(market: &Market) -> usize {
    match &market.kind {
        file::MarketKind::Buckets { set, .. } => set.buckets().len(),
        _ => 1,
    }
}

/// A source that peeks: before forecasting it looks at the store beyond the as-of time, as a
/// bug in a model or a nowcast might.
struct Leaky<'a> {
    inner: &'a ForecastPaths,
    leak: Leak,
}

#[derive(Clone, Copy, Debug)]
enum Leak {
    /// A view at a later time (here: the end of time).
    FutureView,
    /// Every stored figure, revisions and later prints included.
    RawObservations,
}

impl PathSource for Leaky<'_> {
    fn paths(
        &self,
        store: &Store,
        series: &[&str],
        freq: Frequency,
        as_of: DateTime<Utc>,
        until: Period,
    ) -> Result<Vec<SeriesPaths>, PathsError> {
        match self.leak {
            Leak::FutureView => {
                store.view(series[0], DateTime::<Utc>::MAX_UTC)?;
            }
            Leak::RawObservations => {
                store.observations(series[0]);
            }
        }
        self.inner.paths(store, series, freq, as_of, until)
    }

    fn origin(
        &self,
        store: &Store,
        series: &str,
        freq: Frequency,
        as_of: DateTime<Utc>,
    ) -> Option<Period> {
        self.inner.origin(store, series, freq, as_of)
    }
}

/// The detector can fail: the same replay with a peeking model is caught at every step.
#[test]
fn the_detector_catches_a_source_that_reads_ahead() {
    let mut store = bundled();
    store.enable_read_log();
    let forecasts = Forecasts::new();
    let market = example("la-loaded-imports-scalar");
    let dates = engine::step_dates(d("2022-01-31"), d("2022-03-31"), Frequency::Month);
    for leak in [Leak::FutureView, Leak::RawObservations] {
        let leaky = Leaky {
            inner: &forecasts.model,
            leak,
        };
        let sources = Sources {
            model: &leaky,
            ..forecasts.sources()
        };
        let seen = replay_with_detector(&store, &market, &sources, &dates);
        let steps: std::collections::BTreeSet<_> = seen.late.iter().map(|(t, _)| *t).collect();
        assert_eq!(steps.len(), dates.len(), "{leak:?}: {}", show(&seen.late));
        // What it read: LA loaded imports of months not yet published at the step (the
        // bundled series runs to December 2023, known in January 2024).
        assert!(
            seen.late
                .iter()
                .all(|(_, r)| &*r.series == "la_loaded_imports")
        );
        assert!(
            seen.late
                .iter()
                .any(|(_, r)| r.period == Period::month(2023, 12).unwrap())
        );
    }
}

// ---- first-print settlement ----------------------------------------------------------------

/// A forecast that puts every path at one value: settlement does not depend on the forecast.
struct Flat(f64);

impl PathSource for Flat {
    fn paths(
        &self,
        store: &Store,
        series: &[&str],
        freq: Frequency,
        as_of: DateTime<Utc>,
        until: Period,
    ) -> Result<Vec<SeriesPaths>, PathsError> {
        series
            .iter()
            .map(|s| {
                let (origin, _) = price::last_known(store, s, freq, as_of)?.ok_or_else(|| {
                    PathsError::NoHistory {
                        series: s.to_string(),
                        as_of: as_of.to_string(),
                    }
                })?;
                let h = origin.steps_to(&until).max(1) as usize;
                let dist = PredictiveDistribution::from_paths(h, vec![self.0; 100 * h])
                    .map_err(ForecastError::from)?;
                Ok(SeriesPaths {
                    origin,
                    dist,
                    correlation: Vec::new(),
                })
            })
            .collect()
    }
}

fn flat_sources(flat: &Flat) -> Sources<'_> {
    Sources {
        model: flat,
        climatology: flat,
        seasonal_naive: flat,
    }
}

/// A SYNTHETIC LA month (test figures, not real data).
fn la(month: (i32, u32), value: f64, precision: Precision, known: &str) -> Observation {
    Observation {
        series: Arc::from("la_teu"),
        period: Period::month(month.0, month.1).unwrap(),
        value,
        unit: Arc::from("TEU"),
        precision,
        source: Arc::from("synthetic test figure"),
        known_at: start_of_day(d(known)),
    }
}

/// A stored monthly series: December's first print (790,000) is revised to 810,000 in March,
/// across the 800,000 strike. The market settles NO on the first print, with or without the
/// revision in the store; a bound published before the first value is not a print.
#[test]
fn a_revision_after_settlement_does_not_change_the_outcome() {
    let mut obs: Vec<Observation> = (1..=11)
        .map(|m| {
            let known = format!("2023-{:02}-20", m + 1);
            la((2023, m), 800_000.0, Precision::Exact, &known)
        })
        .collect();
    obs.push(la(
        (2023, 12),
        780_000.0,
        Precision::LowerBound,
        "2024-01-10",
    ));
    obs.push(la((2023, 12), 790_000.0, Precision::Exact, "2024-01-20"));
    let first_only = Store::from_observations(obs.clone());
    obs.push(la((2023, 12), 810_000.0, Precision::Exact, "2024-03-15"));
    let revised = Store::from_observations(obs);

    let text = "[[market]]\nid = \"la-dec\"\nquestion = \"q\"\nseries = \"la_teu\"\ntarget = \"2023-12\"\nsettlement = \"first print\"\ncontract = { type = \"binary\", strike = \"greater\", k = 800000 }\nprice = 0.5\n";
    let market = file::parse("t.toml", text).unwrap().remove(0);
    let flat = Flat(805_000.0);
    let dates = [d("2023-12-31")];
    let replay = |store: &Store, settle_by: DateTime<Utc>| {
        engine::replay(
            store,
            &market,
            &flat_sources(&flat),
            &dates,
            settle_by,
            engine::Steps::default(),
            |_, _| {},
        )
        .unwrap()
        .rows
    };
    let end = DateTime::<Utc>::MAX_UTC;
    let before = replay(&first_only, end);
    let after = replay(&revised, end);
    assert_eq!(before[0].outcome, Some(0.0));
    assert_eq!(before[0].value, Some(790_000.0));
    assert_eq!(before, after);
    // The revision is in the store: the latest view would have paid YES.
    let dec = Period::month(2023, 12).unwrap();
    let latest = revised.view("la_teu", end).unwrap();
    assert_eq!(latest.points.last().unwrap().value, 810_000.0);
    assert_eq!(
        engine::first_print(&revised, "la_teu", Frequency::Month, dec, end).unwrap(),
        Some(790_000.0)
    );
    // Settled only once the first print is known by the run's as-of time.
    let at = |s: &str| end_of_day(d(s));
    assert_eq!(replay(&revised, at("2024-01-19"))[0].outcome, None);
    assert_eq!(replay(&revised, at("2024-01-20"))[0].outcome, Some(0.0));
    assert_eq!(replay(&revised, at("2024-03-15"))[0].outcome, Some(0.0));
}

/// The sorted samples a threshold sweep re-prices are kept only when asked, and then only for
/// settled binary steps (0.8 GB over a year of daily steps of the example markets otherwise).
#[test]
fn samples_are_kept_for_a_threshold_sweep_on_settled_binary_steps_only() {
    let obs: Vec<Observation> = (1..=12)
        .map(|m| {
            let known = if m == 12 {
                "2024-01-20".to_string()
            } else {
                format!("2023-{:02}-20", m + 1)
            };
            la((2023, m), 800_000.0, Precision::Exact, &known)
        })
        .collect();
    let store = Store::from_observations(obs);
    let text = "[[market]]\nid = \"la-dec\"\nquestion = \"q\"\nseries = \"la_teu\"\ntarget = \"2023-12\"\nsettlement = \"first print\"\ncontract = { type = \"binary\", strike = \"greater\", k = 800000 }\nprice = 0.5\n";
    let binary = file::parse("t.toml", text).unwrap().remove(0);
    let scalar_text = text.replace(
        "{ type = \"binary\", strike = \"greater\", k = 800000 }",
        "{ type = \"scalar\", lower = 700000, upper = 900000 }",
    );
    let scalar = file::parse("t.toml", &scalar_text).unwrap().remove(0);
    let flat = Flat(805_000.0);
    let at = |s: &str| end_of_day(d(s));
    let rows = |market: &Market, settle_by: DateTime<Utc>, keep_samples: bool| {
        let steps = engine::Steps {
            keep_samples,
            ..engine::Steps::default()
        };
        engine::replay(
            &store,
            market,
            &flat_sources(&flat),
            &[d("2023-12-31")],
            settle_by,
            steps,
            |_, _| {},
        )
        .unwrap()
        .rows
    };
    let kept = |rows: &[engine::StepRow]| rows[0].samples.iter().filter(|s| s.is_some()).count();
    // Settled (the print is known by 2024-01-20): kept for the model and both references.
    let settled = rows(&binary, at("2024-01-20"), true);
    assert_eq!(settled[0].outcome, Some(0.0));
    assert_eq!(kept(&settled), 3);
    assert_eq!(
        settled[0].samples[0].as_deref().map(<[f64]>::len),
        Some(100)
    );
    // Not asked, not settled yet, or not a binary contract: nothing kept, same prices.
    let plain = rows(&binary, at("2024-01-20"), false);
    assert_eq!(kept(&plain), 0);
    assert_eq!(plain[0].fair_model, settled[0].fair_model);
    let open = rows(&binary, at("2024-01-19"), true);
    assert_eq!((open[0].outcome, kept(&open)), (None, 0));
    let scalar_rows = rows(&scalar, at("2024-01-20"), true);
    assert!(scalar_rows[0].outcome.is_some());
    assert_eq!(kept(&scalar_rows), 0);
}

/// A derived, aggregated series: Shanghai + Yangshan container calls summed by ISO week from the
/// bundled PortWatch days, with one day of week 2023-W10 revised upward by 60 calls three months
/// later (a SYNTHETIC revision). The weekly bucket market settles on the week as first complete.
#[test]
fn a_later_revision_of_one_day_does_not_move_a_settled_weekly_aggregate() {
    let (files, problems) = bundle::load(&DataDir::Embedded, &ReleaseLags::default());
    assert!(problems.is_empty());
    let obs: Vec<Observation> = files.into_iter().flatten().collect();
    let week = Period::week(2023, 10).unwrap();
    let in_week = |o: &&Observation| {
        (o.series.as_ref() == "portwatch.port1188.portcalls_container"
            || o.series.as_ref() == "portwatch.port2027.portcalls_container")
            && week.start() <= o.period.start()
            && o.period.start() <= week.end()
    };
    // The week's first print, straight from the bundled rows: 7 days × 2 ports.
    let days: Vec<&Observation> = obs.iter().filter(in_week).collect();
    assert_eq!(days.len(), 14);
    let first: f64 = days.iter().map(|o| o.value).sum();
    let mut revision = (*days
        .iter()
        .find(|o| o.period == Period::Day(d("2023-03-08")) && o.series.contains("port1188"))
        .unwrap())
    .clone();
    revision.value += 60.0;
    revision.source = Arc::from("synthetic test revision");
    revision.known_at = start_of_day(d("2023-06-01"));
    let plain = Store::from_observations(obs.clone());
    let mut with_revision = obs;
    with_revision.push(revision);
    let revised = Store::from_observations(with_revision);

    let end = DateTime::<Utc>::MAX_UTC;
    let latest = revised
        .view_at("shanghai_calls", end, Some(Frequency::Week))
        .unwrap();
    let latest = latest.points.iter().find(|p| p.period == week).unwrap();
    assert_eq!(latest.value, first + 60.0);
    assert_eq!(
        engine::first_print(&revised, "shanghai_calls", Frequency::Week, week, end).unwrap(),
        Some(first)
    );
    // The month holding the week settles on its first complete print too.
    let march = Period::month(2023, 3).unwrap();
    let march_first = engine::first_print(&plain, "shanghai_calls", Frequency::Month, march, end);
    let march_revised =
        engine::first_print(&revised, "shanghai_calls", Frequency::Month, march, end);
    assert_eq!(march_first.unwrap(), march_revised.unwrap());

    // The example's weekly bucket market, replayed over the steps around the week.
    let market = example("shanghai-calls-next-week");
    let flat = Flat(first);
    let dates = engine::step_dates(d("2023-03-06"), d("2023-03-27"), Frequency::Week);
    let replay = |store: &Store| {
        engine::replay(
            store,
            &market,
            &flat_sources(&flat),
            &dates,
            end,
            engine::Steps::default(),
            |_, _| {},
        )
        .unwrap()
        .rows
    };
    let before = replay(&plain);
    let after = replay(&revised);
    assert_eq!(before, after);
    let settled: Vec<_> = after.iter().filter(|r| r.target == [week]).collect();
    assert_eq!(settled.len(), 5, "one row per bucket");
    assert!(settled.iter().all(|r| r.value == Some(first)));
    assert_eq!(
        settled.iter().filter_map(|r| r.outcome).sum::<f64>(),
        1.0,
        "exactly one bucket pays"
    );
}

// ---- the command line ----------------------------------------------------------------------

/// Keep only the rows of every CSV in `dir` whose figures were published by `as_of` (by the
/// store's own release rules): the data directory as it stood on that date, ending with a
/// backtest window that ends then.
fn vintage(dir: &Path, as_of: DateTime<Utc>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = fs::read_to_string(&path).unwrap();
        let (mut obs, mut problems) = (Vec::new(), Vec::new());
        bundle::load_file(
            &name,
            &name,
            &text,
            &ReleaseLags::default(),
            &mut obs,
            &mut problems,
        );
        assert!(problems.is_empty(), "{name}: {problems:?}");
        // When each row's figures became known, by its period label (the first column).
        let mut known: HashMap<String, DateTime<Utc>> = HashMap::new();
        for o in &obs {
            let t = known.entry(o.period.to_string()).or_insert(o.known_at);
            *t = (*t).max(o.known_at);
        }
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut kept = csv::Writer::from_writer(Vec::new());
        kept.write_record(reader.headers().unwrap()).unwrap();
        let (mut all, mut dropped) = (0, 0);
        for rec in reader.records() {
            let rec = rec.unwrap();
            all += 1;
            let label = &rec[0];
            let start = match label.len() {
                4 => d(&format!("{label}-01-01")),
                7 => d(&format!("{label}-01")),
                _ => d(label),
            };
            let published = known.get(label).is_none_or(|t| *t <= as_of);
            if published && start <= as_of.date_naive() {
                kept.write_record(&rec).unwrap();
            } else {
                dropped += 1;
            }
        }
        assert!(dropped < all || all == 0, "{name}: everything cut");
        fs::write(&path, kept.into_inner().unwrap()).unwrap();
    }
}

/// A window backtested with the data directory as it stood at the window's end and with the
/// full snapshot (17 more months of figures, and the prints of the window's last targets) gives
/// the same steps and scores, byte for byte. (It did not while settlement read prints
/// published after the run's as-of date.)
#[test]
fn a_window_backtests_the_same_whatever_the_data_holds_after_it() {
    let full = copy_of_data();
    let then = copy_of_data();
    vintage(then.path(), end_of_day(d("2022-07-31")));
    let la = fs::read_to_string(then.path().join("la_teu_monthly.csv")).unwrap();
    assert!(la.lines().last().unwrap().starts_with("2022-06,"), "{la}");
    let store = tempfile::tempdir().unwrap();
    let backtest = |dir: &Path, section: &str| {
        let (code, out, err) = run(portcast(store.path()).args([
            "--data-dir",
            dir.to_str().unwrap(),
            "--as-of",
            "2022-07-31",
            "-q",
            "backtest",
            "--from",
            "2022-02-28",
            "--to",
            "2022-07-31",
            "--paths",
            "500",
            "--market",
            "la-loaded-imports-scalar,trade-basket-above-2019",
            "--format",
            "csv",
            "--section",
            section,
        ]));
        assert_eq!(code, 0, "{err}");
        out
    };
    let steps = backtest(full.path(), "steps");
    assert_eq!(steps, backtest(then.path(), "steps"));
    assert_eq!(
        backtest(full.path(), "scores"),
        backtest(then.path(), "scores")
    );
    // Not vacuous: both markets priced at every step; the early ones settled, the last one
    // (July's print comes out in August) did not.
    let (header, rows) = csv_rows(&steps);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for m in ["la-loaded-imports-scalar", "trade-basket-above-2019"] {
        let of: Vec<_> = rows.iter().filter(|r| r[col("market")] == m).collect();
        assert_eq!(of.len(), 6, "{m}: {steps}");
        assert!(!of[0][col("outcome")].is_empty(), "{m}: first step settled");
        assert!(of[5][col("outcome")].is_empty(), "{m}: last step unsettled");
    }
}

const PRICE_COLUMNS: [&str; 11] = [
    "market",
    "contract",
    "target",
    "fair_per_payout",
    "price_per_payout",
    "edge_per_payout",
    "fee_per_payout",
    "edge_after_fees_per_payout",
    "side",
    "kelly_fraction",
    "status",
];

/// `portcast price` on the example file: every market priced, one row per contract, a bucket
/// set's rows all under the set's market id with fair prices summing to 1.
#[test]
fn the_example_markets_price_on_the_bundled_data() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "--as-of",
        "2024-01-10",
        "price",
        "--paths",
        "500",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(header, PRICE_COLUMNS);
    let markets = file::parse("example", EXAMPLE_MARKETS).unwrap();
    for m in &markets {
        let of: Vec<_> = rows.iter().filter(|r| r[0] == m.id).collect();
        assert_eq!(of.len(), rows_per_step(m), "{}: {out}", m.id);
        for r in &of {
            let fair: f64 = r[3].parse().unwrap();
            assert!((0.0..=1.0).contains(&fair), "{r:?}");
            if r[10] == "live" {
                // Priced markets have every trading column; the others none.
                assert_eq!(r[4].is_empty(), r[8].is_empty(), "{r:?}");
            } else {
                // A market awaiting a long-overdue figure is not traded on the forecast.
                assert!(r[10].starts_with("awaiting figure of "), "{r:?}");
                assert!(
                    r[5].is_empty() && r[8].is_empty() && r[9].is_empty(),
                    "{r:?}"
                );
            }
        }
        if let file::MarketKind::Buckets { set, .. } = &m.kind {
            for ((name, _), r) in set.buckets().iter().zip(&of) {
                assert!(r[1].ends_with(name.as_str()), "{r:?}");
            }
            let sum: f64 = of.iter().map(|r| r[3].parse::<f64>().unwrap()).sum();
            assert!((sum - 1.0).abs() < 1e-9, "{}: {sum}", m.id);
        }
    }
    assert_eq!(rows.len(), 17);
}

/// `portcast backtest` over three years of the example's fast markets: every table has its
/// documented columns, each market gets a scores row per strategy plus the pooled one.
#[test]
fn the_example_markets_backtest_on_the_bundled_data() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "--as-of",
        "2024-01-10",
        "-q",
        "backtest",
        "--from",
        "2021-01-31",
        "--to",
        "2023-12-31",
        "--paths",
        "500",
        "--market",
        "la-loaded-imports-scalar,trade-basket-above-2019",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let columns = |section: &str| -> Vec<String> {
        let mut keys: Vec<String> = json[section][0]
            .as_object()
            .unwrap_or_else(|| panic!("{section} is empty: {out}"))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let sorted = |cols: &[&str]| {
        let mut v: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(
        columns("scores"),
        sorted(&[
            "market",
            "strategy",
            "n",
            "brier",
            "log_score",
            "bss_climatology",
            "bss_seasonal_naive",
            "bss_market",
            "crps",
            "trades",
            "hit_rate",
            "pnl_after_fees_payouts",
            "max_drawdown_payouts",
        ])
    );
    assert_eq!(
        columns("steps"),
        sorted(&[
            "as_of",
            "market",
            "contract",
            "target",
            "fair_model",
            "fair_climatology",
            "fair_seasonal_naive",
            "market_price",
            "rule_holds",
            "outcome",
            "value",
            "crps",
        ])
    );
    let scores = json["scores"].as_array().unwrap();
    let row = |m: &str, s: &str| {
        scores
            .iter()
            .find(|r| r["market"] == m && r["strategy"] == s)
            .unwrap_or_else(|| panic!("no {m}/{s} scores: {out}"))
    };
    for m in ["la-loaded-imports-scalar", "trade-basket-above-2019"] {
        let r = row(m, "model");
        assert!(r["n"].as_i64().unwrap() >= 20, "{r}");
        assert!(r["brier"].as_f64().is_some(), "{r}");
    }
    assert!(row("ALL", "model")["n"].as_i64().unwrap() >= 40);
    // 36 monthly steps per market: priced or skipped with a reason, never lost.
    let steps = json["steps"].as_array().unwrap();
    let skipped = json["skipped"].as_array().unwrap();
    for m in ["la-loaded-imports-scalar", "trade-basket-above-2019"] {
        let priced: std::collections::BTreeSet<_> = steps
            .iter()
            .filter(|r| r["market"] == m)
            .map(|r| r["as_of"].as_str().unwrap())
            .collect();
        let gaps = skipped.iter().filter(|r| r["market"] == m).count();
        assert_eq!(priced.len() + gaps, 36, "{m}");
    }
}

/// A backtest replays its dates on worker threads; the replay must not depend on how many.
#[test]
fn a_backtest_is_the_same_on_one_thread_or_several() {
    use portcast::backtest::evaluate::Strategy;
    use portcast::backtest::run::{BacktestRun, Window, run_backtest_on};
    use portcast::markets::paths::ForecastSpec;
    let store = bundled();
    let spec = ForecastSpec {
        cfg: ForecastConfig::default(),
        n_paths: PATHS,
        seed: 3,
    };
    let markets = [
        example("la-loaded-imports-scalar"),
        example("shanghai-calls-next-week"),
        example("scfi-4w-up-10pct"),
    ];
    let window = Window {
        from: d("2023-05-01"),
        to: d("2023-07-31"),
        settle_by: end_of_day(d("2024-06-30")),
        settled_only: false,
        step: None,
        keep_samples: false,
    };
    let replay = |workers, settled_only| {
        let window = Window {
            settled_only,
            ..window
        };
        run_backtest_on(
            &store,
            &spec,
            &markets,
            &window,
            &[Strategy::Model],
            workers,
        )
        .expect("replays")
    };
    let rows = |r: &BacktestRun| {
        r.replays
            .iter()
            .map(|(m, r)| (m.id.clone(), r.rows.clone(), r.skipped.clone()))
            .collect::<Vec<_>>()
    };
    let one = replay(1, false);
    assert_eq!(rows(&one), rows(&replay(3, false)));
    // 3 monthly steps, and 14 weekly steps (1 May to 31 July) of a 5-bucket market and of a
    // binary one.
    let n: usize = one.replays.iter().map(|(_, r)| r.rows.len()).sum();
    assert_eq!(n, 3 + 14 * 5 + 14, "{n} rows");

    // Settled steps only (what `portcast run` summarises): exactly the settled rows of the
    // full replay, and every other step listed as skipped, not settled. (Bundled SCFI prints
    // end in 2020: none of its steps settle.)
    let settled = replay(2, true);
    for ((id, all, _), (_, only, skipped)) in rows(&one).into_iter().zip(rows(&settled)) {
        let want: Vec<_> = all
            .iter()
            .filter(|r| r.outcome.is_some())
            .cloned()
            .collect();
        assert_eq!(only, want, "{id}");
        let unsettled_steps = all
            .iter()
            .filter(|r| r.outcome.is_none())
            .map(|r| r.as_of)
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(skipped.len(), unsettled_steps.len(), "{id}");
        assert!(
            skipped
                .iter()
                .all(|s| s.reason.starts_with("not settled by 2024-06-30")),
            "{id}: {skipped:?}"
        );
    }
    let scfi = &settled.replays[2].1;
    assert!(scfi.rows.is_empty() && scfi.skipped.len() == 14);
}

/// A source keeps its latest forecast of each series and reuses it at a later as-of date when
/// the inputs are unchanged (bundled SCFI prints end in 2020); what it hands out must be exactly
/// what a fresh source computes, and a series whose data did change must be recomputed.
#[test]
fn a_forecast_reused_across_dates_equals_a_fresh_one() {
    let store = bundled();
    let source = || ForecastPaths::new(ForecastConfig::default(), ModelChoice::Auto, PATHS, 1);
    let (first, second) = (end_of_day(d("2023-03-01")), end_of_day(d("2023-04-01")));
    for (series, until) in [
        ("scfi", Period::week(2021, 4).unwrap()),
        ("shanghai_calls", Period::week(2023, 15).unwrap()),
    ] {
        let warm = source();
        warm.paths(&store, &[series], Frequency::Week, first, until)
            .expect("first date");
        warm.clear();
        let reused = warm
            .paths(&store, &[series], Frequency::Week, second, until)
            .expect("second date");
        let fresh = source()
            .paths(&store, &[series], Frequency::Week, second, until)
            .expect("fresh");
        assert_eq!(reused.len(), fresh.len());
        for (a, b) in reused.iter().zip(&fresh) {
            assert_eq!(a.origin, b.origin, "{series}");
            assert!(
                a.dist == b.dist,
                "{series}: reused paths differ from fresh ones"
            );
        }
    }
}
