//! Market charts: a predictive CDF with each strike and the market's price marked, and bucket
//! (range) probabilities against the market's prices.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, ChartError, Frame, Labels, Marker, Scale, Swatch, annotate, col, colour, corner_note,
    draw_line, draw_markers, extent, item, num, render, x_span,
};
use crate::output::{Cell, Table};

/// A strike on a CDF chart. `model` and `market` are on the curve's scale: if the curve is
/// P(X ≤ x) and the market pays on "X > K", pass `1 − price` (the caller knows the contract).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Strike {
    /// e.g. "> 4.3M TEU".
    pub label: String,
    pub value: f64,
    /// The model's probability at the strike (drawn on the curve).
    pub model: Option<f64>,
    /// The market's price, as a probability on the curve's scale.
    pub market: Option<f64>,
}

/// A predictive distribution function with strikes and market prices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CdfChart {
    pub labels: Labels,
    /// (x, probability) in increasing x, e.g. from [`empirical_cdf`].
    pub curve: Vec<(f64, f64)>,
    /// Legend text for the curve, e.g. "P(TEU ≤ x), model".
    pub curve_label: String,
    pub strikes: Vec<Strike>,
}

/// The empirical CDF of `samples` as at most `max_points` (x, P(X ≤ x)) points, the x values
/// evenly spaced in rank (so the curve is detailed where the mass is). Non-finite samples are
/// ignored; no finite samples, no points.
pub fn empirical_cdf(samples: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if s.is_empty() || max_points == 0 {
        return Vec::new();
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let k = max_points.min(n).max(2.min(n));
    let mut out: Vec<(f64, f64)> = (0..k)
        .map(|i| {
            let idx = if k == 1 { n - 1 } else { i * (n - 1) / (k - 1) };
            // P(X ≤ s[idx]) counts ties: the last index holding that value.
            let x = s[idx];
            let le = s.partition_point(|v| *v <= x);
            (x, le as f64 / n as f64)
        })
        .collect();
    out.dedup_by(|b, a| a.0 == b.0);
    out
}

impl Chart for CdfChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let curve: Vec<(f64, f64)> = self
            .curve
            .iter()
            .copied()
            .filter(|(x, p)| x.is_finite() && p.is_finite())
            .collect();
        let strikes: Vec<&Strike> = self
            .strikes
            .iter()
            .filter(|s| s.value.is_finite())
            .collect();
        let Some((lo, hi)) = extent(
            curve
                .iter()
                .map(|p| p.0)
                .chain(strikes.iter().map(|s| s.value)),
        ) else {
            return render(
                Frame::empty(&self.labels, "No distribution to plot"),
                |_| Ok(()),
            );
        };
        let x = Scale::linear(lo, hi, 8);
        let mut frame = Frame::new(&self.labels, x, Scale::probability());
        let curve_label = if self.curve_label.is_empty() {
            "model probability"
        } else {
            &self.curve_label
        };
        if !curve.is_empty() {
            frame
                .legend
                .push(item(Swatch::Line(colour::BLUE), curve_label));
        }
        if !strikes.is_empty() {
            frame
                .legend
                .push(item(Swatch::Dashed(colour::INK), "strike"));
        }
        if strikes.iter().any(|s| s.model.is_some_and(f64::is_finite)) {
            frame.legend.push(item(
                Swatch::Point(colour::BLUE, Marker::Circle),
                "model at strike",
            ));
        }
        if strikes.iter().any(|s| s.market.is_some_and(f64::is_finite)) {
            frame.legend.push(item(
                Swatch::Point(colour::VERMILLION, Marker::Diamond),
                "market price",
            ));
        }

        render(frame, |chart| {
            let (x0, _) = x_span(chart);
            draw_line(chart, &curve, colour::BLUE.stroke_width(4), false)?;
            for (i, s) in strikes.iter().enumerate() {
                chart.draw_series(DashedLineSeries::new(
                    [(s.value, 0.0), (s.value, 1.0)],
                    8,
                    6,
                    colour::INK.stroke_width(2),
                ))?;
                if let Some(m) = s.market.filter(|m| m.is_finite()) {
                    let m = m.clamp(0.0, 1.0);
                    chart.draw_series(DashedLineSeries::new(
                        [(x0, m), (s.value, m)],
                        5,
                        5,
                        colour::VERMILLION.stroke_width(2),
                    ))?;
                    draw_markers(
                        chart,
                        &[(s.value, m)],
                        Marker::Diamond,
                        colour::VERMILLION,
                        6,
                    )?;
                }
                if let Some(p) = s.model.filter(|p| p.is_finite()) {
                    draw_markers(
                        chart,
                        &[(s.value, p.clamp(0.0, 1.0))],
                        Marker::Circle,
                        colour::BLUE,
                        6,
                    )?;
                }
                let mut text = s.label.clone();
                if let Some(p) = s.model.filter(|p| p.is_finite()) {
                    text.push_str(&format!("  model {:.2}", p));
                }
                if let Some(m) = s.market.filter(|m| m.is_finite()) {
                    text.push_str(&format!("  market {:.2}", m));
                }
                // Stagger labels of neighbouring strikes so they do not overprint.
                let dy = 6 + 22 * (i as i32 % 3);
                annotate(
                    chart,
                    (s.value, 1.0),
                    6,
                    dy,
                    &text,
                    Pos::new(HPos::Left, VPos::Top),
                    colour::INK,
                )?;
            }
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let unit = &self.labels.x.unit;
        let mut t = Table::new([
            "kind".to_string(),
            "label".to_string(),
            col("x", unit),
            "model_probability".to_string(),
            "market_price".to_string(),
        ]);
        for &(x, p) in &self.curve {
            t.push(vec!["curve".into(), Cell::Null, num(x), num(p), Cell::Null]);
        }
        for s in &self.strikes {
            t.push(vec![
                "strike".into(),
                s.label.clone().into(),
                num(s.value),
                s.model.into(),
                s.market.into(),
            ]);
        }
        t
    }
}

/// One bucket (range) of a bucket market.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bucket {
    /// e.g. "4.2–4.4M".
    pub label: String,
    /// The model's probability that the outcome lands in this bucket.
    pub model: f64,
    /// The market's price for the bucket (a probability).
    pub market: Option<f64>,
}

/// Bucket probabilities as bars, market prices as markers, in the caller's bucket order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketChart {
    pub labels: Labels,
    pub buckets: Vec<Bucket>,
}

impl Chart for BucketChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let any = self
            .buckets
            .iter()
            .any(|b| b.model.is_finite() || b.market.is_some_and(f64::is_finite));
        if !any {
            return render(Frame::empty(&self.labels, "No buckets to plot"), |_| Ok(()));
        }
        let top = extent(
            self.buckets
                .iter()
                .flat_map(|b| [b.model, b.market.unwrap_or(f64::NAN)]),
        )
        .map_or(1.0, |(_, hi)| hi);
        let y = if top > 0.75 {
            Scale::probability()
        } else {
            Scale::linear(0.0, (top * 1.18).max(0.05), 6)
        };
        let x = Scale::categories(self.buckets.iter().map(|b| b.label.clone()).collect());
        let mut frame = Frame::new(&self.labels, x, y);
        frame.x_grid = false;
        frame
            .legend
            .push(item(Swatch::Fill(colour::BLUE), "model probability"));
        if self
            .buckets
            .iter()
            .any(|b| b.market.is_some_and(f64::is_finite))
        {
            frame.legend.push(item(
                Swatch::Point(colour::VERMILLION, Marker::Diamond),
                "market price",
            ));
        }
        let model_sum: f64 = self
            .buckets
            .iter()
            .map(|b| b.model)
            .filter(|v| v.is_finite())
            .sum();
        let prices: Vec<f64> = self
            .buckets
            .iter()
            .filter_map(|b| b.market)
            .filter(|v| v.is_finite())
            .collect();
        let mut note = format!("model probabilities sum to {model_sum:.3}");
        if !prices.is_empty() {
            note.push_str(&format!(
                "; market prices to {:.3}",
                prices.iter().sum::<f64>()
            ));
        }

        render(frame, |chart| {
            let w = 0.32;
            chart.draw_series(
                self.buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.model.is_finite())
                    .map(|(i, b)| {
                        let x = i as f64;
                        Rectangle::new(
                            [(x - w, 0.0), (x + w, b.model.clamp(0.0, 1.0))],
                            colour::BLUE.filled(),
                        )
                    }),
            )?;
            for (i, b) in self.buckets.iter().enumerate() {
                let x = i as f64;
                if b.model.is_finite() {
                    annotate(
                        chart,
                        (x - w, b.model.clamp(0.0, 1.0)),
                        2,
                        -6,
                        &format!("{:.2}", b.model),
                        Pos::new(HPos::Left, VPos::Bottom),
                        colour::BLUE,
                    )?;
                }
                if let Some(m) = b.market.filter(|m| m.is_finite()) {
                    let m = m.clamp(0.0, 1.0);
                    chart.draw_series(LineSeries::new(
                        [(x - w - 0.06, m), (x + w + 0.06, m)],
                        colour::VERMILLION.stroke_width(4),
                    ))?;
                    draw_markers(
                        chart,
                        &[(x + w * 0.55, m)],
                        Marker::Diamond,
                        colour::VERMILLION,
                        6,
                    )?;
                }
            }
            corner_note(chart, &note)?;
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let mut t = Table::new(["bucket", "model_probability", "market_price", "edge"]);
        for b in &self.buckets {
            let edge = b.market.map(|m| b.model - m);
            t.push(vec![
                b.label.clone().into(),
                num(b.model),
                b.market.into(),
                edge.into(),
            ]);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empirical_cdf_counts_ties_and_skips_nan() {
        // Samples 1, 2, 2, 3, NaN: P(X ≤ 1) = 1/4, P(X ≤ 2) = 3/4, P(X ≤ 3) = 1.
        let c = empirical_cdf(&[2.0, f64::NAN, 1.0, 3.0, 2.0], 10);
        assert_eq!(c, vec![(1.0, 0.25), (2.0, 0.75), (3.0, 1.0)]);
        assert!(empirical_cdf(&[f64::NAN], 10).is_empty());
        assert_eq!(empirical_cdf(&[5.0], 10), vec![(5.0, 1.0)]);
        // Thinned to at most 3 points, keeping both ends.
        let many: Vec<f64> = (0..101).map(f64::from).collect();
        let c = empirical_cdf(&many, 3);
        assert_eq!(
            c,
            vec![(0.0, 1.0 / 101.0), (50.0, 51.0 / 101.0), (100.0, 1.0)]
        );
    }

    #[test]
    fn bucket_table_has_edges() {
        let chart = BucketChart {
            labels: Labels::default(),
            buckets: vec![
                Bucket {
                    label: "< 4.2M".into(),
                    model: 0.25,
                    market: Some(0.5),
                },
                Bucket {
                    label: "≥ 4.2M".into(),
                    model: 0.75,
                    market: None,
                },
            ],
        };
        let t = chart.table();
        assert_eq!(t.rows[0][3], Cell::Num(-0.25));
        assert_eq!(t.rows[1][3], Cell::Null);
    }
}
