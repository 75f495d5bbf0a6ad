//! Cross-correlation chart: one bar per lag, the band a correlation must leave to count, and the
//! best lag highlighted (what `crate::analysis::ccf` computes, as plain numbers).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, ChartError, Frame, Labels, Scale, Swatch, annotate, colour, draw_zero_line, extent,
    format_short, item, num, render,
};
use crate::output::{Cell, Table};

/// One lag: the correlation and the null band at that lag (both ends; bands may differ by lag
/// because the number of pairs does).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CcfBar {
    /// `k` in `corr(x_t, y_{t+k})`; positive: `x` leads.
    pub lag: i64,
    pub r: f64,
    pub band_low: f64,
    pub band_high: f64,
}

/// Bars by lag with the null band shaded and the best lag highlighted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CcfChart {
    pub labels: Labels,
    pub bars: Vec<CcfBar>,
    pub best_lag: Option<i64>,
    /// Legend text for the band, e.g. "95% band, no correlation (pre-whitened)".
    pub band_label: String,
}

impl CcfBar {
    fn outside(&self) -> bool {
        self.r.is_finite()
            && ((self.band_high.is_finite() && self.r > self.band_high)
                || (self.band_low.is_finite() && self.r < self.band_low))
    }
}

impl Chart for CcfChart {
    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn png(&self) -> Result<Vec<u8>, ChartError> {
        let bars: Vec<&CcfBar> = self.bars.iter().collect();
        let Some((lag_lo, lag_hi)) = extent(
            bars.iter()
                .filter(|b| b.r.is_finite())
                .map(|b| b.lag as f64),
        ) else {
            return render(
                Frame::empty(&self.labels, "No correlations to plot"),
                |_| Ok(()),
            );
        };
        // Symmetric about zero, so the sign of a bar reads at a glance.
        let reach = extent(
            bars.iter()
                .flat_map(|b| [b.r, b.band_low, b.band_high])
                .map(f64::abs),
        )
        .map_or(1.0, |(_, hi)| hi)
        .clamp(0.05, 1.0);
        let y = Scale::linear(-reach * 1.1, reach * 1.1, 8);
        let y = if y.lo < -1.0 || y.hi > 1.0 {
            Scale::stepped(-1.0, 1.0, 0.25)
        } else {
            y
        };
        let x = Scale::integer(lag_lo - 0.5, lag_hi + 0.5, 16);
        let x = Scale {
            lo: lag_lo - 0.7,
            hi: lag_hi + 0.7,
            ticks: x
                .ticks
                .iter()
                .copied()
                .filter(|t| *t >= lag_lo - 0.7 && *t <= lag_hi + 0.7)
                .collect(),
            format: Box::new(|v| format!("{:+}", v.round() as i64).replace("+0", "0")),
        };
        let mut frame = Frame::new(&self.labels, x, y);
        frame.x_grid = false;
        let band_fill = colour::tint(colour::GREY, 0.22);
        let band_label = if self.band_label.is_empty() {
            "band of no correlation".to_string()
        } else {
            self.band_label.clone()
        };
        frame.legend = vec![
            item(Swatch::Fill(band_fill), band_label),
            item(
                Swatch::Fill(colour::tint(colour::BLUE, 0.45)),
                "inside the band",
            ),
            item(Swatch::Fill(colour::BLUE), "outside the band"),
        ];
        let best = self
            .best_lag
            .and_then(|k| bars.iter().find(|b| b.lag == k && b.r.is_finite()).copied());
        if best.is_some() {
            frame
                .legend
                .push(item(Swatch::Fill(colour::VERMILLION), "best lag"));
        }

        render(frame, |chart| {
            let w = 0.36;
            chart.draw_series(
                bars.iter()
                    .filter(|b| b.band_low.is_finite() && b.band_high.is_finite())
                    .map(|b| {
                        let k = b.lag as f64;
                        Rectangle::new(
                            [(k - 0.5, b.band_low), (k + 0.5, b.band_high)],
                            band_fill.filled(),
                        )
                    }),
            )?;
            chart.draw_series(bars.iter().filter(|b| b.r.is_finite()).map(|b| {
                let k = b.lag as f64;
                let c = if Some(b.lag) == best.map(|x| x.lag) {
                    colour::VERMILLION
                } else if b.outside() {
                    colour::BLUE
                } else {
                    colour::tint(colour::BLUE, 0.45)
                };
                Rectangle::new([(k - w, 0.0), (k + w, b.r.clamp(-1.0, 1.0))], c.filled())
            }))?;
            draw_zero_line(chart, colour::INK)?;
            if let Some(b) = best {
                let up = b.r >= 0.0;
                annotate(
                    chart,
                    (b.lag as f64, b.r),
                    0,
                    if up { -8 } else { 8 },
                    &format!("best lag {:+}: r = {}", b.lag, format_short(b.r))
                        .replace("+0:", "0:"),
                    Pos::new(HPos::Center, if up { VPos::Bottom } else { VPos::Top }),
                    colour::VERMILLION,
                )?;
            }
            Ok(())
        })
    }

    fn table(&self) -> Table {
        let mut t = Table::new(["lag", "r", "band_low", "band_high", "outside_band", "best"]);
        for b in &self.bars {
            t.push(vec![
                Cell::Int(b.lag),
                num(b.r),
                num(b.band_low),
                num(b.band_high),
                Cell::Bool(b.outside()),
                Cell::Bool(Some(b.lag) == self.best_lag),
            ]);
        }
        t
    }
}
