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

criterion_group!(benches, snapshot);
criterion_main!(benches);
