//! The period in progress conditioned on its published days (issue 13), on the bundled data:
//! the known-sum floor, `known_value` against an independent sum, the fall of the error as days
//! are published, weekly periods, official TEU through the bridge, and the backtest's
//! `--step day`.

use chrono::{Duration, NaiveDate};
use portcast::analysis::score::crps_sorted;
use portcast::forecast::{ForecastConfig, ForecastRequest, ModelChoice, forecast};
use portcast::model::{Frequency, Period, end_of_day};
use portcast::series::catalog::ReleaseLags;
use portcast::store::{DataDir, Store, StoreLocation};

use crate::util::{csv_rows, portcast, run};

fn bundled() -> Store {
    Store::open(&StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    })
    .expect("bundled data loads")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The daily container calls known at the end of `as_of` inside `period`, summed here from the
/// store's daily view (independently of the forecast's own bookkeeping), and their count.
fn published(store: &Store, as_of: NaiveDate, period: Period) -> (usize, f64) {
    let view = store
        .view_at("shanghai_calls", end_of_day(as_of), Some(Frequency::Day))
        .unwrap();
    let days: Vec<f64> = view
        .points
        .iter()
        .filter(|p| period.start() <= p.period.start() && p.period.start() <= period.end())
        .map(|p| p.value)
        .collect();
    (days.len(), days.iter().sum())
}

struct Scored {
    known_days: usize,
    known_value: f64,
    q_low: f64,
    width80: f64,
    crps: f64,
}

/// Forecast `period` as of the end of `as_of` and score it against its total.
fn score(store: &Store, period: Period, as_of: NaiveDate) -> Scored {
    let req = ForecastRequest {
        series: "shanghai_calls".into(),
        freq: Some(period.frequency()),
        horizon: 2,
        as_of: end_of_day(as_of),
        model: ModelChoice::Auto,
        n_paths: 2_000,
        seed: 1,
    };
    let fc = forecast(store, &req, &ForecastConfig::default()).unwrap();
    let h = fc.periods.iter().position(|p| *p == period).unwrap();
    let m = fc.dist.marginal(h).unwrap();
    let (days, value) = published(store, as_of, period);
    match fc.known {
        Some(k) if k.period == period => {
            assert_eq!(k.days, days, "{period} as of {as_of}");
            assert_eq!(k.value, Some(value), "{period} as of {as_of}");
        }
        _ => assert_eq!(days, 0, "{period} as of {as_of}: published days not used"),
    }
    let (_, actual) = published(store, period.end() + Duration::days(30), period);
    Scored {
        known_days: days,
        known_value: value,
        q_low: m.quantile(0.0).unwrap(),
        width80: m.quantile(0.9).unwrap() - m.quantile(0.1).unwrap(),
        crps: crps_sorted(m.sorted(), actual).unwrap(),
    }
}

#[test]
fn the_month_in_progress_narrows_as_its_days_are_published_and_never_falls_below_them() {
    let store = bundled();
    // Four months of 2023; the as-of date with k days published is the month's start + 8 + k
    // (PortWatch days are public nine days after they end).
    let months = [(2023, 3), (2023, 6), (2023, 9), (2023, 11)];
    let stages = [0i64, 10, 20, 28];
    let mut mean_crps = vec![0.0; stages.len()];
    for (y, mo) in months {
        let period = Period::month(y, mo).unwrap();
        let mut widths = Vec::new();
        for (i, k) in stages.iter().enumerate() {
            let as_of = period.start() + Duration::days(8 + k);
            let s = score(&store, period, as_of);
            assert_eq!(s.known_days as i64, *k, "{period} as of {as_of}");
            assert!(
                s.q_low >= s.known_value,
                "{period} as of {as_of}: lowest path {} below the published {}",
                s.q_low,
                s.known_value
            );
            widths.push(s.width80);
            mean_crps[i] += s.crps / months.len() as f64;
        }
        assert!(
            widths.windows(2).all(|w| w[1] < w[0]),
            "{period}: 80% widths {widths:?} do not fall"
        );
    }
    eprintln!("mean CRPS by days published {stages:?}: {mean_crps:?}");
    assert!(
        mean_crps.windows(2).all(|w| w[1] < w[0]),
        "mean CRPS {mean_crps:?} does not fall as days are published"
    );
}

#[test]
fn the_week_in_progress_is_conditioned_too() {
    let store = bundled();
    let week = Period::week(2023, 46).unwrap(); // Monday 13 .. Sunday 19 November
    let mut widths = Vec::new();
    for k in [0i64, 3, 6] {
        let as_of = week.start() + Duration::days(8 + k);
        let s = score(&store, week, as_of);
        assert_eq!(s.known_days as i64, k);
        assert!(s.q_low >= s.known_value);
        widths.push(s.width80);
    }
    assert!(widths.windows(2).all(|w| w[1] < w[0]), "{widths:?}");
}

#[test]
fn official_teu_of_the_month_in_progress_follows_its_published_calls() {
    // shanghai_teu is forecast from vessel calls through the nowcast bridge: the month in
    // progress narrows as its calls are published.
    let store = bundled();
    let width = |as_of: &str| {
        let req = ForecastRequest {
            series: "shanghai_teu".into(),
            freq: None,
            horizon: 1,
            as_of: end_of_day(day(as_of)),
            model: ModelChoice::Auto,
            n_paths: 2_000,
            seed: 1,
        };
        let fc = forecast(&store, &req, &ForecastConfig::default()).unwrap();
        assert_eq!(fc.periods[0], Period::month(2023, 11).unwrap());
        let k = fc.known.expect("the month in progress");
        assert_eq!(k.value, None, "TEU has no published part; the calls do");
        let m = fc.dist.marginal(0).unwrap();
        (k.days, m.quantile(0.9).unwrap() - m.quantile(0.1).unwrap())
    };
    let (early_days, early) = width("2023-11-12");
    let (late_days, late) = width("2023-12-05");
    assert_eq!((early_days, late_days), (3, 26));
    // What is left late in the month is mostly the bridge's own month-to-month deviation of TEU
    // from β × calls (σ ≈ 230k TEU), which published calls cannot remove.
    assert!(late < 0.85 * early, "{early} → {late}");
}

#[test]
fn backtest_steps_by_day_replay_a_market_at_each_date() {
    let store = tempfile::tempdir().unwrap();
    let steps = |step: &str| {
        let (code, out, err) = run(portcast(store.path()).args([
            "backtest",
            "--format",
            "csv",
            "--section",
            "steps",
            "--market",
            "shanghai-calls-next-week",
            "--from",
            "2023-06-01",
            "--to",
            "2023-06-14",
            "--as-of",
            "2024-06-30",
            "--paths",
            "500",
            "--step",
            step,
        ]));
        assert_eq!(code, 0, "{err}");
        let (header, rows) = csv_rows(&out);
        let col = header.iter().position(|h| h == "as_of").unwrap();
        let mut dates: Vec<String> = rows.iter().map(|r| r[col].clone()).collect();
        dates.dedup();
        dates
    };
    assert_eq!(steps("day").len(), 14);
    assert_eq!(steps("week"), ["2023-06-01", "2023-06-08"]);
}

/// `portcast evaluate --by-known-days` on the bundled data: every (period, as-of date) of 2023,
/// through the production forecast path. The mean CRPS of the period's total falls as its days
/// are published — for ISO weeks at every number of published days, for months by week of
/// publication (a single day's step over twelve months is within the noise of twelve outcomes:
/// `portcast evaluate --by-known-days` prints 39.2 with two days against 38.0 with one) — and no
/// forecast's 0.1% quantile lies below the published sum.
#[test]
fn the_error_falls_as_days_are_published_over_a_year_of_periods() {
    use portcast::forecast::known_days::{KnownDaysRequest, evaluate_known_days};
    let store = bundled();
    let eval = |freq: Frequency, from: &str, to: &str| {
        let req = KnownDaysRequest {
            series: "shanghai_calls".into(),
            freq,
            from: day(from),
            to: day(to),
            as_of: end_of_day(day("2024-06-30")),
            model: ModelChoice::Auto,
            n_paths: 2_000,
            seed: 1,
        };
        let (cases, rows) = evaluate_known_days(&store, &req, &ForecastConfig::default()).unwrap();
        for c in &cases {
            assert!(
                c.q_low >= c.known_value,
                "{} as of {}: 0.1% quantile {} below the published {}",
                c.period,
                c.as_of,
                c.q_low,
                c.known_value
            );
        }
        rows
    };
    let weeks = eval(Frequency::Week, "2023-01-02", "2023-12-25");
    assert_eq!(weeks.len(), 7);
    let crps: Vec<f64> = weeks.iter().map(|r| r.crps_model).collect();
    assert!(crps.windows(2).all(|w| w[1] < w[0]), "weeks: {crps:?}");
    let months = eval(Frequency::Month, "2023-01-01", "2023-12-31");
    // Stages 0, 1–7, 8–14, 15–21, 22–28, 29–30 days published.
    let mut by_week = [(0.0, 0usize); 6];
    for r in &months {
        let b = if r.known_days == 0 {
            0
        } else {
            (r.known_days - 1) / 7 + 1
        };
        by_week[b].0 += r.crps_model * r.n as f64;
        by_week[b].1 += r.n;
    }
    let crps: Vec<f64> = by_week.iter().map(|(s, n)| s / *n as f64).collect();
    assert!(crps.windows(2).all(|w| w[1] < w[0]), "months: {crps:?}");
}
