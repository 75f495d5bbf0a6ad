//! Criterion benchmarks of the hot paths. Run with `cargo bench`; figures are reported in the
//! issues' closing notes and the README. Timed assertions never live in tests (shared machines).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portcast::config::ReleaseLags;
use portcast::model::{Frequency, end_of_day};
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

/// Issue 5: fitting every model and drawing 10,000 paths for one target (monthly Shanghai vessel
/// calls as of the end of the bundled data, six months ahead); the whole `forecast` with model
/// selection; and the full rolling-origin `evaluate` of one series over three years of monthly
/// origins.
fn forecasting(c: &mut Criterion) {
    use portcast::forecast::evaluate::{EvaluateRequest, evaluate};
    use portcast::forecast::shocks::Shocks;
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
                    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
                    let shocks = Shocks::latin_hypercube(10_000, 6, &mut rng);
                    let paths = fitted.simulate(&shocks, &mut rng);
                    total += paths[0];
                }
                black_box(total)
            })
        },
    );
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

criterion_group!(benches, snapshot, forecasting);
criterion_main!(benches);
