//! `portcast landed-cost` and `crate::markets::freight`: landed cost under freight scenarios on
//! the bundled SCFI data, checked against the deterministic formula (hand-computed in the
//! comments), for monotonicity and for how it follows the forecast; the hedge on the same joint
//! paths as `portcast price`; malformed shipment files.
//!
//! The example shipment (data/shipment.example.toml): FOB USD 9.50, 2,400 units in one 40' box,
//! insurance 0.3% with a 10% markup, 3% buying commission, 3.9% duty on FOB, USD 0.85 other
//! costs, home currency USD. At a freight rate r per container:
//! landed = (9.5 + r/2400) / (1 − 1.1 × 0.003) / 0.97 + 0.039 × 9.5 + 0.85.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use portcast::analysis::distribution::PredictiveDistribution;
use portcast::forecast::{ForecastConfig, ModelChoice};
use portcast::markets::freight::{self, Basis, LandedResult, RateSource};
use portcast::markets::paths::ForecastPaths;
use portcast::markets::price::{PathSource, PathsError, SeriesPaths, last_known};
use portcast::model::{Frequency, Period, end_of_day};
use portcast::series::catalog::ReleaseLags;
use portcast::store::{DataDir, Store, StoreLocation};
use portcast::trade::landed::{LEVELS, Shipment};

use crate::util::{csv_rows, data_dir, portcast, run};

fn bundled() -> Store {
    Store::open(&StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: None,
        lags: ReleaseLags::default(),
    })
    .expect("bundled data loads")
}

fn as_of(s: &str) -> DateTime<Utc> {
    end_of_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn example_text() -> String {
    std::fs::read_to_string(data_dir().join("shipment.example.toml")).unwrap()
}

fn example() -> Shipment {
    Shipment::parse("shipment.example.toml", &example_text()).unwrap()
}

/// The example on a composite lane with a known rate of USD 4,000 on 2020-12-18 (the composite
/// printed 2411.82 that day).
fn composite_lane() -> Shipment {
    let text = example_text().replace(
        "route = \"uswc\"",
        "route = \"composite\"\nknown_rate = { usd_per_container = 4000, date = 2020-12-18 }",
    );
    Shipment::parse("composite.toml", &text).unwrap()
}

/// The example's landed cost at rate r, written out (see the module doc).
fn formula(r: f64) -> f64 {
    (9.5 + r / 2400.0) / (1.0 - 1.1 * 0.003) / 0.97 + 0.039 * 9.5 + 0.85
}

/// Every series stays at `value` on every path: a point mass.
struct PointMass {
    value: f64,
}

impl PathSource for PointMass {
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
                let (origin, _) = last_known(store, s, freq, as_of).unwrap().unwrap();
                let h = origin.steps_to(&until) as usize;
                Ok(SeriesPaths {
                    origin,
                    dist: PredictiveDistribution::point_mass(&vec![self.value; h], 50).unwrap(),
                    correlation: Vec::new(),
                })
            })
            .collect()
    }
}

/// Another source's paths, every value multiplied by `k`.
struct Scaled<'a> {
    inner: &'a ForecastPaths,
    k: f64,
}

impl PathSource for Scaled<'_> {
    fn paths(
        &self,
        store: &Store,
        series: &[&str],
        freq: Frequency,
        as_of: DateTime<Utc>,
        until: Period,
    ) -> Result<Vec<SeriesPaths>, PathsError> {
        let paths = self.inner.paths(store, series, freq, as_of, until)?;
        Ok(paths
            .into_iter()
            .map(|sp| SeriesPaths {
                origin: sp.origin,
                dist: PredictiveDistribution::from_paths(
                    sp.dist.horizons(),
                    sp.dist.samples().iter().map(|v| v * self.k).collect(),
                )
                .unwrap(),
                correlation: sp.correlation,
            })
            .collect())
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

fn forecast_paths(n: usize) -> ForecastPaths {
    ForecastPaths::new(ForecastConfig::default(), ModelChoice::Auto, n, 1)
}

fn landed(source: &dyn PathSource, shipment: &Shipment, at: &str) -> LandedResult {
    freight::landed_cost(&bundled(), source, shipment, &[], as_of(at)).unwrap()
}

#[test]
fn a_point_mass_freight_rate_gives_the_deterministic_formula() {
    // Composite lane: factor 4000 / 2411.82; composite 2500 → r = 4146.246403…,
    // landed = (9.5 + 4146.246403/2400) / 0.9967 / 0.97 + 0.3705 + 0.85 = 12.833671577…
    let r = landed(
        &PointMass { value: 2500.0 },
        &composite_lane(),
        "2020-12-31",
    );
    assert!(matches!(r.source, RateSource::Forecast { steps: 5, .. }));
    for p in LEVELS {
        assert!(
            (r.costs.quantile(p) - 12.833_671_577_5).abs() < 1e-8,
            "q{p}"
        );
    }
    assert!((r.costs.mean() - formula(2500.0 * 4000.0 / 2411.82)).abs() < 1e-9);
    assert!((r.costs.at_median_rate - 12.833_671_577_5).abs() < 1e-8);
    assert!(r.costs.std() < 1e-9);
    // USWC lane: factor 1659 / 859.92 (the last USWC print and the composite of that day);
    // composite 2500 → r = 4823.123081…, landed 13.125388831…
    let r = landed(&PointMass { value: 2500.0 }, &example(), "2020-12-31");
    match &r.basis {
        Basis::Scaled(a) => {
            assert_eq!((a.rate, a.composite), (1659.0, 859.92));
            assert_eq!(a.date, NaiveDate::from_ymd_opt(2017, 8, 18).unwrap());
            // This source forecasts anything, USWC too; but USWC's last print is older than
            // the composite's, so the composite (which knows later freight) stands in.
            assert_eq!(
                a.reason.as_deref(),
                Some(
                    "USWC's last complete week (2017-W33) is older than the composite's (2020-W53)"
                )
            );
        }
        other => panic!("{other:?}"),
    }
    assert!((r.costs.quantile(0.5) - 13.125_388_831_3).abs() < 1e-8);
    // The budget is above the one cost: P(> budget) = 0; below it, 1.
    assert_eq!(r.costs.p_over_budget(), 0.0);
    assert_eq!(r.costs.prob_over(13.0), 1.0);
}

#[test]
fn a_published_ship_week_is_its_print() {
    // 2020-12-04 is in 2020-W49, printed 2129.26 and known by 2020-12-31: r = 2129.26 × 1659 /
    // 859.92 = 4107.873221, landed = 12.817133677 whatever the forecast would say.
    let text = example_text().replace("ship_date = 2021-02-05", "ship_date = 2020-12-04");
    let s = Shipment::parse("past.toml", &text).unwrap();
    let r = landed(&PointMass { value: 1.0e6 }, &s, "2020-12-31");
    assert_eq!(
        r.source,
        RateSource::Known {
            period: Period::week(2020, 49).unwrap(),
            value: 2129.26
        }
    );
    assert!((r.costs.rate_quantile(0.05) - 4_107.873_220_8).abs() < 1e-6);
    assert!((r.costs.quantile(0.95) - 12.817_133_676_7).abs() < 1e-8);
    assert!((r.costs.quantile(0.5) - formula(2129.26 * 1659.0 / 859.92)).abs() < 1e-9);
}

#[test]
fn cfr_goods_carry_no_freight_risk() {
    // CFR 9.50: CIF = 9.5 / 0.9967, paid / 0.97, duty 3.9% of CIF, + 0.85 = 11.18163…
    let text = example_text()
        .replace("term = \"FOB\"", "term = \"CFR\"")
        .replace("duty_basis = \"fob\"", "duty_basis = \"cif\"");
    let s = Shipment::parse("cfr.toml", &text).unwrap();
    let r = landed(&forecast_paths(500), &s, "2020-12-31");
    assert_eq!(r.basis, Basis::NotExposed);
    let cif = 9.5 / (1.0 - 1.1 * 0.003);
    let expected = cif / 0.97 + 0.039 * cif + 0.85;
    assert!((r.costs.quantile(0.05) - expected).abs() < 1e-9);
    assert!((r.costs.quantile(0.95) - expected).abs() < 1e-9);
}

#[test]
fn p_over_budget_is_monotone_in_the_budget() {
    let r = landed(&forecast_paths(2000), &example(), "2020-12-31");
    let lo = r.costs.quantile(0.0);
    let hi = r.costs.quantile(1.0);
    assert!(hi > lo + 0.5, "a real spread: {lo}..{hi}");
    let mut last = 1.0;
    for i in 0..=400 {
        let budget = lo - 0.1 + (hi - lo + 0.2) * f64::from(i) / 400.0;
        let p = r.costs.prob_over(budget);
        assert!(p <= last, "P(> {budget}) = {p} rose from {last}");
        // It is the share of paths above the budget.
        let share = r.costs.costs.iter().filter(|c| **c > budget).count() as f64 / 2000.0;
        assert_eq!(p, share);
        last = p;
    }
    assert_eq!(r.costs.prob_over(lo - 0.1), 1.0);
    assert_eq!(r.costs.prob_over(hi), 0.0);
}

#[test]
fn quantiles_move_with_the_scfi_forecast() {
    let base = forecast_paths(2000);
    let up = Scaled {
        inner: &base,
        k: 1.25,
    };
    let r = landed(&base, &example(), "2020-12-31");
    let r_up = landed(&up, &example(), "2020-12-31");
    // Landed cost is affine in the rate, c(r) = c(0) + b·r, and type-7 quantiles commute with
    // affine maps: freight 25% higher on every path moves each quantile's freight part by 25%.
    let c0 = example().landed_cost_per_unit(0.0).unwrap();
    for p in LEVELS {
        let (q, q_up) = (r.costs.quantile(p), r_up.costs.quantile(p));
        assert!(q_up > q, "q{p}: {q_up} vs {q}");
        assert!(((q_up - c0) - 1.25 * (q - c0)).abs() < 1e-9, "q{p}");
    }
    assert!(r_up.costs.p_over_budget() > r.costs.p_over_budget());
    // As of 2020-10-30 the composite stood at 1529.99; by 2020-12-31 at 2783.03: the same ship
    // week costs more at every quantile seen from December.
    let october = landed(&forecast_paths(2000), &example(), "2020-10-30");
    assert!(matches!(
        october.source,
        RateSource::Forecast { steps: 14, .. }
    ));
    for p in LEVELS {
        assert!(
            r.costs.quantile(p) > october.costs.quantile(p),
            "q{p}: {} vs {}",
            r.costs.quantile(p),
            october.costs.quantile(p)
        );
    }
}

#[test]
fn hedges_on_both_sides_and_markets_left_out() {
    // "≥ k" and "< k" on the same week are complements: the same hedge from opposite sides.
    let markets = portcast::markets::file::parse(
        "m.toml",
        r#"
[[market]]
id = "up"
question = "SCFI at least 10% up in 4 weeks?"
series = "scfi"
freq = "week"
horizon = 4
settlement = "SSE"
contract = { type = "binary", strike = "greater_or_equal", k_change = 0.10 }
price = 0.15

[[market]]
id = "not-up"
question = "SCFI less than 10% up in 4 weeks?"
series = "scfi"
freq = "week"
horizon = 4
settlement = "SSE"
contract = { type = "binary", strike = "less", k_change = 0.10 }
price = 0.85

[[market]]
id = "monthly"
question = "SCFI monthly mean above 2500?"
series = "scfi"
freq = "month"
horizon = 1
settlement = "SSE"
contract = { type = "binary", strike = "greater", k = 2500 }

[[market]]
id = "settled"
question = "SCFI above 2000 in 2020-W50?"
series = "scfi"
freq = "week"
target = "2020-W50"
settlement = "SSE"
contract = { type = "binary", strike = "greater", k = 2000 }

[[market]]
id = "la"
question = "LA over 900k?"
series = "la_teu"
horizon = 1
settlement = "POLA"
contract = { type = "binary", strike = "greater", k = 900000 }
"#,
    )
    .unwrap();
    let r = freight::landed_cost(
        &bundled(),
        &forecast_paths(2000),
        &example(),
        &markets,
        as_of("2020-12-31"),
    )
    .unwrap();
    let ids: Vec<&str> = r.hedges.iter().map(|h| h.market.as_str()).collect();
    assert_eq!(ids, ["up", "not-up"]);
    let (up, down) = (&r.hedges[0], &r.hedges[1]);
    assert_eq!(up.contract, "scfi 2021-W04 ≥ 3061.33");
    assert!((up.fair + down.fair - 1.0).abs() < 1e-12);
    assert_eq!(up.hedge.side.as_str(), "yes");
    assert_eq!(down.hedge.side.as_str(), "no");
    assert_eq!(up.hedge.contracts, down.hedge.contracts);
    // Prices 0.15 and 0.85 are complements too: the same position, the same hedged cost.
    assert!((up.hedge.std - down.hedge.std).abs() < 1e-9);
    assert!((up.hedge.mean - down.hedge.mean).abs() < 1e-9);
    assert_eq!(r.hedges.iter().filter(|h| h.best).count(), 1);
    // Markets on the composite that cannot hedge say why; others are not mentioned.
    let why = |id: &str| {
        r.skipped
            .iter()
            .find(|(m, _)| m == id)
            .map(|(_, w)| w.as_str())
            .unwrap_or_else(|| panic!("{id} not in {:?}", r.skipped))
    };
    assert!(why("monthly").contains("month grid"), "{}", why("monthly"));
    assert_eq!(
        why("settled"),
        "settled: 2020-W50 is already known (2311.71)"
    );
    assert_eq!(r.skipped.len(), 2, "{:?}", r.skipped);
}

/// `portcast landed-cost ... --format json` → (summary items, hedge rows, stderr).
fn landed_json(args: &[&str]) -> (serde_json::Value, String) {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path())
        .arg("landed-cost")
        .args(args)
        .args(["--format", "json"]));
    assert_eq!(code, 0, "{err}");
    (serde_json::from_str(&out).unwrap(), err)
}

fn item<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    &v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["item"] == name)
        .unwrap_or_else(|| panic!("no item {name}"))["value"]
}

#[test]
fn cli_end_to_end_on_the_example_with_hedges() {
    let shipment = data_dir().join("shipment.example.toml");
    let markets = data_dir().join("markets.example.toml");
    let (v, err) = landed_json(&[
        "--shipment",
        shipment.to_str().unwrap(),
        "--markets",
        markets.to_str().unwrap(),
        "--as-of",
        "2020-12-31",
        "--paths",
        "4000",
    ]);
    // The basis is stated, in the output and in the log.
    assert!(
        err.contains(
            "USWC has too little history (8 prints); composite SCFI scaled by 1659/859.92 = 1.93 \
             from 2017-08-18"
        ),
        "{err}"
    );
    assert_eq!(
        item(&v, "basis"),
        "composite SCFI × 1.93 (USWC 1659 / composite 859.92 on 2017-08-18)"
    );
    assert_eq!(item(&v, "ship_week"), "2021-W05");
    assert_eq!(
        item(&v, "freight"),
        "forecast: 5 weeks after 2020-W53, 4000 paths"
    );
    let q: Vec<f64> = LEVELS
        .iter()
        .map(|p| item(&v, &format!("landed_cost_q{p}")).as_f64().unwrap())
        .collect();
    assert!(q.windows(2).all(|w| w[0] < w[1]), "{q:?}");
    // The cost at the median rate is the median cost (the cost is affine in the rate).
    assert_eq!(
        item(&v, "landed_cost_at_median_rate"),
        item(&v, "landed_cost_q0.5")
    );
    let median_rate = item(&v, "freight_rate_q0.5").as_f64().unwrap();
    assert!(
        (formula(median_rate) - q[2]).abs() < 0.006,
        "{median_rate} → {}",
        q[2]
    );
    let p = item(&v, "p_over_budget").as_f64().unwrap();
    assert!(p > 0.0 && p < 1.0, "{p}");

    // One hedge: the SCFI market; the other markets are on other series.
    let hedges = v["hedge"].as_array().unwrap();
    assert_eq!(hedges.len(), 1, "{hedges:?}");
    let h = &hedges[0];
    assert_eq!(h["market"], "scfi-4w-up-10pct");
    assert_eq!(h["contract"], "scfi 2021-W04 ≥ 3061.33");
    assert_eq!(h["side"], "yes");
    assert_eq!(h["best"], true);
    assert!(h["contracts"].as_i64().unwrap() > 100, "{h}");
    let std = item(&v, "landed_cost_std").as_f64().unwrap();
    assert!(h["std_hedged"].as_f64().unwrap() < std, "{h}");
    assert!(h["risk_reduction"].as_f64().unwrap() > 0.05, "{h}");
    // Bought below its fair price (0.15 < fair), the hedge lowers the mean cost as well.
    assert!(h["fair"].as_f64().unwrap() > 0.15);
    assert!(h["mean_hedged"].as_f64().unwrap() < item(&v, "landed_cost_mean").as_f64().unwrap());

    // The fair price is the one `portcast price` gives on the same forecast (same paths).
    let dir = tempfile::tempdir().unwrap();
    let only_scfi = dir.path().join("scfi.toml");
    let text = std::fs::read_to_string(&markets).unwrap();
    let start = text.find("[[market]]\nid = \"scfi-4w-up-10pct\"").unwrap();
    let end = start + text[start..].find("price = 0.15").unwrap();
    std::fs::write(&only_scfi, &text[start..end]).unwrap();
    let (code, out, err) = run(portcast(dir.path()).args([
        "price",
        "--markets",
        only_scfi.to_str().unwrap(),
        "--as-of",
        "2020-12-31",
        "--paths",
        "4000",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    let fair = header.iter().position(|c| c == "fair_per_payout").unwrap();
    // landed-cost prints its fair price to four decimals; `price` prints it in full.
    let (priced, hedged) = (
        rows[0][fair].parse::<f64>().unwrap(),
        h["fair"].as_f64().unwrap(),
    );
    assert!(
        (priced - hedged).abs() <= 5e-5 + 1e-12,
        "{priced} vs {hedged}"
    );
}

#[test]
fn cli_sections_and_chart() {
    let store = tempfile::tempdir().unwrap();
    let shipment = data_dir().join("shipment.example.toml");
    let charts = store.path().join("charts");
    let (code, out, err) = run(portcast(store.path()).args([
        "landed-cost",
        "--shipment",
        shipment.to_str().unwrap(),
        "--as-of",
        "2020-12-31",
        "--paths",
        "1000",
        "--format",
        "csv",
        "--chart-dir",
        charts.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(header, ["item", "value", "unit"]);
    let p_over: f64 = rows.iter().find(|r| r[0] == "p_over_budget").unwrap()[1]
        .parse()
        .unwrap();
    // The chart's strike is the budget, marked at P(cost ≤ budget).
    assert!(charts.join("landed_cost.png").is_file());
    let (header, rows) =
        csv_rows(&std::fs::read_to_string(charts.join("landed_cost.csv")).unwrap());
    assert_eq!(header[2], "x_usd");
    let strike = rows.iter().find(|r| r[0] == "strike").unwrap();
    assert_eq!(strike[1], "budget 13.5 USD");
    assert_eq!(strike[2], "13.5");
    assert!((strike[3].parse::<f64>().unwrap() - (1.0 - p_over)).abs() < 1e-9);

    // CSV holds one table.
    let (code, _, err) = run(portcast(store.path()).args([
        "landed-cost",
        "--shipment",
        shipment.to_str().unwrap(),
        "--format",
        "csv",
        "--section",
        "all",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("choose --section summary|hedge"), "{err}");
}

fn refused(store: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, err) = run(portcast(store).arg("landed-cost").args(args));
    assert!(out.is_empty(), "{out}");
    (code, err)
}

#[test]
fn malformed_shipment_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, from: &str, to: &str| {
        let text = example_text();
        assert!(text.contains(from), "{from}");
        let path = dir.path().join(name);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        path.to_str().unwrap().to_string()
    };
    // A typo in a key: exit 2, the file, line and column, and the keys expected.
    let typo = write("typo.toml", "quantity = 2400", "qty = 2400");
    let (code, err) = refused(dir.path(), &["--shipment", &typo]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("typo.toml: line 31, column 1: unknown field `qty`"),
        "{err}"
    );
    // A number out of range: the line and column of its value.
    let rate = write("rate.toml", "rate = 0.003 ", "rate = 1.003 ");
    let (code, err) = refused(dir.path(), &["--shipment", &rate]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 50, column 8: insurance.rate must be a fraction in [0, 1), got 1.003"),
        "{err}"
    );
    // Broken TOML.
    let syntax = write("syntax.toml", "[packing]", "[packing");
    let (code, err) = refused(dir.path(), &["--shipment", &syntax]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("syntax.toml: line 35, column"), "{err}");
    // A date that is not one.
    let date = write(
        "date.toml",
        "ship_date = 2021-02-05",
        "ship_date = \"5 Feb 2021\"",
    );
    let (code, err) = refused(dir.path(), &["--shipment", &date]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 15, column 13") && err.contains("is not a date"),
        "{err}"
    );
    // No such file; no shipment at all.
    let (code, err) = refused(dir.path(), &["--shipment", "/nonexistent/s.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read shipment file /nonexistent/s.toml"),
        "{err}"
    );
    let (code, err) = refused(dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("give --shipment FILE or set shipment_file"),
        "{err}"
    );
    // The config's shipment_file (relative to the config) is part of the config: exit 4.
    std::fs::write(
        dir.path().join("portcast.toml"),
        "shipment_file = \"typo.toml\"\n",
    )
    .unwrap();
    let config = dir.path().join("portcast.toml");
    let (code, err) = refused(dir.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("shipment_file: shipment file") && err.contains("line 31"),
        "{err}"
    );
}

#[test]
fn the_config_names_the_shipment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        data_dir().join("shipment.example.toml"),
        dir.path().join("lamps.toml"),
    )
    .unwrap();
    let config = dir.path().join("portcast.toml");
    std::fs::write(&config, "shipment_file = \"lamps.toml\"\n").unwrap();
    let (code, out, err) = run(portcast(dir.path()).args([
        "--config",
        config.to_str().unwrap(),
        "landed-cost",
        "--as-of",
        "2020-12-04",
        "--paths",
        "200",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert!(
        rows.iter()
            .any(|r| r[0] == "ship_week" && r[1] == "2021-W05")
    );
    assert!(
        rows.iter()
            .any(|r| r[0] == "freight" && r[1] == "forecast: 9 weeks after 2020-W49, 200 paths"),
        "{rows:?}"
    );
}
