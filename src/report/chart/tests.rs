//! Chart tests: every kind draws a valid PNG of the promised size with its text rendered, and
//! empty or NaN-riddled input gives a "no data" chart rather than an error or a panic. The
//! values are synthetic (shapes only); the report test in `tests/report.rs` draws a full demo.

use super::scale::date_ticks;
use super::*;
use crate::output::Cell;
use chrono::{Datelike, NaiveDate};

pub(crate) fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG image data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Share of pixels in rows `y0..y1` that are clearly not white.
fn ink(rgb: &[u8], width: u32, y0: u32, y1: u32) -> f64 {
    let row = width as usize * 3;
    let px = &rgb[y0 as usize * row..y1 as usize * row];
    let dark = px.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    dark as f64 / (px.len() / 3) as f64
}

fn d(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

fn labels(title: &str, x: Axis, y: Axis) -> Labels {
    Labels::new(title, x, y, "Source: synthetic test data")
}

fn months(from: NaiveDate, n: usize) -> Vec<NaiveDate> {
    (0..n)
        .map(|i| {
            from.checked_add_months(chrono::Months::new(i as u32))
                .unwrap()
        })
        .collect()
}

fn fan() -> FanChart {
    let hist: Vec<(NaiveDate, f64)> = months(d(2021, 1), 36)
        .into_iter()
        .enumerate()
        .map(|(i, dt)| {
            (
                dt,
                4.0e6 + 1.5e4 * i as f64 + 1.2e5 * ((i as f64) * 0.52).sin(),
            )
        })
        .collect();
    let official = hist.iter().step_by(3).copied().collect();
    let forecast = months(d(2024, 1), 6)
        .into_iter()
        .enumerate()
        .map(|(h, dt)| {
            let m = 4.55e6;
            let s = 6.0e4 * (1.0 + h as f64).sqrt();
            FanStep::from_quantiles(
                dt,
                [-1.96, -1.28, -0.67, 0.0, 0.67, 1.28, 1.96].map(|z| m + z * s),
            )
        })
        .collect();
    FanChart {
        labels: labels(
            "Shanghai container throughput: history and forecast",
            Axis::new("month", ""),
            Axis::new("throughput", "TEU"),
        ),
        history: hist,
        official,
        forecast,
        as_of: Some(NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()),
    }
}

fn all_kinds() -> Vec<(&'static str, Box<dyn Chart>)> {
    let ccf = CcfChart {
        labels: labels(
            "CCF",
            Axis::new("lag", "months"),
            Axis::new("correlation", ""),
        ),
        bars: (-12..=12)
            .map(|k| CcfBar {
                lag: k,
                r: 0.5 * (-(k as f64 - 2.0).powi(2) / 8.0).exp() - 0.05,
                band_low: -0.2,
                band_high: 0.2,
            })
            .collect(),
        best_lag: Some(2),
        band_label: "95% band".into(),
    };
    let lines = LineChart {
        labels: labels(
            "Nowcast",
            Axis::new("month", ""),
            Axis::new("throughput", "TEU"),
        ),
        series: vec![
            Series::new(
                "nowcast",
                months(d(2023, 1), 12)
                    .into_iter()
                    .map(|m| (m, 4.3e6))
                    .collect(),
                SeriesStyle::Line,
            )
            .with_band(
                "80% interval",
                months(d(2023, 1), 12)
                    .into_iter()
                    .map(|m| (m, 4.2e6, 4.4e6))
                    .collect(),
            ),
            Series::new(
                "official",
                months(d(2023, 1), 10)
                    .into_iter()
                    .map(|m| (m, 4.25e6))
                    .collect(),
                SeriesStyle::Markers,
            ),
        ],
        ref_lines: vec![RefLine {
            label: "4.3M strike".into(),
            value: 4.3e6,
        }],
        integer_y: false,
    };
    let cdf = CdfChart {
        labels: labels(
            "CDF",
            Axis::new("throughput", "TEU"),
            Axis::new("probability", ""),
        ),
        curve: (0..=50)
            .map(|i| (4.0e6 + i as f64 * 1.0e4, i as f64 / 50.0))
            .collect(),
        curve_label: "P(X ≤ x)".into(),
        strikes: vec![Strike {
            label: "4.3M".into(),
            value: 4.3e6,
            model: Some(0.6),
            market: Some(0.5),
        }],
    };
    let buckets = BucketChart {
        labels: labels(
            "Buckets",
            Axis::new("bucket", "TEU"),
            Axis::new("probability", ""),
        ),
        buckets: ["< 4.2M", "4.2–4.4M", "> 4.4M"]
            .iter()
            .zip([0.2, 0.5, 0.3])
            .map(|(l, p)| Bucket {
                label: l.to_string(),
                model: p,
                market: Some(p + 0.05),
            })
            .collect(),
    };
    let rel = ReliabilityChart {
        labels: labels(
            "Reliability",
            Axis::new("predicted", ""),
            Axis::new("observed", ""),
        ),
        bins: (0..5)
            .map(|i| {
                let p = 0.1 + 0.2 * i as f64;
                ReliabilityPoint {
                    predicted: p,
                    observed: p,
                    low: (p - 0.2).max(0.0),
                    high: (p + 0.2).min(1.0),
                    count: 10,
                }
            })
            .collect(),
        interval_label: "95% Wilson interval".into(),
    };
    let pnl = PnlChart {
        labels: labels("P&L", Axis::new("settlement", ""), Axis::new("P&L", "USD")),
        cumulative: months(d(2022, 1), 24)
            .into_iter()
            .enumerate()
            .map(|(i, m)| (m, (i as f64 * 0.7).sin() * 3.0 + i as f64 * 0.2))
            .collect(),
    };
    let skill = SkillChart {
        labels: labels(
            "Skill",
            Axis::new("Brier skill score", ""),
            Axis::new("market", ""),
        ),
        bars: vec![
            SkillBar {
                market: "a".into(),
                skill: 0.2,
                n: Some(20),
            },
            SkillBar {
                market: "b".into(),
                skill: -0.3,
                n: Some(20),
            },
            SkillBar {
                market: "c".into(),
                skill: -4.0,
                n: None,
            },
        ],
    };
    vec![
        ("fan", Box::new(fan())),
        ("ccf", Box::new(ccf)),
        ("lines", Box::new(lines)),
        ("cdf", Box::new(cdf)),
        ("buckets", Box::new(buckets)),
        ("reliability", Box::new(rel)),
        ("pnl", Box::new(pnl)),
        ("skill", Box::new(skill)),
    ]
}

fn empty_kinds() -> Vec<(&'static str, Box<dyn Chart>)> {
    let l = || labels("Nothing", Axis::new("x", "u"), Axis::new("y", "v"));
    vec![
        (
            "fan",
            Box::new(FanChart {
                labels: l(),
                ..FanChart::default()
            }),
        ),
        (
            "ccf",
            Box::new(CcfChart {
                labels: l(),
                ..CcfChart::default()
            }),
        ),
        (
            "lines",
            Box::new(LineChart {
                labels: l(),
                ..LineChart::default()
            }),
        ),
        (
            "cdf",
            Box::new(CdfChart {
                labels: l(),
                ..CdfChart::default()
            }),
        ),
        (
            "buckets",
            Box::new(BucketChart {
                labels: l(),
                ..BucketChart::default()
            }),
        ),
        (
            "reliability",
            Box::new(ReliabilityChart {
                labels: l(),
                ..ReliabilityChart::default()
            }),
        ),
        (
            "pnl",
            Box::new(PnlChart {
                labels: l(),
                ..PnlChart::default()
            }),
        ),
        (
            "skill",
            Box::new(SkillChart {
                labels: l(),
                ..SkillChart::default()
            }),
        ),
    ]
}

fn nan_kinds() -> Vec<(&'static str, Box<dyn Chart>)> {
    let l = || labels("All NaN", Axis::new("x", "u"), Axis::new("y", "v"));
    let nan = f64::NAN;
    let dates = months(d(2023, 1), 4);
    vec![
        (
            "fan",
            Box::new(FanChart {
                labels: l(),
                history: dates.iter().map(|&m| (m, nan)).collect(),
                official: vec![(d(2023, 1), f64::INFINITY)],
                forecast: vec![FanStep::from_quantiles(d(2023, 6), [nan; 7])],
                as_of: None,
            }),
        ),
        (
            "ccf",
            Box::new(CcfChart {
                labels: l(),
                bars: vec![CcfBar {
                    lag: 0,
                    r: nan,
                    band_low: nan,
                    band_high: nan,
                }],
                best_lag: Some(0),
                band_label: String::new(),
            }),
        ),
        (
            "lines",
            Box::new(LineChart {
                labels: l(),
                series: vec![Series::new(
                    "s",
                    dates.iter().map(|&m| (m, nan)).collect(),
                    SeriesStyle::Step,
                )],
                ref_lines: vec![RefLine {
                    label: "r".into(),
                    value: nan,
                }],
                integer_y: true,
            }),
        ),
        (
            "cdf",
            Box::new(CdfChart {
                labels: l(),
                curve: vec![(nan, 0.5), (1.0, nan)],
                curve_label: String::new(),
                strikes: vec![Strike {
                    label: "k".into(),
                    value: nan,
                    model: Some(nan),
                    market: Some(nan),
                }],
            }),
        ),
        (
            "buckets",
            Box::new(BucketChart {
                labels: l(),
                buckets: vec![Bucket {
                    label: "b".into(),
                    model: nan,
                    market: Some(nan),
                }],
            }),
        ),
        (
            "reliability",
            Box::new(ReliabilityChart {
                labels: l(),
                bins: vec![ReliabilityPoint {
                    predicted: nan,
                    observed: 0.5,
                    low: nan,
                    high: nan,
                    count: 0,
                }],
                interval_label: String::new(),
            }),
        ),
        (
            "pnl",
            Box::new(PnlChart {
                labels: l(),
                cumulative: dates.iter().map(|&m| (m, nan)).collect(),
            }),
        ),
        (
            "skill",
            Box::new(SkillChart {
                labels: l(),
                bars: vec![SkillBar {
                    market: "m".into(),
                    skill: nan,
                    n: None,
                }],
            }),
        ),
    ]
}

fn check_png(name: &str, chart: &dyn Chart, min_plot_ink: f64) {
    let bytes = chart.png().unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}: PNG signature");
    let (w, h, rgb) = decode(&bytes);
    assert_eq!(w, SIZE.0, "{name}");
    assert!(h >= SIZE.1, "{name}");
    // The title band holds rendered text: the font was registered and used.
    let title_ink = ink(&rgb, w, 0, 54);
    assert!(title_ink > 0.001, "{name}: title ink {title_ink}");
    // The source line at the bottom too.
    let source_ink = ink(&rgb, w, h - 34, h);
    assert!(source_ink > 0.002, "{name}: source ink {source_ink}");
    let plot_ink = ink(&rgb, w, 54, h - 34);
    assert!(plot_ink > min_plot_ink, "{name}: plot ink {plot_ink}");
}

#[test]
fn the_font_registers_once() {
    ensure_font().unwrap();
    ensure_font().unwrap();
    // The failure it prevents: text in a family nobody registered is a drawing error (not a
    // panic, and not silently blank text).
    let mut buf = vec![255u8; 200 * 50 * 3];
    let root = BitMapBackend::with_buffer(&mut buf, (200, 50)).into_drawing_area();
    let style = TextStyle::from(("no-such-family", 20).into_font());
    assert!(root.draw_text("x", &style, (5, 5)).is_err());
    assert!(root.draw_text("x", &font(20), (5, 5)).is_ok());
}

#[test]
fn every_kind_draws_a_valid_png_with_text() {
    // PORTCAST_CHART_DUMP=dir keeps the PNGs for a look.
    let dump = std::env::var_os("PORTCAST_CHART_DUMP").map(std::path::PathBuf::from);
    for (name, chart) in all_kinds() {
        check_png(name, chart.as_ref(), 0.01);
        if let Some(dir) = &dump {
            chart.write_png(&dir.join(format!("{name}.png"))).unwrap();
        }
    }
    if let Some(dir) = &dump {
        for (name, chart) in nan_kinds() {
            chart
                .write_png(&dir.join(format!("nan-{name}.png")))
                .unwrap();
        }
    }
}

#[test]
fn empty_input_draws_a_no_data_chart() {
    for (name, chart) in empty_kinds() {
        check_png(name, chart.as_ref(), 0.0005);
        assert!(chart.table().rows.is_empty(), "{name}");
    }
}

#[test]
fn non_finite_input_never_panics() {
    for (name, chart) in nan_kinds() {
        check_png(name, chart.as_ref(), 0.0005);
        // Tables keep the rows, with empty cells for the non-finite values.
        let t = chart.table();
        assert!(!t.rows.is_empty(), "{name}");
    }
}

#[test]
fn single_points_and_flat_values_draw() {
    let one = FanChart {
        labels: labels("One point", Axis::new("m", ""), Axis::new("v", "TEU")),
        history: vec![(d(2024, 1), 4.3e6)],
        ..FanChart::default()
    };
    check_png("one point", &one, 0.003);
    let flat = LineChart {
        labels: labels("Flat", Axis::new("m", ""), Axis::new("lag", "months")),
        series: vec![Series::new(
            "best lag",
            months(d(2020, 1), 40)
                .into_iter()
                .map(|m| (m, 2.0))
                .collect(),
            SeriesStyle::Step,
        )],
        integer_y: true,
        ..LineChart::default()
    };
    check_png("flat", &flat, 0.01);
    let huge = PnlChart {
        labels: labels("Huge", Axis::new("d", ""), Axis::new("P&L", "USD")),
        cumulative: vec![(d(2024, 1), 3e12), (d(2024, 1), -2e12), (d(2024, 2), 1e300)],
    };
    check_png("huge", &huge, 0.005);
}

#[test]
fn a_long_title_still_fits() {
    let mut chart = fan();
    chart.labels.title = "A very long title ".repeat(12);
    chart.labels.source = "Source: ".to_string() + &"a long list of sources; ".repeat(12);
    check_png("long title", &chart, 0.02);
}

#[test]
fn writes_atomically_with_a_readable_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fan.png");
    fan().write_png(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(decode(&bytes).0, SIZE.0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary left"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }
    let err = fan()
        .write_png(Path::new("/nonexistent-dir/fan.png"))
        .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent-dir/fan.png"),
        "{err}"
    );
}

#[test]
fn tick_labels_read_like_people_write_them() {
    assert_eq!(format_tick(4.3e6, 1e5, 4.6e6), "4.3M");
    assert_eq!(format_tick(4.25e6, 5e4, 4.6e6), "4.25M");
    assert_eq!(format_tick(4.2e6, 5e4, 4.6e6), "4.20M");
    assert_eq!(format_tick(0.0, 5e4, 4.6e6), "0");
    assert_eq!(format_tick(850_000.0, 50_000.0, 1.0e6), "0.85M");
    assert_eq!(format_tick(25_000.0, 5_000.0, 40_000.0), "25k");
    assert_eq!(format_tick(0.3, 0.1, 1.0), "0.3");
    assert_eq!(format_tick(-0.25, 0.25, 1.0), "-0.25");
    assert_eq!(format_tick(1500.0, 500.0, 3000.0), "1500");
    assert_eq!(format_tick(2.5e9, 5e8, 3e9), "2.5B");
    assert_eq!(format_short(4_312_345.0), "4.31M");
    assert_eq!(format_short(0.6234), "0.623");
    assert_eq!(format_short(-12.5), "-12.5");
    assert_eq!(format_short(120_000.0), "120k");
    assert_eq!(format_short(f64::NAN), "n/a");
}

#[test]
fn nice_scales() {
    // Step 0.78M / 7 = 0.11M, rounded up to 0.2M; the axis ends on ticks.
    let s = Scale::linear(3.93e6, 4.71e6, 7);
    assert_eq!(s.ticks, [3.8e6, 4.0e6, 4.2e6, 4.4e6, 4.6e6, 4.8e6]);
    assert_eq!((s.lo, s.hi), (3.8e6, 4.8e6));
    assert_eq!(s.label(4.2e6), "4.2M");
    let s = Scale::linear(0.12, 0.87, 7);
    assert_eq!((s.lo, s.hi), (0.0, 1.0));
    assert_eq!(s.ticks.len(), 6);
    assert_eq!(s.label(0.3), "0.3");
    // A single value gets a range around it.
    let s = Scale::linear(5.0, 5.0, 5);
    assert!(s.lo < 5.0 && s.hi > 5.0);
    let s = Scale::integer(1.6, 2.4, 8);
    assert!(s.ticks.iter().all(|t| t.fract() == 0.0), "{:?}", s.ticks);
    let s = Scale::categories(vec!["a".into(), "b".into()]);
    assert_eq!(
        (s.label(0.0), s.label(1.0), s.label(2.0)),
        ("a".into(), "b".into(), String::new())
    );
}

#[test]
fn date_ticks_on_calendar_boundaries() {
    let (t, f) = date_ticks(d(2015, 3), d(2024, 11), 10);
    assert_eq!(f, "%Y");
    assert_eq!(t.first(), Some(&d(2016, 1)));
    assert!(t.len() <= 10 && t.iter().all(|x| x.month() == 1));
    let (t, f) = date_ticks(d(2023, 1), d(2023, 12), 10);
    assert_eq!(f, "%b %Y");
    assert_eq!(
        t,
        vec![
            d(2023, 1),
            d(2023, 3),
            d(2023, 5),
            d(2023, 7),
            d(2023, 9),
            d(2023, 11)
        ]
    );
    let lo = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let (t, f) = date_ticks(lo, lo + chrono::Duration::days(20), 10);
    assert_eq!(f, "%Y-%m-%d");
    assert_eq!(t.len(), 3, "weekly: {t:?}");
    let scale = Scale::dates(d(2023, 1), d(2023, 12));
    assert_eq!(scale.label(day(d(2023, 3))), "Mar 2023");
}

#[test]
fn tables_carry_units_in_column_names() {
    let t = fan().table();
    assert_eq!(
        t.columns,
        [
            "date",
            "history_teu",
            "official_teu",
            "q025_teu",
            "q10_teu",
            "q25_teu",
            "median_teu",
            "q75_teu",
            "q90_teu",
            "q975_teu"
        ]
    );
    // 36 history months + 6 forecast months, in date order.
    assert_eq!(t.rows.len(), 42);
    assert_eq!(t.rows[0][0], Cell::Str("2021-01-01".into()));
    assert_eq!(
        t.rows[0][2],
        Cell::Num(4.0e6),
        "official print on the first month"
    );
    assert_eq!(
        t.rows[41][1],
        Cell::Null,
        "no history in the forecast months"
    );
    let (_, lines) = &all_kinds()[2];
    assert_eq!(
        lines.table().columns,
        [
            "date",
            "nowcast_teu",
            "nowcast_low_teu",
            "nowcast_high_teu",
            "official_teu"
        ]
    );
}

#[test]
fn alt_text_names_the_axes() {
    assert_eq!(
        fan().alt_text(),
        "Shanghai container throughput: history and forecast: throughput (TEU) against month"
    );
}
