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

criterion_group!(benches, snapshot, report_charts);
criterion_main!(benches);
