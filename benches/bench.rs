//! Criterion benchmarks of the hot paths. Run with `cargo bench`; figures are reported in the
//! issues' closing notes and the README. Timed assertions never live in tests (shared machines).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portcast::analysis::ccf::{CcfOptions, ccf};
use portcast::analysis::lags::{self, LagOptions};
use portcast::model::{Frequency, end_of_day};
use portcast::series::catalog::ReleaseLags;
use portcast::store::{DataDir, Store, StoreLocation};

/// Issue 2's target: loading the whole bundled snapshot (parse + validate every file) and
/// building every series frame (as-of view, polars DataFrame; daily series also by month)
/// under 50 ms.
fn snapshot(c: &mut Criterion) {
    let loc = StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    };
    let as_of = end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"));
    c.bench_function("load snapshot + build every series frame", |b| {
        b.iter(|| {
            let store = Store::open(&loc).expect("bundled data loads");
            let mut rows = 0;
            for id in store.series_ids() {
                let view = store.view(&id, as_of).expect("view");
                if view.freq == Frequency::Day {
                    rows += view
                        .clone()
                        .to_freq(Frequency::Month)
                        .expect("monthly")
                        .to_frame()
                        .expect("frame")
                        .height();
                }
                rows += view.to_frame().expect("frame").height();
            }
            black_box(rows)
        })
    });
    c.bench_function("load snapshot only", |b| {
        b.iter(|| black_box(Store::open(&loc).expect("loads").len()))
    });
}

/// A synthetic 1,000-row PortWatch page (test data, not real figures): the first feature of the
/// page-1 fixture repeated with consecutive dates, every `portcalls_*`/`import*`/`export*` field
/// kept, so each row yields 21 points.
fn portwatch_page_1000() -> Vec<u8> {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../tests/fixtures/http/portwatch/page1.json"))
            .expect("fixture is JSON");
    let template = fixture["features"][0].clone();
    let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("date");
    let features: Vec<serde_json::Value> = (0..1000)
        .map(|i| {
            let mut f = template.clone();
            f["attributes"]["date"] = serde_json::Value::String(
                (start + chrono::Duration::days(i))
                    .format("%Y-%m-%d")
                    .to_string(),
            );
            f
        })
        .collect();
    let mut page = fixture;
    page["features"] = serde_json::Value::Array(features);
    serde_json::to_vec(&page).expect("serialises")
}

/// Issue 3: parsing a 1,000-row PortWatch page and a year's POLA page, and appending 10,000
/// observations to the store (temporary file, fsync, rename).
fn ingest(c: &mut Criterion) {
    use portcast::ingest::{pola, portwatch};
    use portcast::model::{Observation, Period, Precision};
    use portcast::store::file;
    use std::sync::Arc;

    let page = portwatch_page_1000();
    assert_eq!(
        portwatch::parse_page(&page).expect("parses").points.len(),
        21_000
    );
    c.bench_function("parse PortWatch page (1,000 rows, 21,000 points)", |b| {
        b.iter(|| black_box(portwatch::parse_page(black_box(&page)).expect("parses")))
    });

    let html = include_str!("../tests/fixtures/http/pola/historical-teu-statistics-2019.html");
    c.bench_function("parse POLA year page (12 months x 5 columns)", |b| {
        b.iter(|| black_box(pola::parse_year_page(black_box(html), 2019).expect("parses")))
    });

    // Synthetic observations (benchmark data): 10,000 days of one PortWatch series.
    let start = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("date");
    let known_at = end_of_day(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"));
    let make = |series: &str, n: i64| -> Vec<Observation> {
        let series: Arc<str> = Arc::from(series);
        let unit: Arc<str> = Arc::from("calls");
        let source: Arc<str> = Arc::from("IMF PortWatch (synthetic benchmark rows)");
        (0..n)
            .map(|i| Observation {
                series: series.clone(),
                period: Period::Day(start + chrono::Duration::days(i)),
                value: (i % 97) as f64,
                unit: unit.clone(),
                precision: Precision::Exact,
                source: source.clone(),
                known_at,
            })
            .collect()
    };
    let batch = make("portwatch.port1188.portcalls_container", 10_000);
    let existing = make("portwatch.port2027.portcalls_container", 50_000);
    c.bench_function("append 10,000 observations to an empty store", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                file::append(dir.path(), black_box(&batch)).expect("writes");
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    c.bench_function("append 10,000 observations to a store of 50,000", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                file::append(dir.path(), &existing).expect("writes");
                dir
            },
            |dir| {
                file::append(dir.path(), black_box(&batch)).expect("writes");
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
}

/// Issue 7: a report holds a dozen or more charts and `portcast run` must finish in under a
/// second, so drawing and PNG-encoding one chart is timed (synthetic numbers: the cost depends
/// on the number of points and the pixels, not on the values).
fn report_charts(c: &mut Criterion) {
    use portcast::report::chart::{Axis, CcfBar, CcfChart, Chart, FanChart, FanStep, Labels};
    let month = |i: u32| {
        chrono::NaiveDate::from_ymd_opt(2015, 1, 1).expect("date") + chrono::Months::new(i)
    };
    let fan = FanChart {
        labels: Labels::new(
            "Shanghai container throughput (synthetic)",
            Axis::new("month", ""),
            Axis::new("throughput", "TEU"),
            "Source: synthetic benchmark data",
        ),
        history: (0..108)
            .map(|i| (month(i), 4.0e6 + 1.0e5 * (i as f64 * 0.5).sin()))
            .collect(),
        official: (0..108).map(|i| (month(i), 4.0e6)).collect(),
        forecast: (108..114)
            .map(|i| {
                FanStep::from_quantiles(
                    month(i),
                    [3.8e6, 3.9e6, 3.95e6, 4.0e6, 4.05e6, 4.1e6, 4.2e6],
                )
            })
            .collect(),
        as_of: Some(month(108)),
    };
    let ccf = CcfChart {
        labels: Labels::new(
            "CCF (synthetic)",
            Axis::new("lag", "months"),
            Axis::new("correlation", ""),
            "Source: synthetic benchmark data",
        ),
        bars: (-12..=12)
            .map(|k| CcfBar {
                lag: k,
                r: 0.3 * (k as f64 * 0.4).cos(),
                band_low: -0.2,
                band_high: 0.2,
            })
            .collect(),
        best_lag: Some(0),
        band_label: "95% band".into(),
    };
    c.bench_function(
        "report: fan chart (108 months + 6 steps) to PNG bytes",
        |b| b.iter(|| black_box(fan.png().expect("draws").len())),
    );
    c.bench_function("report: CCF chart (25 lags) to PNG bytes", |b| {
        b.iter(|| black_box(ccf.png().expect("draws").len()))
    });
}

/// SYNTHETIC benchmark input (not data): x is AR(1) with φ = 0.7 driven by a fixed LCG's
/// Irwin–Hall normals, y is x three periods later plus noise; `n` points each.
fn synthetic_pair(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state: u64 = 42;
    let mut normal = move || {
        let mut s = 0.0;
        for _ in 0..12 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            s += (state >> 11) as f64 / (1u64 << 53) as f64;
        }
        s - 6.0
    };
    let mut x = vec![0.0; n];
    for t in 1..n {
        x[t] = 0.7 * x[t - 1] + normal();
    }
    let y = (0..n)
        .map(|t| if t >= 3 { x[t - 3] } else { 0.0 } + normal())
        .collect();
    (x, y)
}

/// Issue 4's targets: the CCF for ±60 lags on two 2,000-point series (target: well under 1 ms),
/// and the whole `lags` analysis of the default pairs on the bundled data.
fn lead_lag(c: &mut Criterion) {
    let (x, y) = synthetic_pair(2000);
    let mut g = c.benchmark_group("ccf ±60 lags, 2,000 points");
    g.bench_function("raw", |b| {
        b.iter(|| black_box(ccf(&x, &y, &CcfOptions::new(60).raw()).expect("ccf")))
    });
    // The caps of `lags::ar_order_cap`: 12 (months), 13 (weeks), 14 (days); and 26 for scale.
    for cap in [12, 13, 14, 26] {
        let opts = CcfOptions {
            ar_max_order: Some(cap),
            ..CcfOptions::new(60)
        };
        g.bench_function(format!("pre-whitened, AR order search to {cap}"), |b| {
            b.iter(|| black_box(ccf(&x, &y, &opts).expect("ccf")))
        });
    }
    // Uncapped: the kernel's own default, min(10·log10 n, n/4) = 33.
    g.bench_function("pre-whitened, AR order search to 33 (uncapped)", |b| {
        b.iter(|| black_box(ccf(&x, &y, &CcfOptions::new(60)).expect("ccf")))
    });
    g.finish();

    let loc = StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    };
    let as_of = end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"));
    let store = Store::open(&loc).expect("bundled data loads");
    let pairs = lags::default_pairs();
    let opts = LagOptions::default();
    c.bench_function(
        "lags: default pairs on the bundled data (store loaded)",
        |b| {
            b.iter(|| {
                let reports = lags::analyse_pairs(&store, as_of, &pairs, &opts).expect("lags");
                black_box(portcast::present::lags::tables(&reports))
            })
        },
    );
    c.bench_function("lags: default pairs, including loading the store", |b| {
        b.iter(|| {
            let store = Store::open(&loc).expect("bundled data loads");
            let reports = lags::analyse_pairs(&store, as_of, &pairs, &opts).expect("lags");
            black_box(portcast::present::lags::tables(&reports))
        })
    });
    c.bench_function("audit on the bundled data (store loaded)", |b| {
        b.iter(|| black_box(portcast::analysis::audit::audit(&store, as_of).expect("audit")))
    });
}

/// Issue 5: fitting every model and drawing 10,000 paths for one target (monthly Shanghai vessel
/// calls as of the end of the bundled data, six months ahead); the whole `forecast` with model
/// selection; and the full rolling-origin `evaluate` of one series over three years of monthly
/// origins.
fn forecasting(c: &mut Criterion) {
    use portcast::forecast::evaluate::{EvaluateRequest, evaluate};
    use portcast::forecast::shocks::Shocks;
    use portcast::forecast::shocks::SimRng;
    use portcast::forecast::{
        ForecastConfig, ForecastRequest, ModelChoice, ModelKind, forecast, prepare,
    };
    use rand::SeedableRng;

    let loc = StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    };
    let store = Store::open(&loc).expect("bundled data loads");
    let as_of = end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"));
    let cfg = ForecastConfig::default();
    let prepared = prepare(
        &store,
        "shanghai_calls",
        Some(Frequency::Month),
        as_of,
        &cfg,
        10_000,
        1,
    )
    .expect("prepared");
    let mut group = c.benchmark_group("forecast");
    group.sample_size(10);
    group.bench_function(
        "fit every model + 10,000 paths x 6 months (shanghai_calls)",
        |b| {
            b.iter(|| {
                let mut total = 0.0;
                for kind in ModelKind::ALL {
                    let fitted = kind.model().fit(&prepared.data).expect("fits");
                    let mut rng = SimRng::seed_from_u64(1);
                    let shocks = Shocks::latin_hypercube(10_000, 6, &mut rng);
                    let paths = fitted.simulate(&shocks, &mut rng);
                    total += paths[0];
                }
                black_box(total)
            })
        },
    );
    // Issue 12 part 2: one AutoETS-style fit (15 candidate models, ML with initial states,
    // AICc) on the monthly vessel calls (2019-01 to the as-of month: about 66 points), and on LA
    // TEU (monthly, gaps) — what selection repeats at every rolling origin.
    let la = prepare(
        &store,
        "la_teu",
        Some(Frequency::Month),
        as_of,
        &cfg,
        100,
        1,
    )
    .expect("prepared");
    for (name, data) in [("shanghai_calls", &prepared.data), ("la_teu", &la.data)] {
        group.bench_function(
            format!("ets auto fit (whole family, AICc), {name} monthly"),
            |b| b.iter(|| black_box(ModelKind::Ets.model().fit(data).expect("fits").describe())),
        );
    }
    let req = ForecastRequest {
        series: "shanghai_calls".into(),
        freq: Some(Frequency::Month),
        horizon: 6,
        as_of,
        model: ModelChoice::Auto,
        n_paths: 10_000,
        seed: 1,
    };
    group.bench_function(
        "forecast auto (selection + fit + 10,000 paths), shanghai_calls",
        |b| {
            b.iter(|| {
                black_box(
                    forecast(&store, &req, &cfg)
                        .expect("forecast")
                        .dist
                        .n_paths(),
                )
            })
        },
    );
    let teu = ForecastRequest {
        series: "shanghai_teu".into(),
        ..req.clone()
    };
    group.bench_function("forecast auto via nowcast, shanghai_teu", |b| {
        b.iter(|| {
            black_box(
                forecast(&store, &teu, &cfg)
                    .expect("forecast")
                    .dist
                    .n_paths(),
            )
        })
    });
    let eval = EvaluateRequest {
        series: "shanghai_calls".into(),
        freq: Some(Frequency::Month),
        from: chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("date"),
        to: chrono::NaiveDate::from_ymd_opt(2023, 12, 31).expect("date"),
        horizon: 1,
        as_of,
        n_paths: 2_000,
        seed: 1,
    };
    group.bench_function(
        "evaluate shanghai_calls monthly 2021-2023, h=1 (36 origins)",
        |b| b.iter(|| black_box(evaluate(&store, &eval, &cfg).expect("evaluate").rows.len())),
    );
    group.finish();
}

/// Issue 6's target: a sweep of at least 10,000 strategy variants over 5 years of monthly
/// markets in under 2 s. The replay is real: "Los Angeles total TEU above 800,000 in the next
/// reported month", priced by the model, climatology and seasonal naive on the bundled data at
/// each month end from January 2019 to December 2023 (60 steps, 2,000 paths) and settled on
/// first prints — built once, outside the timing. Timed: 101 thresholds × 10 minimum edges ×
/// 10 Kelly fractions = 10,100 variants, each turned into trades and scores over the 60 steps
/// (`evaluate`), and the same through the ranked sweep table `portcast backtest --sweep` prints.
fn sweep(c: &mut Criterion) {
    use portcast::backtest::evaluate::{Strategy, Sweep, evaluate, variants};
    use portcast::backtest::run::{Window, run_backtest};
    use portcast::forecast::ForecastConfig;
    use portcast::markets::paths::ForecastSpec;
    use portcast::present::backtest::sweep_table;

    let store = Store::open(&StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    })
    .expect("bundled data loads");
    let markets = portcast::markets::file::parse(
        "bench.toml",
        r#"
[[market]]
id = "la-next-over-800k"
question = "Will the Port of Los Angeles handle more than 800,000 TEU in the next reported month?"
series = "la_teu"
horizon = 1
settlement = "Port of Los Angeles container statistics, first print"
contract = { type = "binary", strike = "greater", k = 800_000 }
"#,
    )
    .expect("market");
    let spec = ForecastSpec {
        cfg: ForecastConfig::default(),
        n_paths: 2_000,
        seed: 1,
    };
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let window = Window {
        from: date(2019, 1, 31),
        to: date(2023, 12, 31),
        settle_by: end_of_day(date(2024, 6, 30)),
        settled_only: false,
        step: None,
        keep_samples: true,
    };
    let run = run_backtest(&store, &spec, &markets, &window, &[Strategy::Model]).expect("replay");
    let (market, replay) = &run.replays[0];
    let settled = replay.rows.iter().filter(|r| r.outcome.is_some()).count();
    eprintln!(
        "sweep bench: {} steps priced, {settled} settled, {} skipped",
        replay.rows.len(),
        replay.skipped.len()
    );
    let sweeps = [
        Sweep::parse("threshold=700000..950000:2500").expect("sweep"),
        Sweep::parse("min_edge=0..0.09:0.01").expect("sweep"),
        Sweep::parse("kelly=0.1..1.0:0.1").expect("sweep"),
    ];
    let all = variants(&sweeps);
    assert!(all.len() >= 10_000, "{} variants", all.len());
    let mut group = c.benchmark_group("backtest");
    group.sample_size(10);
    group.bench_function(
        "sweep 10,100 variants x 60 monthly steps: evaluate each",
        |b| {
            b.iter(|| {
                let mut best = f64::NEG_INFINITY;
                for v in &all {
                    let (_, scores) = evaluate(market, &replay.rows, Strategy::Model, v);
                    best = best.max(scores.pnl);
                }
                black_box(best)
            })
        },
    );
    group.bench_function(
        "sweep 10,100 variants x 60 monthly steps: ranked sweep table",
        |b| b.iter(|| black_box(sweep_table(&run, &sweeps, &[Strategy::Model]).rows.len())),
    );
    group.finish();
}

/// One automatic ARIMA fit (KPSS / seasonal-strength differencing, stepwise search, exact
/// likelihood) on 96 months of bundled LA log TEU (2016–2023, 9 months missing): what model
/// selection repeats at every rolling origin.
fn arima_auto(c: &mut Criterion) {
    use portcast::forecast::arima::{Effort, auto_fit};
    use portcast::forecast::{ForecastConfig, prepare};
    let loc = StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    };
    let store = Store::open(&loc).expect("bundled data loads");
    let as_of = end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 1, 31).expect("date"));
    let prepared = prepare(
        &store,
        "la_teu",
        Some(Frequency::Month),
        as_of,
        &ForecastConfig::default(),
        100,
        1,
    )
    .expect("prepared");
    let logs = prepared.data.history.logs();
    let y = logs[logs.len().saturating_sub(96)..].to_vec();
    c.bench_function("arima auto fit, 96 months of LA TEU", |b| {
        b.iter(|| black_box(auto_fit(&y, &[], 12, Effort::FAST).map(|f| f.0.aicc)))
    });
}

criterion_group!(
    benches,
    snapshot,
    ingest,
    report_charts,
    lead_lag,
    forecasting,
    sweep,
    arima_auto
);
criterion_main!(benches);
