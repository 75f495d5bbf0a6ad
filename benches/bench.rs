//! Criterion benchmarks of the hot paths. Run with `cargo bench`; figures are reported in the
//! issues' closing notes and the README. Timed assertions never live in tests (shared machines).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use portcast::analysis::ccf::{CcfOptions, ccf};
use portcast::analysis::lags::{self, LagOptions};
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
                black_box(portcast::commands::lags::tables(&reports))
            })
        },
    );
    c.bench_function("lags: default pairs, including loading the store", |b| {
        b.iter(|| {
            let store = Store::open(&loc).expect("bundled data loads");
            let reports = lags::analyse_pairs(&store, as_of, &pairs, &opts).expect("lags");
            black_box(portcast::commands::lags::tables(&reports))
        })
    });
    c.bench_function("audit on the bundled data (store loaded)", |b| {
        b.iter(|| black_box(portcast::analysis::audit::audit(&store, as_of).expect("audit")))
    });
}

criterion_group!(benches, snapshot, lead_lag);
criterion_main!(benches);
