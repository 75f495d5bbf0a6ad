//! Fan chart: a target's history, its official prints, and the forecast's median with 50%, 80%
//! and 95% central intervals shaded.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, ChartError, Frame, Labels, Marker, Scale, Swatch, annotate, col, colour, date_extent,
    day, draw_band, draw_line, draw_markers, extent, item, num, pad, render, y_span,
};
use crate::output::{Cell, Table};

/// The quantile levels a [`FanStep`] holds, in its field order.
pub const FAN_PROBABILITIES: [f64; 7] = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975];

/// The predictive quantiles for one future date: the 95% interval is `q025..q975`, the 80%
/// interval `q10..q90`, the 50% interval `q25..q75`, and `q50` the median.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FanStep {
    pub date: NaiveDate,
    pub q025: f64,
    pub q10: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q90: f64,
    pub q975: f64,
}

impl FanStep {
    /// From quantiles at [`FAN_PROBABILITIES`], in that order.
    pub fn from_quantiles(date: NaiveDate, q: [f64; 7]) -> FanStep {
        FanStep {
            date,
            q025: q[0],
            q10: q[1],
            q25: q[2],
            q50: q[3],
            q75: q[4],
            q90: q[5],
            q975: q[6],
        }
    }

    /// The quantiles in [`FAN_PROBABILITIES`] order.
    pub fn quantiles(&self) -> [f64; 7] {
        [
            self.q025, self.q10, self.q25, self.q50, self.q75, self.q90, self.q975,
        ]
    }

    fn flat(date: NaiveDate, v: f64) -> FanStep {
        FanStep::from_quantiles(date, [v; 7])
    }
}

/// History with the forecast fan. Dates are where each value is plotted (for a monthly series,
/// conventionally the first day of the month).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FanChart {
    pub labels: Labels,
    /// The series as known at the as-of date (a line).
    pub history: Vec<(NaiveDate, f64)>,
    /// Official prints (what a market settles on), drawn as points over the line.
    pub official: Vec<(NaiveDate, f64)>,
    /// Forecast quantiles per future date, in date order.
    pub forecast: Vec<FanStep>,
    /// The forecast's as-of date, drawn as a dashed vertical line.
    pub as_of: Option<NaiveDate>,
}

const BAND_95: f64 = 0.18;
const BAND_80: f64 = 0.34;
const BAND_50: f64 = 0.55;

impl Chart for FanChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let finite_step = |s: &&FanStep| s.quantiles().iter().all(|v| v.is_finite());
        let values = self
            .history
            .iter()
            .chain(&self.official)
            .map(|&(_, v)| v)
            .chain(self.forecast.iter().flat_map(|s| s.quantiles()));
        let dates = self
            .history
            .iter()
            .chain(&self.official)
            .filter(|(_, v)| v.is_finite())
            .map(|&(d, _)| d)
            .chain(
                self.forecast
                    .iter()
                    .filter(|s| s.q50.is_finite() || finite_step(s))
                    .map(|s| s.date),
            )
            .chain(self.as_of);
        let (Some((lo, hi)), Some((d0, d1))) = (extent(values), date_extent(dates)) else {
            return render(Frame::empty(&self.labels, "No data to plot"), |_| Ok(()));
        };
        let (lo, hi) = pad(lo, hi, 0.03);
        let mut frame = Frame::new(&self.labels, Scale::dates(d0, d1), Scale::linear(lo, hi, 7));
        let blue = colour::BLUE;
        let has_band = self.forecast.iter().any(|s| finite_step(&s));
        let has_median = self.forecast.iter().any(|s| s.q50.is_finite());
        if self.history.iter().any(|(_, v)| v.is_finite()) {
            frame
                .legend
                .push(item(Swatch::Line(colour::INK), "history"));
        }
        if self.official.iter().any(|(_, v)| v.is_finite()) {
            frame.legend.push(item(
                Swatch::Point(colour::VERMILLION, Marker::Circle),
                "official print",
            ));
        }
        if has_median {
            frame
                .legend
                .push(item(Swatch::Dashed(blue), "forecast median"));
        }
        if has_band {
            frame.legend.extend([
                item(Swatch::Fill(colour::tint(blue, BAND_50)), "50% interval"),
                item(Swatch::Fill(colour::tint(blue, BAND_80)), "80% interval"),
                item(Swatch::Fill(colour::tint(blue, BAND_95)), "95% interval"),
            ]);
        }

        // The fan opens from the last known value, so the forecast visibly continues the line.
        let anchor = self
            .history
            .iter()
            .rev()
            .find(|(_, v)| v.is_finite())
            .filter(|(d, _)| self.forecast.first().is_some_and(|s| *d < s.date))
            .map(|&(d, v)| FanStep::flat(d, v));
        let steps: Vec<FanStep> = anchor
            .into_iter()
            .chain(self.forecast.iter().copied())
            .collect();

        render(frame, |chart| {
            let band = |lo: fn(&FanStep) -> f64, hi: fn(&FanStep) -> f64| -> Vec<(f64, f64, f64)> {
                steps.iter().map(|s| (day(s.date), lo(s), hi(s))).collect()
            };
            draw_band(
                chart,
                &band(|s| s.q025, |s| s.q975),
                colour::tint(blue, BAND_95),
            )?;
            draw_band(
                chart,
                &band(|s| s.q10, |s| s.q90),
                colour::tint(blue, BAND_80),
            )?;
            draw_band(
                chart,
                &band(|s| s.q25, |s| s.q75),
                colour::tint(blue, BAND_50),
            )?;
            if let Some(d) = self.as_of {
                let (y0, y1) = y_span(chart);
                let x = day(d);
                chart.draw_series(DashedLineSeries::new(
                    [(x, y0), (x, y1)],
                    6,
                    6,
                    colour::GREY.stroke_width(1),
                ))?;
                annotate(
                    chart,
                    (x, y1),
                    -6,
                    6,
                    &format!("as of {d}"),
                    Pos::new(HPos::Right, VPos::Top),
                    colour::GREY,
                )?;
            }
            let hist: Vec<(f64, f64)> = self.history.iter().map(|&(d, v)| (day(d), v)).collect();
            draw_line(chart, &hist, colour::INK.stroke_width(2), false)?;
            let median: Vec<(f64, f64)> = steps.iter().map(|s| (day(s.date), s.q50)).collect();
            draw_line(chart, &median, blue.stroke_width(4), true)?;
            let prints: Vec<(f64, f64)> = self
                .official
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|&(d, v)| (day(d), v))
                .collect();
            draw_markers(chart, &prints, Marker::Circle, colour::VERMILLION, 5)?;
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let unit = &self.labels.y.unit;
        let mut columns = vec![
            "date".to_string(),
            col("history", unit),
            col("official", unit),
        ];
        for name in ["q025", "q10", "q25", "median", "q75", "q90", "q975"] {
            columns.push(col(name, unit));
        }
        #[derive(Default)]
        struct Row {
            history: Option<f64>,
            official: Option<f64>,
            q: Option<[f64; 7]>,
        }
        let mut rows: BTreeMap<NaiveDate, Row> = BTreeMap::new();
        for &(d, v) in &self.history {
            rows.entry(d).or_default().history = Some(v);
        }
        for &(d, v) in &self.official {
            rows.entry(d).or_default().official = Some(v);
        }
        for s in &self.forecast {
            rows.entry(s.date).or_default().q = Some(s.quantiles());
        }
        let mut t = Table::new(columns);
        for (d, r) in rows {
            let mut row: Vec<Cell> = vec![
                d.to_string().into(),
                r.history.map_or(Cell::Null, num),
                r.official.map_or(Cell::Null, num),
            ];
            match r.q {
                Some(q) => row.extend(q.iter().map(|&v| num(v))),
                None => row.extend(std::iter::repeat_n(Cell::Null, 7)),
            }
            t.push(row);
        }
        t
    }
}
