//! Backtest charts: the reliability diagram (predicted against observed frequency per bin, with
//! Wilson intervals), cumulative P&L after fees with drawdowns shaded, and Brier skill by market
//! (what `crate::analysis::score` computes, as plain numbers).

use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, ChartError, Frame, Labels, Marker, Scale, Swatch, annotate, col, colour, corner_note,
    date_extent, day, draw_line, draw_markers, draw_zero_line, extent, format_short, item, num,
    pad, render, x_span, y_span,
};
use crate::output::{Cell, Table};

/// One bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReliabilityPoint {
    /// Mean predicted probability of the forecasts in the bin.
    pub predicted: f64,
    /// Share of them whose event happened.
    pub observed: f64,
    /// Interval for `observed` (Wilson score interval).
    pub low: f64,
    pub high: f64,
    pub count: usize,
}

/// Reliability diagram: a calibrated forecast lies on the diagonal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReliabilityChart {
    pub labels: Labels,
    pub bins: Vec<ReliabilityPoint>,
    /// Legend text for the whiskers, e.g. "95% Wilson interval".
    pub interval_label: String,
}

impl Chart for ReliabilityChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let bins: Vec<&ReliabilityPoint> = self
            .bins
            .iter()
            .filter(|b| b.predicted.is_finite() && b.observed.is_finite())
            .collect();
        if bins.is_empty() {
            return render(
                Frame::empty(&self.labels, "No resolved forecasts yet"),
                |_| Ok(()),
            );
        }
        let mut frame = Frame::new(&self.labels, Scale::probability(), Scale::probability());
        // A square plot would waste the width; keep the page's 1200×700 and say so by the grid.
        frame.legend = vec![
            item(Swatch::Dashed(colour::GREY), "perfect calibration"),
            item(
                Swatch::Point(colour::BLUE, Marker::Circle),
                "observed frequency (n per bin)",
            ),
            item(
                Swatch::Line(colour::BLUE),
                if self.interval_label.is_empty() {
                    "interval"
                } else {
                    &self.interval_label
                },
            ),
        ];
        render(frame, |chart| {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                10,
                7,
                colour::GREY.stroke_width(2),
            ))?;
            for b in &bins {
                let (x, lo, hi) = (b.predicted.clamp(0.0, 1.0), b.low, b.high);
                if lo.is_finite() && hi.is_finite() {
                    let (lo, hi) = (lo.clamp(0.0, 1.0), hi.clamp(0.0, 1.0));
                    chart.draw_series(LineSeries::new(
                        [(x, lo), (x, hi)],
                        colour::BLUE.stroke_width(2),
                    ))?;
                    for end in [lo, hi] {
                        chart.draw_series(std::iter::once(
                            EmptyElement::at((x, end))
                                + PathElement::new(
                                    vec![(-7, 0), (7, 0)],
                                    colour::BLUE.stroke_width(2),
                                ),
                        ))?;
                    }
                }
            }
            let pts: Vec<(f64, f64)> = bins
                .iter()
                .map(|b| (b.predicted.clamp(0.0, 1.0), b.observed.clamp(0.0, 1.0)))
                .collect();
            draw_markers(chart, &pts, Marker::Circle, colour::BLUE, 7)?;
            for (b, &p) in bins.iter().zip(&pts) {
                annotate(
                    chart,
                    p,
                    10,
                    0,
                    &format!("n={}", b.count),
                    Pos::new(HPos::Left, VPos::Center),
                    colour::INK,
                )?;
            }
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let mut t = Table::new([
            "mean_predicted",
            "observed_frequency",
            "interval_low",
            "interval_high",
            "count",
        ]);
        for b in &self.bins {
            t.push(vec![
                num(b.predicted),
                num(b.observed),
                num(b.low),
                num(b.high),
                b.count.into(),
            ]);
        }
        t
    }
}

/// A stretch during which cumulative P&L stood below its running peak.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drawdown {
    /// Date of the peak the fall started from (the first point if the first trade lost).
    pub start: NaiveDate,
    /// Date the peak was regained, or the last date if it never was.
    pub end: NaiveDate,
    /// Deepest fall below the peak (positive, in P&L units).
    pub depth: f64,
    pub recovered: bool,
}

/// The drawdowns of a cumulative P&L series in date order. The running peak starts at 0 (the
/// equity before the first trade), as in `crate::analysis::score::max_drawdown`, so a losing
/// first trade opens a drawdown. Non-finite points are skipped.
pub fn drawdowns(cumulative: &[(NaiveDate, f64)]) -> Vec<Drawdown> {
    let mut out = Vec::new();
    let mut peak = 0.0_f64;
    let mut peak_date: Option<NaiveDate> = None;
    let mut open: Option<Drawdown> = None;
    let mut last: Option<NaiveDate> = None;
    for &(d, v) in cumulative.iter().filter(|(_, v)| v.is_finite()) {
        last = Some(d);
        if v < peak {
            let fall = peak - v;
            match &mut open {
                Some(dd) => {
                    dd.depth = dd.depth.max(fall);
                    dd.end = d;
                }
                None => {
                    open = Some(Drawdown {
                        start: peak_date.unwrap_or(d),
                        end: d,
                        depth: fall,
                        recovered: false,
                    })
                }
            }
        } else {
            if let Some(mut dd) = open.take() {
                dd.end = d;
                dd.recovered = true;
                out.push(dd);
            }
            peak = v;
            peak_date = Some(d);
        }
    }
    if let (Some(mut dd), Some(d)) = (open, last) {
        dd.end = d;
        out.push(dd);
    }
    out
}

/// Cumulative P&L after fees over settlement dates, drawdowns shaded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PnlChart {
    pub labels: Labels,
    /// (settlement date, cumulative P&L after fees), in trade order.
    pub cumulative: Vec<(NaiveDate, f64)>,
}

impl Chart for PnlChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let pts: Vec<(NaiveDate, f64)> = self
            .cumulative
            .iter()
            .copied()
            .filter(|(_, v)| v.is_finite())
            .collect();
        let (Some((lo, hi)), Some((d0, d1))) = (
            extent(pts.iter().map(|p| p.1).chain([0.0])),
            date_extent(pts.iter().map(|p| p.0)),
        ) else {
            return render(Frame::empty(&self.labels, "No settled trades yet"), |_| {
                Ok(())
            });
        };
        let (lo, hi) = pad(lo, hi, 0.05);
        let mut frame = Frame::new(&self.labels, Scale::dates(d0, d1), Scale::linear(lo, hi, 7));
        let dds = drawdowns(&pts);
        let shade = colour::tint(colour::VERMILLION, 0.16);
        frame.legend.push(item(
            Swatch::Line(colour::BLUE),
            "cumulative P&L after fees",
        ));
        if !dds.is_empty() {
            frame.legend.push(item(Swatch::Fill(shade), "drawdown"));
        }
        let worst = dds.iter().map(|d| d.depth).fold(0.0, f64::max);
        let unit = &self.labels.y.unit;
        let note = format!(
            "{} trades · final {} · max drawdown {}{}",
            pts.len(),
            format_short(pts.last().map_or(0.0, |p| p.1)),
            format_short(worst),
            if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            }
        );
        render(frame, |chart| {
            let (y0, y1) = y_span(chart);
            chart.draw_series(dds.iter().map(|dd| {
                let (a, b) = (day(dd.start), day(dd.end));
                // A drawdown within one day still gets a visible sliver.
                let b = if b - a < 1.0 { a + 1.0 } else { b };
                Rectangle::new([(a, y0), (b, y1)], shade.filled())
            }))?;
            draw_zero_line(chart, colour::GREY)?;
            // Cumulative P&L moves at settlements: draw it as steps.
            let mut line: Vec<(f64, f64)> = Vec::with_capacity(pts.len() * 2);
            for &(d, v) in &pts {
                if let Some(&(_, prev)) = line.last() {
                    line.push((day(d), prev));
                }
                line.push((day(d), v));
            }
            draw_line(chart, &line, colour::BLUE.stroke_width(4), false)?;
            corner_note(chart, &note)?;
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let unit = &self.labels.y.unit;
        let mut t = Table::new([
            "date".to_string(),
            col("cumulative pnl", unit),
            col("drawdown", unit),
        ]);
        let mut peak = 0.0_f64;
        for &(d, v) in &self.cumulative {
            let dd = if v.is_finite() {
                peak = peak.max(v);
                Cell::from(peak - v)
            } else {
                Cell::Null
            };
            t.push(vec![d.to_string().into(), num(v), dd]);
        }
        t
    }
}

/// One market's Brier skill score (against a reference: climatology, or the market's price).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SkillBar {
    pub market: String,
    pub skill: f64,
    /// Number of resolved forecasts behind the score.
    pub n: Option<usize>,
}

/// Brier skill by market as horizontal bars (long market names stay readable); skill below
/// [`SKILL_FLOOR`] is drawn to the floor and labelled with its value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SkillChart {
    pub labels: Labels,
    pub bars: Vec<SkillBar>,
}

/// Skill scores are unbounded below; the axis stops here and longer bars are labelled.
pub const SKILL_FLOOR: f64 = -1.0;

impl Chart for SkillChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Horizontal bars: the value runs along x, one bar per market on y.
    fn alt_text(&self) -> String {
        let l = &self.labels;
        format!("{}: {} by {}", l.title, l.x.desc(), l.y.desc())
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        if self.bars.is_empty() {
            return render(Frame::empty(&self.labels, "No markets scored yet"), |_| {
                Ok(())
            });
        }
        let n = self.bars.len();
        let (lo, hi) = extent(self.bars.iter().map(|b| b.skill).chain([0.0])).unwrap_or((0.0, 0.0));
        let clipped_any = lo < SKILL_FLOOR;
        let (plo, phi) = pad(lo.max(SKILL_FLOOR), hi.min(1.0), 0.08);
        // With a bar cut at the floor the axis starts exactly there, so the cut is plain.
        let plo = if clipped_any {
            SKILL_FLOOR
        } else {
            plo.max(SKILL_FLOOR)
        };
        let x = Scale::linear(plo, phi.min(1.0), 8);
        // Bars top to bottom in the caller's order: category i sits at n − 1 − i.
        let names: Vec<String> = self
            .bars
            .iter()
            .rev()
            .map(|b| shorten(&b.market, 42))
            .collect();
        let y = Scale::categories(names);
        let mut frame = Frame::new(&self.labels, x, y);
        frame.size.1 = frame.size.1.max(170 + 34 * n as u32);
        frame.legend = vec![
            item(Swatch::Fill(colour::BLUE), "better than the reference"),
            item(Swatch::Fill(colour::VERMILLION), "worse than the reference"),
        ];
        if clipped_any {
            frame.legend.push(item(
                Swatch::Fill(colour::VERMILLION),
                format!("◀ below {SKILL_FLOOR}: bar cut, value printed"),
            ));
        }
        render(frame, |chart| {
            let h = 0.34;
            let (xlo, xhi) = x_span(chart);
            let left = Pos::new(HPos::Left, VPos::Center);
            for (i, b) in self.bars.iter().enumerate() {
                let yc = (n - 1 - i) as f64;
                if !b.skill.is_finite() {
                    annotate(chart, (0.0, yc), 6, 0, "n/a", left, colour::GREY)?;
                    continue;
                }
                let end = b.skill.clamp(xlo, xhi);
                let c = if b.skill >= 0.0 {
                    colour::BLUE
                } else {
                    colour::VERMILLION
                };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, yc - h), (end, yc + h)],
                    c.filled(),
                )))?;
                let mut text = format!("{:+.2}", b.skill);
                if let Some(k) = b.n {
                    text.push_str(&format!("  (n={k})"));
                }
                if b.skill < xlo {
                    // Cut bar: the true value in white inside its left end.
                    annotate(chart, (xlo, yc), 8, 0, &format!("◀ {text}"), left, WHITE)?;
                } else if b.skill >= 0.0 {
                    annotate(chart, (end, yc), 6, 0, &text, left, colour::INK)?;
                } else if end - xlo > 0.3 * (xhi - xlo) {
                    annotate(
                        chart,
                        (end, yc),
                        -6,
                        0,
                        &text,
                        Pos::new(HPos::Right, VPos::Center),
                        colour::INK,
                    )?;
                } else {
                    annotate(chart, (0.0, yc), 6, 0, &text, left, colour::INK)?;
                }
            }
            let (y0, y1) = y_span(chart);
            chart.draw_series(LineSeries::new(
                [(0.0, y0), (0.0, y1)],
                colour::INK.stroke_width(2),
            ))?;
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let mut t = Table::new(["market", "brier_skill", "n"]);
        for b in &self.bars {
            t.push(vec![b.market.clone().into(), num(b.skill), b.n.into()]);
        }
        t
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, day).unwrap()
    }

    #[test]
    fn drawdowns_from_a_zero_peak() {
        // Cumulative: -1 (first trade lost: drawdown from the zero peak), 2 (recovered, new
        // peak), 0.5 (falls 1.5), 1 (still below), 3 (recovered), 2 (open at the end).
        let cum = [
            (d(1), -1.0),
            (d(2), 2.0),
            (d(3), 0.5),
            (d(4), 1.0),
            (d(5), 3.0),
            (d(6), 2.0),
        ];
        let dd = drawdowns(&cum);
        assert_eq!(
            dd,
            vec![
                Drawdown {
                    start: d(1),
                    end: d(2),
                    depth: 1.0,
                    recovered: true
                },
                Drawdown {
                    start: d(2),
                    end: d(5),
                    depth: 1.5,
                    recovered: true
                },
                Drawdown {
                    start: d(5),
                    end: d(6),
                    depth: 1.0,
                    recovered: false
                },
            ]
        );
        // The deepest equals the score module's max drawdown for the per-trade P&L
        // -1, 3, -1.5, 0.5, 2, -1 (running total above).
        let pnl = [-1.0, 3.0, -1.5, 0.5, 2.0, -1.0];
        let worst = dd.iter().map(|x| x.depth).fold(0.0, f64::max);
        assert_eq!(worst, crate::analysis::score::max_drawdown(&pnl).unwrap());
        assert!(drawdowns(&[]).is_empty());
        assert!(drawdowns(&[(d(1), f64::NAN)]).is_empty());
    }

    #[test]
    fn pnl_table_has_drawdown_column() {
        let chart = PnlChart {
            labels: Labels {
                y: super::super::Axis::new("P&L", "USD"),
                ..Labels::default()
            },
            cumulative: vec![(d(1), 1.0), (d(2), 0.25)],
        };
        let t = chart.table();
        assert_eq!(t.columns, ["date", "cumulative_pnl_usd", "drawdown_usd"]);
        assert_eq!(t.rows[1][2], Cell::Num(0.75));
    }
}
