//! Line chart of named series over dates, each optionally with an interval band: the rolling
//! best-lag stability of a lead-lag pair, or a nowcast (with its interval) against the official
//! prints (as markers).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, ChartError, Frame, Labels, Marker, Scale, Swatch, annotate, col, colour, date_extent,
    day, draw_band, draw_line, draw_markers, extent, item, num, pad, render, x_span,
};
use crate::output::{Cell, Table};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    #[default]
    Line,
    Dashed,
    /// Points only (official prints).
    Markers,
    LineAndMarkers,
    /// A step function: each value holds until the next date (a best lag that jumps).
    Step,
}

/// An interval drawn as a shaded band in its series' colour.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    /// Legend text, e.g. "80% interval".
    pub label: String,
    /// (date, low, high).
    pub points: Vec<(NaiveDate, f64, f64)>,
}

/// One named series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(NaiveDate, f64)>,
    pub style: SeriesStyle,
    pub band: Option<Band>,
}

impl Series {
    pub fn new(
        name: impl Into<String>,
        points: Vec<(NaiveDate, f64)>,
        style: SeriesStyle,
    ) -> Series {
        Series {
            name: name.into(),
            points,
            style,
            band: None,
        }
    }

    pub fn with_band(
        mut self,
        label: impl Into<String>,
        points: Vec<(NaiveDate, f64, f64)>,
    ) -> Series {
        self.band = Some(Band {
            label: label.into(),
            points,
        });
        self
    }
}

/// A horizontal reference line (a strike, a threshold, zero).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RefLine {
    pub label: String,
    pub value: f64,
}

/// Several series over dates; colours follow the series order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    pub labels: Labels,
    pub series: Vec<Series>,
    pub ref_lines: Vec<RefLine>,
    /// Ticks only at whole numbers (a lag in months).
    pub integer_y: bool,
}

impl Chart for LineChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let finite = |&&(_, v): &&(NaiveDate, f64)| v.is_finite();
        let band_points = || {
            self.series
                .iter()
                .filter_map(|s| s.band.as_ref())
                .flat_map(|b| b.points.iter())
                .filter(|(_, l, h)| l.is_finite() && h.is_finite())
        };
        let values = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(finite).map(|&(_, v)| v))
            .chain(band_points().flat_map(|&(_, l, h)| [l, h]));
        let dates = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().filter(finite).map(|&(d, _)| d))
            .chain(band_points().map(|&(d, _, _)| d));
        let (Some((lo, hi)), Some((d0, d1))) = (extent(values), date_extent(dates)) else {
            return render(Frame::empty(&self.labels, "No data to plot"), |_| Ok(()));
        };
        let refs: Vec<&RefLine> = self
            .ref_lines
            .iter()
            .filter(|r| r.value.is_finite())
            .collect();
        let (lo, hi) = refs
            .iter()
            .fold((lo, hi), |(lo, hi), r| (lo.min(r.value), hi.max(r.value)));
        let (lo, hi) = pad(lo, hi, 0.04);
        let y = if self.integer_y {
            Scale::integer(lo, hi, 8)
        } else {
            Scale::linear(lo, hi, 7)
        };
        let mut frame = Frame::new(&self.labels, Scale::dates(d0, d1), y);
        let colours: Vec<RGBColor> = (0..self.series.len())
            .map(|i| colour::PALETTE[i % colour::PALETTE.len()])
            .collect();
        for (s, &c) in self.series.iter().zip(&colours) {
            if !s.points.iter().any(|(_, v)| v.is_finite()) && s.band.is_none() {
                continue;
            }
            let swatch = match s.style {
                SeriesStyle::Line | SeriesStyle::Step | SeriesStyle::LineAndMarkers => {
                    Swatch::Line(c)
                }
                SeriesStyle::Dashed => Swatch::Dashed(c),
                SeriesStyle::Markers => Swatch::Point(c, Marker::Circle),
            };
            frame.legend.push(item(swatch, s.name.clone()));
            if let Some(b) = &s.band {
                frame
                    .legend
                    .push(item(Swatch::Fill(colour::tint(c, 0.25)), b.label.clone()));
            }
        }

        render(frame, |chart| {
            for (s, &c) in self.series.iter().zip(&colours) {
                if let Some(b) = &s.band {
                    let pts: Vec<(f64, f64, f64)> =
                        b.points.iter().map(|&(d, l, h)| (day(d), l, h)).collect();
                    draw_band(chart, &pts, colour::tint(c, 0.25))?;
                }
            }
            let (x0, x1) = x_span(chart);
            for r in &refs {
                chart.draw_series(DashedLineSeries::new(
                    [(x0, r.value), (x1, r.value)],
                    8,
                    6,
                    colour::GREY.stroke_width(2),
                ))?;
                if !r.label.is_empty() {
                    annotate(
                        chart,
                        (x0, r.value),
                        8,
                        -4,
                        &r.label,
                        Pos::new(HPos::Left, VPos::Bottom),
                        colour::GREY,
                    )?;
                }
            }
            for (s, &c) in self.series.iter().zip(&colours) {
                let pts: Vec<(f64, f64)> = s.points.iter().map(|&(d, v)| (day(d), v)).collect();
                match s.style {
                    SeriesStyle::Line => draw_line(chart, &pts, c.stroke_width(4), false)?,
                    SeriesStyle::Dashed => draw_line(chart, &pts, c.stroke_width(4), true)?,
                    SeriesStyle::Step => draw_line(chart, &steps(&pts), c.stroke_width(4), false)?,
                    SeriesStyle::Markers | SeriesStyle::LineAndMarkers => {
                        if s.style == SeriesStyle::LineAndMarkers {
                            draw_line(chart, &pts, c.stroke_width(2), false)?;
                        }
                        let finite: Vec<(f64, f64)> =
                            pts.into_iter().filter(|(_, v)| v.is_finite()).collect();
                        draw_markers(chart, &finite, Marker::Circle, c, 5)?;
                    }
                }
            }
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let unit = &self.labels.y.unit;
        let mut columns = vec!["date".to_string()];
        for s in &self.series {
            columns.push(col(&s.name, unit));
            if s.band.is_some() {
                columns.push(col(&format!("{} low", s.name), unit));
                columns.push(col(&format!("{} high", s.name), unit));
            }
        }
        let width = columns.len();
        let mut rows: BTreeMap<NaiveDate, Vec<Cell>> = BTreeMap::new();
        let mut at = 1;
        for s in &self.series {
            for &(d, v) in &s.points {
                rows.entry(d).or_insert_with(|| vec![Cell::Null; width])[at] = num(v);
            }
            if let Some(b) = &s.band {
                for &(d, l, h) in &b.points {
                    let row = rows.entry(d).or_insert_with(|| vec![Cell::Null; width]);
                    row[at + 1] = num(l);
                    row[at + 2] = num(h);
                }
                at += 3;
            } else {
                at += 1;
            }
        }
        let mut t = Table::new(columns);
        for (d, mut row) in rows {
            row[0] = d.to_string().into();
            t.push(row);
        }
        t
    }
}

/// The corners of a step function through `pts`: each value holds until the next point's x.
fn steps(pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(pts.len() * 2);
    for (i, &(x, y)) in pts.iter().enumerate() {
        if i > 0 {
            let (_, prev) = pts[i - 1];
            if prev.is_finite() && y.is_finite() {
                out.push((x, prev));
            }
        }
        out.push((x, y));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_corners() {
        // A gap (NaN) breaks the step: no corner is drawn into or out of it.
        let s = steps(&[(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, 3.0)]);
        assert_eq!(
            format!("{s:?}"),
            "[(0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (2.0, NaN), (3.0, 3.0)]"
        );
    }
}
