//! The report layer end to end through its public API, the way `portcast run` uses it: lock,
//! dated output directory, every chart kind with its CSV, the index page, commit. The numbers
//! are SYNTHETIC (smooth formulas, no randomness) and the page and every chart say so; they
//! exercise layout, not analysis.
//!
//! `PORTCAST_DEMO_REPORT_OUT=DIR cargo test demo_report` keeps the demo in `DIR/<date>/` with
//! `DIR/latest` pointing at it, for a look or for `.ci/browser-check.sh DIR/latest/index.html`.

use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use portcast::fsutil::RunLock;
use portcast::output::{Cell, Table};
use portcast::report::chart::*;
use portcast::report::html::{
    Page, RunState, Section, SourceRow, SourceState, TableBlock, relative_href,
};
use portcast::report::rundir::{LATEST, OutputDir};
use portcast::report::{csv, html, write_chart};

const SOURCE: &str =
    "Source: SYNTHETIC demo numbers (not real data) drawn by portcast's report tests";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn months(from: NaiveDate, n: usize) -> Vec<NaiveDate> {
    (0..n).map(|i| from + Months::new(i as u32)).collect()
}

fn labels(title: &str, x: Axis, y: Axis) -> Labels {
    Labels::new(format!("{title} (synthetic)"), x, y, SOURCE)
}

/// A smooth synthetic monthly path around 4.3M TEU with a seasonal dip and a trend.
fn teu(i: usize) -> f64 {
    let t = i as f64;
    4.05e6 + 9.0e3 * t + 1.4e5 * (t * std::f64::consts::TAU / 12.0 + 0.8).sin()
}

fn demo_page(dir: &Path, as_of: NaiveDate) -> Page {
    let mut sections = Vec::new();

    // Forecasts.
    let hist_months = months(d(2021, 1, 1), 36);
    let history: Vec<(NaiveDate, f64)> = hist_months
        .iter()
        .enumerate()
        .map(|(i, &m)| (m, teu(i)))
        .collect();
    let official: Vec<(NaiveDate, f64)> = history
        .iter()
        .map(|&(m, v)| (m, (v / 1e4).round() * 1e4))
        .collect();
    let forecast: Vec<FanStep> = months(d(2024, 1, 1), 6)
        .into_iter()
        .enumerate()
        .map(|(h, m)| {
            let mid = teu(36 + h);
            let s = 7.0e4 * (1.0 + h as f64).sqrt();
            FanStep::from_quantiles(
                m,
                [-1.96, -1.2816, -0.6745, 0.0, 0.6745, 1.2816, 1.96].map(|z| mid + z * s),
            )
        })
        .collect();
    let fan = FanChart {
        labels: labels(
            "Shanghai container throughput: history and 6-month forecast",
            Axis::new("month", ""),
            Axis::new("monthly throughput", "TEU"),
        ),
        history,
        official: official.clone(),
        forecast,
        as_of: Some(as_of),
    };
    sections.push(Section {
        title: "Forecasts".into(),
        paragraphs: vec![
            "Median and 50/80/95% central intervals; points are official prints.".into(),
        ],
        figures: vec![
            write_chart(
                dir,
                "forecast_shanghai_teu",
                &fan,
                "Shanghai TEU forecast fan",
            )
            .unwrap(),
        ],
        tables: vec![],
    });

    // Lead-lag.
    let ccf = CcfChart {
        labels: labels(
            "PMI new export orders vs Shanghai TEU: cross-correlation (YoY log growth)",
            Axis::new("lag, + means PMI leads", "months"),
            Axis::new("correlation", ""),
        ),
        bars: (-12..=12)
            .map(|k: i64| {
                let kf = k as f64;
                CcfBar {
                    lag: k,
                    r: 0.48 * (-(kf - 1.0).powi(2) / 6.0).exp() - 0.06 * (kf * 0.9).cos(),
                    band_low: -0.28 - 0.004 * kf.abs(),
                    band_high: 0.28 + 0.004 * kf.abs(),
                }
            })
            .collect(),
        best_lag: Some(1),
        band_label: "95% band of no correlation (pre-whitened)".into(),
    };
    let rolling = LineChart {
        labels: labels(
            "Best lag over a rolling 36-month window",
            Axis::new("window end", ""),
            Axis::new("best lag", "months"),
        ),
        series: vec![Series::new(
            "best lag (PMI new export orders → Shanghai TEU)",
            months(d(2018, 1, 1), 72)
                .into_iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        m,
                        if i < 20 {
                            1.0
                        } else if i < 41 {
                            2.0
                        } else if i < 50 {
                            f64::NAN
                        } else {
                            1.0
                        },
                    )
                })
                .collect(),
            SeriesStyle::Step,
        )],
        ref_lines: vec![],
        integer_y: true,
    };
    sections.push(Section {
        title: "Lead-lag".into(),
        paragraphs: vec!["Bars outside the shaded band are correlations unlikely under no relation; the gap in the rolling chart is a window with too few pairs.".into()],
        figures: vec![
            write_chart(dir, "ccf_pmi_neo_shanghai", &ccf, "Cross-correlation by lag").unwrap(),
            write_chart(dir, "rolling_lag_pmi_neo_shanghai", &rolling, "Stability of the best lag").unwrap(),
        ],
        tables: vec![],
    });

    // Markets.
    let samples: Vec<f64> = (1..2000)
        .map(|i| {
            // Deterministic quasi-normal draws: inverse-CDF of evenly spaced probabilities.
            let p = i as f64 / 2000.0;
            4.38e6 + 1.1e5 * (p / (1.0 - p)).ln() * 0.55
        })
        .collect();
    let at_most =
        |k: f64| samples.iter().filter(|&&x| x <= k).count() as f64 / samples.len() as f64;
    let cdf = CdfChart {
        labels: labels(
            "Shanghai TEU, Nov 2024: predictive distribution",
            Axis::new("monthly throughput", "TEU"),
            Axis::new("P(throughput ≤ x)", ""),
        ),
        curve: empirical_cdf(&samples, 200),
        curve_label: "model: P(TEU ≤ x)".into(),
        strikes: vec![
            Strike {
                label: "4.3M".into(),
                value: 4.3e6,
                model: Some(at_most(4.3e6)),
                market: Some(0.45),
            },
            Strike {
                label: "4.5M".into(),
                value: 4.5e6,
                model: Some(at_most(4.5e6)),
                market: Some(0.74),
            },
        ],
    };
    let buckets = BucketChart {
        labels: labels(
            "Shanghai TEU, Nov 2024: bucket probabilities",
            Axis::new("bucket", "TEU"),
            Axis::new("probability", ""),
        ),
        buckets: [
            ("< 4.0M", 0.02, 0.05),
            ("4.0–4.2M", 0.10, 0.12),
            ("4.2–4.4M", 0.38, 0.33),
            ("4.4–4.6M", 0.39, 0.36),
            ("> 4.6M", 0.11, 0.17),
        ]
        .into_iter()
        .map(|(l, m, p)| Bucket {
            label: l.into(),
            model: m,
            market: Some(p),
        })
        .collect(),
    };
    sections.push(Section {
        title: "Market charts".into(),
        paragraphs: vec![],
        figures: vec![
            write_chart(
                dir,
                "market_shanghai_nov_cdf",
                &cdf,
                "Predictive CDF with strikes and market prices",
            )
            .unwrap(),
            write_chart(
                dir,
                "market_shanghai_nov_buckets",
                &buckets,
                "Bucket probabilities against market prices",
            )
            .unwrap(),
        ],
        tables: vec![],
    });

    // Nowcast.
    let now_months = months(d(2023, 1, 1), 12);
    let nowcast = LineChart {
        labels: labels(
            "Nowcast of official Shanghai TEU from daily vessel calls",
            Axis::new("month", ""),
            Axis::new("monthly throughput", "TEU"),
        ),
        series: vec![
            Series::new(
                "nowcast",
                now_months
                    .iter()
                    .enumerate()
                    .map(|(i, &m)| (m, teu(24 + i) + 3.0e4 * (i as f64).cos()))
                    .collect(),
                SeriesStyle::Line,
            )
            .with_band(
                "nowcast 80% interval",
                now_months
                    .iter()
                    .enumerate()
                    .map(|(i, &m)| (m, teu(24 + i) - 9.0e4, teu(24 + i) + 9.0e4))
                    .collect(),
            ),
            Series::new(
                "official print",
                official[24..34].to_vec(),
                SeriesStyle::Markers,
            ),
        ],
        ref_lines: vec![RefLine {
            label: "4.3M".into(),
            value: 4.3e6,
        }],
        integer_y: false,
    };
    sections.push(Section {
        title: "Nowcast".into(),
        paragraphs: vec![],
        figures: vec![
            write_chart(
                dir,
                "nowcast_shanghai_teu",
                &nowcast,
                "Nowcast against the official prints",
            )
            .unwrap(),
        ],
        tables: vec![],
    });

    // Backtest.
    let reliability = ReliabilityChart {
        labels: labels(
            "Reliability of binary forecasts",
            Axis::new("predicted probability", ""),
            Axis::new("observed frequency", ""),
        ),
        bins: [
            (0.08, 0.0, 0.0, 0.35, 7),
            (0.27, 0.33, 0.12, 0.65, 9),
            (0.52, 0.45, 0.21, 0.72, 11),
            (0.71, 0.8, 0.49, 0.94, 10),
            (0.9, 1.0, 0.65, 1.0, 6),
        ]
        .into_iter()
        .map(|(p, o, lo, hi, n)| ReliabilityPoint {
            predicted: p,
            observed: o,
            low: lo,
            high: hi,
            count: n,
        })
        .collect(),
        interval_label: "95% Wilson interval".into(),
    };
    let mut total = 0.0;
    let pnl = PnlChart {
        labels: labels(
            "Cumulative P&L after fees, model vs market",
            Axis::new("settlement date", ""),
            Axis::new("P&L per contract", "USD"),
        ),
        cumulative: months(d(2022, 2, 20), 30)
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                total += 0.06 + 0.22 * ((i as f64) * 1.3).sin();
                (m, total)
            })
            .collect(),
    };
    let skill = SkillChart {
        labels: labels(
            "Brier skill by market, against climatology",
            Axis::new(
                "Brier skill score (1 = perfect, 0 = reference, < 0 worse)",
                "",
            ),
            Axis::new("market", ""),
        ),
        bars: [
            ("shanghai-teu-above-4.3m", 0.21),
            ("shanghai-teu-above-4.5m", 0.08),
            ("la-teu-buckets", -0.12),
            ("scfi-above-2000", -1.7),
            ("pmi-neo-above-50", 0.33),
        ]
        .into_iter()
        .map(|(m, s)| SkillBar {
            market: m.into(),
            skill: s,
            n: Some(24),
        })
        .collect(),
    };
    let mut summary = Table::new(["metric", "value"]);
    summary.push(vec!["Brier score".into(), Cell::Num(0.187)]);
    summary.push(vec!["trades".into(), Cell::Int(30)]);
    csv::write_table(&dir.join("backtest_summary.csv"), &summary).unwrap();
    sections.push(Section {
        title: "Backtest".into(),
        paragraphs: vec![],
        figures: vec![
            write_chart(
                dir,
                "backtest_reliability",
                &reliability,
                "Reliability diagram",
            )
            .unwrap(),
            write_chart(
                dir,
                "backtest_pnl",
                &pnl,
                "Cumulative P&L after fees, drawdowns shaded",
            )
            .unwrap(),
            write_chart(dir, "backtest_skill", &skill, "Brier skill by market").unwrap(),
        ],
        tables: vec![TableBlock {
            caption: "Backtest summary (synthetic)".into(),
            table: summary,
            csv: Some("backtest_summary.csv".into()),
        }],
    });

    let mut markets = Table::new([
        "market",
        "contract",
        "fair_price",
        "price",
        "edge_after_fees",
        "kelly_fraction",
    ]);
    for (m, c, f, p, e, k) in [
        (
            "shanghai-teu-2024-11-above-4.3m",
            "binary: TEU > 4,300,000",
            0.69,
            0.55,
            0.122,
            0.31,
        ),
        (
            "shanghai-teu-2024-11-buckets",
            "bucket set (5)",
            1.0,
            1.03,
            -0.03,
            0.0,
        ),
        (
            "la-teu-2024-12-scalar",
            "scalar 800k–1M",
            0.4123,
            0.45,
            -0.0512,
            0.0,
        ),
    ] {
        markets.push(vec![
            m.into(),
            c.into(),
            Cell::Num(f),
            Cell::Num(p),
            Cell::Num(e),
            Cell::Num(k),
        ]);
    }
    csv::write_table(&dir.join("markets.csv"), &markets).unwrap();

    Page {
        title: "portcast report".into(),
        as_of: as_of.to_string(),
        generated: Some("demo".into()),
        notice: Some("SYNTHETIC DATA: this page demonstrates the report layout with made-up numbers. Nothing on it is a real figure or forecast.".into()),
        stale: vec![],
        state: RunState::Degraded,
        status_message: "SCFI could not be fetched (HTTP 503); the report uses stored SCFI prints up to 2024-11-22.".into(),
        sources: vec![
            SourceRow { source: "IMF PortWatch (synthetic row)".into(), state: SourceState::Ok, detail: "14 new daily figures".into(), latest_period: Some("2024-11-24".into()), known_at: Some("2024-11-26".into()), freshness: Some("fresh".into()) },
            SourceRow { source: "NBS PMI via DBnomics (synthetic row)".into(), state: SourceState::Ok, detail: "nothing new due".into(), latest_period: Some("2024-10".into()), known_at: Some("2024-10-31".into()), freshness: Some("fresh".into()) },
            SourceRow { source: "SCFI (synthetic row)".into(), state: SourceState::Failed, detail: "HTTP 503 after 3 attempts".into(), latest_period: Some("2024-11-22".into()), known_at: Some("2024-11-22".into()), freshness: Some("fresh".into()) },
            SourceRow { source: "Port of Los Angeles (synthetic row)".into(), state: SourceState::Skipped, detail: "not due until 2024-12-15".into(), latest_period: Some("2024-10".into()), known_at: Some("2024-11-20".into()), freshness: Some("fresh".into()) },
        ],
        markets: Some(TableBlock { caption: "Fair prices and edges (synthetic)".into(), table: markets, csv: Some("markets.csv".into()) }),
        sections,
        files: vec![("Markets (CSV)".into(), "markets.csv".into())],
        footer: vec!["Synthetic demonstration page generated by tests/report.rs.".into()],
    }
}

/// Every `src="…"` / `href="…"` value in the page that names a file.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            let v = &rest[..rest.find('"').unwrap()];
            if !v.starts_with('#') && !v.starts_with("data:") {
                out.push(v.to_string());
            }
        }
    }
    out
}

fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}

#[test]
fn demo_report() {
    let keep = std::env::var_os("PORTCAST_DEMO_REPORT_OUT").map(PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let out = keep.clone().unwrap_or_else(|| tmp.path().join("reports"));
    let state = tmp.path().join("state");
    let as_of = d(2023, 12, 31);

    let lock = RunLock::acquire(&state).unwrap();
    let report = OutputDir::create(&out, as_of).unwrap();
    let page = demo_page(report.path(), as_of);
    html::write(&report.path().join("index.html"), &page).unwrap();
    let committed = report.commit().unwrap();
    drop(lock);

    assert_eq!(committed.dir, out.join("2023-12-31"));
    let index = out.join(LATEST).join("index.html");
    let text = std::fs::read_to_string(&index).unwrap();
    assert!(text.contains("SYNTHETIC DATA"));
    assert!(text.contains("Run status: Degraded"));
    let links = links(&text);
    let pngs: Vec<&String> = links.iter().filter(|l| l.ends_with(".png")).collect();
    assert_eq!(pngs.len(), 2 * 9, "nine figures, each image and its link");
    for l in &links {
        assert_eq!(
            relative_href(l).unwrap(),
            *l,
            "links are relative and encoded"
        );
        let path = out.join(LATEST).join(l);
        assert!(path.is_file(), "{l} is in the report");
        if l.ends_with(".png") {
            let (w, h) = png_size(&path);
            assert_eq!(w, 1200, "{l}");
            assert!(h >= 700, "{l}");
        }
        if l.ends_with(".csv") {
            let csv_text = std::fs::read_to_string(&path).unwrap();
            assert!(csv_text.lines().count() >= 2, "{l}: header and rows");
        }
    }
    // Units in the chart CSVs' headers.
    let fan_csv =
        std::fs::read_to_string(out.join(LATEST).join("forecast_shanghai_teu.csv")).unwrap();
    assert!(
        fan_csv.starts_with("date,history_teu,official_teu,q025_teu,"),
        "{fan_csv}"
    );
    // Nothing but the report and `latest` in the output directory.
    if keep.is_none() {
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["2023-12-31", "latest"]);
    }
}
